//! A stand-in for what sits in front of a CRM on a real staging: a reverse proxy on loopback
//! that checks credentials or answers as a broken gateway, and otherwise forwards every request
//! to the test CRM behind it ([`super::crm`]).
//!
//! - [`Guard::Bearer`] answers `401 {"error":"unauthorized"}` to a request without
//!   `Authorization: Bearer TOKEN`; [`Guard::QueryKey`] the same without `?api_key=KEY`.
//! - [`Guard::Down`] answers every request with nginx's `503` error page, and
//!   [`Guard::DownOn`] only the requests whose path starts with a prefix.
//! - With `echo`, every JSON object it forwards back gains `"auth_echo"`: the `Authorization`
//!   header and query it received, as a careless staging that reflects credentials would.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::sync::oneshot;

/// What the gate lets through.
#[derive(Debug, Clone)]
pub enum Guard {
    /// `Authorization: Bearer TOKEN` or 401.
    Bearer(String),
    /// `?api_key=KEY` or 401.
    QueryKey(String),
    /// 503 to everything.
    Down,
    /// 503 to requests whose path starts with this prefix.
    DownOn(String),
}

/// A running gate; stops when dropped.
pub struct Gate {
    /// Base URL, e.g. `http://127.0.0.1:41873`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    stopped: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    guard: Guard,
    upstream: String,
    echo: bool,
    client: reqwest::Client,
}

/// Starts a gate on a free loopback port in front of `upstream` (a base URL).
pub fn start(guard: Guard, upstream: &str, echo: bool) -> Gate {
    let listener = TcpListener::bind("127.0.0.1:0").expect("gate: bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("gate: non-blocking");
    let addr = listener.local_addr().expect("gate: local address");
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (stopped_tx, stopped_rx) = mpsc::channel();
    let state = Arc::new(State {
        guard,
        upstream: upstream.trim_end_matches('/').to_string(),
        echo,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(8))
            .no_proxy()
            .build()
            .expect("gate: HTTP client"),
    });
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("gate: runtime");
        runtime.block_on(super::serve::serve(
            listener,
            state,
            |state: Arc<State>, req| async move { handle(&state, req).await },
            stop_rx,
        ));
        runtime.shutdown_timeout(Duration::from_secs(1));
        let _ = stopped_tx.send(());
    });
    Gate {
        url: format!("http://{addr}"),
        stop: Some(stop_tx),
        stopped: stopped_rx,
        thread: Some(thread),
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if self.stopped.recv_timeout(Duration::from_secs(5)).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &str, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
}

const NGINX_503: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

async fn handle(state: &State, req: Request<Incoming>) -> Reply {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let allowed = match &state.guard {
        Guard::Bearer(token) => auth == format!("Bearer {token}"),
        Guard::QueryKey(key) => query.split('&').any(|p| p == format!("api_key={key}")),
        Guard::Down => {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/html",
                NGINX_503.into(),
            );
        }
        Guard::DownOn(prefix) if path.starts_with(prefix.as_str()) => {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/html",
                NGINX_503.into(),
            );
        }
        Guard::DownOn(_) => true,
    };
    if !allowed {
        let body = if state.echo {
            serde_json::json!({"error": "unauthorized", "received": auth, "query": query})
        } else {
            serde_json::json!({"error": "unauthorized"})
        };
        return reply(
            StatusCode::UNAUTHORIZED,
            "application/json",
            body.to_string().into_bytes(),
        );
    }
    forward(state, req, &auth, &query).await
}

async fn forward(state: &State, req: Request<Incoming>, auth: &str, query: &str) -> Reply {
    let method = req.method().clone();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string());
    let mut headers = req.headers().clone();
    headers.remove("host");
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let url = format!("{}{path_and_query}", state.upstream);
    let Ok(method) = reqwest::Method::from_bytes(method.as_str().as_bytes()) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "text/plain",
            b"bad method".to_vec(),
        );
    };
    let mut request = state.client.request(method, &url).body(body.to_vec());
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_bytes());
    }
    let Ok(answer) = request.send().await else {
        return reply(StatusCode::BAD_GATEWAY, "text/html", NGINX_503.into());
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::OK);
    let mut kept = Vec::new();
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            kept.push((name.as_str().to_string(), value.as_bytes().to_vec()));
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default().to_vec();
    let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut object)) if state.echo => {
            object.insert(
                "auth_echo".into(),
                serde_json::Value::String(format!("{auth} {query}")),
            );
            serde_json::to_vec(&object).unwrap_or(bytes)
        }
        _ => bytes,
    };
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    for (name, value) in kept {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_bytes(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
