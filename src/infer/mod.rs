//! `interlock infer`: draft contracts from recorded traffic.
//!
//! Exchanges are grouped by method and path template: a path segment that looks like an id
//! (digits, a UUID, `C-10023`, `INV-2026-000318`) becomes a parameter named after the segment
//! before it (`/customers/{customer_id}`). Each group becomes one contract whose request body,
//! query parameters, `x-*` request headers and response bodies (per status) are JSON Schemas
//! inferred from every sample by [`schema::Shape`]. The contracts are marked as drafts
//! (`metadata.draft`, a `$comment`) for a person to review before anything relies on them.
//!
//! Output is written like `interlock import openapi` writes: only when every draft loads as a
//! contract set, each file atomically.

pub(crate) mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::recording::{self, Exchange};
use schema::{Settings, Shape};

/// The provider of a recording: the `peer` its exchanges name, else its file name.
pub(crate) fn default_provider(path: &Path, rec: &recording::Recording) -> String {
    let peers: BTreeSet<&str> = rec.iter().filter_map(|e| e.peer.as_deref()).collect();
    if let [peer] = peers.into_iter().collect::<Vec<_>>().as_slice() {
        return (*peer).to_string();
    }
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.split('.').next().unwrap_or(n))
        .unwrap_or("");
    let slug = crate::import::openapi::slug(stem);
    if slug.is_empty() {
        "api".to_string()
    } else {
        slug
    }
}

/// Everything learnt about one operation.
#[derive(Default)]
struct Group {
    provider: String,
    method: String,
    template: String,
    interfaces: BTreeSet<Option<String>>,
    sources: BTreeSet<String>,
    samples: usize,
    request: Shape,
    query: Shape,
    headers: Shape,
    responses: BTreeMap<u16, (usize, Shape)>,
}

/// Draft contracts, by file name, for `(provider, recording file, exchange)` triples.
pub(crate) fn draft(
    exchanges: &[(String, String, Exchange)],
    settings: &Settings,
) -> BTreeMap<String, Value> {
    let mut groups: BTreeMap<(String, String, String), Group> = BTreeMap::new();
    for (provider, source, exchange) in exchanges {
        let method = exchange.request.method.to_ascii_uppercase();
        let template = path_template(exchange.request.path());
        let group = groups
            .entry((provider.clone(), template.clone(), method.clone()))
            .or_insert_with(|| Group {
                provider: provider.clone(),
                method,
                template,
                ..Group::default()
            });
        group.sources.insert(source.clone());
        learn(group, exchange);
    }
    let mut out = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for group in groups.values() {
        let base = interface(group);
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        out.insert(
            format!("{id}.contract.json"),
            contract(group, &id, settings),
        );
    }
    out
}

fn learn(group: &mut Group, exchange: &Exchange) {
    group.samples += 1;
    group.interfaces.insert(exchange.interface.clone());
    if let Some(body) = exchange.request.body.json() {
        group.request.add(body);
    }
    let query: Map<String, Value> = exchange
        .request
        .query()
        .into_iter()
        .map(|(k, v)| (k, wire_value(&v)))
        .collect();
    group.query.add(&Value::Object(query));
    let headers: Map<String, Value> = exchange
        .request
        .headers
        .iter()
        .filter(|(name, _)| name.starts_with("x-"))
        .map(|(name, value)| (name.clone(), json!(value.first())))
        .collect();
    group.headers.add(&Value::Object(headers));
    let (count, shape) = group.responses.entry(exchange.response.status).or_default();
    *count += 1;
    if let Some(body) = exchange.response.body.json() {
        shape.add(body);
    }
}

/// A query value as the type it spells: `20` an integer, `true` a boolean, else a string.
fn wire_value(raw: &str) -> Value {
    if let Ok(n) = raw.parse::<i64>() {
        return json!(n);
    }
    match raw {
        "true" => json!(true),
        "false" => json!(false),
        _ => json!(raw),
    }
}

/// The interface id: the one the samples were recorded with, else provider, method and path.
fn interface(group: &Group) -> String {
    if let [Some(recorded)] = group.interfaces.iter().collect::<Vec<_>>().as_slice() {
        return recorded.clone();
    }
    let path = crate::import::openapi::slug(&group.template.replace(['{', '}'], ""));
    format!(
        "{}.{}-{}",
        group.provider,
        group.method.to_ascii_lowercase(),
        if path.is_empty() { "root" } else { &path }
    )
}

fn contract(group: &Group, id: &str, settings: &Settings) -> Value {
    let mut request = Map::new();
    let params = |shape: &Shape| -> Map<String, Value> {
        let required: BTreeSet<String> = shape.required();
        shape
            .properties()
            .map(|(name, prop)| {
                let mut spec = Map::new();
                if required.contains(name) {
                    spec.insert("required".into(), json!(true));
                }
                spec.insert("schema".into(), prop.to_schema(settings));
                (name.clone(), Value::Object(spec))
            })
            .collect()
    };
    let query = params(&group.query);
    if !query.is_empty() {
        request.insert("query".into(), Value::Object(query));
    }
    let headers = params(&group.headers);
    if !headers.is_empty() {
        request.insert("headers".into(), Value::Object(headers));
    }
    if !group.request.is_empty() {
        request.insert("body".into(), group.request.to_schema(settings));
    }
    let mut responses = Map::new();
    for (status, (count, shape)) in &group.responses {
        let mut spec = Map::new();
        spec.insert(
            "description".into(),
            json!(format!(
                "Seen {count} {}",
                if *count == 1 { "time" } else { "times" }
            )),
        );
        if !shape.is_empty() {
            spec.insert("body".into(), shape.to_schema(settings));
        }
        responses.insert(status.to_string(), Value::Object(spec));
    }
    let mut contract = Map::new();
    contract.insert(
        "$comment".into(),
        json!(format!(
            "Draft inferred by `interlock infer` from {} recorded exchanges: review before use",
            group.samples
        )),
    );
    contract.insert("interface".into(), json!(id));
    contract.insert(
        "summary".into(),
        json!(format!(
            "{} {} (inferred draft)",
            group.method, group.template
        )),
    );
    contract.insert("provider".into(), json!(group.provider));
    contract.insert(
        "operation".into(),
        json!({"method": group.method, "path": group.template}),
    );
    if !request.is_empty() {
        contract.insert("request".into(), Value::Object(request));
    }
    contract.insert("responses".into(), Value::Object(responses));
    contract.insert(
        "metadata".into(),
        json!({"draft": true, "samples": group.samples, "inferred_from": group.sources}),
    );
    Value::Object(contract)
}

/// `/erp/v2/receivables/INV-2026-000318` → `/erp/v2/receivables/{receivable_id}`.
pub(crate) fn path_template(path: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut names = BTreeSet::new();
    for segment in path.split('/') {
        if !is_id(segment) {
            out.push(segment.to_string());
            continue;
        }
        let base = out
            .last()
            .filter(|prev| !prev.starts_with('{'))
            .map(|prev| singular(prev))
            .filter(|s| !s.is_empty())
            .map_or_else(|| "id".to_string(), |s| format!("{s}_id"));
        let mut name = base.clone();
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        out.push(format!("{{{name}}}"));
    }
    let template = out.join("/");
    if template.is_empty() {
        "/".to_string()
    } else {
        template
    }
}

/// Whether a path segment is an identifier rather than a fixed word: all digits, a UUID, a long
/// hex string, or a code mixing letters and digits (`C-10023`), but not a version (`v2`).
fn is_id(segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    let digits = segment.chars().filter(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let version = segment.len() > 1
        && segment.starts_with(['v', 'V'])
        && segment[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
    if version {
        return false;
    }
    // Numbers, UUIDs and hex strings are all such codes.
    segment
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn singular(word: &str) -> String {
    let word = crate::import::openapi::slug(word).replace('-', "_");
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = word.strip_suffix('s')
        && !word.ends_with("ss")
    {
        stem.to_string()
    } else {
        word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_segments_become_parameters() {
        assert_eq!(
            path_template("/erp/v2/receivables/INV-2026-000318"),
            "/erp/v2/receivables/{receivable_id}"
        );
        assert_eq!(
            path_template("/api/v1/customers/C-10023/notes/12"),
            "/api/v1/customers/{customer_id}/notes/{note_id}"
        );
        assert_eq!(
            path_template("/x/550e8400-e29b-41d4-a716-446655440000"),
            "/x/{x_id}"
        );
        assert_eq!(
            path_template("/opportunities/7/7"),
            "/opportunities/{opportunity_id}/{id}"
        );
        assert_eq!(path_template("/"), "/");
    }
}
