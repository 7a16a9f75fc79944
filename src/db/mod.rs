//! Table contracts and the databases they describe: pull a contract from a live table, and
//! check a live database (optionally with migrations applied and rolled back) against its
//! contracts.
//!
//! A customer table is an interface too: the ERP's nightly sync reads it through a view or an
//! export, never through the API. `table.rs` is the contract format, `postgres.rs` and
//! `sqlite.rs` read live tables into the same model, `compare.rs` turns differences into
//! findings, and [`check`] reports them through the same reporters as `interlock run`: one
//! scenario per system, one exchange per table.

pub mod compare;
pub mod migrations;
pub mod postgres;
pub(crate) mod sql;
pub mod sqlite;
pub mod table;
pub mod types;
pub mod url;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use table::{LoadedTable, TableContract};
pub use url::DbUrl;

use crate::error::{Error, InputError, did_you_mean};
use crate::model::{ExchangeResult, RunResult, ScenarioResult};
use crate::report::{Event, Reporter};

/// A query the database rejects as malformed (a syntax error, an unknown table, column or
/// function): whoever wrote it must fix it, so it is an input error (exit 2), not the
/// environment's. The caller names the file and place of the query.
pub fn rejected_query(message: &str) -> Error {
    Error::Input(vec![InputError::usage(format!(
        "the database rejects the query: {message}"
    ))])
}

/// An open database: a PostgreSQL session (maybe inside the migrations' transaction) or a
/// SQLite file (maybe a migrated scratch copy).
pub enum Live {
    Postgres {
        session: postgres::Session,
        in_transaction: bool,
    },
    Sqlite(sqlite::Session),
}

impl Live {
    /// Opens the database at `url`; with migrations, applies them (PostgreSQL: inside one
    /// transaction that [`Live::close`] rolls back; SQLite: on a scratch copy).
    pub async fn open(
        url: &DbUrl,
        timeout: Duration,
        migrations: &[(PathBuf, String)],
    ) -> Result<Live, Error> {
        match url {
            DbUrl::Sqlite { path } => {
                let session = if migrations.is_empty() {
                    sqlite::open(path, timeout)?
                } else {
                    sqlite::open_migrated(path, migrations, timeout)?
                };
                Ok(Live::Sqlite(session))
            }
            DbUrl::Postgres { url, shown } => {
                migrations::refuse_transaction_control(migrations)?;
                let session = postgres::connect(url, shown, timeout).await?;
                if migrations.is_empty() {
                    return Ok(Live::Postgres {
                        session,
                        in_transaction: false,
                    });
                }
                session.begin().await?;
                for (file, sql) in migrations {
                    if let Err(err) = session.apply(file, sql).await {
                        // Best effort: the server rolls back on disconnect anyway.
                        let _ = session.rollback().await;
                        return Err(err);
                    }
                }
                Ok(Live::Postgres {
                    session,
                    in_transaction: true,
                })
            }
        }
    }

    pub async fn schemas(&self) -> Result<Vec<String>, Error> {
        match self {
            Live::Postgres { session, .. } => session.schemas().await,
            Live::Sqlite(session) => session.schemas(),
        }
    }

    pub async fn tables(&self, schema: &str) -> Result<Vec<String>, Error> {
        match self {
            Live::Postgres { session, .. } => session.tables(schema).await,
            Live::Sqlite(session) => session.tables(schema),
        }
    }

    pub async fn table(
        &self,
        system: &str,
        schema: &str,
        name: &str,
    ) -> Result<Option<TableContract>, Error> {
        match self {
            Live::Postgres { session, .. } => session.table(system, schema, name).await,
            Live::Sqlite(session) => session.table(system, schema, name),
        }
    }

    /// Rolls back the migrations' transaction (a SQLite scratch copy is deleted on drop).
    pub async fn close(self) -> Result<(), Error> {
        match self {
            Live::Postgres {
                session,
                in_transaction: true,
            } => session.rollback().await,
            _ => Ok(()),
        }
    }
}

/// What `interlock db pull` reads.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub url: DbUrl,
    pub system: String,
    pub schema: Option<String>,
    /// Tables to pull; every table and view of the schema when empty.
    pub tables: Vec<String>,
    pub timeout: Duration,
}

/// Reads the live tables into contracts (no consumers yet). An unknown schema or table is an
/// input error with a did-you-mean.
pub async fn pull(request: &PullRequest) -> Result<Vec<TableContract>, Error> {
    let schema = request
        .schema
        .clone()
        .unwrap_or_else(|| request.url.default_schema().to_owned());
    let live = Live::open(&request.url, request.timeout, &[]).await?;
    let available = live.tables(&schema).await?;
    if available.is_empty() {
        let schemas = live.schemas().await?;
        if !schemas.contains(&schema) {
            return Err(InputError::usage(format!(
                "no schema `{schema}` in {}",
                request.url.shown()
            ))
            .with_hint_opt(did_you_mean(&schema, schemas.iter().map(String::as_str)))
            .into());
        }
    }
    let mut errors = Vec::new();
    for wanted in &request.tables {
        if !available.contains(wanted) {
            errors.push(
                InputError::usage(format!(
                    "no table or view `{schema}.{wanted}` in {}",
                    request.url.shown()
                ))
                .with_hint_opt(did_you_mean(wanted, available.iter().map(String::as_str))),
            );
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let names = if request.tables.is_empty() {
        available
    } else {
        request.tables.clone()
    };
    let mut tables = Vec::new();
    for name in names {
        if let Some(table) = live.table(&request.system, &schema, &name).await? {
            tables.push(table);
        }
    }
    live.close().await?;
    Ok(tables)
}

/// One system's database and the contracts of its tables.
#[derive(Debug, Clone)]
pub struct SystemCheck {
    pub system: String,
    pub url: DbUrl,
    pub tables: Vec<LoadedTable>,
}

/// What `interlock db check` compares.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub systems: Vec<SystemCheck>,
    /// Migration files in the order they are applied, with their text.
    pub migrations: Vec<(PathBuf, String)>,
    /// The folder they came from, for the report.
    pub migrations_dir: Option<PathBuf>,
    pub timeout: Duration,
}

/// Checks every system's live tables against their contracts and tells `reporters`: one
/// scenario per system (its target the masked URL), one exchange per table. A database that
/// cannot be reached is that scenario's error (exit 3); a migration that fails to apply is an
/// input error (exit 2).
pub async fn check(
    request: &CheckRequest,
    mut reporters: Vec<Box<dyn Reporter>>,
) -> Result<RunResult, Error> {
    let started = Instant::now();
    let tell = |reporters: &mut Vec<Box<dyn Reporter>>, event: &Event<'_>| {
        reporters.iter_mut().try_for_each(|r| r.report(event))
    };
    tell(
        &mut reporters,
        &Event::RunStarted {
            scenarios: request.systems.len(),
            exchanges: request.systems.iter().map(|s| s.tables.len()).sum(),
        },
    )?;
    let mut scenarios = Vec::new();
    for system in &request.systems {
        let scenario = check_system(request, system).await?;
        tell(
            &mut reporters,
            &Event::ScenarioFinished { result: &scenario },
        )?;
        scenarios.push(scenario);
    }
    let result = RunResult {
        scenarios,
        duration: started.elapsed(),
        shard: None,
        run_id: None,
        notes: Vec::new(),
    };
    tell(&mut reporters, &Event::RunFinished { result: &result })?;
    Ok(result)
}

async fn check_system(
    request: &CheckRequest,
    system: &SystemCheck,
) -> Result<ScenarioResult, Error> {
    let started = Instant::now();
    let mut target = system.url.shown();
    if let Some(dir) = &request.migrations_dir {
        target.push_str(&format!(" + migrations {} (rolled back)", dir.display()));
    }
    let mut scenario = ScenarioResult::new(format!("db {}", system.system), target);
    let live = match Live::open(&system.url, request.timeout, &request.migrations).await {
        Ok(live) => live,
        Err(Error::Environment(message)) => {
            scenario.error = Some(message);
            scenario.duration = started.elapsed();
            return Ok(scenario);
        }
        Err(err) => return Err(err),
    };
    for (index, loaded) in system.tables.iter().enumerate() {
        let table_started = Instant::now();
        let contract = &loaded.contract;
        let mut exchange = ExchangeResult {
            index,
            name: format!("table {}.{}", contract.schema, contract.table),
            method: "TABLE".to_owned(),
            url: format!("{}.{}", contract.schema, contract.table),
            skipped: false,
            interface: Some(contract.interface()),
            recorded_status: 200,
            live_status: None,
            duration: Duration::ZERO,
            recorded_duration_ms: None,
            findings: Vec::new(),
            error: None,
            recorded_body: None,
            live_body: None,
        };
        match live
            .table(&system.system, &contract.schema, &contract.table)
            .await
        {
            Ok(found) => {
                // A table stands where an HTTP exchange would: 200 present, 404 gone.
                exchange.live_status = Some(if found.is_some() { 200 } else { 404 });
                exchange.findings = compare::compare(contract, found.as_ref());
                if exchange.findings.iter().any(|f| f.is_failure()) {
                    exchange.recorded_body = serde_json::to_value(contract).ok();
                    exchange.live_body = found.as_ref().and_then(|t| serde_json::to_value(t).ok());
                }
            }
            Err(Error::Environment(message)) => exchange.error = Some(message),
            Err(err) => return Err(err),
        }
        exchange.duration = table_started.elapsed();
        scenario.exchanges.push(exchange);
    }
    if let Err(Error::Environment(message)) = live.close().await {
        scenario.error = Some(format!("cannot roll the migrations back: {message}"));
    }
    scenario.duration = started.elapsed();
    Ok(scenario)
}

/// A pulled table with the consumers and `read_by` of the contract it replaces (or the
/// consumers given), so pulling again keeps what people wrote.
pub fn merge_readers(
    mut pulled: TableContract,
    previous: Option<&TableContract>,
    consumers: &[String],
) -> TableContract {
    if let Some(previous) = previous {
        pulled.consumers = previous.consumers.clone();
        for column in &mut pulled.columns {
            if let Some(old) = previous.column(&column.name) {
                column.read_by = old.read_by.clone();
            }
        }
    }
    if !consumers.is_empty() {
        pulled.consumers = consumers.to_vec();
        for column in &mut pulled.columns {
            if let Some(read_by) = &mut column.read_by {
                read_by.retain(|r| consumers.contains(r));
            }
        }
    }
    pulled
}
