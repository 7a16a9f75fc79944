//! Operation-level comparison: operations matched across versions, then their parameters,
//! bodies, media types, statuses and headers, each schema compared in its message's direction.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::api::{Api, Body, Operation, Param};
use super::change::{Change, Location};
use super::compare::{RawChange, SchemaDiff, Where, Wire};
use super::openapi::template_key;
use super::rules::{Direction, Kind};
use super::schema::{Arena, NodeId};
use super::settings::DiffConfig;

/// Changes found under one pair of root schemas, by direction: many operations share their
/// request and response schemas, and each pair is walked once.
type Memo = HashMap<(NodeId, NodeId, Direction, Wire), Vec<RawChange>>;

/// Every change from `old` to `new`, with severities from `config`.
pub(crate) fn diff_apis(old: &Api, new: &Api, config: &DiffConfig) -> Vec<Change> {
    let mut memo = Memo::new();
    let mut out = Vec::new();
    let mut new_left: Vec<Option<&Operation>> = new.operations.iter().map(Some).collect();
    let by_key: HashMap<&str, usize> = new
        .operations
        .iter()
        .enumerate()
        .map(|(i, op)| (op.key.as_str(), i))
        .collect();
    let mut old_left = Vec::new();
    let mut pairs = Vec::new();
    for op in &old.operations {
        match by_key
            .get(op.key.as_str())
            .and_then(|&i| new_left[i].take())
        {
            Some(n) => pairs.push((op, n)),
            None => old_left.push(op),
        }
    }
    // An interface renamed but still serving the same method and path is the same operation.
    let route = |op: &Operation| format!("{} {}", op.method, template_key(&op.path));
    let mut removed = Vec::new();
    for op in old_left {
        let found = new_left
            .iter_mut()
            .find(|slot| slot.is_some_and(|n| route(n) == route(op)))
            .and_then(Option::take);
        match found {
            Some(n) => pairs.push((op, n)),
            None => removed.push(op),
        }
    }
    for op in removed {
        let at = where_of(old, op.file, &op.pointer);
        let (kind, what) = if op.webhook {
            (Kind::WebhookRemoved, "webhook")
        } else {
            (Kind::OperationRemoved, "operation")
        };
        let message = format!("{what} {} ({}) removed", op.display(), op.interface);
        let change = raw(kind, at, json!(op.display()), Value::Null, message);
        out.push(finish(
            config,
            op,
            op,
            Direction::Request,
            &Ctx::operation(),
            change,
        ));
    }
    for op in new_left.into_iter().flatten() {
        let at = where_of(new, op.file, &op.pointer);
        let (kind, what) = if op.webhook {
            (Kind::WebhookAdded, "webhook")
        } else {
            (Kind::OperationAdded, "operation")
        };
        let message = format!("{what} {} ({}) added", op.display(), op.interface);
        let change = raw(kind, at, Value::Null, json!(op.display()), message);
        out.push(finish(
            config,
            op,
            op,
            Direction::Request,
            &Ctx::operation(),
            change,
        ));
    }
    for (o, n) in pairs {
        operation(old, new, o, n, config, &mut memo, &mut out);
    }
    out
}

/// What a message-level change is attached to.
#[derive(Debug, Clone, Default)]
struct Ctx {
    message: &'static str,
    status: Option<String>,
    part: Option<String>,
    name: Option<String>,
    media_type: Option<String>,
}

impl Ctx {
    fn operation() -> Ctx {
        Ctx {
            message: "operation",
            ..Ctx::default()
        }
    }
}

fn raw(kind: Kind, at: Where, old: Value, new: Value, message: String) -> RawChange {
    RawChange {
        kind,
        field: String::new(),
        at,
        old,
        new,
        message,
    }
}

fn where_of(api: &Api, file: usize, pointer: &str) -> Where {
    loc(&api.arena, file, pointer)
}

fn loc(arena: &Arena, file: usize, pointer: &str) -> Where {
    Where {
        file: arena.files.get(file).cloned().unwrap_or_default(),
        pointer: pointer.to_string(),
    }
}

fn finish(
    config: &DiffConfig,
    o: &Operation,
    n: &Operation,
    direction: Direction,
    ctx: &Ctx,
    c: RawChange,
) -> Change {
    let severity = config.severity(c.kind, direction);
    let mut consumers = o.consumers.clone();
    for c in &n.consumers {
        if !consumers.contains(c) {
            consumers.push(c.clone());
        }
    }
    Change {
        kind: c.kind.rule_id(direction),
        severity,
        breaking: severity == super::rules::Severity::Breaking,
        interface: n.interface.clone(),
        operation: n.display(),
        location: Location {
            message: ctx.message.to_string(),
            status: ctx.status.clone(),
            part: ctx.part.clone(),
            name: ctx.name.clone(),
            media_type: ctx.media_type.clone(),
            field: c.field,
            file: c.at.file.display().to_string(),
            path: c.at.pointer,
        },
        old: c.old,
        new: c.new,
        consumers,
        message: c.message,
        usage: None,
        softened_from: None,
        waiver: None,
        rule: Some(c.kind),
    }
}

fn operation(
    old: &Api,
    new: &Api,
    o: &Operation,
    n: &Operation,
    config: &DiffConfig,
    memo: &mut Memo,
    out: &mut Vec<Change>,
) {
    let op_ctx = Ctx::operation();
    if o.method != n.method || template_key(&o.path) != template_key(&n.path) {
        let message = format!(
            "{} moved from {} to {}",
            n.interface,
            o.display(),
            n.display()
        );
        let change = raw(
            Kind::OperationPathChanged,
            where_of(new, n.file, "/operation"),
            json!(o.display()),
            json!(n.display()),
            message,
        );
        out.push(finish(config, o, n, Direction::Request, &op_ctx, change));
    }
    if n.deprecated && !o.deprecated {
        let message = format!("operation {} is now deprecated", n.display());
        let change = raw(
            Kind::OperationDeprecated,
            where_of(new, n.file, &n.pointer),
            json!(false),
            json!(true),
            message,
        );
        out.push(finish(config, o, n, Direction::Request, &op_ctx, change));
    }
    if let (Some(a), Some(b)) = (&o.security, &n.security) {
        for c in super::security::compare(a, b, &n.display()) {
            let change = raw(
                c.kind,
                where_of(new, n.file, &b.pointer),
                c.old,
                c.new,
                c.message,
            );
            out.push(finish(config, o, n, Direction::Request, &op_ctx, change));
        }
    }

    // The request: the consumer writes, the provider reads — except for a webhook, whose
    // request the provider writes and subscribers read.
    let (dir, reply_dir, req_message, resp_message) = if n.webhook {
        (
            Direction::Response,
            Direction::Request,
            "webhook request",
            "webhook response",
        )
    } else {
        (
            Direction::Request,
            Direction::Response,
            "request",
            "response",
        )
    };
    let mut d = SchemaDiff::new(
        &old.arena,
        &new.arena,
        dir,
        config.content_model.for_direction(dir),
    );
    let mut tagged: Vec<(Ctx, RawChange)> = Vec::new();
    let req = Ctx {
        message: req_message,
        ..Ctx::default()
    };
    params(&mut d, memo, &req, &o.params, &n.params, dir, &mut tagged);
    if let (Some(a), Some(b)) = (o.additional_query, n.additional_query)
        && a != b
    {
        let kind = if b {
            Kind::AdditionalQueryOpened
        } else {
            Kind::AdditionalQueryClosed
        };
        let text = if b { "now accepts" } else { "now rejects" };
        let c = raw(
            kind,
            where_of(new, n.file, "/request/additional_query"),
            json!(a),
            json!(b),
            format!("the request {text} query parameters the contract does not name"),
        );
        tagged.push((
            Ctx {
                part: Some("query".into()),
                ..req.clone()
            },
            c,
        ));
    }
    body(
        &mut d,
        memo,
        &req,
        o.body.as_ref(),
        n.body.as_ref(),
        dir,
        &mut tagged,
    );
    for (ctx, c) in tagged {
        out.push(finish(config, o, n, dir, &ctx, c));
    }

    // Each response: the provider writes, the consumers read (for a webhook: the subscriber
    // writes, the provider reads).
    let dir = reply_dir;
    let statuses: Vec<&String> = o
        .responses
        .keys()
        .chain(n.responses.keys().filter(|k| !o.responses.contains_key(*k)))
        .collect();
    for status in statuses {
        let ctx = Ctx {
            message: resp_message,
            status: Some(status.clone()),
            ..Ctx::default()
        };
        let success = status.starts_with('2');
        match (o.responses.get(status), n.responses.get(status)) {
            // The provider reading a subscriber's reply accepts any status it sends.
            (Some(_), None) | (None, Some(_)) if n.webhook => {}
            (Some(_), None) => {
                let kind = if success {
                    Kind::SuccessStatusRemoved
                } else {
                    Kind::StatusRemoved
                };
                let c = raw(
                    kind,
                    where_of(old, o.file, &o.responses[status].pointer),
                    json!(status),
                    Value::Null,
                    format!("response status {status} removed"),
                );
                out.push(finish(config, o, n, dir, &ctx, c));
            }
            (None, Some(r)) => {
                let kind = if success {
                    Kind::SuccessStatusAdded
                } else {
                    Kind::StatusAdded
                };
                let c = raw(
                    kind,
                    where_of(new, n.file, &r.pointer),
                    Value::Null,
                    json!(status),
                    format!("response status {status} added"),
                );
                out.push(finish(config, o, n, dir, &ctx, c));
            }
            (Some(a), Some(b)) => {
                let mut d = SchemaDiff::new(
                    &old.arena,
                    &new.arena,
                    dir,
                    config.content_model.for_direction(dir),
                );
                let mut tagged = Vec::new();
                params(&mut d, memo, &ctx, &a.headers, &b.headers, dir, &mut tagged);
                body(
                    &mut d,
                    memo,
                    &ctx,
                    a.body.as_ref(),
                    b.body.as_ref(),
                    dir,
                    &mut tagged,
                );
                for (ctx, c) in tagged {
                    out.push(finish(config, o, n, dir, &ctx, c));
                }
            }
            (None, None) => {}
        }
    }
}

/// Parameters (request) or headers (response), matched by location and name; path parameters
/// by position, so renaming `{id}` to `{accountId}` is not a change.
fn params(
    d: &mut SchemaDiff<'_>,
    memo: &mut Memo,
    base: &Ctx,
    old: &[Param],
    new: &[Param],
    dir: Direction,
    out: &mut Vec<(Ctx, RawChange)>,
) {
    let mut new_left: Vec<Option<&Param>> = new.iter().map(Some).collect();
    let old_path: Vec<&Param> = old.iter().filter(|p| p.location == "path").collect();
    let new_path: Vec<usize> = (0..new.len())
        .filter(|&i| new[i].location == "path")
        .collect();
    let mut pairs = Vec::new();
    let mut removed = Vec::new();
    for p in old {
        let index = if p.location == "path" && old_path.len() == new_path.len() {
            old_path
                .iter()
                .position(|q| std::ptr::eq(*q, p))
                .map(|i| new_path[i])
        } else {
            new.iter().position(|q| q.key() == p.key())
        };
        match index.and_then(|i| new_left[i].take()) {
            Some(q) => pairs.push((p, q)),
            None => removed.push(p),
        }
    }
    // Written by the provider: response headers, and the headers of a webhook request.
    let header = dir == Direction::Response;
    let ctx_for = |p: &Param| Ctx {
        part: Some(p.location.clone()),
        name: Some(p.name.clone()),
        ..base.clone()
    };
    for p in removed {
        let kind = match (header, p.required) {
            (false, _) => Kind::ParameterRemoved,
            (true, true) => Kind::RequiredHeaderRemoved,
            (true, false) => Kind::OptionalHeaderRemoved,
        };
        let at = p
            .schema
            .map_or_else(|| loc(d.old, p.file, &p.pointer), |s| d.at_old(s));
        let c = raw(
            kind,
            at,
            json!(p.name),
            Value::Null,
            format!("{} `{}` removed", noun(p), p.name),
        );
        out.push((ctx_for(p), c));
    }
    for p in new_left.into_iter().flatten() {
        let kind = match (header, p.required) {
            (false, true) => Kind::RequiredParameterAdded,
            (false, false) => Kind::ParameterAdded,
            (true, _) => Kind::HeaderAdded,
        };
        let at = p
            .schema
            .map_or_else(|| loc(d.new, p.file, &p.pointer), |s| d.at_new(s));
        let required = if p.required { "required" } else { "optional" };
        let c = raw(
            kind,
            at,
            Value::Null,
            json!(p.name),
            format!("{required} {} `{}` added", noun(p), p.name),
        );
        out.push((ctx_for(p), c));
    }
    for (p, q) in pairs {
        let ctx = ctx_for(q);
        let start = d.out.len();
        if p.required != q.required {
            let kind = match (header, q.required) {
                (false, true) => Kind::ParameterBecameRequired,
                (false, false) => Kind::ParameterBecameOptional,
                (true, true) => Kind::HeaderBecameRequired,
                (true, false) => Kind::HeaderBecameOptional,
            };
            let text = if q.required {
                "is now required"
            } else {
                "is now optional"
            };
            let at = q
                .schema
                .map_or_else(|| loc(d.new, q.file, &q.pointer), |s| d.at_new(s));
            d.push(
                kind,
                "",
                at,
                json!(p.required),
                json!(q.required),
                format!("{} `{}` {text}", noun(q), q.name),
            );
        }
        if q.deprecated && !p.deprecated {
            let at = loc(d.new, q.file, &q.pointer);
            d.push(
                Kind::DeprecatedAdded,
                "",
                at,
                json!(false),
                json!(true),
                format!("{} `{}` is now deprecated", noun(q), q.name),
            );
        }
        for c in d.out.drain(start..).collect::<Vec<_>>() {
            out.push((ctx.clone(), c));
        }
        if let (Some(a), Some(b)) = (p.schema, q.schema) {
            // Parameter values are compared as they travel: as text, unless sent as `content`.
            d.wire = q.wire;
            let found = root(d, memo, a, b);
            d.wire = Wire::Json;
            for c in found {
                out.push((ctx.clone(), c));
            }
        }
    }
}

fn noun(p: &Param) -> &'static str {
    match p.location.as_str() {
        "header" => "header",
        "query" => "query parameter",
        "path" => "path parameter",
        "cookie" => "cookie",
        _ => "parameter",
    }
}

fn body(
    d: &mut SchemaDiff<'_>,
    memo: &mut Memo,
    base: &Ctx,
    old: Option<&Body>,
    new: Option<&Body>,
    dir: Direction,
    out: &mut Vec<(Ctx, RawChange)>,
) {
    let ctx = Ctx {
        part: Some("body".into()),
        ..base.clone()
    };
    match (old, new) {
        (None, None) => {}
        (None, Some(b)) => {
            let kind = if dir == Direction::Request && b.required {
                Kind::RequiredBodyAdded
            } else {
                Kind::BodyAdded
            };
            let at = loc(d.new, b.file, &b.pointer);
            out.push((
                ctx,
                raw(
                    kind,
                    at,
                    Value::Null,
                    json!(media_list(b)),
                    format!("{} body added", base.message),
                ),
            ));
        }
        (Some(a), None) => {
            let at = loc(d.old, a.file, &a.pointer);
            out.push((
                ctx,
                raw(
                    Kind::BodyRemoved,
                    at,
                    json!(media_list(a)),
                    Value::Null,
                    format!("{} body removed", base.message),
                ),
            ));
        }
        (Some(a), Some(b)) => {
            if dir == Direction::Request && a.required != b.required {
                let kind = if b.required {
                    Kind::BodyBecameRequired
                } else {
                    Kind::BodyBecameOptional
                };
                let at = loc(d.new, b.file, &b.pointer);
                let text = if b.required { "required" } else { "optional" };
                out.push((
                    ctx.clone(),
                    raw(
                        kind,
                        at,
                        json!(a.required),
                        json!(b.required),
                        format!("request body is now {text}"),
                    ),
                ));
            }
            let medias: BTreeMap<&String, ()> = a
                .content
                .keys()
                .chain(b.content.keys())
                .map(|k| (k, ()))
                .collect();
            for media in medias.keys() {
                let mctx = Ctx {
                    media_type: Some((*media).clone()),
                    ..ctx.clone()
                };
                match (a.content.get(*media), b.content.get(*media)) {
                    (Some(&x), Some(&y)) => {
                        for c in root(d, memo, x, y) {
                            out.push((mctx.clone(), c));
                        }
                    }
                    (Some(&x), None) => {
                        let c = raw(
                            Kind::MediaTypeRemoved,
                            d.at_old(x),
                            json!(media),
                            Value::Null,
                            format!("{} media type `{media}` removed", base.message),
                        );
                        out.push((mctx, c));
                    }
                    (None, Some(&y)) => {
                        let c = raw(
                            Kind::MediaTypeAdded,
                            d.at_new(y),
                            Value::Null,
                            json!(media),
                            format!("{} media type `{media}` added", base.message),
                        );
                        out.push((mctx, c));
                    }
                    (None, None) => {}
                }
            }
        }
    }
}

/// The changes between two root schemas of a message, walked once per diff.
fn root(d: &mut SchemaDiff<'_>, memo: &mut Memo, a: NodeId, b: NodeId) -> Vec<RawChange> {
    if !d.first_visit(a, b) {
        return Vec::new();
    }
    memo.entry((a, b, d.direction, d.wire))
        .or_insert_with(|| d.scratch(a, b))
        .clone()
}

fn media_list(b: &Body) -> Vec<&String> {
    b.content.keys().collect()
}
