//! The result model every stage shares: findings and what happened to each exchange, scenario
//! and run. Checks produce it, the runner assembles it, reporters read it.

mod binding;
pub mod cause;
mod environment;
mod finding;
mod reconciliation;
mod result;
pub mod samples;

pub use binding::Binding;
pub use cause::{Cause, Rank};
pub use environment::{Diagnosis, DiagnosisKind, Environment, StepResult};
pub use finding::{Finding, FindingKind, Location, Severity};
pub use reconciliation::{
    Example, ReconciledField, ReconciledSide, Reconciliation, ThresholdCheck, percent,
};
pub use result::{
    Counts, ExchangeResult, Latency, Outcome, RunResult, ScenarioResult, ShardOf, Unlisted,
};
