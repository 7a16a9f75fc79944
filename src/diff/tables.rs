//! Table contracts in a diff: the `*.table.yaml` files of both contract directories, paired by
//! system, schema and table, and compared by [`crate::db::compare::compare`] with the old
//! contract as the expected table and the new one as the actual table, so `interlock diff`
//! judges a table change exactly as `interlock db check` does. Each finding becomes a
//! [`Change`] with the bare rule id of its kind (`column-removed`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::change::{Change, Location};
use super::rules::{Kind, Severity};
use super::settings::DiffConfig;
use crate::db::table::{LoadedTable, TableContract, load_dir};
use crate::error::Error;
use crate::model::{self, Finding, FindingKind};

type Key = (String, String, String);

/// The table contracts under a contract directory (none when it is not a directory).
pub(crate) fn load(dir: &Path) -> Result<Vec<LoadedTable>, Error> {
    if dir.is_dir() {
        load_dir(dir)
    } else {
        Ok(Vec::new())
    }
}

/// Every table change between two sides; `shown` turns a file path into the one messages show.
pub(crate) fn diff_tables(
    old: &[LoadedTable],
    new: &[LoadedTable],
    config: &DiffConfig,
    shown: &dyn Fn(&Path) -> String,
) -> Vec<Change> {
    let key = |t: &LoadedTable| -> Key {
        (
            t.contract.system.clone(),
            t.contract.schema.clone(),
            t.contract.table.clone(),
        )
    };
    let old_map: BTreeMap<Key, &LoadedTable> = old.iter().map(|t| (key(t), t)).collect();
    let new_map: BTreeMap<Key, &LoadedTable> = new.iter().map(|t| (key(t), t)).collect();
    let mut out = Vec::new();
    for (k, before) in &old_map {
        let after = new_map.get(k).copied();
        for finding in crate::db::compare::compare(&before.contract, after.map(|t| &t.contract)) {
            out.push(change(before, after, finding, config, shown));
        }
    }
    for (k, after) in new_map.iter().filter(|(k, _)| !old_map.contains_key(*k)) {
        let t = &after.contract;
        let severity = pick(config, Kind::TableAdded, Severity::Safe);
        out.push(Change {
            kind: Kind::TableAdded.as_str().to_string(),
            severity,
            breaking: severity == Severity::Breaking,
            interface: t.interface(),
            operation: operation(k),
            location: Location {
                message: "table".to_string(),
                file: shown(&after.file),
                ..Location::default()
            },
            old: Value::Null,
            new: Value::String(t.table.clone()),
            consumers: t.consumers.clone(),
            message: format!(
                "new table contract `{}.{}` ({} columns)",
                t.schema,
                t.table,
                t.columns.len()
            ),
            usage: None,
            softened_from: None,
            waiver: None,
            rule: Some(Kind::TableAdded),
        });
    }
    out
}

/// `table crm.public.customers`.
fn operation((system, schema, table): &Key) -> String {
    format!("table {system}.{schema}.{table}")
}

/// The project's `[diff] severity` override of the rule, else the comparison's verdict.
fn pick(config: &DiffConfig, kind: Kind, judged: Severity) -> Severity {
    config
        .severity
        .get(kind.as_str())
        .copied()
        .unwrap_or(judged)
}

fn kind_of(kind: FindingKind) -> Kind {
    match kind {
        FindingKind::TableRemoved => Kind::TableRemoved,
        FindingKind::ColumnRemoved => Kind::ColumnRemoved,
        FindingKind::ColumnRenamed => Kind::ColumnRenamed,
        FindingKind::ColumnAdded => Kind::ColumnAdded,
        FindingKind::ColumnTypeChanged => Kind::ColumnTypeChanged,
        FindingKind::ColumnBecameNullable => Kind::ColumnBecameNullable,
        FindingKind::ColumnBecameNotNull => Kind::ColumnBecameNotNull,
        FindingKind::DefaultChanged => Kind::ColumnDefaultChanged,
        FindingKind::EnumValueRemoved => Kind::ColumnValueRemoved,
        FindingKind::EnumValueAdded => Kind::ColumnValueAdded,
        FindingKind::ConstraintAdded => Kind::TableConstraintAdded,
        // The comparison of two tables emits no other kind.
        _ => Kind::TableConstraintRemoved,
    }
}

/// Where a column sits in a contract file.
fn pointer(table: &TableContract, column: &str) -> String {
    table
        .columns
        .iter()
        .position(|c| c.name == column)
        .map(|i| format!("/columns/{i}"))
        .unwrap_or_default()
}

fn change(
    before: &LoadedTable,
    after: Option<&LoadedTable>,
    finding: Finding,
    config: &DiffConfig,
    shown: &dyn Fn(&Path) -> String,
) -> Change {
    let t = &before.contract;
    let kind = kind_of(finding.kind);
    let judged = match finding.severity {
        model::Severity::Failure => Severity::Breaking,
        model::Severity::Info => Severity::Safe,
    };
    let severity = pick(config, kind, judged);
    // The comparison places findings at `table` or `table.column`.
    let column = finding
        .path
        .strip_prefix(&format!("{}.", t.table))
        .map(str::to_string);
    // An added column sits in the new file; everything else where the old file had it.
    let (file, path): (&PathBuf, String) = match (&column, after) {
        (Some(c), Some(a)) if kind == Kind::ColumnAdded => (&a.file, pointer(&a.contract, c)),
        (Some(c), _) => (&before.file, pointer(t, c)),
        (None, Some(a)) => (&a.file, String::new()),
        (None, None) => (&before.file, String::new()),
    };
    // `affected` is the owning system first, then the readers.
    let consumers = finding.affected.iter().skip(1).cloned().collect();
    Change {
        kind: kind.as_str().to_string(),
        severity,
        breaking: severity == Severity::Breaking,
        interface: t.interface(),
        operation: operation(&(t.system.clone(), t.schema.clone(), t.table.clone())),
        location: Location {
            message: if column.is_some() { "column" } else { "table" }.to_string(),
            // `customers.tax_id`, as `db check` names it.
            field: if column.is_some() {
                finding.path.clone()
            } else {
                String::new()
            },
            file: shown(file),
            path,
            ..Location::default()
        },
        old: finding.old.unwrap_or(Value::Null),
        new: finding.new.unwrap_or(Value::Null),
        consumers,
        message: finding.message,
        usage: None,
        softened_from: None,
        waiver: None,
        rule: Some(kind),
    }
}
