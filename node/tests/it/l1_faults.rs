//! L1 trouble against real anvil, with `rollupd run` settling through a TCP proxy the test can cut:
//! the L1 unreachable for a while, a transaction dropped from the mempool, a base-fee spike.
//! Settlement resumes each time, every validator transaction succeeds and nonces have no gap; a
//! deposit made while the node cannot reach L1 is read once it can.

use crate::settle::{dev_keys, rpc, zero_fee_transfer};
use crate::support::KEY0;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// Forwards TCP to `target` unless `down`, in which case connections are dropped, including open
/// ones (HTTP clients keep connections alive).
pub(crate) async fn proxy(
    target: std::net::SocketAddr,
    down: Arc<AtomicBool>,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else { continue };
            if down.load(Ordering::SeqCst) {
                let _ = inbound.shutdown().await;
                continue;
            }
            let down = down.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else { return };
                let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                let cut = async {
                    while !down.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                };
                tokio::select! { _ = copy => {}, _ = cut => {} }
            });
        }
    });
    addr
}

pub(crate) async fn wait_finalized(url: &str, hash: B256, log: &std::path::Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let d = rpc(url, "zks_getTransactionDetails", json!([hash])).await;
        if d["status"] == "finalized" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: never finalized ({d}):\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn wait_log(log: &std::path::Path, needle: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return;
        }
        assert!(Instant::now() < deadline, "never logged `{needle}`:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `rollupd deploy --dev` on `l1`, validator dev key 1; the Diamond's address.
pub(crate) fn deploy_dev(l1: &str, dir: &std::path::Path) -> Address {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollupd"))
        .args(["deploy", "--l1-rpc", l1, "--dev", "--validator"])
        .arg(rollup_test_utils::signer(1).address().to_string())
        .arg("--out")
        .arg(dir.join("deployment.json"))
        .env("ROLLUPD_DEPLOYER_KEY", KEY0)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("Diamond proxy"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap()
}

/// A `rollupd run` config in `dir` settling on `l1_url`, with `extra` TOML sections.
pub(crate) fn write_config(
    dir: &std::path::Path,
    l1_url: &str,
    diamond: Address,
    extra: &str,
) -> std::path::PathBuf {
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[l2]\nbase_fee = 0\n[rpc]\naddr = \"127.0.0.1:0\"\n[metrics]\naddr = \"\"\n[prover]\nkeys_dir = {:?}\n{extra}[l1]\nrpc_url = \"{l1_url}\"\nchain_id = 9\ndiamond = \"{diamond}\"\n",
            dir.join("data").to_str().unwrap(),
            dev_keys().to_str().unwrap(),
        ),
    )
    .unwrap();
    config
}

/// An L1 the node reaches through a proxy the test can cut: anvil, the cut switch, the Diamond
/// (`rollupd deploy --dev`), and a `rollupd run` config settling through the proxy with `extra`
/// TOML sections, in a fresh directory `name`.
pub(crate) struct ProxiedL1 {
    pub(crate) anvil: alloy::node_bindings::AnvilInstance,
    pub(crate) down: Arc<AtomicBool>,
    pub(crate) diamond: Address,
    pub(crate) config: std::path::PathBuf,
    pub(crate) dir: std::path::PathBuf,
}

/// [`ProxiedL1`] (`None` without anvil).
pub(crate) async fn proxied_l1(name: &str, extra: &str) -> Option<ProxiedL1> {
    let anvil = crate::deploy::anvil()?;
    let dir = crate::support::tmp_dir(name);
    let down = Arc::new(AtomicBool::new(false));
    let anvil_addr: std::net::SocketAddr = format!("127.0.0.1:{}", anvil.port()).parse().unwrap();
    let l1_url = format!("http://{}", proxy(anvil_addr, down.clone()).await);
    let diamond = deploy_dev(&anvil.endpoint(), &dir);
    let config = write_config(&dir, &l1_url, diamond, extra);
    Some(ProxiedL1 { anvil, down, diamond, config, dir })
}

#[tokio::test(flavor = "multi_thread")]
async fn settlement_survives_an_unreachable_l1_a_dropped_transaction_and_a_fee_spike() {
    let Some(ProxiedL1 { anvil, down, diamond, config, dir }) =
        proxied_l1("l1-faults", "[eth_sender]\nresend_after_ms = 3000\npoll_ms = 250\n").await
    else {
        return;
    };
    let log = dir.join("run.log");
    // The validator has its own key: its nonces are the sender's alone.
    let (child, url) = crate::settle::spawn_run(&config, &rollup_test_utils::key_hex(1), &log);
    let _child = rollup_test_utils::KillOnDrop(child);
    let anvil_rpc = |method: &'static str, params: serde_json::Value| {
        let endpoint = anvil.endpoint();
        async move { rpc(&endpoint, method, params).await }
    };

    // 1. L1 unreachable: the L2 keeps sealing, the sender retries, then catches up; a deposit
    // made meanwhile (straight to anvil) is read once L1 is back.
    down.store(true, Ordering::SeqCst);
    let h1 = zero_fee_transfer(&url).await;
    wait_log(&log, "L1 step failed; retrying", 60);
    let still = zero_fee_transfer(&url).await;
    assert!(!still.is_zero(), "the L2 kept including while L1 was down");
    let recipient = alloy::primitives::address!("0x000000000000000000000000000000000000d3d4");
    let amount = alloy::primitives::U256::from(12_345u64);
    let l1_direct = crate::support::provider(&anvil.endpoint(), 2);
    let deposit = crate::bridge::deposit_via(l1_direct, diamond, recipient, amount).await;
    wait_log(&log, "reading L1 failed", 60);
    tokio::time::sleep(Duration::from_secs(3)).await;
    down.store(false, Ordering::SeqCst);
    wait_finalized(&url, h1, &log, "after the outage").await;
    wait_finalized(&url, still, &log, "after the outage").await;
    wait_finalized(&url, deposit, &log, "a deposit made during the outage").await;
    let l2 = crate::support::provider(&url, 0);
    assert_eq!(l2.get_balance(recipient).await.unwrap(), amount, "credited once");

    // 2. A dropped transaction: L1 stops mining, loses its mempool, mines again.
    anvil_rpc("evm_setAutomine", json!([false])).await;
    let before = std::fs::read_to_string(&log).unwrap().matches("sending step=").count();
    let h2 = zero_fee_transfer(&url).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&log).unwrap().matches("sending step=").count() == before {
        assert!(Instant::now() < deadline, "nothing was sent for the new batch");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anvil_rpc("anvil_dropAllTransactions", json!([])).await;
    anvil_rpc("evm_setAutomine", json!([true])).await;
    wait_finalized(&url, h2, &log, "after a dropped transaction").await;

    // 3. A base-fee spike: the next transaction is underpriced until it is replaced.
    anvil_rpc("anvil_setNextBlockBaseFeePerGas", json!(["0x2540be4000"])).await; // 160 gwei
    let h3 = zero_fee_transfer(&url).await;
    wait_finalized(&url, h3, &log, "after a fee spike").await;

    // Every validator transaction succeeded, with consecutive nonces from 0.
    let nonces = validator_nonces_all_succeeded(&anvil.endpoint(), diamond).await;
    assert!(nonces.len() >= 9, "three settled batches at least: {nonces:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    eprintln!(
        "L1 FAULTS: {} validator transactions, {} retried L1 errors, {} replacements",
        nonces.len(),
        text.matches("L1 step failed; retrying").count(),
        text.matches("replacing a stuck transaction").count()
    );
}

/// The nonces of validator dev key 1's transactions to `diamond` on `l1`, after checking that
/// every one succeeded and that they run from 0 without a gap.
pub(crate) async fn validator_nonces_all_succeeded(l1_url: &str, diamond: Address) -> Vec<u64> {
    let l1 = crate::support::provider(l1_url, 0);
    let me: Address = rollup_test_utils::signer(1).address();
    let head = l1.get_block_number().await.unwrap();
    let mut nonces = Vec::new();
    for n in 0..=head {
        let block = rpc(l1_url, "eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await;
        for tx in block["transactions"].as_array().unwrap() {
            let from: Address = tx["from"].as_str().unwrap().parse().unwrap();
            let to = tx["to"].as_str().unwrap_or_default().to_lowercase();
            if from != me || to != format!("{diamond:#x}") {
                continue;
            }
            let hash: B256 = tx["hash"].as_str().unwrap().parse().unwrap();
            assert!(
                l1.get_transaction_receipt(hash).await.unwrap().unwrap().status(),
                "{hash} failed"
            );
            nonces.push(
                u64::from_str_radix(tx["nonce"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap(),
            );
        }
    }
    assert_eq!(nonces, (0..nonces.len() as u64).collect::<Vec<_>>(), "no nonce gap or reuse");
    nonces
}

/// Forced inclusion cannot turn a backlog into a halt. L1 is cut off while the L2 seals
/// batches; a deposit is made on L1 and L1's clock moves past its deadline; the L1 comes back.
/// The sender commits one batch per transaction, so the batches sealed before the deposit take
/// several commits that leave it out, after its deadline. Before, L1 refused each of them
/// (`PriorityOperationDeadlinePassed`) for ever; now batches sealed before a deadline may leave
/// the request out, and every later transaction is finalized with no validator transaction
/// reverted.
#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_passing_during_an_l1_outage_does_not_halt_the_commits_of_the_backlog() {
    let Some(ProxiedL1 { anvil, down, diamond, config, dir }) = proxied_l1(
        "deadline-backlog",
        "[batcher]\nmax_age_ms = 300\nmax_age_behind_ms = 300\n[eth_sender]\nmax_batches_per_tx = 1\npoll_ms = 250\n",
    )
    .await
    else {
        return;
    };
    let log = dir.join("run.log");
    let (child, url) = crate::settle::spawn_run(&config, &rollup_test_utils::key_hex(1), &log);
    let _child = rollup_test_utils::KillOnDrop(child);
    let first = zero_fee_transfer(&url).await;
    wait_finalized(&url, first, &log, "before the outage").await;

    down.store(true, Ordering::SeqCst);
    let mut backlog = Vec::new();
    for _ in 0..3 {
        backlog.push(zero_fee_transfer(&url).await);
        // Each in a batch of its own (`max_age_ms` 300 even while the provers are behind, at
        // most one batch a second).
        tokio::time::sleep(Duration::from_millis(1_300)).await;
    }
    let recipient = alloy::primitives::address!("0x000000000000000000000000000000000000d3d6");
    let amount = alloy::primitives::U256::from(777u64);
    let l1_direct = crate::support::provider(&anvil.endpoint(), 2);
    let deposit = crate::bridge::deposit_via(l1_direct, diamond, recipient, amount).await;
    let deadline: u64 = {
        let chain = rollup_contracts::bindings::IRollupChain::new(
            diamond,
            crate::support::provider(&anvil.endpoint(), 0),
        );
        chain.getPriorityTxDeadline().call().await.unwrap().to()
    };
    rpc(&anvil.endpoint(), "evm_increaseTime", json!([deadline + 3_600])).await;
    rpc(&anvil.endpoint(), "evm_mine", json!([])).await;
    down.store(false, Ordering::SeqCst);

    for (i, h) in backlog.iter().enumerate() {
        wait_finalized(&url, *h, &log, &format!("backlog transfer {i}")).await;
    }
    wait_finalized(&url, deposit, &log, "the overdue deposit").await;
    let l2 = crate::support::provider(&url, 0);
    assert_eq!(l2.get_balance(recipient).await.unwrap(), amount, "credited once");
    let mut batches = Vec::new();
    for h in backlog.iter().chain([&deposit]) {
        let receipt = rpc(&url, "eth_getTransactionReceipt", json!([h])).await;
        let batch = receipt["l1BatchNumber"].as_str().unwrap().trim_start_matches("0x");
        batches.push(u64::from_str_radix(batch, 16).unwrap());
    }
    let mut distinct = batches.clone();
    distinct.dedup();
    assert!(distinct.len() >= 3, "the backlog took several commits: batches {batches:?}");
    let nonces = validator_nonces_all_succeeded(&anvil.endpoint(), diamond).await;
    eprintln!("DEADLINE BACKLOG: batches {batches:?}, {} validator transactions", nonces.len());
}

/// The eth watcher against an L1 node that keeps only its last 64 states (anvil
/// `--prune-history 64`, as a pruned geth keeps 128): the node is killed, a deposit is made,
/// L1 mines 200 blocks, and the restarted watcher, 200 blocks behind, still reads the deposit
/// (logs for the past, state at recent blocks only). Before, it read L1's queue at each scanned
/// block and failed for ever with `BlockOutOfRangeError`.
#[tokio::test(flavor = "multi_thread")]
async fn the_watcher_catches_up_on_a_pruned_l1_after_200_blocks_of_downtime() {
    let Some(path) = rollup_test_utils::anvil_path_or_skip() else { return };
    let anvil = alloy::node_bindings::Anvil::new()
        .path(path)
        .chain_id(9u64)
        .args(["--prune-history", "64"])
        .spawn();
    let dir = crate::support::tmp_dir("pruned-l1");
    let diamond = deploy_dev(&anvil.endpoint(), &dir);
    let config = write_config(
        &dir,
        &anvil.endpoint(),
        diamond,
        "[eth_watcher]\npoll_ms = 250\nmax_blocks_per_scan = 50\n",
    );
    let key = rollup_test_utils::key_hex(1);
    let recipient = alloy::primitives::address!("0x000000000000000000000000000000000000d3d5");
    let first = alloy::primitives::U256::from(1_000u64);
    let second = alloy::primitives::U256::from(2_000u64);
    let credited = |url: String, want: alloy::primitives::U256, log: std::path::PathBuf| async move {
        let l2 = crate::support::provider(&url, 0);
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if l2.get_balance(recipient).await.unwrap() == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{want} never credited:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };

    let log = dir.join("run.log");
    let (child, url) = crate::settle::spawn_run(&config, &key, &log);
    let mut child = rollup_test_utils::KillOnDrop(child);
    let l1 = crate::support::provider(&anvil.endpoint(), 2);
    crate::bridge::deposit_via(l1.clone(), diamond, recipient, first).await;
    credited(url, first, log.clone()).await;

    child.kill9();
    crate::bridge::deposit_via(l1, diamond, recipient, second).await;
    rpc(&anvil.endpoint(), "anvil_mine", json!(["0xc8"])).await;
    // The state of the deposit's block is gone from the L1 node by now.
    let gone = crate::support::raw_call(
        &anvil.endpoint(),
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance",
            "params": [format!("{diamond:#x}"), "0x2"]}),
    )
    .await;
    assert!(gone.get("error").is_some(), "anvil keeps old state after all: {gone}");
    let log = dir.join("run-again.log");
    let (child, url) = crate::settle::spawn_run(&config, &key, &log);
    let _child = rollup_test_utils::KillOnDrop(child);
    credited(url, first + second, log.clone()).await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!text.contains("BlockOutOfRange"), "no read of pruned state:\n{text}");
}
