//! Settlement that no transaction can halt: the cheap transactions that used to make a batch
//! too big to settle (thousands of fresh slots, on L2 and forced from L1; six 24 KB contracts in
//! one request batch), and a settlement transaction that L1 reverts (signed with too little
//! gas by the `l1_gas_short` fault point). Afterwards a plain transfer is finalized and no
//! settlement transaction failed but the injected one. The same load runs against `rollupd dev`
//! (its embedded L1) and against `rollupd run` settling on anvil.

use crate::settle::{counters, diamond, rpc, start_with_faults, validator_outcomes_at};
use crate::support::{provider, raw_call, tmp_dir};
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where the hostile load runs: its L1 and L2, the Diamond, the validator and the node's log.
struct Rig {
    l1_url: String,
    l2_url: String,
    diamond: Address,
    validator: Address,
    log: PathBuf,
}

impl Rig {
    /// The L2, signing with dev account 0.
    fn l2(&self) -> DynProvider {
        provider(&self.l2_url, 0)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_finalized(&self, hash: B256, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let d = rpc(&self.l2_url, "zks_getTransactionDetails", json!([hash])).await;
            if d["status"] == "finalized" {
                return;
            }
            assert!(Instant::now() < deadline, "{hash} never finalized ({d}):\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Code that writes `n` fresh slots (keys `n..=1`, value 1): `n` fixed, or (`None`) the first
/// calldata word, for a contract called from L1.
fn slot_writer(n: Option<u16>) -> Vec<u8> {
    let mut code = match n {
        Some(n) => {
            let [hi, lo] = n.to_be_bytes();
            vec![0x61, hi, lo] // PUSH2 n
        }
        None => vec![0x60, 0x00, 0x35], // CALLDATALOAD(0)
    };
    // JUMPDEST (3); sstore(i, 1); i -= 1; loop while i != 0; STOP
    code.extend_from_slice(&[
        0x5b, 0x60, 0x01, 0x81, 0x55, 0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x03, 0x57, 0x00,
    ]);
    code
}

/// Initcode that deploys `runtime`.
fn deployer(runtime: &[u8]) -> Vec<u8> {
    let len = runtime.len() as u8;
    // CODECOPY(0, 12, len); RETURN(0, len)
    let mut init = vec![0x60, len, 0x60, 12, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3];
    init.extend_from_slice(runtime);
    init
}

/// Initcode deploying 24,576 bytes of code starting with `first`.
fn big_code(first: u8) -> Vec<u8> {
    vec![0x60, first, 0x60, 0x00, 0x53, 0x61, 0x60, 0x00, 0x60, 0x00, 0xf3]
}

async fn send(rig: &Rig, tx: TransactionRequest) -> alloy::rpc::types::TransactionReceipt {
    rig.l2().send_transaction(tx).await.unwrap().get_receipt().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_transaction_can_halt_settlement_and_a_reverted_proof_is_recovered() {
    let dir = tmp_dir("hostile-settlement");
    let node = start_with_faults(&dir, "l1_gas_short=fire");
    let rig = Rig {
        l1_url: node.l1_url.clone(),
        l2_url: node.l2_url.clone(),
        diamond: diamond(&node),
        validator: rollup_test_utils::signer(9).address(),
        log: node.stderr_log.clone(),
    };
    hostile_load_settles(&rig).await;
    let metrics = alloy::transports::http::reqwest::get(&node.metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("rollupd_eth_sender_reverted_txs_total{chain=\"l2\"} 1"), "{metrics}");
    let (c, v, e) = counters(&node).await;
    assert!(c >= v && v >= e && e >= 1);
}

/// The same on anvil, with `rollupd deploy --dev` and `rollupd run` (dev account 0 first
/// deposits what it spends on L2).
#[tokio::test(flavor = "multi_thread")]
async fn on_anvil_no_transaction_can_halt_settlement_and_a_reverted_proof_is_recovered() {
    let Some(anvil) = crate::deploy::anvil() else { return };
    let dir = tmp_dir("hostile-anvil");
    let diamond = crate::l1_faults::deploy_dev(&anvil.endpoint(), &dir);
    let config = crate::l1_faults::write_config(
        &dir,
        &anvil.endpoint(),
        diamond,
        "[eth_sender]\npoll_ms = 250\n[eth_watcher]\npoll_ms = 250\n",
    );
    let log = dir.join("run.log");
    let (child, l2_url) = crate::settle::spawn_run_with_env(
        &config,
        &rollup_test_utils::key_hex(1),
        &log,
        &[("ROLLUPD_FAULTS", "l1_gas_short=fire")],
    );
    let _child = rollup_test_utils::KillOnDrop(child);
    let me = rollup_test_utils::signer(0).address();
    let funds = U256::from(100u64) * U256::from(10u64).pow(U256::from(18u64));
    crate::bridge::deposit_via(provider(&anvil.endpoint(), 0), diamond, me, funds).await;
    let l2 = provider(&l2_url, 0);
    let deadline = Instant::now() + Duration::from_secs(120);
    while l2.get_balance(me).await.unwrap() < funds {
        assert!(Instant::now() < deadline, "the deposit was never credited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rig = Rig {
        l1_url: anvil.endpoint(),
        l2_url,
        diamond,
        validator: rollup_test_utils::signer(1).address(),
        log,
    };
    hostile_load_settles(&rig).await;
}

/// Sends the hostile load to `rig` and checks that everything settles.
async fn hostile_load_settles(rig: &Rig) {
    let diamond = rig.diamond;

    // 1. 4,000 and 2,300 fresh slots in one L2 transaction each: more than one batch can
    // settle (about 1,770 records), so each fails and pays for all its gas.
    for n in [4_000u16, 2_300] {
        let gas = 95_000_000;
        let tx = TransactionRequest::default()
            .with_deploy_code(Bytes::from(slot_writer(Some(n))))
            .with_gas_limit(gas);
        let r = send(rig, tx).await;
        assert!(!r.status(), "{n} slots: the transaction fails");
        assert_eq!(r.gas_used, gas, "{n} slots: and pays for all its gas");
    }

    // 2. Six different 24 KB contracts in one JSON-RPC batch: all deploy (over two blocks).
    let l2 = rig.l2();
    let from = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    let nonce = l2.get_transaction_count(from).await.unwrap();
    let wallet = alloy::network::EthereumWallet::from(
        crate::support::KEY0.parse::<alloy::signers::local::PrivateKeySigner>().unwrap(),
    );
    let mut batch = Vec::new();
    for i in 0..6u8 {
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_kind(TxKind::Create)
            .with_input(Bytes::from(big_code(0x60 + i)))
            .with_nonce(nonce + u64::from(i))
            .with_chain_id(270)
            .with_gas_limit(6_000_000)
            .with_max_fee_per_gas(1_000_000_000)
            .with_max_priority_fee_per_gas(0);
        let envelope = alloy::network::NetworkTransactionBuilder::build(tx, &wallet).await.unwrap();
        let raw = alloy::eips::eip2718::Encodable2718::encoded_2718(&envelope);
        batch.push(json!({"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction",
            "params": [alloy::primitives::hex::encode_prefixed(raw)]}));
    }
    let answers = raw_call(&rig.l2_url, json!(batch)).await;
    let hashes: Vec<B256> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap_or_else(|| panic!("{a}")).parse().unwrap())
        .collect();

    // 3. Forced from L1: a call that writes 3,000 fresh slots on L2 fails there and pays.
    let runtime = slot_writer(None);
    let r =
        send(rig, TransactionRequest::default().with_deploy_code(Bytes::from(deployer(&runtime))))
            .await;
    assert!(r.status());
    let writer = r.contract_address.unwrap();
    let calldata = Bytes::from(U256::from(3_000).to_be_bytes::<32>().to_vec());
    let forced = crate::bridge::request_via(
        provider(&rig.l1_url, 0),
        diamond,
        writer,
        U256::ZERO,
        calldata,
        72_000_000,
    )
    .await;

    // 4. A plain transfer after all of it settles, as does everything before it.
    let tx = TransactionRequest::default()
        .with_to(address!("0x000000000000000000000000000000000000dEaD"))
        .with_value(U256::from(1));
    let last = send(rig, tx).await.transaction_hash;
    let started = Instant::now();
    rig.wait_finalized(last, 1_500).await;
    eprintln!(
        "HOSTILE: the transfer after the hostile load finalized in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    for h in &hashes {
        rig.wait_finalized(*h, 60).await;
    }
    // The forced call failed on L2 (its status stays `failed`), in a batch L1 executes: the
    // watcher read it after the transfer was sent, so it may come in a later batch.
    let receipt = rpc(&rig.l2_url, "eth_getTransactionReceipt", json!([forced])).await;
    assert_eq!(receipt["status"], "0x0", "the forced 3,000-slot call failed on L2: {receipt}");
    let deadline = Instant::now() + std::time::Duration::from_secs(900);
    loop {
        let details = rpc(&rig.l2_url, "zks_getTransactionDetails", json!([forced])).await;
        if details["ethExecuteTxHash"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "the forced call's batch was never executed: {details}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    for h in &hashes {
        let receipt = rpc(&rig.l2_url, "eth_getTransactionReceipt", json!([h])).await;
        assert_eq!(receipt["status"], "0x1", "every 24 KB contract deployed: {receipt}");
    }
    let blocks: std::collections::BTreeSet<String> = {
        let mut s = std::collections::BTreeSet::new();
        for h in &hashes {
            let r = rpc(&rig.l2_url, "eth_getTransactionReceipt", json!([h])).await;
            s.insert(r["blockNumber"].as_str().unwrap().to_string());
        }
        s
    };
    assert!(blocks.len() >= 2, "six 24 KB bytecodes do not fit one commit: {blocks:?}");

    // The injected prove reverted, was recorded, and settlement went on; nothing else failed.
    let (ok, failed) = validator_outcomes_at(&rig.l1_url, rig.validator).await;
    assert_eq!(failed, 1, "exactly the injected prove failed ({ok} succeeded)");
    assert!(rig.log().contains("L1 reverted a settlement transaction"), "{}", rig.log());
}

/// A flood of blocks that each deploy 32 new bytecodes, so that each closes a batch, for
/// `FLOOD_SECS` seconds (60 in CI; 600 in the long run). Before, each such batch took
/// `previous + 1 s` as its timestamp, batch time ran ahead of real time (about 3 s a second here)
/// and, 15 minutes ahead, L1 refused every commit (`TimestampInTheFuture`). Now no batch is
/// sealed ahead of the clock: every batch sealed during the flood is committed, none is stamped
/// after the time it is checked, and no validator transaction reverts.
#[tokio::test(flavor = "multi_thread")]
async fn on_anvil_a_flood_of_bytecode_deploying_blocks_never_pushes_batch_time_ahead() {
    use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
    use alloy::signers::SignerSync;
    let Some(anvil) = crate::deploy::anvil() else { return };
    let secs: u64 = std::env::var("FLOOD_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let dir = tmp_dir("bytecode-flood");
    let diamond = crate::l1_faults::deploy_dev(&anvil.endpoint(), &dir);
    let config = crate::l1_faults::write_config(
        &dir,
        &anvil.endpoint(),
        diamond,
        "[eth_sender]\npoll_ms = 250\n",
    );
    let log = dir.join("run.log");
    let (child, l2_url) = crate::settle::spawn_run(&config, &rollup_test_utils::key_hex(1), &log);
    let _child = rollup_test_utils::KillOnDrop(child);

    // Zero-fee deployments (`base_fee = 0`) of distinct 5-byte contracts, 32 per block.
    let key = alloy::signers::local::PrivateKeySigner::random();
    let mut nonce = 0u64;
    let started = Instant::now();
    let mut rounds = 0u64;
    let l2 = provider(&l2_url, 0);
    while started.elapsed() < Duration::from_secs(secs) {
        // The pool takes 64 pending transactions per sender: wait for the last round's block.
        let wait = Instant::now() + Duration::from_secs(60);
        while l2.get_transaction_count(key.address()).await.unwrap() < nonce {
            assert!(Instant::now() < wait, "round {rounds} was never included");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut batch = Vec::new();
        for _ in 0..32 {
            let [a, b, c, d, ..] = nonce.to_le_bytes();
            let runtime = [0x63, a, b, c, d, 0x00]; // PUSH4 nonce; STOP
            let tx = TxEip1559 {
                chain_id: 270,
                nonce,
                gas_limit: 100_000,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
                to: TxKind::Create,
                value: U256::ZERO,
                access_list: Default::default(),
                input: Bytes::from(deployer(&runtime)),
            };
            let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
            let envelope: TxEnvelope = tx.into_signed(sig).into();
            let raw = alloy::eips::eip2718::Encodable2718::encoded_2718(&envelope);
            batch.push(json!({"jsonrpc": "2.0", "id": nonce, "method": "eth_sendRawTransaction",
                "params": [alloy::primitives::hex::encode_prefixed(raw)]}));
            nonce += 1;
        }
        let answers = raw_call(&l2_url, json!(batch)).await;
        for a in answers.as_array().unwrap() {
            assert!(a.get("result").is_some(), "a deployment was refused: {a}");
        }
        rounds += 1;
    }
    let flood_secs = started.elapsed().as_secs();
    let sealed = {
        let v = rpc(&l2_url, "zks_L1BatchNumber", json!([])).await;
        u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut ahead = Vec::new();
    for n in 1..=sealed {
        let d = rpc(&l2_url, "zks_getL1BatchDetails", json!([n])).await;
        let ts = d["timestamp"].as_u64().unwrap();
        if ts > now {
            ahead.push((n, ts - now));
        }
    }
    assert!(ahead.is_empty(), "batches stamped ahead of the clock (batch, seconds): {ahead:?}");
    // Every batch sealed during the flood is committed; none of the validator's transactions
    // reverted.
    let chain =
        rollup_contracts::bindings::IRollupChain::new(diamond, provider(&anvil.endpoint(), 0));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let committed: u64 = chain.getTotalBatchesCommitted().call().await.unwrap().to();
        if committed >= sealed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{committed} of {sealed} batches committed:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (ok, failed) =
        validator_outcomes_at(&anvil.endpoint(), rollup_test_utils::signer(1).address()).await;
    assert_eq!(failed, 0, "validator transactions reverted ({ok} succeeded)");
    eprintln!(
        "FLOOD: {} deployments in {rounds} rounds over {flood_secs} s; {sealed} batches sealed and committed, none ahead of the clock; {ok} validator transactions, none reverted",
        nonce
    );
}
