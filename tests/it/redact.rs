//! Redaction: secrets and personal data pushed through the real recorder (and through
//! `interlock redact`) must not appear in any written file; pseudonyms are deterministic and
//! keep their shape.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Project, files_under};
use crate::record::{KEY, Recorder, Upstream, client, json_of, read_recording};

/// Every literal that must never reach disk.
const SECRETS: &[&str] = &[
    "sk-live-bearer-7f3a9c",
    "cookie-session-5d2e",
    "api-key-header-91b7",
    "query-token-4c8d",
    "hunter2-password",
    "upstream-session-cookie-42",
    "anna.berg@kunde.example",
    "+49 30 5550 1234",
    "5550",
    "Annaliese",
    "Bergström",
    "DE89370400440532013000",
    "DE89 3704 0044 0532 0130 00",
    "123-45-6789",
    "1987-04-12",
];

/// Asserts no file under `dir` contains any of [`SECRETS`] (bytes, any file, any depth).
fn assert_clean(dir: &Path) {
    for path in files_under(dir) {
        let bytes = std::fs::read(&path).expect("read file");
        let text = String::from_utf8_lossy(&bytes);
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "`{secret}` found in {}:\n{text}",
                path.display()
            );
        }
    }
}

async fn push_customer(recorder_url: &str, email: &str) -> Value {
    let response = client()
        .post(format!(
            "{recorder_url}/echo?access_token=query-token-4c8d&page=2"
        ))
        .header("authorization", "Bearer sk-live-bearer-7f3a9c")
        .header("cookie", "sid=cookie-session-5d2e; theme=dark")
        .header("x-api-key", "api-key-header-91b7")
        .header("content-type", "application/json")
        .body(
            json!({
                "customer": {
                    "email": email,
                    "phone": "+49 30 5550 1234",
                    "firstName": "Annaliese",
                    "last_name": "Bergström",
                    "national_id": "123-45-6789",
                    "iban": "DE89 3704 0044 0532 0130 00",
                    "date_of_birth": "1987-04-12",
                    "tax_id": "91440300MA5G7W2K82"
                },
                "login": {"user": "anna", "password": "hunter2-password"},
                "accounts": [{"iban": "DE89370400440532013000"}]
            })
            .to_string(),
        )
        .send()
        .await
        .expect("request through the recorder");
    assert_eq!(response.status(), 201);
    json_of(response).await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_or_personal_value_reaches_any_written_file() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let recorder = Recorder::start(&project, &upstream.url, "erp.jsonl", &["--peer", "erp"]);
    // The client still gets the real data: redaction is about what is written.
    let echoed = push_customer(&recorder.url, "anna.berg@kunde.example").await;
    assert_eq!(echoed["body"]["customer"]["firstName"], "Annaliese");
    drop(recorder);

    assert_clean(project.path());
    let exchanges = read_recording(&project, "erp.jsonl");
    let e = &exchanges[0];
    assert_eq!(
        e.request.headers["authorization"].first(),
        "Bearer [redacted]"
    );
    assert_eq!(
        e.request.headers["cookie"].first(),
        "sid=[redacted]; theme=[redacted]"
    );
    assert_eq!(e.request.headers["x-api-key"].first(), "[redacted]");
    assert_eq!(
        e.response.headers["set-cookie"].first(),
        "session=[redacted]; Path=/; HttpOnly"
    );
    assert_eq!(e.request.url, "/echo?access_token=%5Bredacted%5D&page=2");
    let customer = &e.request.body.json().unwrap()["customer"];
    let email = customer["email"].as_str().unwrap();
    assert!(
        email.ends_with("@example.invalid") && email.contains('@'),
        "{email}"
    );
    let phone = customer["phone"].as_str().unwrap();
    assert_eq!(phone.len(), "+49 30 5550 1234".len());
    assert!(phone.starts_with('+'));
    assert!(
        phone[1..].chars().all(|c| c.is_ascii_digit() || c == ' '),
        "{phone}"
    );
    let first = customer["firstName"].as_str().unwrap();
    assert_eq!(first.chars().count(), "Annaliese".chars().count());
    assert!(
        first.chars().next().unwrap().is_ascii_uppercase(),
        "{first}"
    );
    let iban = customer["iban"].as_str().unwrap();
    assert!(iban.starts_with("DE") && iban.len() == 27, "{iban}");
    assert_eq!(
        customer["tax_id"], "91440300MA5G7W2K82",
        "business keys are kept"
    );
    assert_eq!(
        e.request.body.json().unwrap()["login"]["password"],
        "[redacted]"
    );
    // The echoed response carries the same data and gets the same pseudonyms.
    let response_customer = &e.response.body.json().unwrap()["body"]["customer"];
    assert_eq!(response_customer["email"], customer["email"]);
    assert_eq!(
        e.response.body.json().unwrap()["headers"]["authorization"],
        "[redacted]"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_customer_gets_the_same_pseudonym_in_the_crm_and_erp_recordings() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let crm = Recorder::start(&project, &upstream.url, "crm.jsonl", &[]);
    let erp = Recorder::start(&project, &upstream.url, "erp.jsonl", &["--peer", "erp"]);
    push_customer(&crm.url, "anna.berg@kunde.example").await;
    push_customer(&erp.url, "Anna.Berg@Kunde.example").await;
    push_customer(&erp.url, "someone.else@kunde.example").await;
    drop((crm, erp));
    let email = |file: &str, i: usize| {
        read_recording(&project, file)[i]
            .request
            .body
            .json()
            .unwrap()["customer"]["email"]
            .clone()
    };
    assert_eq!(email("crm.jsonl", 0), email("erp.jsonl", 0));
    assert_ne!(email("erp.jsonl", 0), email("erp.jsonl", 1));

    // Another key, another pseudonym: the key is what makes them unguessable.
    let other = Recorder::start_with_env(
        &project,
        &upstream.url,
        "other.jsonl",
        &[],
        &[("INTERLOCK_REDACT_KEY", "a-completely-different-key-00000")],
    );
    push_customer(&other.url, "anna.berg@kunde.example").await;
    drop(other);
    assert_ne!(email("other.jsonl", 0), email("crm.jsonl", 0));
}

#[test]
fn without_a_key_the_recorder_refuses_to_start() {
    let project = Project::empty();
    let out = project.run(&[
        "record",
        "--upstream",
        "http://127.0.0.1:9",
        "--listen",
        "127.0.0.1:0",
        "--out",
        "r.jsonl",
    ]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("INTERLOCK_REDACT_KEY is not set"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("openssl rand -hex 32"),
        "{}",
        out.stderr
    );
    assert!(!project.file("r.jsonl").exists());
}

/// A recording with secrets, as captured without Interlock.
fn raw_recording() -> String {
    let first = json!({
        "request": {
            "method": "POST",
            "url": "/erp/v2/customers?api_key=query-token-4c8d",
            "headers": {"authorization": "Basic sk-live-bearer-7f3a9c", "content-type": "application/json"},
            "body": {"contact_name": "Annaliese Bergström", "email": "anna.berg@kunde.example", "phone": "+49 30 5550 1234"}
        },
        "response": {"status": 201, "headers": {"set-cookie": "sid=upstream-session-cookie-42"}, "body": {"id": "E-1"}}
    });
    let second = json!({
        "request": {
            "method": "POST",
            "url": "/oauth/token",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
            "body_text": "grant_type=password&username=anna&password=hunter2-password"
        },
        "response": {"status": 200, "body": {"access_token": "sk-live-bearer-7f3a9c", "national_id": "123-45-6789"}}
    });
    format!("{first}\n{second}\n")
}

#[test]
fn redact_command_rewrites_a_recording_in_place() {
    let project = Project::empty();
    project.write("rec.jsonl", &raw_recording());
    let out = project.run_with_env(&["redact", "rec.jsonl"], &[("INTERLOCK_REDACT_KEY", KEY)]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("redacted 2 exchanges in rec.jsonl"),
        "{}",
        out.stdout
    );
    assert_clean(project.path());
    let exchanges = read_recording(&project, "rec.jsonl");
    assert_eq!(exchanges.len(), 2);
    assert_eq!(
        exchanges[0].request.url,
        "/erp/v2/customers?api_key=%5Bredacted%5D"
    );
    assert_eq!(exchanges[1].request.url, "/oauth/token", "line order kept");
    assert_eq!(
        exchanges[1].request.body.text(),
        Some("grant_type=password&username=anna&password=%5Bredacted%5D")
    );
    let name = exchanges[0].request.body.json().unwrap()["contact_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(name.chars().count(), "Annaliese Bergström".chars().count());
    assert_eq!(name.chars().nth(9), Some(' '));

    // Redacting an already redacted recording keeps it valid, line for line.
    let before = project.read("rec.jsonl");
    project
        .run_with_env(&["redact", "rec.jsonl"], &[("INTERLOCK_REDACT_KEY", KEY)])
        .assert_code(0);
    assert_eq!(read_recording(&project, "rec.jsonl").len(), 2);
    assert_eq!(
        before.lines().count(),
        project.read("rec.jsonl").lines().count()
    );
}

#[test]
fn redact_command_with_a_bad_line_writes_nothing() {
    let project = Project::empty();
    let raw = raw_recording();
    let broken = format!("{raw}{{\"request\":{{\"method\":\"GET\"\n");
    project.write("rec.jsonl", &broken);
    let out = project.run_with_env(&["redact", "rec.jsonl"], &[("INTERLOCK_REDACT_KEY", KEY)]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("rec.jsonl:3: truncated exchange"),
        "{}",
        out.stderr
    );
    assert_eq!(project.read("rec.jsonl"), broken, "the file is untouched");
    let entries: Vec<_> = std::fs::read_dir(project.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "no temporary file left behind");
}
