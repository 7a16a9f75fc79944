//! `--format json`: the [`DiffReport`] as one JSON object with a `changes` array.
//!
//! ```json
//! {"compared": "old → new", "changes": [{"kind": "response-required-property-removed",
//!   "severity": "breaking", "breaking": true, "interface": "erp.customer-sync",
//!   "operation": "GET /customers/{id}", "location": {"message": "response", "status": "200",
//!   "part": "body", "media_type": "application/json", "field": "tax_id",
//!   "file": "contracts/customer.contract.json", "path": "/responses/200/body/properties/tax_id"},
//!   "old": "tax_id", "new": null, "consumers": ["crm"], "message": "required property `tax_id` removed"}],
//!  "summary": {"breaking": 1, "potentially-breaking": 0, "safe": 0, "waived": 0},
//!  "fail_on": "breaking", "failed": true, "warnings": []}
//! ```

use super::super::change::DiffReport;
use crate::error::Error;

pub(crate) fn render(report: &DiffReport) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(report)
        .map_err(|err| Error::environment(format!("cannot serialise the report: {err}")))?;
    text.push('\n');
    Ok(text)
}
