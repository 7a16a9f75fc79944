//! One side of a diff as operations: each binds normalised schemas to its messages.
//!
//! Contracts, OpenAPI documents and bare schema files all become an [`Api`], so the comparison
//! is written once and reports at the operation level (request, or response with its status),
//! never as a free-floating "schema changed".

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::compare::Wire;
use super::normalize::{Normalizer, Quirk};
use super::schema::{Arena, NodeId};
use crate::json::escape_pointer_token;

/// Every operation of one side, with the arena its schemas live in.
#[derive(Debug, Default)]
pub(crate) struct Api {
    pub operations: Vec<Operation>,
    pub arena: Arena,
    /// Harmless quirks that were tolerated, for warnings.
    pub quirks: Vec<Quirk>,
}

/// One operation (or, for bare schema files, the single message being compared).
#[derive(Debug, Clone, Default)]
pub(crate) struct Operation {
    /// What the two sides are matched by: the interface id of a contract, `METHOD /path/{}` for
    /// an OpenAPI operation.
    pub key: String,
    /// Interface id (contract), `operationId` or `METHOD /path` (OpenAPI), file name (schema).
    pub interface: String,
    /// Upper-case method, empty for a bare schema.
    pub method: String,
    pub path: String,
    /// Who reads responses and writes requests (from contract metadata).
    pub consumers: Vec<String>,
    pub file: usize,
    pub pointer: String,
    pub deprecated: bool,
    pub params: Vec<Param>,
    /// Contracts only: whether unknown query parameters are accepted.
    pub additional_query: Option<bool>,
    pub body: Option<Body>,
    /// By status key (`200`, `2XX`, `DEFAULT`); a bare response schema uses the key `""`.
    pub responses: BTreeMap<String, Response>,
    /// OpenAPI: the security requirements that apply (operation-level, else global); `None`
    /// where the input says nothing about security (contracts, schema files).
    pub security: Option<Requirements>,
    /// An OpenAPI 3.1 webhook: the provider sends the request and reads the subscriber's
    /// response, so both messages are judged in the reverse direction.
    pub webhook: bool,
}

/// Security requirements: any one alternative suffices; each names schemes (all needed) with
/// the scopes they need. An open operation is one alternative needing nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Requirements {
    pub alternatives: Vec<BTreeMap<String, BTreeSet<String>>>,
    /// The pointer of the `security` that applies (`/security` when global).
    pub pointer: String,
    /// `apiKey` schemes every alternative needs: each is also a required header, query
    /// parameter or cookie of the operation, reported as such when it is added.
    pub as_parameters: BTreeSet<String>,
}

impl Operation {
    /// `GET /customers/{id}`, or empty for a bare schema.
    pub(crate) fn display(&self) -> String {
        if self.method.is_empty() {
            String::new()
        } else if self.webhook {
            format!("{} webhook {}", self.method, self.path)
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

/// A request parameter or a header.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    /// `query`, `header`, `path` or `cookie`.
    pub location: String,
    pub name: String,
    pub required: bool,
    pub deprecated: bool,
    pub schema: Option<NodeId>,
    /// The file (arena file id) and pointer the parameter is written at.
    pub file: usize,
    pub pointer: String,
    /// How its value travels: text (exploded or not), or a JSON document (`content`).
    pub wire: Wire,
}

impl Param {
    /// Header names compare case-insensitively.
    pub(crate) fn key(&self) -> (String, String) {
        if self.location == "header" {
            (self.location.clone(), self.name.to_ascii_lowercase())
        } else {
            (self.location.clone(), self.name.clone())
        }
    }
}

/// A message body: one schema per media type.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body {
    pub required: bool,
    pub content: BTreeMap<String, NodeId>,
    pub file: usize,
    pub pointer: String,
}

/// What one response status carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Response {
    pub headers: Vec<Param>,
    pub body: Option<Body>,
    pub pointer: String,
}

/// The media type contracts use for their bodies.
pub(crate) const CONTRACT_MEDIA_TYPE: &str = "application/json";

/// Builds an operation from a contract document (already validated, or validated here for the
/// fields the diff needs).
pub(crate) fn contract_operation(n: &mut Normalizer<'_>, file: usize) -> Option<Operation> {
    let doc = n.doc(file);
    let mut field = |name: &str| -> Option<String> {
        match doc.get(name).and_then(Value::as_str) {
            Some(s) => Some(s.to_string()),
            None => {
                n.error(
                    file,
                    &format!("/{name}"),
                    format!("a contract needs a string `{name}`"),
                );
                None
            }
        }
    };
    let interface = field("interface");
    let provider = field("provider");
    let method = doc.pointer("/operation/method").and_then(Value::as_str);
    let path = doc.pointer("/operation/path").and_then(Value::as_str);
    let (Some(interface), Some(_provider), Some(method), Some(path)) =
        (interface, provider, method, path)
    else {
        if method.is_none() || path.is_none() {
            n.error(
                file,
                "/operation",
                "a contract needs `operation: {method, path}`",
            );
        }
        return None;
    };
    let consumers = doc
        .get("consumers")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let mut params = contract_params(n, file, &doc, "/request/query", "query");
    params.extend(contract_params(n, file, &doc, "/request/headers", "header"));
    let body = doc.pointer("/request/body").map(|_| Body {
        required: true,
        content: BTreeMap::from([(
            CONTRACT_MEDIA_TYPE.to_string(),
            n.schema_at(file, "/request/body"),
        )]),
        file,
        pointer: "/request/body".to_string(),
    });
    let mut responses = BTreeMap::new();
    if let Some(map) = doc.get("responses").and_then(Value::as_object) {
        for status in map.keys() {
            let base = format!("/responses/{}", escape_pointer_token(status));
            let body_pointer = format!("{base}/body");
            let body = doc.pointer(&body_pointer).map(|_| Body {
                required: true,
                content: BTreeMap::from([(
                    CONTRACT_MEDIA_TYPE.to_string(),
                    n.schema_at(file, &body_pointer),
                )]),
                file,
                pointer: body_pointer.clone(),
            });
            let headers = contract_params(n, file, &doc, &format!("{base}/headers"), "header");
            responses.insert(
                status.to_ascii_uppercase(),
                Response {
                    headers,
                    body,
                    pointer: base,
                },
            );
        }
    }
    let additional_query = doc
        .pointer("/request/additional_query")
        .and_then(Value::as_bool)
        .or(Some(true));
    Some(Operation {
        key: interface.clone(),
        interface,
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        consumers,
        file,
        pointer: String::new(),
        deprecated: false,
        params,
        additional_query,
        body,
        responses,
        security: None,
        webhook: false,
    })
}

fn contract_params(
    n: &mut Normalizer<'_>,
    file: usize,
    doc: &Value,
    base: &str,
    location: &str,
) -> Vec<Param> {
    let Some(map) = doc.pointer(base).and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, p)| {
            let pointer = format!("{base}/{}", escape_pointer_token(name));
            let schema = p
                .get("schema")
                .map(|_| n.schema_at(file, &format!("{pointer}/schema")));
            Param {
                location: location.to_string(),
                name: name.clone(),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                deprecated: false,
                schema,
                file,
                pointer,
                // Contract query parameters repeat their name per array item.
                wire: if location == "query" {
                    Wire::TextExploded
                } else {
                    Wire::Text
                },
            }
        })
        .collect()
}
