//! The live table against its contract: one [`Finding`] per difference, its severity decided
//! by who is hurt.
//!
//! The direction rule for tables: the table's consumers *read* it (through a view, an export,
//! a query); the owning system *writes* it. A change that takes away what a reader reads
//! (a column removed or renamed, a NOT NULL column that may now be NULL, a type a reader sized
//! for the old one must now hold) fails when somebody reads that column and is information
//! otherwise. A change that rejects what writers send (a narrower type, a new NOT NULL column
//! without a default, a value removed from a list, a new constraint) always fails. The table of
//! every kind and its severity is in `docs/table-contracts.md`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::table::{Column, TableContract};
use super::types::{TypeChange, normalize_native, type_change};
use crate::model::{Finding, FindingKind, Location, Severity};

/// Compares a contract with the live table (`None`: the table is gone).
pub fn compare(contract: &TableContract, live: Option<&TableContract>) -> Vec<Finding> {
    let mut out = Findings {
        contract,
        list: Vec::new(),
    };
    let Some(live) = live else {
        out.push(
            FindingKind::TableRemoved,
            fails_if_read(&contract.consumers),
            None,
            &contract.consumers,
            format!(
                "table `{}.{}` is gone from the database",
                contract.schema, contract.table
            ),
            Some(json!(contract.table)),
            None,
        );
        return out.list;
    };

    let removed: Vec<&Column> = contract
        .columns
        .iter()
        .filter(|c| live.column(&c.name).is_none())
        .collect();
    let added: Vec<&Column> = live
        .columns
        .iter()
        .filter(|c| contract.column(&c.name).is_none())
        .collect();
    let renames = renames(&removed, &added);

    for old in &removed {
        let readers = contract.readers(old);
        match renames.get(old.name.as_str()) {
            Some(new) => out.push(
                FindingKind::ColumnRenamed,
                fails_if_read(&readers),
                Some(&old.name),
                &readers,
                format!(
                    "column `{}` is gone and `{new}` of the same type ({}) appeared: renamed; \
                     readers of `{}` break",
                    old.name,
                    old.signature(),
                    old.name
                ),
                Some(json!(old.name)),
                Some(json!(new)),
            ),
            None => out.push(
                FindingKind::ColumnRemoved,
                fails_if_read(&readers),
                Some(&old.name),
                &readers,
                format!("column `{}` ({}) is gone", old.name, old.signature()),
                Some(json!(old.signature())),
                None,
            ),
        }
    }
    let renamed_to: Vec<&str> = renames.values().map(String::as_str).collect();
    for new in added
        .iter()
        .filter(|c| !renamed_to.contains(&c.name.as_str()))
    {
        let breaks_writers = !new.nullable && new.default.is_none();
        let message = if breaks_writers {
            format!(
                "new column `{}` ({}) is NOT NULL without a default: an INSERT that does not \
                 name it fails",
                new.name,
                new.signature()
            )
        } else {
            format!(
                "new column `{}` ({}{})",
                new.name,
                new.signature(),
                if new.nullable {
                    ", nullable"
                } else {
                    ", with a default"
                }
            )
        };
        out.push(
            FindingKind::ColumnAdded,
            if breaks_writers {
                Severity::Failure
            } else {
                Severity::Info
            },
            Some(&new.name),
            &[],
            message,
            None,
            Some(json!(new.signature())),
        );
    }

    for old in &contract.columns {
        if let Some(new) = live.column(&old.name) {
            compare_column(&mut out, old, new);
        }
    }
    let gone: Vec<&str> = removed
        .iter()
        .filter(|c| !renames.contains_key(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    compare_constraints(&mut out, live, &renames, &gone);
    out.list
}

/// Removed columns paired with added ones of the same type, size, nullability and values,
/// when the pairing is unambiguous both ways.
fn renames(removed: &[&Column], added: &[&Column]) -> BTreeMap<String, String> {
    let same = |a: &Column, b: &Column| {
        (
            a.kind,
            a.length,
            a.precision,
            a.scale,
            a.nullable,
            &a.values,
        ) == (
            b.kind,
            b.length,
            b.precision,
            b.scale,
            b.nullable,
            &b.values,
        )
    };
    let mut pairs = BTreeMap::new();
    for old in removed {
        let candidates: Vec<&&Column> = added.iter().filter(|new| same(old, new)).collect();
        if let [new] = candidates.as_slice()
            && removed.iter().filter(|o| same(o, new)).count() == 1
        {
            pairs.insert(old.name.clone(), new.name.clone());
        }
    }
    pairs
}

fn compare_column(out: &mut Findings<'_>, old: &Column, new: &Column) {
    let readers = out.contract.readers(old);
    let name = Some(old.name.as_str());
    if let Some(change) = type_change(old, new) {
        let severity = match change {
            TypeChange::Widened => fails_if_read(&readers),
            TypeChange::Narrowed | TypeChange::Incompatible => Severity::Failure,
        };
        let why = match change {
            TypeChange::Widened => "every old value fits; a reader sized for the old type may not",
            TypeChange::Narrowed => "old values may not fit: writers fail, stored data is cut",
            TypeChange::Incompatible => "readers and writers of the old type break",
        };
        out.push(
            FindingKind::ColumnTypeChanged,
            severity,
            name,
            &readers,
            format!(
                "column `{}` {} from {} to {} ({} → {}): {why}",
                old.name,
                change.word(),
                old.signature(),
                new.signature(),
                old.native_type,
                new.native_type
            ),
            Some(json!(old.native_type)),
            Some(json!(new.native_type)),
        );
    }
    match (old.nullable, new.nullable) {
        (false, true) => out.push(
            FindingKind::ColumnBecameNullable,
            fails_if_read(&readers),
            name,
            &readers,
            format!(
                "column `{}` now allows NULL: readers that assume a value break",
                old.name
            ),
            Some(json!("NOT NULL")),
            Some(json!("NULL")),
        ),
        (true, false) => out.push(
            FindingKind::ColumnBecameNotNull,
            if new.default.is_none() {
                Severity::Failure
            } else {
                Severity::Info
            },
            name,
            &readers,
            if new.default.is_none() {
                format!(
                    "column `{}` is now NOT NULL without a default: writers that leave it empty fail",
                    old.name
                )
            } else {
                format!(
                    "column `{}` is now NOT NULL (with a default for writers that leave it out)",
                    old.name
                )
            },
            Some(json!("NULL")),
            Some(json!("NOT NULL")),
        ),
        _ => {}
    }
    let (old_default, new_default) = (
        old.default.as_deref().map(normalize_default),
        new.default.as_deref().map(normalize_default),
    );
    if old_default != new_default {
        let breaks_writers = new.default.is_none() && !new.nullable;
        out.push(
            FindingKind::DefaultChanged,
            if breaks_writers {
                Severity::Failure
            } else {
                Severity::Info
            },
            name,
            &readers,
            if breaks_writers {
                format!(
                    "column `{}` lost its default and is NOT NULL: writers that leave it out fail",
                    old.name
                )
            } else {
                format!("the default of column `{}` changed", old.name)
            },
            old.default.as_ref().map(|d| json!(d)),
            new.default.as_ref().map(|d| json!(d)),
        );
    }
    compare_values(out, old, new, &readers);
}

fn compare_values(out: &mut Findings<'_>, old: &Column, new: &Column, readers: &[String]) {
    let name = Some(old.name.as_str());
    match (old.values.is_empty(), new.values.is_empty()) {
        (true, true) => {}
        (false, true) => out.push(
            FindingKind::ConstraintRemoved,
            fails_if_read(readers),
            name,
            readers,
            format!(
                "column `{}` no longer limits its values: readers may meet any value",
                old.name
            ),
            Some(json!(old.values)),
            None,
        ),
        (true, false) => out.push(
            FindingKind::ConstraintAdded,
            Severity::Failure,
            name,
            readers,
            format!(
                "column `{}` now only allows {}: writers of other values fail",
                old.name,
                new.values.join(", ")
            ),
            None,
            Some(json!(new.values)),
        ),
        (false, false) => {
            for value in old.values.iter().filter(|v| !new.values.contains(v)) {
                out.push(
                    FindingKind::EnumValueRemoved,
                    Severity::Failure,
                    name,
                    readers,
                    format!(
                        "column `{}` no longer allows `{value}`: writers that send it fail",
                        old.name
                    ),
                    Some(json!(value)),
                    None,
                );
            }
            for value in new.values.iter().filter(|v| !old.values.contains(v)) {
                out.push(
                    FindingKind::EnumValueAdded,
                    fails_if_read(readers),
                    name,
                    readers,
                    format!(
                        "column `{}` now allows `{value}`: a reader that handles every value must learn it",
                        old.name
                    ),
                    None,
                    Some(json!(value)),
                );
            }
        }
    }
}

/// A constraint as a comparable, readable line.
fn constraints(
    table: &TableContract,
    rename: &dyn Fn(&str) -> String,
    gone: &[&str],
) -> Vec<(String, bool)> {
    let kept = |c: &[String]| !c.iter().any(|c| gone.contains(&c.as_str()));
    let cols = |c: &[String]| c.iter().map(|c| rename(c)).collect::<Vec<_>>().join(", ");
    let mut all = Vec::new();
    if !table.primary_key.is_empty() && kept(&table.primary_key) {
        all.push((format!("primary key ({})", cols(&table.primary_key)), true));
    }
    for u in table.unique.iter().filter(|u| kept(&u.columns)) {
        all.push((format!("unique ({})", cols(&u.columns)), true));
    }
    for fk in table.foreign_keys.iter().filter(|fk| kept(&fk.columns)) {
        all.push((
            format!(
                "foreign key ({}) → {} ({})",
                cols(&fk.columns),
                fk.references.table,
                fk.references.columns.join(", ")
            ),
            false,
        ));
    }
    all
}

/// Constraints over a removed column are left out: the column's own finding says it.
fn compare_constraints(
    out: &mut Findings<'_>,
    live: &TableContract,
    renames: &BTreeMap<String, String>,
    gone: &[&str],
) {
    let contract = out.contract;
    let renamed = |c: &str| renames.get(c).cloned().unwrap_or_else(|| c.to_owned());
    let same = |c: &str| c.to_owned();
    let old = constraints(contract, &renamed, gone);
    let new = constraints(live, &same, &[]);
    for (line, keys_rows) in old.iter().filter(|(l, _)| !new.iter().any(|(n, _)| n == l)) {
        // A key a consumer's sync matches rows on is something readers rely on.
        let severity = if *keys_rows {
            fails_if_read(&contract.consumers)
        } else {
            Severity::Info
        };
        out.push(
            FindingKind::ConstraintRemoved,
            severity,
            None,
            &contract.consumers,
            format!("{line} is gone"),
            Some(json!(line)),
            None,
        );
    }
    for (line, _) in new.iter().filter(|(l, _)| !old.iter().any(|(o, _)| o == l)) {
        out.push(
            FindingKind::ConstraintAdded,
            Severity::Failure,
            None,
            &contract.consumers,
            format!("new {line}: writers' rows that break it are rejected"),
            None,
            Some(json!(line)),
        );
    }
}

/// Failure when somebody reads it, information otherwise.
fn fails_if_read(readers: &[String]) -> Severity {
    if readers.is_empty() {
        Severity::Info
    } else {
        Severity::Failure
    }
}

/// Defaults compared without casts (`'a'::character varying` is `'a'`) and extra spaces.
fn normalize_default(default: &str) -> String {
    let mut out = String::new();
    let mut rest = default;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ' '))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    normalize_native(&out)
}

/// The findings of one table, each placed at `table.column`.
struct Findings<'a> {
    contract: &'a TableContract,
    list: Vec<Finding>,
}

impl Findings<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        column: Option<&str>,
        readers: &[String],
        message: String,
        old: Option<Value>,
        new: Option<Value>,
    ) {
        let path = match column {
            Some(column) => format!("{}.{column}", self.contract.table),
            None => self.contract.table.clone(),
        };
        let mut affected = vec![self.contract.system.clone()];
        affected.extend(readers.iter().cloned());
        let mut finding =
            Finding::new(kind, Location::Scenario, path, message).with_values(old, new);
        finding.severity = severity;
        finding.interface = Some(self.contract.interface());
        finding.affected = affected;
        self.list.push(finding);
    }
}
