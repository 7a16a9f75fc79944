//! A reconciliation's counts in the HTML report (`interlock reconcile`): the rows, duplicate
//! and missing keys of each side, then each compared field with its mismatches, rate and every
//! mismatching key kept, both sides' values side by side.

use std::fmt::Write as _;

use super::esc;
use crate::model::{Reconciliation, percent};

pub(super) fn reconciliation_block(out: &mut String, r: &Reconciliation) {
    let _ = writeln!(
        out,
        "<div class=\"reconciliation\" data-matched=\"{}\" data-mismatched=\"{}\">",
        r.matched, r.mismatched
    );
    out.push_str(
        "<table class=\"findings\">\n<thead><tr><th>Side</th><th>Source</th><th>Rows</th>\
         <th>Duplicate keys</th><th>Without key</th><th>Missing here</th></tr></thead>\n<tbody>\n",
    );
    for s in &r.sides {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{} ({} rows)</td><td>{}</td>\
             <td>{} ({})</td></tr>",
            esc(&s.name),
            esc(&s.source),
            s.rows,
            s.duplicate_keys,
            s.duplicate_rows,
            s.without_key,
            s.missing,
            percent(s.missing_rate)
        );
    }
    let _ = writeln!(
        out,
        "</tbody>\n</table>\n<p>matched {}, mismatched {} ({}), missing {}</p>",
        r.matched,
        r.mismatched,
        percent(r.mismatch_rate),
        percent(r.missing_rate)
    );
    let [a, b] = [esc(&r.sides[0].name), esc(&r.sides[1].name)];
    for f in &r.fields {
        let class = if f.passed { "passed" } else { "failed" };
        let _ = writeln!(
            out,
            "<h4 class=\"{class}\" data-field=\"{}\">{} ({}): {} mismatches, {}</h4>",
            esc(&f.name),
            esc(&f.name),
            esc(&f.compare),
            f.mismatches,
            percent(f.rate)
        );
        if f.examples.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<table class=\"findings\">\n<thead><tr><th>{a} key</th><th>{a}</th><th>{b} key</th>\
             <th>{b}</th><th>Why</th></tr></thead>\n<tbody>"
        );
        for e in &f.examples {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td>\
                 <td><code>{}</code></td><td>{}</td></tr>",
                esc(&e.keys[0].to_string()),
                esc(&e.values[0].to_string()),
                esc(&e.keys[1].to_string()),
                esc(&e.values[1].to_string()),
                esc(&e.reason)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</div>\n");
}
