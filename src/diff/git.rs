//! `--base REV`: the old side read from git, without a checkout.
//!
//! The files under the compared path at `REV` (`git ls-tree`) are written with `git show` into a
//! temporary directory that mirrors the repository layout, together with every local file their
//! `$ref`s reach, so the old side loads exactly like the working tree. Paths in messages read
//! `REV:contracts/customer.contract.json`.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::error::{Error, InputError};

/// The old side, written out.
pub(crate) struct Snapshot {
    /// Holds the files; removed on drop.
    pub dir: tempfile::TempDir,
    /// The compared path inside `dir`.
    pub path: PathBuf,
    /// `REV:contracts`, for messages.
    pub label: String,
    rev: String,
}

impl Snapshot {
    /// `REV:relative/path` for a file inside the snapshot; other paths unchanged.
    pub(crate) fn display(&self, file: &Path) -> Option<String> {
        let canonical_root = std::fs::canonicalize(self.dir.path()).ok();
        [Some(self.dir.path().to_path_buf()), canonical_root]
            .into_iter()
            .flatten()
            .find_map(|root| file.strip_prefix(&root).ok().map(Path::to_path_buf))
            .map(|rest| format!("{}:{}", self.rev, rest.display()))
    }

    /// Rewrites file paths of errors from the snapshot to `REV:path`.
    pub(crate) fn relabel(&self, err: Error) -> Error {
        match err {
            Error::Input(errors) => Error::Input(
                errors
                    .into_iter()
                    .map(|mut e| {
                        if let Some(shown) = self.display(&e.file) {
                            e.file = PathBuf::from(shown);
                        }
                        let prefix = self.dir.path().display().to_string();
                        e.message = e.message.replace(&prefix, &format!("{}:", self.rev));
                        e
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, Error> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|err| {
            Error::environment(format!(
                "cannot run git ({err}); `--base` reads the old version with git, so git must be installed and on PATH"
            ))
        })
}

/// Writes `target` (a file or directory of the working tree) as it was at `rev`.
pub(crate) fn snapshot(rev: &str, target: &Path) -> Result<Snapshot, Error> {
    let cwd = std::env::current_dir()
        .map_err(|err| Error::environment(format!("cannot read the current directory: {err}")))?;
    let absolute = cwd.join(target);
    let probe = absolute
        .ancestors()
        .find(|p| p.is_dir())
        .unwrap_or(&cwd)
        .to_path_buf();
    let top = git(&probe, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(InputError::in_file(target, "not inside a git repository")
            .with_hint("`--base` compares with a git revision; run it inside the repository, or give OLD and NEW directories")
            .into());
    }
    let root = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let verify = git(
        &root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )?;
    if !verify.status.success() {
        return Err(InputError::usage(format!("unknown git revision `{rev}`"))
            .with_hint("check `git log --oneline`; a shallow CI clone may need the base branch fetched (fetch-depth: 0)")
            .into());
    }
    let relative =
        relative_to(&root, &probe)?.join(absolute.strip_prefix(&probe).unwrap_or(Path::new("")));
    let relative = lexical(&relative);
    let rel_text = slash(&relative);
    let listing = git(
        &root,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "-z",
            rev,
            "--",
            if rel_text.is_empty() { "." } else { &rel_text },
        ],
    )?;
    let files: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if !listing.status.success() || files.is_empty() {
        return Err(InputError::in_file(target, format!("does not exist at git revision `{rev}`"))
            .with_hint("check the path and the revision; `--contracts DIR` names the directory compared with `--base`")
            .into());
    }
    let dir = tempfile::Builder::new()
        .prefix("interlock-base-")
        .tempdir()
        .map_err(|err| Error::environment(format!("cannot create a temporary directory: {err}")))?;
    // The revision is the project as it was: its `$ref`s may lead anywhere inside it.
    crate::json::add_ref_root(dir.path());
    let mut written = std::collections::HashSet::new();
    let mut pending: Vec<String> = files;
    while let Some(file) = pending.pop() {
        if !written.insert(file.clone()) {
            continue;
        }
        let shown = git(&root, &["show", &format!("{rev}:{file}")])?;
        if !shown.status.success() {
            // A `$ref` to a file that did not exist at `rev`: loading reports it with its pointer.
            continue;
        }
        let out = dir.path().join(&file);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| Error::io("create directory", parent, &err))?;
        }
        std::fs::write(&out, &shown.stdout).map_err(|err| Error::io("write", &out, &err))?;
        let text = String::from_utf8_lossy(&shown.stdout);
        let base = Path::new(&file)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        for reference in file_refs(&text) {
            let joined = lexical(&base.join(&reference));
            if joined.components().next() != Some(Component::ParentDir) {
                pending.push(slash(&joined));
            }
        }
    }
    Ok(Snapshot {
        path: dir.path().join(&relative),
        label: format!(
            "{rev}:{}",
            if rel_text.is_empty() { "." } else { &rel_text }
        ),
        rev: rev.to_string(),
        dir,
    })
}

fn relative_to(root: &Path, path: &Path) -> Result<PathBuf, Error> {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    canonical
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .map_err(|_| {
            InputError::in_file(
                path,
                format!("is outside the git repository at {}", root.display()),
            )
            .into()
        })
}

/// Resolves `.` and `..` without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The local files named by `$ref`s in JSON or YAML text (the part before `#`).
fn file_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("$ref") {
        let rest = text[i + 4..].trim_start_matches(['"', '\'']).trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let value: String = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].chars().take_while(|c| *c != q).collect(),
            _ => rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '}')
                .collect(),
        };
        let file = value.split('#').next().unwrap_or("");
        if !file.is_empty() && !file.contains("://") {
            out.push(file.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_found_in_json_and_yaml() {
        let text = "{\"$ref\": \"schemas/a.json#/x\"}\n$ref: '../b.yaml'\n$ref: \"#/local\"\n";
        assert_eq!(file_refs(text), vec!["schemas/a.json", "../b.yaml"]);
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(lexical(Path::new("a/./b/../c")), PathBuf::from("a/c"));
    }
}
