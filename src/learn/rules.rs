//! Writing learned ignore rules into a `scenario.yaml`, keeping everything else of the file
//! (comments, order, layout) as it is.
//!
//! The rules go at the end of the top-level `ignore:` list (a block list; an empty flow list
//! `ignore: []` becomes one), each under a `# learned YYYY-MM-DD: differs between runs`
//! comment; a file without `ignore:` gets one at its end. The file is written atomically and
//! then loaded again; if it would not load, the original is put back and the error returned.

use std::path::Path;

use crate::error::{Error, InputError};
use crate::fsutil::write_atomic;

/// The scenario text with `rules` added to its top-level `ignore:` list.
pub fn with_rules(text: &str, rules: &[String], date: &str) -> String {
    if rules.is_empty() {
        return text.to_owned();
    }
    let lines: Vec<&str> = text.lines().collect();
    let head = lines.iter().position(|l| {
        let t = l.trim_end();
        t == "ignore:" || t.starts_with("ignore: ") || t.starts_with("ignore:#")
    });
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let Some(head) = head else {
        if out.last().is_some_and(|l| !l.trim().is_empty()) || out.is_empty() {
            out.push(String::new());
        }
        out.push("ignore:".to_owned());
        out.extend(block(rules, "  ", date));
        return joined(out);
    };
    let value = lines[head]["ignore:".len()..].trim();
    if value.starts_with("[]") {
        out[head] = "ignore:".to_owned();
        let items = block(rules, "  ", date);
        out.splice(head + 1..head + 1, items);
        return joined(out);
    }
    // The list runs while lines are indented, blank or comments; it ends at the next
    // top-level key.
    let mut end = head + 1;
    let mut indent = "  ".to_owned();
    let mut last_item = head;
    while end < lines.len() {
        let line = lines[end];
        let trimmed = line.trim_start();
        if !line.is_empty() && !line.starts_with([' ', '\t', '#']) && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with('-') {
            indent = line[..line.len() - trimmed.len()].to_owned();
            last_item = end;
        }
        end += 1;
    }
    let at = if last_item == head {
        head + 1
    } else {
        last_item + 1
    };
    out.splice(at..at, block(rules, &indent, date));
    joined(out)
}

fn block(rules: &[String], indent: &str, date: &str) -> Vec<String> {
    let mut lines = vec![format!("{indent}# learned {date}: differs between runs")];
    for rule in rules {
        let quoted = serde_json::to_string(rule).unwrap_or_else(|_| format!("\"{rule}\""));
        lines.push(format!("{indent}- {quoted}"));
    }
    lines
}

fn joined(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Adds `rules` to the scenario file atomically; restores the file when the result does not
/// load as a scenario.
pub fn write(file: &Path, rules: &[String], date: &str) -> Result<(), Error> {
    let original = std::fs::read_to_string(file).map_err(|err| Error::io("read", file, &err))?;
    let updated = with_rules(&original, rules, date);
    write_atomic(file, updated.as_bytes())?;
    if let Err(err) = crate::scenario::load(file) {
        write_atomic(file, original.as_bytes())?;
        return Err(Error::Input(vec![
            InputError::in_file(
                file,
                format!(
                    "the learned ignore rules would not load, so the file was left as it was: {err}"
                ),
            )
            .with_hint("add the rules by hand (interlock learn --dry-run prints them)"),
        ]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "2026-12-04";

    #[test]
    fn rules_go_at_the_end_of_the_ignore_list_keeping_comments() {
        let text = "# a scenario\ntarget: crm\nignore:\n  # volatile\n  - header:x-request-id\n  - /updated_at\nexpect:\n  - exchange: 1\n";
        assert_eq!(
            with_rules(text, &["/request_id".into(), "/server_time".into()], DATE),
            "# a scenario\ntarget: crm\nignore:\n  # volatile\n  - header:x-request-id\n  - /updated_at\n  # learned 2026-12-04: differs between runs\n  - \"/request_id\"\n  - \"/server_time\"\nexpect:\n  - exchange: 1\n"
        );
    }

    #[test]
    fn a_file_without_ignore_gets_one_and_an_empty_flow_list_becomes_a_block() {
        assert_eq!(
            with_rules("target: crm\n", &["/id".into()], DATE),
            "target: crm\n\nignore:\n  # learned 2026-12-04: differs between runs\n  - \"/id\"\n"
        );
        assert_eq!(
            with_rules("ignore: []\ntarget: crm\n", &["/id".into()], DATE),
            "ignore:\n  # learned 2026-12-04: differs between runs\n  - \"/id\"\ntarget: crm\n"
        );
    }

    #[test]
    fn a_list_at_column_zero_keeps_its_indentation() {
        assert_eq!(
            with_rules("ignore:\n- /a\ntarget: crm\n", &["/b".into()], DATE),
            "ignore:\n- /a\n# learned 2026-12-04: differs between runs\n- \"/b\"\ntarget: crm\n"
        );
    }
}
