//! JUnit XML as the widely used `junit-10.xsd` (the Jenkins xUnit plugin's schema) defines it,
//! written with `quick-xml`: what both JUnit outputs (`run --junit`, `diff --format junit`)
//! share.
//!
//! The schema lets a `<testcase>` carry any number of `<failure>` elements, and `<testsuites>`
//! carry the run's totals; the model here allows both. A testcase counts once in its suite's
//! `failures`, `errors` or `skipped`, whatever number of elements it carries, so `tests` is
//! never less than their sum.

use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, Event};

/// The whole document: `<testsuites>` with its totals.
#[derive(Debug, Default)]
pub(crate) struct Suites {
    pub(crate) suites: Vec<Suite>,
}

/// One `<testsuite>`.
#[derive(Debug, Default)]
pub(crate) struct Suite {
    pub(crate) name: String,
    /// `package`, when there is one.
    pub(crate) package: Option<String>,
    /// `timestamp` (RFC 3339), when known.
    pub(crate) timestamp: Option<String>,
    pub(crate) cases: Vec<Case>,
}

/// One `<testcase>` and what it carries.
#[derive(Debug, Default)]
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) classname: Option<String>,
    pub(crate) time: Duration,
    pub(crate) results: Vec<Outcome>,
    /// `<system-out>` text.
    pub(crate) system_out: Option<String>,
}

/// A result element of a testcase; a testcase with none passed.
#[derive(Debug)]
pub(crate) enum Outcome {
    Failure(Detail),
    Error(Detail),
    Skipped { message: Option<String> },
}

/// The `type`, `message` and text of a `<failure>` or an `<error>`.
#[derive(Debug)]
pub(crate) struct Detail {
    pub(crate) kind: String,
    pub(crate) message: String,
    pub(crate) text: Option<String>,
}

impl Case {
    fn has(&self, want: fn(&Outcome) -> bool) -> bool {
        self.results.iter().any(want)
    }
    fn is_error(&self) -> bool {
        self.has(|o| matches!(o, Outcome::Error(_)))
    }
    fn is_failure(&self) -> bool {
        !self.is_error() && self.has(|o| matches!(o, Outcome::Failure(_)))
    }
    fn is_skipped(&self) -> bool {
        !self.is_error() && !self.is_failure() && self.has(|o| matches!(o, Outcome::Skipped { .. }))
    }
}

/// Testcases, failed, errored and skipped testcases, and the summed time.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) tests: usize,
    pub(crate) failures: usize,
    pub(crate) errors: usize,
    pub(crate) skipped: usize,
    pub(crate) time: Duration,
}

impl Totals {
    fn of(cases: &[Case]) -> Totals {
        Totals {
            tests: cases.len(),
            failures: cases.iter().filter(|c| c.is_failure()).count(),
            errors: cases.iter().filter(|c| c.is_error()).count(),
            skipped: cases.iter().filter(|c| c.is_skipped()).count(),
            time: cases.iter().map(|c| c.time).sum(),
        }
    }

    fn add(self, other: Totals) -> Totals {
        Totals {
            tests: self.tests + other.tests,
            failures: self.failures + other.failures,
            errors: self.errors + other.errors,
            skipped: self.skipped + other.skipped,
            time: self.time + other.time,
        }
    }
}

impl Suites {
    /// The totals of every suite.
    pub(crate) fn totals(&self) -> Totals {
        self.suites
            .iter()
            .map(|s| Totals::of(&s.cases))
            .fold(Totals::default(), Totals::add)
    }

    /// The document, UTF-8, with no whitespace between elements and a final newline.
    pub(crate) fn to_xml(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        // Writing into memory cannot fail.
        let _ = self.write(&mut writer);
        let mut bytes = writer.into_inner();
        bytes.push(b'\n');
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn write(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let totals = self.totals();
        let root = BytesStart::new("testsuites").with_attributes([
            ("tests", totals.tests.to_string().as_str()),
            ("failures", totals.failures.to_string().as_str()),
            ("errors", totals.errors.to_string().as_str()),
            ("time", seconds(totals.time).as_str()),
        ]);
        if self.suites.is_empty() {
            return w.write_event(Event::Empty(root));
        }
        w.write_event(Event::Start(root))?;
        for (id, suite) in self.suites.iter().enumerate() {
            suite.write(id, w)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuites")))
    }
}

impl Suite {
    fn write(&self, id: usize, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let totals = Totals::of(&self.cases);
        let mut start = BytesStart::new("testsuite");
        let id = id.to_string();
        let name = attr(&self.name);
        start.push_attribute(("id", id.as_str()));
        start.push_attribute(("name", name.as_str()));
        if let Some(package) = &self.package {
            start.push_attribute(("package", attr(package).as_str()));
        }
        for (key, value) in [
            ("tests", totals.tests),
            ("failures", totals.failures),
            ("errors", totals.errors),
            ("skipped", totals.skipped),
        ] {
            start.push_attribute((key, value.to_string().as_str()));
        }
        start.push_attribute(("hostname", "localhost"));
        if let Some(timestamp) = &self.timestamp {
            start.push_attribute(("timestamp", timestamp.as_str()));
        }
        start.push_attribute(("time", seconds(totals.time).as_str()));
        if self.cases.is_empty() {
            return w.write_event(Event::Empty(start));
        }
        w.write_event(Event::Start(start))?;
        for case in &self.cases {
            case.write(w)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))
    }
}

impl Case {
    fn write(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let mut start = BytesStart::new("testcase");
        start.push_attribute(("name", attr(&self.name).as_str()));
        start.push_attribute(("time", seconds(self.time).as_str()));
        if let Some(classname) = &self.classname {
            start.push_attribute(("classname", attr(classname).as_str()));
        }
        if self.results.is_empty() && self.system_out.is_none() {
            return w.write_event(Event::Empty(start));
        }
        w.write_event(Event::Start(start))?;
        for outcome in &self.results {
            match outcome {
                Outcome::Failure(detail) => detail.write("failure", w)?,
                Outcome::Error(detail) => detail.write("error", w)?,
                Outcome::Skipped { message } => {
                    let mut skipped = BytesStart::new("skipped");
                    if let Some(message) = message {
                        skipped.push_attribute(("message", attr(message).as_str()));
                    }
                    w.write_event(Event::Empty(skipped))?;
                }
            }
        }
        if let Some(out) = &self.system_out {
            w.write_event(Event::Start(BytesStart::new("system-out")))?;
            write_cdata(out, w)?;
            w.write_event(Event::End(BytesEnd::new("system-out")))?;
        }
        w.write_event(Event::End(BytesEnd::new("testcase")))
    }
}

impl Detail {
    fn write(&self, element: &str, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let start = BytesStart::new(element).with_attributes([
            ("type", attr(&self.kind).as_str()),
            ("message", attr(&self.message).as_str()),
        ]);
        match &self.text {
            None => w.write_event(Event::Empty(start)),
            Some(text) => {
                w.write_event(Event::Start(start))?;
                write_cdata(text, w)?;
                w.write_event(Event::End(BytesEnd::new(element)))
            }
        }
    }
}

fn write_cdata(text: &str, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
    w.write_event(Event::CData(BytesCData::new(cdata(text))))
}

/// Seconds as the schema's `SUREFIRE_TIME` takes them: decimal, never an exponent.
fn seconds(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// Text XML 1.0 can carry: characters it forbids become U+FFFD.
fn xml_safe(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
        c => c,
    }
}

/// An attribute value: one line, XML-safe (quick-xml escapes the markup characters).
pub(crate) fn attr(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { xml_safe(c) })
        .collect()
}

/// Text for a CDATA section: XML-safe, with `]]>` split across two sections so it cannot end
/// the section early.
fn cdata(text: &str) -> String {
    text.chars()
        .map(xml_safe)
        .collect::<String>()
        .replace("]]>", "]]]]><![CDATA[>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(results: Vec<Outcome>) -> Case {
        Case {
            name: "c".into(),
            results,
            ..Case::default()
        }
    }

    fn failure(message: &str) -> Outcome {
        Outcome::Failure(Detail {
            kind: "k".into(),
            message: message.into(),
            text: None,
        })
    }

    #[test]
    fn a_testcase_with_two_failures_counts_once() {
        let suites = Suites {
            suites: vec![Suite {
                name: "s".into(),
                cases: vec![
                    case(vec![failure("one"), failure("two")]),
                    case(vec![Outcome::Skipped { message: None }]),
                    case(vec![]),
                ],
                ..Suite::default()
            }],
        };
        let xml = suites.to_xml();
        assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
        assert!(
            xml.contains(r#"<testsuites tests="3" failures="1" errors="0" time="0">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"tests="3" failures="1" errors="0" skipped="1""#),
            "{xml}"
        );
    }

    #[test]
    fn an_empty_run_is_an_empty_testsuites() {
        let xml = Suites::default().to_xml();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
             <testsuites tests=\"0\" failures=\"0\" errors=\"0\" time=\"0\"/>\n"
        );
    }

    #[test]
    fn hostile_text_cannot_end_a_cdata_section() {
        let mut c = case(vec![]);
        c.system_out = Some("a ]]> b \u{1}".into());
        let xml = Suites {
            suites: vec![Suite {
                name: "s".into(),
                cases: vec![c],
                ..Suite::default()
            }],
        }
        .to_xml();
        assert!(
            xml.contains("<![CDATA[a ]]]]><![CDATA[> b \u{FFFD}]]>"),
            "{xml}"
        );
    }
}
