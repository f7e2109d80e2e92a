//! Settlement end to end on `rollupd dev`: a transfer sent by a client reaches `finalized` with
//! three successful L1 transactions to the Diamond (with a real Groth16 proof checked by the
//! generated verifier), the L1 counters match rollupd's batches, and kill -9 in the middle of
//! settlement loses nothing and never makes L1 see a step twice.

use crate::support::{raw_call, tmp_dir, DevNode, KEY0};
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Dev account 9, the validator.
const VALIDATOR: Address = address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720");

/// The dev proving keys, generated once (by `rollupd prover setup --dev`) for every test of this
/// binary and cached across runs, so parallel tests do not each spend a minute on them.
pub(crate) fn dev_keys() -> std::path::PathBuf {
    static KEYS: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);
    let mut g = KEYS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(dir) = g.as_ref() {
        return dir.clone();
    }
    // Keyed by circuit version: keys of another version are refused when loaded.
    let dir = std::env::temp_dir()
        .join(format!("rollupd-it-dev-keys-v{}", rollup_prover::keys::CIRCUIT_VERSION));
    let shapes = rollup_prover::keys::DEV_SHAPES;
    let complete = shapes.iter().all(|c| dir.join(format!("state_diff_{c}.key")).exists());
    if !complete {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollupd"))
            .args(["prover", "setup", "--dev", "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    *g = Some(dir.clone());
    dir
}

/// `--set`s of a node that proves: one local prover with the dev keys, cached across runs.
fn proving() -> Vec<String> {
    let keys = dev_keys();
    vec![
        "prover.local_workers=1".into(),
        "prover.dev_keys=true".into(),
        format!("prover.keys_dir={:?}", keys.to_str().unwrap()),
    ]
}

fn start(dir: &std::path::Path) -> DevNode {
    start_with_faults(dir, "")
}

/// A dev node with one local prover (the dev keys).
pub(crate) fn start_proving(dir: &std::path::Path) -> DevNode {
    start(dir)
}

/// A proving dev node with `ROLLUPD_FAULTS` set (see `rollup_events::fault`).
pub(crate) fn start_with_faults(dir: &std::path::Path, faults: &str) -> DevNode {
    let sets = proving();
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    DevNode::start_with_env(dir, &refs, &[("ROLLUPD_FAULTS", faults)])
}

pub(crate) async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let r =
        raw_call(url, json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).await;
    assert!(r.get("error").is_none(), "{method}: {r}");
    r["result"].clone()
}

pub(crate) async fn wait_status(node: &DevNode, hash: B256, want: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let d = rpc(&node.l2_url, "zks_getTransactionDetails", json!([hash])).await;
        if d["status"] == want {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "{hash} never reached {want} (last {d}); log:\n{}",
            node.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub(crate) fn diamond(node: &DevNode) -> Address {
    node.stdout
        .lines()
        .find(|l| l.contains("Diamond proxy"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap()
}

pub(crate) async fn counters(node: &DevNode) -> (u64, u64, u64) {
    let chain = rollup_contracts::bindings::IRollupChain::new(diamond(node), node.l1(0));
    let c = chain.getTotalBatchesCommitted().call().await.unwrap().to::<u64>();
    let v = chain.getTotalBatchesVerified().call().await.unwrap().to::<u64>();
    let e = chain.getTotalBatchesExecuted().call().await.unwrap().to::<u64>();
    (c, v, e)
}

/// The validator's L1 transactions: (succeeded, failed).
pub(crate) async fn validator_outcomes(node: &DevNode) -> (usize, usize) {
    validator_outcomes_at(&node.l1_url, VALIDATOR).await
}

/// The L1 transactions `validator` sent on the L1 at `l1_url`: (succeeded, failed).
pub(crate) async fn validator_outcomes_at(l1_url: &str, validator: Address) -> (usize, usize) {
    let l1 = crate::support::provider(l1_url, 0);
    let head = l1.get_block_number().await.unwrap();
    let (mut ok, mut failed) = (0, 0);
    for n in 0..=head {
        let block = rpc(l1_url, "eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await;
        for tx in block["transactions"].as_array().unwrap() {
            if tx["from"].as_str().unwrap().parse::<Address>().unwrap() != validator {
                continue;
            }
            let hash: B256 = tx["hash"].as_str().unwrap().parse().unwrap();
            if l1.get_transaction_receipt(hash).await.unwrap().unwrap().status() {
                ok += 1;
            } else {
                failed += 1;
            }
        }
    }
    (ok, failed)
}

/// Every L1 transaction the validator ever sent succeeded (no failed or repeated step).
async fn validator_never_failed(node: &DevNode) -> usize {
    let (ok, failed) = validator_outcomes(node).await;
    assert_eq!(failed, 0, "validator transactions failed on L1");
    ok
}

/// A transfer sent the way the README shows it: `cast send` (the pinned Foundry cast) with dev
/// key 0; returns its hash once cast reports the receipt.
fn cast_transfer(node: &DevNode, value: u64) -> B256 {
    let value = value.to_string();
    let out = crate::bridge::run_cast(&[
        "send",
        "--json",
        "--rpc-url",
        &node.l2_url,
        "--private-key",
        KEY0,
        "0x000000000000000000000000000000000000dEaD",
        "--value",
        &value,
    ]);
    assert!(out.status.success(), "cast send: {}", String::from_utf8_lossy(&out.stderr));
    let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt["transactionHash"].as_str().unwrap().parse().unwrap()
}

async fn transfer(node: &DevNode, value: u64) -> B256 {
    let tx = TransactionRequest::default()
        .with_to(address!("0x000000000000000000000000000000000000dEaD"))
        .with_value(U256::from(value));
    let receipt = node.l2(0).send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    receipt.transaction_hash
}

async fn wait_log(node: &DevNode, needle: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !node.log().contains(needle) {
        assert!(Instant::now() < deadline, "never logged `{needle}`:\n{}", node.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cast_transfer_is_finalized_on_the_dev_l1_and_a_big_factory_batch_settles() {
    let dir = tmp_dir("settle");
    let node = start(&dir);
    let diamond = diamond(&node);
    // The dev L1 backs the L2's genesis: the Diamond holds the ten dev balances.
    let untouched = address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906"); // dev account 3
    let l2_genesis: U256 = U256::from(10) * node.l2(0).get_balance(untouched).await.unwrap();
    assert_eq!(node.l1(0).get_balance(diamond).await.unwrap(), l2_genesis);

    // 1. A transfer settles: committed, proven with a real proof, executed.
    let started = Instant::now();
    let hash = cast_transfer(&node, 1);
    let d = wait_status(&node, hash, "finalized", 900).await;
    eprintln!(
        "SETTLEMENT: a transfer was finalized on L1 {:.1}s after it was sent",
        started.elapsed().as_secs_f64()
    );
    let l1 = node.l1(0);
    for key in ["ethCommitTxHash", "ethProveTxHash", "ethExecuteTxHash"] {
        let h: B256 = d[key].as_str().unwrap_or_else(|| panic!("{key} in {d}")).parse().unwrap();
        let r = l1.get_transaction_receipt(h).await.unwrap().unwrap();
        assert!(r.status(), "{key} {h} succeeded");
        assert_eq!(r.to, Some(diamond), "{key} went to the Diamond");
        eprintln!("SETTLEMENT GAS: {key} gasUsed {} (one batch, one transfer)", r.gas_used);
    }
    let block =
        u64::from_str_radix(d["blockNumber"].as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap();
    let receipt = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([hash])).await;
    assert!(receipt["l1BatchNumber"].is_string(), "receipts carry Era's batch fields: {receipt}");
    assert_eq!(receipt["l1BatchTxIndex"], "0x0", "the only transaction of its batch");
    let finalized = node
        .l2(0)
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Finalized)
        .await
        .unwrap()
        .unwrap();
    assert!(finalized.header.number >= block, "the finalized tag follows L1 execution");
    let safe =
        node.l2(0).get_block_by_number(alloy::eips::BlockNumberOrTag::Safe).await.unwrap().unwrap();
    assert!(safe.header.number >= finalized.header.number);
    // L1's counters equal rollupd's batches once settlement is idle.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let last = rpc(&node.l2_url, "zks_L1BatchNumber", json!([])).await;
        let last =
            u64::from_str_radix(last.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        if counters(&node).await == (last, last, last) {
            let details = rpc(&node.l2_url, "zks_getL1BatchDetails", json!([last])).await;
            assert_eq!(details["status"], "verified", "{details}");
            // Era's field names, every one present.
            for key in [
                "number",
                "timestamp",
                "l1TxCount",
                "l2TxCount",
                "rootHash",
                "commitTxHash",
                "committedAt",
                "proveTxHash",
                "provenAt",
                "executeTxHash",
                "executedAt",
                "l1GasPrice",
                "l2FairGasPrice",
                "fairPubdataPrice",
                "baseSystemContractsHashes",
            ] {
                assert!(!details[key].is_null(), "{key} in {details}");
            }
            let range = rpc(&node.l2_url, "zks_getL1BatchBlockRange", json!([last])).await;
            assert!(range.as_array().is_some_and(|r| r.len() == 2), "{range}");
            break;
        }
        assert!(Instant::now() < deadline, "L1 counters never caught up with rollupd's batches");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Settlement shows on the metrics endpoint.
    let client = alloy::transports::http::reqwest::Client::new();
    let text = client.get(&node.metrics_url).send().await.unwrap().text().await.unwrap();
    for series in [
        "rollupd_l1_batches_executed{chain=\"l2\"}",
        "rollupd_proof_backlog_chunks{chain=\"l2\"}",
        "rollupd_batch_seal_to_l1_ms_total{chain=\"l2\",step=\"execute\"}",
        "rollupd_batches_sealed_total{chain=\"l2\"}",
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
    let executed = text
        .lines()
        .find(|l| l.starts_with("rollupd_l1_batches_executed"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap();
    assert!(executed >= 1, "{text}");

    // 2. One transaction that deploys 40 contracts, each with new code: its block alone publishes
    // more bytecodes than `batcher.max_bytecodes`, gets a batch of its own, and settles.
    let mut init = Vec::new();
    for i in 0..40u8 {
        // Child init code: return the 3-byte runtime `PUSH1 i; STOP`.
        let child = [0x62, 0x60, i, 0x00, 0x60, 0x00, 0x52, 0x60, 0x03, 0x60, 0x1d, 0xf3];
        init.push(0x6b); // PUSH12 child; MSTORE at 0; CREATE(0, 20, 12); POP
        init.extend_from_slice(&child);
        init.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x0c, 0x60, 0x14, 0x60, 0x00, 0xf0, 0x50]);
    }
    init.push(0x00);
    let tx = TransactionRequest::default()
        .with_deploy_code(alloy::primitives::Bytes::from(init))
        .with_gas_limit(5_000_000);
    let receipt = node.l2(0).send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "the factory ran");
    wait_status(&node, receipt.transaction_hash, "finalized", 600).await;
    let log = node.log();
    let published = log
        .lines()
        .filter(|l| l.contains("batch sealed"))
        .filter_map(|l| {
            l.split("bytecodes=").nth(1)?.split_whitespace().next()?.parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0);
    assert!(published >= 40, "one batch published the 40 new bytecodes (max seen {published})");

    let sent = validator_never_failed(&node).await;
    assert!(sent >= 6, "two batches took at least six L1 transactions, saw {sent}");
}

/// kill -9 of the node at each settlement step (paused there by a fault point, so the test
/// knows the exact state it kills), then a panic in the eth sender, the prover exchange and the
/// eth watcher.
/// After the restarts every transfer is finalized, every validator transaction on L1
/// succeeded (no step twice, none reverted) and no acknowledged transaction is lost.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_each_settlement_step_and_actor_panics_lose_nothing() {
    let dir = tmp_dir("settle-crash");
    let mut sent = Vec::new();
    // In pipeline order: batch sealed (tree not applied), tree applied (not proven), proof
    // stored (not announced), L1 transaction recorded (not sent), sent (not seen mined).
    let points = ["batch_sealed", "tree_applied", "proof_stored", "l1_tx_recorded", "l1_tx_sent"];
    for (i, point) in points.iter().enumerate() {
        let mut node = start_with_faults(&dir, &format!("{point}=pause"));
        sent.push(transfer(&node, i as u64 + 1).await);
        wait_log(&node, &format!("fault point {point} reached"), 300).await;
        node.kill9();
    }
    let node = start_with_faults(&dir, "eth_sender=panic,exchange=panic,eth_watcher=panic");
    sent.push(transfer(&node, 99).await);
    // A deposit read by the restarted watcher settles with the rest.
    let to = address!("0x000000000000000000000000000000000000d3d3");
    sent.push(crate::bridge::deposit(&node, diamond(&node), 1, to, U256::from(7u64)).await);
    for h in &sent {
        wait_status(&node, *h, "finalized", 600).await;
    }
    let log = node.log();
    for point in ["eth_sender", "exchange", "eth_watcher"] {
        assert!(log.contains(&format!("fault point {point} reached: panic")), "{log}");
    }
    let l1_txs = validator_never_failed(&node).await;
    let (c, v, e) = counters(&node).await;
    assert!(c == v && v == e && e >= 1, "L1 counters {c}/{v}/{e}");
    assert!(l1_txs >= 3 * 2, "at least two batches, three steps each: saw {l1_txs}");
    // Every transfer is in the chain with its receipt, and each of its blocks is finalized.
    for h in &sent {
        let r = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([h])).await;
        assert_eq!(r["status"], "0x1", "{r}");
    }
}

/// Dev account 1, funded by the `l2.genesis_alloc` of [`deploy_run_and_settle`]'s anvil run.
const ALLOCATED: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const ALLOCATED_WEI: u64 = 5_000_000_000_000_000_000;

/// `rollupd deploy` onto the L1 at `l1_url` with dev key 0, then `rollupd run` against it with
/// the same key as operator; a zero-fee transaction on the new L2 must reach `finalized`.
/// `keys`: the verifier comes from `--keys DIR` (else `--dev`, which says it is insecure).
/// `alloc`: the L2 genesis allocates [`ALLOCATED_WEI`] to [`ALLOCATED`], locked in the Diamond
/// (else an empty genesis).
async fn deploy_run_and_settle(
    name: &str,
    l1_url: &str,
    l1_chain_id: u64,
    l2_chain_id: u64,
    keys: bool,
    alloc: bool,
) {
    let dir = tmp_dir(name);
    let config = dir.join("node.toml");
    let keys_dir = dev_keys();
    let mut text = format!(
        "data_dir = {:?}\n[l2]\nchain_id = {l2_chain_id}\n# No deposits yet: a free transaction from an empty account is what can settle.\nbase_fee = 0\n[rpc]\naddr = \"127.0.0.1:0\"\n[metrics]\naddr = \"\"\n[prover]\nkeys_dir = {:?}\nlocal_workers = 1\n",
        dir.join("data").to_str().unwrap(),
        keys_dir.to_str().unwrap()
    );
    if alloc {
        text += &format!("[l2.genesis_alloc]\n\"{ALLOCATED}\" = \"{ALLOCATED_WEI}\"\n");
    }
    std::fs::write(&config, text).unwrap();
    let mut deploy = std::process::Command::new(env!("CARGO_BIN_EXE_rollupd"));
    deploy.args(["deploy", "--l1-rpc", l1_url, "--config"]).arg(&config);
    if keys {
        // A production deployment waits 3 hours between commit and execute by default; this
        // test settles in seconds.
        deploy.arg("--keys").arg(&keys_dir).args(["--execution-delay", "0"]);
    } else {
        deploy.arg("--dev");
    }
    let out = deploy
        .arg("--out")
        .arg(dir.join("deployment.json"))
        .env("ROLLUPD_DEPLOYER_KEY", KEY0)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "deploy failed: {stderr}");
    if keys {
        assert!(stderr.contains("verification key hash"), "{stderr}");
    } else {
        assert!(
            stderr.contains("INSECURE"),
            "--dev says loudly that the keys are insecure: {stderr}"
        );
    }
    if alloc {
        assert!(stderr.contains(&format!("locking {ALLOCATED_WEI} wei")), "{stderr}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let diamond = stdout
        .lines()
        .find(|l| l.starts_with("Diamond proxy"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_string();
    let text = std::fs::read_to_string(&config).unwrap()
        + &format!(
            "[l1]\nrpc_url = \"{l1_url}\"\nchain_id = {l1_chain_id}\ndiamond = \"{diamond}\"\n"
        );
    std::fs::write(&config, text).unwrap();
    let (child, url) = spawn_run(&config, KEY0, &dir.join("run.log"));
    let mut child = rollup_test_utils::KillOnDrop(child);
    if alloc {
        // L1 backs the L2's genesis allocation, wei for wei.
        let l1 = crate::support::provider(l1_url, 0);
        let locked = l1.get_balance(diamond.parse().unwrap()).await.unwrap();
        assert_eq!(locked, U256::from(ALLOCATED_WEI), "the Diamond holds the genesis allocation");
        let l2 = crate::support::provider(&url, 0);
        assert_eq!(l2.get_balance(ALLOCATED).await.unwrap(), U256::from(ALLOCATED_WEI));
    }
    // A fresh account with no ETH: the fee is zero on this chain.
    let hash = zero_fee_transfer(&url).await;
    let started = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(600);
    let d = loop {
        let d = rpc(&url, "zks_getTransactionDetails", json!([hash])).await;
        if d["status"] == "finalized" {
            break d;
        }
        if Instant::now() > deadline {
            child.kill9();
            panic!(
                "{name}: never finalized ({d}): {}",
                std::fs::read_to_string(dir.join("run.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!(
        "SETTLEMENT ({name}): finalized {:.1}s after inclusion",
        started.elapsed().as_secs_f64()
    );
    let l1 = crate::support::provider(l1_url, 0);
    for key in ["ethCommitTxHash", "ethProveTxHash", "ethExecuteTxHash"] {
        let h: B256 = d[key].as_str().unwrap().parse().unwrap();
        let r = l1.get_transaction_receipt(h).await.unwrap().unwrap();
        assert!(r.status(), "{name}: {key} succeeded on the L1");
        assert_eq!(r.to, Some(diamond.parse().unwrap()));
    }
    child.kill9();
}

#[tokio::test(flavor = "multi_thread")]
async fn rollupd_deploy_dev_with_a_genesis_allocation_then_run_settles_on_anvil() {
    let Some(anvil) = crate::deploy::anvil() else { return };
    // The README's newcomer flow: `rollupd deploy --dev`, with a genesis allocation.
    deploy_run_and_settle("anvil", &anvil.endpoint(), 9, 270, false, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_l3_settles_on_the_l2_of_rollupd_dev() {
    let dir = tmp_dir("l3-host");
    // The host's own settlement is off: this test is about the L3 on top of it.
    let host = DevNode::start(&dir, &["eth_sender.enabled=false"]);
    // Keys from a directory (`rollupd deploy --keys`), on an L2 as the L1.
    deploy_run_and_settle("l3", &host.l2_url, 270, 271, true, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn past_a_backlog_limit_admission_is_refused_with_a_clear_error_and_reopens_by_itself() {
    let dir = tmp_dir("backlog");
    let mut sets = proving();
    sets.push("eth_sender.max_unproven_writes=1".into());
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    let node = DevNode::start(&dir, &refs);
    let first = transfer(&node, 1).await;
    // Once its batch is sealed, four writes wait for a proof: more than the limit of one.
    let refused = send_until_refused(&node).await;
    assert!(refused.contains("wait for proofs"), "the reason is given: {refused}");
    // The proof lands, the backlog drains, admission reopens without anyone doing anything.
    wait_status(&node, first, "finalized", 600).await;
    send_until_admitted(&node).await;
}

/// Sends transfers (each waiting for its receipt) until one is refused for the settlement
/// backlog; returns the error.
async fn send_until_refused(node: &DevNode) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    let refused = loop {
        let tx = TransactionRequest::default()
            .with_to(address!("0x000000000000000000000000000000000000dEaD"))
            .with_value(U256::from(7));
        match node.l2(1).send_transaction(tx).await {
            Err(e) => break e.to_string(),
            Ok(p) => {
                p.get_receipt().await.unwrap();
            }
        }
        assert!(Instant::now() < deadline, "admission was never slowed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(refused.contains("-32005") || refused.contains("settlement is behind"), "{refused}");
    refused
}

/// Sends a transfer from another account until admission takes it again.
async fn send_until_admitted(node: &DevNode) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let tx = TransactionRequest::default()
            .with_to(address!("0x000000000000000000000000000000000000dEaD"))
            .with_value(U256::from(8));
        if node.l2(2).send_transaction(tx).await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "admission never reopened");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `eth_sender.max_finality_secs`: once a proof has measured the provers' rate, a backlog they
/// need longer than the bound for closes admission, with the estimate in the reason and in
/// `zks_getSettlementStatus`; it reopens as the proofs land.
#[tokio::test(flavor = "multi_thread")]
async fn past_the_finality_bound_at_the_measured_proving_rate_admission_is_refused_and_reopens() {
    let dir = tmp_dir("finality");
    let mut sets = proving();
    sets.push("eth_sender.max_finality_secs=1".into());
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    let node = DevNode::start(&dir, &refs);
    let status = rpc(&node.l2_url, "zks_getSettlementStatus", json!([])).await;
    assert_eq!(status["maxFinalitySeconds"], json!("0x1"), "{status}");
    // Nothing is measured before the first proof, so the bound does not apply yet.
    let first = transfer(&node, 1).await;
    wait_status(&node, first, "finalized", 600).await;
    let status = rpc(&node.l2_url, "zks_getSettlementStatus", json!([])).await;
    let rate = status["provingRecordsPerSecond"].as_f64().unwrap_or(0.0);
    assert!(rate > 0.0, "a proof measured the rate: {status}");
    // The next batch's writes need longer than 1 s at that rate (a proof takes seconds).
    let refused = send_until_refused(&node).await;
    assert!(refused.contains("writes/s") && refused.contains("limit 1 s"), "{refused}");
    let status = rpc(&node.l2_url, "zks_getSettlementStatus", json!([])).await;
    // Read after the refusal, the backlog may already have drained; if not, the status says why.
    if let Some(why) = status["admissionRefused"].as_str() {
        assert!(why.contains("limit 1 s"), "{status}");
        assert!(status["provingEtaSeconds"].is_string(), "{status}");
    }
    send_until_admitted(&node).await;
}

/// A transfer from a fresh account with no ETH, at zero fee (for chains with `base_fee = 0`).
pub(crate) async fn zero_fee_transfer(url: &str) -> B256 {
    let p = alloy::providers::ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(
            alloy::signers::local::PrivateKeySigner::random(),
        ))
        .connect_http(url.parse().unwrap());
    let tx = TransactionRequest::default()
        .with_to(address!("0x000000000000000000000000000000000000dEaD"))
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(0)
        .with_max_priority_fee_per_gas(0);
    p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap().transaction_hash
}

/// Starts `rollupd run --config FILE` with `operator_key`, logging to `log`; returns the process
/// and its L2 URL once it printed it.
pub(crate) fn spawn_run(
    config: &std::path::Path,
    operator_key: &str,
    log: &std::path::Path,
) -> (std::process::Child, String) {
    spawn_run_with_env(config, operator_key, log, &[])
}

/// [`spawn_run`] with extra environment variables (for example `ROLLUPD_FAULTS`).
pub(crate) fn spawn_run_with_env(
    config: &std::path::Path,
    operator_key: &str,
    log: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rollupd"))
        .args(["run", "--config"])
        .arg(config)
        .env("ROLLUPD_OPERATOR_KEY", operator_key)
        .env("RUST_LOG", "info")
        // `run` bounds finality (3600 s) by default; these tests' provers are debug builds on a
        // shared machine, and the bound has a test of its own. A caller's `env` wins.
        .env("ROLLUPD_ETH_SENDER__MAX_FINALITY_SECS", "0")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("L2") {
                let _ = tx.send(line);
            }
        }
    });
    let Ok(line) = rx.recv_timeout(Duration::from_secs(120)) else {
        let _ = child.kill();
        panic!("rollupd run did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
    };
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    (child, url)
}

/// The `[rpc]` limits guard the L2's endpoint. The embedded L1 serves the node's own deployer,
/// eth sender and watcher with limits no tighter than the defaults, so a small response limit on
/// the L2 still lets `rollupd dev` deploy, commit and read its L1. (Before: the L1 answers the
/// node reads were over the limit and `rollupd dev` failed at start.)
#[tokio::test(flavor = "multi_thread")]
async fn a_tight_l2_response_limit_does_not_starve_the_nodes_own_l1_clients() {
    let node = DevNode::start(&tmp_dir("settle-tight-rpc"), &["rpc.max_response_body_bytes=2048"]);
    let hash = transfer(&node, 1).await;
    wait_status(&node, hash, "committed", 120).await;
    // The limit still holds on the L2: the identity precompile echoes 2 KiB, 4 KiB as hex.
    let data = format!("0x{}", "ab".repeat(2048));
    let echo = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0000000000000000000000000000000000000004","data":data},"latest"]}),
    )
    .await;
    assert_eq!(echo["error"]["code"], -32008, "{echo}");
}
