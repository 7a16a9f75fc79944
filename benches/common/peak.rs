//! A child process's peak resident memory (`VmHWM`), read from `/proc` while it runs.
//!
//! Included with `#[path]` only by the benches that measure a process (`reconcile`, `scale`),
//! so that the benches that do not (`mock`, `peers`) carry no unused code.

use std::process::{Child, ExitStatus};
use std::time::Duration;

/// Waits for `child`, reading its `VmHWM` every `every`; returns how it ended and the largest
/// peak read, in KiB (0 when `/proc` gave none, e.g. the process ended before the first read).
pub fn wait_with_peak(child: &mut Child, every: Duration) -> (ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Some(kb) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(vm_hwm_kb)
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak_kb);
        }
        std::thread::sleep(every);
    }
}

/// The `VmHWM:` line of a `/proc/PID/status` text, in KiB.
fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
}
