//! Build facts for `interlock --version` and `interlock version -v`: the git commit, the build
//! date, the target triple, the rustc version and the enabled features.
//!
//! Never fails the build: without git, or outside a git checkout (a crates.io tarball), the
//! commit is `unknown`. The date is today in UTC, or the day of `SOURCE_DATE_EPOCH` when that is
//! set (reproducible builds). The script reruns when `HEAD` or the branch it points at moves.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = match git_dir(&manifest) {
        Some(git_dir) => {
            watch_head(&git_dir);
            git_commit(&manifest).unwrap_or_else(|| "unknown".to_string())
        }
        None => "unknown".to_string(),
    };
    println!("cargo:rustc-env=INTERLOCK_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=INTERLOCK_BUILD_DATE={}", build_date());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=INTERLOCK_TARGET={target}");
    println!("cargo:rustc-env=INTERLOCK_RUSTC={}", rustc_version());
    println!("cargo:rustc-env=INTERLOCK_FEATURES={}", features());
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=INTERLOCK_PROFILE={profile}");
}

/// The checkout's git directory: `.git` itself, or where a worktree's `.git` file points.
fn git_dir(manifest: &Path) -> Option<PathBuf> {
    let dot_git = manifest.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let dir = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
    Some(if dir.is_absolute() {
        dir
    } else {
        manifest.join(dir)
    })
}

/// Reruns the script when `HEAD` changes or the branch it names moves (a loose ref, or
/// `packed-refs` of the common git directory a worktree shares).
fn watch_head(git_dir: &Path) {
    let head = git_dir.join("HEAD");
    watch(&head);
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.to_path_buf());
    if let Ok(text) = std::fs::read_to_string(&head)
        && let Some(reference) = text.trim().strip_prefix("ref:")
    {
        let reference = reference.trim();
        watch(&git_dir.join(reference));
        watch(&common.join(reference));
    }
    watch(&common.join("packed-refs"));
}

/// A file that does not exist is not watched: cargo would rerun the script on every build.
fn watch(path: &Path) {
    if path.is_file() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git_commit(manifest: &Path) -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(manifest)
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    let plausible = !commit.is_empty() && commit.chars().all(|c| c.is_ascii_hexdigit());
    (output.status.success() && plausible).then_some(commit)
}

/// `YYYY-MM-DD` in UTC.
fn build_date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_secs()).ok())
        });
    match seconds {
        Some(s) => {
            let (y, m, d) = civil_from_days(s.div_euclid(86_400));
            format!("{y:04}-{m:02}-{d:02}")
        }
        None => "unknown".to_string(),
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `rustc 1.89.0 (29483883e 2025-08-04)`, from the compiler cargo uses.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The enabled cargo features, lower-case and comma-separated; `none` without any.
fn features() -> String {
    let mut names: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|f| f.to_lowercase().replace('_', "-"))
        })
        .collect();
    names.sort();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(",")
    }
}
