//! Replay: sends recorded requests to a live target with reqwest.
//!
//! Every request has a timeout (default 10 s, connection included), so a dead target is
//! reported, never waited on. Retries happen only when configured, and only for requests that
//! got no response at all (refused, timed out). A transport problem is returned as a
//! [`TransportError`]: the exchange could not be checked, which is different from a check
//! that failed.

use std::time::{Duration, Instant};

use crate::credentials::Credentials;
use crate::error::{Error, InputError};
use crate::recording::{self, Body, Headers, Response};
use crate::redact::secrets;

/// A live response: the same message a recording holds, and how long it took.
#[derive(Debug, Clone)]
pub struct LiveResponse {
    pub response: Response,
    pub duration: Duration,
}

/// Why an exchange could not be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransportError {
    pub message: String,
    pub duration: Duration,
}

/// Sends requests to one target base URL.
#[derive(Debug, Clone)]
pub(crate) struct Replayer {
    client: reqwest::Client,
    base: String,
    timeout: Duration,
    retries: u32,
    /// Headers and query parameters replacing the recorded ones (which hold `[redacted]`).
    credentials: Credentials,
}

/// Request headers never copied from a recording: the client sets them for the new connection.
const NOT_REPLAYED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "proxy-connection",
    "te",
    "trailer",
    "accept-encoding",
];

impl Replayer {
    /// An HTTP client trusting the system's certificate roots, for requests to any URL.
    pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, Error> {
        Self::builder(timeout).build().map_err(|err| {
            Error::environment(format!(
                "cannot set up HTTPS for the HTTP client: {}; install the system's CA \
                 certificates (Debian: ca-certificates) or point SSL_CERT_FILE or SSL_CERT_DIR \
                 at them",
                error_chain(&err)
            ))
        })
    }

    /// The HTTP client every replayer of a run shares (connection pools, TLS set up once).
    /// A run reaches only its targets' base URLs and its own loopback peers, so when no target
    /// uses https the system's certificate roots are not read (milliseconds per run, spent
    /// before the first exchange).
    pub(crate) fn client_for_targets<'a>(
        timeout: Duration,
        targets: impl IntoIterator<Item = &'a str>,
    ) -> Result<reqwest::Client, Error> {
        let plain = targets
            .into_iter()
            .all(|url| url::Url::parse(url).is_ok_and(|url| url.scheme() == "http"));
        if !plain {
            return Self::client(timeout);
        }
        Self::builder(timeout)
            .tls_certs_only(std::iter::empty())
            .build()
            .map_err(|err| Error::environment(format!("cannot create an HTTP client: {err}")))
    }

    fn builder(timeout: Duration) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
    }

    /// A replayer for `base_url` (scheme, host, port and an optional path prefix).
    pub(crate) fn new(
        client: reqwest::Client,
        base_url: &str,
        timeout: Duration,
        retries: u32,
    ) -> Result<Replayer, Error> {
        let parsed = url::Url::parse(base_url).map_err(|err| {
            InputError::usage(format!("target URL `{base_url}` is not a valid URL: {err}"))
                .with_hint("write it as http://host:port or https://host/prefix")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(InputError::usage(format!(
                "target URL `{base_url}` must use http or https"
            ))
            .into());
        }
        Ok(Replayer {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            timeout,
            retries,
            credentials: Credentials::default(),
        })
    }

    /// The same replayer sending `credentials` instead of the recorded values of the same name.
    #[must_use]
    pub(crate) fn with_credentials(mut self, credentials: Credentials) -> Replayer {
        self.credentials = credentials;
        self
    }

    /// The full URL of a path (and query) on the target, with the query credentials in it.
    fn url_for(&self, path_and_query: &str) -> String {
        let url = format!("{}{}", self.base, path_and_query);
        if self.credentials.query.is_empty() {
            return url;
        }
        let Ok(mut parsed) = url::Url::parse(&url) else {
            return url;
        };
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(name, _)| !self.credentials.query.iter().any(|(n, _)| n == name))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        parsed
            .query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .extend_pairs(self.credentials.query.iter());
        parsed.to_string()
    }

    /// Sends a request that is not in a recording (a setup or teardown step), with the
    /// credentials, within the timeout; the response is scrubbed of secrets.
    pub(crate) async fn send_step(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&serde_json::Value>,
        timeout: Duration,
    ) -> Result<LiveResponse, TransportError> {
        let request = recording::Request {
            method: method.to_string(),
            url: path.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_ascii_lowercase(),
                        recording::HeaderValue::One(v.clone()),
                    )
                })
                .collect(),
            body: body.cloned().map_or(Body::Empty, Body::from_json),
        };
        let limited = Replayer {
            client: self.client.clone(),
            base: self.base.clone(),
            timeout,
            retries: 0,
            credentials: self.credentials.clone(),
        };
        match tokio::time::timeout(timeout, limited.send_once(&request, (&Body::Empty, None))).await
        {
            Ok(result) => result,
            Err(_) => Err(TransportError {
                message: secrets::scrub(&format!(
                    "{}: no response within {} s (timeout)",
                    self.url_for(path),
                    timeout.as_secs_f64()
                )),
                duration: timeout,
            }),
        }
    }

    /// Sends one recorded request; retries only requests that got no response. A live body
    /// that repeats `recorded` (the recorded response's body, with its JSON as compact
    /// `recorded_text` when known) is that value, shared, not parsed.
    pub(crate) async fn send(
        &self,
        request: &recording::Request,
        recorded: &Body,
        recorded_text: Option<&[u8]>,
    ) -> Result<LiveResponse, TransportError> {
        let mut attempt = 0;
        loop {
            match self.send_once(request, (recorded, recorded_text)).await {
                Err(_) if attempt < self.retries => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        request: &recording::Request,
        (recorded, recorded_text): (&Body, Option<&[u8]>),
    ) -> Result<LiveResponse, TransportError> {
        let started = Instant::now();
        let url = self.url_for(&request.url);
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| TransportError {
                message: format!("`{}` is not an HTTP method", request.method),
                duration: Duration::ZERO,
            })?;
        // Per request, so a setup step's own timeout holds over the client's.
        let mut builder = self.client.request(method, &url).timeout(self.timeout);
        for (name, value) in &request.headers {
            if NOT_REPLAYED.contains(&name.as_str()) || self.credentials.overrides_header(name) {
                continue;
            }
            for v in value.values() {
                builder = builder.header(name.as_str(), v);
            }
        }
        for header in self
            .credentials
            .headers
            .iter()
            .filter(|h| !h.value.is_empty())
        {
            builder = builder.header(header.name.as_str(), header.value.as_str());
        }
        let body = request.body.to_bytes();
        if !body.is_empty() {
            if request.body.json().is_some() && request.header("content-type").is_none() {
                builder = builder.header("content-type", "application/json");
            }
            builder = builder.body(body);
        }
        let fail = |err: reqwest::Error, started: Instant| TransportError {
            message: describe(&err, &url, self.timeout),
            duration: started.elapsed(),
        };
        let response = builder.send().await.map_err(|e| fail(e, started))?;
        let status = response.status().as_u16();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            recording::add_header(
                &mut headers,
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            );
        }
        let bytes = response.bytes().await.map_err(|e| fail(e, started))?;
        let content_type = headers.get("content-type").map(|v| v.first().to_string());
        let mut response = Response {
            status,
            body: Body::from_bytes_as(content_type.as_deref(), &bytes, recorded, recorded_text),
            headers,
        };
        // A target that echoes a credential (an error page quoting the token) never shows it.
        secrets::scrub_response(&mut response);
        Ok(LiveResponse {
            response,
            duration: started.elapsed(),
        })
    }
}

/// One line on what went wrong, naming the URL and the likely cause, with every credential the
/// run sends scrubbed from it.
pub(crate) fn describe(err: &reqwest::Error, url: &str, timeout: Duration) -> String {
    secrets::scrub(&describe_raw(err, url, timeout))
}

fn describe_raw(err: &reqwest::Error, url: &str, timeout: Duration) -> String {
    let chain = error_chain(err);
    if err.is_timeout() {
        format!(
            "{url}: no response within {} s (timeout)",
            timeout.as_secs_f64()
        )
    } else if err.is_connect() {
        let lower = chain.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            format!("{url}: TLS handshake failed: {chain}")
        } else if lower.contains("refused") {
            format!("{url}: connection refused (is the target running and is the URL right?)")
        } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("lookup") {
            format!("{url}: host name could not be resolved: {chain}")
        } else {
            format!("{url}: cannot connect: {chain}")
        }
    } else {
        format!("{url}: {chain}")
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
