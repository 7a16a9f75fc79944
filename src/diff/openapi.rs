//! OpenAPI 3.0 / 3.1 and Swagger 2.0 documents → [`Operation`]s.
//!
//! Path items, parameters, request bodies, responses and headers may all be `$ref`s (into
//! `components`, `definitions` or other local files); each is followed, and one that leads
//! nowhere is an error with the file and pointer of the `$ref`. Path-level parameters apply to
//! every operation unless the operation redefines them. Swagger 2.0 `body` parameters become the
//! request body, `formData` parameters one object body, and `consumes` / `produces` its media
//! types.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::api::{Body, Operation, Param, Requirements, Response};
use super::compare::Wire;
use super::normalize::Normalizer;
use super::schema::{Node, Origin, TypeSet};
use crate::json::escape_pointer_token;
use crate::openapi::{METHODS, Version, param_schema_value};

/// Every operation of the document loaded as `file`, then its OpenAPI 3.1 webhooks.
pub(crate) fn operations(n: &mut Normalizer<'_>, file: usize, version: Version) -> Vec<Operation> {
    let doc = n.doc(file);
    let paths = match doc.get("paths") {
        Some(Value::Object(paths)) => Some(paths),
        Some(_) => {
            n.error(file, "/paths", "`paths` must be an object");
            return Vec::new();
        }
        None => None,
    };
    let webhooks = match doc.get("webhooks") {
        Some(Value::Object(hooks)) if version == Version::OpenApi31 => Some(hooks),
        Some(Value::Object(_)) | None => None,
        Some(_) => {
            n.error(file, "/webhooks", "`webhooks` must be an object");
            None
        }
    };
    let mut security = Security::read(n, file, &doc, version);
    let global_consumes = media_list(doc.get("consumes"));
    let global_produces = media_list(doc.get("produces"));
    let mut out = Vec::new();
    let items = paths
        .into_iter()
        .flatten()
        .map(|(path, item)| {
            (
                false,
                path,
                format!("/paths/{}", escape_pointer_token(path)),
                item,
            )
        })
        .chain(webhooks.into_iter().flatten().map(|(name, item)| {
            (
                true,
                name,
                format!("/webhooks/{}", escape_pointer_token(name)),
                item,
            )
        }));
    for (webhook, path, item_pointer, item) in items {
        let Some((item_file, item_pointer, item)) = follow(n, file, &item_pointer, item) else {
            continue;
        };
        let shared = params_list(n, item_file, &item_pointer, item.get("parameters"));
        for method in METHODS {
            let Some(op_value) = item.get(*method) else {
                continue;
            };
            let op_pointer = format!("{item_pointer}/{method}");
            let mut params = shared.clone();
            for p in params_list(n, item_file, &op_pointer, op_value.get("parameters")) {
                params.retain(|q| q.raw.key() != p.raw.key());
                params.push(p);
            }
            let ctx = OpContext {
                file: item_file,
                pointer: &op_pointer,
                op: op_value,
                version,
                consumes: media_list(op_value.get("consumes")).or(global_consumes.clone()),
                produces: media_list(op_value.get("produces")).or(global_produces.clone()),
            };
            let mut op = operation(n, &ctx, method, path, params);
            if webhook {
                op.webhook = true;
                op.key = format!("WEBHOOK {} {path}", op.method);
                if ctx.op.get("operationId").is_none() {
                    op.interface = format!("webhook {path}");
                }
                out.push(op);
                continue;
            }
            let (applied, pointer) = match op_value.get("security") {
                Some(list) => (Some(list), format!("{op_pointer}/security")),
                None => (doc.get("security"), "/security".to_string()),
            };
            for p in security.params(n, applied) {
                if op.params.iter().all(|q| q.key() != p.key()) {
                    op.params.push(p);
                }
            }
            op.security = Some(security.requirements(applied, pointer));
            out.push(op);
        }
    }
    out
}

struct OpContext<'a> {
    file: usize,
    pointer: &'a str,
    op: &'a Value,
    version: Version,
    consumes: Option<Vec<String>>,
    produces: Option<Vec<String>>,
}

/// `apiKey` security schemes, which put a header, query parameter or cookie on every request
/// they apply to: a parameter moved into a security scheme is still sent.
struct Security {
    file: usize,
    /// Scheme name → (pointer, location, parameter name).
    schemes: BTreeMap<String, (String, String, String)>,
    nodes: BTreeMap<String, usize>,
}

impl Security {
    fn read(n: &mut Normalizer<'_>, file: usize, doc: &Value, version: Version) -> Security {
        let base = if version == Version::Swagger2 {
            "/securityDefinitions"
        } else {
            "/components/securitySchemes"
        };
        let mut schemes = BTreeMap::new();
        if let Some(map) = doc.pointer(base).and_then(Value::as_object) {
            for (name, scheme) in map {
                let pointer = format!("{base}/{}", escape_pointer_token(name));
                let Some((f, p, v)) = follow(n, file, &pointer, scheme) else {
                    continue;
                };
                let _ = f;
                if v.get("type").and_then(Value::as_str) == Some("apiKey")
                    && let (Some(location), Some(param)) = (
                        v.get("in").and_then(Value::as_str),
                        v.get("name").and_then(Value::as_str),
                    )
                {
                    schemes.insert(name.clone(), (p, location.to_string(), param.to_string()));
                }
            }
        }
        Security {
            file,
            schemes,
            nodes: BTreeMap::new(),
        }
    }

    /// The requirements a `security` list states. Absent or empty: open, one empty
    /// alternative. An `apiKey` scheme every alternative needs is also a required parameter
    /// ([`Security::params`]), which already reports it when it is added.
    fn requirements(&self, security: Option<&Value>, pointer: String) -> Requirements {
        let mut alternatives: Vec<BTreeMap<String, BTreeSet<String>>> = security
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|alt| {
                alt.iter()
                    .map(|(name, scopes)| {
                        let scopes = scopes
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect();
                        (name.clone(), scopes)
                    })
                    .collect()
            })
            .collect();
        if alternatives.is_empty() {
            alternatives.push(BTreeMap::new());
        }
        alternatives.dedup();
        let as_parameters = self
            .schemes
            .keys()
            .filter(|name| alternatives.iter().all(|alt| alt.contains_key(*name)))
            .cloned()
            .collect();
        Requirements {
            alternatives,
            pointer,
            as_parameters,
        }
    }

    /// The parameters a `security` requirement list implies; one is required when every
    /// alternative of the list needs it.
    fn params(&mut self, n: &mut Normalizer<'_>, security: Option<&Value>) -> Vec<Param> {
        let Some(alternatives) = security.and_then(Value::as_array) else {
            return Vec::new();
        };
        let mut out: Vec<Param> = Vec::new();
        for (name, (pointer, location, param)) in &self.schemes {
            let uses = alternatives
                .iter()
                .filter(|alt| alt.get(name).is_some())
                .count();
            if uses == 0 {
                continue;
            }
            let schema = *self.nodes.entry(name.clone()).or_insert_with(|| {
                let mut node = Node::any(Origin {
                    file: self.file,
                    pointer: pointer.clone(),
                });
                node.types = Some(TypeSet::of(TypeSet::STRING));
                n.push_node(node)
            });
            out.push(Param {
                location: location.clone(),
                name: param.clone(),
                required: uses == alternatives.len(),
                deprecated: false,
                schema: Some(schema),
                file: self.file,
                pointer: pointer.clone(),
                wire: Wire::Text,
            });
        }
        out
    }
}

/// A parameter as read, before Swagger 2.0 body / formData parameters are split off.
#[derive(Clone)]
struct RawParam {
    raw: Param,
    file: usize,
    value: Value,
}

fn operation(
    n: &mut Normalizer<'_>,
    ctx: &OpContext<'_>,
    method: &str,
    path: &str,
    raw_params: Vec<RawParam>,
) -> Operation {
    let method_upper = method.to_ascii_uppercase();
    let interface = ctx
        .op
        .get("operationId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{method_upper} {path}"), String::from);
    let mut params = Vec::new();
    let mut body = None;
    let mut form: Vec<RawParam> = Vec::new();
    for p in raw_params {
        match p.raw.location.as_str() {
            "body" => {
                let media = ctx
                    .consumes
                    .clone()
                    .unwrap_or_else(|| vec!["application/json".to_string()]);
                let schema_pointer = format!("{}/schema", p.raw.pointer);
                let schema = n.schema_at(p.file, &schema_pointer);
                body = Some(Body {
                    required: p.raw.required,
                    content: media.into_iter().map(|m| (m, schema)).collect(),
                    file: p.file,
                    pointer: p.raw.pointer.clone(),
                });
            }
            "formData" => form.push(p),
            _ => params.push(p.raw),
        }
    }
    if !form.is_empty() {
        body = Some(form_body(n, ctx, form));
    }
    if ctx.version != Version::Swagger2
        && let Some(request_body) = ctx.op.get("requestBody")
    {
        let pointer = format!("{}/requestBody", ctx.pointer);
        if let Some((f, p, v)) = follow(n, ctx.file, &pointer, request_body) {
            body = Some(Body {
                required: v.get("required").and_then(Value::as_bool).unwrap_or(false),
                content: content(n, f, &p, &v),
                file: f,
                pointer: p,
            });
        }
    }
    let mut responses = BTreeMap::new();
    if let Some(map) = ctx.op.get("responses").and_then(Value::as_object) {
        for (status, response) in map {
            let pointer = format!("{}/responses/{}", ctx.pointer, escape_pointer_token(status));
            if let Some((f, p, v)) = follow(n, ctx.file, &pointer, response) {
                responses.insert(status.to_ascii_uppercase(), response_of(n, ctx, f, &p, &v));
            }
        }
    }
    Operation {
        key: format!("{method_upper} {path}"),
        interface,
        method: method_upper,
        path: path.to_string(),
        consumers: Vec::new(),
        file: ctx.file,
        pointer: ctx.pointer.to_string(),
        deprecated: ctx.op.get("deprecated") == Some(&Value::Bool(true)),
        params,
        additional_query: None,
        body,
        responses,
        security: None,
        webhook: false,
    }
}

fn response_of(
    n: &mut Normalizer<'_>,
    ctx: &OpContext<'_>,
    file: usize,
    pointer: &str,
    value: &Value,
) -> Response {
    let mut headers = Vec::new();
    if let Some(map) = value.get("headers").and_then(Value::as_object) {
        for (name, header) in map {
            let at = format!("{pointer}/headers/{}", escape_pointer_token(name));
            let Some((hf, hp, hv)) = follow(n, file, &at, header) else {
                continue;
            };
            let schema = if ctx.version == Version::Swagger2 {
                Some(n.schema(hf, &hp, &param_schema_value(&hv)))
            } else {
                param_schema(n, hf, &hp, &hv)
            };
            headers.push(Param {
                location: "header".to_string(),
                name: name.clone(),
                required: hv.get("required").and_then(Value::as_bool).unwrap_or(false),
                deprecated: hv.get("deprecated") == Some(&Value::Bool(true)),
                schema,
                file: hf,
                pointer: hp,
                wire: if hv.get("content").is_some() {
                    Wire::Json
                } else {
                    Wire::Text
                },
            });
        }
    }
    let body = if ctx.version == Version::Swagger2 {
        value.get("schema").map(|_| {
            let schema = n.schema_at(file, &format!("{pointer}/schema"));
            let media = ctx
                .produces
                .clone()
                .unwrap_or_else(|| vec!["application/json".to_string()]);
            Body {
                required: true,
                content: media.into_iter().map(|m| (m, schema)).collect(),
                file,
                pointer: format!("{pointer}/schema"),
            }
        })
    } else {
        value.get("content").map(|_| Body {
            required: true,
            content: content(n, file, pointer, value),
            file,
            pointer: format!("{pointer}/content"),
        })
    };
    Response {
        headers,
        body,
        pointer: pointer.to_string(),
    }
}

/// `content: {media: {schema}}` → schema per media type (a media type without a schema
/// accepts anything).
fn content(
    n: &mut Normalizer<'_>,
    file: usize,
    pointer: &str,
    value: &Value,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let Some(map) = value.get("content").and_then(Value::as_object) else {
        return out;
    };
    for (media, entry) in map {
        let at = format!("{pointer}/content/{}", escape_pointer_token(media));
        let id = if entry.get("schema").is_some() {
            n.schema_at(file, &format!("{at}/schema"))
        } else {
            n.schema(file, &at, &Value::Bool(true))
        };
        out.insert(media.to_ascii_lowercase(), id);
    }
    out
}

fn params_list(
    n: &mut Normalizer<'_>,
    file: usize,
    pointer: &str,
    value: Option<&Value>,
) -> Vec<RawParam> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        n.error(
            file,
            &format!("{pointer}/parameters"),
            "`parameters` must be an array",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{pointer}/parameters/{i}");
        let Some((pf, pp, pv)) = follow(n, file, &at, item) else {
            continue;
        };
        let (Some(name), Some(location)) = (
            pv.get("name").and_then(Value::as_str),
            pv.get("in").and_then(Value::as_str),
        ) else {
            n.error(pf, &pp, "a parameter needs a string `name` and `in`");
            continue;
        };
        let schema = match location {
            "body" => None,
            _ if pv.get("schema").is_some() || pv.get("content").is_some() => {
                param_schema(n, pf, &pp, &pv)
            }
            // Swagger 2.0: the parameter object itself carries `type`, `format`, `items`, …
            _ => Some(n.schema(pf, &pp, &param_schema_value(&pv))),
        };
        out.push(RawParam {
            raw: Param {
                location: location.to_string(),
                name: name.to_string(),
                required: location == "path"
                    || pv.get("required").and_then(Value::as_bool).unwrap_or(false),
                deprecated: pv.get("deprecated") == Some(&Value::Bool(true)),
                schema,
                file: pf,
                pointer: pp,
                wire: param_wire(location, &pv),
            },
            file: pf,
            value: pv,
        });
    }
    out
}

/// How a parameter's value is serialised: `content` is a JSON document; otherwise text,
/// exploded (one `name=value` per array item) for `form` query and cookie parameters unless
/// `explode: false`, and for Swagger 2.0 `collectionFormat: multi`.
fn param_wire(location: &str, value: &Value) -> Wire {
    if value.get("content").is_some() {
        return Wire::Json;
    }
    let style = value.get("style").and_then(Value::as_str);
    let form = match style {
        Some(style) => style == "form" || style == "deepObject",
        None => matches!(location, "query" | "cookie"),
    };
    let explode = value
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(form);
    let multi = value.get("collectionFormat").and_then(Value::as_str) == Some("multi");
    let swagger = value.get("schema").is_none() && value.get("type").is_some();
    if multi || explode && !swagger {
        Wire::TextExploded
    } else {
        Wire::Text
    }
}

/// A 3.x parameter or header's schema: `schema`, or the one schema under `content`.
fn param_schema(
    n: &mut Normalizer<'_>,
    file: usize,
    pointer: &str,
    value: &Value,
) -> Option<usize> {
    if value.get("schema").is_some() {
        return Some(n.schema_at(file, &format!("{pointer}/schema")));
    }
    let (media, _) = value.get("content")?.as_object()?.iter().next()?;
    Some(n.schema_at(
        file,
        &format!("{pointer}/content/{}/schema", escape_pointer_token(media)),
    ))
}

/// Swagger 2.0 `formData` parameters as one object body.
fn form_body(n: &mut Normalizer<'_>, ctx: &OpContext<'_>, form: Vec<RawParam>) -> Body {
    let mut node = Node::any(Origin {
        file: ctx.file,
        pointer: format!("{}/parameters", ctx.pointer),
    });
    node.types = Some(TypeSet::of(TypeSet::OBJECT));
    for p in &form {
        let id = n.schema(p.file, &p.raw.pointer, &param_schema_value(&p.value));
        node.properties.insert(p.raw.name.clone(), id);
        if p.raw.required {
            node.required.insert(p.raw.name.clone());
        }
    }
    let id = n.push_node(node);
    let media = ctx
        .consumes
        .clone()
        .unwrap_or_else(|| vec!["application/x-www-form-urlencoded".to_string()]);
    Body {
        required: form.iter().any(|p| p.raw.required),
        content: media.into_iter().map(|m| (m, id)).collect(),
        file: ctx.file,
        pointer: format!("{}/parameters", ctx.pointer),
    }
}

/// Follows a `$ref` (possibly a chain of them) on an OpenAPI object that is not a schema.
fn follow(
    n: &mut Normalizer<'_>,
    mut file: usize,
    pointer: &str,
    value: &Value,
) -> Option<(usize, String, Value)> {
    let mut pointer = pointer.to_string();
    let mut value = value.clone();
    for _ in 0..32 {
        let Some(reference) = value.get("$ref") else {
            return Some((file, pointer, value));
        };
        let ref_pointer = format!("{pointer}/$ref");
        let Some(reference) = reference.as_str() else {
            n.error(file, &ref_pointer, "`$ref` must be a string");
            return None;
        };
        let (tf, tp) = n.resolve(file, &ref_pointer, reference)?;
        let doc = n.doc(tf);
        value = doc.pointer(&tp)?.clone();
        file = tf;
        pointer = tp;
    }
    n.error(
        file,
        &pointer,
        "`$ref` chain longer than 32 links (a reference cycle?)",
    );
    None
}

fn media_list(value: Option<&Value>) -> Option<Vec<String>> {
    let items = value?.as_array()?;
    let list: Vec<String> = items
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_ascii_lowercase)
        .collect();
    (!list.is_empty()).then_some(list)
}

/// `/accounts/{id}` and `/accounts/{accountId}` are the same operation.
pub(crate) fn template_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_key_ignores_parameter_names() {
        assert_eq!(template_key("/a/{id}/b/{x}"), "/a/{}/b/{}");
        assert_eq!(
            template_key("/a/{accountId}/b/{y}"),
            template_key("/a/{id}/b/{x}")
        );
    }
}
