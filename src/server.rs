//! What every HTTP server of Interlock shares (the mocked peers, the recording proxy): the
//! accept loop that stops on request and drains open connections within a grace period, serving
//! one connection until it ends or is told to stop, and waiting for Ctrl-C or SIGTERM.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

/// The connection builder every server uses: HTTP/1.1 keep-alive (and HTTP/2 when asked).
pub(crate) type Builder = Arc<auto::Builder<TokioExecutor>>;

/// A connection's own stop signal: it resolves when the server stops (or is dropped). One per
/// connection, so a busy connection checking it never touches state the others share.
pub(crate) type Stop = oneshot::Receiver<()>;

/// Accepts connections until told to stop (or the sender is dropped), handing each to
/// `connection` with the builder and its [`Stop`]; then signals every open connection, waits up
/// to `grace` for them to finish and aborts the rest.
pub(crate) async fn accept_loop<F, Fut>(
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    connection: F,
) where
    F: Fn(TcpStream, Builder, Stop) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // No timer: idle keep-alive connections stay open until the server stops, as a client's
    // connection pool expects.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true);
    let builder = Arc::new(builder);
    let mut stoppers: Vec<oneshot::Sender<()>> = Vec::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Forget the signals of connections that have ended, in amortised O(1).
                    if stoppers.len() >= 64 && stoppers.len() == stoppers.capacity() {
                        stoppers.retain(|stopper| !stopper.is_closed());
                    }
                    let (stopper, stop) = oneshot::channel();
                    stoppers.push(stopper);
                    connections.spawn(connection(stream, Arc::clone(&builder), stop));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
    drop(listener);
    for stopper in stoppers {
        let _ = stopper.send(());
    }
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

/// Resolves once a stop is requested or the sender is gone.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Resolves on Ctrl-C or SIGTERM, naming which.
pub(crate) async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

/// Serves one connection with `service` until it ends or a stop is requested; then lets the
/// request in progress finish within `grace`.
pub(crate) async fn serve_connection<I, S, B>(
    io: I,
    service: S,
    builder: Builder,
    stop: Stop,
    grace: Duration,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<B>,
        > + Send,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stop => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(grace, connection).await;
}
