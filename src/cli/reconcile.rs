//! `interlock reconcile`: do two systems agree on the same records?

use clap::Args;

use super::OutputArgs;

/// Arguments of `interlock reconcile`.
#[derive(Debug, Args, Clone, Default)]
pub struct ReconcileArgs {
    /// Reconciliations to run (file names under `reconcile/` without `.yaml`, or paths to
    /// files); all when none given.
    pub names: Vec<String>,

    /// Profile of the project file whose targets and databases the sources read.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Seconds for each request, connection and query (default: the project's run.timeout_secs).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Mismatching keys shown per field (and missing or duplicate keys per side).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub examples: usize,

    #[command(flatten)]
    pub output: OutputArgs,
}
