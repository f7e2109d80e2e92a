//! A real `rollupd dev` process on OS-chosen ports and a temporary data directory, plus the
//! project's solc for test contracts.

use alloy::json_abi::JsonAbi;
use alloy::network::EthereumWallet;
use alloy::primitives::Bytes;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use rollup_test_utils::signer;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Dev account 0's private key as the CLI takes it (`rollup_test_utils::key_hex(0)`, spelled out
/// for argument lists).
pub(crate) const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// A fresh temporary directory.
pub(crate) fn tmp_dir(name: &str) -> PathBuf {
    rollup_test_utils::fresh_dir("rollupd-it", name)
}

/// Runs `rollupd args` to completion (no deployer key from the environment); its output.
pub(crate) fn rollupd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollupd"))
        .args(args)
        .env_remove("ROLLUPD_DEPLOYER_KEY")
        .output()
        .expect("run rollupd")
}

/// A running `rollupd dev`.
pub(crate) struct DevNode {
    child: Option<Child>,
    pub(crate) data_dir: PathBuf,
    pub l1_url: String,
    pub l2_url: String,
    pub(crate) metrics_url: String,
    pub(crate) stdout: String,
    pub(crate) stderr_log: PathBuf,
}

impl DevNode {
    /// Starts `rollupd dev` on `data_dir` with extra `--set` overrides; waits for the banner.
    pub(crate) fn start(data_dir: &Path, sets: &[&str]) -> Self {
        Self::start_with_env(data_dir, sets, &[])
    }

    /// [`DevNode::start`] with extra environment variables (for example `ROLLUPD_FAULTS`).
    pub(crate) fn start_with_env(data_dir: &Path, sets: &[&str], env: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(data_dir).unwrap();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let stderr_log = data_dir.join(format!("stderr-{}.log", stamp.as_nanos()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollupd"));
        cmd.arg("dev").arg("--data-dir").arg(data_dir);
        // No local prover unless a test asks for one: generating the dev keys takes a minute.
        for s in [
            "rpc.addr=127.0.0.1:0",
            "dev_l1.addr=127.0.0.1:0",
            "metrics.addr=127.0.0.1:0",
            "prover.local_workers=0",
            "prover.dev_keys=false",
        ]
        .iter()
        .chain(sets)
        {
            cmd.arg("--set").arg(s);
        }
        let log = std::fs::File::create(&stderr_log).unwrap();
        let mut child = cmd
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn rollupd");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut text = String::new();
            while let Some(Ok(line)) = lines.next() {
                text.push_str(&line);
                text.push('\n');
                if line.contains("(9)") {
                    let _ = tx.send(text.clone());
                }
            }
            // Keep draining so the child never blocks on a full pipe.
        });
        let stdout = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(s) => s,
            Err(_) => {
                let _ = child.kill();
                let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
                panic!("rollupd dev did not print its banner; stderr:\n{log}");
            }
        };
        let url_after = |label: &str| -> String {
            let line = stdout
                .lines()
                .find(|l| l.starts_with(label))
                .unwrap_or_else(|| panic!("no {label} line in:\n{stdout}"));
            line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string()
        };
        Self {
            data_dir: data_dir.to_path_buf(),
            l1_url: url_after("L1"),
            l2_url: url_after("L2"),
            metrics_url: url_after("metrics"),
            stdout,
            child: Some(child),
            stderr_log,
        }
    }

    /// A provider on the L2 signing with dev account `i`.
    pub(crate) fn l2(&self, i: usize) -> DynProvider {
        provider(&self.l2_url, i)
    }

    /// A provider on the embedded L1 signing with dev account `i`.
    pub(crate) fn l1(&self, i: usize) -> DynProvider {
        provider(&self.l1_url, i)
    }

    /// The ws:// URL of the L2.
    pub(crate) fn l2_ws(&self) -> String {
        self.l2_url.replace("http://", "ws://")
    }

    /// The node's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// CPU time (user + system) the node process has used so far, from /proc.
    pub(crate) fn cpu_time(&self) -> Duration {
        let pid = self.pid();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
    }

    /// A field of the node's `/proc/<pid>/status` (its number: kB for sizes).
    fn status_field(&self, name: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line[name.len()..].split_whitespace().next().unwrap().parse().unwrap()
    }

    /// The node's resident memory, in bytes.
    pub(crate) fn rss(&self) -> u64 {
        self.status_field("VmRSS:") * 1024
    }

    /// The node's thread count.
    pub(crate) fn threads(&self) -> u64 {
        self.status_field("Threads:")
    }

    /// SIGKILL, no chance to clean up.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// SIGTERM and wait; returns the exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let pid = c.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "rollupd did not stop within 60s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the node logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) fn provider(url: &str, i: usize) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer(i)))
        .connect_http(url.parse().unwrap())
        .erased()
}

/// One raw JSON-RPC call; returns the whole response object.
pub(crate) async fn raw_call(url: &str, body: serde_json::Value) -> serde_json::Value {
    let client = alloy::transports::http::reqwest::Client::new();
    client.post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

/// Compiles `node/tests/fixtures/<name>.sol` with the project's solc; returns (abi, creation code).
pub(crate) fn compile(name: &str) -> (JsonAbi, Bytes) {
    let root = rollup_test_utils::repo_root();
    let source =
        std::fs::read_to_string(root.join(format!("node/tests/fixtures/{name}.sol"))).unwrap();
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": { format!("{name}.sol"): { "content": source } },
        "settings": {
            "optimizer": { "enabled": true, "runs": 200 },
            "evmVersion": "prague",
            "outputSelection": { "*": { "*": ["abi", "evm.bytecode.object"] } }
        }
    });
    let json = rollup_test_utils::solc_standard_json(&input);
    let contract = &json["contracts"][format!("{name}.sol")][name];
    let abi: JsonAbi = serde_json::from_value(contract["abi"].clone()).unwrap();
    let code: Bytes =
        format!("0x{}", contract["evm"]["bytecode"]["object"].as_str().unwrap()).parse().unwrap();
    (abi, code)
}
