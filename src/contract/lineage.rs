//! Field lineage: which values the target received or answered with flow, unchanged or through
//! a simple transform, into the requests it sends its peers — `crm.customer.create request
//! /credit_limit → erp.customer-sync /credit_limit (identity, held in 3 of 3)`.
//!
//! `interlock lineage` learns the mappings from a project's recordings into
//! `contracts/lineage.yaml`, a reviewed file of its own; `interlock run` reports a mapping that
//! held in every recording and no longer holds live as `lineage-broken`, even when the peer
//! accepts the request by its contract. Values are matched with the value-linking rules of
//! request chaining (see [`crate::check::lineage`]). The format is in `docs/lineage.md`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::json::escape_pointer_token;

/// The file name of the learned lineage, in a contracts folder.
pub const LINEAGE_FILE: &str = "lineage.yaml";

/// The format version written in `interlock_lineage`.
pub const LINEAGE_VERSION: u32 = 1;

/// The learned mappings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lineage {
    /// The format version (1).
    pub interlock_lineage: u32,
    /// How many calls to each peer operation the recordings hold per target interface: what
    /// the mappings' counts are out of, and which consumers the evidence covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<Calls>,
    /// The fields of each target interface whose recorded values could be followed (linkable
    /// values, in exchanges that called a peer): one of them without a mapping was never
    /// passed on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compared: Vec<Compared>,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
}

/// The followed fields of one target interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compared {
    pub interface: String,
    /// JSON pointers into the request body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request: Vec<String>,
    /// JSON pointers into the response body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<String>,
}

impl Compared {
    /// The pointers of one side.
    pub fn side(&self, side: Side) -> &[String] {
        match side {
            Side::Request => &self.request,
            Side::Response => &self.response,
        }
    }
}

/// The recorded calls one target interface's exchanges made to one peer operation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calls {
    /// The target's interface.
    pub from: String,
    pub peer: String,
    /// The peer operation's interface.
    pub interface: String,
    pub count: u64,
}

/// One value flowing from the target's traffic into a peer request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub from: Source,
    pub to: Destination,
    pub transform: Transform,
    /// In how many recorded exchanges the mapping held …
    pub held: u64,
    /// … of how many where both fields were present.
    pub seen: u64,
}

impl Mapping {
    /// Whether the mapping held every time both fields were recorded: only those are checked.
    pub fn always_held(&self) -> bool {
        self.held > 0 && self.held == self.seen
    }

    /// `crm.customer.create request /credit_limit → erp.customer-sync /credit_limit`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} {} → {} {}",
            self.from.interface,
            self.from.message.name(),
            self.from.pointer,
            self.to.interface,
            self.to.pointer
        )
    }
}

/// Where a value comes from: a field of the target's request or response body.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The target's interface (its contract's id).
    pub interface: String,
    pub message: Side,
    /// JSON pointer into the body.
    pub pointer: String,
}

/// Where it goes: a field of a request the target sends a peer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub peer: String,
    /// The peer operation's interface.
    pub interface: String,
    /// JSON pointer into the request body.
    pub pointer: String,
}

/// Which message of the target's exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// What the target received.
    Request,
    /// What the target answered.
    Response,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

/// How the value is carried over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transform {
    /// The same JSON value.
    Identity,
    /// An integer sent on as a string (`800000` → `"800000"`).
    NumberToString,
    /// A string of digits sent on as an integer.
    StringToNumber,
    /// The same text in another letter case.
    Case,
}

impl Transform {
    pub fn name(self) -> &'static str {
        match self {
            Transform::Identity => "identity",
            Transform::NumberToString => "number-to-string",
            Transform::StringToNumber => "string-to-number",
            Transform::Case => "case",
        }
    }
}

impl Lineage {
    pub fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }

    /// The checked mappings whose source is `interface`.
    pub fn from_interface<'a>(&'a self, interface: &'a str) -> impl Iterator<Item = &'a Mapping> {
        self.mappings
            .iter()
            .filter(move |m| m.from.interface == interface && m.always_held())
    }

    /// The file as YAML, under a comment saying where it came from.
    pub fn to_yaml(&self, header: &str) -> Result<String, serde_yaml_ng::Error> {
        super::learned::to_yaml(header, self)
    }
}

impl super::learned::Learned for Lineage {
    const VERSION_KEY: &'static str = "interlock_lineage";
    const VERSION: u32 = LINEAGE_VERSION;
    const COMMAND: &'static str = "interlock lineage";

    fn version(&self) -> u32 {
        self.interlock_lineage
    }

    /// Every pointer must be a JSON pointer.
    fn problems(&self, file: &Path) -> Vec<InputError> {
        let mut errors = Vec::new();
        for (i, m) in self.mappings.iter().enumerate() {
            for (field, pointer) in [("from", &m.from.pointer), ("to", &m.to.pointer)] {
                if !pointer.starts_with('/') {
                    errors.push(
                        InputError::at_pointer(
                            file,
                            format!("/mappings/{i}/{field}/pointer"),
                            format!("`{pointer}` is not a JSON pointer"),
                        )
                        .with_hint(format!(
                            "a pointer starts with `/`, e.g. `/{}`",
                            escape_pointer_token(pointer)
                        )),
                    );
                }
            }
        }
        errors
    }

    fn interfaces(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (i, c) in self.compared.iter().enumerate() {
            out.push((format!("/compared/{i}/interface"), c.interface.as_str()));
        }
        for (i, c) in self.calls.iter().enumerate() {
            out.push((format!("/calls/{i}/from"), c.from.as_str()));
            out.push((format!("/calls/{i}/interface"), c.interface.as_str()));
        }
        for (i, m) in self.mappings.iter().enumerate() {
            out.push((
                format!("/mappings/{i}/from/interface"),
                m.from.interface.as_str(),
            ));
            out.push((
                format!("/mappings/{i}/to/interface"),
                m.to.interface.as_str(),
            ));
        }
        out
    }
}

/// The mapping of the bundled onboarding: the credit limit the CRM is given goes to the ERP.
#[cfg(test)]
pub(crate) fn credit_limit_mapping(held: u64, seen: u64) -> Mapping {
    Mapping {
        from: Source {
            interface: "crm.customer.create".into(),
            message: Side::Request,
            pointer: "/credit_limit".into(),
        },
        to: Destination {
            peer: "erp".into(),
            interface: "erp.customer-sync".into(),
            pointer: "/credit_limit".into(),
        },
        transform: Transform::Identity,
        held,
        seen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mappings_that_always_held_are_checked() {
        let lineage = Lineage {
            interlock_lineage: 1,
            calls: Vec::new(),
            compared: Vec::new(),
            mappings: vec![credit_limit_mapping(3, 3), credit_limit_mapping(2, 3)],
        };
        assert_eq!(lineage.from_interface("crm.customer.create").count(), 1);
        assert_eq!(
            credit_limit_mapping(3, 3).describe(),
            "crm.customer.create request /credit_limit → erp.customer-sync /credit_limit"
        );
    }
}
