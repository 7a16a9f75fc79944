//! `interlock diff`: resolve what to compare and where the waivers are, diff, render, and gate.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{DiffArgs, FailOn};
use crate::config::Config;
use crate::diff::{self, DiffOptions, Format, Inputs, Severity};
use crate::error::{Error, InputError};

/// Runs `interlock diff`; returns the exit code (0 or 1). Errors exit 2 (input) or 3
/// (environment).
pub fn run(args: &DiffArgs, config: &Config) -> Result<u8, Error> {
    let inputs = inputs(args, config)?;
    if let Inputs::Paths { old, new } = &inputs {
        // The two versions named on the command line are read, and what they reference
        // inside their own folders.
        for side in [old, new] {
            let folder = if side.is_dir() {
                side.as_path()
            } else {
                side.parent().unwrap_or(std::path::Path::new("."))
            };
            let folder = if folder.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                folder
            };
            crate::json::add_ref_root(folder);
        }
    }
    let waivers = match &args.waivers {
        Some(path) => Some(path.clone()),
        None => {
            let dir = match &inputs {
                Inputs::Paths { new, .. } if new.is_dir() => new.clone(),
                Inputs::Base { path, .. } if path.is_dir() => path.clone(),
                _ => contracts_dir(args, config),
            };
            diff::waivers::find(&dir)
        }
    };
    let options = DiffOptions {
        role: args.role,
        fail_on: severity(args.fail_on),
        waivers,
        today: time::OffsetDateTime::now_utc().date(),
        // The working tree's lineage, whatever the two versions compared.
        lineage: diff::usage::load(args.lineage.as_deref(), &contracts_dir(args, config))?,
    };
    let mut diff_config = config.diff.clone();
    diff_config.lenient |= args.lenient;
    let report = diff::diff(&inputs, &diff_config, &options)?;
    let rendered = diff::render::render(&report, args.format)?;
    match &args.output {
        Some(path) => crate::fsutil::write_atomic(path, rendered.as_bytes())?,
        None => {
            let mut stdout = crate::fsutil::stdout();
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
        crate::fsutil::append_text(&summary, &rendered)?;
    }
    Ok(report.exit_code())
}

/// The severity `--fail-on` names.
fn severity(f: FailOn) -> Severity {
    match f {
        FailOn::Breaking => Severity::Breaking,
        FailOn::PotentiallyBreaking => Severity::PotentiallyBreaking,
        FailOn::Safe => Severity::Safe,
    }
}
fn contracts_dir(args: &DiffArgs, config: &Config) -> PathBuf {
    args.contracts
        .clone()
        .or_else(|| config.contracts.first().cloned())
        .unwrap_or_else(|| PathBuf::from("contracts"))
}

fn inputs(args: &DiffArgs, config: &Config) -> Result<Inputs, Error> {
    match (&args.base, &args.old, &args.new) {
        (Some(rev), None, None) => Ok(Inputs::Base {
            rev: rev.clone(),
            path: contracts_dir(args, config),
        }),
        (Some(_), Some(path), None) if crate::fsutil::is_stdio(path) => Err(InputError::usage(
            "`--base` compares a path in the working tree with its state at a revision; `-` is not a path",
        )
        .with_hint("give the file or folder to compare, or drop `--base` and give OLD and NEW")
        .into()),
        (Some(rev), Some(path), None) => Ok(Inputs::Base {
            rev: rev.clone(),
            path: path.clone(),
        }),
        (Some(_), Some(_), Some(_)) => Err(InputError::usage(
            "`--base` compares one path with its state at a revision, but OLD and NEW were both given",
        )
        .with_hint("drop `--base` to compare two paths, or give only the path to compare")
        .into()),
        (None, Some(old), Some(new))
            if crate::fsutil::is_stdio(old) && crate::fsutil::is_stdio(new) =>
        {
            Err(InputError::usage("OLD and NEW are both `-`; standard input holds only one of them")
                .with_hint("e.g. `git show main:openapi.yaml | interlock diff - openapi.yaml`")
                .into())
        }
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
