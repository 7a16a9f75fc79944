//! Deciding about pending snapshots: `interlock review` (interactive), `interlock accept` and
//! `interlock reject` (for scripts).
//!
//! A pending snapshot is a `.snap.new` beside a scenario's accepted `.snap` (see
//! [`crate::snapshot`]). Accepting renames it over the `.snap`; rejecting deletes it. In review,
//! a change that is noise (a value that differs on every run) can instead be ignored for good:
//! the field's rule is added to the scenario's `ignore:` list ([`noise`]) and the snapshots are
//! normalized again, so the change disappears. Usage is documented in `docs/snapshots.md`.

pub mod diff;
pub mod interactive;
pub mod noise;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::Config;
use crate::error::{Error, InputError};
use crate::snapshot::pending::{self, Pending};

/// `interlock review [SCENARIO…]`.
#[derive(Debug, Args, Clone, Default)]
pub struct ReviewArgs {
    /// Scenarios whose pending snapshots to review (folder names); all when none given.
    pub scenarios: Vec<String>,

    /// Project file (default: ./interlock.toml, else the embedded default).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `interlock accept|reject [--all | SCENARIO…]`.
#[derive(Debug, Args, Clone, Default)]
pub struct DecideArgs {
    /// Scenarios whose pending snapshots to decide (folder names).
    #[arg(conflicts_with = "all")]
    pub scenarios: Vec<String>,

    /// Every pending snapshot of every scenario.
    #[arg(long)]
    pub all: bool,

    /// Project file (default: ./interlock.toml, else the embedded default).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What to do with a pending snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
}

impl Decision {
    fn past(self) -> &'static str {
        match self {
            Decision::Accept => "accepted",
            Decision::Reject => "rejected",
        }
    }

    fn apply(self, pending: &Pending) -> Result<(), Error> {
        match self {
            Decision::Accept => pending.accept(),
            Decision::Reject => pending.reject(),
        }
    }
}

fn scenarios_dir(config: Option<&Path>) -> Result<PathBuf, Error> {
    Ok(Config::discover(config, Path::new(""))?.scenarios)
}

/// `interlock accept` / `interlock reject`: decides every pending snapshot of the selection and
/// prints one line per file.
pub fn decide(args: &DecideArgs, decision: Decision) -> Result<u8, Error> {
    let verb = match decision {
        Decision::Accept => "accept",
        Decision::Reject => "reject",
    };
    if !args.all && args.scenarios.is_empty() {
        return Err(
            InputError::usage(format!("`interlock {verb}` needs scenario names or --all"))
                .with_hint(format!(
                    "e.g. `interlock {verb} customer-onboarding`, or `interlock {verb} --all`"
                ))
                .into(),
        );
    }
    let found = pending::find(&scenarios_dir(args.config.as_deref())?, &args.scenarios)?;
    let mut out = std::io::stdout().lock();
    if found.is_empty() {
        let _ = writeln!(out, "No pending snapshots.");
        return Ok(crate::exit_code::OK);
    }
    for item in &found {
        decision.apply(item)?;
        let _ = writeln!(out, "{} {}", decision.past(), item.new.display());
    }
    let _ = writeln!(
        out,
        "{} {} snapshot{}",
        decision.past(),
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    Ok(crate::exit_code::OK)
}

/// `interlock review`: the interactive review on the terminal.
pub fn review(args: &ReviewArgs) -> Result<u8, Error> {
    let found = pending::find(&scenarios_dir(args.config.as_deref())?, &args.scenarios)?;
    if found.is_empty() {
        println!("No pending snapshots.");
        return Ok(crate::exit_code::OK);
    }
    if !std::io::stdin().is_terminal() {
        return Err(InputError::usage(format!(
            "`interlock review` is interactive, but its input is not a terminal ({} pending snapshot{})",
            found.len(),
            if found.len() == 1 { "" } else { "s" }
        ))
        .with_hint("in scripts use `interlock accept [--all | SCENARIO…]` or `interlock reject [--all | SCENARIO…]`")
        .into());
    }
    let colour = crate::report::console::ConsoleStyle::detect().color;
    let stdin = std::io::stdin();
    let mut session = interactive::Session::new(stdin.lock(), std::io::stdout(), colour);
    session.run(&found)?;
    Ok(crate::exit_code::OK)
}
