//! How Interlock is shipped: the package metadata in `Cargo.toml` (licence, names,
//! `rust-version` against what the locked dependencies declare), the `dist` profile, and the
//! Debian package's contents. `.ci/run` builds the package with `ci/package-deb`, installs it
//! and runs the bundled example with the installed binary.

use std::process::Command;

use crate::harness::repo_root;

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml");
    text.parse().expect("Cargo.toml is TOML")
}

fn package(manifest: &toml::Table) -> &toml::Table {
    manifest["package"].as_table().expect("[package]")
}

fn string<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table
        .get(key)
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("no string `{key}` in {table:?}"))
}

/// `1.88`, `1.88.0` → `(1, 88, 0)`.
fn rust_version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|part| {
        part.parse::<u64>()
            .unwrap_or_else(|_| panic!("not a rust-version: {text:?}"))
    });
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    (major, minor, patch)
}

#[test]
fn the_licence_file_is_the_mit_licence_cargo_toml_names() {
    let manifest = manifest();
    let package = package(&manifest);
    assert_eq!(string(package, "license"), "MIT");
    let licence = std::fs::read_to_string(repo_root().join("LICENSE")).expect("LICENSE");
    assert!(licence.starts_with("MIT License\n"), "{licence}");
    assert!(
        licence.contains("Copyright (c) 2026 The Interlock developers"),
        "{licence}"
    );
    assert!(licence.contains("THE SOFTWARE IS PROVIDED \"AS IS\""));
    // The Debian package's copyright file is made from the same file.
    let deb = package["metadata"]["deb"].as_table().expect("metadata.deb");
    assert_eq!(deb["license-file"][0].as_str(), Some("LICENSE"));
}

#[test]
fn the_package_names_its_repository_readme_and_the_binary_stays_interlock() {
    let manifest = manifest();
    let package = package(&manifest);
    for key in ["repository", "homepage"] {
        assert!(string(package, key).starts_with("https://"), "{key}");
    }
    let readme = string(package, "readme");
    assert!(repo_root().join(readme).is_file(), "{readme}");
    let keywords = package["keywords"].as_array().expect("keywords");
    assert!(
        !keywords.is_empty() && keywords.len() <= 5,
        "crates.io takes up to 5 keywords"
    );
    assert!(
        !package["categories"]
            .as_array()
            .expect("categories")
            .is_empty()
    );
    // `interlock` on crates.io is another project: the package has its own name, while the
    // library (`use interlock::…`) and the binary keep `interlock`.
    assert_eq!(string(package, "name"), "interlock-cli");
    assert_eq!(
        string(manifest["lib"].as_table().expect("[lib]"), "name"),
        "interlock"
    );
    let bins = manifest["bin"].as_array().expect("[[bin]]");
    assert_eq!(bins[0]["name"].as_str(), Some("interlock"));
    assert_eq!(string(package, "default-run"), "interlock");
}

#[test]
fn the_dist_profile_strips_and_optimizes_the_whole_program() {
    let manifest = manifest();
    let dist = manifest["profile"]["dist"]
        .as_table()
        .expect("[profile.dist]");
    assert_eq!(string(dist, "inherits"), "release");
    assert_eq!(dist["strip"].as_bool(), Some(true));
    assert_eq!(dist["lto"].as_bool(), Some(true));
    assert_eq!(dist["codegen-units"].as_integer(), Some(1));
    // Panics unwind, as in every other profile: a panic in one task is reported, not an abort.
    assert!(dist.get("panic").is_none() && manifest["profile"]["release"].get("panic").is_none());
}

#[test]
fn no_locked_dependency_needs_a_newer_rust_than_the_declared_rust_version() {
    let manifest = manifest();
    let ours = string(package(&manifest), "rust-version").to_string();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = repo_root();
    let metadata = |extra: &[&str]| {
        Command::new(&cargo)
            .args(["metadata", "--offline", "--locked", "--format-version", "1"])
            .args(extra)
            .current_dir(&root)
            .output()
    };
    let Ok(mut out) = metadata(&[]) else {
        crate::support::skip("cargo is not installed: cannot read the locked dependencies");
        return;
    };
    if !out.status.success() {
        // Offline, cargo has downloaded only the packages this platform builds.
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let version = Command::new(rustc).arg("-vV").output().expect("rustc -vV");
        let host = String::from_utf8_lossy(&version.stdout)
            .lines()
            .find_map(|line| line.strip_prefix("host: ").map(str::to_string))
            .expect("rustc -vV names the host");
        eprintln!("cargo metadata: only the packages for {host} are downloaded");
        out = metadata(&["--filter-platform", &host]).expect("cargo metadata");
    }
    assert!(
        out.status.success(),
        "cargo metadata:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let root_id = metadata["resolve"]["root"].as_str().expect("resolve.root");
    let packages = metadata["packages"].as_array().expect("packages");
    assert!(packages.len() > 100, "only {} packages", packages.len());
    let mut too_new: Vec<String> = packages
        .iter()
        .filter(|p| p["id"].as_str() != Some(root_id))
        .filter_map(|p| {
            let theirs = p["rust_version"].as_str()?;
            (rust_version(theirs) > rust_version(&ours)).then(|| {
                let name = p["name"].as_str().unwrap_or("?");
                let version = p["version"].as_str().unwrap_or("?");
                format!("{name} {version} needs {theirs}")
            })
        })
        .collect();
    too_new.sort();
    assert!(
        too_new.is_empty(),
        "Cargo.toml says rust-version = {ours:?}, but:\n{}",
        too_new.join("\n")
    );
}

#[test]
fn the_debian_package_ships_the_binary_docs_licence_man_pages_and_completions() {
    let manifest = manifest();
    let deb = manifest["package"]["metadata"]["deb"]
        .as_table()
        .expect("[package.metadata.deb]");
    assert_eq!(string(deb, "name"), "interlock");
    let targets = |assets: &toml::Value| -> Vec<(String, String)> {
        assets
            .as_array()
            .expect("assets")
            .iter()
            .map(|a| {
                (
                    a[0].as_str().expect("source").to_string(),
                    a[1].as_str().expect("destination").to_string(),
                )
            })
            .collect()
    };
    let full = targets(&deb["assets"]);
    for (source, destination) in [
        ("target/release/interlock", "usr/bin/"),
        ("target/assets/man/*.1", "usr/share/man/man1/"),
        (
            "target/assets/completions/interlock.bash",
            "usr/share/bash-completion/completions/interlock",
        ),
        (
            "target/assets/completions/_interlock",
            "usr/share/zsh/vendor-completions/_interlock",
        ),
        (
            "target/assets/completions/interlock.fish",
            "usr/share/fish/vendor_completions.d/interlock.fish",
        ),
    ] {
        assert!(
            full.contains(&(source.to_string(), destination.to_string())),
            "{source} → {destination} in {full:?}"
        );
    }
    // ci/package-deb writes exactly the generated assets the package lists.
    let script = std::fs::read_to_string(repo_root().join("ci/package-deb")).expect("script");
    for generated in [
        "man --out \"$assets/man\"",
        "completions bash >\"$assets/completions/interlock.bash\"",
        "completions zsh >\"$assets/completions/_interlock\"",
        "completions fish >\"$assets/completions/interlock.fish\"",
        "cargo deb --profile \"$profile\" --no-build",
    ] {
        assert!(
            script.contains(generated),
            "ci/package-deb runs {generated}"
        );
    }
}
