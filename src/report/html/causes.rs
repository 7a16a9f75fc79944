//! The cause table that opens the HTML report: one row per cause that fails the gate, most
//! harmful first, each expanding (`<details>`) to the exchanges it was seen at (links to their
//! blocks below) and the findings it folds. Code in a cause line or a message (`` `tax_id` ``)
//! is shown as `<code>`.

use std::fmt::Write as _;

use super::{esc, exchange_id, scenario_id};
use crate::model::{Cause, Rank, RunResult};
use crate::report::console::{cause_count, plural, seen};

/// The causes section: `N causes (M findings)` and the table, or a line saying none fails.
pub(super) fn causes_section(out: &mut String, result: &RunResult, causes: &[Cause]) {
    let failing: Vec<&Cause> = causes.iter().filter(|c| c.rank != Rank::Info).collect();
    let _ = writeln!(
        out,
        "<section id=\"causes\" class=\"overview\" data-causes=\"{}\">",
        failing.len()
    );
    if failing.is_empty() {
        out.push_str(
            "<h2>Causes</h2>\n<p class=\"none\">No cause fails the gate.</p>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<table class=\"causes\">\n<thead><tr><th>#</th><th></th><th>Cause</th>\
         <th>Seen</th><th>Consumers</th></tr></thead>\n<tbody>",
        esc(&cause_count(failing.len(), result))
    );
    for (n, cause) in failing.iter().enumerate() {
        cause_row(out, n + 1, cause, result);
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn cause_row(out: &mut String, rank: usize, cause: &Cause, result: &RunResult) {
    let label = if cause.severity == "error" {
        "error"
    } else {
        "failed"
    };
    let _ = writeln!(
        out,
        "<tr class=\"cause\" id=\"cause-{id}\" data-cause=\"{id}\" data-kind=\"{kind}\" \
         data-rank=\"{rank_id}\"><td class=\"num\">{rank}</td><td><span class=\"badge {label}\">\
         {label}</span></td><td><details>\n<summary>{line}</summary>",
        id = esc(&cause.id),
        kind = esc(&cause.kind),
        rank_id = rank_id(cause.rank),
        line = code_spans(&cause.line),
    );
    out.push_str("<ul class=\"cause-exchanges\">\n");
    for at in &cause.exchanges {
        let link = result
            .scenarios
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == at.scenario)
            .and_then(|(si, s)| {
                let ei = s.exchanges.iter().position(|e| e.index == at.index)?;
                Some(exchange_id(si, ei))
            });
        match link {
            Some(anchor) => {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#{anchor}\">{} · {}</a></li>",
                    esc(&at.scenario),
                    esc(&at.name)
                );
            }
            None => {
                let _ = writeln!(out, "<li>{} · {}</li>", esc(&at.scenario), esc(&at.name));
            }
        }
    }
    for finding in cause.findings.iter().filter(|f| f.exchange.is_none()) {
        let si = result
            .scenarios
            .iter()
            .position(|s| s.name == finding.scenario);
        let scenario = esc(&finding.scenario);
        let kind = esc(&finding.kind);
        match si {
            Some(si) => {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#{}\">{scenario} · (scenario)</a> {kind}</li>",
                    scenario_id(si)
                );
            }
            None => {
                let _ = writeln!(out, "<li>{scenario} · (scenario) {kind}</li>");
            }
        }
    }
    let listed = cause.exchanges.len();
    if cause.exchange_count > listed {
        let _ = writeln!(
            out,
            "<li class=\"more\">… and {}</li>",
            plural(
                cause.exchange_count - listed,
                "more exchange",
                "more exchanges"
            )
        );
    }
    out.push_str("</ul>\n");
    if !cause.paths.is_empty() {
        let paths: Vec<String> = cause
            .paths
            .iter()
            .map(|p| format!("<code>{}</code>", esc(p)))
            .collect();
        let _ = writeln!(out, "<p class=\"meta\">fields: {}</p>", paths.join(", "));
    }
    let _ = writeln!(
        out,
        "</details></td><td>{}</td><td>{}</td></tr>",
        esc(&seen(cause)),
        esc(&cause.consumers.join(", "))
    );
}

fn rank_id(rank: Rank) -> &'static str {
    match rank {
        Rank::BreaksPeer => "breaks-peer",
        Rank::Error => "error",
        Rank::ContractViolation => "contract-violation",
        Rank::Drift => "drift",
        Rank::Info => "info",
    }
}

/// Escaped text whose backtick-quoted parts are `<code>`: `` `tax_id` renamed `` →
/// `<code>tax_id</code> renamed`. An unpaired backtick leaves the text as it is.
pub(super) fn code_spans(text: &str) -> String {
    crate::report::code_spans(text, |part| format!("<code>{}</code>", esc(part)), esc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            code_spans("`tax_id` renamed to `<b>`"),
            "<code>tax_id</code> renamed to <code>&lt;b&gt;</code>"
        );
        assert_eq!(
            code_spans("an ` unpaired <tick>"),
            "an ` unpaired &lt;tick&gt;"
        );
        assert_eq!(code_spans("``"), "");
    }
}
