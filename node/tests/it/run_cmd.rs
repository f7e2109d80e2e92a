//! `rollupd run --config FILE`: the L2 against an external L1 (here the L1 of a `rollupd dev`,
//! as an L3 would run on another rollupd), and its refusals of bad configuration.

use crate::support::{tmp_dir, DevNode};
use alloy::providers::Provider;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn run(config: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollupd"))
        .args(["run", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn run_settles_on_an_external_l1_and_refuses_bad_configs() {
    let dir = tmp_dir("run-cmd");
    let l1 = DevNode::start(&dir.join("l1"), &[]);
    let diamond = l1
        .stdout
        .lines()
        .find(|l| l.contains("Diamond proxy"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_string();
    let write = |name: &str, body: String| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let base = |diamond: &str, url: &str, chain: u64| {
        format!(
            "data_dir = {:?}\n[rpc]\naddr = \"127.0.0.1:0\"\n[metrics]\naddr = \"\"\n[prover]\nlocal_workers = 0\ndev_keys = false\n[eth_sender]\nenabled = false\n[l1]\nrpc_url = \"{url}\"\nchain_id = {chain}\ndiamond = \"{diamond}\"\n",
            dir.join("l2-data")
        )
    };

    let no_config = Command::new(env!("CARGO_BIN_EXE_rollupd")).arg("run").output().unwrap();
    assert_eq!(no_config.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_config.stderr).contains("needs --config"));
    let cases = [
        (
            "unknown.toml",
            base(&diamond, &l1.l1_url, 9) + "[l2]\nblok_time_ms = 1\n",
            "unknown field `blok_time_ms`",
        ),
        ("no-diamond.toml", base("", &l1.l1_url, 9), "l1.diamond is not set"),
        ("bad-diamond.toml", base("0x1234", &l1.l1_url, 9), "is not an address"),
        ("wrong-chain.toml", base(&diamond, &l1.l1_url, 1), "has chain id 9"),
        (
            "no-code.toml",
            base("0x000000000000000000000000000000000000dEaD", &l1.l1_url, 9),
            "has no code",
        ),
        ("unreachable.toml", base(&diamond, "http://127.0.0.1:1", 9), "cannot reach the L1"),
    ];
    for (name, body, want) in cases {
        let out = run(&write(name, body));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} must fail");
        assert!(err.contains(want), "{name}: `{err}` lacks `{want}`");
    }

    let good = write("good.toml", base(&diamond, &l1.l1_url, 9));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollupd"))
        .args(["run", "--config"])
        .arg(&good)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("L2") {
                let _ = tx.send(line);
            }
        }
    });
    let line =
        rx.recv_timeout(Duration::from_secs(60)).expect("rollupd run printed its L2 endpoint");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    let p = crate::support::provider(&url, 0);
    assert_eq!(p.get_chain_id().await.unwrap(), 270);
    assert_eq!(p.get_block_number().await.unwrap(), 0, "genesis only");
    let me = rollup_test_utils::signer(0).address();
    assert!(p.get_balance(me).await.unwrap().is_zero(), "no pre-funded accounts outside dev");
    child.kill().unwrap();
    child.wait().unwrap();
}
