//! Table contracts: `contracts/db/<system>/<table>.table.yaml`, one table (or view) of one
//! system's database as its consumers rely on it.
//!
//! The same model describes a contract and a live table read by introspection (a live table
//! has no consumers and no `read_by`). Loading is two passes: serde with unknown fields denied
//! (errors carry the file and the JSON pointer), then the cross-checks serde cannot do
//! (`read_by` names a consumer, constraints name columns, no column twice). The format is
//! specified in `docs/table-contracts.md`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::types::PortableType;
use crate::error::{Error, InputError, did_you_mean};

/// File names of table contracts end with this.
pub const TABLE_SUFFIX: &str = ".table.yaml";

/// The same contract written as JSON is read too.
pub const TABLE_JSON_SUFFIX: &str = ".table.json";

/// The table a contract file is named after: `customers` for `customers.table.yaml` or
/// `customers.table.json`.
fn table_stem(name: &str) -> Option<&str> {
    name.strip_suffix(TABLE_SUFFIX)
        .or_else(|| name.strip_suffix(TABLE_JSON_SUFFIX))
}

/// One table as its consumers rely on it (or as the live database has it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableContract {
    /// The system that owns the database (`crm`); the profile's database of that name is
    /// checked.
    pub system: String,
    /// `public` (PostgreSQL's default) or `main` (SQLite).
    pub schema: String,
    pub table: String,
    /// The systems that read the table (through a view, an export or a direct query).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<String>,
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique: Vec<Unique>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    /// The portable type the comparison works on.
    #[serde(rename = "type")]
    pub kind: PortableType,
    /// The database's own spelling (`numeric(12,2)`, `VARCHAR(20)`).
    pub native_type: String,
    pub nullable: bool,
    /// The default expression as the database prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Maximum length of a string column; none means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Total digits of a decimal column; none means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Digits after the point of a decimal column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// The values an enum type or a `CHECK (col IN (…))` allows, where readable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The consumers that read this column; absent means every consumer of the table,
    /// `[]` means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_by: Option<Vec<String>>,
}

impl Column {
    /// The portable type with its size, as findings show it: `decimal(12,2)`, `string(20)`.
    pub fn signature(&self) -> String {
        let kind = self.kind.id();
        match (self.kind, self.length, self.precision, self.scale) {
            (PortableType::String, Some(length), _, _) => format!("{kind}({length})"),
            (PortableType::Decimal, _, Some(p), Some(s)) => format!("{kind}({p},{s})"),
            (PortableType::Decimal, _, Some(p), None) => format!("{kind}({p})"),
            _ => kind.to_owned(),
        }
    }
}

/// A unique constraint (or unique index) over columns, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub columns: Vec<String>,
}

/// A foreign key: columns of this table referring to columns of another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub references: Reference,
}

/// The referred table and columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub table: String,
    pub columns: Vec<String>,
}

impl TableContract {
    /// Who reads `column`: its `read_by`, else the table's consumers.
    pub fn readers(&self, column: &Column) -> Vec<String> {
        column
            .read_by
            .clone()
            .unwrap_or_else(|| self.consumers.clone())
    }

    /// `crm.customers`: the interface id findings carry.
    pub fn interface(&self) -> String {
        format!("{}.{}", self.system, self.table)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The contract as YAML, with a first comment line saying where it came from.
    pub fn to_yaml(&self, origin: &str) -> Result<String, Error> {
        let body = serde_yaml_ng::to_string(self)
            .map_err(|err| Error::environment(format!("cannot write the table contract: {err}")))?;
        Ok(format!("# {origin}\n{body}"))
    }
}

/// A loaded table contract and its file.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    pub file: PathBuf,
    pub contract: TableContract,
}

/// Every `*.table.yaml` (or `*.table.json`) under `dir` (recursively), sorted by path; every problem in every file
/// is reported, not only the first. A missing folder holds no contracts.
pub fn load_dir(dir: &Path) -> Result<Vec<LoadedTable>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    // Symlinked folders are not followed, so a loop or a link out of the project is not read.
    let mut files = crate::fsutil::walk_files(
        dir,
        "the contracts folder",
        "point `contracts` in interlock.toml at the project's contracts folder",
        true,
        &|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| table_stem(n).is_some())
        },
    )?;
    files.sort();
    let mut tables = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load_file(&file) {
            Ok(contract) => tables.push(LoadedTable { file, contract }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut seen = BTreeSet::new();
    for t in &tables {
        let key = (
            t.contract.system.clone(),
            t.contract.schema.clone(),
            t.contract.table.clone(),
        );
        if !seen.insert(key) {
            errors.push(InputError::at_pointer(
                &t.file,
                "/table",
                format!(
                    "table `{}.{}` of system `{}` has another contract file as well",
                    t.contract.schema, t.contract.table, t.contract.system
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(tables)
    } else {
        Err(Error::Input(errors))
    }
}

/// Loads and cross-checks one table contract.
pub fn load_file(file: &Path) -> Result<TableContract, Vec<InputError>> {
    let value = crate::json::read_value(file).map_err(|e| vec![e])?;
    let contract: TableContract = serde_path_to_error::deserialize(&value).map_err(|err| {
        let pointer = crate::contract::serde_path_to_pointer(err.path());
        vec![crate::contract::describe_serde_error(
            file,
            pointer,
            err.inner(),
        )]
    })?;
    let errors = cross_check(file, &contract);
    if errors.is_empty() {
        Ok(contract)
    } else {
        Err(errors)
    }
}

fn cross_check(file: &Path, c: &TableContract) -> Vec<InputError> {
    let mut errors = Vec::new();
    let names: Vec<&str> = c.columns.iter().map(|col| col.name.as_str()).collect();
    let stem = file
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(table_stem);
    if stem.is_some_and(|s| s != c.table) {
        errors.push(
            InputError::at_pointer(
                file,
                "/table",
                format!("the file is named after another table than `{}`", c.table),
            )
            .with_hint(format!("name it `{}{TABLE_SUFFIX}`", c.table)),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, col) in c.columns.iter().enumerate() {
        if !seen.insert(col.name.as_str()) {
            errors.push(InputError::at_pointer(
                file,
                format!("/columns/{i}/name"),
                format!("column `{}` is listed twice", col.name),
            ));
        }
        for (j, reader) in col.read_by.iter().flatten().enumerate() {
            if !c.consumers.contains(reader) {
                errors.push(
                    InputError::at_pointer(
                        file,
                        format!("/columns/{i}/read_by/{j}"),
                        format!("`{reader}` is not one of the table's consumers"),
                    )
                    .with_hint(
                        did_you_mean(reader, c.consumers.iter().map(String::as_str))
                            .unwrap_or_else(|| format!("add `{reader}` to `consumers`")),
                    ),
                );
            }
        }
    }
    let mut unknown = |pointer: String, column: &str| {
        if !names.contains(&column) {
            errors.push(
                InputError::at_pointer(file, pointer, format!("no column `{column}` in the table"))
                    .with_hint_opt(did_you_mean(column, names.iter().copied())),
            );
        }
    };
    for (i, column) in c.primary_key.iter().enumerate() {
        unknown(format!("/primary_key/{i}"), column);
    }
    for (i, u) in c.unique.iter().enumerate() {
        for (j, column) in u.columns.iter().enumerate() {
            unknown(format!("/unique/{i}/columns/{j}"), column);
        }
    }
    for (i, fk) in c.foreign_keys.iter().enumerate() {
        for (j, column) in fk.columns.iter().enumerate() {
            unknown(format!("/foreign_keys/{i}/columns/{j}"), column);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMERS: &str = "system: crm\nschema: main\ntable: customers\nconsumers: [erp]\ncolumns:\n  - name: id\n    type: integer\n    native_type: INTEGER\n    nullable: false\n  - name: tax_id\n    type: string\n    native_type: VARCHAR(20)\n    nullable: false\n    length: 20\n    read_by: [erp]\nprimary_key: [id]\n";

    fn load(text: &str) -> Result<TableContract, Vec<InputError>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("customers.table.yaml");
        std::fs::write(&file, text).expect("write");
        load_file(&file)
    }

    #[test]
    fn a_contract_loads_and_round_trips() {
        let c = load(CUSTOMERS).expect("loads");
        assert_eq!(c.columns[1].signature(), "string(20)");
        assert_eq!(c.readers(&c.columns[0]), vec!["erp".to_string()]);
        let yaml = c.to_yaml("test").expect("yaml");
        let again: TableContract = serde_yaml_ng::from_str(&yaml).expect("written contract parses");
        assert_eq!(again, c);
    }

    #[test]
    fn unknown_fields_and_bad_references_name_the_pointer() {
        let errs = load(&CUSTOMERS.replace(
            "nullable: false\n  - name: tax_id",
            "nullabel: false\n  - name: tax_id",
        ))
        .unwrap_err();
        assert_eq!(
            errs[0].position,
            crate::error::Position::Pointer("/columns/0/nullabel".into())
        );
        assert!(errs[0].message.contains("nullabel"), "{}", errs[0].message);

        let errs = load(
            &CUSTOMERS
                .replace("read_by: [erp]", "read_by: [epr]")
                .replace("primary_key: [id]", "primary_key: [idd]"),
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(
            errs[0].position,
            crate::error::Position::Pointer("/columns/1/read_by/0".into())
        );
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `erp`?"));
        assert_eq!(errs[1].hint.as_deref(), Some("did you mean `id`?"));
    }
}
