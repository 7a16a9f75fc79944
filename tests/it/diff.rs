//! `interlock diff`: contract version comparison, judged by direction.
//!
//! A table of schema changes, each checked in a request and in a response, at the root, nested
//! in an object and behind a `$ref` into another file; equivalences that must not be reported;
//! OpenAPI operation-level changes; the real spec pairs of the shared corpus; `--base` against a
//! real git repository; waivers; and snapshots of the text and Markdown reports.

use std::path::{Path, PathBuf};
use std::process::Command;

use interlock::diff::{
    self, Change, DiffConfig, DiffOptions, DiffReport, Format, Inputs, ReaderPolicy, Role, Severity,
};
use interlock::error::{Error, Position};
use serde_json::{Value, json};

use Severity::{Breaking as B, PotentiallyBreaking as P, Safe as S};

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff")
}

fn write_json(path: &Path, value: &Value) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create fixture directory");
    }
    std::fs::write(path, serde_json::to_string_pretty(value).expect("json"))
        .expect("write fixture");
}

/// Where a case's changed schema sits.
#[derive(Debug, Clone, Copy)]
enum Placement {
    /// The schema is the message.
    Root,
    /// `{type: object, properties: {outer: schema}}`.
    Nested,
    /// The root file is identical on both sides; `outer` refers to `defs.json`, which changes.
    BehindRef,
}

/// Diffs two schema files in `role`, with the changed schema placed as asked.
fn diff_schema(
    old: &Value,
    new: &Value,
    role: Role,
    placement: Placement,
    config: &DiffConfig,
) -> DiffReport {
    let dir = tempfile::tempdir().expect("tempdir");
    for (side, schema) in [("old", old), ("new", new)] {
        let root = match placement {
            Placement::Root => schema.clone(),
            Placement::Nested => json!({"type": "object", "properties": {"outer": schema}}),
            Placement::BehindRef => {
                write_json(
                    &dir.path().join(side).join("defs.json"),
                    &json!({"$defs": {"S": schema}}),
                );
                json!({"type": "object", "properties": {"outer": {"$ref": "defs.json#/$defs/S"}}})
            }
        };
        write_json(&dir.path().join(side).join("message.json"), &root);
    }
    diff::diff_paths(
        &dir.path().join("old/message.json"),
        &dir.path().join("new/message.json"),
        Some(role),
        config,
    )
    .unwrap_or_else(|err| panic!("diff failed: {err}"))
}

fn find<'r>(report: &'r DiffReport, kind: &str) -> Vec<&'r Change> {
    report.changes.iter().filter(|c| c.kind == kind).collect()
}

fn kinds(report: &DiffReport) -> Vec<String> {
    report
        .changes
        .iter()
        .map(|c| format!("{} {} [{}]", c.kind, c.severity, c.location.field))
        .collect()
}

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

// ---------------------------------------------------------------------------------------------
// The table: each change kind in a request and in a response, at the root, nested, behind $ref.

struct Case {
    name: &'static str,
    old: Value,
    new: Value,
    /// The kind, without the direction prefix.
    kind: &'static str,
    request: Severity,
    response: Severity,
    /// Field path at the root placement.
    field: &'static str,
}

fn case(
    name: &'static str,
    old: Value,
    new: Value,
    kind: &'static str,
    request: Severity,
    response: Severity,
    field: &'static str,
) -> Case {
    Case {
        name,
        old,
        new,
        kind,
        request,
        response,
        field,
    }
}

fn cases() -> Vec<Case> {
    let s = json!({"type": "string"});
    let ab = json!({"a": {"type": "string"}, "b": {"type": "string"}});
    let a = json!({"a": {"type": "string"}});
    let mut all = vec![
        case(
            "optional property added",
            obj(a.clone(), &["a"]),
            obj(ab.clone(), &["a"]),
            "property-added",
            S,
            S,
            "b",
        ),
        case(
            "required property added",
            obj(a.clone(), &["a"]),
            obj(ab.clone(), &["a", "b"]),
            "required-property-added",
            B,
            S,
            "b",
        ),
        case(
            "optional property removed",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "integer"}}),
                &["a"],
            ),
            obj(a.clone(), &["a"]),
            "optional-property-removed",
            P,
            P,
            "b",
        ),
        case(
            "required property removed",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "integer"}}),
                &["a", "b"],
            ),
            obj(a.clone(), &["a"]),
            "required-property-removed",
            P,
            B,
            "b",
        ),
        case(
            "property became required",
            obj(ab.clone(), &["a"]),
            obj(ab.clone(), &["a", "b"]),
            "property-became-required",
            B,
            S,
            "b",
        ),
        case(
            "property became optional",
            obj(ab.clone(), &["a", "b"]),
            obj(ab.clone(), &["a"]),
            "property-became-optional",
            S,
            B,
            "b",
        ),
        case(
            "possible rename",
            obj(
                json!({"tax_id": {"type": "string", "maxLength": 20}}),
                &["tax_id"],
            ),
            obj(
                json!({"taxNumber": {"type": "string", "maxLength": 20}}),
                &["taxNumber"],
            ),
            "property-renamed",
            B,
            B,
            "taxNumber",
        ),
        case(
            "type changed string to boolean",
            s.clone(),
            json!({"type": "boolean"}),
            "type-changed",
            B,
            B,
            "",
        ),
        case(
            "type changed object to array",
            json!({"type": "object"}),
            json!({"type": "array"}),
            "type-changed",
            B,
            B,
            "",
        ),
        case(
            "type changed string to number",
            s.clone(),
            json!({"type": "number"}),
            "type-changed",
            B,
            B,
            "",
        ),
        case(
            "type narrowed number to integer",
            json!({"type": "number"}),
            json!({"type": "integer"}),
            "type-narrowed",
            B,
            S,
            "",
        ),
        case(
            "type widened integer to number",
            json!({"type": "integer"}),
            json!({"type": "number"}),
            "type-widened",
            S,
            B,
            "",
        ),
        case(
            "nullable added (3.0 nullable)",
            s.clone(),
            json!({"type": "string", "nullable": true}),
            "nullable-added",
            S,
            B,
            "",
        ),
        case(
            "nullable removed (3.1 type array)",
            json!({"type": ["string", "null"]}),
            s.clone(),
            "nullable-removed",
            B,
            S,
            "",
        ),
        case(
            "nullable added (anyOf null)",
            s.clone(),
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            "nullable-added",
            S,
            B,
            "",
        ),
        case(
            "enum value added",
            json!({"type": "string", "enum": ["a", "b"]}),
            json!({"type": "string", "enum": ["a", "b", "c"]}),
            "enum-value-added",
            S,
            P,
            "",
        ),
        case(
            "enum value removed",
            json!({"type": "string", "enum": ["a", "b"]}),
            json!({"type": "string", "enum": ["a"]}),
            "enum-value-removed",
            B,
            P,
            "",
        ),
        case(
            "enum introduced",
            s.clone(),
            json!({"type": "string", "enum": ["a"]}),
            "enum-added",
            B,
            S,
            "",
        ),
        case(
            "enum dropped",
            json!({"type": "string", "enum": ["a"]}),
            s.clone(),
            "enum-removed",
            S,
            P,
            "",
        ),
        case(
            "format added",
            s.clone(),
            json!({"type": "string", "format": "uuid"}),
            "format-added",
            B,
            S,
            "",
        ),
        case(
            "format removed",
            json!({"type": "string", "format": "uuid"}),
            s.clone(),
            "format-removed",
            S,
            P,
            "",
        ),
        case(
            "format widened int32 to int64",
            json!({"type": "integer", "format": "int32"}),
            json!({"type": "integer", "format": "int64"}),
            "format-widened",
            S,
            B,
            "",
        ),
        case(
            "format narrowed double to float",
            json!({"type": "number", "format": "double"}),
            json!({"type": "number", "format": "float"}),
            "format-narrowed",
            B,
            S,
            "",
        ),
        case(
            "format changed date-time to date",
            json!({"type": "string", "format": "date-time"}),
            json!({"type": "string", "format": "date"}),
            "format-changed",
            B,
            B,
            "",
        ),
        case(
            "pattern added",
            s.clone(),
            json!({"type": "string", "pattern": "^[A-Z]+$"}),
            "pattern-added",
            B,
            S,
            "",
        ),
        case(
            "pattern removed",
            json!({"type": "string", "pattern": "^[A-Z]+$"}),
            s.clone(),
            "pattern-removed",
            S,
            P,
            "",
        ),
        case(
            "pattern changed",
            json!({"type": "string", "pattern": "^[A-Z]+$"}),
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            "pattern-changed",
            P,
            P,
            "",
        ),
        case(
            "maxLength tightened",
            json!({"type": "string", "maxLength": 20}),
            json!({"type": "string", "maxLength": 10}),
            "length-tightened",
            B,
            S,
            "",
        ),
        case(
            "maxLength loosened",
            json!({"type": "string", "maxLength": 10}),
            json!({"type": "string", "maxLength": 20}),
            "length-loosened",
            S,
            P,
            "",
        ),
        case(
            "minLength added",
            s.clone(),
            json!({"type": "string", "minLength": 2}),
            "length-tightened",
            B,
            S,
            "",
        ),
        case(
            "minimum raised",
            json!({"type": "number", "minimum": 0}),
            json!({"type": "number", "minimum": 1}),
            "range-tightened",
            B,
            S,
            "",
        ),
        case(
            "maximum made exclusive (3.0 flag)",
            json!({"type": "number", "maximum": 10}),
            json!({"type": "number", "maximum": 10, "exclusiveMaximum": true}),
            "range-tightened",
            B,
            S,
            "",
        ),
        case(
            "exclusiveMinimum lowered (3.1 number)",
            json!({"type": "number", "exclusiveMinimum": 5}),
            json!({"type": "number", "exclusiveMinimum": 0}),
            "range-loosened",
            S,
            B,
            "",
        ),
        case(
            "maximum removed",
            json!({"type": "number", "maximum": 10}),
            json!({"type": "number"}),
            "range-loosened",
            S,
            B,
            "",
        ),
        case(
            "multipleOf added",
            json!({"type": "number"}),
            json!({"type": "number", "multipleOf": 0.5}),
            "multiple-of-tightened",
            B,
            S,
            "",
        ),
        case(
            "multipleOf made finer",
            json!({"type": "number", "multipleOf": 0.1}),
            json!({"type": "number", "multipleOf": 0.01}),
            "multiple-of-loosened",
            S,
            P,
            "",
        ),
        case(
            "minItems raised",
            json!({"type": "array", "items": s.clone()}),
            json!({"type": "array", "items": s.clone(), "minItems": 1}),
            "item-count-tightened",
            B,
            S,
            "",
        ),
        case(
            "maxItems removed",
            json!({"type": "array", "items": s.clone(), "maxItems": 5}),
            json!({"type": "array", "items": s.clone()}),
            "item-count-loosened",
            S,
            P,
            "",
        ),
        case(
            "uniqueItems added",
            json!({"type": "array", "items": s.clone()}),
            json!({"type": "array", "items": s.clone(), "uniqueItems": true}),
            "unique-items-added",
            B,
            S,
            "",
        ),
        case(
            "minProperties raised",
            json!({"type": "object"}),
            json!({"type": "object", "minProperties": 1}),
            "property-count-tightened",
            B,
            S,
            "",
        ),
        case(
            "additionalProperties closed",
            obj(a.clone(), &[]),
            json!({"type": "object", "properties": a.clone(), "required": [], "additionalProperties": false}),
            "additional-properties-narrowed",
            B,
            S,
            "",
        ),
        case(
            "additionalProperties opened",
            json!({"type": "object", "properties": a.clone(), "additionalProperties": false}),
            json!({"type": "object", "properties": a.clone()}),
            "additional-properties-widened",
            S,
            P,
            "",
        ),
        case(
            "array items changed",
            json!({"type": "array", "items": {"type": "string"}}),
            json!({"type": "array", "items": {"type": "integer"}}),
            "type-changed",
            B,
            B,
            "[]",
        ),
        case(
            "array items introduced",
            json!({"type": "array"}),
            json!({"type": "array", "items": {"type": "string"}}),
            "items-added",
            B,
            S,
            "[]",
        ),
        case(
            "oneOf branch added",
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}),
            "branch-added",
            S,
            B,
            "",
        ),
        case(
            "anyOf branch removed",
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            "branch-removed",
            B,
            S,
            "",
        ),
        case(
            "default changed",
            json!({"type": "string", "default": "EUR"}),
            json!({"type": "string", "default": "USD"}),
            "default-changed",
            P,
            S,
            "",
        ),
        case(
            "deprecated added",
            s.clone(),
            json!({"type": "string", "deprecated": true}),
            "deprecated-added",
            S,
            S,
            "",
        ),
        case(
            "nested object property removed",
            obj(
                json!({"addr": obj(json!({"city": {"type": "string"}, "zip": {"type": "string"}}), &["city", "zip"])}),
                &["addr"],
            ),
            obj(
                json!({"addr": obj(json!({"city": {"type": "string"}}), &["city"])}),
                &["addr"],
            ),
            "required-property-removed",
            P,
            B,
            "addr.zip",
        ),
    ];
    all.extend(keyword_cases());
    all
}

/// Issue 17: every JSON Schema 2020-12 / 2019-09 keyword decided by what it accepts.
fn keyword_cases() -> Vec<Case> {
    let s = json!({"type": "string"});
    let arr = |extra: Value| {
        let mut v = json!({"type": "array", "items": {"type": "string"}});
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        v
    };
    let party = |extra: Value| {
        let mut v = json!({"type": "object", "properties": {"kind": {"type": "string"}, "vat": {"type": "string"}, "reg": {"type": "string"}}});
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        v
    };
    let company = json!({"properties": {"kind": {"const": "company"}}, "required": ["kind"]});
    vec![
        case(
            "contains added",
            arr(json!({})),
            arr(json!({"contains": {"const": "EUR"}})),
            "contains-added",
            B,
            S,
            "[contains]",
        ),
        case(
            "contains removed",
            arr(json!({"contains": {"const": "EUR"}})),
            arr(json!({})),
            "contains-removed",
            S,
            B,
            "[contains]",
        ),
        case(
            "contains schema widened",
            json!({"type": "array", "contains": {"type": "integer"}}),
            json!({"type": "array", "contains": {"type": "number"}}),
            "type-widened",
            S,
            B,
            "[contains]",
        ),
        case(
            "minContains raised",
            arr(json!({"contains": {"const": "EUR"}})),
            arr(json!({"contains": {"const": "EUR"}, "minContains": 2})),
            "contains-count-tightened",
            B,
            S,
            "",
        ),
        case(
            "maxContains removed",
            arr(json!({"contains": {"const": "EUR"}, "maxContains": 1})),
            arr(json!({"contains": {"const": "EUR"}})),
            "contains-count-loosened",
            S,
            P,
            "",
        ),
        case(
            "dependentRequired added",
            party(json!({})),
            party(json!({"dependentRequired": {"vat": ["kind"]}})),
            "dependent-required-added",
            B,
            S,
            "vat",
        ),
        case(
            "dependentRequired list grown",
            party(json!({"dependentRequired": {"vat": ["kind"]}})),
            party(json!({"dependentRequired": {"vat": ["kind", "reg"]}})),
            "dependent-required-added",
            B,
            S,
            "vat",
        ),
        case(
            "dependentRequired removed",
            party(json!({"dependentRequired": {"vat": ["kind"]}})),
            party(json!({})),
            "dependent-required-removed",
            S,
            B,
            "vat",
        ),
        case(
            "dependencies (draft 7 array form) removed",
            party(json!({"dependencies": {"vat": ["kind"]}})),
            party(json!({})),
            "dependent-required-removed",
            S,
            B,
            "vat",
        ),
        case(
            "dependentSchemas entry added",
            party(json!({})),
            party(json!({"dependentSchemas": {"vat": {"required": ["reg"]}}})),
            "dependent-schema-added",
            B,
            S,
            "<when vat>",
        ),
        case(
            "dependentSchemas entry removed",
            party(json!({"dependentSchemas": {"vat": {"required": ["reg"]}}})),
            party(json!({})),
            "dependent-schema-removed",
            S,
            B,
            "<when vat>",
        ),
        case(
            "required added inside a dependentSchemas entry",
            party(json!({"dependentSchemas": {"vat": {"required": ["reg"]}}})),
            party(json!({"dependentSchemas": {"vat": {"required": ["reg", "kind"]}}})),
            "required-property-added",
            B,
            S,
            "<when vat>.kind",
        ),
        case(
            "if/then added",
            party(json!({})),
            party(json!({"if": company.clone(), "then": {"required": ["vat"]}})),
            "conditional-added",
            B,
            S,
            "",
        ),
        case(
            "if/then/else removed",
            party(
                json!({"if": company.clone(), "then": {"required": ["vat"]}, "else": {"required": ["reg"]}}),
            ),
            party(json!({})),
            "conditional-removed",
            S,
            B,
            "",
        ),
        case(
            "required added inside then",
            party(json!({"if": company.clone(), "then": {"required": ["vat"]}})),
            party(json!({"if": company.clone(), "then": {"required": ["vat", "reg"]}})),
            "required-property-added",
            B,
            S,
            "<then>.reg",
        ),
        case(
            "required added inside else",
            party(
                json!({"if": company.clone(), "then": {"required": ["vat"]}, "else": {"required": ["reg"]}}),
            ),
            party(
                json!({"if": company.clone(), "then": {"required": ["vat"]}, "else": {"required": ["reg", "kind"]}}),
            ),
            "required-property-added",
            B,
            S,
            "<else>.kind",
        ),
        case(
            "else branch added under the same if",
            party(json!({"if": company.clone(), "then": {"required": ["vat"]}})),
            party(
                json!({"if": company.clone(), "then": {"required": ["vat"]}, "else": {"required": ["reg"]}}),
            ),
            "conditional-added",
            B,
            S,
            "<else>",
        ),
        case(
            "if condition changed",
            party(json!({"if": company.clone(), "then": {"required": ["vat"]}})),
            party(
                json!({"if": {"properties": {"kind": {"const": "firm"}}, "required": ["kind"]}, "then": {"required": ["vat"]}}),
            ),
            "conditional-changed",
            P,
            P,
            "",
        ),
        case(
            "patternProperties added",
            json!({"type": "object"}),
            json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}),
            "pattern-properties-added",
            B,
            S,
            "",
        ),
        case(
            "patternProperties removed",
            json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}),
            json!({"type": "object"}),
            "pattern-properties-removed",
            S,
            B,
            "",
        ),
        case(
            "patternProperties entry widened",
            json!({"type": "object", "patternProperties": {"^x-": {"type": "integer"}}}),
            json!({"type": "object", "patternProperties": {"^x-": {"type": "number"}}}),
            "type-widened",
            S,
            B,
            "/^x-/",
        ),
        case(
            "patternProperties name pattern changed",
            json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}),
            json!({"type": "object", "patternProperties": {"^X-": {"type": "string"}}}),
            "pattern-changed",
            P,
            P,
            "",
        ),
        case(
            "patternProperties added to a closed object",
            json!({"type": "object", "additionalProperties": false}),
            json!({"type": "object", "additionalProperties": false, "patternProperties": {"^x-": {"type": "string"}}}),
            "additional-properties-widened",
            S,
            P,
            "",
        ),
        case(
            "propertyNames added",
            json!({"type": "object"}),
            json!({"type": "object", "propertyNames": {"maxLength": 8}}),
            "property-names-added",
            B,
            S,
            "<name>",
        ),
        case(
            "propertyNames removed",
            json!({"type": "object", "propertyNames": {"maxLength": 8}}),
            json!({"type": "object"}),
            "property-names-removed",
            S,
            B,
            "<name>",
        ),
        case(
            "propertyNames tightened",
            json!({"type": "object", "propertyNames": {"maxLength": 8}}),
            json!({"type": "object", "propertyNames": {"maxLength": 4}}),
            "length-tightened",
            B,
            S,
            "<name>",
        ),
        case(
            "unevaluatedProperties closed",
            json!({"type": "object", "properties": {"a": s.clone()}}),
            json!({"type": "object", "properties": {"a": s.clone()}, "unevaluatedProperties": false}),
            "unevaluated-properties-narrowed",
            B,
            S,
            "",
        ),
        case(
            "unevaluatedProperties opened",
            json!({"type": "object", "properties": {"a": s.clone()}, "unevaluatedProperties": false}),
            json!({"type": "object", "properties": {"a": s.clone()}}),
            "unevaluated-properties-widened",
            S,
            P,
            "",
        ),
        case(
            "unevaluatedItems opened",
            json!({"type": "array", "prefixItems": [s.clone()], "unevaluatedItems": false}),
            json!({"type": "array", "prefixItems": [s.clone()]}),
            "unevaluated-items-widened",
            S,
            B,
            "",
        ),
        case(
            "unevaluatedItems schema narrowed",
            json!({"type": "array", "prefixItems": [s.clone()], "unevaluatedItems": {"type": "number"}}),
            json!({"type": "array", "prefixItems": [s.clone()], "unevaluatedItems": {"type": "integer"}}),
            "type-narrowed",
            B,
            S,
            "[*]",
        ),
        case(
            "not added",
            s.clone(),
            json!({"type": "string", "not": {"const": "N/A"}}),
            "not-narrowed",
            B,
            S,
            "",
        ),
        case(
            "not removed",
            json!({"type": "string", "not": {"const": "N/A"}}),
            s.clone(),
            "not-widened",
            S,
            B,
            "",
        ),
        case(
            "not excludes more",
            json!({"type": "string", "not": {"enum": ["N/A"]}}),
            json!({"type": "string", "not": {"enum": ["N/A", "none"]}}),
            "not-narrowed",
            B,
            S,
            "",
        ),
        case(
            "not excludes less",
            json!({"type": "string", "not": {"enum": ["N/A", "none"]}}),
            json!({"type": "string", "not": {"enum": ["N/A"]}}),
            "not-widened",
            S,
            B,
            "",
        ),
        case(
            "prefixItems position type changed",
            json!({"type": "array", "prefixItems": [s.clone(), {"type": "number"}]}),
            json!({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "number"}]}),
            "type-changed",
            B,
            B,
            "[0]",
        ),
        case(
            "prefixItems position narrowed",
            json!({"type": "array", "prefixItems": [s.clone(), {"type": "number"}]}),
            json!({"type": "array", "prefixItems": [s.clone(), {"type": "integer"}]}),
            "type-narrowed",
            B,
            S,
            "[1]",
        ),
        case(
            "items replaced by prefixItems of another type",
            json!({"type": "array", "items": s.clone()}),
            json!({"type": "array", "prefixItems": [{"type": "integer"}], "items": s.clone()}),
            "type-changed",
            B,
            B,
            "[0]",
        ),
        case(
            "contentEncoding added",
            s.clone(),
            json!({"type": "string", "contentEncoding": "base64"}),
            "content-encoding-changed",
            B,
            B,
            "",
        ),
        case(
            "contentEncoding changed",
            json!({"type": "string", "contentEncoding": "base64"}),
            json!({"type": "string", "contentEncoding": "base32"}),
            "content-encoding-changed",
            B,
            B,
            "",
        ),
        case(
            "contentMediaType added",
            s.clone(),
            json!({"type": "string", "contentMediaType": "application/json"}),
            "content-media-type-added",
            B,
            S,
            "",
        ),
        case(
            "contentMediaType removed",
            json!({"type": "string", "contentMediaType": "application/json"}),
            s.clone(),
            "content-media-type-removed",
            S,
            P,
            "",
        ),
        case(
            "contentMediaType changed",
            json!({"type": "string", "contentMediaType": "application/json"}),
            json!({"type": "string", "contentMediaType": "application/xml"}),
            "content-media-type-changed",
            B,
            B,
            "",
        ),
        case(
            "contentSchema added",
            json!({"type": "string", "contentMediaType": "application/json"}),
            json!({"type": "string", "contentMediaType": "application/json", "contentSchema": {"type": "object"}}),
            "content-schema-added",
            B,
            S,
            "<content>",
        ),
        case(
            "contentSchema removed",
            json!({"type": "string", "contentMediaType": "application/json", "contentSchema": {"type": "object"}}),
            json!({"type": "string", "contentMediaType": "application/json"}),
            "content-schema-removed",
            S,
            B,
            "<content>",
        ),
        case(
            "required added inside contentSchema",
            json!({"type": "string", "contentSchema": obj(json!({"a": s.clone(), "b": s.clone()}), &["a"])}),
            json!({"type": "string", "contentSchema": obj(json!({"a": s.clone(), "b": s.clone()}), &["a", "b"])}),
            "property-became-required",
            B,
            S,
            "<content>.b",
        ),
        case(
            "const changed",
            json!({"const": "ok"}),
            json!({"const": "success"}),
            "const-changed",
            B,
            B,
            "",
        ),
        case(
            "minimum lowered",
            json!({"type": "integer", "minimum": 1}),
            json!({"type": "integer", "minimum": 0}),
            "range-loosened",
            S,
            B,
            "",
        ),
        case(
            "maximum raised",
            json!({"type": "integer", "maximum": 10}),
            json!({"type": "integer", "maximum": 100}),
            "range-loosened",
            S,
            B,
            "",
        ),
        case(
            "empty pattern replaced by a real one",
            json!({"type": "string", "pattern": ""}),
            json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
            "pattern-added",
            B,
            S,
            "",
        ),
        case(
            "discriminator mapping value removed",
            json!({"type": "object", "properties": {"kind": s.clone()}, "discriminator": {"propertyName": "kind", "mapping": {"card": "#/$defs/Card", "bank": "#/$defs/Bank"}}}),
            json!({"type": "object", "properties": {"kind": s.clone()}, "discriminator": {"propertyName": "kind", "mapping": {"card": "#/$defs/Card"}}}),
            "discriminator-mapping-removed",
            B,
            P,
            "",
        ),
        case(
            "discriminator mapping value added",
            json!({"type": "object", "properties": {"kind": s.clone()}, "discriminator": {"propertyName": "kind", "mapping": {"card": "#/$defs/Card"}}}),
            json!({"type": "object", "properties": {"kind": s.clone()}, "discriminator": {"propertyName": "kind", "mapping": {"card": "#/$defs/Card", "bank": "#/$defs/Bank"}}}),
            "discriminator-mapping-added",
            S,
            P,
            "",
        ),
    ]
}

fn nest(field: &str) -> String {
    match field {
        "" => "outer".to_string(),
        f if f.starts_with('[') || f.starts_with('<') => format!("outer{f}"),
        f => format!("outer.{f}"),
    }
}

#[test]
fn every_change_kind_in_request_and_response_root_nested_and_behind_ref() {
    let config = DiffConfig::default();
    let mut checked = 0;
    for case in cases() {
        for placement in [Placement::Root, Placement::Nested, Placement::BehindRef] {
            for (role, prefix, severity) in [
                (Role::Request, "request", case.request),
                (Role::Response, "response", case.response),
            ] {
                let report = diff_schema(&case.old, &case.new, role, placement, &config);
                let id = format!("{prefix}-{}", case.kind);
                let field = match placement {
                    Placement::Root => case.field.to_string(),
                    _ => nest(case.field),
                };
                let found = find(&report, &id);
                assert!(
                    found.iter().any(|c| c.location.field == field),
                    "{} ({placement:?}, {prefix}): expected {id} at `{field}`, got {:?}",
                    case.name,
                    kinds(&report)
                );
                for c in found {
                    assert_eq!(c.severity, severity, "{} ({placement:?}): {id}", case.name);
                    assert_eq!(c.breaking, severity == B);
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 60 * 2, "only {checked} checks");
}

/// Asserts `id` with `severity` at `field` (root placement) at the root, nested and behind a
/// `$ref`, and that nothing else in the report is breaking unless `id` is.
fn assert_everywhere(
    old: &Value,
    new: &Value,
    role: Role,
    id: &str,
    severity: Severity,
    field: &str,
) {
    for placement in [Placement::Root, Placement::Nested, Placement::BehindRef] {
        let report = diff_schema(old, new, role, placement, &DiffConfig::default());
        let want = match placement {
            Placement::Root => field.to_string(),
            _ => nest(field),
        };
        let found = find(&report, id);
        assert!(
            found
                .iter()
                .any(|c| c.location.field == want && c.severity == severity),
            "{placement:?}: expected {id} ({severity}) at `{want}`, got {:?}",
            kinds(&report)
        );
        assert!(
            report
                .changes
                .iter()
                .all(|c| c.kind == id || c.severity < severity.max(P)),
            "{placement:?}: unexpected findings {:?}",
            kinds(&report)
        );
    }
}

/// Asserts that the change gives no finding at all in `role`, at every placement.
fn assert_no_change(old: &Value, new: &Value, role: Role, why: &str) {
    for placement in [Placement::Root, Placement::Nested, Placement::BehindRef] {
        let report = diff_schema(old, new, role, placement, &DiffConfig::default());
        assert!(
            report.changes.is_empty(),
            "{why} ({role:?}, {placement:?}): {:?}",
            kinds(&report)
        );
    }
}

#[test]
fn read_only_and_write_only_properties_bind_one_direction() {
    let s = json!({"type": "string"});
    let ro = json!({"type": "string", "readOnly": true});
    let wo = json!({"type": "string", "writeOnly": true});
    // A required readOnly property added: responses only carry it.
    let old = obj(json!({"name": s.clone()}), &["name"]);
    let new = obj(
        json!({"name": s.clone(), "id": ro.clone()}),
        &["name", "id"],
    );
    assert_no_change(
        &old,
        &new,
        Role::Request,
        "required readOnly property added",
    );
    assert_everywhere(
        &old,
        &new,
        Role::Response,
        "response-required-property-added",
        S,
        "id",
    );
    // A writeOnly property removed, or no longer required: responses never carried it.
    let with_secret = obj(
        json!({"name": s.clone(), "secret": wo.clone()}),
        &["name", "secret"],
    );
    assert_no_change(
        &with_secret,
        &old,
        Role::Response,
        "writeOnly property removed",
    );
    assert_everywhere(
        &with_secret,
        &old,
        Role::Request,
        "request-required-property-removed",
        P,
        "secret",
    );
    let optional_secret = obj(json!({"name": s.clone(), "secret": wo.clone()}), &["name"]);
    assert_no_change(
        &with_secret,
        &optional_secret,
        Role::Response,
        "writeOnly property no longer required",
    );
    assert_everywhere(
        &with_secret,
        &optional_secret,
        Role::Request,
        "request-property-became-optional",
        S,
        "secret",
    );
    // A required response property made writeOnly disappears from responses.
    let plain = obj(
        json!({"name": s.clone(), "secret": s.clone()}),
        &["name", "secret"],
    );
    assert_everywhere(
        &plain,
        &with_secret,
        Role::Response,
        "response-required-property-removed",
        B,
        "secret",
    );
    let report = diff_schema(
        &plain,
        &with_secret,
        Role::Response,
        Placement::Root,
        &DiffConfig::default(),
    );
    assert!(
        find(&report, "response-required-property-removed")[0]
            .message
            .contains("now writeOnly"),
        "{:?}",
        report.changes
    );
    assert_no_change(
        &plain,
        &with_secret,
        Role::Request,
        "property made writeOnly",
    );
    // Made readOnly in a closed request object: the provider ignores it, but still accepts it.
    let closed = |name: Value| json!({"type": "object", "properties": {"name": name}, "additionalProperties": false});
    assert_everywhere(
        &closed(s.clone()),
        &closed(ro.clone()),
        Role::Request,
        "request-optional-property-removed",
        P,
        "name",
    );
    // readOnly next to a `$ref` (OpenAPI 3.1) counts too.
    let reffed = json!({"type": "object", "properties": {"name": {"$ref": "#/$defs/Name", "readOnly": true}}, "required": ["name"], "$defs": {"Name": s.clone()}});
    let report = diff_schema(
        &json!({"type": "object"}),
        &reffed,
        Role::Request,
        Placement::Root,
        &DiffConfig::default(),
    );
    assert!(report.changes.is_empty(), "{:?}", kinds(&report));
}

#[test]
fn renames_need_evidence() {
    let s = json!({"type": "string"});
    // Optional in an open request object: two separate changes, not a breaking rename.
    let old = obj(json!({"name": s.clone(), "role": s.clone()}), &["name"]);
    let new = obj(
        json!({"name": s.clone(), "newRoleName": s.clone()}),
        &["name"],
    );
    for role in [Role::Request, Role::Response] {
        let report = diff_schema(&old, &new, role, Placement::Root, &DiffConfig::default());
        let prefix = if role == Role::Request {
            "request"
        } else {
            "response"
        };
        assert!(
            find(&report, &format!("{prefix}-property-renamed")).is_empty(),
            "{:?}",
            kinds(&report)
        );
        assert_eq!(
            find(&report, &format!("{prefix}-optional-property-removed"))[0]
                .location
                .field,
            "role"
        );
        assert_eq!(
            find(&report, &format!("{prefix}-optional-property-removed"))[0].severity,
            P
        );
        assert_eq!(
            find(&report, &format!("{prefix}-property-added"))[0]
                .location
                .field,
            "newRoleName"
        );
        assert_eq!(
            find(&report, &format!("{prefix}-property-added"))[0].severity,
            S
        );
    }
    // Required, but the constraints differ: no rename either.
    let old = obj(
        json!({"code": {"type": "string", "maxLength": 3}}),
        &["code"],
    );
    let new = obj(
        json!({"isoCode": {"type": "string", "maxLength": 5}}),
        &["isoCode"],
    );
    let report = diff_schema(
        &old,
        &new,
        Role::Request,
        Placement::Root,
        &DiffConfig::default(),
    );
    assert!(
        find(&report, "request-property-renamed").is_empty(),
        "{:?}",
        kinds(&report)
    );
    assert_eq!(
        find(&report, "request-required-property-added")[0]
            .location
            .field,
        "isoCode"
    );
    // Optional but in a closed object: evidence enough.
    let old =
        json!({"type": "object", "properties": {"role": s.clone()}, "additionalProperties": false});
    let new = json!({"type": "object", "properties": {"roleName": s.clone()}, "additionalProperties": false});
    assert_everywhere(
        &old,
        &new,
        Role::Request,
        "request-property-renamed",
        B,
        "roleName",
    );
}

#[test]
fn a_change_inside_a_referenced_file_points_at_that_file() {
    let old = json!({"type": "string", "maxLength": 20});
    let new = json!({"type": "string", "maxLength": 10});
    let report = diff_schema(
        &old,
        &new,
        Role::Request,
        Placement::BehindRef,
        &DiffConfig::default(),
    );
    let change = find(&report, "request-length-tightened")[0];
    assert!(
        change.location.file.ends_with("defs.json"),
        "{}",
        change.location.file
    );
    assert_eq!(change.location.path, "/$defs/S");
    assert_eq!(
        (change.old.clone(), change.new.clone()),
        (json!(20), json!(10))
    );
}

// ---------------------------------------------------------------------------------------------
// Equivalences: spelling differences that must produce no finding at all.

#[test]
fn equivalent_spellings_are_not_changes() {
    let pairs = vec![
        (
            "property order",
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
            json!({"type": "object", "properties": {"b": {"type": "integer"}, "a": {"type": "string"}}}),
        ),
        (
            "required reordered",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a", "b"],
            ),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["b", "a"],
            ),
        ),
        (
            "description, title and example only",
            json!({"type": "string", "description": "old"}),
            json!({"type": "string", "description": "new", "title": "T", "example": "x"}),
        ),
        (
            "3.0 nullable vs 3.1 type array",
            json!({"type": "string", "nullable": true}),
            json!({"type": ["string", "null"]}),
        ),
        (
            "3.0 nullable vs anyOf with null",
            json!({"type": "string", "nullable": true}),
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
        ),
        (
            "type array vs oneOf null around a $ref",
            json!({"type": ["string", "null"], "maxLength": 3}),
            json!({"oneOf": [{"$ref": "#/$defs/Code"}, {"type": "null"}], "$defs": {"Code": {"type": "string", "maxLength": 3}}}),
        ),
        (
            "$ref extracted vs inline",
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"type": "integer", "minimum": 0}}}),
            json!({"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}}}),
        ),
        (
            "allOf restructure",
            json!({"allOf": [{"$ref": "#/$defs/Base"}, {"type": "object", "properties": {"b": {"type": "string"}}}], "$defs": {"Base": obj(json!({"a": {"type": "string"}}), &["a"])}}),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
            ),
        ),
        (
            "enum reordered",
            json!({"type": "string", "enum": ["a", "b", "c"]}),
            json!({"type": "string", "enum": ["c", "a", "b"]}),
        ),
        (
            "const vs one-value enum",
            json!({"const": "x"}),
            json!({"type": "string", "enum": ["x"]}),
        ),
        (
            "3.0 exclusive flag vs 3.1 number",
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}),
            json!({"type": "number", "exclusiveMinimum": 0}),
        ),
        (
            "x-nullable vs nullable",
            json!({"type": "integer", "x-nullable": true}),
            json!({"type": "integer", "nullable": true}),
        ),
        (
            "allOf part repeating a property constraint added",
            obj(json!({"name": {"type": "string"}}), &["name"]),
            json!({"allOf": [obj(json!({"name": {"type": "string"}}), &["name"]), {"properties": {"name": {"type": "string"}}}]}),
        ),
        (
            "allOf part repeating a property constraint removed",
            json!({"allOf": [{"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}}, {"properties": {"name": {"type": "string"}}}, {"properties": {"name": {"maxLength": 20}}}]}),
            json!({"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}}),
        ),
        (
            "empty pattern vs none",
            json!({"type": "string", "pattern": ""}),
            json!({"type": "string"}),
        ),
        (
            "enum with null vs nullable",
            json!({"type": "string", "enum": ["a", null]}),
            json!({"type": "string", "enum": ["a"], "nullable": true}),
        ),
    ];
    for (name, old, new) in pairs {
        for role in [Role::Request, Role::Response] {
            // A `#/$defs/…` reference is relative to the document, so such a pair stays at the root.
            let nestable = !new.to_string().contains("$defs") && !old.to_string().contains("$defs");
            for placement in [Placement::Root, Placement::Nested] {
                if !nestable && matches!(placement, Placement::Nested) {
                    continue;
                }
                let report = diff_schema(&old, &new, role, placement, &DiffConfig::default());
                assert!(
                    report.changes.is_empty(),
                    "{name} ({role:?}, {placement:?}): {:?}",
                    kinds(&report)
                );
            }
        }
    }
}

#[test]
fn ref_into_another_file_vs_inline_is_not_a_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(
        &dir.path().join("old/defs.json"),
        &json!({"Money": {"type": "number", "multipleOf": 0.01}}),
    );
    write_json(
        &dir.path().join("old/m.json"),
        &json!({"type": "object", "properties": {"amount": {"$ref": "defs.json#/Money"}}}),
    );
    write_json(
        &dir.path().join("new/m.json"),
        &json!({"type": "object", "properties": {"amount": {"type": "number", "multipleOf": 0.01}}}),
    );
    let report = diff::diff_paths(
        &dir.path().join("old/m.json"),
        &dir.path().join("new/m.json"),
        Some(Role::Response),
        &DiffConfig::default(),
    )
    .expect("diff");
    assert!(report.changes.is_empty(), "{:?}", kinds(&report));
}

// ---------------------------------------------------------------------------------------------
// Content-model policy and configuration.

#[test]
fn content_model_policy_decides_property_additions_and_removals() {
    let open = obj(json!({"a": {"type": "string"}}), &[]);
    let closed_a = json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false});
    let closed_ab = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "additionalProperties": false});
    let mut config = DiffConfig::default();
    // Default: tolerant reader of responses, even of a closed object.
    let report = diff_schema(
        &closed_a,
        &closed_ab,
        Role::Response,
        Placement::Root,
        &config,
    );
    assert_eq!(find(&report, "response-property-added")[0].severity, S);
    // Strict response readers honour additionalProperties: false.
    config.content_model.response = ReaderPolicy::Strict;
    let report = diff_schema(
        &closed_a,
        &closed_ab,
        Role::Response,
        Placement::Root,
        &config,
    );
    assert_eq!(
        find(&report, "response-property-added-to-closed-object")[0].severity,
        B
    );
    let report = diff_schema(
        &open,
        &obj(
            json!({"a": {"type": "string"}, "b": {"type": "string"}}),
            &[],
        ),
        Role::Response,
        Placement::Root,
        &config,
    );
    assert_eq!(find(&report, "response-property-added")[0].severity, S);
    // Closed readers reject every unknown property.
    config.content_model.response = ReaderPolicy::Closed;
    let report = diff_schema(
        &open,
        &obj(
            json!({"a": {"type": "string"}, "b": {"type": "string"}}),
            &[],
        ),
        Role::Response,
        Placement::Root,
        &config,
    );
    assert_eq!(
        find(&report, "response-property-added-to-closed-object")[0].severity,
        B
    );
    // Strict on request (default): a property removed from a closed request object is rejected.
    let report = diff_schema(
        &closed_ab,
        &closed_a,
        Role::Request,
        Placement::Root,
        &DiffConfig::default(),
    );
    assert_eq!(
        find(&report, "request-property-removed-from-closed-object")[0].severity,
        B
    );
    let mut tolerant = DiffConfig::default();
    tolerant.content_model.request = ReaderPolicy::Tolerant;
    let report = diff_schema(
        &closed_ab,
        &closed_a,
        Role::Request,
        Placement::Root,
        &tolerant,
    );
    assert_eq!(
        find(&report, "request-optional-property-removed")[0].severity,
        P
    );
}

#[test]
fn severity_is_overridden_per_rule_id() {
    let mut config = DiffConfig::default();
    config
        .severity
        .insert("response-enum-value-added".to_string(), B);
    let report = diff_schema(
        &json!({"enum": ["a"]}),
        &json!({"enum": ["a", "b"]}),
        Role::Response,
        Placement::Root,
        &config,
    );
    let change = find(&report, "response-enum-value-added")[0];
    assert_eq!(change.severity, B);
    assert!(change.breaking);
    assert!(report.failed);
}

#[test]
fn project_config_rejects_unknown_rule_ids_with_did_you_mean() {
    let text = "[diff]\nseverity = { \"response-enum-valu-added\" = \"breaking\" }\n";
    let err = interlock::config::Config::parse(Path::new("interlock.toml"), text, Path::new("."))
        .expect_err("unknown rule id");
    let Error::Input(errors) = err else {
        panic!("expected an input error")
    };
    assert!(
        matches!(errors[0].position, Position::LineColumn { line: 2, .. }),
        "{:?}",
        errors[0]
    );
    let shown = errors[0].to_string();
    assert!(
        shown.contains("did you mean `response-enum-value-added`?"),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------------------------
// Input errors: exit 2 with file and position.

#[test]
fn dangling_ref_is_an_error_naming_file_and_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(&dir.path().join("old.json"), &json!({"type": "string"}));
    write_json(
        &dir.path().join("new.json"),
        &json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}, "$defs": {"Nop": {}}}),
    );
    let err = diff::diff_paths(
        &dir.path().join("old.json"),
        &dir.path().join("new.json"),
        Some(Role::Request),
        &DiffConfig::default(),
    )
    .expect_err("dangling ref");
    assert_eq!(err.exit_code(), 2);
    let Error::Input(errors) = err else {
        panic!("expected an input error")
    };
    assert!(errors[0].file.ends_with("new.json"));
    assert_eq!(
        errors[0].position,
        Position::Pointer("/properties/a/$ref".into())
    );
}

#[test]
fn invalid_schema_is_an_error_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(&dir.path().join("old.json"), &json!({"type": "number"}));
    write_json(
        &dir.path().join("new.json"),
        &json!({"type": "object", "properties": {"n": {"type": "double"}}}),
    );
    let err = diff::diff_paths(
        &dir.path().join("old.json"),
        &dir.path().join("new.json"),
        Some(Role::Response),
        &DiffConfig::default(),
    )
    .expect_err("invalid type");
    let Error::Input(errors) = err else {
        panic!("expected an input error")
    };
    assert_eq!(
        errors[0].position,
        Position::Pointer("/properties/n/type".into())
    );
    assert!(
        errors[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("format: double"),
        "{:?}",
        errors[0]
    );
}

#[test]
fn type_int_is_invalid_without_lenient_and_the_hint_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(&dir.path().join("old.json"), &json!({"type": "object"}));
    write_json(
        &dir.path().join("new.json"),
        &json!({"type": "object", "properties": {"n": {"type": "int"}}}),
    );
    let err = diff::diff_paths(
        &dir.path().join("old.json"),
        &dir.path().join("new.json"),
        Some(Role::Request),
        &DiffConfig::default(),
    )
    .expect_err("invalid type");
    assert_eq!(err.exit_code(), 2);
    let Error::Input(errors) = err else {
        panic!("expected an input error")
    };
    assert_eq!(
        errors[0].position,
        Position::Pointer("/properties/n/type".into())
    );
    let hint = errors[0].hint.as_deref().unwrap_or("");
    assert!(
        hint.contains("type: integer") && hint.contains("--lenient"),
        "{hint}"
    );
    let lenient = DiffConfig {
        lenient: true,
        ..DiffConfig::default()
    };
    let report = diff::diff_paths(
        &dir.path().join("old.json"),
        &dir.path().join("new.json"),
        Some(Role::Request),
        &lenient,
    )
    .expect("lenient read");
    assert_eq!(
        find(&report, "request-property-added")[0].location.field,
        "n"
    );
    assert!(!report.warnings.is_empty());
}

#[test]
fn schema_files_need_a_role_and_syntax_errors_have_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(&dir.path().join("a.json"), &json!({"type": "string"}));
    std::fs::write(dir.path().join("b.json"), "{\n  \"type\": \"string\",\n}\n").expect("write");
    let err = diff::diff_paths(
        &dir.path().join("a.json"),
        &dir.path().join("a.json"),
        None,
        &DiffConfig::default(),
    )
    .expect_err("no role");
    assert!(err.to_string().contains("--role request"), "{err}");
    let err = diff::diff_paths(
        &dir.path().join("a.json"),
        &dir.path().join("b.json"),
        Some(Role::Request),
        &DiffConfig::default(),
    )
    .expect_err("syntax");
    let Error::Input(errors) = err else {
        panic!("expected an input error")
    };
    assert_eq!(
        errors[0].position,
        Position::LineColumn { line: 3, column: 1 }
    );
}

// ---------------------------------------------------------------------------------------------
// OpenAPI: operations, parameters, statuses, media types, headers.

fn openapi(paths: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": {
            "Customer": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
        }}
    })
}

fn get_customer(params: Value, responses: Value) -> Value {
    json!({"/customers/{id}": {"get": {"operationId": "getCustomer", "parameters": params, "responses": responses}}})
}

fn ok_json() -> Value {
    json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Customer"}}}}})
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}})
}

fn diff_docs(old: &Value, new: &Value) -> DiffReport {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(&dir.path().join("old.json"), old);
    write_json(&dir.path().join("new.json"), new);
    diff::diff_paths(
        &dir.path().join("old.json"),
        &dir.path().join("new.json"),
        None,
        &DiffConfig::default(),
    )
    .unwrap_or_else(|err| panic!("diff failed: {err}"))
}

#[test]
fn openapi_operation_level_changes() {
    let base = openapi(get_customer(json!([id_param()]), ok_json()));
    let with = |params: Value, responses: Value| openapi(get_customer(params, responses));
    let q = |name: &str, required: bool, ty: &str| json!({"name": name, "in": "query", "required": required, "schema": {"type": ty}});
    let h = |name: &str, required: bool| json!({"name": name, "in": "header", "required": required, "schema": {"type": "string"}});

    let checks: Vec<(&str, Value, Value, &str, Severity)> = vec![
        (
            "operation removed",
            base.clone(),
            openapi(json!({})),
            "operation-removed",
            B,
        ),
        (
            "operation added",
            openapi(json!({})),
            base.clone(),
            "operation-added",
            S,
        ),
        (
            "required query parameter added",
            base.clone(),
            with(json!([id_param(), q("tenant", true, "string")]), ok_json()),
            "request-required-parameter-added",
            B,
        ),
        (
            "optional query parameter added",
            base.clone(),
            with(json!([id_param(), q("tenant", false, "string")]), ok_json()),
            "request-optional-parameter-added",
            S,
        ),
        (
            "required header added",
            base.clone(),
            with(json!([id_param(), h("X-Tenant", true)]), ok_json()),
            "request-required-parameter-added",
            B,
        ),
        (
            "parameter removed",
            with(json!([id_param(), q("tenant", false, "string")]), ok_json()),
            base.clone(),
            "request-parameter-removed",
            P,
        ),
        (
            "parameter type changed",
            with(json!([id_param(), q("limit", false, "integer")]), ok_json()),
            with(json!([id_param(), q("limit", false, "boolean")]), ok_json()),
            "request-type-changed",
            B,
        ),
        (
            "parameter became required",
            with(json!([id_param(), q("limit", false, "integer")]), ok_json()),
            with(json!([id_param(), q("limit", true, "integer")]), ok_json()),
            "request-parameter-became-required",
            B,
        ),
        (
            "success status removed",
            base.clone(),
            with(
                json!([id_param()]),
                json!({"201": ok_json()["200"].clone()}),
            ),
            "response-success-status-removed",
            B,
        ),
        (
            "success status added",
            base.clone(),
            with(
                json!([id_param()]),
                json!({"200": ok_json()["200"].clone(), "207": ok_json()["200"].clone()}),
            ),
            "response-success-status-added",
            P,
        ),
        (
            "error status added",
            base.clone(),
            with(
                json!([id_param()]),
                json!({"200": ok_json()["200"].clone(), "404": {"description": "missing"}}),
            ),
            "response-status-added",
            S,
        ),
        (
            "media type removed",
            with(
                json!([id_param()]),
                json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}, "application/xml": {"schema": {"type": "object"}}}}}),
            ),
            with(
                json!([id_param()]),
                json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}),
            ),
            "response-media-type-removed",
            B,
        ),
        (
            "required response header removed",
            with(
                json!([id_param()]),
                json!({"200": {"description": "ok", "headers": {"ETag": {"required": true, "schema": {"type": "string"}}}}}),
            ),
            with(json!([id_param()]), json!({"200": {"description": "ok"}})),
            "response-required-header-removed",
            B,
        ),
    ];
    for (name, old, new, kind, severity) in checks {
        let report = diff_docs(&old, &new);
        let found = find(&report, kind);
        assert!(
            !found.is_empty(),
            "{name}: expected {kind}, got {:?}",
            kinds(&report)
        );
        assert_eq!(found[0].severity, severity, "{name}");
    }
}

/// One change found in `report`, asserted by rule id, severity and where.
fn assert_finding<'r>(
    report: &'r DiffReport,
    id: &str,
    severity: Severity,
    at: impl Fn(&Change) -> bool,
) -> &'r Change {
    let found = find(report, id);
    let hit = found
        .iter()
        .find(|c| at(c))
        .unwrap_or_else(|| panic!("expected {id}, got {:?}", kinds(report)));
    assert_eq!(hit.severity, severity, "{id}: {}", hit.message);
    hit
}

/// Diffs an operation whose parameter `name` in `location` changes from `old` to `new` (the
/// parameter object's other fields: `schema`, `style`, `explode`, `content`).
fn param_diff(name: &str, location: &str, old: Value, new: Value) -> DiffReport {
    let doc = |extra: Value| {
        let mut p = json!({"name": name, "in": location, "required": false});
        if let (Some(m), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        openapi(get_customer(json!([id_param(), p]), ok_json()))
    };
    diff_docs(&doc(old), &doc(new))
}

#[test]
fn parameters_are_compared_as_they_travel_on_the_wire() {
    let schema = |s: Value| json!({"schema": s});
    let ty = |t: &str| schema(json!({"type": t}));
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let deep = |t: &str| json!({"style": "deepObject", "explode": true, "schema": {"type": "object", "properties": {"min": {"type": t}}}});
    // (name, location, old, new, rule id, severity, field), each widening the only finding.
    let widenings = vec![
        // A form-exploded query value widening from number to string accepts every old request.
        ("limit", "query", ty("number"), ty("string"), ""),
        // deepObject: each property travels as text.
        ("filter", "query", deep("number"), deep("string"), "min"),
        // [string, integer] → a form-exploded array of strings: an old value is a one-item array.
        (
            "tag",
            "query",
            schema(json!({"type": ["string", "integer"]})),
            schema(strings.clone()),
            "",
        ),
        // Header values are text too.
        ("X-Page", "header", ty("integer"), ty("string"), ""),
    ];
    for (name, location, old, new, field) in widenings {
        let report = param_diff(name, location, old, new);
        let c = assert_finding(&report, "request-type-widened", S, |c| {
            c.location.name.as_deref() == Some(name) && c.location.field == field
        });
        assert_eq!(c.location.part.as_deref(), Some(location));
        assert!(
            report.changes.iter().all(|c| c.severity == S),
            "{name}: {:?}",
            kinds(&report)
        );
    }
    // Narrowing on the wire is still breaking; an array not exploded, or a JSON `content`
    // parameter, keeps the JSON comparison.
    let not_exploded = |s: Value| json!({"explode": false, "schema": s});
    let as_json = |t: &str| json!({"content": {"application/json": {"schema": {"type": t}}}});
    let breaking = vec![
        (
            "limit",
            ty("string"),
            ty("integer"),
            "request-type-narrowed",
        ),
        (
            "tag",
            not_exploded(json!({"type": "string"})),
            not_exploded(strings),
            "request-type-changed",
        ),
        (
            "q",
            as_json("number"),
            as_json("string"),
            "request-type-changed",
        ),
    ];
    for (name, old, new, id) in breaking {
        let report = param_diff(name, "query", old, new);
        assert_finding(&report, id, B, |c| c.location.name.as_deref() == Some(name));
    }
}

fn secured(global: Option<Value>, op_security: Option<Value>) -> Value {
    let mut op =
        json!({"operationId": "getCustomer", "parameters": [id_param()], "responses": ok_json()});
    if let Some(sec) = op_security {
        op["security"] = sec;
    }
    let mut doc = openapi(json!({
        "/customers/{id}": {"get": op},
        "/health": {"get": {"operationId": "health", "responses": {"200": {"description": "ok"}}}}
    }));
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer"},
        "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://x/token", "scopes": {"read": "", "write": ""}}}}
    });
    if let Some(g) = global {
        doc["security"] = g;
    }
    doc
}

#[test]
fn security_requirements_added_break_old_clients_and_removed_ones_are_safe() {
    let open = secured(None, None);
    let get = |c: &Change| c.operation == "GET /customers/{id}";
    // A requirement on an open operation.
    let report = diff_docs(&open, &secured(None, Some(json!([{"bearer": []}]))));
    let c = assert_finding(&report, "security-requirement-added", B, get);
    assert_eq!(c.location.path, "/paths/~1customers~1{id}/get/security");
    assert_eq!(c.location.message, "operation");
    assert!(
        find(&report, "security-requirement-added")
            .iter()
            .all(|c| get(c))
    );
    // An OAuth scope added to a requirement.
    let report = diff_docs(
        &secured(None, Some(json!([{"oauth": ["read"]}]))),
        &secured(None, Some(json!([{"oauth": ["read", "write"]}]))),
    );
    let c = assert_finding(&report, "security-scope-added", B, get);
    assert!(c.message.contains("write"), "{}", c.message);
    // Global security added: every open operation now needs it.
    let report = diff_docs(&open, &secured(Some(json!([{"bearer": []}])), None));
    let ops: Vec<&str> = find(&report, "security-requirement-added")
        .iter()
        .map(|c| c.operation.as_str())
        .collect();
    assert_eq!(
        ops,
        vec!["GET /customers/{id}", "GET /health"],
        "{:?}",
        kinds(&report)
    );
    assert!(
        find(&report, "security-requirement-added")
            .iter()
            .all(|c| c.severity == B && c.location.path == "/security")
    );
    // An operation opting out of global security with `security: []` is still open.
    let report = diff_docs(
        &open,
        &secured(Some(json!([{"bearer": []}])), Some(json!([]))),
    );
    assert_eq!(
        find(&report, "security-requirement-added")
            .iter()
            .map(|c| c.operation.as_str())
            .collect::<Vec<_>>(),
        vec!["GET /health"]
    );
    // Removing requirements or scopes is safe.
    let report = diff_docs(&secured(None, Some(json!([{"bearer": []}]))), &open);
    assert_finding(&report, "security-requirement-removed", S, get);
    assert!(!report.failed);
    let report = diff_docs(
        &secured(None, Some(json!([{"oauth": ["read", "write"]}]))),
        &secured(None, Some(json!([{"oauth": ["read"]}]))),
    );
    assert_finding(&report, "security-scope-removed", S, get);
    assert!(!report.failed);
    // An apiKey alternative added next to basic auth lets more clients in (Kill Bill 0.20).
    let report = diff_docs(
        &secured(None, Some(json!([{"bearer": []}]))),
        &secured(None, Some(json!([{"bearer": []}, {"key": []}]))),
    );
    let c = assert_finding(&report, "security-requirement-removed", S, get);
    assert!(c.message.contains("`key`"), "{}", c.message);
    assert!(!report.failed, "{:?}", kinds(&report));
    // An apiKey every alternative needs is a required header: reported once, as the parameter.
    let report = diff_docs(&open, &secured(None, Some(json!([{"key": []}]))));
    assert_finding(&report, "request-required-parameter-added", B, |c| {
        get(c) && c.location.name.as_deref() == Some("X-Api-Key")
    });
    assert!(
        find(&report, "security-requirement-added").is_empty(),
        "{:?}",
        kinds(&report)
    );
}

fn with_webhooks(webhooks: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "webhooks": webhooks,
        "components": {"schemas": {
            "InvoicePaid": {"type": "object", "required": ["id", "amount"], "properties": {"id": {"type": "string"}, "amount": {"type": "number"}}}
        }}
    })
}

fn invoice_paid(payload: Value, reply: Value) -> Value {
    json!({"invoicePaid": {"post": {
        "requestBody": {"required": true, "content": {"application/json": {"schema": payload}}},
        "responses": {"200": {"description": "received", "content": {"application/json": {"schema": reply}}}}
    }}})
}

#[test]
fn webhooks_are_judged_with_the_provider_writing_the_request() {
    let payload = json!({"$ref": "#/components/schemas/InvoicePaid"});
    let reply = obj(
        json!({"ok": {"type": "boolean"}, "note": {"type": "string"}}),
        &["ok"],
    );
    let base = with_webhooks(invoice_paid(payload.clone(), reply.clone()));
    let hook = |c: &Change| c.operation == "POST webhook invoicePaid";
    // A webhook removed: subscribers wait for events that never come.
    let report = diff_docs(&base, &with_webhooks(json!({})));
    assert_finding(&report, "webhook-removed", B, hook);
    let report = diff_docs(&with_webhooks(json!({})), &base);
    assert_finding(&report, "webhook-added", S, hook);
    // The payload is written by the provider and read by subscribers: judged as a response,
    // also behind a `$ref`.
    let mut new = base.clone();
    new["components"]["schemas"]["InvoicePaid"]["required"] = json!(["id"]);
    let report = diff_docs(&base, &new);
    let c = assert_finding(&report, "response-property-became-optional", B, |c| {
        hook(c) && c.location.field == "amount"
    });
    assert_eq!(c.location.message, "webhook request");
    assert_eq!(c.location.path, "/components/schemas/InvoicePaid");
    let report = diff_docs(&new, &base);
    assert_finding(&report, "response-property-became-required", S, |c| {
        hook(c) && c.location.field == "amount"
    });
    assert!(!report.failed);
    // The subscriber's reply is written by the subscriber and read by the provider: judged as a
    // request.
    let stricter = obj(
        json!({"ok": {"type": "boolean"}, "note": {"type": "string"}}),
        &["ok", "note"],
    );
    let report = diff_docs(
        &base,
        &with_webhooks(invoice_paid(payload.clone(), stricter)),
    );
    let c = assert_finding(&report, "request-property-became-required", B, |c| {
        hook(c) && c.location.field == "note"
    });
    assert_eq!(c.location.message, "webhook response");
    assert_eq!(c.location.status.as_deref(), Some("200"));
}

#[test]
fn openapi_component_change_is_found_at_every_operation_that_reads_it() {
    let old = openapi(json!({
        "/customers/{id}": {"get": {"operationId": "getCustomer", "parameters": [id_param()], "responses": ok_json()}},
        "/customers": {"get": {"operationId": "listCustomers", "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Customer"}}}}}}}}
    }));
    let mut new = old.clone();
    new["components"]["schemas"]["Customer"]["required"] = json!([]);
    let report = diff_docs(&old, &new);
    let found = find(&report, "response-property-became-optional");
    let fields: Vec<(&str, &str)> = found
        .iter()
        .map(|c| (c.interface.as_str(), c.location.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![("getCustomer", "id"), ("listCustomers", "[].id")]
    );
    assert!(
        found
            .iter()
            .all(|c| c.location.path == "/components/schemas/Customer" && c.severity == B)
    );
}

#[test]
fn renaming_a_path_parameter_is_not_a_change() {
    let old = openapi(get_customer(json!([id_param()]), ok_json()));
    let new = openapi(
        json!({"/customers/{customerId}": {"get": {"operationId": "getCustomer", "parameters": [{"name": "customerId", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": ok_json()}}}),
    );
    let report = diff_docs(&old, &new);
    assert!(report.changes.is_empty(), "{:?}", kinds(&report));
}

#[test]
fn swagger_2_body_and_openapi_3_1_are_read() {
    let swagger = |amount: Value| {
        json!({
            "swagger": "2.0", "info": {"title": "t", "version": "1"},
            "paths": {"/payments": {"post": {"operationId": "pay", "parameters": [{"name": "body", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Payment"}}], "responses": {"201": {"description": "ok"}}}}},
            "definitions": {"Payment": {"type": "object", "properties": {"amount": amount}}}
        })
    };
    let report = diff_docs(
        &swagger(json!({"type": "number", "x-nullable": true})),
        &swagger(json!({"type": "number"})),
    );
    assert_eq!(
        find(&report, "request-nullable-removed")[0].location.field,
        "amount"
    );

    let v31 = |ty: Value| json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"n": {"type": ty}}}}}}}}}}});
    let report = diff_docs(&v31(json!(["integer", "null"])), &v31(json!("integer")));
    assert_eq!(find(&report, "response-nullable-removed")[0].severity, S);
    let report = diff_docs(&v31(json!("integer")), &v31(json!(["integer", "null"])));
    assert_eq!(find(&report, "response-nullable-added")[0].severity, B);
}

// ---------------------------------------------------------------------------------------------
// Contract directories, waivers, output formats.

fn contracts_report(
    waivers: Option<PathBuf>,
    fail_on: Severity,
    today: time::Date,
) -> Result<DiffReport, Error> {
    let inputs = Inputs::Paths {
        old: fixtures().join("contracts-old"),
        new: fixtures().join("contracts-new"),
    };
    let options = DiffOptions {
        role: None,
        fail_on,
        waivers,
        today,
        lineage: None,
    };
    diff::diff(&inputs, &DiffConfig::default(), &options)
}

const TODAY: time::Date = time::macros::date!(2030 - 01 - 01);

#[test]
fn contract_directories_report_with_consumers_and_ref_changes() {
    let report = contracts_report(None, B, TODAY).expect("diff");
    let rename = find(&report, "response-property-renamed");
    assert_eq!(rename.len(), 1, "{:?}", kinds(&report));
    let rename = rename[0];
    assert_eq!(rename.interface, "erp.customer-sync");
    assert_eq!(rename.operation, "GET /customers/{id}");
    assert_eq!(rename.location.status.as_deref(), Some("200"));
    assert_eq!(rename.location.field, "taxNumber");
    assert_eq!(rename.consumers, vec!["crm", "finance"]);
    assert!(
        rename.location.file.ends_with("schemas/customer.json"),
        "{}",
        rename.location.file
    );
    assert_eq!(
        (rename.old.clone(), rename.new.clone()),
        (json!("tax_id"), json!("taxNumber"))
    );
    assert_eq!(find(&report, "response-enum-value-added")[0].severity, P);
    assert_eq!(
        find(&report, "request-required-property-added")[0]
            .location
            .field,
        "currency"
    );
    assert_eq!(
        find(&report, "request-optional-property-removed")[0]
            .location
            .field,
        "memo"
    );
    assert!(report.failed);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn waivers_keep_changes_from_failing_until_they_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("waivers.yaml");
    let waiver = |expires: &str| {
        format!(
            "waivers:\n  - kind: response-property-renamed\n    interface: erp.customer-sync\n    location: response 200 body taxNumber\n    reason: finance reads taxNumber since release 42\n    owner: team-erp\n    expires: {expires}\n  - kind: request-required-property-added\n    interface: finance.invoice-post\n    location: request body currency\n    reason: every CRM release since 40 sends currency\n    owner: team-finance\n    expires: 2099-01-01\n"
        )
    };
    std::fs::write(&path, waiver("2031-06-30")).expect("write");
    let report = contracts_report(Some(path.clone()), B, TODAY).expect("diff");
    assert!(!report.failed, "{:?}", kinds(&report));
    assert_eq!(report.summary.waived, 2);
    let rename = find(&report, "response-property-renamed")[0];
    assert!(rename.is_waived());
    assert!(
        rename.breaking,
        "a waived change is still shown as breaking"
    );

    std::fs::write(&path, waiver("2029-12-31")).expect("write");
    let report = contracts_report(Some(path.clone()), B, TODAY).expect("diff");
    assert!(report.failed);
    let rename = find(&report, "response-property-renamed")[0];
    assert!(rename.waiver.as_ref().is_some_and(|w| w.expired));

    std::fs::write(&path, "waivers:\n  - kind: response-property-renamd\n    interface: x\n    location: y\n    reason: r\n    owner: o\n    expires: soon\n").expect("write");
    let Err(Error::Input(errors)) = contracts_report(Some(path), B, TODAY) else {
        panic!("expected input errors")
    };
    assert_eq!(
        errors[0].position,
        Position::Pointer("/waivers/0/kind".into())
    );
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("did you mean `response-property-renamed`?")
    );
    assert_eq!(
        errors[1].position,
        Position::Pointer("/waivers/0/expires".into())
    );
}

#[test]
fn fail_on_potentially_breaking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("waivers.yaml");
    std::fs::write(&path, "waivers: []\n").expect("write");
    let only_potential = |fail_on| {
        let inputs = Inputs::Paths {
            old: fixtures().join("contracts-old"),
            new: fixtures().join("contracts-old"),
        };
        let options = DiffOptions {
            role: None,
            fail_on,
            waivers: None,
            today: TODAY,
            lineage: None,
        };
        diff::diff(&inputs, &DiffConfig::default(), &options).expect("diff")
    };
    assert_eq!(only_potential(B).exit_code(), 0);
    let report = diff_schema(
        &json!({"enum": ["a"]}),
        &json!({"enum": ["a", "b"]}),
        Role::Response,
        Placement::Root,
        &DiffConfig::default(),
    );
    assert_eq!(
        report.exit_code(),
        0,
        "a potentially breaking change passes the default gate"
    );
    let mut changes = report.changes.clone();
    changes.iter_mut().for_each(|c| c.waiver = None);
    let strict = DiffReport::new(report.compared.clone(), changes, P, Vec::new());
    assert_eq!(strict.exit_code(), 1);
}

fn snapshot_filters() -> Vec<(String, &'static str)> {
    vec![(
        regex::escape(&fixtures().display().to_string()),
        "[fixtures]",
    )]
}

#[test]
fn text_and_markdown_reports_snapshot() {
    let report = contracts_report(
        Some(fixtures().join("contracts-new/waivers.yaml")),
        B,
        TODAY,
    )
    .expect("diff");
    let filters = snapshot_filters();
    let filters: Vec<(&str, &str)> = filters.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!("diff_contracts_text", diff::render::render(&report, Format::Text).expect("text"));
        insta::assert_snapshot!("diff_contracts_markdown", diff::render::render(&report, Format::Markdown).expect("markdown"));
    });
}

#[test]
fn json_and_junit_reports_carry_every_finding() {
    let report = contracts_report(None, B, TODAY).expect("diff");
    let json: Value =
        serde_json::from_str(&diff::render::render(&report, Format::Json).expect("json"))
            .expect("valid json");
    let changes = json["changes"].as_array().expect("changes array");
    assert_eq!(changes.len(), report.changes.len());
    let rename = changes
        .iter()
        .find(|c| c["kind"] == "response-property-renamed")
        .expect("rename");
    assert_eq!(rename["severity"], "breaking");
    assert_eq!(rename["breaking"], true);
    assert_eq!(rename["location"]["message"], "response");
    assert_eq!(rename["location"]["status"], "200");
    assert_eq!(rename["location"]["path"], "/properties/taxNumber");
    assert!(
        rename["location"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("schemas/customer.json"))
    );
    assert_eq!(rename["consumers"], json!(["crm", "finance"]));
    let xml = diff::render::render(&report, Format::Junit).expect("junit");
    assert_eq!(xml.matches("<testcase").count(), report.changes.len());
    assert_eq!(xml.matches("<failure").count(), report.summary.breaking);
}

#[test]
fn run_writes_the_report_and_returns_the_gate_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("reports/diff.json");
    let config = interlock::config::Config::load(None, dir.path()).expect("default config");
    let args = interlock::cli::DiffArgs {
        old: Some(fixtures().join("contracts-old")),
        new: Some(fixtures().join("contracts-new")),
        base: None,
        role: None,
        format: Format::Json,
        fail_on: interlock::cli::FailOn::Breaking,
        contracts: None,
        output: Some(out.clone()),
        waivers: None,
        lineage: None,
        lenient: false,
    };
    assert_eq!(
        interlock::commands::diff::run(&args, &config).expect("run"),
        1
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report written"))
            .expect("json");
    assert!(written["changes"].as_array().is_some_and(|c| !c.is_empty()));
    let same = interlock::cli::DiffArgs {
        new: Some(fixtures().join("contracts-old")),
        ..args.clone()
    };
    assert_eq!(
        interlock::commands::diff::run(&same, &config).expect("run"),
        0
    );
    let missing = interlock::cli::DiffArgs { new: None, ..args };
    assert_eq!(
        interlock::commands::diff::run(&missing, &config)
            .expect_err("usage")
            .exit_code(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// --base against a real git repository.

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Interlock Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

#[test]
fn base_revision_is_read_from_git_without_a_checkout() {
    if Command::new("git").arg("--version").output().is_err() {
        crate::support::skip("git is not installed");
        return;
    }
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q"]);
    let contracts = repo.path().join("contracts");
    copy_dir(&fixtures().join("contracts-old"), &contracts);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "old contracts"]);
    std::fs::remove_dir_all(&contracts).expect("clear");
    copy_dir(&fixtures().join("contracts-new"), &contracts);

    let options = DiffOptions {
        role: None,
        fail_on: B,
        waivers: None,
        today: TODAY,
        lineage: None,
    };
    let inputs = Inputs::Base {
        rev: "HEAD".into(),
        path: contracts.clone(),
    };
    let report = diff::diff(&inputs, &DiffConfig::default(), &options).expect("diff against HEAD");
    let direct = contracts_report(None, B, TODAY).expect("direct diff");
    let ids = |r: &DiffReport| {
        let mut v: Vec<(String, String)> = r
            .changes
            .iter()
            .map(|c| (c.kind.clone(), c.location.field.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&report), ids(&direct));
    assert!(
        report.compared.starts_with("HEAD:contracts"),
        "{}",
        report.compared
    );
    let removed = find(&report, "request-optional-property-removed")[0];
    assert!(
        removed.location.file.starts_with("HEAD:contracts/"),
        "{}",
        removed.location.file
    );

    let inputs = Inputs::Base {
        rev: "no-such-branch".into(),
        path: contracts,
    };
    let err = diff::diff(&inputs, &DiffConfig::default(), &options).expect_err("unknown revision");
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("unknown git revision `no-such-branch`"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// The real spec pairs: every change SOURCES.md lists is found with the right severity, and
// nothing the upstream commit did not change is reported as breaking.

fn corpus() -> Option<PathBuf> {
    crate::support::shared_corpus()
}

fn corpus_pair(old: &str, new: &str, lenient: bool) -> Option<DiffReport> {
    let dir = corpus()?;
    let config = DiffConfig {
        lenient,
        ..DiffConfig::default()
    };
    Some(
        diff::diff_paths(&dir.join(old), &dir.join(new), None, &config)
            .unwrap_or_else(|err| panic!("{old}: {err}")),
    )
}

fn breaking_kinds(report: &DiffReport) -> std::collections::BTreeSet<String> {
    report
        .changes
        .iter()
        .filter(|c| c.severity == B)
        .map(|c| c.kind.clone())
        .collect()
}

#[test]
fn corpus_xero_finance_rename_narrowing_and_nullable() {
    let Some(r) = corpus_pair(
        "xero-openapi/ae2e8ab5de-xero-finance.yaml",
        "xero-openapi/dab31f728a-xero-finance.yaml",
        false,
    ) else {
        return;
    };
    let renames = find(&r, "response-property-renamed");
    assert!(!renames.is_empty());
    assert!(renames.iter().all(|c| {
        c.old == json!("id")
            && c.new == json!("contactId")
            && c.location
                .path
                .ends_with("/ContactDetail/properties/contactId")
    }));
    let narrowed: Vec<&Change> = find(&r, "response-type-narrowed");
    assert!(narrowed.iter().any(|c| {
        c.location
            .path
            .ends_with("ContactTotalOther/properties/transactionCount")
            && c.severity == S
    }));
    assert!(
        find(&r, "response-format-narrowed")
            .iter()
            .all(|c| c.old == json!("double") && c.new == json!("int32") && c.severity == S)
    );
    let nullable: std::collections::BTreeSet<String> = find(&r, "response-nullable-removed")
        .iter()
        .map(|c| c.location.path.clone())
        .collect();
    for path in [
        "/components/schemas/ContactDetail/properties/accountCodes",
        "/components/schemas/ContactDetail/properties/name",
        "/components/schemas/IncomeByContactResponse/properties/startDate",
        "/components/schemas/IncomeByContactResponse/properties/endDate",
        "/components/schemas/IncomeByContactResponse/properties/contacts",
    ] {
        assert!(nullable.contains(path), "{path} not in {nullable:?}");
    }
    assert!(
        find(&r, "response-nullable-removed")
            .iter()
            .all(|c| c.severity == S)
    );
    assert_eq!(
        breaking_kinds(&r),
        ["response-property-renamed".to_string()].into()
    );
}

#[test]
fn corpus_xero_accounting_enum_removal_and_idempotency_header() {
    let Some(r) = corpus_pair(
        "xero-openapi/9db27c8184-xero_accounting.yaml",
        "xero-openapi/f7503209a1-xero_accounting.yaml",
        false,
    ) else {
        return;
    };
    let removed = json!([
        "PAYGLIABILITY",
        "SUPERANNUATIONEXPENSE",
        "SUPERANNUATIONLIABILITY",
        "WAGESEXPENSE"
    ]);
    let put_accounts = find(&r, "request-enum-value-removed")
        .into_iter()
        .find(|c| c.operation == "PUT /Accounts")
        .expect("PUT /Accounts request");
    assert_eq!(put_accounts.severity, B);
    assert_eq!(put_accounts.old, removed);
    assert_eq!(
        put_accounts.location.path,
        "/components/schemas/Account/properties/Type"
    );
    let get_accounts = find(&r, "response-enum-value-removed")
        .into_iter()
        .find(|c| c.operation == "GET /Accounts")
        .expect("GET /Accounts response");
    assert_eq!(get_accounts.severity, P);
    let header = find(&r, "request-optional-parameter-added");
    assert!(
        header.len() > 20
            && header
                .iter()
                .all(|c| c.location.name.as_deref() == Some("Idempotency-Key") && c.severity == S)
    );
    assert_eq!(
        breaking_kinds(&r),
        ["request-enum-value-removed".to_string()].into()
    );
}

#[test]
fn corpus_killbill_removed_operations_and_property() {
    let Some(r) = corpus_pair(
        "killbill-kbcli/8680b79fc2-swagger.json",
        "killbill-kbcli/425298c74a-swagger.json",
        false,
    ) else {
        return;
    };
    let mut removed: Vec<String> = find(&r, "operation-removed")
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        vec![
            "GET /1.0/kb/accounts/{accountId}/emailNotifications",
            "PUT /1.0/kb/accounts/{accountId}/emailNotifications"
        ]
    );
    assert!(
        find(&r, "operation-removed")
            .iter()
            .all(|c| c.severity == B)
    );
    for kind in [
        "request-optional-property-removed",
        "response-optional-property-removed",
    ] {
        let found = find(&r, kind);
        assert!(!found.is_empty() && found.iter().all(|c| c.location.field.ends_with("isNotifiedForInvoices") && c.severity == P), "{kind}");
    }
    assert_eq!(breaking_kinds(&r), ["operation-removed".to_string()].into());
}

#[test]
fn corpus_invoiceninja_line_items_and_project_required() {
    let Some(dir) = corpus() else { return };
    let old = dir.join("invoiceninja/e52d61d369-api-docs.yaml");
    let new = dir.join("invoiceninja/30c64b64b9-api-docs.yaml");
    // Strict by default: the spec's invalid type names and malformed references are exit 2.
    let Err(Error::Input(errors)) = diff::diff_paths(&old, &new, None, &DiffConfig::default())
    else {
        panic!("expected input errors")
    };
    assert!(errors.iter().any(|e| e.position
        == Position::Pointer("/components/parameters/per_page_meta/schema/type".into())));
    assert!(errors.iter().any(|e| e.position
        == Position::Pointer(
            "/components/responses/401/content/application~1json/schema/$ref".into()
        )));
    let Some(r) = corpus_pair(
        "invoiceninja/e52d61d369-api-docs.yaml",
        "invoiceninja/30c64b64b9-api-docs.yaml",
        true,
    ) else {
        return;
    };
    let line_items = find(&r, "response-type-changed");
    for schema in ["Invoice", "Credit"] {
        assert!(
            line_items.iter().any(|c| c.location.path
                == format!("/components/schemas/{schema}/properties/line_items")
                && c.old == json!("object")
                && c.new == json!("array")
                && c.severity == B),
            "{schema}"
        );
    }
    let project_required: Vec<&Change> = find(&r, "response-required-property-added")
        .into_iter()
        .filter(|c| c.location.path.starts_with("/components/schemas/Project"))
        .collect();
    assert!(
        project_required
            .iter()
            .any(|c| c.location.field.ends_with("task_rate"))
    );
    assert!(project_required.iter().all(|c| c.severity == S));
    assert!(
        !r.warnings.is_empty(),
        "tolerated quirks are reported as warnings"
    );
    assert_eq!(
        breaking_kinds(&r),
        ["response-type-changed".to_string()].into()
    );
}
