//! Every scenario against `rollupd dev`, batching, and a node without `zks_` (anvil).

use crate::support::{assert_clean_run, run_bench, Node, QUICK};

/// Runs `extra` flags against a fresh `rollupd dev`; asserts a clean run.
fn clean_run_on_rollupd(name: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let node = Node::rollupd_dev(name);
    let mut args = vec!["--rpc", node.url.as_str()];
    args.extend(QUICK);
    args.extend(extra);
    let out = run_bench(&args);
    let s = assert_clean_run(&out);
    (s, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn eth_transfers_on_rollupd() {
    let (s, stdout) = clean_run_on_rollupd("eth", &[]);
    assert_eq!(s["scenario"], "eth");
    assert!(stdout.contains("settlement:") && !stdout.contains("not reported"), "{stdout}");
}

#[test]
fn eth_transfers_in_batches_of_8_on_rollupd() {
    let (s, _) = clean_run_on_rollupd("batch", &["--batch", "8"]);
    assert_eq!(s["batch"], 8);
}

#[test]
fn erc20_transfers_on_rollupd() {
    let (s, _) = clean_run_on_rollupd("erc20", &["--scenario", "erc20"]);
    assert_eq!(s["scenario"], "erc20");
}

#[test]
fn deployments_on_rollupd() {
    let (s, _) = clean_run_on_rollupd("deploy", &["--scenario", "deploy"]);
    assert_eq!(s["scenario"], "deploy");
}

#[test]
fn weighted_mix_on_rollupd() {
    let (s, stdout) = clean_run_on_rollupd("mix", &["--scenario", "mix:eth=60,erc20=30,deploy=10"]);
    assert_eq!(s["scenario"], "mix:eth=60,erc20=30,deploy=10");
    // Every kind of the mix was sent and included.
    for kind in ["eth", "erc20", "deploy"] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{kind}: sent")))
            .unwrap_or_else(|| panic!("no {kind} line:\n{stdout}"));
        assert!(!line.contains("included 0,"), "{line}");
    }
}

#[test]
fn eth_transfers_on_anvil_have_no_settlement_figures() {
    let node = Node::anvil();
    let mut args = vec!["--rpc", node.url.as_str()];
    args.extend(QUICK);
    let out = run_bench(&args);
    assert_clean_run(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("settlement: not reported"), "{stdout}");
    assert!(!stdout.contains("L1 batches sealed"), "{stdout}");
}

#[test]
fn weighted_mix_on_anvil_includes_every_l2_kind() {
    // The ERC-20 and deployment kinds need nothing of rollupd: they run on any node.
    let node = Node::anvil();
    let mut args = vec!["--rpc", node.url.as_str(), "--scenario", "mix:eth=60,erc20=30,deploy=10"];
    args.extend(QUICK);
    let out = run_bench(&args);
    let s = assert_clean_run(&out);
    assert_eq!(s["scenario"], "mix:eth=60,erc20=30,deploy=10");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for kind in ["eth", "erc20", "deploy"] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{kind}: sent")))
            .unwrap_or_else(|| panic!("no {kind} line:\n{stdout}"));
        assert!(!line.contains("included 0,"), "{line}");
    }
}
