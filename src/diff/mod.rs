//! Contract version comparison: `interlock diff`.
//!
//! Two versions of an API (contract directories, a git revision and the working tree, OpenAPI
//! documents, or JSON Schema files with a role) are loaded into operations with normalised
//! schemas ([`input`], [`openapi`], [`normalize`]), compared message by message in the direction
//! data flows ([`ops`], [`compare`], [`keywords`], [`rename`]) with their security requirements
//! ([`security`]), judged by the rule table ([`rules`]) and the project's `[diff]` settings
//! ([`settings`]), weighed by the recorded use of each field ([`usage`]), matched against
//! reviewed [`waivers`], and rendered ([`render`]). Findings are
//! data; only input that cannot be read or resolved is an error. Usage and formats:
//! `docs/diff.md`; the rule table: `docs/diff-rules.md`.

pub(crate) mod api;
pub(crate) mod change;
pub(crate) mod compare;
pub(crate) mod git;
pub(crate) mod input;
pub(crate) mod keywords;
pub(crate) mod merge;
pub(crate) mod normalize;
pub(crate) mod openapi;
pub(crate) mod ops;
pub(crate) mod rename;
pub mod render;
pub mod rules;
pub(crate) mod schema;
pub(crate) mod security;
pub(crate) mod settings;
pub(crate) mod tables;
pub(crate) mod usage;
pub(crate) mod waivers;
pub(crate) mod wire;

use std::path::{Path, PathBuf};

pub use change::{Change, DiffReport, Location, Summary, WaiverNote};
pub use input::Role;
pub use render::Format;
pub use rules::{Direction, Severity};
pub use settings::{ContentModel, DiffConfig, ReaderPolicy};

use crate::error::{Error, InputError};

/// What to compare, resolved from the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inputs {
    /// Two paths of the same kind.
    Paths { old: PathBuf, new: PathBuf },
    /// `path` at a git revision against the working tree.
    Base { rev: String, path: PathBuf },
}

/// Options of one diff beyond the inputs.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub role: Option<Role>,
    pub fail_on: Severity,
    /// Waivers file, if any.
    pub waivers: Option<PathBuf>,
    /// The date waivers expire against.
    pub today: time::Date,
    /// The learned lineage changes are weighed with (see [`usage`]), if any.
    pub lineage: Option<crate::contract::lineage::Lineage>,
}

/// Compares the inputs and builds the report (waivers applied, gate decided).
pub fn diff(
    inputs: &Inputs,
    config: &DiffConfig,
    options: &DiffOptions,
) -> Result<DiffReport, Error> {
    let (changes, mut warnings, compared) = match inputs {
        Inputs::Paths { old, new } => {
            let (a, b) = input::load_pair(old, new, options.role, config.lenient)?;
            let warnings = quirk_warnings(&a, &b);
            let compared = format!("{} → {}", old.display(), new.display());
            let mut changes = ops::diff_apis(&a, &b, config);
            if old.is_dir() && new.is_dir() {
                let (ta, tb) = (tables::load(old)?, tables::load(new)?);
                let shown = |p: &Path| p.display().to_string();
                changes.extend(tables::diff_tables(&ta, &tb, config, &shown));
            }
            (changes, warnings, compared)
        }
        Inputs::Base { rev, path } => {
            let snapshot = git::snapshot(rev, path)?;
            let (old_kind, old_doc) =
                input::detect(&snapshot.path).map_err(|e| snapshot.relabel(e))?;
            let (new_kind, new_doc) = input::detect(path)?;
            if old_kind != new_kind {
                return Err(InputError::in_file(
                    path,
                    format!("changed kind since `{rev}`; cannot compare it with its old version"),
                )
                .into());
            }
            let mut a = input::load_side(
                &snapshot.path,
                old_kind,
                options.role,
                old_doc,
                config.lenient,
            )
            .map_err(|e| snapshot.relabel(e))?;
            for file in a.arena.files.iter_mut() {
                if let Some(shown) = snapshot.display(file) {
                    *file = PathBuf::from(shown);
                }
            }
            let b = input::load_side(path, new_kind, options.role, new_doc, config.lenient)?;
            let warnings = quirk_warnings(&a, &b);
            let compared = format!("{} → {}", snapshot.label, path.display());
            let mut changes = ops::diff_apis(&a, &b, config);
            if new_kind == input::InputKind::ContractDir {
                let ta = tables::load(&snapshot.path).map_err(|e| snapshot.relabel(e))?;
                let tb = tables::load(path)?;
                let shown = |p: &Path| {
                    snapshot
                        .display(p)
                        .unwrap_or_else(|| p.display().to_string())
                };
                changes.extend(tables::diff_tables(&ta, &tb, config, &shown));
            }
            (changes, warnings, compared)
        }
    };
    let mut changes = changes;
    if let Some(lineage) = &options.lineage {
        usage::weigh(&mut changes, lineage, config.unused);
    }
    if let Some(path) = &options.waivers {
        let list = waivers::load(path)?;
        for unused in waivers::apply(&list, &mut changes, options.today) {
            warnings.push(format!(
                "{}: the waiver for `{}` at `{}` in {} matches no change; remove it",
                path.display(),
                unused.kind,
                unused.location,
                unused.interface
            ));
        }
    }
    Ok(DiffReport::new(
        compared,
        changes,
        options.fail_on,
        warnings,
    ))
}

/// Compares two paths with default options (no waivers, fail on breaking).
pub fn diff_paths(
    old: &Path,
    new: &Path,
    role: Option<Role>,
    config: &DiffConfig,
) -> Result<DiffReport, Error> {
    let inputs = Inputs::Paths {
        old: old.to_path_buf(),
        new: new.to_path_buf(),
    };
    let options = DiffOptions {
        role,
        fail_on: Severity::Breaking,
        waivers: None,
        today: time::OffsetDateTime::now_utc().date(),
        lineage: None,
    };
    diff(&inputs, config, &options)
}

fn quirk_warnings(a: &api::Api, b: &api::Api) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for q in a.quirks.iter().chain(&b.quirks) {
        let line = format!(
            "{} ({} times; first at {}) — tolerated",
            q.message, q.count, q.first
        );
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}
