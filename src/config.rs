//! The project file, `interlock.toml`: where contracts and scenarios live, run settings, and
//! per-environment targets with `${ENV_VAR}` secrets.
//!
//! Without a project file the embedded default below applies: contracts in `contracts/`,
//! scenarios in `scenarios/`, and no target URLs, so every target is served from its own
//! recording. The format is specified in `docs/config.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, InputError, Position, did_you_mean};

/// The project file's name, looked up in the current directory.
pub(crate) const CONFIG_FILE: &str = "interlock.toml";

/// The commented default, used when a project has no `interlock.toml`.
pub(crate) const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

/// The validated project configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (`<embedded default>` when none).
    pub file: PathBuf,
    /// Directory paths are relative to (the config file's folder).
    pub root: PathBuf,
    pub contracts: Vec<PathBuf>,
    pub scenarios: PathBuf,
    pub default_profile: String,
    pub profiles: BTreeMap<String, Profile>,
    pub timeout: Duration,
    pub jobs: usize,
    pub retries: u32,
    /// Settings of `interlock diff` (severity overrides, content-model policy).
    pub diff: crate::diff::DiffConfig,
    /// Redaction rules of the recorder, the importers and `interlock redact`.
    pub redact: crate::redact::RedactConfig,
}

/// One environment: a URL per target name, and a URL per database (`[profiles.X.databases.NAME]`,
/// named after the system that owns it, for `interlock db`).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub targets: BTreeMap<String, String>,
    pub databases: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_contracts")]
    contracts: Vec<String>,
    #[serde(default = "default_scenarios")]
    scenarios: String,
    #[serde(default = "default_profile")]
    default_profile: String,
    #[serde(default)]
    run: RawRun,
    #[serde(default)]
    profiles: BTreeMap<String, RawProfile>,
    #[serde(default)]
    diff: crate::diff::DiffConfig,
    #[serde(default)]
    redact: crate::redact::RedactConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    timeout_secs: Option<f64>,
    jobs: Option<usize>,
    retries: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    targets: BTreeMap<String, String>,
    #[serde(default)]
    databases: BTreeMap<String, RawDatabase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    /// `postgres://…` or `sqlite://PATH`; a password only through `${VAR}`.
    url: String,
}

fn default_contracts() -> Vec<String> {
    vec!["contracts".to_string()]
}
fn default_scenarios() -> String {
    "scenarios".to_string()
}
fn default_profile() -> String {
    "local".to_string()
}

impl Config {
    /// Loads `path`, or the embedded default rooted at `root` when `path` is `None`.
    pub fn load(path: Option<&Path>, root: &Path) -> Result<Config, Error> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|err| {
                    InputError::in_file(path, format!("cannot read configuration: {err}"))
                })?;
                let root = path.parent().unwrap_or(Path::new(""));
                Self::parse(path, &text, root)
            }
            None => Self::parse(Path::new("<embedded default config>"), DEFAULT_CONFIG, root),
        }
    }

    /// Finds `interlock.toml` in `root`, or uses the embedded default.
    pub(crate) fn discover(explicit: Option<&Path>, root: &Path) -> Result<Config, Error> {
        if let Some(path) = explicit {
            return Self::load(Some(path), root);
        }
        let candidate = root.join(CONFIG_FILE);
        if candidate.is_file() {
            Self::load(Some(&candidate), root)
        } else {
            Self::load(None, root)
        }
    }

    /// Parses configuration text (target URLs are interpolated later, per chosen profile).
    pub fn parse(file: &Path, text: &str, root: &Path) -> Result<Config, Error> {
        let raw: RawConfig = toml::from_str(text).map_err(|err| toml_error(file, text, &err))?;
        let mut errors = Vec::new();
        let profiles = raw
            .profiles
            .into_iter()
            .map(|(name, p)| {
                let databases = p.databases.into_iter().map(|(n, d)| (n, d.url)).collect();
                (
                    name,
                    Profile {
                        targets: p.targets,
                        databases,
                    },
                )
            })
            .collect();
        let timeout = raw.run.timeout_secs.unwrap_or(10.0);
        if !(timeout > 0.0 && timeout <= 3600.0) {
            errors.push(InputError::at_pointer(
                file,
                "/run/timeout_secs",
                format!("timeout {timeout} s is out of range (0 < t ≤ 3600)"),
            ));
        }
        if raw.run.jobs == Some(0) {
            errors.push(InputError::at_pointer(
                file,
                "/run/jobs",
                "jobs must be at least 1",
            ));
        }
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        Ok(Config {
            file: file.to_path_buf(),
            root: root.to_path_buf(),
            contracts: raw.contracts.iter().map(|c| root.join(c)).collect(),
            scenarios: root.join(raw.scenarios),
            default_profile: raw.default_profile,
            profiles,
            timeout: Duration::from_secs_f64(timeout.clamp(0.001, 3600.0)),
            jobs: raw
                .run
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
            retries: raw.run.retries.unwrap_or(0),
            diff: raw.diff,
            redact: raw.redact,
        })
    }

    /// The named profile with `${VAR}` references replaced from the environment, or an error
    /// with a did-you-mean. `local` always exists. Only the chosen profile is interpolated, so
    /// an unset staging secret does not stop a local run.
    pub(crate) fn profile(&self, name: &str) -> Result<Profile, Error> {
        self.profile_with_env(name, &|var| std::env::var(var).ok())
    }

    pub(crate) fn profile_with_env(
        &self,
        name: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Profile, Error> {
        match self.profiles.get(name) {
            Some(p) => {
                let mut errors = Vec::new();
                let mut targets = BTreeMap::new();
                for (target, value) in &p.targets {
                    match interpolate(value, env) {
                        Ok(url) => {
                            targets.insert(target.clone(), url);
                        }
                        Err(var) => errors.push(
                            InputError::at_pointer(
                                &self.file,
                                format!("/profiles/{name}/targets/{target}"),
                                format!("target `{target}` of profile `{name}` uses ${{{var}}}, which is not set"),
                            )
                            .with_hint(format!("export {var}=…, or write ${{{var}:-default}} for a fallback")),
                        ),
                    }
                }
                let mut databases = BTreeMap::new();
                for (database, value) in &p.databases {
                    match interpolate(value, env) {
                        Ok(url) => {
                            databases.insert(database.clone(), url);
                        }
                        Err(var) => errors.push(
                            InputError::at_pointer(
                                &self.file,
                                format!("/profiles/{name}/databases/{database}/url"),
                                format!("database `{database}` of profile `{name}` uses ${{{var}}}, which is not set"),
                            )
                            .with_hint(format!("export {var}=…")),
                        ),
                    }
                }
                if errors.is_empty() {
                    Ok(Profile { targets, databases })
                } else {
                    Err(Error::Input(errors))
                }
            }
            None if name == "local" => Ok(Profile::default()),
            None => Err(InputError::usage(format!(
                "no profile named `{name}` in {}",
                self.file.display()
            ))
            .with_hint_opt(did_you_mean(name, self.profiles.keys().map(String::as_str)))
            .into()),
        }
    }
}

/// Replaces `${VAR}` and `${VAR:-fallback}`; returns the name of the first unset variable.
pub(crate) fn interpolate(
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let expr = &after[..end];
        let (name, fallback) = match expr.split_once(":-") {
            Some((n, f)) => (n, Some(f)),
            None => (expr, None),
        };
        match (env(name).filter(|v| !v.is_empty()), fallback) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(f)) => out.push_str(f),
            (None, None) => return Err(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn toml_error(file: &Path, text: &str, err: &toml::de::Error) -> Error {
    let message = err.message().to_string();
    let hint = crate::contract::unknown_field_hint(&message);
    let position = match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before
                .rfind('\n')
                .map_or(before.len(), |i| before.len() - i - 1)
                + 1;
            Position::LineColumn { line, column }
        }
        None => Position::File,
    };
    InputError::new(file, position, format!("invalid configuration: {message}"))
        .with_hint_opt(hint)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_with_fallback_and_missing() {
        let env = |n: &str| (n == "CRM_URL").then(|| "https://crm.staging".to_string());
        assert_eq!(
            interpolate("${CRM_URL}/api", &env).unwrap(),
            "https://crm.staging/api"
        );
        assert_eq!(
            interpolate("${NOPE:-http://localhost:8080}", &env).unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(interpolate("${NOPE}", &env).unwrap_err(), "NOPE");
    }

    #[test]
    fn only_the_chosen_profile_is_interpolated() {
        let text = "[profiles.staging.targets]\ncrm = \"${CRM_STAGING_URL}\"\n";
        let c = Config::parse(Path::new("i.toml"), text, Path::new(".")).unwrap();
        assert!(c.profile_with_env("local", &|_| None).is_ok());
        let Error::Input(errs) = c.profile_with_env("staging", &|_| None).unwrap_err() else {
            panic!()
        };
        assert!(
            errs[0].message.contains("${CRM_STAGING_URL}"),
            "{}",
            errs[0].message
        );
        assert_eq!(
            errs[0].position,
            Position::Pointer("/profiles/staging/targets/crm".into())
        );
    }

    #[test]
    fn embedded_default_parses() {
        let c = Config::load(None, Path::new(".")).unwrap();
        assert_eq!(c.default_profile, "local");
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert!(c.profile("local").unwrap().targets.is_empty());
    }

    #[test]
    fn unknown_key_has_position_and_hint() {
        let err =
            Config::parse(Path::new("i.toml"), "scenario = \"x\"\n", Path::new(".")).unwrap_err();
        let Error::Input(errs) = err else { panic!() };
        assert_eq!(
            errs[0].position,
            Position::LineColumn { line: 1, column: 1 }
        );
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `scenarios`?"));
    }
}
