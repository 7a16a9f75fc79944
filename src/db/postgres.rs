//! PostgreSQL: connect (no TLS), introspect through `pg_catalog`, and apply migrations inside
//! one transaction that is rolled back.
//!
//! Every call has a deadline: the connection attempt, each query (a client-side timeout and the
//! server's `statement_timeout`), and each migration file.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

use super::table::{Column, ForeignKey, Reference, TableContract, Unique};
use super::types::{PortableType, classify};
use crate::error::{Error, InputError};

/// An open connection.
pub struct Session {
    client: Client,
    timeout: Duration,
    /// The masked URL, for messages.
    shown: String,
}

/// Connects to `url` within `timeout`; an unreachable server or a refused login is an
/// environment error naming the masked URL.
pub async fn connect(url: &str, shown: &str, timeout: Duration) -> Result<Session, Error> {
    let unreachable = |why: String| Error::environment(format!("cannot connect to {shown}: {why}"));
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|err| InputError::usage(format!("`{shown}` is not a PostgreSQL URL: {err}")))?;
    config.connect_timeout(timeout);
    config.application_name("interlock");
    let (client, connection) = tokio::time::timeout(timeout, config.connect(NoTls))
        .await
        .map_err(|_| unreachable(format!("no answer within {:.1} s", timeout.as_secs_f64())))?
        .map_err(|err| unreachable(describe(&err)))?;
    // The connection drives the socket; it ends when the client is dropped.
    tokio::spawn(connection);
    let session = Session {
        client,
        timeout,
        shown: shown.to_owned(),
    };
    let ms = timeout.as_millis().max(1);
    session
        .run(
            session
                .client
                .batch_execute(&format!("SET statement_timeout = {ms}")),
        )
        .await?;
    Ok(session)
}

/// A driver error as one line: the server's own message when there is one.
fn describe(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

const COLUMNS: &str = "
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       t.typtype::text,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum";

const CONSTRAINTS: &str = "
SELECT con.conname::text, con.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
       fc.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o),
       pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
WHERE n.nspname = $1 AND c.relname = $2
ORDER BY con.conname";

const UNIQUE_INDEXES: &str = "
SELECT i.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND x.indisunique AND NOT x.indisprimary
  AND x.indexprs IS NULL AND x.indpred IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)
ORDER BY i.relname";

const TABLES: &str = "
SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname";

const SCHEMAS: &str = "
SELECT nspname::text FROM pg_namespace
WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname";

impl Session {
    /// Runs a query and hands each row on as the JSON object PostgreSQL makes of it
    /// (`row_to_json`: numerics as numbers, timestamps in ISO 8601), fetched through a
    /// read-only cursor a batch at a time, so a large result is never held whole.
    pub async fn json_rows(
        &self,
        sql: &str,
        each: &mut (dyn FnMut(serde_json::Value) -> Result<(), Error> + Send),
    ) -> Result<(), Error> {
        self.run(self.client.batch_execute("BEGIN READ ONLY"))
            .await?;
        let declare = format!(
            "DECLARE interlock_rows NO SCROLL CURSOR FOR SELECT row_to_json(q)::text FROM ({sql}) q"
        );
        let result = async {
            // SQLSTATE class 42 (syntax error or access rule violation: an unknown table or
            // column) is the query's fault; anything else is the server's.
            match tokio::time::timeout(self.timeout, self.client.batch_execute(&declare)).await {
                Ok(Err(err))
                    if err
                        .as_db_error()
                        .is_some_and(|db| db.code().code().starts_with("42")) =>
                {
                    let message = err
                        .as_db_error()
                        .map_or_else(|| describe(&err), |db| db.message().to_owned());
                    return Err(super::rejected_query(&format!(
                        "{message} (SQLSTATE {})",
                        err.code().map_or("42", |c| c.code())
                    )));
                }
                Ok(declared) => self.run(std::future::ready(declared)).await?,
                Err(_) => {
                    return Err(Error::environment(format!(
                        "{}: no answer within {:.1} s",
                        self.shown,
                        self.timeout.as_secs_f64()
                    )));
                }
            }
            loop {
                let rows = self
                    .run(self.client.query("FETCH 10000 FROM interlock_rows", &[]))
                    .await?;
                if rows.is_empty() {
                    return Ok(());
                }
                for row in rows {
                    let text: String = row.try_get(0).map_err(|err| self.unreadable(&err))?;
                    let value = serde_json::from_str(&text).map_err(|err| {
                        Error::environment(format!("{}: a row is not JSON: {err}", self.shown))
                    })?;
                    each(value)?;
                }
            }
        }
        .await;
        // Best effort: a failed transaction is rolled back by the server on disconnect too.
        let _ = self.run(self.client.batch_execute("ROLLBACK")).await;
        result
    }

    /// Awaits one driver call within the deadline.
    async fn run<T>(
        &self,
        call: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result
                .map_err(|err| Error::environment(format!("{}: {}", self.shown, describe(&err)))),
            Err(_) => Err(Error::environment(format!(
                "{}: no answer within {:.1} s",
                self.shown,
                self.timeout.as_secs_f64()
            ))),
        }
    }

    async fn strings(&self, sql: &str, params: &[&str]) -> Result<Vec<String>, Error> {
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        let rows = self.run(self.client.query(sql, &params)).await?;
        rows.iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<_, _>>()
            .map_err(|err| self.unreadable(&err))
    }

    fn unreadable(&self, err: &tokio_postgres::Error) -> Error {
        Error::environment(format!(
            "{}: unexpected catalog answer: {}",
            self.shown,
            describe(err)
        ))
    }

    pub async fn schemas(&self) -> Result<Vec<String>, Error> {
        self.strings(SCHEMAS, &[]).await
    }

    /// Tables and views of `schema`, by name.
    pub async fn tables(&self, schema: &str) -> Result<Vec<String>, Error> {
        self.strings(TABLES, &[schema]).await
    }

    /// The live table (or view) `schema.name`, or `None` when there is none.
    pub async fn table(
        &self,
        system: &str,
        schema: &str,
        name: &str,
    ) -> Result<Option<TableContract>, Error> {
        let rows = self
            .run(self.client.query(COLUMNS, &[&schema, &name]))
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut columns = Vec::new();
        for row in &rows {
            let read = || -> Result<Column, tokio_postgres::Error> {
                let native: String = row.try_get(1)?;
                let not_null: bool = row.try_get(2)?;
                let default: Option<String> = row.try_get(3)?;
                let identity: String = row.try_get(4)?;
                let generated: String = row.try_get(5)?;
                let typtype: String = row.try_get(6)?;
                let labels: Vec<String> = row.try_get(7)?;
                let c = classify(&native);
                let default = match (identity.as_str(), generated.as_str()) {
                    ("a", _) => Some("GENERATED ALWAYS AS IDENTITY".to_owned()),
                    ("d", _) => Some("GENERATED BY DEFAULT AS IDENTITY".to_owned()),
                    (_, "s") => default.map(|d| format!("GENERATED ALWAYS AS ({d}) STORED")),
                    _ => default,
                };
                Ok(Column {
                    name: row.try_get(0)?,
                    kind: if typtype == "e" {
                        PortableType::Enum
                    } else {
                        c.kind
                    },
                    native_type: native,
                    nullable: !not_null,
                    default,
                    length: c.length,
                    precision: c.precision,
                    scale: c.scale,
                    values: labels,
                    read_by: None,
                })
            };
            columns.push(read().map_err(|err| self.unreadable(&err))?);
        }
        let mut table = TableContract {
            system: system.to_owned(),
            schema: schema.to_owned(),
            table: name.to_owned(),
            consumers: Vec::new(),
            columns,
            primary_key: Vec::new(),
            unique: Vec::new(),
            foreign_keys: Vec::new(),
        };
        let constraints = self
            .run(self.client.query(CONSTRAINTS, &[&schema, &name]))
            .await?;
        for row in &constraints {
            self.constraint(&mut table, row)
                .map_err(|err| self.unreadable(&err))?;
        }
        let indexes = self
            .run(self.client.query(UNIQUE_INDEXES, &[&schema, &name]))
            .await?;
        for row in &indexes {
            let read = || -> Result<Unique, tokio_postgres::Error> {
                Ok(Unique {
                    name: Some(row.try_get(0)?),
                    columns: row.try_get(1)?,
                })
            };
            table
                .unique
                .push(read().map_err(|err| self.unreadable(&err))?);
        }
        Ok(Some(table))
    }

    fn constraint(
        &self,
        table: &mut TableContract,
        row: &tokio_postgres::Row,
    ) -> Result<(), tokio_postgres::Error> {
        let name: String = row.try_get(0)?;
        let kind: String = row.try_get(1)?;
        let columns: Vec<String> = row.try_get(2)?;
        match kind.as_str() {
            "p" => table.primary_key = columns,
            "u" => table.unique.push(Unique {
                name: Some(name),
                columns,
            }),
            "f" => table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                references: Reference {
                    table: row.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                    columns: row.try_get(4)?,
                },
            }),
            "c" => {
                let definition: String = row.try_get(5)?;
                if let [column] = columns.as_slice()
                    && (definition.contains("ANY") || definition.contains(" IN "))
                    && let Some(col) = table.columns.iter_mut().find(|c| &c.name == column)
                    && col.values.is_empty()
                {
                    col.values = super::sql::quoted_literals(&definition);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Starts the transaction the migrations run in.
    pub async fn begin(&self) -> Result<(), Error> {
        self.run(self.client.batch_execute("BEGIN")).await
    }

    /// Applies one migration file inside the open transaction; an SQL error is an input error
    /// naming the file.
    pub async fn apply(&self, file: &Path, sql: &str) -> Result<(), Error> {
        match tokio::time::timeout(self.timeout, self.client.batch_execute(sql)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) if err.as_db_error().is_some() => Err(InputError::in_file(
                file,
                format!("the migration failed on {}: {}", self.shown, describe(&err)),
            )
            .into()),
            Ok(Err(err)) => Err(Error::environment(format!(
                "{}: applying {}: {}",
                self.shown,
                file.display(),
                describe(&err)
            ))),
            Err(_) => Err(Error::environment(format!(
                "{}: {} did not finish within {:.1} s",
                self.shown,
                file.display(),
                self.timeout.as_secs_f64()
            ))),
        }
    }

    /// Rolls the migrations back: the database is left as it was.
    pub async fn rollback(&self) -> Result<(), Error> {
        self.run(self.client.batch_execute("ROLLBACK")).await
    }
}
