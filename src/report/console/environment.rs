//! The environment part of a scenario in the console: its hints, and its setup and teardown
//! steps when the scenario did not pass (with what a failed step printed).

use std::fmt::{self, Write as _};

use super::{DIM, Painter, RED, YELLOW, one_line};
use crate::model::{Environment, Outcome};

/// Lines of a failed step's output shown under it.
const SHOWN_OUTPUT_LINES: usize = 12;

pub(super) fn write_environment(
    out: &mut String,
    environment: &Environment,
    outcome: Outcome,
    p: Painter,
) -> fmt::Result {
    for hint in &environment.hints {
        writeln!(out, "  {}  {}", p.paint(YELLOW, "HINT "), one_line(hint))?;
    }
    let show_steps = outcome != Outcome::Passed || environment.steps.iter().any(|s| !s.ok);
    if !show_steps {
        return Ok(());
    }
    for step in &environment.steps {
        let label = if step.ok {
            p.paint(DIM, "ok   ")
        } else {
            p.paint(RED, "FAIL ")
        };
        let mut detail = String::new();
        if let Some(status) = step.status {
            let _ = write!(detail, "status {status}, ");
        }
        if let Some(code) = step.exit_code {
            let _ = write!(detail, "exit {code}, ");
        }
        let _ = write!(detail, "{} ms", step.duration_ms);
        writeln!(
            out,
            "  {} {} {}  {}",
            p.paint(DIM, &format!("{:<8}", step.phase)),
            label,
            one_line(&step.name),
            detail
        )?;
        if step.ok {
            continue;
        }
        if let Some(error) = &step.error {
            writeln!(out, "        {}", one_line(error))?;
        }
        let output = if step.stderr.trim().is_empty() {
            &step.stdout
        } else {
            &step.stderr
        };
        let lines: Vec<&str> = output.lines().collect();
        let from = lines.len().saturating_sub(SHOWN_OUTPUT_LINES);
        for line in &lines[from..] {
            writeln!(out, "        | {}", one_line(line))?;
        }
    }
    Ok(())
}
