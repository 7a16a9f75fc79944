//! Marking a field as noise: an ignore rule added to the scenario's `scenario.yaml`, and the
//! scenario's snapshots normalized again with it.
//!
//! The YAML is edited as text — one `- RULE` line inserted at the end of the top-level
//! `ignore:` list (or a new list appended) — so comments, key order and formatting stay as
//! they were. The edited file must still load as a scenario before it replaces the original.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, InputError};
use crate::scenario::{self, IgnoreRule, IgnoreRules};
use crate::snapshot::normalize::{apply_ignore, render};
use crate::snapshot::{SNAPSHOT_DIR, SnapFile, pending_path, remove_if_present};

/// What marking a field as noise changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoiseOutcome {
    /// False when the scenario already had the rule.
    pub rule_added: bool,
    /// Snapshot files rewritten with the new placeholder.
    pub rewritten: Vec<PathBuf>,
    /// Pending snapshots that no longer differ from the accepted one, and were removed.
    pub dropped: Vec<PathBuf>,
}

/// Adds `rule` to the scenario's ignore list and re-normalizes its snapshots.
pub(crate) fn mark(scenario_file: &Path, rule: &str) -> Result<NoiseOutcome, Error> {
    let parsed = IgnoreRule::parse(rule).map_err(|message| {
        InputError::usage(format!("`{rule}` is not an ignore rule: {message}"))
    })?;
    let original = std::fs::read_to_string(scenario_file)
        .map_err(|err| Error::io("read", scenario_file, &err))?;
    let mut outcome = NoiseOutcome::default();
    if !top_level_rules(scenario_file, &original)?.contains(&rule.to_string()) {
        let edited = add_rule(&original, rule);
        if !top_level_rules(scenario_file, &edited)?.contains(&rule.to_string()) {
            return Err(InputError::in_file(
                scenario_file,
                format!("could not add `{rule}` to the `ignore:` list"),
            )
            .with_hint("add it by hand under `ignore:`")
            .into());
        }
        crate::fsutil::write_atomic(scenario_file, edited.as_bytes())?;
        if let Err(err) = scenario::load(scenario_file) {
            crate::fsutil::write_atomic(scenario_file, original.as_bytes())?;
            return Err(err);
        }
        outcome.rule_added = true;
    }
    let folder = scenario_file.parent().unwrap_or(Path::new(""));
    renormalize(
        &folder.join(SNAPSHOT_DIR),
        &IgnoreRules::new(vec![parsed]),
        &mut outcome,
    )?;
    Ok(outcome)
}

/// The strings of the scenario's top-level `ignore:` list.
fn top_level_rules(file: &Path, text: &str) -> Result<Vec<String>, Error> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)
        .map_err(|err| InputError::in_file(file, format!("not valid YAML: {err}")))?;
    Ok(value
        .get("ignore")
        .and_then(|v| v.as_sequence())
        .map(|seq| {
            seq.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// The YAML text with `rule` appended to the top-level `ignore:` list.
pub(crate) fn add_rule(text: &str, rule: &str) -> String {
    let item = yaml_string(rule);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(key) = lines.iter().position(|l| is_ignore_key(l)) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("ignore:\n  - {item}\n"));
        return out;
    };
    let inline = value_after_key(lines[key]);
    if let Some(flow) = inline.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let flow = flow.trim();
        let replaced = if flow.is_empty() {
            format!("ignore:\n  - {item}\n")
        } else {
            format!("ignore: [{flow}, {item}]\n")
        };
        return splice(&lines, key, key + 1, &replaced);
    }
    // A block list: its items are the lines after the key that are indented or start with `-`.
    let mut last = key;
    let mut indent = None;
    for (i, line) in lines.iter().enumerate().skip(key + 1) {
        let trimmed = line.trim_start();
        if trimmed.trim().is_empty() || (trimmed.starts_with('#') && line.starts_with('#')) {
            continue;
        }
        let leading = line.len() - trimmed.len();
        if leading == 0 && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with('-') && indent.is_none() {
            indent = Some(leading);
        }
        last = i;
    }
    let indent = " ".repeat(indent.unwrap_or(2));
    let mut out = String::new();
    for line in &lines[..=last] {
        out.push_str(line);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{indent}- {item}\n"));
    for line in &lines[last + 1..] {
        out.push_str(line);
    }
    out
}

fn is_ignore_key(line: &str) -> bool {
    line.strip_prefix("ignore:")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']))
}

/// The value written on the key's own line, without a trailing comment.
fn value_after_key(line: &str) -> &str {
    let rest = line.trim_start_matches("ignore:");
    let rest = match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    };
    rest.trim()
}

fn splice(lines: &[&str], from: usize, to: usize, replacement: &str) -> String {
    let mut out: String = lines[..from].concat();
    out.push_str(replacement);
    out.push_str(&lines[to..].concat());
    out
}

/// A YAML string as serde_yaml writes it (plain when unambiguous, quoted otherwise).
fn yaml_string(rule: &str) -> String {
    serde_yaml_ng::to_string(rule)
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| format!("{rule:?}"))
}

/// Applies `rules` to every snapshot and pending snapshot in `dir`; drops pending snapshots
/// that become equal to their accepted one.
fn renormalize(dir: &Path, rules: &IgnoreRules, outcome: &mut NoiseOutcome) -> Result<(), Error> {
    if !dir.is_dir() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|err| Error::io("read", dir, &err))?;
    let mut snaps: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|err| Error::io("read", dir, &err))?.path();
        let name = path.to_string_lossy();
        if name.ends_with(".snap") || name.ends_with(".snap.new") {
            snaps.push(path);
        }
    }
    snaps.sort();
    for path in &snaps {
        rewrite(path, rules, outcome)?;
    }
    for snap in snaps
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".snap"))
    {
        let pending = pending_path(snap);
        if pending.is_file() && SnapFile::read(snap)?.same_contents(&SnapFile::read(&pending)?) {
            remove_if_present(&pending)?;
            outcome.rewritten.retain(|p| *p != pending);
            outcome.dropped.push(pending);
        }
    }
    Ok(())
}

fn rewrite(path: &Path, rules: &IgnoreRules, outcome: &mut NoiseOutcome) -> Result<(), Error> {
    let mut snap = SnapFile::read(path)?;
    let Ok(mut doc) = serde_json::from_str::<Value>(&snap.contents) else {
        return Ok(());
    };
    apply_ignore(&mut doc, rules);
    let contents = render(&doc);
    if contents != snap.contents.trim_end() {
        snap.contents = contents;
        crate::fsutil::write_atomic(path, snap.to_text().as_bytes())?;
        outcome.rewritten.push(path.to_path_buf());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_to_a_block_list_keeping_comments() {
        let text = "target: crm\nignore:\n  - header:x-request-id\n  # volatile\n  - /updated_at\n# trailing\nexpect:\n  - exchange: 1\n";
        assert_eq!(
            add_rule(text, "/items/*/id"),
            "target: crm\nignore:\n  - header:x-request-id\n  # volatile\n  - /updated_at\n  - /items/*/id\n# trailing\nexpect:\n  - exchange: 1\n"
        );
    }

    #[test]
    fn list_at_the_end_and_unindented_items() {
        assert_eq!(add_rule("ignore:\n- /a", "/b"), "ignore:\n- /a\n- /b\n");
    }

    #[test]
    fn adds_a_list_when_there_is_none_and_extends_flow_lists() {
        assert_eq!(
            add_rule("target: crm\n", "/a"),
            "target: crm\nignore:\n  - /a\n"
        );
        assert_eq!(
            add_rule("ignore: []  # none\nx: 1\n", "/a"),
            "ignore:\n  - /a\nx: 1\n"
        );
        assert_eq!(add_rule("ignore: [/a]\n", "/b"), "ignore: [/a, /b]\n");
        assert_eq!(add_rule("ignore:\n", ""), "ignore:\n  - ''\n");
    }

    #[test]
    fn peer_ignore_lists_are_not_the_scenario_list() {
        let text = "peers:\n  erp:\n    ignore:\n      - header:x\n";
        assert_eq!(add_rule(text, "/a"), format!("{text}ignore:\n  - /a\n"));
    }
}
