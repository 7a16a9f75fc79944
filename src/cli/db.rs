//! `interlock db`: table contracts pulled from, and checked against, a live database.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::OutputArgs;

/// Arguments of `interlock db`.
#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum DbCommand {
    /// Read tables of a live database into table contracts (`<table>.table.yaml`).
    Pull(DbPullArgs),
    /// Compare a live database (optionally with migrations applied and rolled back) with the
    /// table contracts.
    Check(DbCheckArgs),
}

/// Arguments of `interlock db pull`.
#[derive(Debug, Args, Clone)]
pub struct DbPullArgs {
    /// `postgres://USER@HOST:PORT/DB` or `sqlite://PATH`, without a password (default: the
    /// profile's database named after --system).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Profile whose `[profiles.P.databases.SYSTEM]` URL to use when --url is not given.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Schema to read (default `public` for PostgreSQL, `main` for SQLite).
    #[arg(long, value_name = "S")]
    pub schema: Option<String>,

    /// Table or view to pull (repeatable); every one of the schema when none is given.
    #[arg(long = "table", value_name = "T")]
    pub tables: Vec<String>,

    /// The system that owns the database, written into each contract (`crm`).
    #[arg(long, value_name = "NAME")]
    pub system: String,

    /// A system that reads the tables (repeatable); replaces the consumers kept from an
    /// existing contract.
    #[arg(long = "consumer", value_name = "NAME")]
    pub consumers: Vec<String>,

    /// Folder to write `<table>.table.yaml` files into (e.g. contracts/db/crm).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Seconds for connecting and for each query (default: the project's run.timeout_secs).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
}

/// Arguments of `interlock db check`.
#[derive(Debug, Args, Clone)]
pub struct DbCheckArgs {
    /// Profile whose `[profiles.P.databases.SYSTEM]` URLs to use (default: the project's
    /// default profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Check only the tables of this system.
    #[arg(long, value_name = "NAME")]
    pub system: Option<String>,

    /// The database to check, without a password; overrides the profile.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Apply these `*.sql` files (by file name order) first, inside a transaction that is
    /// rolled back (SQLite: on a scratch copy): the gate for a migration before it ships.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,

    /// Folder searched for `*.table.yaml` (default: the project's contract folders).
    #[arg(long, value_name = "DIR")]
    pub contracts: Option<PathBuf>,

    /// Seconds for connecting and for each query (default: the project's run.timeout_secs).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    #[command(flatten)]
    pub output: OutputArgs,
}
