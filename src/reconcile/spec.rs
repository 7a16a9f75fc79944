//! The reconciliation file, `reconcile/NAME.yaml`: two sides with their sources and keys, the
//! fields to compare and the thresholds. Loaded in two passes: serde reads the shape (unknown
//! keys denied, positioned by line and column), then every value is checked and each problem is
//! reported at its line with what would be right. The format is specified in
//! `docs/reconcile.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use super::compare::{Comparison, KeyTransform};
use crate::error::{Error, InputError, Position, did_you_mean};

/// The folder of reconciliation files, under the project root.
pub const DIR: &str = "reconcile";

/// A loaded, validated reconciliation.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub name: String,
    pub file: PathBuf,
    pub description: Option<String>,
    /// Exactly two, in the order the file lists them.
    pub sides: [Side; 2],
    pub fields: Vec<Field>,
    pub threshold: Threshold,
}

/// One side: a named source and its key.
#[derive(Debug, Clone)]
pub struct Side {
    pub name: String,
    pub source: Source,
    /// A JSON pointer into each row (a column `c` of a SQL source is `/c`).
    pub key: String,
    pub transforms: Vec<KeyTransform>,
}

/// Where a side's rows come from.
#[derive(Debug, Clone)]
pub enum Source {
    Http(HttpSource),
    Recording {
        file: PathBuf,
        interface: Option<String>,
        items: String,
    },
    Sql {
        database: String,
        query: String,
        /// The reconciliation file and where the query starts in it, for the database's
        /// rejection of a malformed query.
        file: PathBuf,
        at: Position,
    },
}

#[derive(Debug, Clone)]
pub struct HttpSource {
    pub target: String,
    /// `GET`, or `POST` for a search endpoint.
    pub method: String,
    pub path: String,
    /// The JSON body sent with every page of a `POST` (paging stays in the query).
    pub body: Option<serde_json::Value>,
    pub query: Vec<(String, String)>,
    /// Pointer to the array of rows in each page ("" for a body that is the array).
    pub items: String,
    pub paging: Paging,
    /// Requests per second, at most.
    pub rate_limit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    None,
    Page {
        param: String,
        size_param: Option<String>,
        size: Option<u64>,
        first: u64,
    },
    Offset {
        param: String,
        limit_param: String,
        limit: u64,
    },
    Cursor {
        param: String,
        next: String,
    },
    Link,
}

/// One compared field: a pointer per side and how the values compare.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub pointers: [String; 2],
    pub comparison: Comparison,
    /// `money`: the currency pointer per side.
    pub currency: Option<[String; 2]>,
    pub max_mismatch_rate: Option<f64>,
}

/// Limits that fail the reconciliation (exit 1) when exceeded; rates are fractions.
#[derive(Debug, Clone, Default)]
pub struct Threshold {
    pub max_mismatch_rate: Option<f64>,
    /// Keys on one side only, either side.
    pub max_missing_rate: Option<f64>,
    /// Per side (`max_missing_in_SIDE`): keys of the other side this side lacks.
    pub max_missing_in: [Option<f64>; 2],
}

// ---- raw shape ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    description: Option<String>,
    sides: OrderedMap<RawSide>,
    #[serde(default)]
    fields: OrderedMap<RawField>,
    #[serde(default)]
    threshold: Option<OrderedMap<serde_yaml_ng::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSide {
    #[serde(default)]
    http: Option<RawHttp>,
    #[serde(default)]
    recording: Option<RawRecording>,
    #[serde(default)]
    sql: Option<RawSql>,
    key: Option<String>,
    #[serde(default)]
    key_transform: Vec<RawTransform>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    target: String,
    #[serde(default)]
    method: Option<String>,
    path: String,
    #[serde(default)]
    body: Option<serde_json::Value>,
    #[serde(default)]
    query: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(default)]
    items: Option<String>,
    #[serde(default)]
    paging: Option<RawPaging>,
    #[serde(default)]
    rate_limit: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaging {
    #[serde(default)]
    page: Option<RawPage>,
    #[serde(default)]
    offset: Option<RawOffset>,
    #[serde(default)]
    cursor: Option<RawCursor>,
    #[serde(default)]
    link: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    #[serde(default = "default_page_param")]
    param: String,
    #[serde(default)]
    size_param: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default = "one")]
    first: u64,
}

fn default_page_param() -> String {
    "page".to_owned()
}
fn one() -> u64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffset {
    #[serde(default = "default_offset_param")]
    param: String,
    #[serde(default = "default_limit_param")]
    limit_param: String,
    limit: u64,
}

fn default_offset_param() -> String {
    "offset".to_owned()
}
fn default_limit_param() -> String {
    "limit".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCursor {
    #[serde(default = "default_cursor_param")]
    param: String,
    next: String,
}

fn default_cursor_param() -> String {
    "cursor".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecording {
    file: String,
    #[serde(default)]
    interface: Option<String>,
    #[serde(default)]
    items: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSql {
    database: String,
    query: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTransform {
    Name(String),
    WithArg(BTreeMap<String, String>),
}

#[derive(Deserialize)]
struct RawField {
    #[serde(default)]
    compare: Option<String>,
    #[serde(default)]
    tolerance: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    scale: Option<u32>,
    #[serde(default)]
    currency: Option<BTreeMap<String, String>>,
    #[serde(default)]
    map: Option<BTreeMap<String, serde_yaml_ng::Value>>,
    #[serde(default)]
    max_mismatch_rate: Option<serde_yaml_ng::Value>,
    /// The side names with their pointers; anything else is reported as an unknown key.
    #[serde(flatten)]
    sides: BTreeMap<String, serde_yaml_ng::Value>,
}

const FIELD_OPTIONS: &[&str] = &[
    "compare",
    "tolerance",
    "scale",
    "currency",
    "map",
    "max_mismatch_rate",
];

/// A YAML mapping read in file order (the first side listed is the first side).
struct OrderedMap<T>(Vec<(String, T)>);

impl<T> Default for OrderedMap<T> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OrderedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, T>()? {
                    entries.push((k, v));
                }
                Ok(OrderedMap(entries))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

// ---- loading ----

/// The `*.yaml` / `*.yml` files of the reconcile folder, by name. A missing folder has none.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Error::io("read", dir, &err)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    Ok(files)
}

/// The reconciliation's name: its file stem.
pub fn name_of(file: &Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("reconcile")
        .to_owned()
}

/// Loads and validates one reconciliation file; every problem is reported, each at its line.
pub fn load(file: &Path) -> Result<Reconciliation, Error> {
    let text = crate::fsutil::read_document(file, "reconciliation")?;
    let raw: RawFile = {
        let de = serde_yaml_ng::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|err| {
            let pointer = crate::scenario::path_to_pointer(err.path());
            let mut e = crate::json::yaml_error(file, err.inner());
            e.message = format!(
                "{} (at {})",
                e.message.trim_start_matches("invalid YAML: "),
                crate::json::display_pointer(&pointer)
            );
            if err.inner().location().is_none() {
                e.position = position(&text, &pointer);
            }
            e.hint = crate::contract::unknown_field_hint(&e.message);
            e
        })?
    };
    let mut v = Validator {
        file,
        text: &text,
        errors: Vec::new(),
    };
    let reconciliation = v.validate(raw);
    if !v.errors.is_empty() {
        return Err(Error::Input(v.errors));
    }
    reconciliation.ok_or_else(|| Error::Input(vec![InputError::in_file(file, "invalid")]))
}

struct Validator<'a> {
    file: &'a Path,
    text: &'a str,
    errors: Vec<InputError>,
}

impl Validator<'_> {
    fn error(&mut self, pointer: &str, message: impl Into<String>, hint: Option<String>) {
        let message = format!(
            "{} (at {})",
            message.into(),
            crate::json::display_pointer(pointer)
        );
        self.errors.push(
            InputError::new(self.file, position(self.text, pointer), message).with_hint_opt(hint),
        );
    }

    fn validate(&mut self, raw: RawFile) -> Option<Reconciliation> {
        if raw.sides.0.len() != 2 {
            let names: Vec<&str> = raw.sides.0.iter().map(|(n, _)| n.as_str()).collect();
            self.error(
                "/sides",
                format!(
                    "a reconciliation compares exactly two sides; this file names {} ({})",
                    names.len(),
                    names.join(", ")
                ),
                Some("e.g. `sides: {crm: …, erp: …}`".to_owned()),
            );
            return None;
        }
        let names = [raw.sides.0[0].0.clone(), raw.sides.0[1].0.clone()];
        let sql = [
            raw.sides.0[0].1.sql.is_some(),
            raw.sides.0[1].1.sql.is_some(),
        ];
        let mut sides = Vec::new();
        for (name, side) in raw.sides.0 {
            sides.push(self.side(&name, side));
        }
        let mut fields = Vec::new();
        for (name, field) in raw.fields.0 {
            if let Some(field) = self.field(&names, sql, &name, field) {
                fields.push(field);
            }
        }
        if fields.is_empty() && self.errors.is_empty() {
            self.error(
                "/fields",
                "no fields to compare",
                Some("add e.g. `fields: {amount: {crm: /amount, erp: /amount_due, compare: decimal}}`".to_owned()),
            );
        }
        let threshold = self.threshold(&names, raw.threshold.unwrap_or_default());
        let [Some(a), Some(b)]: [Option<Side>; 2] = sides.try_into().ok()? else {
            return None;
        };
        Some(Reconciliation {
            name: name_of(self.file),
            file: self.file.to_path_buf(),
            description: raw.description,
            sides: [a, b],
            fields,
            threshold,
        })
    }

    fn side(&mut self, name: &str, raw: RawSide) -> Option<Side> {
        let base = format!("/sides/{name}");
        let kinds = [
            raw.http.is_some(),
            raw.recording.is_some(),
            raw.sql.is_some(),
        ];
        let count = kinds.iter().filter(|k| **k).count();
        if count != 1 {
            self.error(
                &base,
                format!(
                    "side `{name}` needs exactly one source, `http`, `recording` or `sql`; it has {count}"
                ),
                None,
            );
            return None;
        }
        let is_sql = raw.sql.is_some();
        let source = if let Some(http) = raw.http {
            Source::Http(self.http(&format!("{base}/http"), http)?)
        } else if let Some(rec) = raw.recording {
            self.recording(&format!("{base}/recording"), rec)?
        } else {
            let sql = raw.sql?;
            if sql.query.trim().is_empty() {
                self.error(&format!("{base}/sql/query"), "the query is empty", None);
            }
            Source::Sql {
                database: sql.database,
                query: sql.query.trim().trim_end_matches(';').to_owned(),
                file: self.file.to_path_buf(),
                at: value_position(self.text, &format!("{base}/sql/query")),
            }
        };
        let Some(key) = raw.key else {
            self.error(
                &base,
                format!("side `{name}` has no `key`"),
                Some(if is_sql {
                    "name the key column, e.g. `key: customer_id`".to_owned()
                } else {
                    "give the key's JSON pointer in each row, e.g. `key: /id`".to_owned()
                }),
            );
            return None;
        };
        let key = self.pointer(&format!("{base}/key"), &key, is_sql)?;
        let mut transforms = Vec::new();
        for (i, t) in raw.key_transform.into_iter().enumerate() {
            let pointer = format!("{base}/key_transform/{i}");
            let parsed = match t {
                RawTransform::Name(name) => KeyTransform::parse(&name, None),
                RawTransform::WithArg(map) if map.len() == 1 => {
                    let (name, arg) = map.into_iter().next()?;
                    KeyTransform::parse(&name, Some(arg))
                }
                RawTransform::WithArg(_) => Err((
                    "a transform with an argument is one entry, e.g. `strip_prefix: CRM-`"
                        .to_owned(),
                    None,
                )),
            };
            match parsed {
                Ok(t) => transforms.push(t),
                Err((message, hint)) => self.error(&pointer, message, hint),
            }
        }
        Some(Side {
            name: name.to_owned(),
            source,
            key,
            transforms,
        })
    }

    /// A JSON pointer; on a SQL side a bare column name `c` stands for `/c`.
    fn pointer(&mut self, at: &str, text: &str, sql: bool) -> Option<String> {
        if text.starts_with('/') || text.is_empty() {
            return Some(text.to_owned());
        }
        if sql {
            return Some(format!("/{}", crate::json::escape_pointer_token(text)));
        }
        self.error(
            at,
            format!("`{text}` is not a JSON pointer"),
            Some(format!("a pointer starts with `/`: write `/{text}`")),
        );
        None
    }

    fn http(&mut self, base: &str, raw: RawHttp) -> Option<HttpSource> {
        let method = raw
            .method
            .unwrap_or_else(|| "GET".to_owned())
            .to_uppercase();
        if method != "GET" && method != "POST" {
            self.error(
                &format!("{base}/method"),
                format!("`{method}` cannot list records: an HTTP source reads with GET, or POST for a search endpoint"),
                did_you_mean(&method, ["GET", "POST"]).or_else(|| {
                    Some("list with GET and `query` parameters, or POST a search `body`".to_owned())
                }),
            );
        }
        if raw.body.is_some() && method == "GET" {
            self.error(
                &format!("{base}/body"),
                "a GET request has no body",
                Some("write `method: POST` for a search endpoint that takes one".to_owned()),
            );
        }
        if !raw.path.starts_with('/') {
            self.error(
                &format!("{base}/path"),
                format!("`{}` is not a path", raw.path),
                Some(format!("write `/{}`", raw.path.trim_start_matches('/'))),
            );
        }
        let items = self.pointer(
            &format!("{base}/items"),
            raw.items.as_deref().unwrap_or(""),
            false,
        )?;
        let mut query = Vec::new();
        for (name, value) in raw.query {
            let value = match value {
                serde_yaml_ng::Value::String(s) => s,
                serde_yaml_ng::Value::Number(n) => n.to_string(),
                serde_yaml_ng::Value::Bool(b) => b.to_string(),
                _ => {
                    self.error(
                        &format!("{base}/query/{name}"),
                        "a query parameter is a string, number or boolean",
                        None,
                    );
                    continue;
                }
            };
            query.push((name, value));
        }
        let paging = match raw.paging {
            None => Paging::None,
            Some(p) => self.paging(&format!("{base}/paging"), p)?,
        };
        if let Some(rate) = raw.rate_limit
            && !(rate.is_finite() && rate > 0.0)
        {
            self.error(
                &format!("{base}/rate_limit"),
                format!("{rate} is not a positive number of requests per second"),
                None,
            );
        }
        Some(HttpSource {
            target: raw.target,
            method,
            path: raw.path,
            body: raw.body,
            query,
            items,
            paging,
            rate_limit: raw.rate_limit,
        })
    }

    fn paging(&mut self, base: &str, raw: RawPaging) -> Option<Paging> {
        let count = [
            raw.page.is_some(),
            raw.offset.is_some(),
            raw.cursor.is_some(),
            raw.link.unwrap_or(false),
        ]
        .iter()
        .filter(|k| **k)
        .count();
        if count != 1 {
            self.error(
                base,
                "paging is one of `page`, `offset`, `cursor` or `link: true`",
                None,
            );
            return None;
        }
        if let Some(p) = raw.page {
            if p.size == Some(0) {
                self.error(
                    &format!("{base}/page/size"),
                    "a page size is at least 1",
                    None,
                );
            }
            return Some(Paging::Page {
                param: p.param,
                size_param: p.size_param,
                size: p.size,
                first: p.first,
            });
        }
        if let Some(o) = raw.offset {
            if o.limit == 0 {
                self.error(
                    &format!("{base}/offset/limit"),
                    "a limit is at least 1",
                    None,
                );
            }
            return Some(Paging::Offset {
                param: o.param,
                limit_param: o.limit_param,
                limit: o.limit,
            });
        }
        if let Some(c) = raw.cursor {
            let next = self.pointer(&format!("{base}/cursor/next"), &c.next, false)?;
            return Some(Paging::Cursor {
                param: c.param,
                next,
            });
        }
        Some(Paging::Link)
    }

    fn recording(&mut self, base: &str, raw: RawRecording) -> Option<Source> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        let file = dir.join(&raw.file);
        if !file.is_file() {
            let names: Vec<String> = std::fs::read_dir(file.parent().unwrap_or(dir))
                .map(|rd| {
                    rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                        .collect()
                })
                .unwrap_or_default();
            let wanted = Path::new(&raw.file)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(&raw.file)
                .to_owned();
            self.error(
                &format!("{base}/file"),
                format!(
                    "recording `{}` does not exist (paths are relative to {})",
                    raw.file,
                    dir.display()
                ),
                did_you_mean(&wanted, names.iter().map(String::as_str)),
            );
            return None;
        }
        match crate::recording::read(&file) {
            Ok(recording) => {
                if let Some(interface) = &raw.interface
                    && !recording
                        .iter()
                        .any(|e| e.interface.as_deref() == Some(interface.as_str()))
                {
                    let known: Vec<&str> = recording
                        .iter()
                        .filter_map(|e| e.interface.as_deref())
                        .collect();
                    self.error(
                        &format!("{base}/interface"),
                        format!(
                            "no exchange of interface `{interface}` in {}",
                            file.display()
                        ),
                        did_you_mean(interface, known),
                    );
                }
            }
            Err(mut errors) => self.errors.append(&mut errors),
        }
        let items = self.pointer(
            &format!("{base}/items"),
            raw.items.as_deref().unwrap_or(""),
            false,
        )?;
        Some(Source::Recording {
            file,
            interface: raw.interface,
            items,
        })
    }

    fn field(
        &mut self,
        sides: &[String; 2],
        sql: [bool; 2],
        name: &str,
        raw: RawField,
    ) -> Option<Field> {
        let base = format!("/fields/{}", crate::json::escape_pointer_token(name));
        let mut ok = true;
        for key in raw.sides.keys() {
            if !sides.contains(key) {
                let candidates = sides
                    .iter()
                    .map(String::as_str)
                    .chain(FIELD_OPTIONS.iter().copied());
                self.error(
                    &format!("{base}/{key}"),
                    format!(
                        "`{key}` is neither a side ({}) nor an option of a field",
                        sides.join(", ")
                    ),
                    did_you_mean(key, candidates),
                );
                ok = false;
            }
        }
        let mut pointers = Vec::new();
        for (side, sql) in sides.iter().zip(sql) {
            match raw.sides.get(side) {
                Some(serde_yaml_ng::Value::String(p)) => {
                    let at = format!("{base}/{side}");
                    match self.pointer(&at, p, sql) {
                        Some(p) => pointers.push(p),
                        None => ok = false,
                    }
                }
                Some(_) => {
                    self.error(
                        &format!("{base}/{side}"),
                        "a field's place on a side is a JSON pointer string",
                        None,
                    );
                    ok = false;
                }
                None if raw.sides.keys().all(|k| sides.contains(k)) => {
                    // Same name on both sides by default.
                    pointers.push(format!("/{}", crate::json::escape_pointer_token(name)));
                }
                None => ok = false,
            }
        }
        let compare = raw.compare.as_deref().unwrap_or("exact");
        let tolerance = raw.tolerance.as_ref().map(yaml_scalar);
        let map = raw.map.map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, yaml_scalar(&v)))
                .collect::<BTreeMap<_, _>>()
        });
        let comparison = match Comparison::parse(compare, tolerance.as_deref(), raw.scale, map) {
            Ok(c) => Some(c),
            Err((at, message, hint)) => {
                self.error(&format!("{base}/{at}"), message, hint);
                None
            }
        };
        let currency = match (&comparison, raw.currency) {
            (Some(Comparison::Money { .. }), Some(c)) => {
                let mut both = Vec::new();
                for (side, sql) in sides.iter().zip(sql) {
                    match c.get(side) {
                        Some(p) => {
                            both.push(self.pointer(&format!("{base}/currency/{side}"), p, sql))
                        }
                        None => {
                            self.error(
                                &format!("{base}/currency"),
                                format!("no currency pointer for side `{side}`"),
                                Some(format!(
                                    "e.g. `currency: {{{}: /currency, {}: /currency}}`",
                                    sides[0], sides[1]
                                )),
                            );
                            both.push(None);
                        }
                    }
                }
                match (both.remove(0), both.remove(0)) {
                    (Some(a), Some(b)) => Some([a, b]),
                    _ => None,
                }
            }
            (Some(Comparison::Money { .. }), None) => {
                self.error(
                    &base,
                    "`money` compares amounts and their currencies: give `currency` pointers",
                    Some(format!(
                        "e.g. `currency: {{{}: /currency, {}: /currency}}`",
                        sides[0], sides[1]
                    )),
                );
                None
            }
            (Some(_), Some(_)) => {
                self.error(
                    &format!("{base}/currency"),
                    "`currency` applies to `compare: money` only",
                    None,
                );
                None
            }
            _ => None,
        };
        let max_mismatch_rate =
            self.rate(&format!("{base}/max_mismatch_rate"), raw.max_mismatch_rate);
        let comparison = comparison?;
        if !ok || pointers.len() != 2 {
            return None;
        }
        let b = pointers.pop()?;
        let a = pointers.pop()?;
        Some(Field {
            name: name.to_owned(),
            pointers: [a, b],
            comparison,
            currency,
            max_mismatch_rate,
        })
    }

    /// A rate: `5%`, or a fraction like `0.05`.
    /// `max_mismatch_rate`, `max_missing_rate` and `max_missing_in_SIDE` for either side.
    fn threshold(
        &mut self,
        sides: &[String; 2],
        raw: OrderedMap<serde_yaml_ng::Value>,
    ) -> Threshold {
        let mut threshold = Threshold::default();
        let per_side = sides.clone().map(|side| format!("max_missing_in_{side}"));
        for (name, value) in raw.0 {
            let at = format!("/threshold/{}", crate::json::escape_pointer_token(&name));
            let rate = self.rate(&at, Some(value));
            if name == "max_mismatch_rate" {
                threshold.max_mismatch_rate = rate;
            } else if name == "max_missing_rate" {
                threshold.max_missing_rate = rate;
            } else if let Some(i) = per_side.iter().position(|p| *p == name) {
                threshold.max_missing_in[i] = rate;
            } else {
                let known: Vec<&str> = ["max_mismatch_rate", "max_missing_rate"]
                    .into_iter()
                    .chain(per_side.iter().map(String::as_str))
                    .collect();
                self.error(
                    &at,
                    format!("unknown threshold `{name}`; one of {}", known.join(", ")),
                    did_you_mean(&name, known.iter().copied()),
                );
            }
        }
        threshold
    }

    fn rate(&mut self, at: &str, raw: Option<serde_yaml_ng::Value>) -> Option<f64> {
        let raw = raw?;
        let text = yaml_scalar(&raw);
        match parse_rate(&text) {
            Some(rate) => Some(rate),
            None => {
                self.error(
                    at,
                    format!("`{text}` is not a rate"),
                    Some("write a percentage such as `1%` or a fraction such as `0.01`".to_owned()),
                );
                None
            }
        }
    }
}

/// `5%` → 0.05, `0.05` → 0.05; between 0 and 1.
pub fn parse_rate(text: &str) -> Option<f64> {
    let text = text.trim();
    let rate = match text.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().ok()? / 100.0,
        None => text.parse::<f64>().ok()?,
    };
    (rate.is_finite() && (0.0..=1.0).contains(&rate)).then_some(rate)
}

/// `1.5s`, `500ms`, `2m`, `1h` or a number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, "s"),
    };
    let n: f64 = number.trim().parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn yaml_scalar(value: &serde_yaml_ng::Value) -> String {
    match value {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        serde_yaml_ng::Value::Bool(b) => b.to_string(),
        serde_yaml_ng::Value::Null => "null".to_owned(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// The line of `pointer` in a block-style YAML text: each key is looked for below its parent,
/// indented deeper; list indices count `- ` entries. Falls back to the deepest part found, or
/// the pointer itself when nothing is.
pub(crate) fn position(text: &str, pointer: &str) -> Position {
    match line_of(text, pointer) {
        Some(line) => Position::Line(line),
        None => Position::Pointer(pointer.to_owned()),
    }
}

/// Where the value at `pointer` starts, line and column: after `key:` on the key's line, or on
/// the next line for a block scalar (`|`, `>`).
pub(crate) fn value_position(text: &str, pointer: &str) -> Position {
    let Some(line) = line_of(text, pointer) else {
        return Position::Pointer(pointer.to_owned());
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some(this) = lines.get(line.saturating_sub(1)) else {
        return Position::Line(line);
    };
    let column_of = |l: &str, byte: usize| l[..byte].chars().count() + 1;
    let needle = format!("{}:", pointer.rsplit('/').next().unwrap_or(""));
    let Some(at) = this.find(&needle) else {
        return Position::LineColumn {
            line,
            column: column_of(this, this.len() - this.trim_start().len()),
        };
    };
    let after = &this[at + needle.len()..];
    let value = after.trim_start();
    if (value.starts_with('|') || value.starts_with('>'))
        && let Some((i, next)) = lines
            .iter()
            .enumerate()
            .skip(line)
            .find(|(_, l)| !l.trim().is_empty())
    {
        return Position::LineColumn {
            line: i + 1,
            column: column_of(next, next.len() - next.trim_start().len()),
        };
    }
    Position::LineColumn {
        line,
        column: column_of(this, this.len() - value.len()),
    }
}

fn line_of(text: &str, pointer: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut found: Option<usize> = None;
    let mut start = 0usize;
    let mut parent: Option<usize> = None;
    for token in pointer.split('/').skip(1) {
        let token = crate::json::unescape_pointer_token(token);
        let index = token.parse::<usize>().ok();
        let mut seen = 0;
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let item = t.starts_with("- ") || t == "-";
            if let Some(p) = parent
                && (indent(line) < p || (indent(line) == p && !(item && index.is_some())))
            {
                break;
            }
            if let Some(index) = index {
                if item {
                    if seen == index {
                        hit = Some(i);
                        break;
                    }
                    seen += 1;
                }
                continue;
            }
            let t = t.trim_start_matches("- ");
            let key = t
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
            if key == token && t.contains(':') {
                hit = Some(i);
                break;
            }
        }
        let Some(i) = hit else { break };
        found = Some(i);
        parent = Some(indent(lines[i]));
        start = i + 1;
    }
    found.map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_pointers() {
        let text = "sides:\n  crm:\n    key: id\n  erp:\n    key: /x\nfields:\n  amount:\n    compare: decmal\n";
        assert_eq!(line_of(text, "/sides/crm/key"), Some(3));
        assert_eq!(line_of(text, "/sides/erp/key"), Some(5));
        assert_eq!(line_of(text, "/fields/amount/compare"), Some(8));
        assert_eq!(line_of(text, "/fields/amount"), Some(7));
    }

    #[test]
    fn a_querys_position_is_where_its_text_starts() {
        let text = "sides:\n  erp:\n    sql:\n      database: erp\n      query: SELECT 1\n  crm:\n    sql:\n      query: |\n        SELECT 2\n";
        assert_eq!(
            value_position(text, "/sides/erp/sql/query"),
            Position::LineColumn {
                line: 5,
                column: 14
            }
        );
        assert_eq!(
            value_position(text, "/sides/crm/sql/query"),
            Position::LineColumn { line: 9, column: 9 }
        );
    }

    #[test]
    fn rates_and_durations() {
        assert_eq!(parse_rate("5%"), Some(0.05));
        assert_eq!(parse_rate("0.01"), Some(0.01));
        assert_eq!(parse_rate("150%"), None);
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("2 fortnights"), None);
    }
}
