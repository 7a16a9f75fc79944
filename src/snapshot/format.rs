//! insta's `.snap` file format, so `cargo insta review` works on Interlock's snapshots.
//!
//! A file is a YAML metadata block between two `---` lines, then the snapshot text:
//!
//! ```text
//! ---
//! source: scenarios/customer-onboarding/scenario.yaml
//! description: "crm.customer.get: GET /api/v1/customers/c-1001"
//! expression: "GET /api/v1/customers/{id} #3"
//! ---
//! {
//!   "status": 200
//! }
//! ```
//!
//! Writing mirrors insta's own emitter (the same quoting rules), so a snapshot accepted by
//! `cargo insta accept` reads back byte for byte the way Interlock wrote it. Reading follows
//! insta: the text is every line after the second `---`, joined with `\n`; two snapshots are
//! equal when their texts are equal after trailing whitespace is trimmed.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, InputError, Position};

/// The metadata block of a snapshot file (the fields Interlock writes and reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct Metadata {
    /// The file that produced the snapshot: the scenario's `scenario.yaml`.
    #[serde(default)]
    pub source: Option<String>,
    /// Shown by `cargo insta review` under the snapshot's name.
    #[serde(default)]
    pub description: Option<String>,
    /// The exchange's stable name, `METHOD /route #N`.
    #[serde(default)]
    pub expression: Option<String>,
}

/// One snapshot file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapFile {
    pub metadata: Metadata,
    pub contents: String,
}

impl SnapFile {
    /// The file's text, in insta's layout.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::from("---\n");
        let fields = [
            ("source", &self.metadata.source),
            ("description", &self.metadata.description),
            ("expression", &self.metadata.expression),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                let _ = writeln!(out, "{key}: {}", yaml_scalar(value));
            }
        }
        out.push_str("---\n");
        out.push_str(self.contents.trim_end());
        out.push('\n');
        out
    }

    /// Whether two snapshots hold the same result (metadata is not compared, as in insta).
    pub(crate) fn same_contents(&self, other: &SnapFile) -> bool {
        normalized(&self.contents) == normalized(&other.contents)
    }

    /// Parses a snapshot file's text; `file` is for error messages.
    pub(crate) fn parse(file: &Path, text: &str) -> Result<SnapFile, InputError> {
        let mut lines = text.split_inclusive('\n');
        let first = lines.next().unwrap_or("");
        if first.trim_end() != "---" {
            return Err(InputError::new(
                file,
                Position::Line(1),
                "not a snapshot file: the first line must be `---`",
            )
            .with_hint("snapshot files are written by `interlock run` in insta's .snap format"));
        }
        let mut header = String::new();
        let mut closed = false;
        let mut line_number = 1;
        for line in lines.by_ref() {
            line_number += 1;
            if line.trim_end() == "---" {
                closed = true;
                break;
            }
            header.push_str(line);
        }
        if !closed {
            return Err(InputError::new(
                file,
                Position::Line(line_number),
                "the metadata block is not closed by a `---` line",
            ));
        }
        let metadata = parse_metadata(file, &header)?;
        let contents = lines
            .map(|l| l.trim_end_matches(['\n', '\r']))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(SnapFile { metadata, contents })
    }

    /// Reads and parses a snapshot file.
    pub(crate) fn read(path: &Path) -> Result<SnapFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|err| Error::io("read", path, &err))?;
        Ok(SnapFile::parse(path, &text)?)
    }
}

fn parse_metadata(file: &Path, header: &str) -> Result<Metadata, InputError> {
    if header.trim().is_empty() {
        return Ok(Metadata::default());
    }
    // Fields Interlock does not use (`assertion_line`, `info`, `input_file`) are ignored.
    serde_yaml_ng::from_str::<Metadata>(header).map_err(|err| {
        let line = err.location().map_or(1, |l| l.line() + 1);
        InputError::new(
            file,
            Position::Line(line),
            format!("the snapshot metadata is not valid YAML: {err}"),
        )
    })
}

/// insta compares snapshot texts with trailing whitespace trimmed and CRLF as LF.
fn normalized(text: &str) -> String {
    text.trim_end().replace("\r\n", "\n")
}

/// A YAML scalar the way insta's emitter writes it: plain when unambiguous, else quoted.
pub(crate) fn yaml_scalar(value: &str) -> String {
    if !needs_quotes(value) {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// insta's (and yaml-rust's) rule for when a string must be quoted.
fn needs_quotes(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || s.contains(|c: char| {
            matches!(
                c,
                ':' | '{'
                    | '}'
                    | '['
                    | ']'
                    | ','
                    | '#'
                    | '`'
                    | '"'
                    | '\''
                    | '\\'
                    | '\0'..='\x06'
                    | '\t'
                    | '\n'
                    | '\r'
                    | '\x0e'..='\x1a'
                    | '\x1c'..='\x1f'
            )
        })
        || RESERVED.contains(&s)
        || s.starts_with('.')
        || s.starts_with("0x")
        || s.parse::<i64>().is_ok()
        || s.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SnapFile {
        SnapFile {
            metadata: Metadata {
                source: Some("scenarios/a/scenario.yaml".into()),
                description: Some("crm.customer.get: GET /api/v1/customers/c-1".into()),
                expression: Some("GET /api/v1/customers/{id} #3".into()),
            },
            contents: "{\n  \"status\": 200\n}".into(),
        }
    }

    #[test]
    fn writes_insta_layout_and_reads_it_back() {
        let text = sample().to_text();
        assert_eq!(
            text,
            "---\nsource: scenarios/a/scenario.yaml\n\
             description: \"crm.customer.get: GET /api/v1/customers/c-1\"\n\
             expression: \"GET /api/v1/customers/{id} #3\"\n---\n{\n  \"status\": 200\n}\n"
        );
        assert_eq!(
            SnapFile::parse(Path::new("x.snap"), &text).unwrap(),
            sample()
        );
    }

    #[test]
    fn reads_fields_insta_adds_and_ignores_trailing_whitespace() {
        let text = "---\nsource: s.yaml\nassertion_line: 12\nexpression: e\n---\nline\n\n";
        let snap = SnapFile::parse(Path::new("x.snap.new"), text).unwrap();
        assert_eq!(snap.metadata.expression.as_deref(), Some("e"));
        let mut other = snap.clone();
        other.contents = "line".into();
        assert!(snap.same_contents(&other));
    }

    #[test]
    fn quoting_follows_insta() {
        assert_eq!(yaml_scalar("plain text"), "plain text");
        assert_eq!(yaml_scalar("a: b"), "\"a: b\"");
        assert_eq!(yaml_scalar("123"), "\"123\"");
        assert_eq!(yaml_scalar("say \"hi\""), "\"say \\\"hi\\\"\"");
    }

    #[test]
    fn bad_files_name_the_line() {
        let err = SnapFile::parse(Path::new("x.snap"), "hello\n").unwrap_err();
        assert_eq!(err.position, Position::Line(1));
        let err = SnapFile::parse(Path::new("x.snap"), "---\nsource: a\n").unwrap_err();
        assert!(err.message.contains("not closed"), "{}", err.message);
    }
}
