//! A stand-in for a staging CRM that is not deterministic in the simplest way, for `interlock
//! learn`: every answer carries a fresh `request_id` (a random token) and a `server_time` a
//! second later than the answer before, and it keeps state between runs: order 7 is `open` the
//! first time it is read and `won` ever after (the first run "closed" it), as on a staging shared
//! with other users.
//!
//! - `GET /api/status` → `{"service": "crm", "version": "1.4.2", "request_id", "server_time"}`
//! - `GET /api/orders/7` → `{"id": 7, "status", "total": 1200, "request_id", "server_time"}`

use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::sync::oneshot;

/// The recording of `GET /api/status` as the first call on a fresh instance answered it.
pub const STATUS_RECORDING: &str = r#"{"request":{"method":"GET","url":"/api/status","headers":{"accept":"application/json"}},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"service":"crm","version":"1.4.2","request_id":"req-5f1c9a7be2d04c33","server_time":"2026-03-02T09:15:00+08:00"}}}"#;

/// The recording of `GET /api/orders/7` as the first call on a fresh instance answered it.
pub const ORDER_RECORDING: &str = r#"{"request":{"method":"GET","url":"/api/orders/7","headers":{"accept":"application/json"}},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"id":7,"status":"open","total":1200,"request_id":"req-0b7d2e94c1a8f356","server_time":"2026-03-02T09:15:01+08:00"}}}"#;

/// A running stand-in; stops when dropped.
pub struct NoisyCrm {
    /// Base URL, e.g. `http://127.0.0.1:41873`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    /// Answers given so far: seeds the request ids.
    answers: AtomicU64,
    order_reads: AtomicU64,
    /// When the instance started (whole seconds, at `+08:00`), and answers since.
    started: time::OffsetDateTime,
    ticks: AtomicU64,
}

/// Starts the stand-in on a free port of 127.0.0.1, on its own thread and runtime.
pub fn start() -> NoisyCrm {
    let listener = TcpListener::bind("127.0.0.1:0").expect("noisy CRM: bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("noisy CRM: non-blocking");
    let url = format!(
        "http://{}",
        listener.local_addr().expect("noisy CRM: address")
    );
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let state = Arc::new(State {
        answers: AtomicU64::new(fastrand::u64(..)),
        order_reads: AtomicU64::new(0),
        started: time::OffsetDateTime::now_utc()
            .to_offset(time::macros::offset!(+8))
            .replace_nanosecond(0)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        ticks: AtomicU64::new(0),
    });
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("noisy CRM: runtime");
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let state = Arc::clone(&state);
                        tokio::spawn(async move {
                            let service = service_fn(move |req| {
                                let state = Arc::clone(&state);
                                async move { Ok::<_, Infallible>(answer(&state, &req)) }
                            });
                            let _ = auto::Builder::new(TokioExecutor::new())
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                }
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
    });
    NoisyCrm {
        url,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

fn answer(state: &State, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let n = state.answers.fetch_add(1, Ordering::SeqCst);
    let request_id = format!("req-{:016x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // A clock a second ahead on every answer, so no two answers share a time however fast
    // they come.
    let tick = state.ticks.fetch_add(1, Ordering::SeqCst);
    let server_time = (state.started + time::Duration::seconds(tick as i64))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = match req.uri().path() {
        "/api/status" => json!({
            "service": "crm", "version": "1.4.2",
            "request_id": request_id, "server_time": server_time,
        }),
        "/api/orders/7" => {
            let first = state.order_reads.fetch_add(1, Ordering::SeqCst) == 0;
            json!({
                "id": 7, "status": if first { "open" } else { "won" }, "total": 1200,
                "request_id": request_id, "server_time": server_time,
            })
        }
        _ => {
            return Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Full::new(Bytes::new()))
                .unwrap_or_default();
        }
    };
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

impl Drop for NoisyCrm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
