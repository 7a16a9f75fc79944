//! A unified diff of two snapshot texts, coloured for a terminal (red removed, green added).

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// The diff of `old` (accepted) and `new` (pending), three lines of context, `@@` hunks.
pub(crate) fn unified(old: &str, new: &str, colour: bool) -> String {
    let old = with_newline(old);
    let new = with_newline(new);
    let diff = TextDiff::from_lines(&old, &new);
    let paint = |code: &str, text: &str| {
        if colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint(RED, "--- accepted (.snap)"));
    let _ = writeln!(out, "{}", paint(GREEN, "+++ new (.snap.new)"));
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        let _ = writeln!(out, "{}", paint(CYAN, &hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let line = change.value().trim_end_matches('\n');
            let (sign, code) = match change.tag() {
                ChangeTag::Delete => ('-', RED),
                ChangeTag::Insert => ('+', GREEN),
                ChangeTag::Equal => (' ', DIM),
            };
            let _ = writeln!(out, "{}", paint(code, &format!("{sign}{line}")));
        }
    }
    out
}

fn with_newline(text: &str) -> String {
    let mut text = text.trim_end().to_string();
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines_with_context() {
        let old = "{\n  \"a\": 1,\n  \"b\": 2\n}";
        let new = "{\n  \"a\": 1,\n  \"b\": 3\n}";
        let text = unified(old, new, false);
        assert!(text.contains("-  \"b\": 2\n+  \"b\": 3\n"), "{text}");
        assert!(text.contains("@@ -1,4 +1,4 @@"), "{text}");
        assert!(text.contains("   \"a\": 1,"), "{text}");
        assert!(!text.contains('\x1b'));
        assert!(unified(old, new, true).contains("\x1b[32m+  \"b\": 3\x1b[0m"));
    }

    #[test]
    fn a_new_snapshot_is_all_additions() {
        let text = unified("", "{\n}", false);
        assert!(text.contains("+{\n+}\n"), "{text}");
    }
}
