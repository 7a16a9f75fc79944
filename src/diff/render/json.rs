//! `--format json`: the [`DiffReport`] as one JSON object with a `changes` array, versioned by
//! its first key, `"interlock_diff_report": 1` (schema: `docs/schema/diff-report.schema.json`).
//!
//! ```json
//! {"interlock_diff_report": 1, "compared": "old → new", "changes": [{"kind": "response-required-property-removed",
//!   "severity": "breaking", "breaking": true, "interface": "erp.customer-sync",
//!   "operation": "GET /customers/{id}", "location": {"message": "response", "status": "200",
//!   "part": "body", "media_type": "application/json", "field": "tax_id",
//!   "file": "contracts/customer.contract.json", "path": "/responses/200/body/properties/tax_id"},
//!   "old": "tax_id", "new": null, "consumers": ["crm"], "message": "required property `tax_id` removed"}],
//!  "summary": {"breaking": 1, "potentially-breaking": 0, "safe": 0, "waived": 0},
//!  "fail_on": "breaking", "failed": true, "warnings": []}
//! ```

use serde::Serialize;

use super::super::change::DiffReport;
use crate::error::Error;

/// The version of the document, bumped on any incompatible change.
pub(crate) const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Versioned<'a> {
    interlock_diff_report: u32,
    #[serde(flatten)]
    report: &'a DiffReport,
}

pub(crate) fn render(report: &DiffReport) -> Result<String, Error> {
    let versioned = Versioned {
        interlock_diff_report: FORMAT_VERSION,
        report,
    };
    let mut text = serde_json::to_string_pretty(&versioned)
        .map_err(|err| Error::environment(format!("cannot serialise the report: {err}")))?;
    text.push('\n');
    Ok(text)
}
