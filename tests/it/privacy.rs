//! Personal data and credentials outside the built-in field names and content types: pushed
//! through the real recorder (JSON served as text, br and zstd bodies, multipart and form
//! fields, free text, a token echoed inside a string), and every file written and every line
//! printed is searched, as bytes, for each raw value.

use serde_json::{Value, json};

use crate::harness::{Project, files_under};
use crate::record::{Recorder, Upstream, client, read_recording};
use interlock::recording::Exchange;

/// A JWT, an AWS key id, a resident id, mobiles, cards, an IBAN, emails, names, addresses,
/// each where no built-in field name catches it before this change.
const RAW: &[&str] = &[
    "internal-auth-secret-77",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2lnbmF0dXJlLXh5eg",
    "AKIAIOSFODNN7EXAMPLE",
    "11010519491231002X",
    "13812345678",
    "13912345678",
    "4111111111111111",
    "5500 0000 0000 0004",
    "GB82WEST12345698765432",
    "li.lei@kunde.example",
    "wang.fang@kunde.example",
    "Zhang Wei",
    "Liu Yang",
    "王小明",
    "88 Nanjing Road",
    "上海市南京路88号",
    "tok-echo-123456",
];

fn customer() -> Value {
    json!({
        "jwt": RAW[1],
        "deploy": {"aws_key_id": RAW[2]},
        "id_card": RAW[3],
        "身份证号": RAW[3],
        "tel": RAW[4],
        "note": format!("请致电{}，或发邮件 {}", RAW[5], RAW[9]),
        "card_no": RAW[6],
        "remark": format!("paid with card {} yesterday", RAW[7]),
        "payee_account": RAW[8],
        "联系邮箱": RAW[10],
        "owner": {"name": RAW[11], "id": 42},
        "contact_person": RAW[12],
        "联系人": RAW[13],
        "address": RAW[14],
        "地址": RAW[15],
        "next": format!("https://erp.example/customers?access_token={}&page=2", RAW[16]),
        "credit_limit": 13800138000_u64,
    })
}

/// Every raw value absent from every file under the project and from the recorder's output.
fn assert_nowhere(project: &Project, printed: &str) {
    for path in files_under(project.path()) {
        let bytes = std::fs::read(&path).expect("read file");
        for raw in RAW {
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
                "`{raw}` found in {}:\n{}",
                path.display(),
                String::from_utf8_lossy(&bytes)
            );
        }
    }
    for raw in RAW {
        assert!(!printed.contains(raw), "`{raw}` printed:\n{printed}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_by_value_never_reaches_the_recording_whatever_the_content_type() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let recorder = Recorder::start(&project, &upstream.url, "crm.jsonl", &["--peer", "crm"]);
    let body = customer().to_string();
    let http = client();
    for query in [
        "type=text/plain",
        "type=application/json&encoding=br",
        "type=application/json&encoding=zstd",
    ] {
        let response = http
            .post(format!("{}/served?{query}", recorder.url))
            .header("x-internal-auth", RAW[0])
            .header("content-type", "text/plain")
            .body(body.clone())
            .send()
            .await
            .expect("through the recorder");
        assert_eq!(response.status(), 200, "{query}");
    }
    let boundary = "XyZ42";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2-multipart\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\nclient-secret-multipart\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"p.json\"\r\nContent-Type: application/json\r\n\r\n{body}\r\n--{boundary}--\r\n"
    );
    let response = http
        .post(format!("{}/served", recorder.url))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(multipart)
        .send()
        .await
        .expect("multipart through the recorder");
    assert_eq!(response.status(), 200);
    let form = format!("mobile_no={}&memo=call%20{}&secret_code=x", RAW[4], RAW[5]);
    let response = http
        .post(format!(
            "{}/served/customers/{}?type=text/plain",
            recorder.url, RAW[4]
        ))
        .body(form)
        .send()
        .await
        .expect("form through the recorder");
    assert_eq!(response.status(), 200);
    // Wait for the console line of the last exchange before stopping the recorder.
    for _ in 0..200 {
        if recorder
            .stdout()
            .iter()
            .filter(|l| l.contains("POST /served"))
            .count()
            == 5
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let printed = recorder.stdout().join("\n");
    drop(recorder);

    for secret in ["hunter2-multipart", "client-secret-multipart"] {
        let text = std::fs::read_to_string(project.file("crm.jsonl")).expect("recording");
        assert!(!text.contains(secret), "{secret} in the recording");
    }
    assert_nowhere(&project, &printed);
    assert!(
        printed.contains("POST /served/customers/138"),
        "the console line shows the pseudonymised path:\n{printed}"
    );

    let exchanges = read_recording(&project, "crm.jsonl");
    assert_eq!(exchanges.len(), 5);
    // JSON served as text/plain, and br / zstd bodies stored decoded: all pseudonymised the
    // same way, with valid pseudonyms, and the places listed.
    let first = exchanges[0]
        .response
        .body
        .text()
        .expect("text body kept as text");
    let first: Value = serde_json::from_str(first).expect("still JSON");
    for e in &exchanges[1..3] {
        assert!(!e.response.headers.contains_key("content-encoding"));
        assert_eq!(
            e.response.body.json(),
            Some(&first),
            "same pseudonyms in every form"
        );
    }
    let tel = first["tel"].as_str().unwrap();
    assert!(tel.starts_with("138") && tel.len() == 11, "{tel}");
    assert_eq!(
        first["credit_limit"], 13800138000_u64,
        "numbers are never detected"
    );
    assert_eq!(first["owner"]["id"], 42);
    assert_eq!(first["jwt"], "[redacted]");
    assert_eq!(first["deploy"]["aws_key_id"], "[redacted]");
    assert!(
        first["next"]
            .as_str()
            .unwrap()
            .contains("access_token=%5Bredacted%5D&page=2"),
        "{}",
        first["next"]
    );
    let places: Vec<(&str, &str)> = exchanges[1]
        .pseudonymised
        .iter()
        .map(|p| (p.at.as_str(), p.kind.as_str()))
        .collect();
    for expected in [
        ("/request/headers/x-internal-auth", "secret"),
        ("/response/body/tel", "phone"),
        ("/response/body/id_card", "national_id"),
        ("/response/body/card_no", "card"),
        ("/response/body/payee_account", "bank_account"),
        ("/response/body/owner/name", "name"),
        ("/response/body/联系人", "name"),
        ("/response/body/地址", "address"),
        ("/response/body/note", "text"),
        ("/response/body/jwt", "secret"),
    ] {
        assert!(places.contains(&expected), "{expected:?} not in {places:?}");
    }
    let multipart = exchanges[3].request.body.text().expect("multipart text");
    assert!(
        multipart.contains("name=\"password\"\r\n\r\n[redacted]\r\n"),
        "{multipart}"
    );
    assert!(
        exchanges[3]
            .pseudonymised
            .iter()
            .any(|p| p.at == "/request/form/client_secret" && p.kind == "secret"),
        "{:?}",
        exchanges[3].pseudonymised
    );
    let form = exchanges[4].request.body.text().expect("form text");
    assert!(form.contains("secret_code=%5Bredacted%5D"), "{form}");
}

/// The key the bundled recordings were pseudonymised with (documented in docs/redaction.md).
const DEMO_KEY: &str = "interlock-bundled-example-demo-key";

/// What the CRM stand-in answers in clear for its seeded customers.
const CRM_REAL: &[&str] = &[
    "王建国",
    "wang.jianguo@hdjm.example.com",
    "+86 21 5080 1234",
    "周敏",
    "zhou.min@hengxin-elec.example.com",
    "+86 512 6288 0456",
    "+86 139 0000 2817",
];

/// Runs customer-onboarding against the CRM stand-in with every report written.
fn replay_onboarding(
    edit: impl FnOnce(&Project),
    env: &[(&str, &str)],
) -> (Project, crate::harness::Output) {
    let summary = tempfile::NamedTempFile::new().expect("summary file");
    let summary_path = summary.path().display().to_string();
    let mut env = env.to_vec();
    env.push(("GITHUB_STEP_SUMMARY", &summary_path));
    let (project, out) = crate::support::crm::run_bundled_against(
        crate::support::crm::CrmVersion::V1,
        "customer-onboarding",
        edit,
        &[
            "--junit",
            "out/junit.xml",
            "--report-json",
            "out/report.json",
            "--html",
            "out/report.html",
            "--summary-md",
            "out/report.md",
        ],
        &env,
    );
    let summary_text = std::fs::read_to_string(summary.path()).unwrap_or_default();
    project.write("out/step-summary.md", &summary_text);
    (project, out)
}

/// No value the stand-in answered in clear reaches a file or the console (the contracts are
/// inputs: their descriptions quote an example number).
fn assert_no_real_data(project: &Project, out: &crate::harness::Output) {
    let inputs = project.path().join("contracts");
    for path in files_under(project.path())
        .into_iter()
        .filter(|p| !p.starts_with(&inputs))
    {
        let bytes = std::fs::read(&path).expect("read file");
        for raw in CRM_REAL {
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
                "`{raw}` found in {}",
                path.display()
            );
        }
    }
    for raw in CRM_REAL {
        assert!(
            !out.stdout.contains(raw),
            "`{raw}` on stdout:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(raw),
            "`{raw}` on stderr:\n{}",
            out.stderr
        );
    }
}

fn findings(project: &Project) -> Vec<Value> {
    let report: Value = project.json("out/report.json");
    report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["exchanges"].as_array().expect("exchanges").clone())
        .flat_map(|e| e["findings"].as_array().expect("findings").clone())
        .filter(|f| f["kind"] != "no-contract")
        .collect()
}

#[test]
fn a_pseudonymised_recording_replays_clean_against_a_target_answering_real_data() {
    let (project, out) = replay_onboarding(|_| {}, &[("INTERLOCK_REDACT_KEY", DEMO_KEY)]);
    out.assert_code(0);
    assert_eq!(findings(&project), Vec::<Value>::new());
    assert!(project.json("out/report.json").get("notes").is_none());
    assert!(
        !out.stderr.contains("compared by shape only"),
        "{}",
        out.stderr
    );
    assert_no_real_data(&project, &out);
    // Without the key: compared by shape, said once, still clean and still nothing in clear.
    let (project, out) = replay_onboarding(|_| {}, &[]);
    out.assert_code(0);
    assert_eq!(
        out.stderr.matches("compared by shape only").count(),
        1,
        "{}",
        out.stderr
    );
    // The reports say it once too.
    let report = project.json("out/report.json");
    assert_eq!(
        report["notes"],
        serde_json::json!([
            "pseudonymised values are compared by shape only (type, presence), not by value: INTERLOCK_REDACT_KEY is not set"
        ])
    );
    let markdown = project.read("out/report.md");
    assert_eq!(
        markdown.matches("compared by shape only").count(),
        1,
        "{markdown}"
    );
    assert_no_real_data(&project, &out);
}

#[test]
fn one_changed_email_is_exactly_one_finding_shown_as_a_placeholder() {
    // The recording's pseudonym of one seeded contact's email no longer matches what the
    // target answers: as if that email had changed on the target.
    let (project, out) = replay_onboarding(
        |project| {
            let file = "scenarios/customer-onboarding/crm.jsonl";
            let text = project.read(file);
            let recorded: Vec<Exchange> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("recording line"))
                .collect();
            let list = &recorded[2];
            let email = list.response.body.json().unwrap()["items"][0]["contacts"][0]["email"]
                .as_str()
                .expect("a pseudonymised email")
                .to_string();
            assert!(email.ends_with("@example.invalid"), "{email}");
            let lines: Vec<String> = text
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i == 2 {
                        l.replace(&email, "uchanged00000@example.invalid")
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            project.write(file, &(lines.join("\n") + "\n"));
        },
        &[("INTERLOCK_REDACT_KEY", DEMO_KEY)],
    );
    out.assert_code(1);
    let found = findings(&project);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["kind"], "value-changed");
    assert_eq!(found[0]["path"], "/items/0/contacts/0/email");
    assert_eq!(found[0]["old"], "[pseudonymised:email]");
    assert_eq!(found[0]["new"], "[pseudonymised:email]");
    assert_no_real_data(&project, &out);
}

#[test]
fn check_warns_once_per_recording_holding_personal_data_in_clear_and_still_exits_0() {
    let project = Project::bundled();
    let clean = project.run(&["check"]);
    clean.assert_code(0);
    assert!(!clean.stdout.contains("warning:"), "{}", clean.stdout);
    project.write(
        "raw.jsonl",
        concat!(
            r#"{"request":{"method":"GET","url":"/misc/notes/1"},"response":{"status":200,"body":{"id":"C-1","note":"call 13812345678","contact":{"email":"li.lei@kunde.example"}}}}"#,
            "\n",
            r#"{"request":{"method":"GET","url":"/misc/notes/2"},"response":{"status":200,"body":{"id":"C-2"}}}"#,
            "\n",
        ),
    );
    let out = project.run(&["check", "raw.jsonl"]);
    out.assert_code(0);
    let warnings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: raw.jsonl: 2 values that look like personal data or credentials and were not pseudonymised (line 1); run `interlock redact raw.jsonl`"
        ],
        "{}",
        out.stdout
    );
}

#[test]
fn har_import_redacts_by_value_whatever_the_mime_type() {
    let project = Project::empty();
    let body = customer().to_string();
    let har = json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [{
        "startedDateTime": "2026-03-02T09:15:00.000+08:00",
        "time": 12.5,
        "request": {
            "method": "POST",
            "url": format!("https://crm.example.com/notes/{}?access_token={}", RAW[4], RAW[16]),
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "x-internal-auth", "value": RAW[0]}, {"name": "content-type", "value": "text/plain"}],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": body.len(),
            "postData": {"mimeType": "text/plain", "text": body}
        },
        "response": {
            "status": 200,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "content-type", "value": "text/plain"}],
            "cookies": [],
            "content": {"size": body.len(), "mimeType": "text/plain", "text": body},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": body.len()
        },
        "cache": {},
        "timings": {"send": 0, "wait": 12.5, "receive": 0}
    }]}});
    project.write("capture.har", &har.to_string());
    let out = project.run_with_env(
        &["import", "har", "capture.har", "--out", "crm.jsonl"],
        &[("INTERLOCK_REDACT_KEY", crate::record::KEY)],
    );
    out.assert_code(0);
    std::fs::remove_file(project.file("capture.har")).expect("remove the capture");
    assert_nowhere(&project, &format!("{}{}", out.stdout, out.stderr));
    let exchanges = read_recording(&project, "crm.jsonl");
    assert!(
        exchanges[0]
            .pseudonymised
            .iter()
            .any(|p| p.at == "/response/body/身份证号" && p.kind == "national_id")
    );
}
