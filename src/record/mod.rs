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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::Args;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::config::Config;
use crate::contract::{self, ContractSet};
use crate::error::{Error, InputError};
use crate::exit_code;
use crate::redact::Redactor;
use proxy::Proxy;
use writer::Writer;

/// How long exchanges in flight get to finish after SIGINT or SIGTERM.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Args, Clone)]
pub struct RecordArgs {
    /// The system to record: base URL the client's path and query are appended to.
    #[arg(long, value_name = "URL")]
    pub upstream: String,

    /// Address to accept clients on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: String,

    /// Recording to append exchanges to (created when missing).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Peer name stored in every exchange (`erp`), for recordings that serve mocked peers.
    #[arg(long, value_name = "NAME")]
    pub peer: Option<String>,

    /// Project file with the `[redact]` rules (default: ./interlock.toml, else the embedded default).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Seconds the upstream gets to answer one request.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Do not fsync after each write: faster; an answered exchange still survives `kill -9`,
    /// but not a machine crash.
    #[arg(long)]
    pub no_fsync: bool,
}

/// Runs `interlock record` until SIGINT or SIGTERM; returns the exit code.
pub fn run(args: &RecordArgs) -> Result<u8, Error> {
    let upstream = parse_upstream(&args.upstream)?;
    let listen = parse_listen(&args.listen)?;
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(InputError::usage(format!(
            "--timeout {} is out of range (0 < t ≤ 3600 seconds)",
            args.timeout
        ))
        .into());
    }
    let config = Config::discover(args.config.as_deref(), Path::new(""))?;
    let redactor = Redactor::from_config(&config)?;
    let contracts = project_contracts(&config);
    crate::cli::runtime()?.block_on(serve(args, upstream, &listen, redactor, contracts))
}

/// The project's contracts when its contract directories exist and load; an exchange then
/// carries the `interface` of the contract matching its method and path. Without them the
/// recorder records all the same.
fn project_contracts(config: &Config) -> ContractSet {
    if config.contracts.iter().any(|dir| !dir.is_dir()) {
        return ContractSet::default();
    }
    match contract::load_contracts(&config.contracts) {
        Ok(set) => set,
        Err(err) => {
            eprintln!(
                "interlock record: exchanges are recorded without `interface`, because the contracts do not load:\n{err}"
            );
            ContractSet::default()
        }
    }
}

fn parse_upstream(text: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::from(
            InputError::usage(format!("--upstream `{text}` {why}")).with_hint(
                "e.g. --upstream http://localhost:8080 or https://erp.staging.example.com/api",
            ),
        )
    };
    let url = url::Url::parse(text).map_err(|err| bad(&format!("is not a URL: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must not have a query or fragment (the client's are used)",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn parse_listen(text: &str) -> Result<String, Error> {
    let valid = text
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if valid {
        Ok(text.to_string())
    } else {
        Err(
            InputError::usage(format!("--listen `{text}` is not HOST:PORT"))
                .with_hint("e.g. --listen 127.0.0.1:8099, or 127.0.0.1:0 for a free port")
                .into(),
        )
    }
}

async fn serve(
    args: &RecordArgs,
    upstream: String,
    listen: &str,
    redactor: Redactor,
    contracts: ContractSet,
) -> Result<u8, Error> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|err| listen_error(listen, &err))?;
    let addr = listener
        .local_addr()
        .map_err(|err| listen_error(listen, &err))?;
    let (writer, appender) = Writer::open(&args.out, !args.no_fsync)?;
    let client = Proxy::client(Duration::from_secs_f64(args.timeout))
        .map_err(|err| Error::environment(format!("cannot build the HTTP client: {err}")))?;
    println!(
        "interlock record: listening on http://{addr}, forwarding to {upstream}, appending to {}",
        args.out.display()
    );
    let proxy = Arc::new(Proxy {
        client,
        upstream,
        peer: args.peer.clone(),
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
    println!("interlock record: {signal}: finishing exchanges in flight");
    let _ = stop.send(true);
    let _ = accept.await;
    let recorded = proxy.recorded.load(Ordering::Relaxed);
    drop(proxy);
    writer.finish();
    println!(
        "interlock record: stopped; {recorded} exchanges recorded in {}",
        args.out.display()
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_and_listen_validation() {
        assert_eq!(
            parse_upstream("http://localhost:9000/api/").unwrap(),
            "http://localhost:9000/api"
        );
        assert!(parse_upstream("localhost:9000").is_err());
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("http://x/?a=1").is_err());
        assert!(parse_listen("127.0.0.1:0").is_ok());
        assert!(parse_listen("[::1]:8080").is_ok());
        assert!(parse_listen("8080").is_err());
        assert!(parse_listen("localhost:http").is_err());
    }
}
