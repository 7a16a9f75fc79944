//! `interlock reconcile`: the project file's profile → sources; reconciliation files → the
//! `reconcile` engine → the same reporters as `run` → exit code.

use crate::cli::{GlobalArgs, ReconcileArgs};
use crate::error::{Error, InputError};
use crate::reconcile::{self, Environment, Options};

/// Runs `interlock reconcile`; returns the exit code.
pub(crate) fn run(args: &ReconcileArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    let outputs = super::outputs(&args.output, global)?;
    let dir = config.root.join(reconcile::spec::DIR);
    let files = reconcile::select(&dir, &args.names)?;
    if files.is_empty() {
        return Err(InputError::usage(format!(
            "no reconciliation files (*.yaml) in {}",
            dir.display()
        ))
        .with_hint("write one as described in docs/reconcile.md, e.g. reconcile/receivables.yaml")
        .into());
    }
    let recs = reconcile::load_all(&files)?;
    let name = args
        .profile
        .clone()
        .unwrap_or_else(|| config.default_profile.clone());
    let profile = config.profile(&name)?;
    let timeout = match args.timeout {
        None => config.timeout,
        Some(secs) if secs > 0.0 && secs <= 3600.0 => std::time::Duration::from_secs_f64(secs),
        Some(secs) => {
            return Err(InputError::usage(format!(
                "--timeout {secs} is out of range (0 < t ≤ 3600)"
            ))
            .into());
        }
    };
    // Only the chosen profile's credentials are read; their values are never shown.
    let credentials = config.credentials(&name)?;
    for c in credentials.values() {
        crate::redact::secrets::register(c.secrets());
    }
    let env = Environment {
        profile: name,
        config_file: config.file.clone(),
        targets: profile.targets,
        databases: profile.databases,
        timeout,
        credentials,
    };
    reconcile::resolve_all(&recs, &env)?;
    let printer = reconcile::redact::Printer::new(&config.redact, &config.file)?;
    let options = Options {
        examples: args.examples,
        ..Options::default()
    };
    let reporters = outputs.with_console();
    let result =
        super::runtime()?.block_on(reconcile::run(&recs, &env, &printer, &options, reporters))?;
    Ok(result.exit_code())
}
