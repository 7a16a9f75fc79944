//! `interlock diff` on the largest real spec pair: the Xero accounting API (~1.2 MB of YAML per
//! side), parse + resolve + normalise + compare. Skips when the shared corpus is absent.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use interlock::diff::{self, DiffConfig};

fn xero_accounting(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-apis/xero-openapi");
    let old = dir.join("9db27c8184-xero_accounting.yaml");
    let new = dir.join("f7503209a1-xero_accounting.yaml");
    if !old.is_file() || !new.is_file() {
        println!("skipped: the shared corpus is absent ({})", dir.display());
        return;
    }
    let config = DiffConfig::default();
    let mut group = c.benchmark_group("diff");
    group.sample_size(20);
    group.bench_function("xero_accounting", |b| {
        b.iter(|| {
            let report = diff::diff_paths(&old, &new, None, &config);
            assert!(report.is_ok_and(|r| r.summary.breaking > 0));
        })
    });
    group.finish();
}

criterion_group!(benches, xero_accounting);
criterion_main!(benches);
