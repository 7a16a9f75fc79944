//! Contract version comparison (in progress).

use serde::Deserialize;

/// The `[diff]` section of `interlock.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffConfig {}
