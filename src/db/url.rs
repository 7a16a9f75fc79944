//! Database URLs: `postgres://user@host:port/db` and `sqlite://PATH`, parsed once, with the
//! password masked whenever the URL is shown.

use std::path::PathBuf;

use crate::error::{Error, InputError, did_you_mean};

/// Where a database is.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A PostgreSQL server; the URL as given (passed to the driver), and its masked form.
    Postgres { url: String, shown: String },
    /// A SQLite database file.
    Sqlite { path: PathBuf },
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbUrl({})", self.shown())
    }
}

const SCHEMES: &[&str] = &["postgres", "postgresql", "sqlite"];

impl DbUrl {
    /// Parses a URL. `origin` names where it came from in error messages (`--url`, or the
    /// profile entry); the URL itself is only ever shown masked.
    pub fn parse(text: &str, origin: &str) -> Result<DbUrl, Error> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(InputError::usage(format!(
                "{origin}: `{}` is not a database URL",
                mask(text)
            ))
            .with_hint("write postgres://USER@HOST:PORT/DB or sqlite://PATH")
            .into());
        };
        match scheme {
            "sqlite" => {
                let path = rest.split(['?', '#']).next().unwrap_or(rest);
                if path.is_empty() {
                    return Err(
                        InputError::usage(format!("{origin}: `{text}` names no file"))
                            .with_hint(
                                "write sqlite://db/crm.sqlite (relative) or sqlite:///abs/path",
                            )
                            .into(),
                    );
                }
                Ok(DbUrl::Sqlite {
                    path: PathBuf::from(path),
                })
            }
            "postgres" | "postgresql" => {
                let parsed = url::Url::parse(text).map_err(|err| {
                    InputError::usage(format!(
                        "{origin}: `{}` is not a valid URL: {err}",
                        mask(text)
                    ))
                })?;
                if parsed.path().trim_start_matches('/').is_empty() {
                    return Err(InputError::usage(format!(
                        "{origin}: `{}` names no database",
                        mask(text)
                    ))
                    .with_hint("write postgres://USER@HOST:PORT/DB")
                    .into());
                }
                Ok(DbUrl::Postgres {
                    url: text.to_owned(),
                    shown: mask(text),
                })
            }
            other => Err(InputError::usage(format!(
                "{origin}: unknown database scheme `{other}://`"
            ))
            .with_hint(
                did_you_mean(other, SCHEMES.iter().copied())
                    .unwrap_or_else(|| "use postgres:// or sqlite://".to_owned()),
            )
            .into()),
        }
    }

    /// Whether the URL carries a password.
    pub fn has_password(text: &str) -> bool {
        url::Url::parse(text).is_ok_and(|u| u.password().is_some())
    }

    /// The URL as messages and reports show it: the password replaced by `***`.
    pub fn shown(&self) -> String {
        match self {
            DbUrl::Postgres { shown, .. } => shown.clone(),
            DbUrl::Sqlite { path } => format!("sqlite://{}", path.display()),
        }
    }

    /// The schema introspected when none is named: `public` or `main`.
    pub fn default_schema(&self) -> &'static str {
        match self {
            DbUrl::Postgres { .. } => "public",
            DbUrl::Sqlite { .. } => "main",
        }
    }
}

/// Replaces the password of a URL (or anything after `user:` before `@`) with `***`.
pub fn mask(text: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(text)
        && parsed.password().is_some()
        && parsed.set_password(Some("***")).is_ok()
    {
        return parsed.to_string();
    }
    // Not a URL the parser takes: hide everything between `://user:` and `@`.
    if let Some((scheme, rest)) = text.split_once("://")
        && let Some((userinfo, host)) = rest.rsplit_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_mask() {
        let url = DbUrl::parse("postgres://crm:s3cret@db:5432/crm", "--url").expect("parses");
        assert_eq!(url.shown(), "postgres://crm:***@db:5432/crm");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(DbUrl::has_password("postgres://crm:s3cret@db/crm"));
        assert!(!DbUrl::has_password("postgres://crm@db/crm"));
        assert_eq!(
            DbUrl::parse("sqlite://db/crm.sqlite", "--url").expect("parses"),
            DbUrl::Sqlite {
                path: "db/crm.sqlite".into()
            }
        );
        let Error::Input(errs) = DbUrl::parse("postgress://db/x", "--url").unwrap_err() else {
            panic!("an input error")
        };
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `postgres`?"));
        assert_eq!(mask("pg://u:p w@h/x"), "pg://u:***@h/x");
    }
}
