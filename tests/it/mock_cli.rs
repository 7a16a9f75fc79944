//! `interlock mock` as a developer uses it: the real binary serving a scenario's peer on its
//! port, a real client calling it, the request log on stdout, the journal endpoint, Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::Project;
use crate::support::crm;

/// A running `interlock mock` whose stdout is read line by line.
pub(crate) struct Mock {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Mock {
    pub(crate) fn start(project: &Project, args: &[&str]) -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_interlock"))
            .arg("mock")
            .args(args)
            .current_dir(project.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start interlock mock");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Mock {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads stdout until a line contains `text`; panics with everything seen after 10 s.
    pub(crate) fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "`{text}` never appeared on stdout:\n{}",
            self.seen.join("\n")
        );
    }

    /// Sends a signal (`INT`, `TERM`) and waits (bounded) for the exit code and the rest of
    /// stdout.
    pub(crate) fn stop(mut self, signal: &str) -> (i32, String) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("interlock mock did not stop on SIG{signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (code, self.seen.join("\n"))
    }
}

impl Mock {
    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The recorded customer-sync body of `scenarios/customer-onboarding/erp.jsonl`.
fn recorded_sync() -> Value {
    json!({"crm_customer_id": "C-10023", "name": "深圳前海瑞丰供应链管理有限公司", "tax_id": "91440300MA5G7W2K82", "currency": "CNY", "credit_limit": 800000})
}

async fn post(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the mock answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn serves_a_scenario_peer_logs_every_request_and_stops_on_ctrl_c() {
    let (project, port) = crm::bundled_onboarding_on_a_free_port();
    let mut mock = Mock::start(
        &project,
        &[
            "customer-onboarding",
            "--fault",
            "erp=status:503,calls=2,route=POST /erp/v2/customers",
        ],
    );
    let banner = mock.wait_for("customer-onboarding/erp");
    assert!(
        banner.contains(&format!("http://127.0.0.1:{port}")) && banner.contains("1 fault rule"),
        "{banner}"
    );
    mock.wait_for("journal: GET <peer URL>/__interlock/requests");

    let url = format!("http://127.0.0.1:{port}/erp/v2/customers");
    let (status, body) = post(&url, &recorded_sync()).await;
    assert_eq!(
        (status, &body["erp_customer_no"]),
        (201, &json!("E-300187"))
    );
    let line = mock.wait_for("POST /erp/v2/customers  201");
    assert!(line.contains("recorded #1 (line 1)"), "{line}");

    assert_eq!(post(&url, &recorded_sync()).await.0, 503);
    let fault = mock.wait_for("fault: ");
    assert!(
        fault.contains("status 503 on call 2 of `POST /erp/v2/customers`"),
        "{fault}"
    );

    let mut renamed = recorded_sync();
    let tax_id = renamed["tax_id"].take();
    renamed["taxNumber"] = tax_id;
    if let Some(fields) = renamed.as_object_mut() {
        fields.remove("tax_id");
    }
    assert_eq!(post(&url, &renamed).await.0, 422);
    mock.wait_for("UNMATCHED");
    mock.wait_for("- body field `/tax_id` missing");
    mock.wait_for("- body field `/taxNumber` not in the recording");

    let journal: Value = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/__interlock/requests"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the journal")
        .json()
        .await
        .expect("JSON");
    let outcomes: Vec<&str> = journal["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["matched", "faulted", "unmatched"]);
    assert_eq!(
        journal["unmatched"][0]["body"]["taxNumber"],
        "91440300MA5G7W2K82"
    );

    let (code, stdout) = mock.stop("INT");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("interlock mock: stopped"), "{stdout}");
    assert!(
        stdout.contains("customer-onboarding/erp  3 requests, 1 unmatched, 1 faulted"),
        "{stdout}"
    );
}

#[tokio::test]
async fn serves_a_bare_recording_with_sigterm_as_a_clean_stop() {
    let project = Project::bundled();
    let port = crm::free_port();
    let mut mock = Mock::start(
        &project,
        &[
            "--recording",
            &format!("erp=scenarios/receivables-check/erp.jsonl@{port}"),
        ],
    );
    mock.wait_for(&format!(
        "erp  http://127.0.0.1:{port}  3 recorded exchanges"
    ));
    let response = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/erp/v2/receivables/INV-2026-000318"
        ))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["invoice_no"], "INV-2026-000318");
    let (code, stdout) = mock.stop("TERM");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("interlock mock: stopped"), "{stdout}");
    assert!(
        stdout.contains("erp  1 request, 0 unmatched, 0 faulted"),
        "{stdout}"
    );
}

#[test]
fn bad_faults_and_unknown_peers_are_input_errors_before_anything_starts() {
    let project = Project::bundled();
    let out = project.run(&["mock", "customer-onboarding", "--fault", "erp=explode"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("--fault `erp=explode`: `explode` is not a fault"),
        "{}",
        out.stderr
    );
    let out = project.run(&["mock", "customer-onboarding", "--fault", "epr=reset"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("no peer named `epr` is served")
            && out.stderr.contains("did you mean `erp`?"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("serving"), "{}", out.stdout);
}

#[test]
fn a_fault_rule_in_a_scenario_is_checked_at_load_with_its_pointer() {
    let project = Project::bundled();
    project.edit("scenarios/erp-outage/scenario.yaml", "calls: 1", "calls: 0");
    let out = project.run(&["run", "erp-outage"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("/peers/erp/faults/0") && out.stderr.contains("`calls` counts from 1"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_taken_port_is_an_environment_error() {
    let project = Project::bundled();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port();
    let out = project.run(&[
        "mock",
        "--recording",
        &format!("erp=scenarios/receivables-check/erp.jsonl@{port}"),
    ]);
    out.assert_code(3);
    assert!(
        out.stderr
            .contains(&format!("cannot listen on 127.0.0.1:{port}"))
            && out.stderr.contains("address already in use"),
        "{}",
        out.stderr
    );
}

async fn journal_with_host(port: u16, host: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/__interlock/requests"))
        .header("host", host)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the mock answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn the_journal_and_the_log_show_credentials_redacted_and_admin_answers_only_local_names() {
    let (project, port) = crm::bundled_onboarding_on_a_free_port();
    let mut mock = Mock::start(
        &project,
        &[
            "customer-onboarding",
            "--admin-allow-host",
            "interlock-mock",
        ],
    );
    mock.wait_for("journal: GET");
    let secrets = [
        "bearer-token-8c1f2e",
        "cookie-value-77aa31",
        "api-key-value-5d3c09",
        "query-api-key-4b21ff",
        "body-password-99e0aa",
    ];
    let response = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/erp/v2/customers?api_key={}",
            secrets[3]
        ))
        .header("authorization", format!("Bearer {}", secrets[0]))
        .header("cookie", format!("sid={}", secrets[1]))
        .header("x-api-key", secrets[2])
        .json(&json!({
            "crm_customer_id": "C-1",
            "password": secrets[4],
            "contact_email": "li.lei@kunde.example",
            "remark": "请致电13812345678"
        }))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the mock answers");
    assert!(response.status().as_u16() >= 200);

    let (status, journal) = journal_with_host(port, &format!("127.0.0.1:{port}")).await;
    assert_eq!(status, 200, "{journal}");
    let parsed: Value = serde_json::from_str(&journal).expect("journal JSON");
    let request = &parsed["requests"][0];
    assert_eq!(request["headers"]["authorization"], "Bearer [redacted]");
    assert_eq!(request["headers"]["x-api-key"], "[redacted]");
    assert_eq!(request["headers"]["cookie"], "sid=[redacted]");
    assert_eq!(request["body"]["password"], "[redacted]");
    assert_eq!(request["body"]["crm_customer_id"], "C-1");
    // Personal data the target sent shows as typed placeholders, never as sent.
    assert_eq!(request["body"]["contact_email"], "[pseudonymised:email]");
    assert!(!journal.contains("li.lei@kunde.example"), "{journal}");
    assert!(!journal.contains("13812345678"), "{journal}");
    for (host, expected) in [
        ("localhost", 200),
        ("interlock-mock:8080", 200),
        ("attacker.example", 403),
        ("127.0.0.1.attacker.example", 403),
    ] {
        let (status, body) = journal_with_host(port, host).await;
        assert_eq!(status, expected, "Host: {host}: {body}");
        if expected == 403 {
            assert!(!body.contains("C-1"), "{body}");
        }
    }
    let (code, log) = mock.stop("INT");
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("POST /erp/v2/customers?api_key=%5Bredacted%5D"),
        "{log}"
    );
    for secret in secrets {
        assert!(
            !journal.contains(secret),
            "`{secret}` in the journal:\n{journal}"
        );
        assert!(!log.contains(secret), "`{secret}` in the log:\n{log}");
    }
}

#[tokio::test]
async fn no_admin_serves_the_admin_path_like_any_request() {
    let (project, port) = crm::bundled_onboarding_on_a_free_port();
    let mut mock = Mock::start(&project, &["customer-onboarding", "--no-admin"]);
    let banner = mock.wait_for("customer-onboarding/erp");
    assert!(banner.contains(&format!("{port}")), "{banner}");
    let (status, body) = journal_with_host(port, "localhost").await;
    assert_ne!(status, 200, "{body}");
    assert!(!body.contains("\"requests\""), "{body}");
    let (code, log) = mock.stop("INT");
    assert_eq!(code, 0);
    assert!(!log.contains("journal: GET"), "{log}");
}
