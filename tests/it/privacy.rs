//! Personal data and credentials outside the built-in field names and content types: pushed
//! through the real recorder (JSON served as text, br and zstd bodies, multipart and form
//! fields, free text, a token echoed inside a string), and every file written and every line
//! printed is searched, as bytes, for each raw value.

use serde_json::{Value, json};

use crate::harness::{Project, files_under};
use crate::record::{Recorder, Upstream, client, read_recording};

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
