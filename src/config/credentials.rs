//! The credentials of a profile: `[profiles.X.headers.TARGET]` and `[profiles.X.query.TARGET]`,
//! with `${VAR}` filled in for the chosen profile only:
//!
//! ```toml
//! [profiles.staging.headers.crm]
//! Authorization = "Bearer ${CRM_TOKEN}"
//! [profiles.staging.query.crm]
//! api_key = "${CRM_API_KEY}"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use crate::credentials::{Credentials, HeaderArg, is_header_name};
use crate::error::InputError;

/// `[profiles.P.headers.TARGET]` and `[profiles.P.query.TARGET]` as written: name → value,
/// `${VAR}` not yet filled in.
pub(super) type RawCredentials = BTreeMap<String, BTreeMap<String, String>>;

/// Checks the header names of every profile (before any is chosen): each must be a header
/// name, so a typo fails however the run is started.
pub(super) fn check_names(
    file: &Path,
    profile: &str,
    headers: &RawCredentials,
    errors: &mut Vec<InputError>,
) {
    for (target, names) in headers {
        for name in names.keys() {
            if !is_header_name(name) {
                errors.push(
                    InputError::at_pointer(
                        file,
                        format!("/profiles/{profile}/headers/{target}/{name}"),
                        format!("`{name}` is not a header name"),
                    )
                    .with_hint("e.g. Authorization = \"Bearer ${CRM_TOKEN}\""),
                );
            }
        }
    }
}

impl super::Config {
    /// The credentials of profile `name` per target, with `${VAR}` filled in from the
    /// environment; an unset variable is an error naming it and where it is used. Only the
    /// chosen profile is read, and only by commands that send requests to targets.
    pub(crate) fn credentials(
        &self,
        name: &str,
    ) -> Result<BTreeMap<String, Credentials>, crate::error::Error> {
        self.credentials_with_env(name, &|var| std::env::var(var).ok())
    }

    pub(crate) fn credentials_with_env(
        &self,
        name: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<BTreeMap<String, Credentials>, crate::error::Error> {
        let Some(profile) = self.profiles.get(name) else {
            return Ok(BTreeMap::new());
        };
        let mut errors = Vec::new();
        let out = interpolate(
            &self.file,
            name,
            &profile.raw_headers,
            &profile.raw_query,
            env,
            &mut errors,
        );
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(crate::error::Error::Input(errors))
        }
    }
}

/// A profile's credentials per target, with `${VAR}` filled in from `env`.
fn interpolate(
    file: &Path,
    profile: &str,
    headers: &RawCredentials,
    query: &RawCredentials,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<InputError>,
) -> BTreeMap<String, Credentials> {
    let mut out: BTreeMap<String, Credentials> = BTreeMap::new();
    for (section, raw) in [("headers", headers), ("query", query)] {
        for (target, values) in raw {
            for (name, value) in values {
                let pointer = format!("/profiles/{profile}/{section}/{target}/{name}");
                let value = match super::interpolate(value, env) {
                    Ok(value) => value,
                    Err(var) => {
                        errors.push(
                            InputError::at_pointer(
                                file,
                                pointer,
                                format!(
                                    "{} `{name}` for target `{target}` of profile `{profile}` uses ${{{var}}}, which is not set",
                                    if section == "headers" { "header" } else { "query parameter" }
                                ),
                            )
                            .with_hint(format!("export {var}=… before the run, or choose another profile")),
                        );
                        continue;
                    }
                };
                if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                    errors.push(InputError::at_pointer(
                        file,
                        pointer,
                        format!("the value of `{name}` holds a line break or NUL once filled in"),
                    ));
                    continue;
                }
                let entry = out.entry(target.clone()).or_default();
                if section == "headers" {
                    entry.headers.push(HeaderArg {
                        name: name.clone(),
                        value,
                    });
                } else {
                    entry.query.push((name.clone(), value));
                }
            }
        }
    }
    out
}
