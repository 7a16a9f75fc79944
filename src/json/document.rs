//! Local JSON / YAML documents and offline `$ref` resolution.
//!
//! Contracts, schema files and OpenAPI specs are read through a [`DocumentStore`]: each file is
//! parsed once (syntax errors carry `file:line:col`), every `$ref` reachable from a document is
//! followed to a local file and a JSON pointer at load time, and a reference that leads nowhere
//! fails there, naming the file and the pointer of the `$ref`. Nothing is ever fetched over the
//! network: a remote `$ref` is an input error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::error::{InputError, Position, did_you_mean};

use super::pointer::{escape_pointer_token, unescape_pointer_token};

/// Reads a JSON or YAML file (by extension; `.yaml` / `.yml` are YAML, everything else JSON),
/// at most [`crate::fsutil::max_document_bytes`] of it; `-` reads standard input as YAML
/// (which JSON is a subset of).
pub fn read_value(path: &Path) -> Result<Value, InputError> {
    let text = crate::fsutil::read_document(path, "file")?;
    if crate::fsutil::is_stdio(path) {
        return parse_yaml(path, &text);
    }
    parse_value(path, &text)
}

/// Where `$ref`s may lead: `None` anywhere (`--allow-outside-refs`, or no project chosen yet,
/// as in the library's own tests), else inside one of these folders (canonical paths).
static REF_ROOTS: RwLock<Option<Vec<PathBuf>>> = RwLock::new(None);
static ALLOW_OUTSIDE_REFS: AtomicBool = AtomicBool::new(false);

/// Lets `$ref`s lead anywhere (`--allow-outside-refs`).
pub(crate) fn allow_outside_refs(allow: bool) {
    ALLOW_OUTSIDE_REFS.store(allow, Ordering::Relaxed);
}

/// Confines `$ref`s to the project root (see [`crate::config::Config::project_root`]).
pub(crate) fn set_project_root(root: PathBuf) {
    set_ref_roots(vec![root]);
}

/// Confines `$ref`s to these folders (ad-hoc mode: the contract folders).
pub(crate) fn set_ref_roots(roots: Vec<PathBuf>) {
    let roots = roots
        .into_iter()
        .map(|r| std::fs::canonicalize(&r).unwrap_or(r))
        .collect();
    if let Ok(mut guard) = REF_ROOTS.write() {
        *guard = Some(roots);
    }
}

/// Lets `$ref`s also lead into `dir` (a revision of the project checked out from git).
pub(crate) fn add_ref_root(dir: &Path) {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if let Ok(mut guard) = REF_ROOTS.write()
        && let Some(roots) = guard.as_mut()
    {
        roots.push(dir);
    }
}

/// The folders `$ref`s must stay inside, when confined.
fn ref_roots() -> Option<Vec<PathBuf>> {
    if ALLOW_OUTSIDE_REFS.load(Ordering::Relaxed) {
        return None;
    }
    REF_ROOTS.read().ok().and_then(|guard| guard.clone())
}

/// An absolute path with `.` and `..` removed without touching the file system (for paths
/// that do not exist, so they cannot be canonicalized).
fn lexical_absolute(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Parses text as JSON or YAML, chosen by the file's extension.
pub fn parse_value(path: &Path, text: &str) -> Result<Value, InputError> {
    if is_yaml(path) {
        parse_yaml(path, text)
    } else {
        parse_json(path, text)
    }
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Parses JSON text; a syntax error names the line and column.
pub fn parse_json(path: &Path, text: &str) -> Result<Value, InputError> {
    let text = crate::fsutil::strip_bom(text);
    serde_json::from_str(text).map_err(|err| {
        InputError::new(
            path,
            Position::LineColumn {
                line: err.line(),
                column: err.column(),
            },
            format!("invalid JSON: {}", strip_position(&err.to_string())),
        )
    })
}

/// Parses YAML text into a JSON value; a syntax error names the line and column.
pub fn parse_yaml(path: &Path, text: &str) -> Result<Value, InputError> {
    let text = crate::fsutil::strip_bom(text);
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|err| {
        let mut e = yaml_error(path, &err);
        // A second document carries no location in the parser's error: point at its start.
        if err.location().is_none()
            && let Some(line) = second_document_line(text)
        {
            e.position = Position::LineColumn { line, column: 1 };
        }
        e
    })?;
    yaml_to_json(path, yaml)
}

/// The 1-based line where a second YAML document starts: the shortest prefix of whole lines
/// that already holds more than one document ends there.
fn second_document_line(text: &str) -> Option<usize> {
    let ends: Vec<usize> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(text.len()))
        .collect();
    let several = |lines: usize| {
        let prefix = ends.get(lines.checked_sub(1)?).map(|end| &text[..*end])?;
        match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(prefix) {
            Err(err) => Some(err.location().is_none()),
            Ok(_) => Some(false),
        }
    };
    let (mut low, mut high) = (1, ends.len());
    if several(high) != Some(true) {
        return None;
    }
    while low < high {
        let mid = low + (high - low) / 2;
        if several(mid) == Some(true) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    Some(low)
}

/// Turns a `serde_yaml_ng` error into an input error with its position.
pub fn yaml_error(path: &Path, err: &serde_yaml_ng::Error) -> InputError {
    let message = format!("invalid YAML: {}", strip_position(&err.to_string()));
    match err.location() {
        Some(loc) => InputError::new(
            path,
            Position::LineColumn {
                line: loc.line(),
                column: loc.column(),
            },
            message,
        ),
        None => InputError::in_file(path, message),
    }
}

fn yaml_to_json(path: &Path, yaml: serde_yaml_ng::Value) -> Result<Value, InputError> {
    // YAML allows non-string keys (e.g. response codes written as integers); JSON needs strings.
    // A problem is reported at its JSON pointer, without echoing the value.
    fn convert(value: serde_yaml_ng::Value, pointer: &mut String) -> Result<Value, String> {
        use serde_yaml_ng::Value as Y;
        Ok(match value {
            Y::Null => Value::Null,
            Y::Bool(b) => Value::Bool(b),
            Y::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::from(i)
                } else if let Some(u) = n.as_u64() {
                    Value::from(u)
                } else {
                    n.as_f64()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                        .ok_or_else(|| format!("number {n} has no JSON form"))?
                }
            }
            Y::String(s) => Value::String(s),
            Y::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    out.push(convert(item, pointer)?);
                    pointer.truncate(len);
                }
                Value::Array(out)
            }
            Y::Mapping(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Number(n) => n.to_string(),
                        Y::Bool(b) => b.to_string(),
                        other => {
                            let kind = match other {
                                Y::Null => "null",
                                Y::Sequence(_) => "a sequence",
                                Y::Mapping(_) => "a mapping",
                                _ => "a tagged value",
                            };
                            return Err(format!("a mapping key is {kind}, not a string"));
                        }
                    };
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&super::escape_pointer_token(&key));
                    out.insert(key, convert(v, pointer)?);
                    pointer.truncate(len);
                }
                Value::Object(out)
            }
            Y::Tagged(tagged) => convert(tagged.value, pointer)?,
        })
    }
    let mut pointer = String::new();
    convert(yaml, &mut pointer).map_err(|message| {
        InputError::new(
            path,
            Position::Pointer(pointer.clone()),
            format!("invalid YAML: {message}"),
        )
    })
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A `$ref` followed to its target.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The file the target lives in.
    pub file: PathBuf,
    /// The JSON pointer of the target inside that file ("" for the whole document).
    pub pointer: String,
}

/// Every document read so far, keyed by canonical path, each parsed once.
#[derive(Debug, Default, Clone)]
pub struct DocumentStore {
    docs: HashMap<PathBuf, Arc<Value>>,
    /// Files whose references have all been checked.
    checked: std::collections::HashSet<PathBuf>,
}

impl DocumentStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Canonical key for a path (absolute, symlinks resolved where the file exists).
    pub(crate) fn key(path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|cwd| cwd.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        })
    }

    /// Adds an already-parsed document (e.g. one read from git rather than disk).
    pub(crate) fn insert(&mut self, path: &Path, value: Value) -> Arc<Value> {
        let value = Arc::new(value);
        self.docs.insert(Self::key(path), Arc::clone(&value));
        value
    }

    /// Reads a document once; later calls return the cached value.
    pub(crate) fn load(&mut self, path: &Path) -> Result<Arc<Value>, InputError> {
        let key = Self::key(path);
        if let Some(doc) = self.docs.get(&key) {
            return Ok(Arc::clone(doc));
        }
        let value = Arc::new(read_value(path)?);
        self.docs.insert(key, Arc::clone(&value));
        Ok(value)
    }

    /// All loaded documents, keyed by canonical path.
    pub(crate) fn documents(&self) -> impl Iterator<Item = (&PathBuf, &Arc<Value>)> {
        self.docs.iter()
    }

    /// Follows one `$ref` written in `from_file` (at `ref_pointer`, for error messages).
    ///
    /// Fails when the reference is remote, names a file that does not exist, or points at
    /// nothing inside the file.
    pub(crate) fn resolve(
        &mut self,
        from_file: &Path,
        ref_pointer: &str,
        reference: &str,
    ) -> Result<Resolved, InputError> {
        let (file_part, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, fragment),
            None => (reference, ""),
        };
        if file_part.contains("://") && !file_part.starts_with("file://") {
            return Err(InputError::at_pointer(
                from_file,
                ref_pointer,
                format!(
                    "remote $ref `{reference}`: Interlock never fetches schemas over the network"
                ),
            )
            .with_hint("save the schema next to the contract and reference the local file"));
        }
        let target_file = if file_part.is_empty() {
            Self::key(from_file)
        } else if let Some(stripped) = file_part.strip_prefix("file://") {
            PathBuf::from(percent_decode(stripped))
        } else {
            let base = from_file.parent().unwrap_or(Path::new("."));
            base.join(percent_decode(file_part))
        };
        if let Some(roots) = ref_roots() {
            let real = std::fs::canonicalize(&target_file)
                .unwrap_or_else(|_| lexical_absolute(&target_file));
            if !roots.iter().any(|root| real.starts_with(root)) {
                // Nothing outside the project is read, listed or echoed.
                return Err(InputError::at_pointer(
                    from_file,
                    ref_pointer,
                    format!(
                        "$ref `{reference}` leads outside the project ({}): Interlock reads only files inside it",
                        roots
                            .iter()
                            .map(|r| r.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_hint("copy the schema into the project, or pass --allow-outside-refs"));
            }
        }
        if !target_file.exists() {
            let hint = sibling_hint(&target_file);
            return Err(InputError::at_pointer(
                from_file,
                ref_pointer,
                format!(
                    "$ref `{reference}`: file {} does not exist",
                    target_file.display()
                ),
            )
            .with_hint_opt(hint));
        }
        if !target_file.is_file() {
            return Err(InputError::at_pointer(
                from_file,
                ref_pointer,
                format!(
                    "$ref `{reference}`: {} is not a regular file",
                    target_file.display()
                ),
            ));
        }
        let doc = self.load(&target_file).map_err(|mut err| {
            err.message = format!(
                "{} (reached through $ref at {ref_pointer} in {})",
                err.message,
                from_file.display()
            );
            err
        })?;
        let pointer = percent_decode(fragment);
        if !pointer.is_empty() && !pointer.starts_with('/') {
            // A plain-name fragment ("#foo") is an anchor; look for a matching `$anchor`.
            if let Some(anchor_pointer) = find_anchor(&doc, &pointer) {
                return Ok(Resolved {
                    file: Self::key(&target_file),
                    pointer: anchor_pointer,
                });
            }
            return Err(InputError::at_pointer(
                from_file,
                ref_pointer,
                format!(
                    "$ref `{reference}`: no `$anchor` named `{pointer}` in {}",
                    target_file.display()
                ),
            ));
        }
        if doc.pointer(&pointer).is_none() {
            let hint = pointer_hint(&doc, &pointer);
            return Err(InputError::at_pointer(
                from_file,
                ref_pointer,
                format!(
                    "$ref `{reference}`: {} has nothing at `{pointer}`",
                    target_file.display()
                ),
            )
            .with_hint_opt(hint));
        }
        Ok(Resolved {
            file: Self::key(&target_file),
            pointer,
        })
    }

    /// Loads `file` and checks every `$ref` reachable from it, transitively across files.
    ///
    /// All broken references are returned, not only the first.
    pub(crate) fn check_refs(&mut self, file: &Path) -> Result<(), Vec<InputError>> {
        let mut errors = Vec::new();
        let mut pending = vec![Self::key(file)];
        while let Some(current) = pending.pop() {
            if !self.checked.insert(current.clone()) {
                continue;
            }
            let doc = match self.load(&current) {
                Ok(doc) => doc,
                Err(err) => {
                    errors.push(err);
                    continue;
                }
            };
            let mut refs = Vec::new();
            collect_refs(&doc, &mut String::new(), &mut refs);
            for (pointer, reference) in refs {
                match self.resolve(&current, &pointer, &reference) {
                    Ok(resolved) => {
                        if !self.checked.contains(&resolved.file) {
                            pending.push(resolved.file);
                        }
                    }
                    Err(err) => errors.push(err),
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Collects `(pointer of the $ref member, reference)` for every string `$ref` in a value.
pub fn collect_refs(value: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
    collect(value, false, pointer, out);
}

/// `names`: the keys of this object are names (properties, status codes, headers), not
/// keywords, so `default` or `enum` among them holds a schema like any other name.
fn collect(value: &Value, names: bool, pointer: &mut String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(key));
                if names {
                    collect(child, false, pointer, out);
                } else if key == "$ref" {
                    if let Value::String(reference) = child {
                        out.push((pointer.clone(), reference.clone()));
                    }
                } else if !is_literal_keyword(key) {
                    collect(child, is_name_map(key), pointer, out);
                }
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                collect(child, false, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Keywords whose values are data, not schemas: a `$ref` inside them is not a reference.
fn is_literal_keyword(key: &str) -> bool {
    matches!(key, "enum" | "const" | "example" | "examples" | "default")
}

/// Keywords (of JSON Schema, OpenAPI and contracts) whose values map names to schemas or to
/// objects holding schemas.
fn is_name_map(key: &str) -> bool {
    matches!(
        key,
        "properties"
            | "patternProperties"
            | "dependentSchemas"
            | "$defs"
            | "definitions"
            | "responses"
            | "headers"
            | "query"
            | "schemas"
            | "parameters"
    )
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn find_anchor(doc: &Value, anchor: &str) -> Option<String> {
    fn walk(value: &Value, anchor: &str, pointer: &mut String) -> Option<String> {
        match value {
            Value::Object(map) => {
                if map.get("$anchor").and_then(Value::as_str) == Some(anchor) {
                    return Some(pointer.clone());
                }
                for (key, child) in map {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer_token(key));
                    if let Some(found) = walk(child, anchor, pointer) {
                        return Some(found);
                    }
                    pointer.truncate(len);
                }
                None
            }
            Value::Array(items) => items.iter().enumerate().find_map(|(i, child)| {
                let mut p = format!("{pointer}/{i}");
                walk(child, anchor, &mut p)
            }),
            _ => None,
        }
    }
    walk(doc, anchor, &mut String::new())
}

fn sibling_hint(missing: &Path) -> Option<String> {
    let dir = missing.parent()?;
    let wanted = missing.file_name()?.to_str()?;
    let names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    did_you_mean(wanted, names.iter().map(String::as_str))
}

fn pointer_hint(doc: &Value, pointer: &str) -> Option<String> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let container = doc.pointer(parent)?.as_object()?;
    let last = unescape_pointer_token(last);
    did_you_mean(&last, container.keys().map(String::as_str))
        .map(|hint| hint.replace("`?", &format!("` ({parent}/…)?")))
}

/// The `file://` URI of a local path, as used for schema base URIs.
pub fn file_uri(path: &Path) -> String {
    url::Url::from_file_path(DocumentStore::key(path))
        .map(String::from)
        .unwrap_or_else(|()| format!("file://{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_syntax_error_names_line_and_column() {
        let err = parse_json(Path::new("c.json"), "{\n  \"a\": 1,\n  \"b\": }\n").unwrap_err();
        assert_eq!(err.position, Position::LineColumn { line: 3, column: 8 });
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);
    }

    #[test]
    fn yaml_integer_keys_become_strings() {
        let v = parse_yaml(
            Path::new("s.yaml"),
            "responses:\n  200:\n    description: ok\n",
        )
        .unwrap();
        assert_eq!(
            v.pointer("/responses/200/description"),
            Some(&Value::from("ok"))
        );
    }

    #[test]
    fn refs_under_a_default_response_or_a_property_named_like_a_keyword_are_collected() {
        let v = serde_json::json!({
            "responses": {"default": {"body": {"$ref": "error.json"}}},
            "properties": {"enum": {"$ref": "#/a"}, "default": {"items": {"$ref": "#/b"}}},
            "default": {"$ref": "literal"}
        });
        let mut out = Vec::new();
        collect_refs(&v, &mut String::new(), &mut out);
        let found: Vec<&str> = out.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            found,
            [
                "/responses/default/body/$ref",
                "/properties/enum/$ref",
                "/properties/default/items/$ref"
            ]
        );
    }

    #[test]
    fn literal_keywords_are_not_searched_for_refs() {
        let v =
            serde_json::json!({"properties": {"a": {"$ref": "#/x"}}, "enum": [{"$ref": "nope"}]});
        let mut out = Vec::new();
        collect_refs(&v, &mut String::new(), &mut out);
        assert_eq!(
            out,
            vec![("/properties/a/$ref".to_string(), "#/x".to_string())]
        );
    }
}
