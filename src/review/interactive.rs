//! The interactive review loop: one pending snapshot at a time, its diff, then a choice.
//!
//! Choices are read a line at a time: `a` accept, `r` reject, `s` skip, `n` mark a changed
//! field as noise (pick it from a numbered list), `q` quit. End of input quits too.

use std::io::{BufRead, Write};

use serde_json::Value;

use crate::error::Error;
use crate::snapshot::pending::Pending;
use crate::snapshot::{SnapFile, changed_paths, rules_for_path};

use super::{diff, noise};

/// What a review did, for the closing line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub accepted: usize,
    pub rejected: usize,
    pub skipped: usize,
    pub noise_rules: usize,
}

/// A review on some input and output.
pub(crate) struct Session<R, W> {
    input: R,
    out: W,
    colour: bool,
}

enum Step {
    Next,
    Again,
    Quit,
}

impl<R: BufRead, W: Write> Session<R, W> {
    pub(crate) fn new(input: R, out: W, colour: bool) -> Self {
        Session { input, out, colour }
    }

    /// Reviews every pending snapshot in order; returns what was done.
    pub(crate) fn run(&mut self, pending: &[Pending]) -> Result<Tally, Error> {
        let mut tally = Tally::default();
        let total = pending.len();
        'items: for (number, item) in pending.iter().enumerate() {
            loop {
                // Marking noise may already have settled this one.
                if !item.new.is_file() {
                    continue 'items;
                }
                match self.one(number + 1, total, item, &mut tally)? {
                    Step::Next => continue 'items,
                    Step::Again => {}
                    Step::Quit => break 'items,
                }
            }
        }
        self.say(&format!(
            "review done: {} accepted, {} rejected, {} left pending, {} noise rule{} added",
            tally.accepted,
            tally.rejected,
            pending.iter().filter(|p| p.new.is_file()).count(),
            tally.noise_rules,
            if tally.noise_rules == 1 { "" } else { "s" }
        ));
        Ok(tally)
    }

    fn one(
        &mut self,
        number: usize,
        total: usize,
        item: &Pending,
        tally: &mut Tally,
    ) -> Result<Step, Error> {
        let new = SnapFile::read(&item.new)?;
        let old = if item.snap.is_file() {
            Some(SnapFile::read(&item.snap)?)
        } else {
            None
        };
        self.show(number, total, item, old.as_ref(), &new);
        let Some(choice) =
            self.ask("a accept · r reject · s skip · n mark a field as noise · q quit > ")?
        else {
            return Ok(Step::Quit);
        };
        match choice.as_str() {
            "a" | "accept" => {
                item.accept()?;
                tally.accepted += 1;
                self.say(&format!("accepted → {}", item.snap.display()));
                Ok(Step::Next)
            }
            "r" | "reject" => {
                item.reject()?;
                tally.rejected += 1;
                self.say(&format!("rejected; {} removed", item.new.display()));
                Ok(Step::Next)
            }
            "s" | "skip" => {
                tally.skipped += 1;
                self.say("skipped; it stays pending");
                Ok(Step::Next)
            }
            "q" | "quit" => Ok(Step::Quit),
            "n" | "noise" => self.noise(item, old.as_ref(), &new, tally),
            other => {
                self.say(&format!("unknown choice `{other}`: type a, r, s, n or q"));
                Ok(Step::Again)
            }
        }
    }

    fn show(
        &mut self,
        number: usize,
        total: usize,
        item: &Pending,
        old: Option<&SnapFile>,
        new: &SnapFile,
    ) {
        let state = if old.is_some() { "changed" } else { "new" };
        self.say(&format!(
            "\n[{number}/{total}] {} — {state} snapshot",
            item.name()
        ));
        if let Some(expression) = &new.metadata.expression {
            self.say(&format!("  exchange:  {expression}"));
        }
        if let Some(description) = &new.metadata.description {
            self.say(&format!("  request:   {description}"));
        }
        self.say(&format!("  scenario:  {}", item.scenario_file.display()));
        let old_text = old.map_or("", |o| o.contents.as_str());
        let text = diff::unified(old_text, &new.contents, self.colour);
        let _ = self.out.write_all(text.as_bytes());
    }

    fn noise(
        &mut self,
        item: &Pending,
        old: Option<&SnapFile>,
        new: &SnapFile,
        tally: &mut Tally,
    ) -> Result<Step, Error> {
        let paths = match old {
            Some(old) => changed_paths(&old.contents, &new.contents),
            None => leaf_paths(&new.contents),
        };
        let mut rules: Vec<String> = Vec::new();
        for rule in paths.iter().flat_map(|p| rules_for_path(p)) {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        if rules.is_empty() {
            self.say("no field of this change can be ignored (a status change is never noise)");
            return Ok(Step::Again);
        }
        self.say("changed fields; pick the one to ignore in this scenario from now on:");
        for (n, rule) in rules.iter().enumerate() {
            let shown = if rule.is_empty() {
                "(the whole body)"
            } else {
                rule
            };
            self.say(&format!("  {}) {shown}", n + 1));
        }
        let Some(answer) = self.ask("number (empty to go back) > ")? else {
            return Ok(Step::Quit);
        };
        if answer.is_empty() {
            return Ok(Step::Again);
        }
        let Some(rule) = answer
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| rules.get(n))
        else {
            self.say(&format!("`{answer}` is not one of 1–{}", rules.len()));
            return Ok(Step::Again);
        };
        let outcome = noise::mark(&item.scenario_file, rule)?;
        if outcome.rule_added {
            tally.noise_rules += 1;
            self.say(&format!(
                "added `{rule}` to the ignore list of {}",
                item.scenario_file.display()
            ));
        }
        for path in &outcome.rewritten {
            self.say(&format!("  re-normalized {}", path.display()));
        }
        for path in &outcome.dropped {
            self.say(&format!("  no change left: removed {}", path.display()));
        }
        Ok(if item.new.is_file() {
            Step::Again
        } else {
            Step::Next
        })
    }

    /// Prints a prompt and reads one trimmed line; `None` at end of input.
    fn ask(&mut self, prompt: &str) -> Result<Option<String>, Error> {
        let _ = write!(self.out, "{prompt}");
        let _ = self.out.flush();
        let mut line = String::new();
        let read = self
            .input
            .read_line(&mut line)
            .map_err(|err| Error::environment(format!("cannot read the answer: {err}")))?;
        if read == 0 {
            let _ = writeln!(self.out);
            return Ok(None);
        }
        Ok(Some(line.trim().to_ascii_lowercase()))
    }

    fn say(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
    }
}

/// Every leaf pointer of a snapshot document (for a new snapshot, where nothing changed yet).
fn leaf_paths(text: &str) -> Vec<String> {
    fn walk(value: &Value, pointer: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    walk(
                        v,
                        format!("{pointer}/{}", crate::json::escape_pointer_token(k)),
                        out,
                    );
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{pointer}/{i}"), out);
                }
            }
            _ => out.push(pointer),
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        walk(&value, String::new(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Metadata, pending};
    use std::path::Path;

    fn project(contents: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("s");
        std::fs::create_dir_all(folder.join("snapshots")).unwrap();
        std::fs::write(
            folder.join("scenario.yaml"),
            "target: crm\nreplay: crm.jsonl\n",
        )
        .unwrap();
        std::fs::write(folder.join("crm.jsonl"), "").unwrap();
        for (name, text) in contents {
            let snap = SnapFile {
                metadata: Metadata::default(),
                contents: text.to_string(),
            };
            std::fs::write(folder.join("snapshots").join(name), snap.to_text()).unwrap();
        }
        dir
    }

    fn review(dir: &Path, input: &str) -> (Tally, String) {
        let found = pending::find(dir, &[]).unwrap();
        let mut out = Vec::new();
        let tally = Session::new(input.as_bytes(), &mut out, false)
            .run(&found)
            .unwrap();
        (tally, String::from_utf8(out).unwrap())
    }

    #[test]
    fn unknown_keys_are_explained_and_end_of_input_quits() {
        let dir = project(&[
            ("s__001_get.snap", "{\n  \"status\": 200\n}"),
            ("s__001_get.snap.new", "{\n  \"status\": 201\n}"),
        ]);
        let (tally, out) = review(dir.path(), "x\ns\n");
        assert!(out.contains("unknown choice `x`"), "{out}");
        assert!(
            out.contains("-  \"status\": 200\n+  \"status\": 201"),
            "{out}"
        );
        assert_eq!(tally.skipped, 1);
        let (_, out) = review(dir.path(), "n\n");
        assert!(out.contains("a status change is never noise"), "{out}");
        assert!(dir.path().join("s/snapshots/s__001_get.snap.new").is_file());
    }

    #[test]
    fn noise_on_a_new_snapshot_offers_every_field() {
        let dir = project(&[(
            "s__001_get.snap.new",
            r#"{"status": 200, "body": {"items": [{"id": "a"}]}}"#,
        )]);
        let (tally, out) = review(dir.path(), "n\n2\nq\n");
        assert!(out.contains("1) /items/0/id\n  2) /items/*/id"), "{out}");
        assert_eq!(tally.noise_rules, 1);
        let yaml = std::fs::read_to_string(dir.path().join("s/scenario.yaml")).unwrap();
        assert_eq!(
            yaml,
            "target: crm\nreplay: crm.jsonl\nignore:\n  - /items/*/id\n"
        );
        let pending =
            std::fs::read_to_string(dir.path().join("s/snapshots/s__001_get.snap.new")).unwrap();
        assert!(pending.contains("\"id\": \"[ignored]\""), "{pending}");
    }
}
