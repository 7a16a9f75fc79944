//! The 1 KB recorded customer the mocked-peer benchmarks (`peers`, `mock`) serve, and the raw
//! hyper server they compare the mock with. (`peak.rs`, a process's peak memory, is included
//! on its own by the benches that run a process.)

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use interlock::recording::{Body, Exchange, Request, Response as Recorded};
use serde_json::{Value, json};

pub const PATH: &str = "/api/v1/customers/C-1001?expand=owner";

/// A customer record of about 1 KB.
pub fn customer() -> Value {
    let orders: Vec<Value> = (0..10)
        .map(|i| json!({"id": format!("SO-{i:04}"), "amount": 1250.5 + f64::from(i), "currency": "CNY", "status": "booked"}))
        .collect();
    json!({
        "id": "C-1001",
        "name": "ACME Trading Co., Ltd.",
        "tax_id": "91310000MA1FL0000X",
        "credit_limit": 500000,
        "owner": {"id": "U-7", "name": "Kim", "email": "kim@example.com"},
        "address": {"line1": "88 Century Avenue", "city": "Shanghai", "postcode": "200120", "country": "CN"},
        "updated_at": "2024-05-01T08:00:00+08:00",
        "orders": orders,
    })
}

pub fn exchange(body: &Value) -> Exchange {
    let mut headers = interlock::recording::Headers::new();
    interlock::recording::add_header(&mut headers, "content-type", "application/json".into());
    Exchange {
        interface: Some("erp.customer-get".into()),
        peer: Some("erp".into()),
        request: Request {
            method: "GET".into(),
            url: PATH.into(),
            headers: Default::default(),
            body: Body::default(),
        },
        response: Recorded {
            status: 200,
            headers,
            body: Body::from_json(body.clone()),
        },
        duration_ms: None,
        recorded_at: None,
        pseudonymised: Vec::new(),
    }
}

/// Raw hyper: every connection accepted from `listener` (with `TCP_NODELAY`, HTTP/1.1
/// keep-alive, the auto connection builder the mock uses) gets `body` as `application/json` for
/// every request. Runs until the runtime ends.
pub async fn serve_raw(listener: tokio::net::TcpListener, body: Bytes) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true);
    let builder = Arc::new(builder);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        let builder = Arc::clone(&builder);
        tokio::spawn(async move {
            let service = service_fn(move |_request| {
                let mut response = Response::new(Full::new(body.clone()));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/json"),
                );
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
