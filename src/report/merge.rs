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
use crate::model::{RunResult, ShardOf};

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

/// One result from several shards': every scenario once, by name. Reports that record their
/// shard must be every shard `1..=N` of one run, each once; the merged result keeps the run id.
pub(crate) fn merge(results: Vec<(PathBuf, RunResult)>) -> Result<RunResult, Error> {
    let run_id = complete_set(&results).map_err(Error::Input)?;
    let mut merged = RunResult {
        scenarios: Vec::new(),
        duration: Duration::ZERO,
        shard: None,
        run_id,
        notes: Vec::new(),
    };
    let mut owners: Vec<(String, PathBuf)> = Vec::new();
    let mut errors = Vec::new();
    for (path, result) in results {
        merged.duration = merged.duration.max(result.duration);
        for note in result.notes {
            if !merged.notes.contains(&note) {
                merged.notes.push(note);
            }
        }
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

/// Checks that the reports are one complete shard set: all sharded or none, one total `N`, one
/// run id, each shard `1..=N` exactly once. Returns the common run id.
fn complete_set(results: &[(PathBuf, RunResult)]) -> Result<Option<String>, Vec<InputError>> {
    let hint = "merge the JSON reports of every shard of one run, each once";
    let Some((first_path, first)) = results.first() else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    for (path, result) in results {
        if result.run_id != first.run_id {
            errors.push(
                InputError::at_pointer(
                    path,
                    "/run_id",
                    format!(
                        "run id {} differs from {} in {}: the reports are from different runs",
                        shown(result.run_id.as_deref()),
                        shown(first.run_id.as_deref()),
                        first_path.display()
                    ),
                )
                .with_hint(hint),
            );
        }
    }
    let sharded: Vec<(&PathBuf, ShardOf)> = results
        .iter()
        .filter_map(|(path, r)| r.shard.map(|s| (path, s)))
        .collect();
    let Some(&(total_path, ShardOf { total, .. })) = sharded.first() else {
        return if errors.is_empty() {
            Ok(first.run_id.clone())
        } else {
            Err(errors)
        };
    };
    for (path, result) in results {
        if result.shard.is_none() {
            errors.push(
                InputError::at_pointer(
                    path,
                    "/shard",
                    format!(
                        "this report records no shard, while {} is shard {} of {total}",
                        total_path.display(),
                        sharded[0].1.index
                    ),
                )
                .with_hint(hint),
            );
        }
    }
    let mut seen: Vec<(u32, &PathBuf)> = Vec::new();
    for (path, shard) in &sharded {
        if shard.total != total {
            errors.push(
                InputError::at_pointer(
                    *path,
                    "/shard/total",
                    format!(
                        "shard {} of {} does not belong with {} (shard {} of {total})",
                        shard.index,
                        shard.total,
                        total_path.display(),
                        sharded[0].1.index
                    ),
                )
                .with_hint("merge the shards of one `--shard K/N` split"),
            );
            continue;
        }
        if let Some((_, other)) = seen.iter().find(|(index, _)| *index == shard.index) {
            errors.push(
                InputError::at_pointer(
                    *path,
                    "/shard/index",
                    format!(
                        "shard {} of {total} is given twice (also {})",
                        shard.index,
                        other.display()
                    ),
                )
                .with_hint(hint),
            );
            continue;
        }
        seen.push((shard.index, path));
    }
    let missing: Vec<String> = (1..=total)
        .filter(|k| !seen.iter().any(|(index, _)| index == k))
        .map(|k| k.to_string())
        .collect();
    if errors.is_empty() && !missing.is_empty() {
        errors.push(
            InputError::in_file(
                total_path,
                format!(
                    "the shard set is incomplete: {} (given: {})",
                    match missing.len() {
                        1 => format!("shard {} of {total} is missing", missing[0]),
                        _ => format!("shards {} of {total} are missing", missing.join(", ")),
                    },
                    given(&seen)
                ),
            )
            .with_hint(format!(
                "add the JSON report of every shard 1..{total} of this run (`interlock run --shard K/{total}`)"
            )),
        );
    }
    if errors.is_empty() {
        Ok(first.run_id.clone())
    } else {
        Err(errors)
    }
}

/// `1, 3`: the shard numbers given, in order.
fn given(seen: &[(u32, &PathBuf)]) -> String {
    let mut given: Vec<u32> = seen.iter().map(|(k, _)| *k).collect();
    given.sort_unstable();
    given
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn shown(run_id: Option<&str>) -> String {
    run_id.map_or_else(|| "(none)".to_owned(), |id| format!("`{id}`"))
}
