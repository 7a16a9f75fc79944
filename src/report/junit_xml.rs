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
    pub(crate) fn of(cases: &[Case]) -> Totals {
        cases
            .iter()
            .map(Totals::one)
            .fold(Totals::default(), Totals::add)
    }

    /// The totals of one testcase.
    pub(crate) fn one(case: &Case) -> Totals {
        Totals {
            tests: 1,
            failures: usize::from(case.is_failure()),
            errors: usize::from(case.is_error()),
            skipped: usize::from(case.is_skipped()),
            time: case.time,
        }
    }

    pub(crate) fn add(self, other: Totals) -> Totals {
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
        // Writing into memory cannot fail.
        let bytes = self.write(Vec::new()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn write(&self, out: Vec<u8>) -> std::io::Result<Vec<u8>> {
        let mut w = Stream::start(out, self.totals(), self.suites.is_empty())?;
        for (id, suite) in self.suites.iter().enumerate() {
            w.start_suite(id, suite, Totals::of(&suite.cases))?;
            for case in &suite.cases {
                w.case(case)?;
            }
            w.end_suite()?;
        }
        w.finish()
    }
}

/// The document written as it goes, for a report whose testcases are not all in memory: the
/// totals first, then each suite's header (its totals known beforehand), its testcases, built
/// or already written ([`Stream::raw`]), and its end.
pub(crate) struct Stream<W: std::io::Write> {
    w: Writer<W>,
    empty: bool,
    /// The last `<testsuite>` started has testcases and needs its end tag.
    suite_open: bool,
}

impl<W: std::io::Write> Stream<W> {
    /// The declaration and `<testsuites>` with the run's totals; `empty` when no suite follows.
    pub(crate) fn start(out: W, totals: Totals, empty: bool) -> std::io::Result<Self> {
        let mut w = Writer::new(out);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let root = BytesStart::new("testsuites").with_attributes([
            ("tests", totals.tests.to_string().as_str()),
            ("failures", totals.failures.to_string().as_str()),
            ("errors", totals.errors.to_string().as_str()),
            ("time", seconds(totals.time).as_str()),
        ]);
        if empty {
            w.write_event(Event::Empty(root))?;
        } else {
            w.write_event(Event::Start(root))?;
        }
        Ok(Stream {
            w,
            empty,
            suite_open: false,
        })
    }

    /// `<testsuite>` with its totals (its `cases` are not read); self-closing when it has no
    /// testcase.
    pub(crate) fn start_suite(
        &mut self,
        id: usize,
        suite: &Suite,
        totals: Totals,
    ) -> std::io::Result<()> {
        let mut start = BytesStart::new("testsuite");
        let id = id.to_string();
        let name = attr(&suite.name);
        start.push_attribute(("id", id.as_str()));
        start.push_attribute(("name", name.as_str()));
        if let Some(package) = &suite.package {
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
        if let Some(timestamp) = &suite.timestamp {
            start.push_attribute(("timestamp", timestamp.as_str()));
        }
        start.push_attribute(("time", seconds(totals.time).as_str()));
        self.suite_open = totals.tests > 0;
        if totals.tests == 0 {
            self.w.write_event(Event::Empty(start))
        } else {
            self.w.write_event(Event::Start(start))
        }
    }

    /// One testcase.
    pub(crate) fn case(&mut self, case: &Case) -> std::io::Result<()> {
        case.write(&mut self.w)
    }

    /// A testcase already written by [`Case::to_bytes`].
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.w.get_mut().write_all(bytes)
    }

    /// `</testsuite>`, unless [`Stream::start_suite`] closed it (`totals.tests` was 0).
    pub(crate) fn end_suite(&mut self) -> std::io::Result<()> {
        if !std::mem::take(&mut self.suite_open) {
            return Ok(());
        }
        self.w.write_event(Event::End(BytesEnd::new("testsuite")))
    }

    /// `</testsuites>` and the final newline.
    pub(crate) fn finish(mut self) -> std::io::Result<W> {
        if !self.empty {
            self.w
                .write_event(Event::End(BytesEnd::new("testsuites")))?;
        }
        let mut out = self.w.into_inner();
        out.write_all(b"\n")?;
        Ok(out)
    }
}

impl Case {
    /// The testcase alone, as [`Stream::raw`] writes it.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Vec::new());
        // Writing into memory cannot fail.
        let _ = self.write(&mut w);
        w.into_inner()
    }

    fn write<W: std::io::Write>(&self, w: &mut Writer<W>) -> std::io::Result<()> {
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
    fn write<W: std::io::Write>(&self, element: &str, w: &mut Writer<W>) -> std::io::Result<()> {
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

fn write_cdata<W: std::io::Write>(text: &str, w: &mut Writer<W>) -> std::io::Result<()> {
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
