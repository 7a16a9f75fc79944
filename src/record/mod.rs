//! `interlock record`: a recording reverse proxy.
//!
//! Clients talk to the recorder as if it were the upstream; every request is forwarded
//! unchanged and the response comes back unchanged. Each completed exchange is redacted
//! ([`crate::redact`]) and appended to the recording before the client gets its answer, so a
//! `kill -9` loses at most the exchanges in flight. SIGINT or SIGTERM stops accepting, lets the
//! exchanges in flight finish (bounded by [`SHUTDOWN_GRACE`]) and exits 0. The command is
//! documented in `docs/record.md`.
//!
//! Layout: `proxy` forwards one request, `capture` turns it into an exchange, `writer` appends
//! to the file, and this module parses the flags and runs the connections.

mod capture;
mod proxy;
mod writer;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::contract::ContractSet;
use crate::error::Error;
use crate::exit_code;
use crate::redact::Redactor;
use proxy::Proxy;
use writer::Writer;

/// How long exchanges in flight get to finish after SIGINT or SIGTERM.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What to record, checked.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    /// Base URL the client's path and query are appended to, without a trailing `/`.
    pub upstream: String,
    /// `HOST:PORT` to accept clients on.
    pub listen: String,
    /// The recording exchanges are appended to.
    pub out: PathBuf,
    /// Peer name stored in every exchange.
    pub peer: Option<String>,
    /// How long the upstream gets to answer one request.
    pub timeout: Duration,
    /// fsync after each appended exchange.
    pub fsync: bool,
    /// Say only where it listens (`-q`): no shutdown lines.
    pub quiet: bool,
}

/// Runs the recording proxy until SIGINT or SIGTERM; returns the exit code.
pub(crate) async fn serve(
    recorder: &Recorder,
    redactor: Redactor,
    contracts: ContractSet,
) -> Result<u8, Error> {
    let (listen, upstream) = (recorder.listen.as_str(), recorder.upstream.clone());
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|err| listen_error(listen, &err))?;
    let addr = listener
        .local_addr()
        .map_err(|err| listen_error(listen, &err))?;
    let (writer, appender) = Writer::open(&recorder.out, recorder.fsync)?;
    let client = Proxy::client(recorder.timeout)
        .map_err(|err| Error::environment(format!("cannot build the HTTP client: {err}")))?;
    crate::outln!(
        "interlock record: listening on http://{addr}, forwarding to {upstream}, appending to {}",
        recorder.out.display()
    );
    let proxy = Arc::new(Proxy {
        client,
        upstream,
        peer: recorder.peer.clone(),
        redactor,
        contracts,
        appender,
        recorded: AtomicUsize::new(0),
    });
    let (stop, stopped) = watch::channel(false);
    let serving = Arc::clone(&proxy);
    let accept = tokio::spawn(crate::server::accept_loop(
        listener,
        stopped,
        SHUTDOWN_GRACE,
        move |stream, builder, stop| serve_connection(stream, Arc::clone(&serving), builder, stop),
    ));
    let signal = crate::server::shutdown_signal().await;
    if !recorder.quiet {
        crate::outln!("interlock record: {signal}: finishing exchanges in flight");
    }
    let _ = stop.send(true);
    let _ = accept.await;
    let recorded = proxy.recorded.load(Ordering::Relaxed);
    drop(proxy);
    writer.finish();
    if !recorder.quiet {
        crate::outln!(
            "interlock record: stopped; {recorded} exchanges recorded in {}",
            recorder.out.display()
        );
    }
    Ok(exit_code::OK)
}

fn listen_error(listen: &str, err: &std::io::Error) -> Error {
    let why = match err.kind() {
        std::io::ErrorKind::AddrInUse => {
            "address already in use (another process holds the port; pick another --listen port)"
                .to_string()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need privileges; pick a higher port)".to_string()
        }
        _ => err.to_string(),
    };
    Error::Environment(format!(
        "interlock record: cannot listen on {listen}: {why}"
    ))
}

async fn serve_connection(
    stream: TcpStream,
    proxy: Arc<Proxy>,
    builder: crate::server::Builder,
    stop: crate::server::Stop,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let proxy = Arc::clone(&proxy);
        async move { Ok::<_, Infallible>(proxy.handle(request).await) }
    });
    crate::server::serve_connection(TokioIo::new(stream), service, builder, stop, SHUTDOWN_GRACE)
        .await;
}
