//! Loading contracts: files → raw serde structs → validated, compiled [`Contract`]s.
//!
//! Every problem is collected (not only the first) and reported with the file and a JSON
//! pointer; a contract set is returned only when all of it loads.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::{
    BodySpec, CompiledSchema, Contract, ContractSet, ParamSpec, PathTemplate, RequestSpec,
    ResponseSpec,
};
use crate::error::{Error, InputError, did_you_mean};
use crate::json::{DocumentStore, escape_pointer_token, file_uri};

/// File name endings that mark a contract (other files are schemas it may reference).
pub const CONTRACT_SUFFIXES: &[&str] = &[".contract.json", ".contract.yaml", ".contract.yml"];

pub fn is_contract_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONTRACT_SUFFIXES.iter().any(|s| n.ends_with(s)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    #[serde(rename = "$schema")]
    schema_dialect: Option<String>,
    #[serde(rename = "$comment")]
    _comment: Option<Value>,
    interface: String,
    summary: Option<String>,
    provider: String,
    #[serde(default)]
    consumers: Vec<String>,
    operation: RawOperation,
    #[serde(default)]
    request: RawRequest,
    #[serde(default)]
    responses: BTreeMap<String, RawResponse>,
    /// Free-form, for teams' own bookkeeping (owners, links).
    #[serde(default, rename = "metadata")]
    _metadata: Option<Value>,
    #[serde(default, rename = "x-interlock")]
    _extension: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperation {
    method: String,
    path: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default)]
    query: BTreeMap<String, RawParam>,
    #[serde(default = "yes")]
    additional_query: bool,
    #[serde(default)]
    headers: BTreeMap<String, RawParam>,
    body: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    /// Documentation only.
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, RawParam>,
    body: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    #[serde(default)]
    required: bool,
    schema: Option<Value>,
    /// Documentation only.
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

fn yes() -> bool {
    true
}

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
];

/// Loads every contract under each directory (recursively). Fails with every problem found.
pub fn load_contracts(dirs: &[PathBuf]) -> Result<ContractSet, Error> {
    load_contracts_with(dirs, &mut DocumentStore::new())
}

/// [`load_contracts`] reading documents through `store`, which keeps every document parsed
/// (for a caller that goes on to read the same files, as `interlock diff` does).
pub(crate) fn load_contracts_with(
    dirs: &[PathBuf],
    store: &mut DocumentStore,
) -> Result<ContractSet, Error> {
    let mut contracts = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            errors.push(InputError::in_file(
                dir,
                "contracts directory does not exist",
            ));
            continue;
        }
        match load_dir_into(dir, store) {
            Ok(mut loaded) => contracts.append(&mut loaded),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    errors.extend(schema_file_errors(store));
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for c in &contracts {
        if let Some(first) = seen.insert(c.interface.clone(), c.file.clone()) {
            errors.push(
                InputError::at_pointer(
                    &c.file,
                    "/interface",
                    format!("interface `{}` is declared twice", c.interface),
                )
                .with_hint(format!(
                    "it is also declared in {}; interface ids must be unique",
                    first.display()
                )),
            );
        }
    }
    let mut domains = super::domains::Domains::default();
    for loaded in learned_files::<super::domains::Domains>(
        dirs,
        super::domains::DOMAINS_FILE,
        &contracts,
        &mut errors,
    ) {
        domains.interlock_domains = loaded.interlock_domains;
        domains.severity = loaded.severity;
        domains.interfaces.extend(loaded.interfaces);
    }
    let mut lineage = super::lineage::Lineage::default();
    for loaded in learned_files::<super::lineage::Lineage>(
        dirs,
        super::lineage::LINEAGE_FILE,
        &contracts,
        &mut errors,
    ) {
        lineage.interlock_lineage = loaded.interlock_lineage;
        lineage.calls.extend(loaded.calls);
        lineage.compared.extend(loaded.compared);
        lineage.mappings.extend(loaded.mappings);
    }
    if errors.is_empty() {
        Ok(ContractSet::new(contracts)
            .with_domains(domains)
            .with_lineage(lineage))
    } else {
        Err(Error::Input(errors))
    }
}

/// The learned file `name` of each contracts folder that holds one (see
/// [`super::learned`]); its problems go to `errors`.
fn learned_files<T: super::learned::Learned>(
    dirs: &[PathBuf],
    name: &str,
    contracts: &[Contract],
    errors: &mut Vec<InputError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for file in dirs.iter().map(|d| d.join(name)).filter(|f| f.is_file()) {
        let interfaces = contracts.iter().map(|c| c.interface.as_str());
        match super::learned::load::<T>(&file, interfaces) {
            Ok(loaded) => out.push(loaded),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    out
}

/// Loads the contracts of one directory with a fresh document store.
pub fn load_dir(dir: &Path) -> Result<ContractSet, Error> {
    load_contracts(&[dir.to_path_buf()])
}

fn load_dir_into(dir: &Path, store: &mut DocumentStore) -> Result<Vec<Contract>, Vec<InputError>> {
    let mut files = Vec::new();
    collect_contract_files(dir, &mut files).map_err(|err| vec![err])?;
    files.sort();
    let mut contracts = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load_contract(&file, store) {
            Ok(c) => contracts.push(c),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(contracts)
    } else {
        Err(errors)
    }
}

/// Every contract file under `dir`, walked by [`crate::fsutil::walk_files`]: symlinked folders
/// are not followed, so a loop or a link out of the project is not read.
pub(crate) fn collect_contract_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    out.extend(crate::fsutil::walk_files(
        dir,
        "the contracts folder",
        "point `contracts` in interlock.toml at the project's contracts folder",
        true,
        &|path| is_contract_file(path),
    )?);
    Ok(())
}

/// Loads and compiles one contract file.
pub(crate) fn load_contract(
    file: &Path,
    store: &mut DocumentStore,
) -> Result<Contract, Vec<InputError>> {
    let document = store.load(file).map_err(|e| vec![e])?;
    let raw: RawContract = serde_path_to_error::deserialize(document.as_ref()).map_err(|err| {
        let pointer = serde_path_to_pointer(err.path());
        vec![describe_serde_error(file, pointer, err.inner())]
    })?;
    store.check_refs(file)?;

    let mut errors = Vec::new();
    let dialect = match raw.schema_dialect.as_deref() {
        None => jsonschema::Draft::Draft202012,
        Some(uri) => match dialect_for(uri) {
            Some(d) => d,
            None => {
                errors.push(
                    InputError::at_pointer(file, "/$schema", format!("unknown JSON Schema dialect `{uri}`")).with_hint(
                        "use https://json-schema.org/draft/2020-12/schema or http://json-schema.org/draft-07/schema#",
                    ),
                );
                jsonschema::Draft::Draft202012
            }
        },
    };

    let method = raw.operation.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        errors.push(
            InputError::at_pointer(
                file,
                "/operation/method",
                format!("unknown HTTP method `{}`", raw.operation.method),
            )
            .with_hint_opt(did_you_mean(&method, METHODS.iter().copied())),
        );
    }
    let path = PathTemplate::parse(&raw.operation.path).map_err(|message| {
        errors.push(InputError::at_pointer(file, "/operation/path", message));
    });
    if raw.interface.trim().is_empty() {
        errors.push(InputError::at_pointer(
            file,
            "/interface",
            "interface id must not be empty",
        ));
    }

    let retriever = StoreRetriever::new(store);
    let compiler = Compiler {
        file,
        base_uri: file_uri(file),
        dialect,
        retriever: &retriever,
    };
    let mut schema_errors = Vec::new();
    let mut compile = |pointer: String, schema: &Value| -> Option<CompiledSchema> {
        compiler
            .compile(&pointer, schema)
            .map_err(|e| schema_errors.extend(e))
            .ok()
    };

    let query = params(&raw.request.query, "/request/query", false, &mut compile);
    let headers = params(&raw.request.headers, "/request/headers", true, &mut compile);
    let body = raw
        .request
        .body
        .as_ref()
        .and_then(|schema| compile("/request/body".to_string(), schema))
        .map(|schema| BodySpec { schema });
    let request = RequestSpec {
        query,
        additional_query: raw.request.additional_query,
        headers,
        body,
    };

    let mut responses = BTreeMap::new();
    let mut bad_statuses = Vec::new();
    for (status, response) in &raw.responses {
        let base = format!("/responses/{}", escape_pointer_token(status));
        if !is_status_key(status) {
            bad_statuses.push(
                InputError::at_pointer(file, &base, format!("`{status}` is not a response status"))
                    .with_hint("use a code such as 200, a range such as 2XX, or default"),
            );
            continue;
        }
        let headers = params(
            &response.headers,
            &format!("{base}/headers"),
            true,
            &mut compile,
        );
        let body = response
            .body
            .as_ref()
            .and_then(|schema| compile(format!("{base}/body"), schema))
            .map(|schema| BodySpec { schema });
        responses.insert(status_key(status), ResponseSpec { headers, body });
    }

    errors.append(&mut bad_statuses);
    errors.append(&mut schema_errors);
    match path {
        Ok(path) if errors.is_empty() => Ok(Contract {
            file: file.to_path_buf(),
            interface: raw.interface,
            summary: raw.summary,
            provider: raw.provider,
            consumers: raw.consumers,
            method,
            path,
            request,
            responses,
            document,
        }),
        _ => Err(errors),
    }
}

fn params(
    raw: &BTreeMap<String, RawParam>,
    base: &str,
    lowercase: bool,
    compile: &mut impl FnMut(String, &Value) -> Option<CompiledSchema>,
) -> Vec<ParamSpec> {
    raw.iter()
        .map(|(name, p)| {
            let pointer = format!("{base}/{}/schema", escape_pointer_token(name));
            ParamSpec {
                name: if lowercase {
                    name.to_ascii_lowercase()
                } else {
                    name.clone()
                },
                required: p.required,
                schema: p.schema.as_ref().and_then(|s| compile(pointer, s)),
            }
        })
        .collect()
}

/// The key a response is stored under: `200`, `2XX` (ranges upper-case) or `default`.
fn status_key(key: &str) -> String {
    if key.eq_ignore_ascii_case("default") {
        "default".to_string()
    } else {
        key.to_ascii_uppercase()
    }
}

fn is_status_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("default")
        || (key.len() == 3
            && key.as_bytes()[0].is_ascii_digit()
            && (key[1..].chars().all(|c| c.is_ascii_digit())
                || key[1..].eq_ignore_ascii_case("XX")))
}

/// The JSON Schema dialects a contract may declare.
pub fn dialect_for(uri: &str) -> Option<jsonschema::Draft> {
    let uri = uri.trim_end_matches('#').trim_end_matches('/');
    let uri = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .unwrap_or(uri);
    match uri {
        "json-schema.org/draft/2020-12/schema" => Some(jsonschema::Draft::Draft202012),
        "json-schema.org/draft/2019-09/schema" => Some(jsonschema::Draft::Draft201909),
        "json-schema.org/draft-07/schema" => Some(jsonschema::Draft::Draft7),
        "json-schema.org/draft-06/schema" => Some(jsonschema::Draft::Draft6),
        "json-schema.org/draft-04/schema" => Some(jsonschema::Draft::Draft4),
        _ => None,
    }
}

/// Compiles schemas written inside one contract file.
struct Compiler<'a> {
    file: &'a Path,
    base_uri: String,
    dialect: jsonschema::Draft,
    retriever: &'a StoreRetriever,
}

impl Compiler<'_> {
    /// Checks the schema against its dialect's meta-schema, then compiles a validator that
    /// refers to it in place, so `#/…` references resolve against the contract document.
    fn compile(&self, pointer: &str, schema: &Value) -> Result<CompiledSchema, Vec<InputError>> {
        let errors: Vec<InputError> = meta_errors(self.dialect, schema)
            .into_iter()
            .map(|(at, message)| {
                InputError::at_pointer(self.file, format!("{pointer}{at}"), message)
            })
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let wrapper = serde_json::json!({ "$ref": format!("{}#{}", self.base_uri, pointer) });
        let validator = jsonschema::options()
            .with_draft(self.dialect)
            .should_validate_formats(true)
            .with_retriever(self.retriever.clone())
            .build(&wrapper)
            .map_err(|err| {
                vec![InputError::at_pointer(
                    self.file,
                    pointer,
                    format!("schema does not compile: {err}"),
                )]
            })?;
        Ok(CompiledSchema {
            pointer: pointer.to_string(),
            raw: schema.clone(),
            validator: Arc::new(validator),
        })
    }
}

/// Meta-validates every referenced schema file (not the contracts themselves) once.
fn schema_file_errors(store: &DocumentStore) -> Vec<InputError> {
    let mut errors = Vec::new();
    for (path, doc) in store.documents() {
        if is_contract_file(path) || !looks_like_schema_file(doc) {
            continue;
        }
        let dialect = doc
            .get("$schema")
            .and_then(Value::as_str)
            .and_then(dialect_for)
            .unwrap_or(jsonschema::Draft::Draft202012);
        errors.extend(
            meta_errors(dialect, doc)
                .into_iter()
                .map(|(at, message)| InputError::at_pointer(path, at, message)),
        );
    }
    errors.sort_by(|a, b| a.file.cmp(&b.file));
    errors
}

/// OpenAPI documents can be `$ref` targets too; they are not schemas as a whole.
fn looks_like_schema_file(doc: &Value) -> bool {
    doc.get("openapi").is_none() && doc.get("swagger").is_none()
}

/// Meta-schema violations as `(pointer inside the schema, message)`.
pub fn meta_errors(dialect: jsonschema::Draft, schema: &Value) -> Vec<(String, String)> {
    use jsonschema::Draft;
    let validator = match dialect {
        Draft::Draft4 => jsonschema::draft4::meta::validator(),
        Draft::Draft6 => jsonschema::draft6::meta::validator(),
        Draft::Draft7 => jsonschema::draft7::meta::validator(),
        Draft::Draft201909 => jsonschema::draft201909::meta::validator(),
        _ => jsonschema::draft202012::meta::validator(),
    };
    validator
        .iter_errors(schema)
        .map(|err| {
            let at = err.instance_path().to_string();
            (
                at,
                format!(
                    "invalid schema: {}",
                    meta_message(&err.to_string(), schema, err.instance_path().as_str())
                ),
            )
        })
        .collect()
}

fn meta_message(raw: &str, schema: &Value, at: &str) -> String {
    // The meta-schema's own wording for a bad `type` is long; say what is allowed instead.
    if (at.ends_with("/type") || at == "/type")
        && let Some(Value::String(bad)) = schema.pointer(at)
    {
        const TYPES: &[&str] = &[
            "array", "boolean", "integer", "null", "number", "object", "string",
        ];
        let hint = did_you_mean(bad, TYPES.iter().copied()).unwrap_or_default();
        return format!(
            "`{bad}` is not a JSON Schema type (one of {}) {hint}",
            TYPES.join(", ")
        )
        .trim_end()
        .to_string();
    }
    raw.to_string()
}

/// Serves `file://` documents from the store; refuses everything else, so compiling never
/// touches the network or reads a file that was not checked at load.
/// The loaded documents by URI, shared by every schema compiled in one load: building it per
/// schema cost a copy of every document for every schema.
#[derive(Clone)]
struct StoreRetriever {
    docs: Arc<HashMap<String, Arc<Value>>>,
}

impl StoreRetriever {
    fn new(store: &DocumentStore) -> Self {
        let docs = store
            .documents()
            .map(|(path, doc)| (file_uri(path), Arc::clone(doc)))
            .collect();
        StoreRetriever {
            docs: Arc::new(docs),
        }
    }
}

impl jsonschema::Retrieve for StoreRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.docs
            .get(uri.as_str())
            .map(|doc| Value::clone(doc))
            .ok_or_else(|| format!("{uri} is not a local document Interlock loaded").into())
    }
}

pub(crate) fn serde_path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape_pointer_token(key))),
            Segment::Enum { variant } => {
                pointer.push_str(&format!("/{}", escape_pointer_token(variant)))
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

/// Serde's message, with a did-you-mean for unknown fields.
pub(crate) fn describe_serde_error(
    file: &Path,
    pointer: String,
    err: &impl std::fmt::Display,
) -> InputError {
    let message = err.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    let hint = unknown_field_hint(&message);
    InputError::at_pointer(file, pointer, message).with_hint_opt(hint)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", the closest expected name.
pub fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(field, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_keys() {
        for ok in ["200", "2XX", "2xx", "default", "422"] {
            assert!(is_status_key(ok), "{ok}");
        }
        for bad in ["20", "OK", "2X0", "1000"] {
            assert!(!is_status_key(bad), "{bad}");
        }
    }

    #[test]
    fn a_default_response_is_found_for_any_undeclared_status() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("error.json"),
            r#"{"type": "object", "required": ["error"]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("get.contract.json"),
            r#"{"interface": "erp.thing.get", "provider": "erp",
                "operation": {"method": "GET", "path": "/things/{id}"},
                "responses": {"2xx": {"body": {"type": "object"}},
                              "default": {"body": {"$ref": "error.json"}}}}"#,
        )
        .unwrap();
        let set = load_dir(dir.path()).unwrap_or_else(|err| panic!("{err}"));
        let contract = set.by_interface("erp.thing.get").unwrap();
        assert_eq!(contract.response_for(201).map(|(k, _)| k), Some("2XX"));
        let (key, spec) = contract.response_for(503).unwrap();
        assert_eq!(key, "default");
        let body = spec.body.as_ref().unwrap();
        assert!(!body.schema.violations(&serde_json::json!({})).is_empty());
        assert!(
            body.schema
                .violations(&serde_json::json!({"error": "x"}))
                .is_empty()
        );
    }

    #[test]
    fn unknown_field_gets_did_you_mean() {
        let hint = unknown_field_hint(
            "unknown field `consumer`, expected one of `interface`, `consumers`, `provider`",
        );
        assert_eq!(hint.as_deref(), Some("did you mean `consumers`?"));
    }

    #[test]
    fn bad_type_names_allowed_types() {
        let errs = meta_errors(
            jsonschema::Draft::Draft202012,
            &serde_json::json!({"properties": {"a": {"type": "strin"}}}),
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, "/properties/a/type");
        assert!(
            errs[0].1.contains("did you mean `string`?"),
            "{}",
            errs[0].1
        );
    }
}
