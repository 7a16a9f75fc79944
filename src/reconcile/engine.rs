//! The join: both sides externally sorted by normalised key ([`super::sort`]), then one merge
//! pass that counts matched, missing and duplicate keys and compares each field of every key
//! present exactly once on both sides.
//!
//! Sort-merge rather than a hash join: memory stays bounded by the sort's chunk whatever the
//! sizes of both sides (a hash join holds the whole smaller side, and both sides of a
//! CRM↔ERP reconciliation are usually the same size), duplicates fall out of the merge as
//! neighbours, and the output comes in key order, so the first mismatching keys reported are
//! stable from run to run.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::compare::{Comparison, normalise_key};
use super::redact::Printer;
use super::sort::{Row, Sorted, Sorter};
use super::source::{self, Environment};
use super::spec::{Reconciliation, Side, Source};
use crate::error::Error;
use crate::model::{
    Example, ReconciledField, ReconciledSide, Reconciliation as Reconciled, ThresholdCheck,
};

/// How a reconciliation came out: its counts, or why a source could not be read.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    /// Why a source could not be read (exit 3); the counts are then zero.
    pub error: Option<String>,
    pub counts: Reconciled,
    pub duration: Duration,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Mismatching keys kept per field (and missing or duplicate keys per side).
    pub examples: usize,
    /// Rows held in memory per side before spilling to disk.
    pub chunk_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            examples: 10,
            chunk_rows: super::sort::CHUNK_ROWS,
        }
    }
}

/// Reconciles one file's two sides. A source that cannot be read makes an outcome with the
/// verdict `error` (exit 3); only an invalid input is an `Err`.
pub async fn reconcile(
    rec: &Reconciliation,
    env: &Environment,
    printer: &Printer,
    options: &Options,
) -> Result<Outcome, Error> {
    let started = Instant::now();
    let mut outcome = Outcome {
        name: rec.name.clone(),
        error: None,
        counts: Reconciled {
            file: rec.file.display().to_string(),
            description: rec.description.clone(),
            sides: [
                side_counts(&rec.sides[0], env),
                side_counts(&rec.sides[1], env),
            ],
            fields: rec
                .fields
                .iter()
                .map(|f| ReconciledField {
                    name: f.name.clone(),
                    compare: f.comparison.name().to_owned(),
                    pointers: f.pointers.clone(),
                    max_mismatch_rate: f.max_mismatch_rate,
                    passed: true,
                    ..ReconciledField::default()
                })
                .collect(),
            ..Reconciled::default()
        },
        duration: Duration::ZERO,
    };
    let sorted = match read_both(rec, env, options, &mut outcome.counts).await {
        Ok(sorted) => sorted,
        Err(Error::Environment(message)) => {
            outcome.error = Some(message);
            outcome.duration = started.elapsed();
            return Ok(outcome);
        }
        Err(err) => return Err(err),
    };
    join(rec, sorted, printer, options, &mut outcome.counts)?;
    judge(rec, &mut outcome.counts);
    outcome.duration = started.elapsed();
    Ok(outcome)
}

fn side_counts(side: &Side, env: &Environment) -> ReconciledSide {
    let source = match &side.source {
        Source::Http(http) => format!(
            "{} {}{}",
            http.method,
            env.targets
                .get(&http.target)
                .map(|u| crate::db::url::mask(u.trim_end_matches('/')))
                .unwrap_or_else(|| http.target.clone()),
            http.path
        ),
        Source::Recording { file, .. } => file.display().to_string(),
        Source::Sql { database, .. } => match env.databases.get(database) {
            Some(url) => crate::db::url::mask(url),
            None => database.clone(),
        },
    };
    ReconciledSide {
        name: side.name.clone(),
        source,
        ..ReconciledSide::default()
    }
}

/// The value pointers read from each row of side `i`: every field's, then the currencies of
/// the `money` fields.
fn value_pointers(rec: &Reconciliation, i: usize) -> Vec<String> {
    let mut pointers: Vec<String> = rec.fields.iter().map(|f| f.pointers[i].clone()).collect();
    pointers.extend(
        rec.fields
            .iter()
            .filter_map(|f| f.currency.as_ref().map(|c| c[i].clone())),
    );
    pointers
}

async fn read_both(
    rec: &Reconciliation,
    env: &Environment,
    options: &Options,
    outcome: &mut Reconciled,
) -> Result<[Sorted; 2], Error> {
    let mut sorted = Vec::new();
    for (i, side) in rec.sides.iter().enumerate() {
        let pointers = value_pointers(rec, i);
        let mut sorter = Sorter::with_chunk(options.chunk_rows);
        let mut without_key = 0u64;
        let mut each = |row: Value| -> Result<(), Error> {
            let key_value = row.pointer(&side.key);
            let Some(key) = normalise_key(key_value, &side.transforms) else {
                without_key += 1;
                return Ok(());
            };
            let original = match key_value {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let values = pointers
                .iter()
                .map(|p| row.pointer(p).cloned().unwrap_or(Value::Null))
                .collect();
            sorter.push(Row {
                key,
                original,
                values,
            })
        };
        source::read(side, env, &mut each).await?;
        outcome.sides[i].without_key = without_key;
        outcome.sides[i].rows = sorter.rows + without_key;
        sorted.push(sorter.finish()?);
    }
    let b = sorted
        .pop()
        .ok_or_else(|| Error::environment("no second side"))?;
    let a = sorted
        .pop()
        .ok_or_else(|| Error::environment("no first side"))?;
    Ok([a, b])
}

/// The rows of one key on one side (consecutive in the sorted stream).
struct Group {
    rows: Vec<Row>,
}

struct Grouped {
    sorted: Sorted,
    peeked: Option<Row>,
}

impl Grouped {
    fn new(mut sorted: Sorted) -> Result<Grouped, Error> {
        let peeked = sorted.next_row()?;
        Ok(Grouped { sorted, peeked })
    }

    fn peek_key(&self) -> Option<&str> {
        self.peeked.as_ref().map(|r| r.key.as_str())
    }

    fn next_group(&mut self) -> Result<Option<Group>, Error> {
        let Some(first) = self.peeked.take() else {
            return Ok(None);
        };
        let mut rows = vec![first];
        loop {
            match self.sorted.next_row()? {
                Some(row) if row.key == rows[0].key => rows.push(row),
                other => {
                    self.peeked = other;
                    break;
                }
            }
        }
        Ok(Some(Group { rows }))
    }
}

fn join(
    rec: &Reconciliation,
    [a, b]: [Sorted; 2],
    printer: &Printer,
    options: &Options,
    outcome: &mut Reconciled,
) -> Result<(), Error> {
    let mut sides = [Grouped::new(a)?, Grouped::new(b)?];
    let currency_index: Vec<Option<usize>> = {
        let mut next = rec.fields.len();
        rec.fields
            .iter()
            .map(|f| {
                f.currency.as_ref().map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    };
    let key_shown =
        |i: usize, key: &str| printer.value(&rec.sides[i].key, &Value::String(key.to_owned()));
    loop {
        let order = match (sides[0].peek_key(), sides[1].peek_key()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        };
        let (ga, gb) = match order {
            std::cmp::Ordering::Less => (sides[0].next_group()?, None),
            std::cmp::Ordering::Greater => (None, sides[1].next_group()?),
            std::cmp::Ordering::Equal => (sides[0].next_group()?, sides[1].next_group()?),
        };
        let groups = [ga, gb];
        let mut duplicated = false;
        for (i, group) in groups.iter().enumerate() {
            if let Some(g) = group
                && g.rows.len() > 1
            {
                duplicated = true;
                let counts = &mut outcome.sides[i];
                counts.duplicate_keys += 1;
                counts.duplicate_rows += g.rows.len() as u64;
                if counts.duplicate_examples.len() < options.examples {
                    counts
                        .duplicate_examples
                        .push(key_shown(i, &g.rows[0].original));
                }
            }
        }
        if duplicated {
            continue;
        }
        match groups {
            [Some(x), None] => {
                let counts = &mut outcome.sides[1];
                counts.missing += 1;
                if counts.missing_examples.len() < options.examples {
                    counts
                        .missing_examples
                        .push(key_shown(0, &x.rows[0].original));
                }
            }
            [None, Some(y)] => {
                let counts = &mut outcome.sides[0];
                counts.missing += 1;
                if counts.missing_examples.len() < options.examples {
                    counts
                        .missing_examples
                        .push(key_shown(1, &y.rows[0].original));
                }
            }
            [Some(x), Some(y)] => {
                outcome.matched += 1;
                let (x, y) = (&x.rows[0], &y.rows[0]);
                let mut any = false;
                for (f, field) in rec.fields.iter().enumerate() {
                    let currencies = currency_index[f].map(|c| (x.values.get(c), y.values.get(c)));
                    let Some(reason) =
                        field
                            .comparison
                            .differs(x.values.get(f), y.values.get(f), currencies)
                    else {
                        continue;
                    };
                    any = true;
                    let result = &mut outcome.fields[f];
                    result.mismatches += 1;
                    if result.examples.len() < options.examples {
                        let shown = |i: usize, row: &Row| {
                            let value = row.values.get(f).cloned().unwrap_or(Value::Null);
                            let value = printer.value(&field.pointers[i], &value);
                            match (&field.comparison, currency_index[f]) {
                                (Comparison::Money { .. }, Some(c)) => {
                                    let currency =
                                        row.values.get(c).cloned().unwrap_or(Value::Null);
                                    serde_json::json!({"amount": value, "currency": currency})
                                }
                                _ => value,
                            }
                        };
                        result.examples.push(Example {
                            keys: [key_shown(0, &x.original), key_shown(1, &y.original)],
                            values: [shown(0, x), shown(1, y)],
                            reason,
                        });
                    }
                }
                if any {
                    outcome.mismatched += 1;
                }
            }
            [None, None] => break,
        }
    }
    Ok(())
}

fn rate(count: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        count as f64 / of as f64
    }
}

/// Rates and thresholds: the verdict.
fn judge(rec: &Reconciliation, outcome: &mut Reconciled) {
    let matched = outcome.matched;
    outcome.mismatch_rate = rate(outcome.mismatched, matched);
    let missing = outcome.sides[0].missing + outcome.sides[1].missing;
    outcome.missing_rate = rate(missing, matched + missing);
    for side in &mut outcome.sides {
        side.missing_rate = rate(side.missing, matched + side.missing);
    }
    let mut checks = Vec::new();
    let mut check = |name: String, limit: Option<f64>, actual: f64| {
        if let Some(limit) = limit {
            checks.push(ThresholdCheck {
                name,
                limit,
                actual,
                exceeded: actual > limit,
            });
        }
    };
    check(
        "max_mismatch_rate".to_owned(),
        rec.threshold.max_mismatch_rate,
        outcome.mismatch_rate,
    );
    check(
        "max_missing_rate".to_owned(),
        rec.threshold.max_missing_rate,
        outcome.missing_rate,
    );
    for (side, limit) in outcome.sides.iter().zip(rec.threshold.max_missing_in) {
        check(
            format!("max_missing_in_{}", side.name),
            limit,
            side.missing_rate,
        );
    }
    for field in &mut outcome.fields {
        field.rate = rate(field.mismatches, matched);
        check(
            format!("fields.{}.max_mismatch_rate", field.name),
            field.max_mismatch_rate,
            field.rate,
        );
        // A field without a limit of its own answers to the overall one.
        field.passed = field
            .max_mismatch_rate
            .or(rec.threshold.max_mismatch_rate)
            .is_none_or(|limit| field.rate <= limit);
    }
    outcome.thresholds = checks;
}
