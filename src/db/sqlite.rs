//! SQLite: open a database file, introspect it with `PRAGMA table_info`, `foreign_key_list`
//! and `index_list`, and apply migrations to a scratch copy.
//!
//! The bundled SQLite (the `rusqlite` crate's `bundled` feature) needs no system library. A
//! check opens the file read-only; migrations run on a copy in a temporary folder, so the
//! database is left as it was whatever the migrations do.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::table::{Column, ForeignKey, Reference, TableContract, Unique};
use super::types::classify;
use crate::error::{Error, InputError};

/// An open database (and, for a scratch copy, the folder that holds it).
pub struct Session {
    conn: Connection,
    path: PathBuf,
    _scratch: Option<tempfile::TempDir>,
}

/// Opens `path` read-only; a missing file is an environment error.
pub fn open(path: &Path, timeout: Duration) -> Result<Session, Error> {
    if !path.is_file() {
        return Err(Error::environment(format!(
            "cannot open sqlite://{}: no such database file",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|err| fail(path, &err))?;
    conn.busy_timeout(timeout).map_err(|err| fail(path, &err))?;
    Ok(Session {
        conn,
        path: path.to_path_buf(),
        _scratch: None,
    })
}

/// Copies `path` to a temporary folder and applies each migration there, in order. An SQL
/// error is an input error naming the migration file.
pub fn open_migrated(
    path: &Path,
    migrations: &[(PathBuf, String)],
    timeout: Duration,
) -> Result<Session, Error> {
    if !path.is_file() {
        return Err(Error::environment(format!(
            "cannot open sqlite://{}: no such database file",
            path.display()
        )));
    }
    let scratch = tempfile::tempdir()
        .map_err(|err| Error::environment(format!("cannot create a scratch folder: {err}")))?;
    let copy = scratch.path().join("scratch.sqlite");
    std::fs::copy(path, &copy).map_err(|err| Error::io("copy", path, &err))?;
    let conn = Connection::open(&copy).map_err(|err| fail(path, &err))?;
    conn.busy_timeout(timeout).map_err(|err| fail(path, &err))?;
    for (file, sql) in migrations {
        conn.execute_batch(sql).map_err(|err| {
            InputError::in_file(
                file,
                format!(
                    "the migration failed on a copy of sqlite://{}: {err}",
                    path.display()
                ),
            )
        })?;
    }
    Ok(Session {
        conn,
        path: path.to_path_buf(),
        _scratch: Some(scratch),
    })
}

fn fail(path: &Path, err: &rusqlite::Error) -> Error {
    Error::environment(format!("sqlite://{}: {err}", path.display()))
}

/// `"name"`, with inner quotes doubled.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Session {
    fn fail(&self, err: &rusqlite::Error) -> Error {
        fail(&self.path, err)
    }

    /// Runs a query and hands each row on as a JSON object of its columns (integers and reals
    /// as numbers, text as strings, blobs as base64, NULL as null), one row at a time.
    pub fn json_rows(
        &self,
        sql: &str,
        each: &mut (dyn FnMut(serde_json::Value) -> Result<(), Error> + Send),
    ) -> Result<(), Error> {
        use base64::Engine as _;
        use rusqlite::types::ValueRef;
        use serde_json::Value;
        // SQLITE_ERROR while preparing: a syntax error, no such table, column or function.
        let mut stmt = self.conn.prepare(sql).map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(f, Some(message))
                if f.code == rusqlite::ErrorCode::Unknown =>
            {
                super::rejected_query(message)
            }
            rusqlite::Error::SqlInputError { msg, .. } => super::rejected_query(msg),
            _ => self.fail(&e),
        })?;
        let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
        let mut rows = stmt.query([]).map_err(|e| self.fail(&e))?;
        while let Some(row) = rows.next().map_err(|e| self.fail(&e))? {
            let mut object = serde_json::Map::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let value = match row.get_ref(i).map_err(|e| self.fail(&e))? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(x) => {
                        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                    }
                    ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => {
                        Value::String(base64::engine::general_purpose::STANDARD.encode(b))
                    }
                };
                object.insert(name.clone(), value);
            }
            each(Value::Object(object))?;
        }
        Ok(())
    }

    /// Every row of `sql`, read by `row`.
    fn rows<T>(
        &self,
        sql: &str,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, Error> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.fail(&e))?;
        stmt.query_map([], row)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| self.fail(&e))
    }

    /// The attached schemas (`main`, …).
    pub fn schemas(&self) -> Result<Vec<String>, Error> {
        self.rows("PRAGMA database_list", |row| row.get::<_, String>(1))
    }

    /// Tables and views of `schema`, by name (SQLite's own tables left out).
    pub fn tables(&self, schema: &str) -> Result<Vec<String>, Error> {
        if !self.schemas()?.iter().any(|s| s == schema) {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT name FROM {}.sqlite_master WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            ident(schema)
        );
        self.rows(&sql, |row| row.get::<_, String>(0))
    }

    /// The live table (or view) `schema.name`, or `None` when there is none.
    pub fn table(
        &self,
        system: &str,
        schema: &str,
        name: &str,
    ) -> Result<Option<TableContract>, Error> {
        if !self.tables(schema)?.iter().any(|t| t == name) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT sql FROM {}.sqlite_master WHERE name = ?1",
            ident(schema)
        );
        let create: String = self
            .conn
            .query_row(&sql, [name], |row| row.get::<_, Option<String>>(0))
            .map_err(|e| self.fail(&e))?
            .unwrap_or_default();
        let checks = check_in_lists(&create);

        let rows = self.rows(
            &format!("PRAGMA {}.table_info({})", ident(schema), ident(name)),
            |row| {
                Ok((
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    row.get::<_, bool>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            },
        )?;
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        let mut columns = Vec::new();
        for (column, native, not_null, default, pk) in rows {
            let c = classify(&native);
            if pk > 0 {
                primary_key.push((pk, column.clone()));
            }
            let values = checks
                .iter()
                .find(|(col, _)| col.eq_ignore_ascii_case(&column))
                .map(|(_, values)| values.clone())
                .unwrap_or_default();
            columns.push(Column {
                name: column,
                kind: c.kind,
                native_type: native,
                // A primary key column never holds NULL in practice (SQL's rule; SQLite's
                // rowid alias `INTEGER PRIMARY KEY` says `notnull = 0`).
                nullable: !not_null && pk == 0,
                default,
                length: c.length,
                precision: c.precision,
                scale: c.scale,
                values,
                read_by: None,
            });
        }
        primary_key.sort();
        let mut table = TableContract {
            system: system.to_owned(),
            schema: schema.to_owned(),
            table: name.to_owned(),
            consumers: Vec::new(),
            columns,
            primary_key: primary_key.into_iter().map(|(_, c)| c).collect(),
            unique: self.unique(schema, name)?,
            foreign_keys: Vec::new(),
        };
        table.foreign_keys = self.foreign_keys(schema, name)?;
        Ok(Some(table))
    }

    fn unique(&self, schema: &str, name: &str) -> Result<Vec<Unique>, Error> {
        let indexes = self.rows(
            &format!("PRAGMA {}.index_list({})", ident(schema), ident(name)),
            |row| {
                Ok((
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, bool>(4)?,
                ))
            },
        )?;
        let mut unique = Vec::new();
        for (index, is_unique, origin, partial) in indexes {
            if !is_unique || partial || origin == "pk" {
                continue;
            }
            let columns = self.rows(
                &format!("PRAGMA {}.index_info({})", ident(schema), ident(&index)),
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Option<String>>(2)?)),
            )?;
            // An index on an expression has a column without a name: not a column constraint.
            let Some(mut columns) = columns
                .into_iter()
                .map(|(seq, c)| c.map(|c| (seq, c)))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            columns.sort();
            unique.push(Unique {
                // SQLite names the index of a UNIQUE constraint itself (`sqlite_autoindex_…`).
                name: (origin == "c").then_some(index),
                columns: columns.into_iter().map(|(_, c)| c).collect(),
            });
        }
        unique.sort_by(|a, b| a.columns.cmp(&b.columns));
        Ok(unique)
    }

    /// The first primary key column of `table` (empty when it has none).
    fn primary_key_column(&self, schema: &str, table: &str) -> Result<String, Error> {
        let columns = self.rows(
            &format!("PRAGMA {}.table_info({})", ident(schema), ident(table)),
            |row| Ok((row.get::<_, i64>(5)?, row.get::<_, String>(1)?)),
        )?;
        Ok(columns
            .into_iter()
            .filter(|(pk, _)| *pk > 0)
            .min()
            .map(|(_, c)| c)
            .unwrap_or_default())
    }

    fn foreign_keys(&self, schema: &str, name: &str) -> Result<Vec<ForeignKey>, Error> {
        let rows = self.rows(
            &format!("PRAGMA {}.foreign_key_list({})", ident(schema), ident(name)),
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            },
        )?;
        let mut keys: Vec<(i64, ForeignKey)> = Vec::new();
        for (id, _seq, target, from, to) in rows {
            let to = match to {
                Some(to) => to,
                // `REFERENCES t` without columns means t's primary key.
                None => self.primary_key_column(schema, &target)?,
            };
            match keys.iter_mut().find(|(k, _)| *k == id) {
                Some((_, key)) => {
                    key.columns.push(from);
                    key.references.columns.push(to);
                }
                None => keys.push((
                    id,
                    ForeignKey {
                        name: None,
                        columns: vec![from],
                        references: Reference {
                            table: target,
                            columns: vec![to],
                        },
                    },
                )),
            }
        }
        let mut keys: Vec<ForeignKey> = keys.into_iter().map(|(_, k)| k).collect();
        keys.sort_by(|a, b| a.columns.cmp(&b.columns));
        Ok(keys)
    }
}

/// The `column IN ('a', 'b')` lists of every `CHECK (…)` in a `CREATE TABLE` statement.
fn check_in_lists(create: &str) -> Vec<(String, Vec<String>)> {
    let lower = create.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("check") {
        let start = from + at + "check".len();
        from = start;
        let Some(open) = lower[start..].find('(').map(|i| start + i) else {
            break;
        };
        if !lower[start..open].trim().is_empty() {
            continue;
        }
        let Some(close) = matching_paren(&lower, open) else {
            break;
        };
        let expr = &create[open + 1..close];
        let expr_lower = &lower[open + 1..close];
        if let Some(in_at) = expr_lower.find(" in ").or_else(|| expr_lower.find(" in("))
            && !expr_lower.contains(" or ")
            && !expr_lower.contains(" and ")
        {
            let column = expr[..in_at]
                .trim()
                .trim_matches(|c| matches!(c, '(' | ')' | '"' | '`' | '[' | ']' | ' '));
            found.push((
                column.to_owned(),
                super::sql::quoted_literals(&expr[in_at..]),
            ));
        }
        from = close;
    }
    found
}

/// The position of the parenthesis closing the one at `open`, skipping quoted text.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text[open..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lists_of_both_spellings_are_read() {
        let create = "CREATE TABLE t (id INTEGER, status TEXT NOT NULL CHECK (status IN ('active', 'on''hold')), \
                      tier TEXT, CHECK(\"tier\" IN('a','b')), CHECK (id > 0 AND id < 9))";
        assert_eq!(
            check_in_lists(create),
            vec![
                (
                    "status".to_owned(),
                    vec!["active".to_owned(), "on'hold".to_owned()]
                ),
                ("tier".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ]
        );
        assert_eq!(
            crate::db::sql::quoted_literals(
                "CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'blocked'::character varying])::text[])))"
            ),
            vec!["active".to_owned(), "blocked".to_owned()]
        );
    }
}
