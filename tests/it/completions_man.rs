//! The command line describing itself: shell completions, man pages and the version line.

use crate::harness::Project;

#[test]
fn completions_are_generated_for_every_shell() {
    let project = Project::empty();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = project.run(&["completions", shell]);
        out.assert_code(0);
        for word in ["run", "check", "diff", "completions", "man", "color"] {
            assert!(out.stdout.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            project.write("interlock.bash", &out.stdout);
        }
    }
    match std::process::Command::new("bash")
        .arg("-n")
        .arg(project.file("interlock.bash"))
        .output()
    {
        Ok(parsed) => assert!(
            parsed.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&parsed.stderr)
        ),
        Err(_) => crate::support::skip("bash is not installed"),
    }
    let out = project.run(&["completions", "tcsh"]);
    out.assert_code(2);
}

#[test]
fn man_writes_a_page_per_subcommand() {
    let project = Project::empty();
    let out = project.run(&["man", "--out", "man"]);
    out.assert_code(0);
    assert!(out.stdout.starts_with("wrote "), "{}", out.stdout);
    for page in [
        "interlock.1",
        "interlock-run.1",
        "interlock-check.1",
        "interlock-completions.1",
        "interlock-report-merge.1",
        "interlock-import-har.1",
    ] {
        assert!(project.file(&format!("man/{page}")).is_file(), "{page}");
    }
    let main = project.read("man/interlock.1");
    assert!(main.contains(".TH interlock 1 "), "{main}");
    let run = project.read("man/interlock-run.1");
    assert!(run.contains(".TH interlock-run 1 "), "{run}");
    for option in [r"\-\-snapshots", r"\-\-shard", r"\-\-color", r"\-\-quiet"] {
        assert!(run.contains(option), "interlock-run.1 lacks {option}");
    }
    let leftovers = crate::harness::files_under(&project.file("man"))
        .into_iter()
        .filter(|f| f.extension().is_none_or(|e| e != "1"))
        .count();
    assert_eq!(leftovers, 0, "no temporary files left");
}

#[test]
fn version_names_the_commit_and_build_date() {
    let project = Project::empty();
    let line = regex::Regex::new(
        r"^interlock \d+\.\d+\.\d+\S* \(([0-9a-f]{4,}|unknown) (\d{4}-\d{2}-\d{2}|unknown)\)\n$",
    )
    .expect("regex");
    let out = project.run(&["--version"]);
    out.assert_code(0);
    assert!(line.is_match(&out.stdout), "{}", out.stdout);
    let short = project.run(&["version"]);
    assert_eq!(short.stdout, out.stdout);
    let long = project.run(&["version", "-v"]);
    long.assert_code(0);
    let lines: Vec<&str> = long.stdout.lines().collect();
    assert_eq!(format!("{}\n", lines[0]), out.stdout);
    for (prefix, at) in [
        ("commit: ", 1),
        ("build date: ", 2),
        ("target: ", 3),
        ("rustc: ", 4),
        ("features: ", 5),
        ("profile: ", 6),
    ] {
        assert!(lines[at].starts_with(prefix), "{}", long.stdout);
    }
}
