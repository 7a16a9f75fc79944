//! Mocked peers: our own hyper server, one per peer, serving recorded responses.
//!
//! A peer answers each request with the recorded exchange whose request matches it (method,
//! path, query in any order, JSON body modulo ignore rules; headers are not compared), playing
//! identical recordings back in recorded order. When nothing matches it answers 404 and explains
//! which recording came closest and how the request differs. With `validate_requests`, every
//! request is also checked against the peer's contracts, and a request that breaks its contract
//! and matches no recording is answered 422. Every call is journaled as a [`PeerCall`].
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
//! Layout: `matcher` compares requests (`body` their bodies), `routes` compiles recordings into stubs and replies,
//! `validate` checks contracts, `journal` keeps the calls, `handler` decides one request,
//! and this module runs the connections.

mod body;
mod handler;
mod journal;
mod matcher;
mod routes;
mod validate;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::check::Finding;
use crate::contract::Contract;
use crate::error::Error;
use crate::recording::Exchange;
use crate::scenario::IgnoreRules;

use handler::Peer;

/// How long open connections get to finish their current request at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How to start one peer.
#[derive(Debug, Clone)]
pub struct PeerOptions {
    /// Peer name (e.g. `erp`); contracts whose provider has this name validate its requests.
    pub name: String,
    /// Recorded exchanges this peer serves, in recorded order.
    pub exchanges: Vec<Exchange>,
    /// Contracts whose provider is this peer.
    pub contracts: Vec<Contract>,
    /// Body fields whose values are not compared when matching requests.
    pub ignore: IgnoreRules,
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// Validate every request against the contracts and report unmatched requests.
    pub validate_requests: bool,
}

/// One request the peer received.
#[derive(Debug, Clone)]
pub struct PeerCall {
    pub method: String,
    pub url: String,
    /// Contract path template, or the literal path when no contract matched.
    pub route: String,
    /// Index of the recorded exchange that was served.
    pub matched: Option<usize>,
    pub status: u16,
    pub duration: Duration,
    pub findings: Vec<Finding>,
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
    /// Compiles the recordings and starts listening. A port that cannot be bound is an
    /// environment error naming the peer and the address.
    pub async fn start(options: PeerOptions) -> Result<PeerServer, Error> {
        let name = options.name.clone();
        let bind = options.bind;
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|err| listen_error(&name, bind, &err))?;
        let addr = listener
            .local_addr()
            .map_err(|err| listen_error(&name, bind, &err))?;
        let peer = Arc::new(Peer::new(options));
        let (stop, stopped) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&peer), stopped));
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
    pub fn take_journal(&self) -> Vec<PeerCall> {
        self.peer.journal.take()
    }

    /// Calls dropped from the journal because it was full (it keeps the newest 10 000
    /// untaken calls).
    pub fn dropped_calls(&self) -> u64 {
        self.peer.journal.dropped()
    }

    /// Indexes of recorded exchanges never served, in recorded order.
    pub fn unused(&self) -> Vec<usize> {
        self.peer.routes.unused()
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

/// Accepts connections until told to stop (or the server is dropped), then drains them.
async fn accept_loop(listener: TcpListener, peer: Arc<Peer>, mut stop: watch::Receiver<bool>) {
    // No timer: idle keep-alive connections stay open until the peer shuts down, as a
    // target's connection pool expects of its peer.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true);
    let builder = Arc::new(builder);
    let for_connections = stop.clone();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(
                        stream,
                        Arc::clone(&peer),
                        Arc::clone(&builder),
                        for_connections.clone(),
                    ));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: Arc<Peer>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let peer = Arc::clone(&peer);
        async move { Ok::<_, Infallible>(peer.handle(request).await) }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = stopped(&mut stop) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
}

/// Resolves once a stop is requested or the server is dropped.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}
