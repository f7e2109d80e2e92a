//! The live progress line: redrawn in place on a terminal (here a pseudo-terminal), plain
//! lines on a pipe.

use crate::support::{bench_bin, summary, wait_with_deadline, Node, QUICK};
use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The sequence that starts every redraw: carriage return, clear the line.
const REDRAW: &str = "\r\x1b[2K";

/// Runs rollup-bench with stderr on a fresh pseudo-terminal; returns its output, stderr being
/// what the terminal received.
fn run_on_pty(args: &[&str]) -> Output {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the given integers; no name, default modes.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are fresh and owned here from now on.
    let (mut master, slave) = unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) };
    let mut cmd = Command::new(bench_bin());
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::from(slave));
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // our copy of the slave: the master reads EOF (EIO) once the child is gone
    let terminal = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Ends with EIO when the last slave descriptor closes.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    });
    let mut stdout = child.stdout.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        stdout.read_to_end(&mut b).unwrap();
        b
    });
    let status = wait_with_deadline(&mut child, Duration::from_secs(90));
    Output { status, stdout: out.join().unwrap(), stderr: terminal.join().unwrap() }
}

#[test]
fn terminal_gets_one_line_redrawn_in_place() {
    let node = Node::rollupd_dev("pty");
    let mut args = vec!["--rpc", node.url.as_str()];
    args.extend(QUICK);
    let out = run_on_pty(&args);
    summary(&out);
    let tty = String::from_utf8_lossy(&out.stderr);
    // ~500 ms redraws over a 3 s window, then the drain.
    let redraws: Vec<&str> = tty.split(REDRAW).skip(1).filter(|s| s.starts_with('[')).collect();
    assert!(redraws.len() >= 4, "expected redrawn progress lines, the terminal got:\n{tty:?}");
    for r in &redraws {
        for field in ["sent ", "included ", "tps ", "errors ", "p50 "] {
            assert!(r.contains(field), "`{field}` missing in a progress line: {r:?}");
        }
    }
}

#[test]
fn pipe_gets_plain_progress_lines() {
    let node = Node::rollupd_dev("pipe");
    let mut args = vec!["--rpc", node.url.as_str(), "--progress-secs", "1"];
    args.extend(QUICK);
    let out = crate::support::run_bench(&args);
    summary(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "terminal codes on a pipe:\n{stderr:?}"
    );
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert!(progress.len() >= 2, "expected a progress line a second:\n{stderr}");
    assert!(progress.iter().all(|l| l.contains(" tps ") && l.contains(" p50 ")), "{stderr}");
}
