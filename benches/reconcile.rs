//! `interlock reconcile` over 1,000,000 rows a side, as its own process, beside two baselines
//! measured in the same run on the same data.
//!
//! `cargo bench --bench reconcile` (`INTERLOCK_BENCH_ROWS=N` for another size). The bench
//! writes two SQLite databases (a CRM table with `CRM-0000001` keys, string amounts and +08:00
//! timestamps; an ERP table with lower-case `c0000001` keys, numeric amounts and UTC
//! timestamps; 3% of the amounts differ, 0.5% of the keys are missing on each side), then runs,
//! each as its own process, with its wall time and peak resident memory (`VmHWM`, read from
//! `/proc` while it runs):
//!
//! - `interlock reconcile` (the release binary): external sort-merge, reports written;
//! - baseline `read`: both sides read through the same SQLite driver
//!   (`interlock::db::sqlite`), each row's key normalised and its compared values picked out,
//!   no join: what reading the data costs at least;
//! - baseline `hash`: the same reading, then a plain in-memory hash join on the first side with
//!   the same comparisons (`interlock::reconcile::compare`): the usual ad-hoc script.
//!
//! The gate is < 200 MB for `interlock reconcile`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use interlock::reconcile::compare::normalise_key;
use interlock::reconcile::spec::{self, Reconciliation, Source};
use serde_json::Value;

#[path = "common/peak.rs"]
mod peak;

/// Rows a side, unless `INTERLOCK_BENCH_ROWS` says otherwise.
const ROWS: u64 = 1_000_000;

/// Set in a child process: which baseline to run, on the folder given in `BENCH_DIR`.
const BASELINE: &str = "INTERLOCK_BENCH_BASELINE";
const BENCH_DIR: &str = "INTERLOCK_BENCH_DIR";

fn main() {
    if let (Ok(kind), Ok(dir)) = (std::env::var(BASELINE), std::env::var(BENCH_DIR)) {
        println!("{}", baseline(&kind, Path::new(&dir)));
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument that is not ours skips the run.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && a != "reconcile")
    {
        return;
    }
    let rows: u64 = std::env::var("INTERLOCK_BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROWS);
    let dir = tempfile::tempdir().expect("temporary folder");
    let started = Instant::now();
    generate(dir.path(), rows);
    eprintln!(
        "generated 2 × {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let this = std::env::current_exe().expect("the bench binary");
    let baseline = |kind: &str| {
        let mut command = Command::new(&this);
        command.env(BASELINE, kind).env(BENCH_DIR, dir.path());
        command
    };
    // Interleaved, so a neighbour's load falls on each about alike.
    let read = measure(baseline("read"));
    let mut interlock = Command::new(env!("CARGO_BIN_EXE_interlock"));
    interlock
        .current_dir(dir.path())
        .args(["-q", "reconcile", "--report-json", "report.json"]);
    let ours = measure(interlock);
    let hash = measure(baseline("hash"));

    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("the JSON report"),
    )
    .expect("JSON");
    let r = &report["scenarios"][0]["reconciliation"];
    println!(
        "2 × {rows} rows; interlock: matched {}, mismatched {} ({:.2}%), missing in crm {}, \
         missing in erp {}",
        r["matched"],
        r["mismatched"],
        r["mismatch_rate"].as_f64().unwrap_or(0.0) * 100.0,
        r["sides"][0]["missing"],
        r["sides"][1]["missing"],
    );
    // The hash join is a check of the counts as much as a baseline.
    assert_eq!(
        hash.stdout.trim(),
        format!(
            "matched {}, mismatched {}, missing in crm {}, missing in erp {}",
            r["matched"], r["mismatched"], r["sides"][0]["missing"], r["sides"][1]["missing"]
        ),
        "the hash join counts otherwise"
    );
    println!("{:<44} {:>9} {:>14}", "", "time", "peak RSS");
    for (name, m) in [
        ("interlock reconcile (sort-merge, spill)", &ours),
        ("baseline read (same driver, no join)", &read),
        ("baseline hash join (in memory)", &hash),
    ] {
        println!(
            "{name:<44} {:>7.2} s {:>11.1} MB   {}",
            m.elapsed.as_secs_f64(),
            m.peak_kb as f64 / 1024.0,
            m.stdout.trim()
        );
    }
    println!(
        "interlock / read: {:.2}× the time; interlock / hash join: {:.2}× the time, {:.2}× the memory",
        ours.elapsed.as_secs_f64() / read.elapsed.as_secs_f64(),
        ours.elapsed.as_secs_f64() / hash.elapsed.as_secs_f64(),
        ours.peak_kb as f64 / hash.peak_kb as f64
    );
    assert!(
        ours.peak_kb < 200 * 1024,
        "peak RSS {} kB is over the 200 MB budget",
        ours.peak_kb
    );
}

/// One process's wall time, peak resident memory and what it printed.
struct Measured {
    elapsed: Duration,
    peak_kb: u64,
    stdout: String,
}

fn measure(mut command: Command) -> Measured {
    let out = tempfile::NamedTempFile::new().expect("a file for the output");
    let started = Instant::now();
    let mut child = command
        .stdout(out.reopen().expect("the output file"))
        .spawn()
        .expect("start the process");
    let (status, peak_kb) = peak::wait_with_peak(&mut child, Duration::from_millis(20));
    let elapsed = started.elapsed();
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "{command:?} ended with {status}"
    );
    Measured {
        elapsed,
        peak_kb,
        stdout: std::fs::read_to_string(out.path()).unwrap_or_default(),
    }
}

/// The row's normalised key and its compared values, as the engine picks them out.
type Picked = (String, Vec<Value>);

/// Reads side `i` of `rec` through the SQLite driver, handing on each row's key and values.
fn read_side(rec: &Reconciliation, i: usize, dir: &Path, each: &mut (dyn FnMut(Picked) + Send)) {
    let side = &rec.sides[i];
    let Source::Sql {
        database, query, ..
    } = &side.source
    else {
        panic!("the bench reads SQL sides");
    };
    let pointers: Vec<&str> = rec.fields.iter().map(|f| f.pointers[i].as_str()).collect();
    let session = interlock::db::sqlite::open(
        &dir.join(format!("{database}.sqlite")),
        Duration::from_secs(60),
    )
    .expect("open the database");
    session
        .json_rows(query, &mut |row: Value| {
            if let Some(key) = normalise_key(row.pointer(&side.key), &side.transforms) {
                let values = pointers
                    .iter()
                    .map(|p| row.pointer(p).cloned().unwrap_or(Value::Null))
                    .collect();
                each((key, values));
            }
            Ok(())
        })
        .expect("read the rows");
}

/// A baseline on the bench's reconciliation: `read` or `hash`. Prints its counts.
fn baseline(kind: &str, dir: &Path) -> String {
    let rec = spec::load(&dir.join("reconcile/customers.yaml")).expect("the reconciliation");
    match kind {
        "read" => {
            let mut rows = [0u64; 2];
            let mut bytes = 0usize;
            for (i, count) in rows.iter_mut().enumerate() {
                read_side(&rec, i, dir, &mut |(key, values)| {
                    *count += 1;
                    bytes += key.len() + values.len();
                });
            }
            format!("rows {} and {} ({bytes} key bytes)", rows[0], rows[1])
        }
        "hash" => {
            let mut first: HashMap<String, Vec<Value>> = HashMap::new();
            let mut duplicated: HashSet<String> = HashSet::new();
            read_side(&rec, 0, dir, &mut |(key, values)| {
                if first.insert(key.clone(), values).is_some() {
                    duplicated.insert(key);
                }
            });
            let (mut matched, mut mismatched, mut missing_in_first) = (0u64, 0u64, 0u64);
            let mut seen: HashSet<String> = HashSet::new();
            read_side(&rec, 1, dir, &mut |(key, values)| {
                if duplicated.contains(&key) || !seen.insert(key.clone()) {
                    return;
                }
                let Some(mine) = first.get(&key) else {
                    missing_in_first += 1;
                    return;
                };
                matched += 1;
                let differs = rec.fields.iter().enumerate().any(|(f, field)| {
                    field
                        .comparison
                        .differs(mine.get(f), values.get(f), None)
                        .is_some()
                });
                if differs {
                    mismatched += 1;
                }
            });
            let missing_in_second = first.len() as u64 - duplicated.len() as u64 - matched;
            format!(
                "matched {matched}, mismatched {mismatched}, missing in crm {missing_in_first}, \
                 missing in erp {missing_in_second}"
            )
        }
        other => panic!("no baseline `{other}`"),
    }
}

fn generate(dir: &Path, rows: u64) {
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
        for i in 0..rows {
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
