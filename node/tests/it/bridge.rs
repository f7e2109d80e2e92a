//! Bridging on `rollupd dev`, done the way docs/bridge.md shows it with plain cast: a deposit, an
//! L1->L2 call with calldata and a failing one, each checked on L2 to the wei; then a withdrawal
//! finalized on L1 with the node's log proof, paid exactly once.

use crate::settle::{diamond, rpc, start_proving, wait_status};
use crate::support::{tmp_dir, DevNode};
use alloy::primitives::{address, Address, B256, U256};
use alloy::providers::Provider;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Dev account 1 deposits (dev account 0 deploys on L2).
const KEY1: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const DEPOSITOR: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
/// The L1 gas price every request pays (legacy transactions pin `tx.gasprice`).
const L1_GAS_PRICE: &str = "2000000000";
const REQUEST: &str = "requestL2Transaction(address,uint256,bytes,uint256,uint256,bytes[],address)";

/// Runs the pinned cast; returns its stdout.
pub(crate) fn cast(args: &[&str]) -> String {
    let bin =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/node_modules/.bin/cast");
    let out = std::process::Command::new(bin)
        .args(args)
        .output()
        .expect("run cast (npm ci --prefix tools installs it)");
    assert!(out.status.success(), "cast {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs the pinned cast expecting it to fail; returns its stderr.
fn cast_fails(args: &[&str]) -> String {
    let bin =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/node_modules/.bin/cast");
    let out = std::process::Command::new(bin).args(args).output().unwrap();
    assert!(!out.status.success(), "cast {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// `l2TransactionBaseCost` at our L1 gas price, read with cast.
fn base_cost(node: &DevNode, diamond: Address, gas: u64) -> U256 {
    let out = cast(&[
        "call",
        "--rpc-url",
        &node.l1_url,
        &diamond.to_string(),
        "l2TransactionBaseCost(uint256,uint256,uint256)(uint256)",
        L1_GAS_PRICE,
        &gas.to_string(),
        "800",
    ]);
    out.split_whitespace().next().unwrap().parse().unwrap()
}

/// Sends `requestL2Transaction` with cast from dev account 1; returns the L2 hash (the
/// `txHash` of its `NewPriorityRequest` event).
/// One `requestL2Transaction` call.
struct Request<'a> {
    to: Address,
    value: U256,
    calldata: &'a str,
    gas: u64,
    refund: Address,
    msg_value: U256,
}

fn request(node: &DevNode, diamond: Address, r: Request<'_>) -> B256 {
    let Request { to, value, calldata, gas, refund, msg_value } = r;
    let out = cast(&[
        "send",
        "--json",
        "--rpc-url",
        &node.l1_url,
        "--private-key",
        KEY1,
        "--legacy",
        "--gas-price",
        L1_GAS_PRICE,
        &diamond.to_string(),
        REQUEST,
        &to.to_string(),
        &value.to_string(),
        calldata,
        &gas.to_string(),
        "800",
        "[]",
        &refund.to_string(),
        "--value",
        &msg_value.to_string(),
    ]);
    let receipt: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let topic = alloy::primitives::keccak256(
        "NewPriorityRequest(uint256,bytes32,uint64,(uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256[4],bytes,bytes,uint256[],bytes,bytes),bytes[])",
    );
    let log = receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["topics"][0].as_str().unwrap().parse::<B256>().unwrap() == topic)
        .unwrap_or_else(|| panic!("no NewPriorityRequest in {receipt}"));
    let data = alloy::primitives::hex::decode(log["data"].as_str().unwrap()).unwrap();
    B256::from_slice(&data[32..64])
}

async fn wait_receipt(node: &DevNode, hash: B256, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([hash])).await;
        if !r.is_null() {
            return r;
        }
        assert!(Instant::now() < deadline, "{hash} never included; log:\n{}", node.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn quantity(v: &Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deposit_l1_to_l2_calls_and_a_withdrawal_sent_with_cast_settle_to_the_wei() {
    let dir = tmp_dir("bridge");
    let node = start_proving(&dir);
    let diamond = diamond(&node);
    let l2 = node.l2(0);
    let locked_before = node.l1(0).get_balance(diamond).await.unwrap();

    // 1. A deposit: the recipient gets exactly the value.
    let recipient = address!("0x00000000000000000000000000000000000d3905");
    let amount = U256::from(10u64).pow(U256::from(18)) / U256::from(4);
    let gas = 300_000;
    let cost = base_cost(&node, diamond, gas);
    let deposit = request(
        &node,
        diamond,
        Request {
            to: recipient,
            value: amount,
            calldata: "0x",
            gas,
            refund: Address::ZERO,
            msg_value: cost + amount,
        },
    );
    let r = wait_receipt(&node, deposit, 60).await;
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["type"], "0xff", "{r}");
    assert_eq!(r["to"].as_str().unwrap().parse::<Address>().unwrap(), recipient);
    assert_eq!(l2.get_balance(recipient).await.unwrap(), amount, "exactly the deposit");
    let tx = rpc(&node.l2_url, "eth_getTransactionByHash", json!([deposit])).await;
    assert_eq!(tx["type"], "0xff", "{tx}");
    assert_eq!(tx["from"].as_str().unwrap().parse::<Address>().unwrap(), DEPOSITOR);
    assert_eq!(quantity(&tx["value"]), amount);
    let d = rpc(&node.l2_url, "zks_getTransactionDetails", json!([deposit])).await;
    assert_eq!(d["isL1Originated"], true, "{d}");

    // 2. An L1->L2 call with calldata: a contract deployed on L2 stores the word it is sent.
    // Runtime `PUSH1 4 CALLDATALOAD PUSH1 0 SSTORE STOP`, behind a 12-byte constructor.
    let deployed: Value = serde_json::from_str(&cast(&[
        "send",
        "--json",
        "--rpc-url",
        &node.l2_url,
        "--private-key",
        KEY0,
        "--create",
        "0x6007600c60003960076000f360043560005500",
    ]))
    .unwrap();
    let store: Address = deployed["contractAddress"].as_str().unwrap().parse().unwrap();
    let word = format!("0x12345678{:064x}", 0x2a);
    let refund = address!("0x00000000000000000000000000000000000fefe1");
    let gas = 100_000;
    let cost = base_cost(&node, diamond, gas);
    let call = request(
        &node,
        diamond,
        Request { to: store, value: U256::ZERO, calldata: &word, gas, refund, msg_value: cost },
    );
    let r = wait_receipt(&node, call, 60).await;
    assert_eq!(r["status"], "0x1", "{r}");
    let slot = l2.get_storage_at(store, U256::ZERO).await.unwrap();
    assert_eq!(slot, U256::from(0x2a), "the L1->L2 call ran on L2");
    let price = quantity(&r["effectiveGasPrice"]);
    let used = quantity(&r["gasUsed"]);
    assert_eq!(
        l2.get_balance(refund).await.unwrap(),
        (U256::from(gas) - used) * price,
        "the refund recipient gets the unused gas"
    );

    // 3. A failing call (its gas covers L1's minimum, not the SSTORE): included as failed, and
    // the refund recipient gets everything but the fee.
    let refund2 = address!("0x00000000000000000000000000000000000fefe2");
    let gas = 21_000 + 40 * 36 + 2_000;
    let cost = base_cost(&node, diamond, gas);
    let other = format!("0x12345678{:064x}", 0x2b);
    let failing = request(
        &node,
        diamond,
        Request {
            to: store,
            value: U256::ZERO,
            calldata: &other,
            gas,
            refund: refund2,
            msg_value: cost,
        },
    );
    let r = wait_receipt(&node, failing, 60).await;
    assert_eq!(r["status"], "0x0", "included as failed: {r}");
    let fee = quantity(&r["gasUsed"]) * quantity(&r["effectiveGasPrice"]);
    assert_eq!(l2.get_balance(refund2).await.unwrap(), cost - fee, "all but the fee");
    assert_eq!(l2.get_storage_at(store, U256::ZERO).await.unwrap(), U256::from(0x2a));

    // The Diamond holds what was deposited; the deposit's batch is executed on L1, which pops
    // exactly the batches' priority operations.
    let sent = node.l1(0).get_balance(diamond).await.unwrap() - locked_before;
    assert!(sent > amount, "the Diamond holds every request's ETH");
    for h in [deposit, call] {
        wait_status(&node, h, "finalized", 600).await;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let d = rpc(&node.l2_url, "zks_getTransactionDetails", json!([failing])).await;
        assert_eq!(d["status"], "failed", "{d}");
        if d["ethExecuteTxHash"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "the failed request's batch never executed: {d}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let chain = rollup_contracts::bindings::IRollupChain::new(diamond, node.l1(0));
    assert_eq!(chain.getTotalPriorityTxs().call().await.unwrap(), U256::from(3));
    assert_eq!(chain.getFirstUnprocessedPriorityTx().call().await.unwrap(), U256::from(3));

    // 4. A withdrawal: sent with cast on L2, finalized on L1 with the node's proof; the
    // receiver gets exactly the amount, once.
    let receiver = address!("0x00000000000000000000000000000000000e1e1e");
    let amount = U256::from(10u64).pow(U256::from(17));
    let before = l2.get_balance(DEPOSITOR).await.unwrap();
    let sent: Value = serde_json::from_str(&cast(&[
        "send",
        "--json",
        "--rpc-url",
        &node.l2_url,
        "--private-key",
        KEY1,
        "0x000000000000000000000000000000000000800a",
        "withdraw(address)",
        &receiver.to_string(),
        "--value",
        &amount.to_string(),
    ]))
    .unwrap();
    assert_eq!(sent["status"], "0x1", "{sent}");
    let hash: B256 = sent["transactionHash"].as_str().unwrap().parse().unwrap();
    let r = wait_receipt(&node, hash, 60).await;
    let fee = quantity(&r["gasUsed"]) * quantity(&r["effectiveGasPrice"]);
    assert_eq!(l2.get_balance(DEPOSITOR).await.unwrap(), before - amount - fee);
    let base_token = address!("0x000000000000000000000000000000000000800a");
    assert_eq!(l2.get_balance(base_token).await.unwrap(), U256::ZERO, "withdrawn ETH is burned");
    wait_status(&node, hash, "finalized", 600).await;
    let r = rpc(&node.l2_url, "eth_getTransactionReceipt", json!([hash])).await;
    let logs = r["l2ToL1Logs"].as_array().unwrap_or_else(|| panic!("l2ToL1Logs in {r}"));
    assert_eq!(logs.len(), 1, "{r}");
    let proof: Value = serde_json::from_str(&cast(&[
        "rpc",
        "--rpc-url",
        &node.l2_url,
        "zks_getL2ToL1LogProof",
        &hash.to_string(),
        "0",
    ]))
    .unwrap();
    let path: Vec<String> =
        proof["proof"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().into()).collect();
    assert_eq!(path.len(), 14, "{proof}");
    let batch = quantity(&r["l1BatchNumber"]).to_string();
    let id = quantity(&proof["id"]).to_string();
    let tx_index = quantity(&r["l1BatchTxIndex"]).to_string();
    let message = format!("0x6c0960f9{}{:064x}", hex_addr(receiver), amount);
    let path = format!("[{}]", path.join(","));
    let finalize = [
        "send",
        "--json",
        "--rpc-url",
        &node.l1_url,
        "--private-key",
        KEY1,
        &diamond.to_string(),
        "finalizeEthWithdrawal(uint256,uint256,uint16,bytes,bytes32[])",
        &batch,
        &id,
        &tx_index,
        &message,
        &path,
    ];
    let done: Value = serde_json::from_str(&cast(&finalize)).unwrap();
    assert_eq!(done["status"], "0x1", "{done}");
    assert_eq!(node.l1(0).get_balance(receiver).await.unwrap(), amount, "exactly the amount");
    let again = cast_fails(&finalize);
    assert!(again.contains("revert"), "a second finalize reverts: {again}");
    assert_eq!(node.l1(0).get_balance(receiver).await.unwrap(), amount, "paid once");
}

fn hex_addr(a: Address) -> String {
    alloy::primitives::hex::encode(a.as_slice())
}
