//! Sources: where a side's rows come from, each row handed on as a JSON value as soon as it is
//! read (a page at a time over HTTP, a row at a time from SQL), so no side is held whole.
//!
//! - an HTTP list endpoint on a profile target, paged by page number, offset, cursor or the
//!   `Link` header, at most `rate_limit` requests per second, every request with a timeout;
//! - the responses of one interface in a recording file;
//! - a SQL query on a profile database (PostgreSQL or SQLite, through the `db` drivers), each
//!   row an object of its columns.
//!
//! A source that cannot be read (unreachable, timed out, an error status, a page without its
//! items) is an environment error: exit 3.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::spec::{HttpSource, Paging, Side, Source};
use crate::db::DbUrl;
use crate::error::{Error, InputError, did_you_mean};

/// What the sources read from the chosen profile.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The profile's name, for messages.
    pub profile: String,
    /// The project file, for messages.
    pub config_file: std::path::PathBuf,
    pub targets: BTreeMap<String, String>,
    pub databases: BTreeMap<String, String>,
    /// Every network call and query gets this long.
    pub timeout: Duration,
    /// The profile's credentials per target (`[profiles.X.headers.TARGET]`, `.query.TARGET`).
    pub credentials: BTreeMap<String, crate::credentials::Credentials>,
}

/// The headers sent with every request of an HTTP source to `target`: the profile's headers
/// for that target (`[profiles.X.headers.TARGET]`).
pub fn profile_headers(env: &Environment, target: &str) -> Vec<(String, String)> {
    env.credentials
        .get(target)
        .map(|c| {
            c.headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The query parameters added to every request of an HTTP source to `target`: the profile's
/// parameters for that target (`[profiles.X.query.TARGET]`).
pub fn profile_query(env: &Environment, target: &str) -> Vec<(String, String)> {
    env.credentials
        .get(target)
        .map(|c| c.query.clone())
        .unwrap_or_default()
}

/// Checks, before anything is read, that the side's target or database exists in the profile.
pub fn resolve(side: &Side, file: &std::path::Path, env: &Environment) -> Result<(), Error> {
    let missing = |kind: &str, name: &str, names: &BTreeMap<String, String>, table: &str| {
        Error::from(
            InputError::at_pointer(
                file,
                format!("/sides/{}/{kind}", side.name),
                format!(
                    "the profile `{}` has no {table} `{name}` ({})",
                    env.profile,
                    env.config_file.display()
                ),
            )
            .with_hint(
                did_you_mean(name, names.keys().map(String::as_str)).unwrap_or_else(|| {
                    format!(
                        "set it in [profiles.{}.{table}s] of {}",
                        env.profile,
                        env.config_file.display()
                    )
                }),
            ),
        )
    };
    match &side.source {
        Source::Http(http) if !env.targets.contains_key(&http.target) => {
            Err(missing("http/target", &http.target, &env.targets, "target"))
        }
        Source::Sql { database, .. } => match env.databases.get(database) {
            None => Err(missing(
                "sql/database",
                database,
                &env.databases,
                "database",
            )),
            Some(url) => DbUrl::parse(
                url,
                &format!(
                    "{}: [profiles.{}.databases.{database}] url",
                    env.config_file.display(),
                    env.profile
                ),
            )
            .map(|_| ()),
        },
        _ => Ok(()),
    }
}

/// Reads every row of `side`, calling `each` with it in source order.
pub async fn read(
    side: &Side,
    env: &Environment,
    each: &mut (dyn FnMut(Value) -> Result<(), Error> + Send),
) -> Result<(), Error> {
    match &side.source {
        Source::Http(http) => read_http(http, env, each).await,
        Source::Recording {
            file,
            interface,
            items,
        } => {
            let recording = crate::recording::read(file).map_err(Error::Input)?;
            for exchange in recording.iter() {
                if interface
                    .as_deref()
                    .is_some_and(|i| exchange.interface.as_deref() != Some(i))
                    || !(200..300).contains(&exchange.response.status)
                {
                    continue;
                }
                let Some(body) = exchange.response.body.json() else {
                    continue;
                };
                let where_ = format!("{} ({})", file.display(), exchange.request.url);
                for row in page_items(body, items, &where_)? {
                    each(row)?;
                }
            }
            Ok(())
        }
        Source::Sql {
            database,
            query,
            file,
            at,
        } => {
            let url = env.databases.get(database).ok_or_else(|| {
                Error::environment(format!("no database `{database}` in the profile"))
            })?;
            let url = DbUrl::parse(url, database)?;
            read_sql(&url, query, env.timeout, each)
                .await
                .map_err(|err| match err {
                    // The database rejected the query: a bad reconciliation file, at the query.
                    Error::Input(errors) => Error::Input(
                        errors
                            .into_iter()
                            .map(|e| {
                                InputError::new(file, at.clone(), e.message).with_hint(format!(
                                    "fix the query of side `{}` ({})",
                                    side.name,
                                    url.shown()
                                ))
                            })
                            .collect(),
                    ),
                    other => other,
                })
        }
    }
}

fn page_items(body: &Value, items: &str, place: &str) -> Result<Vec<Value>, Error> {
    match body.pointer(items) {
        Some(Value::Array(rows)) => Ok(rows.clone()),
        Some(other) => Err(Error::environment(format!(
            "{place}: {} is {} where the rows' array was expected",
            crate::json::display_pointer(items),
            crate::json::with_article(crate::json::type_name(other))
        ))),
        None => Err(Error::environment(format!(
            "{place}: the response has no {} (the `items` pointer)",
            crate::json::display_pointer(items)
        ))),
    }
}

/// The most pages one HTTP source reads: a cursor or link that never ends is an error, not a
/// hang.
const MAX_PAGES: usize = 1_000_000;

async fn read_http(
    http: &HttpSource,
    env: &Environment,
    each: &mut (dyn FnMut(Value) -> Result<(), Error> + Send),
) -> Result<(), Error> {
    let base = env
        .targets
        .get(&http.target)
        .ok_or_else(|| Error::environment(format!("no URL for target `{}`", http.target)))?;
    let client = crate::replay::Replayer::client(env.timeout)?;
    let headers = profile_headers(env, &http.target);
    let mut fixed = http.query.clone();
    fixed.extend(profile_query(env, &http.target));
    let first_url = format!("{}{}", base.trim_end_matches('/'), http.path);
    let interval = http.rate_limit.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut last_request: Option<Instant> = None;

    let mut page: u64 = match &http.paging {
        Paging::Page { first, .. } => *first,
        _ => 0,
    };
    let mut offset: u64 = 0;
    let mut cursor: Option<String> = None;
    let mut next_link: Option<String> = None;
    let mut seen_cursors = std::collections::HashSet::new();

    for pages in 0.. {
        if pages >= MAX_PAGES {
            return Err(Error::environment(format!(
                "{first_url}: more than {MAX_PAGES} pages; the paging never ends"
            )));
        }
        let mut url = match &next_link {
            Some(link) => url::Url::parse(link),
            None => url::Url::parse(&first_url),
        }
        .map_err(|err| Error::environment(format!("{first_url}: not a valid URL: {err}")))?;
        if next_link.is_none() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &fixed {
                q.append_pair(k, v);
            }
            match &http.paging {
                Paging::Page {
                    param,
                    size_param,
                    size,
                    ..
                } => {
                    q.append_pair(param, &page.to_string());
                    if let (Some(name), Some(size)) = (size_param, size) {
                        q.append_pair(name, &size.to_string());
                    }
                }
                Paging::Offset {
                    param,
                    limit_param,
                    limit,
                } => {
                    q.append_pair(param, &offset.to_string());
                    q.append_pair(limit_param, &limit.to_string());
                }
                Paging::Cursor { param, .. } => {
                    if let Some(c) = &cursor {
                        q.append_pair(param, c);
                    }
                }
                Paging::None | Paging::Link => {}
            }
            drop(q);
            if url.query() == Some("") {
                url.set_query(None);
            }
        }
        if let (Some(interval), Some(last)) = (interval, last_request) {
            let wait = interval.saturating_sub(last.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        last_request = Some(Instant::now());
        // A query credential of the profile is never shown in a message.
        let shown = crate::redact::secrets::scrub(url.as_str());
        let method = reqwest::Method::from_bytes(http.method.as_bytes())
            .map_err(|_| Error::environment(format!("bad method {}", http.method)))?;
        let mut request = client.request(method, url);
        if let Some(body) = &http.body {
            request = request.json(body);
        }
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|err| {
            Error::environment(crate::replay::describe(&err, &shown, env.timeout))
        })?;
        let status = response.status();
        let link = response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_in_link);
        let bytes = response.bytes().await.map_err(|err| {
            Error::environment(crate::replay::describe(&err, &shown, env.timeout))
        })?;
        if !status.is_success() {
            return Err(Error::environment(format!(
                "{shown}: answered {status} while listing the rows of `{}`",
                http.target
            )));
        }
        let body: Value = serde_json::from_slice(&bytes).map_err(|err| {
            Error::environment(format!("{shown}: the response is not JSON: {err}"))
        })?;
        let rows = page_items(&body, &http.items, &shown)?;
        let count = rows.len() as u64;
        for row in rows {
            each(row)?;
        }
        match &http.paging {
            Paging::None => return Ok(()),
            Paging::Page { size, .. } => {
                if count == 0 || size.is_some_and(|s| count < s) {
                    return Ok(());
                }
                page += 1;
            }
            Paging::Offset { limit, .. } => {
                if count < *limit {
                    return Ok(());
                }
                offset += count;
            }
            Paging::Cursor { next, .. } => {
                let value = match body.pointer(next) {
                    None | Some(Value::Null) => return Ok(()),
                    Some(Value::String(s)) if s.is_empty() => return Ok(()),
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    Some(other) => {
                        return Err(Error::environment(format!(
                            "{shown}: the cursor at {next} is {}",
                            crate::json::with_article(crate::json::type_name(other))
                        )));
                    }
                };
                if !seen_cursors.insert(value.clone()) {
                    return Err(Error::environment(format!(
                        "{shown}: the cursor `{value}` came back again; the paging would never end"
                    )));
                }
                cursor = Some(value);
            }
            Paging::Link => match link {
                None => return Ok(()),
                Some(target) => {
                    let resolved = url::Url::parse(&shown)
                        .and_then(|u| u.join(&target))
                        .map_err(|err| {
                            Error::environment(format!("{shown}: bad `Link` next URL: {err}"))
                        })?;
                    next_link = Some(resolved.to_string());
                }
            },
        }
    }
    Ok(())
}

/// The `rel="next"` target of a `Link` header value.
fn next_in_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| target.to_owned())
    })
}

async fn read_sql(
    url: &DbUrl,
    query: &str,
    timeout: Duration,
    each: &mut (dyn FnMut(Value) -> Result<(), Error> + Send),
) -> Result<(), Error> {
    match url {
        DbUrl::Sqlite { path } => {
            let session = crate::db::sqlite::open(path, timeout)?;
            session.json_rows(query, each)
        }
        DbUrl::Postgres { url, shown } => {
            let session = crate::db::postgres::connect(url, shown, timeout).await?;
            session.json_rows(query, each).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::next_in_link;

    #[test]
    fn link_headers() {
        assert_eq!(
            next_in_link(r#"<https://x/c?page=2>; rel="next", <https://x/c?page=9>; rel="last""#)
                .as_deref(),
            Some("https://x/c?page=2")
        );
        assert_eq!(next_in_link(r#"<https://x/c?page=9>; rel="last""#), None);
    }
}
