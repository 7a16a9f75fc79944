//! `interlock db pull` and `interlock db check`: flags and the project file → database URLs
//! and table contracts → the `db` engine → files and reports.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{DbArgs, DbCheckArgs, DbCommand, DbPullArgs, GlobalArgs};
use crate::config::Config;
use crate::db::{self, CheckRequest, DbUrl, LoadedTable, PullRequest, SystemCheck};
use crate::error::{Error, InputError, did_you_mean};
use crate::exit_code;

/// Runs `interlock db …`; returns the exit code.
pub(crate) fn run(args: &DbArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    match &args.command {
        DbCommand::Pull(args) => pull(args, &config, global),
        DbCommand::Check(args) => check(args, &config, global),
    }
}

fn pull(args: &DbPullArgs, config: &Config, global: &GlobalArgs) -> Result<u8, Error> {
    let url = match &args.url {
        Some(url) => command_line_url(url)?,
        None => {
            let databases = profile_databases(config, args.profile.as_deref())?;
            database_of(config, &databases, &args.system, args.profile.as_deref())?
        }
    };
    let request = PullRequest {
        url: url.clone(),
        system: args.system.clone(),
        schema: args.schema.clone(),
        tables: args.tables.clone(),
        timeout: timeout(args.timeout, config)?,
    };
    let tables = super::runtime()?.block_on(db::pull(&request))?;
    for table in tables {
        let file = args
            .out
            .join(format!("{}{}", table.table, db::table::TABLE_SUFFIX));
        // Consumers and `read_by` are what people wrote: pulling again keeps them.
        let previous = file
            .is_file()
            .then(|| db::table::load_file(&file).ok())
            .flatten();
        let table = db::merge_readers(table, previous.as_ref(), &args.consumers);
        let text = table.to_yaml(&format!(
            "Pulled from {} by `interlock db pull`; list the consumers and what they read.",
            url.shown()
        ))?;
        crate::fsutil::write_atomic(&file, text.as_bytes())?;
        super::inform(
            global,
            format_args!("wrote {} ({} columns)", file.display(), table.columns.len()),
        );
    }
    Ok(exit_code::OK)
}

fn check(args: &DbCheckArgs, config: &Config, global: &GlobalArgs) -> Result<u8, Error> {
    let dirs: Vec<PathBuf> = match &args.contracts {
        Some(dir) => vec![dir.clone()],
        None => config.contracts.clone(),
    };
    let mut by_system: BTreeMap<String, Vec<LoadedTable>> = BTreeMap::new();
    for dir in &dirs {
        for table in db::table::load_dir(dir)? {
            by_system
                .entry(table.contract.system.clone())
                .or_default()
                .push(table);
        }
    }
    if by_system.is_empty() {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(InputError::usage(format!(
            "no table contracts (*.table.yaml) under {}",
            shown.join(", ")
        ))
        .with_hint("write them with `interlock db pull --out contracts/db/SYSTEM …`")
        .into());
    }
    if let Some(system) = &args.system {
        if !by_system.contains_key(system) {
            return Err(
                InputError::usage(format!("no table contract of system `{system}`"))
                    .with_hint_opt(did_you_mean(system, by_system.keys().map(String::as_str)))
                    .into(),
            );
        }
        by_system.retain(|name, _| name == system);
    }
    let migrations = match &args.migrations {
        Some(dir) => db::migrations::load(dir)?,
        None => Vec::new(),
    };
    let systems = match &args.url {
        Some(url) => {
            if by_system.len() > 1 {
                let names: Vec<&str> = by_system.keys().map(String::as_str).collect();
                return Err(InputError::usage(format!(
                    "--url names one database, but the contracts cover the systems {}",
                    names.join(", ")
                ))
                .with_hint("add --system NAME")
                .into());
            }
            let url = command_line_url(url)?;
            by_system
                .into_iter()
                .map(|(system, tables)| SystemCheck {
                    system,
                    url: url.clone(),
                    tables,
                })
                .collect()
        }
        None => {
            let databases = profile_databases(config, args.profile.as_deref())?;
            let mut systems = Vec::new();
            let mut errors = Vec::new();
            for (system, tables) in by_system {
                match database_of(config, &databases, &system, args.profile.as_deref()) {
                    Ok(url) => systems.push(SystemCheck {
                        system,
                        url,
                        tables,
                    }),
                    Err(Error::Input(mut e)) => errors.append(&mut e),
                    Err(err) => return Err(err),
                }
            }
            if !errors.is_empty() {
                return Err(Error::Input(errors));
            }
            systems
        }
    };
    let request = CheckRequest {
        systems,
        migrations,
        migrations_dir: args.migrations.clone(),
        timeout: timeout(args.timeout, config)?,
    };
    let reporters = super::outputs(&args.output, global)?.with_console();
    let result = super::runtime()?.block_on(db::check(&request, reporters))?;
    Ok(result.exit_code())
}

/// A URL from the command line: parsed, and refused when it carries a password (which would
/// end up in shell history and CI logs).
fn command_line_url(text: &str) -> Result<DbUrl, Error> {
    if DbUrl::has_password(text) {
        return Err(InputError::usage(format!(
            "--url `{}` carries a password; a password on the command line ends up in shell \
             history and CI logs",
            db::url::mask(text)
        ))
        .with_hint(
            "put the URL in interlock.toml as [profiles.P.databases.SYSTEM] url = \"${CRM_DB_URL}\" \
             and export CRM_DB_URL",
        )
        .into());
    }
    DbUrl::parse(text, "--url")
}

/// The chosen profile's database URLs (interpolated).
fn profile_databases(
    config: &Config,
    profile: Option<&str>,
) -> Result<BTreeMap<String, String>, Error> {
    let name = profile.unwrap_or(&config.default_profile);
    Ok(config.profile(name)?.databases)
}

/// The database named after `system` in the profile.
fn database_of(
    config: &Config,
    databases: &BTreeMap<String, String>,
    system: &str,
    profile: Option<&str>,
) -> Result<DbUrl, Error> {
    let name = profile.unwrap_or(&config.default_profile);
    match databases.get(system) {
        Some(url) => DbUrl::parse(
            url,
            &format!("{}: [profiles.{name}.databases.{system}] url", config.file.display()),
        ),
        None => Err(InputError::usage(format!(
            "no database for system `{system}`: give --url, or set [profiles.{name}.databases.{system}] \
             url in {}",
            config.file.display()
        ))
        .with_hint_opt(did_you_mean(system, databases.keys().map(String::as_str)))
        .into()),
    }
}

fn timeout(flag: Option<f64>, config: &Config) -> Result<Duration, Error> {
    match flag {
        None => Ok(config.timeout),
        Some(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        Some(secs) => Err(InputError::usage(format!(
            "--timeout {secs} is out of range (0 < t ≤ 3600)"
        ))
        .into()),
    }
}
