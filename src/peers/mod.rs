//! Mocked peers: our own hyper server, one per peer, serving recorded responses.
//!
//! A peer answers each request with the recorded exchange whose request matches it (method,
//! path, query in any order, the headers the peer names, JSON body modulo ignore rules),
//! playing identical recordings back in recorded order. Looser matching is opt-in per peer:
//! any body valid against the contract, or any path of the same contract operation; the most
//! specific match always wins. When nothing matches it answers 404 and explains which
//! recording came closest and how the request differs. With `validate_requests`, every request
//! is also checked against the peer's contracts; a request that breaks its contract and matches
//! no recording gets the operation's recorded error response, or 422 with the violations.
//! Fault rules can delay, replace or break any answer. Every call is journaled as a
//! [`PeerCall`], and the journal is served as JSON on the peer's own admin path
//! (`GET /__interlock/requests`; `DELETE` clears it).
//!
//! The same server serves a *target* from its own recording when no staging URL is configured
//! (then without validation).
//!
//! What a peer answers when it cannot serve a recording (`index` is 0-based in the recording):
//!
//! ```json
//! {"error": "no recorded exchange matches",
//!  "closest": {"index": 1, "request": "GET /api/v1/customers/C-1?expand=owner"},
//!  "differences": ["query `rollback=true` not in the recording"]}
//! ```
//!
//! and, with status 422, `{"error": "the request breaks its contract", "interface": …,
//! "violations": [{"kind", "path", "message"}…], "closest": …, "differences": […]}`.
//!
//! Layout: `matcher` compares requests (`body` their bodies), `routes` compiles recordings into
//! stubs and replies, `validate` checks contracts, `fault` decides injected faults, `journal`
//! keeps the calls, `admin` renders them, `handler` decides one request, `wire` holds the
//! body and connection types faults need, and this module runs the connections.

mod admin;
mod body;
mod chained;
pub(crate) mod fault;
mod handler;
mod index;
mod journal;
mod key;
mod matcher;
mod recorded;
mod routes;
mod spots;
mod validate;
mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::HeaderMap;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::contract::Contract;
use crate::error::Error;
use crate::model::Finding;
use crate::recording::Exchange;
use crate::scenario::IgnoreRules;
pub use crate::scenario::behaviour::{Behaviour, BodyMatch, InvalidRequests, PathMatch, Playback};

pub(crate) use admin::ADMIN_PATH;
pub use admin::AdminAccess;
pub(crate) use admin::{shown_request, shown_text};
use handler::Peer;
pub use recorded::Recorded;

/// How long open connections get to finish their current request at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How to start one peer.
#[derive(Debug, Clone)]
pub struct PeerOptions {
    /// Peer name (e.g. `erp`); contracts whose provider has this name validate its requests.
    pub name: String,
    /// The recorded exchanges this peer serves: a recording file (a large one is indexed and
    /// read by position, not held) or exchanges in memory.
    pub recording: Recorded,
    /// Contracts whose provider is this peer.
    pub contracts: Vec<Contract>,
    /// Body fields whose values are not compared when matching requests.
    pub ignore: IgnoreRules,
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// Validate every request against the contracts and report unmatched requests.
    pub validate_requests: bool,
    /// Matching, playback and faults beyond the defaults.
    pub behaviour: Behaviour,
    /// Whether the admin endpoint answers, and to which `Host` names besides loopback ones.
    pub admin: AdminAccess,
    /// Bytes of journaled calls kept at most; the oldest go first.
    pub journal_bytes: usize,
}

impl PeerOptions {
    /// Default byte cap of a peer's journal.
    pub const JOURNAL_BYTES: usize = journal::Journal::BYTES;

    /// A scenario's mocked peer, validating requests against the contracts it provides, with
    /// the scenario's ignore rules and its own, on `host` at its port (a free one when unset).
    pub(crate) fn for_peer(
        peer: &crate::scenario::PeerConfig,
        scenario_ignore: &IgnoreRules,
        contracts: &crate::contract::ContractSet,
        host: std::net::IpAddr,
    ) -> PeerOptions {
        PeerOptions {
            ignore: scenario_ignore.with(&peer.ignore),
            behaviour: peer.behaviour.clone(),
            ..PeerOptions::for_recording(
                &peer.name,
                peer.recording_file.clone(),
                peer.port,
                contracts,
                host,
            )
        }
    }

    /// Peer `name` serving a recording file with default matching, validating requests
    /// against the contracts it provides, on `host` at `port` (a free one when unset).
    pub(crate) fn for_recording(
        name: &str,
        file: std::path::PathBuf,
        port: Option<u16>,
        contracts: &crate::contract::ContractSet,
        host: std::net::IpAddr,
    ) -> PeerOptions {
        PeerOptions {
            name: name.to_string(),
            recording: Recorded::File(file),
            contracts: contracts.provided_by(name).cloned().collect(),
            ignore: IgnoreRules::default(),
            bind: SocketAddr::new(host, port.unwrap_or(0)),
            validate_requests: true,
            behaviour: Behaviour::default(),
            admin: AdminAccess::default(),
            journal_bytes: PeerOptions::JOURNAL_BYTES,
        }
    }
}

/// How a call was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A recording whose request matched exactly (modulo ignore rules).
    Matched,
    /// A recording whose request differs only in a body that is valid against the contract.
    MatchedByContract,
    /// A recording of the same contract operation at another path.
    MatchedByTemplate,
    /// The request broke its contract; the operation's recorded error response was served.
    RecordedError,
    /// The matching recording's replies were used up (`playback: not-found`): 404.
    Exhausted,
    /// No recording matches: 404, or 422 when the request breaks its contract.
    Unmatched,
    /// An injected fault replaced the answer.
    Faulted,
}

impl Outcome {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Outcome::Matched => "matched",
            Outcome::MatchedByContract => "matched-by-contract",
            Outcome::MatchedByTemplate => "matched-by-template",
            Outcome::RecordedError => "recorded-error",
            Outcome::Exhausted => "exhausted",
            Outcome::Unmatched => "unmatched",
            Outcome::Faulted => "faulted",
        }
    }

    /// Whether a recording's request matched this call.
    pub(crate) fn is_match(self) -> bool {
        matches!(
            self,
            Outcome::Matched | Outcome::MatchedByContract | Outcome::MatchedByTemplate
        )
    }
}

/// One request the peer received.
///
/// The method, URL and headers share one string, `METHOD URL` then one `name: value` line per
/// header, so journaling a call costs one allocation besides the call itself, and none when
/// the journal is full and hands back the oldest call to overwrite
/// ([`PeerCall::set_request`]).
#[derive(Debug, Clone)]
pub struct PeerCall {
    head: String,
    /// The request body, when it is at most [`PeerCall::MAX_KEPT_BODY`] bytes.
    pub body: Bytes,
    /// The body's size as received.
    pub body_size: usize,
    /// Contract path template, or the literal path when no contract matched.
    pub route: Arc<str>,
    /// Index of the recorded exchange whose response was served.
    pub matched: Option<usize>,
    pub outcome: Outcome,
    /// Status sent; 0 when no response was sent (reset, close, hang).
    pub status: u16,
    pub duration: Duration,
    /// The injected fault, described.
    pub fault: Option<String>,
    /// For an unmatched call: the closest recorded request and how this one differs.
    pub closest: Option<String>,
    pub differences: Vec<String>,
    pub findings: Vec<Finding>,
}

impl Default for PeerCall {
    /// A call with nothing received yet, to be filled with [`PeerCall::set_request`].
    fn default() -> Self {
        PeerCall::blank(Arc::from(""))
    }
}

impl PeerCall {
    /// Request bodies above this size are counted, not kept, in the journal.
    pub(crate) const MAX_KEPT_BODY: usize = 64 * 1024;

    /// A call to `url` (path and query) without headers or body, routed by its literal path.
    pub(crate) fn new(method: &str, url: &str) -> Self {
        let path = url.split('?').next().unwrap_or_default();
        PeerCall::with_headers(method, url, &HeaderMap::new(), Arc::from(path))
    }

    /// A call with an empty head, unmatched.
    fn blank(route: Arc<str>) -> Self {
        PeerCall {
            head: String::new(),
            body: Bytes::new(),
            body_size: 0,
            route,
            matched: None,
            outcome: Outcome::Unmatched,
            status: 0,
            duration: Duration::ZERO,
            fault: None,
            closest: None,
            differences: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// A call with the request's headers, copied: hyper's header values are slices of the
    /// connection's read buffer, which a journal of 10 000 calls would otherwise keep alive.
    pub(crate) fn with_headers(
        method: &str,
        url: &str,
        headers: &HeaderMap,
        route: Arc<str>,
    ) -> Self {
        let mut call = PeerCall::blank(Arc::clone(&route));
        call.set_request(method, url, headers, route);
        call
    }

    /// Makes this call a fresh one for a request (every field reset, the outcome unmatched),
    /// reusing the memory its head and lists already hold.
    pub(crate) fn set_request(
        &mut self,
        method: &str,
        url: &str,
        headers: &HeaderMap,
        route: Arc<str>,
    ) {
        let size = headers
            .iter()
            .fold(method.len() + url.len() + 1, |size, (n, v)| {
                size + n.as_str().len() + v.len() + 3
            });
        let mut head = std::mem::take(&mut self.head);
        head.clear();
        head.reserve(size);
        head.push_str(method);
        head.push(' ');
        head.push_str(url);
        for (name, value) in headers {
            head.push('\n');
            head.push_str(name.as_str());
            head.push_str(": ");
            match value.to_str() {
                Ok(text) => head.push_str(text),
                Err(_) => head.push_str(&String::from_utf8_lossy(value.as_bytes())),
            }
        }
        let mut differences = std::mem::take(&mut self.differences);
        differences.clear();
        let mut findings = std::mem::take(&mut self.findings);
        findings.clear();
        *self = PeerCall {
            head,
            differences,
            findings,
            ..PeerCall::blank(route)
        };
    }

    /// Copies the request body into the call when it is small enough (a small body is a slice
    /// of the connection's read buffer, like the headers).
    pub(crate) fn keep_body(&mut self, body: &Bytes) {
        self.body_size = body.len();
        if !body.is_empty() && body.len() <= PeerCall::MAX_KEPT_BODY {
            self.body = Bytes::copy_from_slice(body);
        }
    }

    fn request_line(&self) -> &str {
        self.head.split('\n').next().unwrap_or_default()
    }

    pub fn method(&self) -> &str {
        self.request_line().split_once(' ').map_or("", |(m, _)| m)
    }

    /// Path and query as received.
    pub fn url(&self) -> &str {
        self.request_line().split_once(' ').map_or("", |(_, u)| u)
    }

    /// The request headers as `(name, value)`, in the order received.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.head
            .split('\n')
            .skip(1)
            .filter_map(|line| line.split_once(": "))
    }

    /// The value of a request header (the first, when repeated).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// A running peer. Dropping it stops the server too; [`PeerServer::shutdown`] also waits.
pub struct PeerServer {
    name: String,
    addr: SocketAddr,
    peer: Arc<Peer>,
    stop: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl PeerServer {
    /// Reads the recording and starts listening. A recording that cannot be read or has bad
    /// lines is an input error; a port that cannot be bound is an environment error naming
    /// the peer and the address.
    pub async fn start(options: PeerOptions) -> Result<PeerServer, Error> {
        PeerServer::start_chained(options, None).await
    }

    /// [`PeerServer::start`] for a peer that binds and translates the scenario's generated
    /// values (request chaining; see [`crate::link`]).
    pub async fn start_chained(
        options: PeerOptions,
        chain: Option<Arc<crate::link::Chain>>,
    ) -> Result<PeerServer, Error> {
        let name = options.name.clone();
        let faults = (options.behaviour.faults.iter().cloned())
            .map(fault::Fault::new)
            .collect();
        let bind = options.bind;
        // Reading a large recording takes a while: off the runtime's threads.
        let peer = tokio::task::spawn_blocking(move || Peer::new(options, faults, chain))
            .await
            .map_err(|err| Error::Environment(format!("peer `{name}`: {err}")))??;
        let peer = Arc::new(peer);
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|err| listen_error(&name, bind, &err))?;
        let addr = listener
            .local_addr()
            .map_err(|err| listen_error(&name, bind, &err))?;
        let (stop, stopped) = watch::channel(false);
        let serving = Arc::clone(&peer);
        let accept = tokio::spawn(crate::server::accept_loop(
            listener,
            stopped,
            SHUTDOWN_GRACE,
            move |stream, builder, stop| {
                serve_connection(stream, Arc::clone(&serving), builder, stop)
            },
        ));
        Ok(PeerServer {
            name,
            addr,
            peer,
            stop,
            accept,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calls received since the last take, oldest first.
    pub fn take_journal(&self) -> Vec<Arc<PeerCall>> {
        self.peer.journal.take()
    }

    /// Takes the calls received since the last take, showing each to `keep`, and hands back
    /// those it keeps, oldest first.
    pub(crate) fn take_journal_where(
        &self,
        keep: impl FnMut(&PeerCall) -> bool,
    ) -> Vec<Arc<PeerCall>> {
        self.peer.journal.take_where(keep)
    }

    /// Untaken calls dropped from the journal because it was full (it keeps the newest
    /// 10 000 calls).
    pub fn dropped_calls(&self) -> u64 {
        self.peer.journal.dropped()
    }

    /// Indexes of recorded exchanges never served, in recorded order.
    pub fn unused(&self) -> Vec<usize> {
        self.peer.routes.unused()
    }

    /// How many exchanges the peer's recording holds.
    pub fn recorded_count(&self) -> usize {
        self.peer.routes.store().len()
    }

    /// The 1-based line of a recorded exchange in its file (its position for exchanges given
    /// in memory).
    pub fn recorded_line(&self, index: usize) -> usize {
        self.peer.routes.store().line(index)
    }

    /// A recorded exchange, read again from the recording when it is not held.
    pub fn recorded(&self, index: usize) -> Result<Exchange, crate::error::InputError> {
        self.peer
            .routes
            .store()
            .read(index)
            .map(std::borrow::Cow::into_owned)
    }

    /// Stops accepting, lets open connections finish their current request (bounded), and
    /// closes them.
    pub async fn shutdown(self) {
        let PeerServer { stop, accept, .. } = self;
        let _ = stop.send(true);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(1), accept).await;
    }
}

fn listen_error(name: &str, bind: SocketAddr, err: &std::io::Error) -> Error {
    let why = match err.kind() {
        std::io::ErrorKind::AddrInUse => "address already in use (another process holds the port; \
             pick another `port:` in the scenario or stop it)"
            .to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need \
             privileges; pick a higher `port:` in the scenario)"
            .to_string(),
        std::io::ErrorKind::AddrNotAvailable => {
            "address not available on this machine (bind to 127.0.0.1 or 0.0.0.0)".to_string()
        }
        _ => err.to_string(),
    };
    Error::Environment(format!("peer `{name}`: cannot listen on {bind}: {why}"))
}

async fn serve_connection(
    stream: TcpStream,
    peer: Arc<Peer>,
    builder: crate::server::Builder,
    stop: crate::server::Stop,
) {
    let _ = stream.set_nodelay(true);
    let stream = wire::Connection::new(stream);
    let service = PeerService {
        peer,
        reset: stream.reset_flag(),
    };
    crate::server::serve_connection(TokioIo::new(stream), service, builder, stop, SHUTDOWN_GRACE)
        .await;
}

/// One connection's service. A request with nothing to wait for is answered inside `call`,
/// as a ready future; only one with a body to read or fault rules to apply becomes a task
/// holding its own handle on the peer.
struct PeerService {
    peer: Arc<Peer>,
    reset: Arc<std::sync::atomic::AtomicBool>,
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for PeerService {
    type Response = handler::PeerResponse;
    type Error = handler::NoResponse;
    type Future = Handling;

    fn call(&self, request: hyper::Request<hyper::body::Incoming>) -> Handling {
        if self.peer.answers_now(&request) {
            return Handling::Ready(Some(self.peer.handle_now(request)));
        }
        let peer = Arc::clone(&self.peer);
        let reset = Arc::clone(&self.reset);
        Handling::Waiting(Box::pin(async move { peer.handle(request, &reset).await }))
    }
}

type Waiting = std::pin::Pin<
    Box<dyn Future<Output = Result<handler::PeerResponse, handler::NoResponse>> + Send>,
>;

/// The answer to one request: ready, or still reading the body or applying a fault.
enum Handling {
    Ready(Option<handler::PeerResponse>),
    Waiting(Waiting),
}

impl Future for Handling {
    type Output = Result<handler::PeerResponse, handler::NoResponse>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            Handling::Ready(response) => std::task::Poll::Ready(
                response
                    .take()
                    .ok_or(handler::NoResponse("response already taken")),
            ),
            Handling::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn a_call_keeps_method_url_and_headers_in_order_with_repeats() {
        let mut headers = HeaderMap::new();
        headers.append("x-tenant-id", HeaderValue::from_static("cn-east"));
        headers.append("accept", HeaderValue::from_static("application/json"));
        headers.append("accept", HeaderValue::from_static("text/plain"));
        headers.append(
            "x-raw",
            HeaderValue::from_bytes(b"caf\xe9").expect("a value"),
        );
        let call = PeerCall::with_headers(
            "POST",
            "/erp/v2/customers?dry_run=1",
            &headers,
            Arc::from("/erp/v2/customers"),
        );
        assert_eq!(call.method(), "POST");
        assert_eq!(call.url(), "/erp/v2/customers?dry_run=1");
        assert_eq!(
            call.headers().collect::<Vec<_>>(),
            [
                ("x-tenant-id", "cn-east"),
                ("accept", "application/json"),
                ("accept", "text/plain"),
                ("x-raw", "caf\u{fffd}"),
            ]
        );
        assert_eq!(call.header("Accept"), Some("application/json"));
        assert_eq!(call.header("x-missing"), None);

        let bare = PeerCall::new("GET", "/");
        assert_eq!((bare.method(), bare.url()), ("GET", "/"));
        assert_eq!(&*call.route, "/erp/v2/customers");
        assert_eq!(&*PeerCall::new("GET", "/a/b?c=d").route, "/a/b");
        assert_eq!(bare.headers().count(), 0);
    }
}
