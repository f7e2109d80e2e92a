//! geth's polling filters (`eth_newFilter` and friends) with the `newPendingTransactions`
//! subscription, and filter polls that meet `rpc.max_response_body_bytes`.

use super::{call, deploy, error_message, result, send_raw, sign, Token, BOB, GWEI};
use crate::support::{compile, tmp_dir, DevNode};
use alloy::consensus::TxEip1559;
use alloy::primitives::{Address, Bytes, TxKind, U256, U64};
use serde_json::{json, Value};

/// geth's polling filters (what ethers v6's `contract.on` uses over HTTP) and the
/// `newPendingTransactions` subscription: new logs, blocks and admitted transactions arrive once
/// each, ids are hex strings, uninstalled and idle filters are gone, bad input is refused.
#[tokio::test(flavor = "multi_thread")]
async fn polling_filters_and_pending_transaction_subscriptions() {
    use jsonrpsee::core::client::SubscriptionClientT;
    use jsonrpsee::rpc_params;
    let node =
        DevNode::start(&tmp_dir("rpc-filters"), &["rpc.filter_timeout_secs=2", "rpc.max_logs=2"]);
    let url = node.l2_url.clone();
    let call = |method: &'static str, params: Value| call(&url, method, params);
    let p = node.l2(0);
    let (_, code) = compile("Token");
    let mut init = code.to_vec();
    init.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
    let token_addr = deploy(&p, init.into()).await;

    let logs_id =
        result(call("eth_newFilter", json!([{"address": token_addr, "fromBlock": "0x0"}])).await);
    let blocks_id = result(call("eth_newBlockFilter", json!([])).await);
    let pending_id = result(call("eth_newPendingTransactionFilter", json!([])).await);
    for id in [&logs_id, &blocks_id, &pending_id] {
        let s = id.as_str().unwrap();
        assert!(s.starts_with("0x") && u128::from_str_radix(&s[2..], 16).is_ok(), "{id}");
    }
    let ws = jsonrpsee::ws_client::WsClientBuilder::default().build(node.l2_ws()).await.unwrap();
    let mut pending_sub = ws
        .subscribe::<Value, _>(
            "eth_subscribe",
            rpc_params!["newPendingTransactions"],
            "eth_unsubscribe",
        )
        .await
        .unwrap();

    let token = Token::new(token_addr, p.clone());
    let r = token.transfer(BOB, U256::from(3)).send().await.unwrap().get_receipt().await.unwrap();
    let tx = json!(r.transaction_hash);

    let changes = result(call("eth_getFilterChanges", json!([logs_id])).await);
    assert_eq!(changes.as_array().unwrap().len(), 1, "the transfer's log, once: {changes}");
    assert_eq!(changes[0]["transactionHash"], tx);
    assert_eq!(
        result(call("eth_getFilterChanges", json!([logs_id])).await),
        json!([]),
        "nothing new"
    );
    let all = result(call("eth_getFilterLogs", json!([logs_id])).await);
    assert_eq!(all.as_array().unwrap().len(), 2, "mint and transfer since block 0: {all}");
    let blocks = result(call("eth_getFilterChanges", json!([blocks_id])).await);
    assert!(blocks.as_array().unwrap().contains(&json!(r.block_hash.unwrap())), "{blocks}");
    let pending = result(call("eth_getFilterChanges", json!([pending_id])).await);
    assert!(pending.as_array().unwrap().contains(&tx), "{pending}");
    let seen = tokio::time::timeout(std::time::Duration::from_secs(10), pending_sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(seen, tx, "the subscription names the admitted transaction");

    // `fromBlock: "latest"` reports every block since the last poll, not only the head's; and a
    // poll over rpc.max_logs (2 here) returns whole blocks up to it, then the rest next time.
    let latest_id = result(
        call("eth_newFilter", json!([{"address": token_addr, "fromBlock": "latest"}])).await,
    );
    let mut sent = Vec::new();
    for _ in 0..3 {
        let r =
            token.transfer(BOB, U256::from(1)).send().await.unwrap().get_receipt().await.unwrap();
        sent.push((r.block_number.unwrap(), json!(r.transaction_hash)));
    }
    assert!(sent[0].0 < sent[1].0 && sent[1].0 < sent[2].0, "three blocks: {sent:?}");
    let first = result(call("eth_getFilterChanges", json!([latest_id])).await);
    let second = result(call("eth_getFilterChanges", json!([latest_id])).await);
    let hashes = |v: &Value| -> Vec<Value> {
        v.as_array().unwrap().iter().map(|l| l["transactionHash"].clone()).collect()
    };
    assert_eq!(hashes(&first), vec![sent[0].1.clone(), sent[1].1.clone()], "{first}");
    assert_eq!(hashes(&second), vec![sent[2].1.clone()], "{second}");

    // Uninstalled once; then unknown.
    assert_eq!(result(call("eth_uninstallFilter", json!([blocks_id])).await), true);
    assert_eq!(result(call("eth_uninstallFilter", json!([blocks_id])).await), false);
    let gone = call("eth_getFilterChanges", json!([blocks_id])).await;
    assert_eq!(error_message(&gone), "filter not found", "{gone}");
    let not_logs = call("eth_getFilterLogs", json!([pending_id])).await;
    assert_eq!(error_message(&not_logs), "filter not found", "only log filters have logs");
    // Idle filters expire (rpc.filter_timeout_secs = 2 here).
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let expired = call("eth_getFilterChanges", json!([logs_id])).await;
    assert_eq!(error_message(&expired), "filter not found", "{expired}");

    // Malformed input.
    for (method, params) in [
        ("eth_newFilter", json!([{"fromBlock": "0x3", "toBlock": "0x1"}])),
        ("eth_newFilter", json!([{"address": "0x12"}])),
        ("eth_getFilterChanges", json!([12])),
        ("eth_uninstallFilter", json!([])),
    ] {
        let r = call(method, params.clone()).await;
        assert_eq!(r["error"]["code"], -32602, "{method} {params}: {r}");
    }
}

/// Sends `raw` and waits for its block: no receipt is fetched (it may be over the response limit).
async fn included(url: &str, raw: &Bytes) -> u64 {
    let hash = result(send_raw(url, raw).await);
    for _ in 0..100 {
        let tx = result(call(url, "eth_getTransactionByHash", json!([hash])).await);
        if let Some(n) = tx["blockNumber"].as_str() {
            return u64::from_str_radix(n.trim_start_matches("0x"), 16).unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{hash} was not included");
}

/// Deploys a contract that emits one LOG0 of `calldata[0..32]` zero bytes.
async fn deploy_fat_emitter(p: &alloy::providers::DynProvider) -> Address {
    let runtime = [0x60, 0x00, 0x35, 0x60, 0x00, 0xa0, 0x00];
    let mut init = vec![0x60, 0x07, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x07, 0x60, 0x00, 0xf3];
    init.extend_from_slice(&runtime);
    deploy(p, init.into()).await
}

/// A log filter's poll returns whole blocks, and a block whose logs alone do not fit in
/// `rpc.max_response_body_bytes` is an error that leaves the filter before it: no log is
/// skipped. (The answer over the limit was replaced by jsonrpsee's "response is too big" after
/// the filter had moved past every block it held.)
#[tokio::test(flavor = "multi_thread")]
async fn a_filter_poll_never_skips_a_block_too_big_for_one_answer() {
    let node =
        DevNode::start(&tmp_dir("rpc-filter-big-block"), &["rpc.max_response_body_bytes=1000000"]);
    let url = node.l2_url.clone();
    let p = node.l2(0);
    let emitter = deploy_fat_emitter(&p).await;
    let id = result(call(&url, "eth_newFilter", json!([{"address": emitter}])).await);
    let emit = |nonce: u64, bytes: u32| {
        let tx = TxEip1559 {
            chain_id: 270,
            nonce,
            gas_limit: 8_000_000,
            max_fee_per_gas: 2 * GWEI,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(emitter),
            input: U256::from(bytes).to_be_bytes::<32>().to_vec().into(),
            ..Default::default()
        };
        sign(tx)
    };
    // signer(2) sends a small log, one of 600 kB (1.2 MB as hex: no answer can hold it), and a
    // small one, each in its own block.
    let mut blocks = Vec::new();
    for (nonce, bytes) in [(0, 32), (1, 600_000), (2, 32)] {
        blocks.push(included(&url, &emit(nonce, bytes)).await);
    }
    assert!(blocks.windows(2).all(|w| w[0] < w[1]), "{blocks:?}");
    let poll = || call(&url, "eth_getFilterChanges", json!([id]));
    let first = result(poll().await);
    assert_eq!(first.as_array().unwrap().len(), 1, "the blocks before the big one: {first}");
    assert_eq!(first[0]["blockNumber"], json!(U64::from(blocks[0])), "{first}");
    for _ in 0..2 {
        let r = poll().await;
        assert_eq!(r["error"]["code"], -32005, "the big block does not fit: {r}");
        let msg = error_message(&r);
        assert!(msg.contains(&format!("block {}", blocks[1])), "{msg}");
    }
}
