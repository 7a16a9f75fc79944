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

mod credentials;

/// The project file's name, looked up in the current folder and each folder above it.
pub(crate) const CONFIG_FILE: &str = "interlock.toml";

/// The commented default, used when a project has no `interlock.toml`.
pub(crate) const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

/// The validated project configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (`<embedded default>` when none).
    pub file: PathBuf,
    /// The folder the paths in the file are relative to: the folder holding the project file,
    /// else the folder the embedded default was rooted at. Spelled as found, relative to the
    /// current folder (`""` for the current folder itself, `../..` from two levels down), so
    /// the paths joined to it are the ones a user recognises; see [`Config::project_root`].
    pub root: PathBuf,
    pub contracts: Vec<PathBuf>,
    pub scenarios: PathBuf,
    pub default_profile: String,
    pub profiles: BTreeMap<String, Profile>,
    pub timeout: Duration,
    pub jobs: usize,
    pub retries: u32,
    /// `[run] allow_commands`: scenarios may run commands in `setup:` / `teardown:`.
    pub allow_commands: bool,
    /// Settings of `interlock diff` (severity overrides, content-model policy).
    pub diff: crate::diff::DiffConfig,
    /// Redaction rules of the recorder, the importers and `interlock redact`.
    pub redact: crate::redact::RedactConfig,
    /// The cap on a document read whole, in bytes (`[limits] max_document_mib`).
    pub max_document_bytes: u64,
    /// `[report] max_bodies_per_cause`: failing exchanges per cause whose recorded and live
    /// bodies a run keeps for its reports.
    pub max_bodies_per_cause: usize,
}

/// One environment: a URL per target name, and a URL per database (`[profiles.X.databases.NAME]`,
/// named after the system that owns it, for `interlock db`).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub targets: BTreeMap<String, String>,
    pub databases: BTreeMap<String, String>,
    /// `[profiles.X.headers.TARGET]` and `[profiles.X.query.TARGET]` as written; filled in by
    /// [`Config::credentials`], for `run` only.
    raw_headers: credentials::RawCredentials,
    raw_query: credentials::RawCredentials,
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
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    report: RawReport,
}

/// Failing exchanges per cause whose bodies a run keeps when `[report] max_bodies_per_cause`
/// is not set: as many as a cause lists.
pub const DEFAULT_MAX_BODIES_PER_CAUSE: usize = crate::model::cause::LISTED;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    max_bodies_per_cause: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_document_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    timeout_secs: Option<f64>,
    jobs: Option<usize>,
    retries: Option<u32>,
    allow_commands: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    targets: BTreeMap<String, String>,
    #[serde(default)]
    databases: BTreeMap<String, RawDatabase>,
    #[serde(default)]
    headers: credentials::RawCredentials,
    #[serde(default)]
    query: credentials::RawCredentials,
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
                let text = crate::fsutil::read_document(path, "configuration")?;
                let root = path.parent().unwrap_or(Path::new(""));
                Self::parse(path, &text, root)
            }
            None => Self::parse(Path::new("<embedded default config>"), DEFAULT_CONFIG, root),
        }
    }

    /// The project file, like cargo and git find theirs: `explicit` (`--config`) when given,
    /// else `interlock.toml` in `start` or the nearest folder above it holding one, else the
    /// embedded default rooted at `start`. Every command loads its configuration here.
    ///
    /// The project's read policy then applies to the whole process: `$ref`s stay inside the
    /// project root, documents read whole are capped.
    pub(crate) fn discover(explicit: Option<&Path>, start: &Path) -> Result<Config, Error> {
        let config = Self::find(explicit, start)?;
        crate::fsutil::set_max_document_bytes(config.max_document_bytes);
        crate::json::set_project_root(config.project_root());
        Ok(config)
    }

    /// [`Config::discover`] without applying the read policy.
    fn find(explicit: Option<&Path>, start: &Path) -> Result<Config, Error> {
        match explicit {
            Some(path) => Self::load(Some(path), start),
            None => match find_project_file(start) {
                Some(file) => Self::load(Some(&file), start),
                None => Self::load(None, start),
            },
        }
    }

    /// The project root: the folder holding the project file, else the folder paths are
    /// relative to (the current one). `$ref`s resolve only inside it. Computed here alone, so
    /// it follows wherever the project file is found.
    pub fn project_root(&self) -> PathBuf {
        let folder = if self.file.is_file() {
            self.file.parent().unwrap_or(Path::new(""))
        } else {
            self.root.as_path()
        };
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf())
    }

    /// Parses configuration text (target URLs are interpolated later, per chosen profile).
    pub fn parse(file: &Path, text: &str, root: &Path) -> Result<Config, Error> {
        let raw: RawConfig = toml::from_str(text).map_err(|err| toml_error(file, text, &err))?;
        let mut errors = Vec::new();
        let profiles: BTreeMap<String, Profile> = raw
            .profiles
            .into_iter()
            .map(|(name, p)| {
                let databases = p.databases.into_iter().map(|(n, d)| (n, d.url)).collect();
                (
                    name,
                    Profile {
                        targets: p.targets,
                        databases,
                        raw_headers: p.headers,
                        raw_query: p.query,
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
        check_profiles(file, &raw.default_profile, &profiles, &mut errors);
        if let Err(mut errs) = crate::redact::rules::Rules::new(&raw.redact, file) {
            errors.append(&mut errs);
        }
        let max_document_bytes = max_document_bytes(file, raw.limits.max_document_mib, &mut errors);
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
            allow_commands: raw.run.allow_commands.unwrap_or(false),
            diff: raw.diff,
            redact: raw.redact,
            max_document_bytes,
            max_bodies_per_cause: raw
                .report
                .max_bodies_per_cause
                .unwrap_or(DEFAULT_MAX_BODIES_PER_CAUSE),
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
                        Ok(url) => match check_target_url(&url) {
                            Ok(()) => {
                                targets.insert(target.clone(), url);
                            }
                            Err(message) => errors.push(InputError::at_pointer(
                                &self.file,
                                format!("/profiles/{name}/targets/{target}"),
                                message,
                            )),
                        },
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
                    Ok(Profile {
                        targets,
                        databases,
                        ..Profile::default()
                    })
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

/// The default profile exists, and every target URL without a `${VAR}` is an http(s) URL.
fn check_profiles(
    file: &Path,
    default_profile: &str,
    profiles: &BTreeMap<String, Profile>,
    errors: &mut Vec<InputError>,
) {
    if default_profile != "local" && !profiles.contains_key(default_profile) {
        errors.push(
            InputError::at_pointer(
                file,
                "/default_profile",
                format!("no profile named `{}`", default_profile),
            )
            .with_hint_opt(did_you_mean(
                default_profile,
                profiles.keys().map(String::as_str),
            ))
            .with_hint_opt(
                profiles.is_empty().then(|| {
                    "declare it under [profiles.NAME.targets], or use `local`".to_string()
                }),
            ),
        );
    }
    for (name, profile) in profiles {
        credentials::check_names(file, name, &profile.raw_headers, errors);
        for (target, url) in &profile.targets {
            // A `${VAR}` is checked once it is filled in, when the profile is chosen.
            if !url.contains("${")
                && let Err(message) = check_target_url(url)
            {
                errors.push(InputError::at_pointer(
                    file,
                    format!("/profiles/{name}/targets/{target}"),
                    message,
                ));
            }
        }
    }
}

/// `[limits] max_document_mib` in bytes, at least 1 MiB.
fn max_document_bytes(file: &Path, mib: Option<u64>, errors: &mut Vec<InputError>) -> u64 {
    match mib {
        Some(0) => {
            errors.push(InputError::at_pointer(
                file,
                "/limits/max_document_mib",
                "max_document_mib must be at least 1",
            ));
            crate::fsutil::DEFAULT_MAX_DOCUMENT_BYTES
        }
        Some(mib) => mib.saturating_mul(1024 * 1024),
        None => crate::fsutil::DEFAULT_MAX_DOCUMENT_BYTES,
    }
}

/// `start/interlock.toml`, else `start/../interlock.toml`, and so on up to the file system
/// root. A relative `start` gives relative answers (`../../interlock.toml`), so messages keep
/// naming paths from the current folder.
pub(crate) fn find_project_file(start: &Path) -> Option<PathBuf> {
    let levels = match std::env::current_dir() {
        Ok(cwd) => cwd.join(start).ancestors().count(),
        // The current folder is gone: only `start` itself can be looked at.
        Err(_) => 1,
    };
    let mut dir = start.to_path_buf();
    for _ in 0..levels.max(1) {
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = if dir.is_absolute() {
            dir.parent()?.to_path_buf()
        } else {
            dir.join("..")
        };
    }
    None
}

/// A target's base URL must be an absolute `http` or `https` URL with a host.
fn check_target_url(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        Ok(parsed) => Err(format!(
            "target URL `{url}` is not an http(s) URL with a host (scheme `{}`)",
            parsed.scheme()
        )),
        Err(err) => Err(format!("target URL `{url}` is not a URL: {err}")),
    }
    .map_err(|m| format!("{m}; e.g. https://crm.staging.example.com"))
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
    fn the_project_file_is_found_in_a_parent_folder() {
        let project = tempfile::tempdir().expect("temporary folder");
        let nested = project.path().join("scenarios/customer-onboarding");
        std::fs::create_dir_all(&nested).expect("folders");
        std::fs::write(
            project.path().join(CONFIG_FILE),
            "scenarios = \"scenarios\"\n",
        )
        .expect("project file");
        assert_eq!(
            find_project_file(&nested).as_deref(),
            Some(project.path().join(CONFIG_FILE).as_path())
        );
        let config = Config::find(None, &nested).expect("config");
        assert_eq!(
            config.project_root(),
            std::fs::canonicalize(project.path()).expect("canonical")
        );
        assert_eq!(config.scenarios, project.path().join("scenarios"));
    }

    #[test]
    fn the_embedded_default_is_rooted_in_the_current_folder() {
        let config = Config::load(None, Path::new("")).expect("config");
        assert_eq!(
            config.project_root(),
            std::fs::canonicalize(".").expect("the current folder")
        );
        assert_eq!(config.scenarios, Path::new("scenarios"));
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
