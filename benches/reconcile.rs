//! `interlock reconcile` over 1,000,000 rows a side, as its own process.
//!
//! `cargo bench --bench reconcile`. The bench writes two SQLite databases (a CRM table with
//! `CRM-0000001` keys, string amounts and +08:00 timestamps; an ERP table with lower-case
//! `c0000001` keys, numeric amounts and UTC timestamps; 3% of the amounts differ, 0.5% of
//! the keys are missing on each side), then runs the release binary's `interlock reconcile`
//! on them and reports the wall time and the process's peak resident memory (`VmHWM`, read
//! from `/proc` while it runs). The gate is < 200 MB.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const ROWS: u64 = 1_000_000;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours skips the run.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && a != "reconcile")
    {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let started = Instant::now();
    generate(dir.path());
    eprintln!(
        "generated 2 × {ROWS} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let exe = env!("CARGO_BIN_EXE_interlock");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .current_dir(dir.path())
        .args(["-q", "reconcile", "--report-json", "report.json"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start interlock");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("the JSON report"),
    )
    .expect("JSON");
    let r = &report["reconciliations"][0];
    println!(
        "reconcile 2 × {ROWS} rows: {:.2} s, peak RSS {:.1} MB, exit {:?}; matched {}, \
         mismatched {} ({:.2}%), missing in crm {}, missing in erp {}",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        status.code(),
        r["matched"],
        r["mismatched"],
        r["mismatch_rate"].as_f64().unwrap_or(0.0) * 100.0,
        r["sides"][0]["missing"],
        r["sides"][1]["missing"],
    );
    assert!(
        peak_kb < 200 * 1024,
        "peak RSS {peak_kb} kB is over the 200 MB budget"
    );
}

fn generate(dir: &Path) {
    std::fs::write(
        dir.join("interlock.toml"),
        "[profiles.local.databases.crm]\nurl = \"sqlite://crm.sqlite\"\n\
         [profiles.local.databases.erp]\nurl = \"sqlite://erp.sqlite\"\n",
    )
    .expect("write interlock.toml");
    std::fs::create_dir(dir.join("reconcile")).expect("reconcile folder");
    std::fs::write(
        dir.join("reconcile/customers.yaml"),
        r#"sides:
  crm:
    sql: {database: crm, query: "SELECT id, amount, updated_at FROM customers"}
    key: id
    key_transform: [{strip_prefix: CRM-}, uppercase]
  erp:
    sql: {database: erp, query: "SELECT customer_ref, amount, changed_at FROM receivables"}
    key: customer_ref
    key_transform: [uppercase]
fields:
  amount: {crm: amount, erp: amount, compare: decimal, scale: 2}
  updated_at: {crm: updated_at, erp: changed_at, compare: instant}
threshold:
  max_mismatch_rate: 5%
"#,
    )
    .expect("write the reconciliation");
    let mut crm = rusqlite::Connection::open(dir.join("crm.sqlite")).expect("crm.sqlite");
    let mut erp = rusqlite::Connection::open(dir.join("erp.sqlite")).expect("erp.sqlite");
    crm.execute_batch("CREATE TABLE customers (id TEXT, amount TEXT, updated_at TEXT)")
        .expect("create");
    erp.execute_batch("CREATE TABLE receivables (customer_ref TEXT, amount REAL, changed_at TEXT)")
        .expect("create");
    let tc = crm.transaction().expect("begin");
    let te = erp.transaction().expect("begin");
    {
        let mut ic = tc
            .prepare("INSERT INTO customers VALUES (?1, ?2, ?3)")
            .expect("prepare");
        let mut ie = te
            .prepare("INSERT INTO receivables VALUES (?1, ?2, ?3)")
            .expect("prepare");
        for i in 0..ROWS {
            let cents = 10_000 + (i * 7919) % 9_000_000;
            let hour = i % 24;
            if i % 200 != 7 {
                ic.execute(rusqlite::params![
                    format!("CRM-C{i:07}"),
                    format!("{}.{:02}", cents / 100, cents % 100),
                    format!(
                        "2026-03-{}T{:02}:30:00+08:00",
                        if hour + 8 >= 24 { "02" } else { "01" },
                        (hour + 8) % 24
                    ),
                ])
                .expect("insert");
            }
            if i % 200 != 111 {
                let erp_cents = if i % 100 < 3 { cents + 5_000 } else { cents };
                ie.execute(rusqlite::params![
                    format!("c{i:07}"),
                    erp_cents as f64 / 100.0,
                    format!("2026-03-01T{hour:02}:30:00Z"),
                ])
                .expect("insert");
            }
        }
    }
    tc.commit().expect("commit");
    te.commit().expect("commit");
}
