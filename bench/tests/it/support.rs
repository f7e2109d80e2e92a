//! Real processes for the tests: `rollupd dev` and anvil on OS-chosen ports, each killed when
//! dropped, and `rollup-bench` runs with a deadline.

use rollup_test_utils::KillOnDrop;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The bench binary under test.
pub fn bench_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rollup-bench"))
}

/// `target/<profile>/rollupd`, next to this test binary's `deps/` directory.
fn rollupd_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).expect("test binary in target/<profile>/deps");
    let bin = dir.join("rollupd");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p rollupd` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

/// A running node under test.
pub struct Node {
    _child: KillOnDrop,
    /// Its JSON-RPC URL.
    pub url: String,
    /// The JSON-RPC URL of its embedded L1 (`rollupd dev`).
    pub l1_url: Option<String>,
    _dir: Option<TempDir>,
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads `child`'s stdout until a line satisfies `ready`; returns the lines read. The rest is
/// drained in the background so the child never blocks on a full pipe.
fn wait_for_line(
    child: &mut Child,
    what: &str,
    ready: impl Fn(&str) -> bool + Send + 'static,
) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            text.push_str(&line);
            text.push('\n');
            if ready(&line) {
                let _ = tx.send(text.clone());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} did not become ready within 60 s"))
}

impl Node {
    /// `rollupd dev` on a fresh data directory and OS-chosen ports, with settlement on and no
    /// local prover (generating proving keys takes a minute); returns once its banner is out.
    pub fn rollupd_dev(name: &str) -> Self {
        let dir = rollup_test_utils::fresh_dir("rollup-bench-it", name);
        let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let mut cmd = Command::new(rollupd_bin());
        cmd.arg("dev").arg("--data-dir").arg(&dir);
        for s in [
            "rpc.addr=127.0.0.1:0",
            "dev_l1.addr=127.0.0.1:0",
            "metrics.addr=\"\"",
            "prover.local_workers=0",
            "prover.dev_keys=false",
        ] {
            cmd.arg("--set").arg(s);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::from(log)).spawn().unwrap();
        // The banner ends with dev account (9).
        let banner = wait_for_line(&mut child, "rollupd dev", |l| l.contains("(9)"));
        let url_of = |prefix: &str| {
            banner
                .lines()
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
                .unwrap_or_else(|| panic!("no {prefix} URL in the banner:\n{banner}"))
                .to_string()
        };
        let (url, l1_url) = (url_of("L2"), url_of("L1"));
        Self { _child: KillOnDrop(child), url, l1_url: Some(l1_url), _dir: Some(TempDir(dir)) }
    }

    /// The pinned anvil ([`rollup_test_utils::anvil_path`]) with one-second blocks.
    pub fn anvil() -> Self {
        let bin = rollup_test_utils::anvil_path()
            .expect("anvil is missing: run `npm ci --prefix tools` or set ANVIL_BIN");
        let port = free_port();
        let mut child = Command::new(bin)
            .args(["--port", &port.to_string(), "--block-time", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_line(&mut child, "anvil", |l| l.contains("Listening on"));
        let url = format!("http://127.0.0.1:{port}");
        Self { _child: KillOnDrop(child), url, l1_url: None, _dir: None }
    }
}

/// One JSON-RPC call to `url` (`http://host:port`, plain HTTP/1.1); its `result`, failing on an
/// error answer.
pub fn rpc(url: &str, method: &str, params: Value) -> Value {
    let addr = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, mut rest) = text.split_once("\r\n\r\n").unwrap();
    let mut body = String::new();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            body.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
    } else {
        body.push_str(rest);
    }
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(v.get("error").is_none(), "{method} failed: {v}");
    v["result"].clone()
}

/// A hex quantity of a JSON-RPC answer.
pub fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// `eth_getBalance` at the latest block, in wei.
pub fn balance(url: &str, address: &str) -> u128 {
    quantity(&rpc(url, "eth_getBalance", json!([address, "latest"])))
}

/// Asserts exit 2, nothing on stdout and exactly one stderr line containing `needle`.
pub fn assert_one_line_exit_2(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(out.stdout.is_empty(), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(lines[0].starts_with("rollup-bench: error: "), "{}", lines[0]);
    assert!(lines[0].contains(needle), "`{needle}` not in: {}", lines[0]);
}

/// A port nothing listens on right now.
pub use rollup_test_utils::free_port;

/// Short-run flags every load test uses: small, quick, and tolerant of a busy machine.
pub const QUICK: [&str; 8] =
    ["--duration", "3", "--accounts", "8", "--max-tps", "3000", "--drain", "20"];

/// Runs rollup-bench with `args` (stdout and stderr captured), killing it after 90 s.
pub fn run_bench(args: &[&str]) -> Output {
    let mut child = Command::new(bench_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        stdout.read_to_end(&mut b).unwrap();
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        stderr.read_to_end(&mut b).unwrap();
        b
    });
    let status = wait_with_deadline(&mut child, Duration::from_secs(90));
    Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Waits for `child`, killing it (and failing) past `limit`.
pub fn wait_with_deadline(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rollup-bench did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The JSON object on the last line of stdout; fails with both streams shown otherwise.
pub fn summary(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "rollup-bench failed ({}):\n{stdout}\n{stderr}", out.status);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!("last line is not JSON ({e}): {last}\nstdout:\n{stdout}\nstderr:\n{stderr}")
    })
}

/// Asserts a run included transactions and had no error; returns its summary.
pub fn assert_clean_run(out: &Output) -> Value {
    let s = summary(out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(s["included"].as_u64().unwrap() > 0, "nothing included:\n{stdout}");
    assert_eq!(s["errors"], 0, "errors:\n{stdout}");
    assert_eq!(s["included"], s["sent"], "not everything sent was included:\n{stdout}");
    for key in ["tps", "p10_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms", "sign_s", "bench_cpu_pct"]
    {
        assert!(s[key].is_number(), "{key} missing in {s}");
    }
    s
}
