//! Reading the request and the response of a recording line. A message's own members and its
//! body's (`body`, `body_text`, `body_base64`, one at most) sit side by side in one JSON
//! object; they are read in one pass, each value parsed once, unknown members refused.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::{Body, Headers, Request, Response, StoredBody};

const REQUEST_MEMBERS: &[&str] = &[
    "method",
    "url",
    "headers",
    "body",
    "body_text",
    "body_base64",
];
const RESPONSE_MEMBERS: &[&str] = &["status", "headers", "body", "body_text", "body_base64"];

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = read_members(deserializer, "Request", REQUEST_MEMBERS)?;
        Ok(Request {
            method: members
                .method
                .ok_or_else(|| de::Error::missing_field("method"))?,
            url: members.url.ok_or_else(|| de::Error::missing_field("url"))?,
            headers: members.headers.unwrap_or_default(),
            body: members.body.try_into().map_err(de::Error::custom)?,
        })
    }
}

impl<'de> Deserialize<'de> for Response {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = read_members(deserializer, "Response", RESPONSE_MEMBERS)?;
        Ok(Response {
            status: members
                .status
                .ok_or_else(|| de::Error::missing_field("status"))?,
            headers: members.headers.unwrap_or_default(),
            body: members.body.try_into().map_err(de::Error::custom)?,
        })
    }
}

/// The members of one message object named `name`, among `members`.
fn read_members<'de, D: Deserializer<'de>>(
    deserializer: D,
    name: &'static str,
    members: &'static [&'static str],
) -> Result<Members, D::Error> {
    deserializer.deserialize_struct(name, members, MessageVisitor { members, name })
}

/// What one message object held.
#[derive(Default)]
struct Members {
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
    headers: Option<Headers>,
    body: StoredBody,
}

struct MessageVisitor {
    /// The members this kind of message may have.
    members: &'static [&'static str],
    /// `Request` or `Response`.
    name: &'static str,
}

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {}", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Members::default();
        // Which body members were present, even as `null`.
        let mut seen = [false; 3];
        while let Some(key) = map.next_key::<Member>()? {
            let name = key.name();
            if !self.members.contains(&name) {
                return Err(de::Error::unknown_field(name, self.members));
            }
            match key {
                Member::Method => once(&mut members.method, "method", map.next_value()?)?,
                Member::Url => once(&mut members.url, "url", map.next_value()?)?,
                Member::Status => once(&mut members.status, "status", map.next_value()?)?,
                Member::Headers => once(&mut members.headers, "headers", map.next_value()?)?,
                Member::Body => {
                    seen_once(&mut seen[0], "body")?;
                    members.body.body = map.next_value::<Option<Value>>()?;
                }
                Member::BodyText => {
                    seen_once(&mut seen[1], "body_text")?;
                    members.body.body_text = map.next_value()?;
                }
                Member::BodyBase64 => {
                    seen_once(&mut seen[2], "body_base64")?;
                    members.body.body_base64 = map.next_value()?;
                }
                Member::Other(_) => unreachable!("not among the members, refused above"),
            }
        }
        Ok(members)
    }
}

fn once<T, E: de::Error>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

fn seen_once<E: de::Error>(seen: &mut bool, name: &'static str) -> Result<(), E> {
    if std::mem::replace(seen, true) {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

/// A member name, read without copying a known one.
enum Member {
    Method,
    Url,
    Status,
    Headers,
    Body,
    BodyText,
    BodyBase64,
    Other(String),
}

impl Member {
    fn name(&self) -> &str {
        match self {
            Member::Method => "method",
            Member::Url => "url",
            Member::Status => "status",
            Member::Headers => "headers",
            Member::Body => "body",
            Member::BodyText => "body_text",
            Member::BodyBase64 => "body_base64",
            Member::Other(name) => name,
        }
    }
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Member, E> {
                Ok(match name {
                    "method" => Member::Method,
                    "url" => Member::Url,
                    "status" => Member::Status,
                    "headers" => Member::Headers,
                    "body" => Member::Body,
                    "body_text" => Member::BodyText,
                    "body_base64" => Member::BodyBase64,
                    other => Member::Other(other.to_string()),
                })
            }
        }
        deserializer.deserialize_identifier(Name)
    }
}

impl TryFrom<StoredBody> for Body {
    type Error = &'static str;

    fn try_from(stored: StoredBody) -> Result<Body, Self::Error> {
        match (stored.body, stored.body_text, stored.body_base64) {
            (None, None, None) => Ok(Body::Empty),
            (Some(value), None, None) => Ok(Body::from_json(value)),
            (None, Some(text), None) => Ok(Body::Text(text)),
            (None, None, Some(b64)) => Ok(Body::Base64(b64)),
            _ => Err("a message has one of `body`, `body_text` and `body_base64`, not several"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn message(line: &str) -> String {
        match super::super::parse_line(Path::new("r.jsonl"), 1, line) {
            Some(Ok(exchange)) => format!("{:?} {:?}", exchange.request, exchange.response),
            Some(Err(err)) => err.to_string(),
            None => "blank".to_string(),
        }
    }

    #[test]
    fn a_message_is_read_with_its_body_members_beside_its_own() {
        assert_eq!(
            message(
                r#"{"request":{"method":"POST","url":"/a","headers":{"x":"1"},"body_text":"hi"},"response":{"status":201,"body":{"id":1}}}"#
            ),
            r#"Request { method: "POST", url: "/a", headers: {"x": One("1")}, body: Text("hi") } Response { status: 201, headers: {}, body: Json(Object {"id": Number(1)}) }"#
        );
        // A null body is no body.
        assert!(
            message(
                r#"{"request":{"method":"GET","url":"/a","body":null},"response":{"status":204}}"#
            )
            .contains("body: Empty } Response")
        );
    }

    #[test]
    fn a_bad_message_says_what_is_wrong_and_what_would_be_right() {
        for (line, said) in [
            (
                r#"{"request":{"method":"GET","url":"/a","bdy":1},"response":{"status":200}}"#,
                "r.jsonl:1: invalid exchange: unknown field `bdy`, expected one of `method`, `url`, `headers`, `body`, `body_text`, `body_base64`",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a"},"response":{"status":200,"method":"GET"}}"#,
                "r.jsonl:1: invalid exchange: unknown field `method`, expected one of `status`, `headers`, `body`, `body_text`, `body_base64`",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a","body":1,"body_text":"x"},"response":{"status":200}}"#,
                "r.jsonl:1: invalid exchange: a message has one of `body`, `body_text` and `body_base64`, not several",
            ),
            (
                r#"{"request":{"url":"/a"},"response":{"status":200}}"#,
                "r.jsonl:1: invalid exchange: missing field `method`",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a"},"response":{}}"#,
                "r.jsonl:1: invalid exchange: missing field `status`",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a"},"response":{"status":"200"}}"#,
                "r.jsonl:1: invalid exchange: invalid type: string \"200\", expected u16",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a"},"response":{"status":200,"body_text":1}}"#,
                "r.jsonl:1: invalid exchange: invalid type: integer `1`, expected a string",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a","method":"POST"},"response":{"status":200}}"#,
                "r.jsonl:1: invalid exchange: duplicate field `method`",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a","body":null,"body":2},"response":{"status":200}}"#,
                "r.jsonl:1: invalid exchange: duplicate field `body`",
            ),
            (
                r#"{"request":[],"response":{"status":200}}"#,
                "r.jsonl:1: invalid exchange: invalid type: sequence, expected struct Request",
            ),
            (
                r#"{"request":{"method":"GET","url":"/a"},"response":{"status":200,"body":{"a":1}"#,
                "r.jsonl:1: truncated exchange: the line ends before the JSON object does",
            ),
        ] {
            assert_eq!(message(line), said, "{line}");
        }
    }
}
