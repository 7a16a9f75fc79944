//! `interlock import openapi`: an OpenAPI 3.0 / 3.1 or Swagger 2.0 document → contracts.
//!
//! Every operation becomes one contract file, `DIR/<operationId>.contract.json`; every reusable
//! schema (`components/schemas`, Swagger 2.0 `definitions`) becomes `DIR/schemas/<Name>.json`,
//! referenced with a relative `$ref`. Schemas are rewritten for JSON Schema 2020-12 (see
//! [`SchemaConverter`]): 3.0 `nullable` becomes a type array, `example` becomes `examples`, the
//! boolean `exclusiveMinimum` form becomes the numeric one, Swagger's `type: file` a string.
//!
//! Parameters, request bodies, responses and headers may be `$ref`s to `components`; they are
//! followed and written inline. Path parameters are part of the operation's path template,
//! prefixed with the base path (Swagger 2.0 `basePath`, the path of the first 3.x server URL);
//! query and header parameters become the contract's `request.query` / `request.headers`; JSON
//! request and response bodies (`application/json`, `*+json`) become body schemas.
//!
//! Nothing is written until the whole document converted and the result loaded as a contract
//! set (schemas meta-checked and compiled, every reference resolved) in a scratch folder; then
//! the files are written one by one, atomically. Detection of the OpenAPI version is shared with
//! `interlock diff` ([`crate::openapi::version`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::{Error, InputError, did_you_mean};
use crate::json::{escape_pointer_token, unescape_pointer_token};
use crate::openapi::{METHODS, Version, version};

mod schema;

use schema::{Place, SchemaConverter};

const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";
/// OpenAPI says these header parameters are ignored: the media types and security carry them.
const IGNORED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];

/// How to convert.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub provider: Option<String>,
    pub consumers: Vec<String>,
    pub lenient: bool,
}

/// The files an import writes, by path relative to the output folder.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub contracts: BTreeMap<String, Value>,
    pub schemas: BTreeMap<String, Value>,
    /// Quirks repaired under `--lenient`, one line each.
    pub quirks: BTreeSet<String>,
    /// Where in the spec each file comes from (path relative to the output folder → pointer).
    pub origins: BTreeMap<String, String>,
}

/// Converts a parsed document; every problem is reported with its pointer.
pub(crate) fn convert(spec: &Path, doc: &Value, options: &Options) -> Result<Converted, Error> {
    let version = match version(doc) {
        Some(Ok(v)) => v,
        Some(Err(message)) => {
            let pointer = if doc.get("swagger").is_some() {
                "/swagger"
            } else {
                "/openapi"
            };
            return Err(InputError::at_pointer(spec, pointer, message).into());
        }
        None => return Err(not_openapi(spec, doc).into()),
    };
    let mut c = Converter::new(spec, doc, version, options);
    c.schemas();
    c.operations();
    if !c.errors.is_empty() {
        // A `$ref`'d parameter or response is read once per operation using it: report once.
        let mut seen = BTreeSet::new();
        c.errors.retain(|e| seen.insert(e.to_string()));
        return Err(Error::Input(c.errors));
    }
    Ok(Converted {
        contracts: c.contracts,
        schemas: c.schema_files,
        quirks: c.quirks,
        origins: c.origins,
    })
}

fn not_openapi(spec: &Path, doc: &Value) -> InputError {
    let found = match doc {
        Value::Object(map) if map.contains_key("log") => {
            "a HAR capture (`log`); import it with `interlock import har`".to_string()
        }
        Value::Object(map) if map.is_empty() => "an empty object".to_string(),
        Value::Object(map) => format!(
            "an object with keys {}",
            map.keys()
                .take(5)
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => crate::json::described_type(other).to_string(),
    };
    InputError::in_file(
        spec,
        format!(
            "not an OpenAPI document: expected an object with `openapi: 3.0.x|3.1.x` or \
             `swagger: \"2.0\"`, found {found}"
        ),
    )
}

/// Writes the converted files into `out`: first into a scratch folder beside it, which must
/// load as a contract set, then each file atomically into place.
///
/// A converted file that does not load is a problem of the spec: it is reported at the spec's
/// pointer the file came from (a shared schema's pointer plus the pointer inside it), and once,
/// though every contract using a broken shared schema fails on it.
pub(crate) fn write(converted: &Converted, spec: &Path, out: &Path) -> Result<(), Error> {
    let files: BTreeMap<&String, &Value> = converted
        .contracts
        .iter()
        .chain(&converted.schemas)
        .collect();
    write_files(&files, out).map_err(|err| match err {
        Error::Input(errors) => Error::Input(in_spec(errors, converted, spec, out)),
        other => other,
    })
}

/// Errors about converted files, moved onto the spec; schema files first, each problem once.
fn in_spec(
    errors: Vec<InputError>,
    converted: &Converted,
    spec: &Path,
    out: &Path,
) -> Vec<InputError> {
    let mut placed: Vec<(bool, InputError)> = errors
        .into_iter()
        .map(|mut e| {
            let relative = e
                .file
                .strip_prefix(out)
                .ok()
                .map(|rest| rest.to_string_lossy().replace('\\', "/"));
            let origin = relative
                .as_ref()
                .and_then(|rest| converted.origins.get(rest).map(|o| (rest, o)));
            let Some((relative, origin)) = origin else {
                return (false, e);
            };
            let shared = converted.schemas.contains_key(relative);
            let inner = match (&e.position, shared) {
                (crate::error::Position::Pointer(p), true) => p.clone(),
                _ => String::new(),
            };
            e.file = spec.to_path_buf();
            e.position = crate::error::Position::Pointer(format!("{origin}{inner}"));
            (shared, e)
        })
        .collect();
    placed.sort_by_key(|(shared, _)| !shared);
    let mut seen = BTreeSet::new();
    placed
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| seen.insert(e.message.clone()))
        .collect()
}

/// Writes contract files (path relative to `out` → JSON) so that either all of them are
/// written or none: they must first load as a contract set from a scratch folder.
pub(crate) fn write_files(files: &BTreeMap<&String, &Value>, out: &Path) -> Result<(), Error> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|err| Error::io("create folder", &parent, &err))?;
    let scratch = tempfile::Builder::new()
        .prefix(".interlock-import-")
        .tempdir_in(&parent)
        .map_err(|err| Error::io("create a temporary folder in", &parent, &err))?;
    for (relative, value) in files {
        write_json(&scratch.path().join(relative), value)?;
    }
    crate::contract::load_dir(scratch.path()).map_err(|err| match err {
        Error::Input(errors) => Error::Input(
            errors
                .into_iter()
                .map(|mut e| {
                    if let Ok(rest) = e.file.strip_prefix(scratch.path()) {
                        e.file = out.join(rest);
                    }
                    e.message = format!("imported contract does not load: {}", e.message);
                    e
                })
                .collect(),
        ),
        other => other,
    })?;
    for (relative, value) in files {
        write_json(&out.join(relative), value)?;
    }
    Ok(())
}

fn write_json(path: &Path, value: &Value) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|err| Error::environment(format!("cannot serialise {}: {err}", path.display())))?;
    text.push('\n');
    crate::fsutil::write_atomic(path, text.as_bytes())
}

/// State of one conversion.
struct Converter<'a> {
    spec: &'a Path,
    doc: &'a Value,
    version: Version,
    options: &'a Options,
    provider: String,
    /// Prefix of every path: Swagger 2.0 `basePath`, the path of the first 3.x server URL.
    base_path: String,
    /// Reusable schema name → file name under `schemas/`.
    names: BTreeMap<String, String>,
    contracts: BTreeMap<String, Value>,
    schema_files: BTreeMap<String, Value>,
    origins: BTreeMap<String, String>,
    interfaces: BTreeSet<String>,
    errors: Vec<InputError>,
    quirks: BTreeSet<String>,
}

impl<'a> Converter<'a> {
    fn new(spec: &'a Path, doc: &'a Value, version: Version, options: &'a Options) -> Self {
        let provider = options.provider.clone().unwrap_or_else(|| {
            // `Invoice Ninja API Reference - Where …` → `invoice-ninja-api-reference`.
            let title = doc.pointer("/info/title").and_then(Value::as_str);
            let name = title
                .unwrap_or("")
                .split([':', '(', '|', '—'])
                .next()
                .unwrap_or("")
                .split(" - ")
                .next()
                .unwrap_or("");
            let slug = slug(name);
            if slug.is_empty() {
                "api".to_string()
            } else {
                slug
            }
        });
        let mut names = BTreeMap::new();
        let mut taken = BTreeSet::new();
        if let Some(map) = doc
            .pointer(schemas_pointer(version))
            .and_then(Value::as_object)
        {
            for name in map.keys() {
                let stem = unique(&file_stem(name), &mut taken);
                names.insert(name.clone(), format!("{stem}.json"));
            }
        }
        Converter {
            spec,
            doc,
            version,
            options,
            provider,
            base_path: base_path(doc, version),
            names,
            contracts: BTreeMap::new(),
            schema_files: BTreeMap::new(),
            origins: BTreeMap::new(),
            interfaces: BTreeSet::new(),
            errors: Vec::new(),
            quirks: BTreeSet::new(),
        }
    }

    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors
            .push(InputError::at_pointer(self.spec, pointer, message));
    }

    /// Every reusable schema → `schemas/<Name>.json`.
    fn schemas(&mut self) {
        let base = schemas_pointer(self.version);
        let Some(map) = self.doc.pointer(base).and_then(Value::as_object) else {
            return;
        };
        for (name, schema) in map {
            let pointer = format!("{base}/{}", escape_pointer_token(name));
            let mut converted = self.schema(schema, &pointer, Place::SchemaFile);
            if let Value::Object(obj) = &mut converted {
                obj.shift_insert(0, "$schema".to_string(), json!(DIALECT));
            } else {
                converted = json!({"$schema": DIALECT, "allOf": [converted]});
            }
            if let Some(file) = self.names.get(name) {
                let file = format!("schemas/{file}");
                self.origins.insert(file.clone(), pointer);
                self.schema_files.insert(file, converted);
            }
        }
    }

    fn operations(&mut self) {
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            if self.doc.get("paths").is_some() {
                self.error("/paths", "`paths` must be an object");
            }
            return;
        };
        for (path, item) in paths {
            let item_pointer = format!("/paths/{}", escape_pointer_token(path));
            let Some((item_pointer, item)) = self.follow(&item_pointer, item) else {
                continue;
            };
            let shared = item.get("parameters");
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    let pointer = format!("{item_pointer}/{method}");
                    self.operation(path, method, &pointer, op, shared, &item_pointer);
                }
            }
        }
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        pointer: &str,
        op: &'a Value,
        shared: Option<&'a Value>,
        item_pointer: &str,
    ) {
        let (template, renamed) = path_template(&format!("{}{path}", self.base_path));
        let op_id = op.get("operationId").and_then(Value::as_str);
        let base = op_id.map_or_else(|| format!("{method}{}", slug_path(path)), slug_keep_case);
        let name = unique(&base, &mut self.interfaces);
        let mut params = self.parameters(shared, &format!("{item_pointer}/parameters"));
        for (key, param) in self.parameters(op.get("parameters"), &format!("{pointer}/parameters"))
        {
            params.insert(key, param);
        }
        let mut request = Map::new();
        let mut query = Map::new();
        let mut headers = Map::new();
        let mut body = None;
        for ((location, pname), (ppointer, param)) in &params {
            match location.as_str() {
                "query" => {
                    query.insert(pname.clone(), self.param_spec(param, ppointer));
                }
                "header" if !IGNORED_HEADERS.contains(&pname.to_ascii_lowercase().as_str()) => {
                    headers.insert(pname.to_ascii_lowercase(), self.param_spec(param, ppointer));
                }
                "body" if self.version == Version::Swagger2 && self.takes_json(op, "consumes") => {
                    if let Some(schema) = param.get("schema") {
                        body = Some(self.schema(
                            schema,
                            &format!("{ppointer}/schema"),
                            Place::Contract,
                        ));
                    }
                }
                _ => {}
            }
        }
        if self.version != Version::Swagger2
            && let Some(request_body) = op.get("requestBody")
            && let Some((rb_pointer, rb)) =
                self.follow(&format!("{pointer}/requestBody"), request_body)
        {
            body = self.json_content(rb, &rb_pointer);
        }
        if !query.is_empty() {
            request.insert("query".into(), Value::Object(query));
        }
        if !headers.is_empty() {
            request.insert("headers".into(), Value::Object(headers));
        }
        if let Some(body) = body {
            request.insert("body".into(), body);
        }
        let responses = self.responses(op, pointer);
        let mut contract = Map::new();
        contract.insert("$schema".into(), json!(DIALECT));
        contract.insert(
            "interface".into(),
            json!(format!("{}.{name}", self.provider)),
        );
        if let Some(summary) = summary(op) {
            contract.insert("summary".into(), json!(summary));
        }
        contract.insert("provider".into(), json!(self.provider));
        contract.insert("consumers".into(), json!(self.options.consumers));
        contract.insert(
            "operation".into(),
            json!({"method": method.to_ascii_uppercase(), "path": template}),
        );
        if !request.is_empty() {
            contract.insert("request".into(), Value::Object(request));
        }
        contract.insert("responses".into(), Value::Object(responses));
        let mut metadata = Map::new();
        metadata.insert(
            "source".into(),
            json!(self.spec.file_name().map(|n| n.to_string_lossy())),
        );
        metadata.insert("pointer".into(), json!(pointer));
        if let Some(id) = op_id {
            metadata.insert("operationId".into(), json!(id));
        }
        if path != template {
            metadata.insert("openapi_path".into(), json!(path));
        }
        if !renamed.is_empty() {
            metadata.insert("merged_parameters".into(), json!(renamed));
        }
        if op.get("deprecated") == Some(&Value::Bool(true)) {
            metadata.insert("deprecated".into(), json!(true));
        }
        contract.insert("metadata".into(), Value::Object(metadata));
        let file = format!("{name}.contract.json");
        self.origins.insert(file.clone(), pointer.to_string());
        self.contracts.insert(file, Value::Object(contract));
    }

    /// Parameters by (location, name), later lists overriding earlier ones.
    fn parameters(
        &mut self,
        list: Option<&'a Value>,
        pointer: &str,
    ) -> BTreeMap<(String, String), (String, &'a Value)> {
        let mut out = BTreeMap::new();
        let Some(list) = list else {
            return out;
        };
        let Some(items) = list.as_array() else {
            self.error(pointer, "`parameters` must be an array");
            return out;
        };
        for (i, item) in items.iter().enumerate() {
            let Some((at, param)) = self.follow(&format!("{pointer}/{i}"), item) else {
                continue;
            };
            match (
                param.get("in").and_then(Value::as_str),
                param.get("name").and_then(Value::as_str),
            ) {
                (Some(location), Some(name)) => {
                    out.insert((location.to_string(), name.to_string()), (at, param));
                }
                _ => self.error(&at, "a parameter needs a string `name` and `in`"),
            }
        }
        out
    }

    /// A query or header parameter → `{required, schema, description}`.
    fn param_spec(&mut self, param: &Value, pointer: &str) -> Value {
        let mut spec = Map::new();
        if param.get("required") == Some(&Value::Bool(true)) {
            spec.insert("required".into(), json!(true));
        }
        let schema = if let Some(schema) = param.get("schema") {
            Some(self.schema(schema, &format!("{pointer}/schema"), Place::Contract))
        } else if let Some((media, entry)) = param
            .get("content")
            .and_then(Value::as_object)
            .and_then(|m| m.iter().next())
        {
            entry.get("schema").map(|s| {
                let at = format!("{pointer}/content/{}/schema", escape_pointer_token(media));
                self.schema(s, &at, Place::Contract)
            })
        } else if self.version == Version::Swagger2 && param.get("type").is_some() {
            Some(self.schema(
                &crate::openapi::param_schema_value(param),
                pointer,
                Place::Contract,
            ))
        } else {
            None
        };
        if let Some(schema) = schema {
            spec.insert("schema".into(), schema);
        }
        if let Some(description) = param.get("description").and_then(Value::as_str) {
            spec.insert("description".into(), json!(description));
        }
        Value::Object(spec)
    }

    fn responses(&mut self, op: &'a Value, pointer: &str) -> Map<String, Value> {
        let mut out = Map::new();
        let Some(map) = op.get("responses").and_then(Value::as_object) else {
            return out;
        };
        for (status, response) in map {
            if status.starts_with("x-") {
                continue;
            }
            let at = format!("{pointer}/responses/{}", escape_pointer_token(status));
            let Some((at, response)) = self.follow(&at, response) else {
                continue;
            };
            let mut spec = Map::new();
            if let Some(description) = response.get("description").and_then(Value::as_str) {
                spec.insert("description".into(), json!(description));
            }
            let mut headers = Map::new();
            if let Some(map) = response.get("headers").and_then(Value::as_object) {
                for (name, header) in map {
                    let hp = format!("{at}/headers/{}", escape_pointer_token(name));
                    let Some((hp, header)) = self.follow(&hp, header) else {
                        continue;
                    };
                    let swagger2_header;
                    let header = if self.version == Version::Swagger2 {
                        swagger2_header = json!({
                            "schema": crate::openapi::param_schema_value(header),
                            "description": header.get("description"),
                        });
                        &swagger2_header
                    } else {
                        header
                    };
                    let param = self.param_spec(header, &hp);
                    headers.insert(name.to_ascii_lowercase(), param);
                }
            }
            if !headers.is_empty() {
                spec.insert("headers".into(), Value::Object(headers));
            }
            let body = if self.version == Version::Swagger2 {
                match response.get("schema") {
                    Some(schema) if self.takes_json(op, "produces") => {
                        Some(self.schema(schema, &format!("{at}/schema"), Place::Contract))
                    }
                    _ => None,
                }
            } else {
                self.json_content(response, &at)
            };
            if let Some(body) = body {
                spec.insert("body".into(), body);
            }
            // As the contract loader stores them: `200`, `2XX`, `default`.
            let key = if status.eq_ignore_ascii_case("default") {
                "default".to_string()
            } else {
                status.to_ascii_uppercase()
            };
            out.insert(key, Value::Object(spec));
        }
        out
    }

    /// The schema of the JSON media type under `content`, if there is one.
    fn json_content(&mut self, value: &Value, pointer: &str) -> Option<Value> {
        let content = value.get("content")?.as_object()?;
        let (media, entry) = content.iter().find(|(m, _)| is_json_media(m))?;
        let schema = entry.get("schema")?;
        let at = format!("{pointer}/content/{}/schema", escape_pointer_token(media));
        Some(self.schema(schema, &at, Place::Contract))
    }

    /// Swagger 2.0: whether the operation (or the document) sends / returns JSON.
    fn takes_json(&self, op: &Value, key: &str) -> bool {
        let list = op.get(key).or_else(|| self.doc.get(key));
        match list.and_then(Value::as_array) {
            Some(types) if !types.is_empty() => {
                types.iter().filter_map(Value::as_str).any(is_json_media)
            }
            _ => true,
        }
    }

    /// Follows `$ref`s on a non-schema object (path item, parameter, response, request body).
    fn follow(&mut self, pointer: &str, value: &'a Value) -> Option<(String, &'a Value)> {
        let mut pointer = pointer.to_string();
        let mut value = value;
        for _ in 0..32 {
            let Some(reference) = value.get("$ref") else {
                return Some((pointer, value));
            };
            let Some(reference) = reference.as_str() else {
                self.error(&format!("{pointer}/$ref"), "`$ref` must be a string");
                return None;
            };
            let target = self.local_target(reference, &format!("{pointer}/$ref"))?;
            value = self.doc.pointer(&target)?;
            pointer = target;
        }
        self.error(
            &pointer,
            "`$ref` chain longer than 32 links (a reference cycle?)",
        );
        None
    }

    /// The pointer a same-document `$ref` leads to, or an error at `at`.
    fn local_target(&mut self, reference: &str, at: &str) -> Option<String> {
        let Some(fragment) = reference.strip_prefix('#') else {
            self.error(
                at,
                format!(
                    "`$ref` `{reference}` points outside the document; import reads one \
                     self-contained document"
                ),
            );
            return None;
        };
        let mut pointer = percent_encoding::percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned();
        if !pointer.is_empty() && !pointer.starts_with('/') {
            if self.options.lenient && self.doc.pointer(&format!("/{pointer}")).is_some() {
                self.quirks.insert(format!(
                    "`$ref: '{reference}'` (no `/` after `#`) read as `#/{pointer}`"
                ));
                pointer = format!("/{pointer}");
            } else {
                self.errors.push(
                    InputError::at_pointer(
                        self.spec,
                        at,
                        format!("`$ref` `{reference}` is not a JSON pointer (`#/…`)"),
                    )
                    .with_hint("write `#/` after `#`, or pass --lenient to repair it"),
                );
                return None;
            }
        }
        if self.doc.pointer(&pointer).is_none() {
            let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", &pointer));
            let siblings = self
                .doc
                .pointer(parent)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            let hint = did_you_mean(
                &unescape_pointer_token(last),
                siblings.iter().map(String::as_str),
            );
            self.errors.push(
                InputError::at_pointer(
                    self.spec,
                    at,
                    format!("`$ref` `{reference}` leads nowhere"),
                )
                .with_hint_opt(hint),
            );
            return None;
        }
        Some(pointer)
    }

    /// Converts a schema for JSON Schema 2020-12, rewriting references to reusable schemas.
    fn schema(&mut self, value: &Value, pointer: &str, place: Place) -> Value {
        SchemaConverter { c: self, place }.convert(value, pointer)
    }
}

/// The path every operation's path is relative to: Swagger 2.0 `basePath`, or the path of the
/// first server URL of 3.x (`https://api.xero.com/api.xro/2.0` → `/api.xro/2.0`), with server
/// variables replaced by their defaults. `/` and no servers mean no prefix.
fn base_path(doc: &Value, version: Version) -> String {
    let raw = match version {
        Version::Swagger2 => doc
            .get("basePath")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Version::OpenApi30 | Version::OpenApi31 => {
            let Some(server) = doc.pointer("/servers/0") else {
                return String::new();
            };
            let mut url = server
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(vars) = server.get("variables").and_then(Value::as_object) {
                for (name, var) in vars {
                    if let Some(default) = var.get("default").and_then(Value::as_str) {
                        url = url.replace(&format!("{{{name}}}"), default);
                    }
                }
            }
            match url.split_once("://") {
                Some((_, rest)) => rest
                    .find('/')
                    .map_or(String::new(), |i| rest[i..].to_string()),
                None => url,
            }
        }
    };
    let trimmed = raw.trim_end_matches('/');
    if trimmed.is_empty() || !trimmed.starts_with('/') {
        String::new()
    } else {
        trimmed.to_string()
    }
}

fn schemas_pointer(version: Version) -> &'static str {
    match version {
        Version::Swagger2 => "/definitions",
        Version::OpenApi30 | Version::OpenApi31 => "/components/schemas",
    }
}

fn is_json_media(media: &str) -> bool {
    let essence = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

fn summary(op: &Value) -> Option<String> {
    op.get("summary")
        .or_else(|| op.get("description"))
        .and_then(Value::as_str)
        .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(String::from)
}

/// A contract path template: whole-segment parameters only. A segment mixing text and
/// parameters (`/{name}.{ext}`) becomes one parameter named after them (`{name_ext}`); the
/// merged names are returned.
fn path_template(path: &str) -> (String, Vec<String>) {
    let mut merged = Vec::new();
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            let whole = segment.starts_with('{')
                && segment.ends_with('}')
                && segment.matches('{').count() == 1;
            if !segment.contains('{') || whole {
                return segment.to_string();
            }
            let names: Vec<&str> = segment
                .split('{')
                .skip(1)
                .filter_map(|part| part.split_once('}').map(|(name, _)| name))
                .collect();
            let name = names.join("_");
            merged.push(segment.to_string());
            format!("{{{name}}}")
        })
        .collect();
    let mut template = segments.join("/");
    if !template.starts_with('/') {
        template.insert(0, '/');
    }
    (template, merged)
}

/// `Xero Finance API` → `xero-finance-api`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// An operationId as a file-safe name, keeping its case: `getInvoice`, `accounts_list`.
fn slug_keep_case(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "operation".to_string()
    } else {
        trimmed.to_string()
    }
}

/// `/customers/{id}/notes` → `-customers-id-notes`.
fn slug_path(path: &str) -> String {
    let s = slug(path);
    if s.is_empty() {
        String::new()
    } else {
        format!("-{s}")
    }
}

/// `base`, or `base-2`, `base-3`… the first not yet in `taken` (compared in lower case, for
/// case-insensitive file systems), which it joins.
fn unique(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while !taken.insert(name.to_ascii_lowercase()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

fn file_stem(name: &str) -> String {
    let stem = slug_keep_case(name);
    if stem == "operation" && name != "operation" {
        "schema".to_string()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_keep_whole_segment_parameters() {
        assert_eq!(path_template("/a/{id}").0, "/a/{id}");
        let (t, merged) = path_template("/files/{name}.{ext}");
        assert_eq!(t, "/files/{name_ext}");
        assert_eq!(merged, vec!["{name}.{ext}".to_string()]);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Xero Finance API"), "xero-finance-api");
        assert_eq!(slug_path("/customers/{id}"), "-customers-id");
        assert_eq!(slug_keep_case("get Invoice/{x}"), "get-Invoice--x");
    }
}
