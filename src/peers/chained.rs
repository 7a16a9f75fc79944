//! Request chaining at a mocked peer: a value the target generated reaches the peer before any
//! response reveals it (the ERP sync carrying the new customer id). The peer binds it from the
//! request ([`Chain::bind_peer_request`]), matches the request as if it carried the recorded
//! value, and answers with its recorded reply carrying the live value instead.

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Uri};

use super::matcher::LiveRequest;
use super::routes::Reply;
use crate::link::Chain;
use crate::recording::{self, Body, Headers};

/// The live request as the recording would have it, after binding what it reveals; `None`
/// when it is unchanged.
pub(super) fn to_recorded(chain: &Chain, peer: &str, live: &LiveRequest) -> Option<LiveRequest> {
    if chain.is_idle() {
        return None;
    }
    let request = as_recorded(live);
    chain.bind_peer_request(peer, &request);
    let translated = chain.request_to_recorded(&request);
    if translated == request {
        return None;
    }
    let uri: Uri = translated.url.parse().ok()?;
    let mut headers = HeaderMap::new();
    for (name, values) in &translated.headers {
        let Ok(name) = hyper::header::HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values.values() {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(name.clone(), value);
            }
        }
    }
    let mut request = LiveRequest::new(
        live.method.clone(),
        uri,
        headers,
        Bytes::from(translated.body.to_bytes()),
    );
    if let Some(json) = translated.body.json() {
        request.json = Some(json.clone());
    }
    Some(request)
}

/// A recorded reply with bound values replaced by their live values.
pub(super) fn to_live(chain: &Chain, reply: &Reply) -> Option<Reply> {
    if chain.is_idle() {
        return None;
    }
    let body = chain.bytes_to_live(&reply.body);
    let mut headers = reply.headers.clone();
    let mut changed = body.is_some();
    for value in headers.values_mut() {
        let Ok(text) = value.to_str() else {
            continue;
        };
        let live = chain.text_to_live(text);
        if live != text
            && let Ok(new) = HeaderValue::from_str(&live)
        {
            *value = new;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    if body.is_some() {
        headers.remove(hyper::header::CONTENT_LENGTH);
    }
    Some(Reply {
        status: reply.status,
        headers,
        body: body.map_or_else(|| reply.body.clone(), Bytes::from),
    })
}

/// A live request in the recording's terms (method, path and query, headers, body).
fn as_recorded(live: &LiveRequest) -> recording::Request {
    let mut headers = Headers::new();
    for (name, value) in &live.headers {
        recording::add_header(
            &mut headers,
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    let body = match &live.json {
        Some(json) => Body::from_json(json.clone()),
        None => {
            let content_type = live
                .headers
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            Body::from_bytes(content_type, &live.body)
        }
    };
    recording::Request {
        method: live.method.to_string(),
        url: live.url().to_string(),
        headers,
        body,
    }
}
