//! `interlock report merge`: one result from the JSON reports of a sharded run.
//!
//! Each shard of a CI matrix runs `interlock run --shard K/N --report-json …`. The JSON report
//! is the result model's own serialization, so the shards' reports read back into
//! [`RunResult`]s; merged, they go through the same reporters as a run, so the merged JSON,
//! JUnit, HTML and Markdown are exactly what one unsharded run would have written. Scenarios are
//! listed by name; the merged duration is the longest shard's. The command exits with the
//! merged gate's code, so the merge step is the gate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::json::{FORMAT_VERSION, READABLE_VERSIONS};
use crate::error::{Error, InputError, Position};
use crate::model::RunResult;

/// Reads one JSON report back into the result it was written from.
pub(crate) fn read(path: &Path) -> Result<RunResult, InputError> {
    let text = crate::fsutil::read_document(path, "report")?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        InputError::new(
            path,
            Position::LineColumn {
                line: err.line(),
                column: err.column(),
            },
            format!("not JSON: {err}"),
        )
        .with_hint("give the files written by `interlock run --report-json`")
    })?;
    match value
        .get("interlock_report")
        .and_then(serde_json::Value::as_u64)
    {
        Some(version) if READABLE_VERSIONS.iter().any(|v| u64::from(*v) == version) => {}
        Some(version) => {
            return Err(InputError::at_pointer(
                path,
                "/interlock_report",
                format!(
                    "report format {version} is not one this interlock reads (1 to {FORMAT_VERSION})"
                ),
            )
            .with_hint("merge reports written by the same interlock version"));
        }
        None => {
            return Err(InputError::in_file(
                path,
                "not an Interlock JSON report: expected an object whose first key is `interlock_report`",
            )
            .with_hint("give the files written by `interlock run --report-json`"));
        }
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let pointer: String = err
            .path()
            .iter()
            .map(|segment| format!("/{segment}"))
            .collect();
        InputError::at_pointer(
            path,
            pointer,
            format!("not a valid Interlock JSON report: {}", err.inner()),
        )
    })
}

/// One result from several shards': every scenario once, by name.
pub(crate) fn merge(results: Vec<(PathBuf, RunResult)>) -> Result<RunResult, Error> {
    let mut merged = RunResult {
        scenarios: Vec::new(),
        duration: Duration::ZERO,
    };
    let mut owners: Vec<(String, PathBuf)> = Vec::new();
    let mut errors = Vec::new();
    for (path, result) in results {
        merged.duration = merged.duration.max(result.duration);
        for scenario in result.scenarios {
            if let Some((_, first)) = owners.iter().find(|(name, _)| *name == scenario.name) {
                errors.push(
                    InputError::in_file(
                        &path,
                        format!(
                            "scenario `{}` is also in {}: the reports overlap",
                            scenario.name,
                            first.display()
                        ),
                    )
                    .with_hint("merge the reports of one sharded run, each shard once"),
                );
                continue;
            }
            owners.push((scenario.name.clone(), path.clone()));
            merged.scenarios.push(scenario);
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    merged.scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    crate::model::cause::annotate(&mut merged);
    Ok(merged)
}
