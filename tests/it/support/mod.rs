#![allow(dead_code)]
//! Helpers shared by the integration tests.

pub mod crm;
pub mod gate;
pub mod ledger;
pub mod noisy_crm;
pub mod postgres;
pub mod serve;
pub mod staging;

/// Notes that a test cannot run here because a tool it drives is missing, and says why on
/// stderr; fails instead when `INTERLOCK_REQUIRE_TOOLS` is set (`.ci/run` sets it after
/// installing every tool), so a test can never pass in CI by skipping itself.
#[track_caller]
pub fn skip(why: &str) {
    if std::env::var_os("INTERLOCK_REQUIRE_TOOLS").is_some_and(|v| !v.is_empty()) {
        panic!("{why}, but INTERLOCK_REQUIRE_TOOLS says every tool is installed");
    }
    eprintln!("SKIPPED: {why}");
}

/// The shared real-API corpus (`../shared/corpus/real-apis` beside the checkout), read in
/// place; `None` after [`skip`] when it is absent, as in a user's fresh clone.
#[track_caller]
pub fn shared_corpus() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-apis");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(&format!(
            "the shared real-API corpus is absent ({}); it lives beside the repository",
            dir.display()
        ));
        None
    }
}
