//! `--format text`: the human report, most severe first.
//!
//! ```text
//! breaking  response-required-property-removed  erp.customer-sync (GET /customers/{id})
//!     response 200 body tax_id: required property `tax_id` removed
//!     tax_id → —   consumers: crm, finance
//!     used by: crm.customer-view (12 of 12 recorded calls)
//!     at contracts/customer.contract.json#/responses/200/body/properties/tax_id
//! ```

use std::fmt::Write;

use super::super::change::DiffReport;
use super::{operation_label, short, source, usage_line};

pub(crate) fn render(report: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "interlock diff: {}", report.compared);
    for change in &report.changes {
        let _ = writeln!(
            out,
            "\n{}  {}  {}",
            change.severity,
            change.kind,
            operation_label(change)
        );
        let _ = writeln!(out, "    {}: {}", change.location.summary(), change.message);
        let mut line = format!("    {} → {}", short(&change.old), short(&change.new));
        if !change.consumers.is_empty() {
            let _ = write!(line, "   consumers: {}", change.consumers.join(", "));
        }
        let _ = writeln!(out, "{line}");
        if let Some(usage) = usage_line(change) {
            let _ = writeln!(out, "    {usage}");
        }
        let _ = writeln!(out, "    at {}", source(change));
        if let Some(w) = &change.waiver {
            let state = if w.expired {
                "WAIVER EXPIRED"
            } else {
                "waived"
            };
            let _ = writeln!(
                out,
                "    {state} until {} by {}: {}",
                w.expires, w.owner, w.reason
            );
        }
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "\nwarning: {warning}");
    }
    let verdict = if report.failed { "FAIL" } else { "ok" };
    let _ = writeln!(
        out,
        "\n{verdict}: {} (fail on {})",
        report.headline(),
        report.fail_on
    );
    out
}
