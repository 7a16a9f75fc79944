//! What is being compared, detected from the arguments, and each side loaded into an [`Api`].
//!
//! - two directories: contract directories (`*.contract.json|yaml` plus the schemas they use);
//! - two files: OpenAPI 3.0 / 3.1 or Swagger 2.0 documents (by their `openapi` / `swagger`
//!   member), two contract files, or two JSON Schema files (which need `--role`).
//!
//! Both sides load in parallel, each with its own document store. Every `$ref` in an OpenAPI
//! document is resolved up front, so a dangling one fails even where no operation uses it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::api::{Api, Body, Operation, Response, contract_operation};
use super::normalize::Normalizer;
use super::openapi;
use crate::contract::is_contract_file;
use crate::error::{Error, InputError};
use crate::json::{DocumentStore, collect_refs};

/// The direction a bare JSON Schema is used in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The consumer writes it, the provider reads it.
    Request,
    /// The provider writes it, the consumers read it.
    Response,
}

/// What kind of input a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputKind {
    ContractDir,
    OpenApi,
    ContractFile,
    Schema,
}

impl InputKind {
    fn describe(self) -> &'static str {
        match self {
            InputKind::ContractDir => "a contracts directory",
            InputKind::OpenApi => "an OpenAPI document",
            InputKind::ContractFile => "a contract file",
            InputKind::Schema => "a JSON Schema file",
        }
    }
}

/// Detects what `path` holds, returning the parsed document when it had to read it.
pub(crate) fn detect(path: &Path) -> Result<(InputKind, Option<Value>), Error> {
    if crate::fsutil::is_stdio(path) {
        // Standard input holds one document: an OpenAPI document or a JSON Schema.
        let doc = crate::json::read_value(path)?;
        let kind = match crate::openapi::version(&doc) {
            Some(_) => InputKind::OpenApi,
            None => InputKind::Schema,
        };
        return Ok((kind, Some(doc)));
    }
    if path.is_dir() {
        return Ok((InputKind::ContractDir, None));
    }
    if !path.exists() {
        return Err(InputError::in_file(path, "no such file or directory")
            .with_hint("give two contract directories, two OpenAPI documents or two schema files")
            .into());
    }
    if is_contract_file(path) {
        return Ok((InputKind::ContractFile, None));
    }
    let doc = crate::json::read_value(path)?;
    let kind = match crate::openapi::version(&doc) {
        Some(_) => InputKind::OpenApi,
        None => InputKind::Schema,
    };
    Ok((kind, Some(doc)))
}

/// Runs `f` on both sides in parallel and merges their input errors.
fn both<T: Send>(
    old: &Path,
    new: &Path,
    f: impl Fn(&Path, bool) -> Result<T, Error> + Sync,
) -> Result<(T, T), Error> {
    let (a, b) = std::thread::scope(|scope| {
        let handle = scope.spawn(|| f(old, true));
        let b = f(new, false);
        let a = handle.join().unwrap_or_else(|_| {
            Err(Error::environment(
                "reading the old side failed unexpectedly",
            ))
        });
        (a, b)
    });
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(Error::Input(mut x)), Err(Error::Input(y))) => {
            x.extend(y);
            Err(Error::Input(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// Loads both sides, checking they are the same kind of input.
pub(crate) fn load_pair(
    old: &Path,
    new: &Path,
    role: Option<Role>,
    lenient: bool,
) -> Result<(Api, Api), Error> {
    let ((old_kind, old_doc), (new_kind, new_doc)) = both(old, new, |p, _| detect(p))?;
    if old_kind != new_kind {
        return Err(InputError::usage(format!(
            "cannot compare {} ({}) with {} ({})",
            old_kind.describe(),
            old.display(),
            new_kind.describe(),
            new.display()
        ))
        .with_hint("give two inputs of the same kind")
        .into());
    }
    match (old_kind, role) {
        (InputKind::Schema, None) => {
            return Err(InputError::usage(
                "comparing two JSON Schema files needs their direction",
            )
            .with_hint("add `--role request` (consumers write it) or `--role response` (the provider writes it)")
            .into());
        }
        (InputKind::Schema, Some(_)) | (_, None) => {}
        (kind, Some(_)) => {
            return Err(InputError::usage(format!(
                "`--role` applies to JSON Schema files, not to {}",
                kind.describe()
            ))
            .with_hint("drop `--role`: contracts and OpenAPI documents say which schema is a request and which a response")
            .into());
        }
    }
    let docs = std::sync::Mutex::new((old_doc, new_doc));
    both(old, new, |p, is_old| {
        let doc = docs
            .lock()
            .ok()
            .and_then(|mut d| if is_old { d.0.take() } else { d.1.take() });
        load_side(p, old_kind, role, doc, lenient)
    })
}

/// Loads one side.
pub(crate) fn load_side(
    path: &Path,
    kind: InputKind,
    role: Option<Role>,
    parsed: Option<Value>,
    lenient: bool,
) -> Result<Api, Error> {
    let mut store = DocumentStore::new();
    if kind == InputKind::ContractDir {
        // Validates every contract (schemas compiled, references checked) before diffing; the
        // store keeps each file parsed for the comparison below.
        crate::contract::load_contracts_with(&[path.to_path_buf()], &mut store)?;
    }
    if let Some(doc) = parsed {
        store.insert(path, doc);
    }
    let mut n = Normalizer::new(&mut store);
    n.lenient = lenient;
    let mut operations = Vec::new();
    match kind {
        InputKind::ContractDir => {
            let mut files = Vec::new();
            crate::contract::collect_contract_files(path, &mut files)?;
            files.sort();
            for file in files {
                let id = n.file(&file)?;
                operations.extend(contract_operation(&mut n, id));
            }
        }
        InputKind::ContractFile => {
            let id = n.file(path)?;
            check_all_refs(&mut n, id);
            operations.extend(contract_operation(&mut n, id));
        }
        InputKind::OpenApi => {
            let id = n.file(path)?;
            let doc = n.doc(id);
            match crate::openapi::version(&doc) {
                Some(Ok(version)) => {
                    check_all_refs(&mut n, id);
                    operations = openapi::operations(&mut n, id, version);
                }
                Some(Err(message)) => {
                    let pointer = if doc.get("swagger").is_some() {
                        "/swagger"
                    } else {
                        "/openapi"
                    };
                    n.error(id, pointer, message);
                }
                None => n.error(
                    id,
                    "",
                    "not an OpenAPI document (no `openapi` or `swagger` member)",
                ),
            }
        }
        InputKind::Schema => {
            let id = n.file(path)?;
            check_all_refs(&mut n, id);
            let root = n.schema_at(id, "");
            operations.push(schema_operation(
                path,
                id,
                root,
                role.unwrap_or(Role::Response),
            ));
        }
    }
    if !n.errors.is_empty() {
        let mut errors = std::mem::take(&mut n.errors);
        errors.dedup();
        return Err(Error::Input(errors));
    }
    let quirks = n.quirks.values().cloned().collect();
    let mut arena = std::mem::take(&mut n.arena);
    display_paths(&mut arena.files, path);
    Ok(Api {
        operations,
        arena,
        quirks,
    })
}

/// The single message a bare schema file describes.
fn schema_operation(path: &Path, file: usize, root: usize, role: Role) -> Operation {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let body = Body {
        required: true,
        content: [(String::new(), root)].into_iter().collect(),
        file,
        pointer: String::new(),
    };
    let mut op = Operation {
        key: "schema".to_string(),
        interface: name,
        file,
        ..Operation::default()
    };
    match role {
        Role::Request => op.body = Some(body),
        Role::Response => {
            op.responses.insert(
                String::new(),
                Response {
                    headers: Vec::new(),
                    body: Some(body),
                    pointer: String::new(),
                },
            );
        }
    }
    op
}

/// Resolves every `$ref` in a document (and in the files it reaches), so a dangling reference
/// fails even when nothing being compared uses it.
pub(crate) fn check_all_refs(n: &mut Normalizer<'_>, file: usize) {
    let mut pending = vec![file];
    let mut done = HashSet::new();
    while let Some(current) = pending.pop() {
        if !done.insert(current) {
            continue;
        }
        let doc = n.doc(current);
        let mut refs = Vec::new();
        collect_refs(&doc, &mut String::new(), &mut refs);
        let mut unique = HashSet::new();
        for (pointer, reference) in refs {
            if !unique.insert(reference.clone()) {
                continue;
            }
            if let Some((target, _)) = n.resolve(current, &pointer, &reference)
                && target != current
            {
                pending.push(target);
            }
        }
    }
}

/// Shows files as the user named them: `contracts/customer.contract.json`, not an absolute
/// canonical path.
fn display_paths(files: &mut [PathBuf], given: &Path) {
    let root_given = if given.is_dir() {
        given.to_path_buf()
    } else {
        given.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let root_key = DocumentStore::key(if root_given.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &root_given
    });
    for file in files.iter_mut() {
        if let Ok(rest) = file.strip_prefix(&root_key) {
            *file = root_given.join(rest);
        }
    }
}
