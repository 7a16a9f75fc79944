//! Snapshots: every replayed exchange's live response, normalized, kept beside its scenario.
//!
//! Snapshots are insta's `.snap` files ([`format`]), so `cargo insta review` works on them as
//! well as `interlock review`. The text is a normalized JSON document of the response
//! ([`normalize`]). During a run, the [`reporter::SnapshotReporter`] compares each exchange's
//! snapshot with the accepted `.snap` and, following the [`Mode`], writes a `.snap.new` beside
//! it; [`pending`] finds those files again for review. The behaviour is specified in
//! `docs/snapshots.md`.

pub(crate) mod format;
pub(crate) mod normalize;
pub(crate) mod pending;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub(crate) use format::{Metadata, SnapFile};

use crate::error::{Error, InputError};
use crate::json::{escape_pointer_token, unescape_pointer_token, wildcard_indices};
use crate::model::ExchangeResult;
use crate::replay::LiveResponse;
use crate::scenario::IgnoreRules;

/// The folder of a scenario that holds its snapshots.
pub(crate) const SNAPSHOT_DIR: &str = "snapshots";

/// When snapshot files are written (insta's `INSTA_UPDATE` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `no` on CI (`CI` set and not `false`/`0`), `new` elsewhere.
    Auto,
    /// New and changed snapshots are written as `.snap.new`, for review.
    New,
    /// New snapshots are written as `.snap` directly; changed ones as `.snap.new`.
    Unseen,
    /// Every snapshot is written as `.snap`, accepting all changes.
    Always,
    /// Nothing is written; differences are only counted.
    No,
}

impl Mode {
    /// The mode for a run: the flag, else `INTERLOCK_SNAPSHOTS`, else `INSTA_UPDATE` (empty
    /// counts as unset), else `auto`; `auto` resolved against `CI`.
    pub(crate) fn resolve(
        flag: Option<Mode>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Mode, InputError> {
        let mode = match flag {
            Some(mode) => mode,
            None => match ["INTERLOCK_SNAPSHOTS", "INSTA_UPDATE"]
                .into_iter()
                .find_map(|name| {
                    env(name)
                        .filter(|value| !value.trim().is_empty())
                        .map(|value| (name, value))
                }) {
                Some((name, value)) => <Mode as clap::ValueEnum>::from_str(value.trim(), true)
                    .map_err(|_| {
                        InputError::usage(format!("{name}={value} is not a snapshot mode"))
                            .with_hint("use one of auto, new, unseen, always, no")
                    })?,
                None => Mode::Auto,
            },
        };
        Ok(match mode {
            Mode::Auto if is_ci(env) => Mode::No,
            Mode::Auto => Mode::New,
            other => other,
        })
    }
}

/// insta's CI detection: `CI` set to anything but `false`, `0` or empty (or Azure's `TF_BUILD`).
fn is_ci(env: &dyn Fn(&str) -> Option<String>) -> bool {
    match env("CI").as_deref() {
        Some("false" | "0" | "") => false,
        Some(_) => true,
        None => env("TF_BUILD").is_some(),
    }
}

/// What happened to one exchange's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Equal to the accepted `.snap`.
    Unchanged,
    /// No accepted snapshot yet; written as `.snap.new`.
    NewPending,
    /// No accepted snapshot yet; written as `.snap` (`unseen`, `always`).
    NewAccepted,
    /// Differs from the accepted `.snap`; written as `.snap.new`.
    ChangedPending,
    /// Differs; `.snap` overwritten (`always`).
    ChangedAccepted,
    /// New, not written (`no`).
    NewNotWritten,
    /// Differs, not written (`no`).
    ChangedNotWritten,
}

/// The pending file beside a snapshot: `x.snap` → `x.snap.new`.
pub(crate) fn pending_path(snap: &Path) -> PathBuf {
    let mut name = snap.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// The file name of an exchange's snapshot: `SCENARIO__NNN_METHOD_ROUTE.snap`, stable as long
/// as the exchange keeps its position in the replay recording.
pub(crate) fn file_name(scenario: &str, index: usize, method: &str, route: &str) -> String {
    let route: String = route
        .split('?')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut slug = format!("{}_{}", method.to_ascii_lowercase(), route);
    while slug.contains("__") {
        slug = slug.replace("__", "_");
    }
    let slug: String = slug.trim_matches('_').chars().take(80).collect();
    format!("{scenario}__{:03}_{slug}.snap", index + 1)
}

/// Compares the snapshot `new` builds with the accepted snapshot at `snap` and writes what
/// `mode` asks for. `new` is not called when there is nothing to compare or write (`no` and no
/// accepted snapshot).
pub(crate) fn record(
    snap: &Path,
    new: impl FnOnce() -> SnapFile,
    mode: Mode,
) -> Result<Outcome, Error> {
    let pending = pending_path(snap);
    let accepted = if snap.is_file() {
        Some(SnapFile::read(snap)?)
    } else {
        None
    };
    if accepted.is_none() && mode == Mode::No {
        return Ok(Outcome::NewNotWritten);
    }
    let new = &new();
    let outcome = match (&accepted, mode) {
        (Some(old), _) if old.same_contents(new) => {
            remove_if_present(&pending)?;
            return Ok(Outcome::Unchanged);
        }
        (Some(_), Mode::No) => return Ok(Outcome::ChangedNotWritten),
        (None, Mode::Unseen | Mode::Always) => Outcome::NewAccepted,
        (Some(_), Mode::Always) => Outcome::ChangedAccepted,
        (None, _) => Outcome::NewPending,
        (Some(_), _) => Outcome::ChangedPending,
    };
    match outcome {
        Outcome::NewAccepted | Outcome::ChangedAccepted => {
            crate::fsutil::write_atomic(snap, new.to_text().as_bytes())?;
            remove_if_present(&pending)?;
        }
        _ => {
            let unchanged_pending = pending.is_file()
                && SnapFile::read(&pending).is_ok_and(|p| p.to_text() == new.to_text());
            if !unchanged_pending {
                crate::fsutil::write_atomic(&pending, new.to_text().as_bytes())?;
            }
        }
    }
    Ok(outcome)
}

pub(crate) fn remove_if_present(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(Error::io("remove", path, &err)),
    }
}

/// The JSON pointers where two snapshot texts differ: leaves that changed, keys added or
/// removed. Empty when either text is not JSON.
pub(crate) fn changed_paths(old: &str, new: &str) -> Vec<String> {
    let (Ok(old), Ok(new)) = (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(new),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    diff_values(&old, &new, String::new(), &mut out);
    out
}

fn diff_values(old: &Value, new: &Value, pointer: String, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = format!("{pointer}/{}", escape_pointer_token(key));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_values(x, y, child, out),
                    _ => out.push(child),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for index in 0..a.len().max(b.len()) {
                let child = format!("{pointer}/{index}");
                match (a.get(index), b.get(index)) {
                    (Some(x), Some(y)) => diff_values(x, y, child, out),
                    _ => out.push(child),
                }
            }
        }
        (a, b) if a != b => out.push(pointer),
        _ => {}
    }
}

/// The ignore rules that would hide a change at `path` of a snapshot document: the exact
/// body pointer, and the same with every array index as `*`; `header:NAME` for a header.
/// The status cannot be ignored.
pub(crate) fn rules_for_path(path: &str) -> Vec<String> {
    if let Some(name) = path.strip_prefix("/headers/") {
        return vec![format!("header:{}", unescape_pointer_token(name))];
    }
    if path == "/headers" {
        return Vec::new();
    }
    if path == "/body" || path == "/body_text" || path == "/body_base64" {
        return vec![String::new()];
    }
    let Some(pointer) = path.strip_prefix("/body") else {
        return Vec::new();
    };
    let mut rules = vec![pointer.to_string()];
    let wildcard = wildcard_indices(pointer);
    if wildcard != pointer {
        rules.push(wildcard);
    }
    rules
}

/// The snapshot file of one exchange's live response.
///
/// `declared` are the response headers the contract declares (the only ones kept); `ignore`
/// the exchange's merged ignore rules; `scenario_file` becomes the snapshot's `source`.
pub(crate) fn of_response(
    scenario_file: &Path,
    result: &ExchangeResult,
    live: &LiveResponse,
    declared: &[&str],
    ignore: &IgnoreRules,
) -> SnapFile {
    let interface = result.interface.as_deref();
    let doc = normalize::document(&live.response, declared, ignore);
    let description = match interface {
        Some(i) => format!("{i}: {} {}", result.method, result.url),
        None => format!("{} {}", result.method, result.url),
    };
    SnapFile {
        metadata: Metadata {
            source: Some(slash_path(scenario_file)),
            description: Some(description),
            expression: Some(result.name.clone()),
        },
        contents: normalize::render(&doc),
    }
}

/// A path with `/` separators, as insta writes `source:`.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn mode_follows_flag_then_env_then_ci() {
        assert_eq!(Mode::resolve(None, &env(&[])).unwrap(), Mode::New);
        assert_eq!(
            Mode::resolve(None, &env(&[("CI", "true")])).unwrap(),
            Mode::No
        );
        assert_eq!(
            Mode::resolve(None, &env(&[("CI", "false")])).unwrap(),
            Mode::New
        );
        assert_eq!(
            Mode::resolve(None, &env(&[("CI", "1"), ("INSTA_UPDATE", "always")])).unwrap(),
            Mode::Always
        );
        assert_eq!(
            Mode::resolve(
                None,
                &env(&[("INTERLOCK_SNAPSHOTS", "unseen"), ("INSTA_UPDATE", "no")])
            )
            .unwrap(),
            Mode::Unseen
        );
        assert_eq!(
            Mode::resolve(Some(Mode::New), &env(&[("CI", "true")])).unwrap(),
            Mode::New
        );
        let err = Mode::resolve(None, &env(&[("INSTA_UPDATE", "sometimes")])).unwrap_err();
        assert!(
            err.message.contains("INSTA_UPDATE=sometimes"),
            "{}",
            err.message
        );
    }

    #[test]
    fn names_are_stable_slugs() {
        assert_eq!(
            file_name(
                "customer-onboarding",
                2,
                "GET",
                "/api/v1/customers/{id}?x=1"
            ),
            "customer-onboarding__003_get_api_v1_customers_id.snap"
        );
        assert_eq!(
            pending_path(Path::new("a/b.snap")),
            PathBuf::from("a/b.snap.new")
        );
    }

    #[test]
    fn changed_paths_and_their_rules() {
        let old = r#"{"status":200,"headers":{"etag":"1"},"body":{"a":1,"items":[{"x":1}]}}"#;
        let new = r#"{"status":200,"headers":{"etag":"2"},"body":{"a":1,"b":2,"items":[{"x":2}]}}"#;
        assert_eq!(
            changed_paths(old, new),
            ["/body/b", "/body/items/0/x", "/headers/etag"]
        );
        assert_eq!(
            rules_for_path("/body/items/0/x"),
            ["/items/0/x", "/items/*/x"]
        );
        assert_eq!(rules_for_path("/headers/etag"), ["header:etag"]);
        assert!(rules_for_path("/status").is_empty());
    }

    #[test]
    fn record_writes_pending_and_never_overwrites_silently() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("s__001_get.snap");
        let make = |contents: &str| SnapFile {
            metadata: Metadata::default(),
            contents: contents.to_string(),
        };
        assert_eq!(
            record(
                &snap,
                || panic!("with `no` and nothing accepted, no snapshot is built"),
                Mode::No
            )
            .unwrap(),
            Outcome::NewNotWritten
        );
        assert!(!pending_path(&snap).exists());
        assert_eq!(
            record(&snap, || make("a"), Mode::New).unwrap(),
            Outcome::NewPending
        );
        assert!(pending_path(&snap).is_file() && !snap.exists());
        assert_eq!(
            record(&snap, || make("a"), Mode::Unseen).unwrap(),
            Outcome::NewAccepted
        );
        assert!(snap.is_file() && !pending_path(&snap).exists());
        assert_eq!(
            record(&snap, || make("b"), Mode::New).unwrap(),
            Outcome::ChangedPending
        );
        assert_eq!(SnapFile::read(&snap).unwrap().contents, "a");
        assert_eq!(SnapFile::read(&pending_path(&snap)).unwrap().contents, "b");
        // Back to the accepted result: the stale pending file goes.
        assert_eq!(
            record(&snap, || make("a"), Mode::New).unwrap(),
            Outcome::Unchanged
        );
        assert!(!pending_path(&snap).exists());
        assert_eq!(
            record(&snap, || make("c"), Mode::Always).unwrap(),
            Outcome::ChangedAccepted
        );
        assert_eq!(SnapFile::read(&snap).unwrap().contents, "c");
    }
}
