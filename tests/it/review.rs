//! `interlock review` on a real pseudo-terminal (a tmux pane): the diff is shown, and accept,
//! reject and "mark as noise" do what they say to the files.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::Project;
use crate::snapshots_cmd::{
    RECEIVABLE_318, RECEIVABLE_342, RECEIVABLE_UNKNOWN, bundled_without_snapshots, run_local,
};

/// Three different answers from the target, one per exchange of `receivables-check`.
fn change_receivables(project: &Project) {
    let file = "scenarios/receivables-check/crm.jsonl";
    project.edit(file, "\"amount\":126000,", "\"amount\":126500,");
    project.edit(file, "\"amount\":38650.5,", "\"amount\":38650.75,");
    project.edit(file, "在 ERP 中没有应收记录", "在 ERP 中无应收记录");
}

/// A project with three pending snapshots in `receivables-check`.
fn three_pending() -> Project {
    let project = bundled_without_snapshots();
    run_local(&project, &["run", "--snapshots", "always"]).assert_code(0);
    change_receivables(&project);
    let out = run_local(&project, &["run", "receivables-check"]);
    assert!(
        out.stderr
            .contains("snapshots: 3 pending (3 changed, 0 new)"),
        "{}",
        out.stderr
    );
    project
}

#[test]
fn review_without_a_terminal_points_at_accept_and_reject() {
    let project = three_pending();
    let out = project.run(&["review"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("input is not a terminal (3 pending snapshots)")
            && out.stderr.contains("interlock accept [--all | SCENARIO…]"),
        "{}",
        out.stderr
    );
    assert!(project.file(&format!("{RECEIVABLE_318}.new")).is_file());
}

/// A tmux server of its own, killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn start(dir: &Path, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("interlock-review-{}", std::process::id()),
        };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "200", "-y", "60", "-c"])
            .arg(dir)
            .arg(command)
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    /// The whole pane, history included.
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-2000",
            ])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `text` `count` times.
    #[track_caller]
    fn wait_for(&self, text: &str, count: usize) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= count {
                return screen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "waited for {text:?} ×{count}; the pane shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&self, keys: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "-l", keys])
            .status()
            .expect("send-keys");
        assert!(status.success());
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "Enter"])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

const PROMPT: &str = "n mark a field as noise · q quit > ";

#[test]
fn review_in_a_terminal_accepts_rejects_and_marks_noise() {
    if !Tmux::available() {
        crate::support::skip(
            "review_in_a_terminal_accepts_rejects_and_marks_noise: tmux is not installed \
             (apt-get install tmux; .ci/run does)",
        );
        return;
    }
    let project = three_pending();
    let accepted_342 = project.read(RECEIVABLE_342);
    let scenario_before = project.read("scenarios/receivables-check/scenario.yaml");
    let command = format!(
        "env NO_COLOR=1 {} review receivables-check; echo REVIEW-EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_interlock")
    );
    let tmux = Tmux::start(project.path(), &command);

    // 1: the diff of the first change, then accept.
    let screen = tmux.wait_for(PROMPT, 1);
    assert!(
        screen.contains("[1/3] receivables-check__001_get_api_v1_invoices_invoice_no_payment_status — changed snapshot"),
        "{screen}"
    );
    assert!(
        screen.contains("exchange:  GET /api/v1/invoices/{invoice_no}/payment-status #1"),
        "{screen}"
    );
    assert!(
        screen.contains("-    \"amount\": 126000,\n+    \"amount\": 126500,"),
        "{screen}"
    );
    tmux.send("a");

    // 2: reject.
    let screen = tmux.wait_for(PROMPT, 2);
    assert!(screen.contains("accepted → "), "{screen}");
    assert!(
        screen.contains("-    \"amount\": 38650.5,\n+    \"amount\": 38650.75,"),
        "{screen}"
    );
    tmux.send("r");

    // 3: the message text differs on every deployment: mark `/message` as noise.
    let screen = tmux.wait_for(PROMPT, 3);
    assert!(screen.contains("rejected; "), "{screen}");
    assert!(
        screen.contains("+    \"message\": \"发票 INV-2026-009999 在 ERP 中无应收记录\""),
        "{screen}"
    );
    tmux.send("n");
    let screen = tmux.wait_for("number (empty to go back) > ", 1);
    let choice = screen
        .lines()
        .find_map(|l| l.trim().strip_suffix(") /message"))
        .unwrap_or_else(|| panic!("`/message` is not offered:\n{screen}"))
        .to_string();
    tmux.send(&choice);

    let screen = tmux.wait_for("REVIEW-EXIT=", 1);
    assert!(
        screen.contains("added `/message` to the ignore list of "),
        "{screen}"
    );
    assert!(
        screen.contains("review done: 1 accepted, 1 rejected, 0 left pending, 1 noise rule added"),
        "{screen}"
    );
    assert!(screen.contains("REVIEW-EXIT=0"), "{screen}");

    // Accepted: the new content is the snapshot. Rejected: the old one stays.
    assert!(project.read(RECEIVABLE_318).contains("\"amount\": 126500,"));
    assert!(!project.file(&format!("{RECEIVABLE_318}.new")).exists());
    assert_eq!(project.read(RECEIVABLE_342), accepted_342);
    assert!(!project.file(&format!("{RECEIVABLE_342}.new")).exists());
    // Noise: the rule is in scenario.yaml (comments kept), both snapshots carry the placeholder,
    // and nothing is pending for that exchange.
    let scenario = project.read("scenarios/receivables-check/scenario.yaml");
    assert_eq!(
        scenario,
        scenario_before.replace(
            "ignore:\n  - header:x-request-id\n",
            "ignore:\n  - header:x-request-id\n  - /message\n"
        ),
    );
    assert!(
        project
            .read(RECEIVABLE_UNKNOWN)
            .contains("\"message\": \"[ignored]\"")
    );
    assert!(!project.file(&format!("{RECEIVABLE_UNKNOWN}.new")).exists());

    // The scenario still loads, the noise stays away; only the rejected change comes back.
    let out = run_local(&project, &["run", "receivables-check"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("snapshots: 1 pending (1 changed, 0 new)"),
        "{}",
        out.stderr
    );
    assert!(project.file(&format!("{RECEIVABLE_342}.new")).is_file());
    assert!(!project.file(&format!("{RECEIVABLE_UNKNOWN}.new")).exists());
}
