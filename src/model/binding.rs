//! A binding: a value the target generated when the traffic was recorded, and the value it
//! generated this time, substituted in later requests instead.

use serde::{Deserialize, Serialize};

/// `C-10023 → C-20555, from exchange #1 /id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The value in the recordings.
    pub recorded: String,
    /// The value the target produced in this run.
    pub live: String,
    /// Where the live value was read: `exchange #1 /id`, `erp request #1 /crm_customer_id
    /// (exchange #1)`.
    pub from: String,
    /// The name of the scenario's `capture:` entry, for an explicit capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
}

impl Binding {
    /// Whether the target produced another value than the recorded one.
    pub fn changed(&self) -> bool {
        self.recorded != self.live
    }
}

impl std::fmt::Display for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} → {}, from {}", self.recorded, self.live, self.from)?;
        if let Some(name) = &self.capture {
            write!(f, " (capture `{name}`)")?;
        }
        Ok(())
    }
}
