//! Settlement that no transaction can halt: the cheap transactions that used to make a batch
//! too big to settle (thousands of fresh slots, on L2 and forced from L1; six 24 KB contracts in
//! one request batch), and a settlement transaction that L1 reverts (signed with too little
//! gas by the `l1_gas_short` fault point). Afterwards a plain transfer is finalized and no
//! settlement transaction failed but the injected one.

use crate::settle::{counters, diamond, rpc, start_with_faults, validator_outcomes, wait_status};
use crate::support::{raw_call, tmp_dir, DevNode};
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, Bytes, TxKind, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use serde_json::json;
use std::time::Instant;

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

async fn send(node: &DevNode, tx: TransactionRequest) -> alloy::rpc::types::TransactionReceipt {
    node.l2(0).send_transaction(tx).await.unwrap().get_receipt().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_transaction_can_halt_settlement_and_a_reverted_proof_is_recovered() {
    let dir = tmp_dir("hostile-settlement");
    let node = start_with_faults(&dir, "l1_gas_short=fire");
    let diamond = diamond(&node);

    // 1. 4,000 and 2,300 fresh slots in one L2 transaction each: more than one batch can
    // settle (37 proof chunks), so each fails and pays for all its gas.
    for n in [4_000u16, 2_300] {
        let gas = 95_000_000;
        let tx = TransactionRequest::default()
            .with_deploy_code(Bytes::from(slot_writer(Some(n))))
            .with_gas_limit(gas);
        let r = send(&node, tx).await;
        assert!(!r.status(), "{n} slots: the transaction fails");
        assert_eq!(r.gas_used, gas, "{n} slots: and pays for all its gas");
    }

    // 2. Six different 24 KB contracts in one JSON-RPC batch: all deploy (over two blocks).
    let l2 = node.l2(0);
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
    let answers = raw_call(&node.l2_url, json!(batch)).await;
    let hashes: Vec<B256> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap_or_else(|| panic!("{a}")).parse().unwrap())
        .collect();

    // 3. Forced from L1: a call that writes 3,000 fresh slots on L2 fails there and pays.
    let runtime = slot_writer(None);
    let r = send(
        &node,
        TransactionRequest::default().with_deploy_code(Bytes::from(deployer(&runtime))),
    )
    .await;
    assert!(r.status());
    let writer = r.contract_address.unwrap();
    let calldata = Bytes::from(U256::from(3_000).to_be_bytes::<32>().to_vec());
    let forced =
        crate::bridge::request_via(node.l1(0), diamond, writer, U256::ZERO, calldata, 72_000_000)
            .await;

    // 4. A plain transfer after all of it settles, as does everything before it.
    let tx = TransactionRequest::default()
        .with_to(address!("0x000000000000000000000000000000000000dEaD"))
        .with_value(U256::from(1));
    let last = send(&node, tx).await.transaction_hash;
    let started = Instant::now();
    wait_status(&node, last, "finalized", 1_500).await;
    eprintln!(
        "HOSTILE: the transfer after the hostile load finalized in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    for h in &hashes {
        wait_status(&node, *h, "finalized", 60).await;
    }
    // The forced call failed on L2 (its status stays `failed`), in a batch L1 executes: the
    // watcher read it after the transfer was sent, so it may come in a later batch.
    let receipt = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([forced])).await;
    assert_eq!(receipt["status"], "0x0", "the forced 3,000-slot call failed on L2: {receipt}");
    let deadline = Instant::now() + std::time::Duration::from_secs(900);
    loop {
        let details = rpc(&node.l2_url, "zks_getTransactionDetails", json!([forced])).await;
        if details["ethExecuteTxHash"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "the forced call's batch was never executed: {details}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    for h in &hashes {
        let receipt = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([h])).await;
        assert_eq!(receipt["status"], "0x1", "every 24 KB contract deployed: {receipt}");
    }
    let blocks: std::collections::BTreeSet<String> = {
        let mut s = std::collections::BTreeSet::new();
        for h in &hashes {
            let r = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([h])).await;
            s.insert(r["blockNumber"].as_str().unwrap().to_string());
        }
        s
    };
    assert!(blocks.len() >= 2, "six 24 KB bytecodes do not fit one commit: {blocks:?}");

    // The injected prove reverted, was recorded, and settlement went on; nothing else failed.
    let (ok, failed) = validator_outcomes(&node).await;
    assert_eq!(failed, 1, "exactly the injected prove failed ({ok} succeeded)");
    assert!(node.log().contains("L1 reverted a settlement transaction"), "{}", node.log());
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
