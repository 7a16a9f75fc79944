//! Usage-weighted verdicts in a run: a finding on a field of the target's response carries what
//! the learned lineage (`contracts/lineage.yaml`) shows of the field's use — `used by:
//! erp.customer-sync (2 of 2 recorded calls)` or `no recorded use` — and names only the
//! consumers that evidence leaves (the provider, the consumers seen using the field, and those
//! without recordings).
//!
//! With `[diff] unused` set below `breaking`, a drift from the recording (a field removed, its
//! type, value, format or domain changed) on a field with no recorded use is reported as
//! information, not a failure. A schema violation never is: the contract still promises the
//! field, and `interlock diff` is where changing that promise is judged. See
//! `docs/lineage.md#usage-weighted-verdicts`.

use crate::contract::lineage::Side;
use crate::contract::{Contract, ContractSet};
use crate::model::{Finding, FindingKind, Location, Severity};

/// Attaches usage evidence to the findings of one exchange of `contract`'s interface.
pub(super) fn weigh(findings: &mut [Finding], contracts: &ContractSet, contract: &Contract) {
    let lineage = contracts.lineage();
    if lineage.is_empty() {
        return;
    }
    for finding in findings.iter_mut() {
        if finding.location != Location::Response || !finding.path.starts_with('/') {
            continue;
        }
        let Some(usage) = lineage.usage(
            &contract.interface,
            Side::Response,
            &finding.path,
            &contract.consumers,
        ) else {
            continue;
        };
        let mut affected = vec![contract.provider.clone()];
        affected.extend(usage.consumers(&contract.consumers));
        finding.affected = affected;
        if contracts.soften_unused()
            && usage.is_unused()
            && finding.is_failure()
            && is_drift(finding.kind)
        {
            finding.severity = Severity::Info;
            finding.softened = true;
        }
        finding.usage = Some(usage);
    }
}

/// A difference from the recording, as opposed to a broken contract.
fn is_drift(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::FieldRemoved
            | FindingKind::TypeChanged
            | FindingKind::ValueChanged
            | FindingKind::FormatDrift
            | FindingKind::DomainDrift
    )
}
