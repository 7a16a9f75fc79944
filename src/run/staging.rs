//! What a run against a live staging adds to the plan: credentials from the command line and
//! the chosen profile, `--ignore` rules for every scenario, and the policy on setup commands.

use std::collections::BTreeMap;

use crate::credentials::{Credentials, HeaderArg};
use crate::error::{Error, InputError, Position};
use crate::scenario::{IgnoreRule, IgnoreRules, Scenario};

/// The profile a run uses: its name and its credentials per target.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChosenProfile {
    pub name: String,
    pub credentials: BTreeMap<String, Credentials>,
}

impl ChosenProfile {
    /// Ad-hoc mode reads no profile.
    pub(crate) fn ad_hoc() -> ChosenProfile {
        ChosenProfile {
            name: "ad-hoc".to_string(),
            credentials: BTreeMap::new(),
        }
    }
}

/// `--header` and `--ignore`, parsed and validated.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    headers: Credentials,
    ignore: Vec<IgnoreRule>,
}

impl Flags {
    /// Every malformed flag is reported, with an example of a right one.
    pub(crate) fn parse(headers: &[String], ignore: &[String]) -> Result<Flags, Error> {
        let mut errors = Vec::new();
        let mut flags = Flags::default();
        for spec in headers {
            match HeaderArg::parse("--header", spec) {
                Ok(header) => {
                    flags.headers =
                        std::mem::take(&mut flags.headers).overridden_by(&Credentials {
                            headers: vec![header],
                            query: Vec::new(),
                        });
                }
                Err(err) => errors.push(err),
            }
        }
        for spec in ignore {
            match parse_ignore(spec) {
                Ok(rule) => flags.ignore.push(rule),
                Err(err) => errors.push(err),
            }
        }
        if errors.is_empty() {
            Ok(flags)
        } else {
            Err(Error::Input(errors))
        }
    }

    /// Credentials per live target: the profile's, with the command line's headers on top.
    /// Every value is registered as a secret, so no output shows it.
    pub(crate) fn credentials_for(
        &self,
        targets: &BTreeMap<String, String>,
        profile: &BTreeMap<String, Credentials>,
    ) -> BTreeMap<String, Credentials> {
        let mut out = BTreeMap::new();
        for target in targets.keys() {
            let merged = profile
                .get(target)
                .cloned()
                .unwrap_or_default()
                .overridden_by(&self.headers);
            crate::redact::secrets::register(merged.secrets());
            if !merged.is_empty() {
                out.insert(target.clone(), merged);
            }
        }
        // Values for targets served from their recording are still never shown.
        for credentials in profile.values() {
            crate::redact::secrets::register(credentials.secrets());
        }
        crate::redact::secrets::register(self.headers.secrets());
        out
    }

    /// Adds the `--ignore` rules to every scenario's own.
    pub(crate) fn add_ignore_rules(&self, scenarios: &mut [Scenario]) {
        if self.ignore.is_empty() {
            return;
        }
        let extra = IgnoreRules::new(self.ignore.clone());
        for scenario in scenarios {
            scenario.ignore = scenario.ignore.with(&extra);
        }
    }
}

/// `--ignore POINTER`: a JSON pointer (`/a/b`, `*` for any one token, `~0` / `~1` escapes),
/// `""` for the whole body, or `header:NAME`.
fn parse_ignore(spec: &str) -> Result<IgnoreRule, InputError> {
    let example =
        "e.g. --ignore /updated_at, --ignore '/items/*/updated_at' or --ignore header:x-request-id";
    if !spec.starts_with("header:")
        && let Some(at) = spec.find('~')
        && !matches!(spec.as_bytes().get(at + 1), Some(b'0' | b'1'))
    {
        return Err(InputError::usage(format!(
            "--ignore `{spec}` is not a JSON pointer: `~` must be followed by 0 (for `~`) or 1 (for `/`)"
        ))
        .with_hint(example));
    }
    IgnoreRule::parse(spec)
        .map_err(|message| InputError::usage(format!("--ignore {message}")).with_hint(example))
}

/// Commands in `setup:` / `teardown:` run only when the project opts in: a scenario file in a
/// pull request must not run shell in CI by default.
pub(crate) fn check_commands_allowed(scenarios: &[Scenario], allowed: bool) -> Result<(), Error> {
    if allowed {
        return Ok(());
    }
    let mut errors = Vec::new();
    for scenario in scenarios {
        let text = std::fs::read_to_string(&scenario.file).unwrap_or_default();
        for (section, steps) in [("setup", &scenario.setup), ("teardown", &scenario.teardown)] {
            for step in steps.iter().filter(|s| s.is_command()) {
                let position = command_line_of(&text, step).map_or(Position::File, Position::Line);
                errors.push(
                    InputError::new(
                        &scenario.file,
                        position,
                        format!(
                            "{section} step `{}` runs a command, and commands are not allowed in this project",
                            step.name
                        ),
                    )
                    .with_hint(
                        "to let scenarios run commands, set `allow_commands = true` under [run] in interlock.toml, or pass --allow-commands",
                    ),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(errors))
    }
}

/// The 1-based line of a command step's `run:` key in the scenario's text.
fn command_line_of(text: &str, step: &crate::scenario::steps::Step) -> Option<usize> {
    let crate::scenario::steps::Action::Command { line } = &step.action else {
        return None;
    };
    let first = line.lines().next().unwrap_or("").trim();
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches("- ").trim_start();
            l.starts_with("run:") && l.contains(first)
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_flags_are_json_pointers() {
        assert!(parse_ignore("/items/*/updated_at").is_ok());
        assert!(parse_ignore("header:x-request-id").is_ok());
        let err = parse_ignore("updated_at").unwrap_err();
        assert!(err.message.contains("is not a JSON pointer"), "{err}");
        assert!(err.hint.unwrap().contains("--ignore /updated_at"));
        let tilde = parse_ignore("/a~2b").unwrap_err();
        assert!(tilde.message.contains("`~` must be followed"), "{tilde}");
    }

    #[test]
    fn a_header_flag_without_a_colon_is_refused_with_an_example() {
        let Err(Error::Input(errors)) = Flags::parse(&["Authorization Bearer x".into()], &[])
        else {
            panic!("accepted")
        };
        assert!(errors[0].message.contains("no colon"), "{}", errors[0]);
    }
}
