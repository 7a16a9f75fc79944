//! Contract version comparison: `interlock diff`.
//!
//! Two versions of an API (contract directories, a git revision and the working tree, OpenAPI
//! documents, or JSON Schema files with a role) are loaded into operations with normalised
//! schemas ([`input`], [`openapi`], [`normalize`]), compared message by message in the direction
//! data flows ([`ops`], [`compare`], [`keywords`], [`rename`]) with their security requirements
//! ([`security`]), judged by the rule table ([`rules`]) and the project's `[diff]` settings
//! ([`settings`]), matched against reviewed [`waivers`], and rendered ([`render`]). Findings are
//! data; only input that cannot be read or resolved is an error. Usage and formats:
//! `docs/diff.md`; the rule table: `docs/diff-rules.md`.

pub mod api;
pub mod change;
pub mod compare;
pub mod git;
pub mod input;
pub mod keywords;
pub mod merge;
pub mod normalize;
pub mod openapi;
pub mod ops;
pub mod rename;
pub mod render;
pub mod rules;
pub mod schema;
pub mod security;
pub mod settings;
pub mod waivers;
pub mod wire;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use change::{Change, DiffReport, Location, Summary, WaiverNote};
pub use input::Role;
pub use render::Format;
pub use rules::{Direction, Severity};
pub use settings::{ContentModel, DiffConfig, ReaderPolicy};

use crate::error::{Error, InputError};

/// Arguments of `interlock diff`.
#[derive(clap::Args, Debug, Clone)]
pub struct DiffArgs {
    /// The old version: a contracts directory, an OpenAPI document or a JSON Schema file
    /// (with `--base`: the path to compare with its state at REV; default the contracts directory)
    #[arg(value_name = "OLD")]
    pub old: Option<PathBuf>,
    /// The new version, of the same kind as OLD
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    /// Compare the contracts at this git revision with the working tree (no checkout)
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Direction of two bare JSON Schema files: who writes them
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when a change is at or above this severity
    #[arg(long, value_enum, default_value = "breaking", value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Directory compared with `--base`, and where the waivers file is looked up
    /// (default: the project's contracts directory)
    #[arg(long, value_name = "DIR")]
    pub contracts: Option<PathBuf>,
    /// Write the report to this file (atomically) instead of standard output
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Waivers file (default: `waivers.yaml` in the new contracts directory)
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Read invalid-but-repairable specs (unknown type names, `#components/…` references) with a
    /// warning instead of exit 2
    #[arg(long)]
    pub lenient: bool,
}

/// The `--fail-on` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Breaking,
    PotentiallyBreaking,
    /// Any change at all.
    Safe,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Breaking => Severity::Breaking,
            FailOn::PotentiallyBreaking => Severity::PotentiallyBreaking,
            FailOn::Safe => Severity::Safe,
        }
    }
}

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
}

/// Runs `interlock diff`; returns the exit code (0 or 1). Errors exit 2 (input) or 3
/// (environment).
pub fn run(args: &DiffArgs, config: &crate::config::Config) -> Result<u8, Error> {
    let inputs = inputs(args, config)?;
    let waivers = match &args.waivers {
        Some(path) => Some(path.clone()),
        None => {
            let dir = match &inputs {
                Inputs::Paths { new, .. } if new.is_dir() => new.clone(),
                Inputs::Base { path, .. } if path.is_dir() => path.clone(),
                _ => contracts_dir(args, config),
            };
            waivers::find(&dir)
        }
    };
    let options = DiffOptions {
        role: args.role,
        fail_on: args.fail_on.into(),
        waivers,
        today: time::OffsetDateTime::now_utc().date(),
    };
    let mut diff_config = config.diff.clone();
    diff_config.lenient |= args.lenient;
    let report = diff(&inputs, &diff_config, &options)?;
    let rendered = render::render(&report, args.format)?;
    match &args.output {
        Some(path) => crate::report::write_atomic(path, rendered.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|err| {
                    Error::environment(format!("cannot write to standard output: {err}"))
                })?;
        }
    }
    if args.format == Format::Markdown
        && let Some(summary) = crate::report::markdown::MarkdownReporter::step_summary_from_env()
    {
        crate::report::append_text(&summary, &rendered)?;
    }
    Ok(report.exit_code())
}

fn contracts_dir(args: &DiffArgs, config: &crate::config::Config) -> PathBuf {
    args.contracts
        .clone()
        .or_else(|| config.contracts.first().cloned())
        .unwrap_or_else(|| PathBuf::from("contracts"))
}

fn inputs(args: &DiffArgs, config: &crate::config::Config) -> Result<Inputs, Error> {
    match (&args.base, &args.old, &args.new) {
        (Some(rev), None, None) => Ok(Inputs::Base {
            rev: rev.clone(),
            path: contracts_dir(args, config),
        }),
        (Some(rev), Some(path), None) => Ok(Inputs::Base {
            rev: rev.clone(),
            path: path.clone(),
        }),
        (Some(_), Some(_), Some(_)) => Err(InputError::usage(
            "`--base` compares one path with its state at a revision, but OLD and NEW were both given",
        )
        .with_hint("drop `--base` to compare two paths, or give only the path to compare")
        .into()),
        (None, Some(old), Some(new)) => Ok(Inputs::Paths {
            old: old.clone(),
            new: new.clone(),
        }),
        (None, _, _) => Err(InputError::usage("`interlock diff` needs OLD and NEW, or `--base REV`")
            .with_hint("e.g. `interlock diff old-contracts/ contracts/` or `interlock diff --base origin/main`")
            .into()),
        (Some(_), None, Some(_)) => Err(InputError::usage("NEW given without OLD").into()),
    }
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
            (ops::diff_apis(&a, &b, config), warnings, compared)
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
            (ops::diff_apis(&a, &b, config), warnings, compared)
        }
    };
    let mut changes = changes;
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
