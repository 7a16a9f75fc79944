//! Interface contracts: who provides an operation, who consumes it, and the JSON Schemas its
//! request and responses must satisfy.
//!
//! A contract file (`*.contract.json` or `*.contract.yaml` under a contracts directory) binds
//! schemas to one operation (method + path template). Schemas are compiled once at load, with
//! every `$ref` resolved from local files (see [`crate::json`]); validation then reports *every*
//! violation with its instance path. The file format is specified in `docs/contracts.md`.

pub mod domains;
mod learned;
pub mod lineage;
mod load;
mod path_template;
pub mod usage;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

pub(crate) use learned::load_file as load_learned_file;
pub use load::{
    CONTRACT_SUFFIXES, dialect_for, is_contract_file, load_contracts, load_dir, meta_errors,
    unknown_field_hint,
};
pub(crate) use load::{collect_contract_files, load_contracts_with};
pub(crate) use load::{describe_serde_error, serde_path_to_pointer};
pub(crate) use path_template::PathTemplate;

/// One interface contract, loaded and compiled.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The file it was loaded from.
    pub file: PathBuf,
    /// Stable interface id, e.g. `erp.customer-sync`.
    pub interface: String,
    pub summary: Option<String>,
    /// The system that serves the operation (e.g. `erp`).
    pub provider: String,
    /// The systems that call it or read its responses (e.g. `crm`, `finance`).
    pub consumers: Vec<String>,
    /// Upper-case HTTP method.
    pub method: String,
    pub path: PathTemplate,
    pub request: RequestSpec,
    /// Responses by status key: `"200"`, `"2XX"` or `"default"`.
    pub responses: BTreeMap<String, ResponseSpec>,
    /// The contract document as written (for `interlock diff`).
    pub document: Arc<Value>,
}

/// What a request must look like.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    pub query: Vec<ParamSpec>,
    /// Whether query parameters the contract does not name are allowed (default true).
    pub additional_query: bool,
    pub headers: Vec<ParamSpec>,
    pub body: Option<BodySpec>,
}

/// What a response with one status must look like.
#[derive(Debug, Clone, Default)]
pub struct ResponseSpec {
    pub headers: Vec<ParamSpec>,
    pub body: Option<BodySpec>,
}

/// A query parameter or header: always a string on the wire, checked against a schema after
/// coercion to the schema's scalar type.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Query parameter name, or lower-case header name.
    pub name: String,
    pub required: bool,
    pub schema: Option<CompiledSchema>,
}

/// One way the values sent for a parameter break its spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParamProblem<'v> {
    /// Required, and no value was sent.
    Missing,
    /// A value its schema rejects (one problem per violation).
    Invalid { value: &'v str, message: String },
}

impl ParamSpec {
    /// How `values` (every value sent for this parameter) break it: missing when it is
    /// required and none was sent, else each value checked against the schema as wire text.
    pub(crate) fn problems<'v>(&self, values: &[&'v str]) -> Vec<ParamProblem<'v>> {
        if values.is_empty() {
            return if self.required {
                vec![ParamProblem::Missing]
            } else {
                Vec::new()
            };
        }
        let Some(schema) = &self.schema else {
            return Vec::new();
        };
        values
            .iter()
            .flat_map(|value| {
                schema
                    .violations_for_wire_value(value)
                    .into_iter()
                    .map(|v| ParamProblem::Invalid {
                        value,
                        message: v.message,
                    })
            })
            .collect()
    }
}

/// A message body's schema.
#[derive(Debug, Clone)]
pub struct BodySpec {
    pub schema: CompiledSchema,
}

/// A schema compiled once, with where it was written.
#[derive(Clone)]
pub struct CompiledSchema {
    /// JSON pointer of the schema inside the contract file.
    pub pointer: String,
    /// The schema as written (references unresolved).
    pub raw: Value,
    validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("pointer", &self.pointer)
            .finish_non_exhaustive()
    }
}

/// One way an instance breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance ("" is the whole body).
    pub instance_path: String,
    /// JSON pointer into the schema of the keyword that failed.
    pub schema_path: String,
    pub message: String,
}

impl CompiledSchema {
    /// Every violation of this schema by `instance`, with its instance path.
    pub fn violations(&self, instance: &Value) -> Vec<Violation> {
        // The usual answer, found without building an error or a path.
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        self.validator
            .iter_errors(instance)
            .map(|err| Violation {
                instance_path: err.instance_path().to_string(),
                schema_path: err.schema_path().to_string(),
                message: err.to_string(),
            })
            .collect()
    }

    /// The scalar types the schema declares at its top (`type`), used to coerce strings from
    /// query parameters and headers.
    fn declared_types(&self) -> Vec<&str> {
        match self.raw.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Checks a wire string (query value, header value) after coercing it to the declared type.
    pub(crate) fn violations_for_wire_value(&self, raw: &str) -> Vec<Violation> {
        let types = self.declared_types();
        let coerced = if types.iter().any(|t| matches!(*t, "integer" | "number")) {
            raw.parse::<i64>().map(Value::from).ok().or_else(|| {
                raw.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            })
        } else if types.contains(&"boolean") {
            raw.parse::<bool>().ok().map(Value::Bool)
        } else {
            None
        };
        self.violations(&coerced.unwrap_or_else(|| Value::String(raw.to_string())))
    }
}

impl Contract {
    /// The response spec for a status: exact code, then `NXX` range, then `default`.
    pub fn response_for(&self, status: u16) -> Option<(&str, &ResponseSpec)> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        [exact.as_str(), range.as_str(), "default"]
            .into_iter()
            .find_map(|key| self.responses.get_key_value(key))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// "provider: erp; consumers: crm, finance" — who a finding affects.
    pub(crate) fn affected(&self) -> Vec<String> {
        let mut all = vec![self.provider.clone()];
        all.extend(self.consumers.iter().cloned());
        all
    }
}

/// All contracts of a project, with lookup by operation.
#[derive(Debug, Clone, Default)]
pub struct ContractSet {
    contracts: Vec<Contract>,
    /// The value domains learned from recordings (`domains.yaml` beside the contracts).
    domains: domains::Domains,
    /// The field lineage learned from recordings (`lineage.yaml` beside the contracts).
    lineage: lineage::Lineage,
    /// `[diff] unused` softens findings: a live drift on a field with no recorded use is
    /// reported without failing.
    soften_unused: bool,
}

impl ContractSet {
    pub(crate) fn new(contracts: Vec<Contract>) -> Self {
        ContractSet {
            contracts,
            domains: domains::Domains::default(),
            lineage: lineage::Lineage::default(),
            soften_unused: false,
        }
    }

    #[must_use]
    pub(crate) fn with_domains(mut self, domains: domains::Domains) -> Self {
        self.domains = domains;
        self
    }

    #[must_use]
    pub(crate) fn with_lineage(mut self, lineage: lineage::Lineage) -> Self {
        self.lineage = lineage;
        self
    }

    /// Reports a live drift on a field with no recorded use without failing (`[diff] unused`
    /// set below breaking).
    #[must_use]
    pub(crate) fn with_soften_unused(mut self, soften: bool) -> Self {
        self.soften_unused = soften;
        self
    }

    /// Whether a live drift on a field with no recorded use is reported without failing.
    pub fn soften_unused(&self) -> bool {
        self.soften_unused
    }

    /// The learned field lineage (empty when no contracts folder holds a `lineage.yaml`).
    pub fn lineage(&self) -> &lineage::Lineage {
        &self.lineage
    }

    /// The learned value domains (empty when no contracts folder holds a `domains.yaml`).
    pub fn domains(&self) -> &domains::Domains {
        &self.domains
    }

    pub fn is_empty(&self) -> bool {
        self.contracts.is_empty()
    }

    pub fn len(&self) -> usize {
        self.contracts.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Contract> {
        self.contracts.iter()
    }

    pub(crate) fn by_interface(&self, interface: &str) -> Option<&Contract> {
        self.contracts.iter().find(|c| c.interface == interface)
    }

    /// The contract for a request, restricted to one provider when given. Among several
    /// matching path templates the most specific (most literal segments) wins.
    pub fn find(&self, provider: Option<&str>, method: &str, path: &str) -> Option<&Contract> {
        self.contracts
            .iter()
            .filter(|c| provider.is_none_or(|p| c.provider == p))
            .filter(|c| c.method.eq_ignore_ascii_case(method) && c.path.matches(path))
            .max_by_key(|c| c.path.specificity())
    }

    /// Contracts whose provider is `provider`.
    pub(crate) fn provided_by<'a>(
        &'a self,
        provider: &'a str,
    ) -> impl Iterator<Item = &'a Contract> + 'a {
        self.contracts
            .iter()
            .filter(move |c| c.provider == provider)
    }
}
