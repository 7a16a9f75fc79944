//! Property tests over every parser fed by the user: contracts (JSON and YAML), `scenario.yaml`,
//! recording lines, `interlock.toml`, HAR and OpenAPI imports and JSON reports. Whatever the
//! bytes, a parser returns (no panic), returns soon, and every error it reports is an input error
//! that says where: a line and column, a line, or a JSON pointer.
//!
//! Inputs are arbitrary bytes plus mutations of a valid document: truncated, a line dropped or
//! duplicated, a value retyped, a byte-order mark inserted, invalid UTF-8 inserted.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::error::{Error, InputError, Position};

/// The most one parse may take on a slow machine.
const BUDGET: Duration = Duration::from_secs(2);

const CONTRACT: &str = include_str!("../contracts/crm/customer.get.contract.json");
const SCENARIO: &str = include_str!("../scenarios/customer-onboarding/scenario.yaml");
const RECORDING: &str = include_str!("../scenarios/customer-onboarding/crm.jsonl");
const CONFIG: &str = include_str!("../interlock.toml");
const HAR: &str = include_str!("../tests/fixtures/har/chromium.har");
const OPENAPI_YAML: &str = include_str!("../tests/fixtures/openapi/crm-3.0.yaml");
const OPENAPI_JSON: &str = include_str!("../tests/fixtures/openapi/erp-swagger-2.0.json");
const REPORT: &str = r#"{"version":1,"started_at":"2026-01-01T00:00:00Z","duration_ms":1.5,"scenarios":[],"summary":{"passed":0,"failed":0}}"#;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One edit of a valid document.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    DropLine(usize),
    DuplicateLine(usize),
    /// Replaces the token at a position with another JSON/YAML type.
    Retype(usize, &'static str),
    Bom(usize),
    InvalidUtf8(usize, u8),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let retyped = prop::sample::select(vec![
        "null", "true", "[]", "{}", "\"\"", "-1", "1e999", "\"x\":", "- ", ": ", "[", "{", "\"",
        "\\u", "&a", "*a", "!!binary", "{{", "$ref",
    ]);
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), retyped).prop_map(|(at, token)| Mutation::Retype(at, token)),
        any::<usize>().prop_map(Mutation::Bom),
        (any::<usize>(), 0x80u8..=0xff).prop_map(|(at, byte)| Mutation::InvalidUtf8(at, byte)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
    ]
}

fn apply(seed: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for m in mutations {
        let at = |i: usize, bytes: &Vec<u8>| i % (bytes.len() + 1);
        match m {
            Mutation::Truncate(i) => bytes.truncate(at(*i, &bytes)),
            Mutation::DropLine(i) | Mutation::DuplicateLine(i) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let n = i % lines.len();
                if matches!(m, Mutation::DropLine(_)) {
                    lines.remove(n);
                } else {
                    let line = lines[n].clone();
                    lines.insert(n, line);
                }
                bytes = lines.join(&b'\n');
            }
            Mutation::Retype(i, token) => {
                let start = at(*i, &bytes);
                let end = bytes[start..]
                    .iter()
                    .position(|b| b",}]\n".contains(b))
                    .map_or(bytes.len(), |p| start + p);
                bytes.splice(start..end, token.bytes());
            }
            Mutation::Bom(i) => {
                let i = at(*i, &bytes);
                bytes.splice(i..i, "\u{feff}".bytes());
            }
            Mutation::InvalidUtf8(i, byte) => {
                let i = at(*i, &bytes);
                bytes.insert(i, *byte);
            }
            Mutation::Insert(i, insert) => {
                let i = at(*i, &bytes);
                bytes.splice(i..i, insert.iter().copied());
            }
        }
    }
    bytes
}

fn mutated(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(mutation(), 1..4).prop_map(move |ms| apply(seed, &ms))
}

fn arbitrary_or_mutated(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => any::<String>().prop_map(String::into_bytes),
        4 => mutated(seed),
    ]
}

/// A position, or the whole file when the file is not the kind of document asked for
/// (`not a HAR file`, `not an OpenAPI document`, `not an Interlock JSON report`): the answer is the file itself.
fn assert_positioned(err: &InputError) {
    assert!(
        !matches!(err.position, Position::File) || err.message.starts_with("not a"),
        "an input error without a position: {err}"
    );
}

fn assert_input(err: &Error) {
    match err {
        Error::Input(errors) => {
            assert!(!errors.is_empty(), "an input error without a problem");
            errors.iter().for_each(assert_positioned);
        }
        Error::Environment(message) => panic!("not an input error: {message}"),
    }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < BUDGET,
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

/// Decodes like the file readers do: a leading BOM dropped, invalid UTF-8 an input error.
fn decode(path: &Path, bytes: &[u8]) -> Result<String, InputError> {
    crate::fsutil::decode_text(path, bytes.to_vec())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|err| panic!("{err}"));
    }
    std::fs::write(&path, bytes).unwrap_or_else(|err| panic!("{err}"));
    path
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_contract_text_parses_or_says_where(bytes in arbitrary_or_mutated(CONTRACT), yaml in any::<bool>()) {
        let path = Path::new(if yaml { "c.contract.yaml" } else { "c.contract.json" });
        timed("parse_value", || match decode(path, &bytes) {
            Ok(text) => {
                if let Err(err) = crate::json::parse_value(path, &text) {
                    assert_positioned(&err);
                }
            }
            Err(err) => assert_positioned(&err),
        });
    }

    #[test]
    fn prop_contract_folder_loads_or_says_where(bytes in mutated(CONTRACT)) {
        let dir = tempdir();
        write(dir.path(), "contracts/a.contract.json", &bytes);
        crate::json::set_project_root(dir.path().to_path_buf());
        let result = timed("load_dir", || crate::contract::load_dir(&dir.path().join("contracts")));
        if let Err(err) = result {
            assert_input(&err);
        }
    }

    #[test]
    fn prop_scenario_loads_or_says_where(bytes in arbitrary_or_mutated(SCENARIO)) {
        let dir = tempdir();
        let file = write(dir.path(), "s/scenario.yaml", &bytes);
        write(dir.path(), "s/crm.jsonl", RECORDING.as_bytes());
        if let Err(err) = timed("scenario::load", || crate::scenario::load(&file)) {
            assert_input(&err);
        }
    }

    #[test]
    fn prop_recording_lines_parse_or_say_which(bytes in arbitrary_or_mutated(RECORDING)) {
        let path = Path::new("crm.jsonl");
        timed("recording::parse", || match decode(path, &bytes) {
            Ok(text) => {
                let (_, errors) = crate::recording::parse(path, &text);
                errors.iter().for_each(assert_positioned);
            }
            Err(err) => assert_positioned(&err),
        });
    }

    #[test]
    fn prop_config_parses_or_says_where(bytes in arbitrary_or_mutated(CONFIG)) {
        let path = Path::new("interlock.toml");
        timed("Config::parse", || match decode(path, &bytes) {
            Ok(text) => {
                if let Err(err) = crate::config::Config::parse(path, &text, Path::new(".")) {
                    assert_input(&err);
                }
            }
            Err(err) => assert_positioned(&err),
        });
    }

    #[test]
    fn prop_har_imports_or_says_where(bytes in arbitrary_or_mutated(HAR)) {
        let path = Path::new("capture.har");
        let options = crate::import::har::Options::default();
        let result = timed("har::stream", || {
            crate::import::har::stream(path, bytes.as_slice(), &options, &mut |_| {}, &mut |_| Ok(()))
        });
        if let Err(err) = result {
            assert_input(&err);
        }
    }

    #[test]
    fn prop_openapi_converts_or_says_where(bytes in arbitrary_or_mutated(OPENAPI_YAML), json in mutated(OPENAPI_JSON)) {
        let options = crate::import::openapi::Options::default();
        for (name, bytes) in [("spec.yaml", &bytes), ("spec.json", &json)] {
            let path = Path::new(name);
            timed("openapi::convert", || match decode(path, bytes) {
                Ok(text) => match crate::json::parse_value(path, &text) {
                    Ok(doc) => {
                        if let Err(err) = crate::import::openapi::convert(path, &doc, &options) {
                            assert_input(&err);
                        }
                    }
                    Err(err) => assert_positioned(&err),
                },
                Err(err) => assert_positioned(&err),
            });
        }
    }

    #[test]
    fn prop_json_report_reads_or_says_where(bytes in arbitrary_or_mutated(REPORT)) {
        let dir = tempdir();
        let file = write(dir.path(), "report.json", &bytes);
        if let Err(err) = timed("report read", || crate::report::merge::read(&file)) {
            assert_positioned(&err);
        }
    }
}
