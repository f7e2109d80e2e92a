//! The L2's JSON-RPC through real clients (alloy's provider, raw JSON-RPC, a WebSocket client)
//! against a real `rollupd dev` process.

use crate::support::{compile, raw_call, signer, tmp_dir, DevNode};
use alloy::consensus::{SignableTransaction, Signed, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::SignerSync;
use alloy::sol;
use alloy::sol_types::{SolCall, SolError, SolEvent};
use serde_json::{json, Value};

sol! {
    #[sol(rpc)]
    interface Token {
        function balanceOf(address) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function work(uint256 n) external returns (uint256);
        function blockHashOf(uint256 n) external view returns (bytes32);
        event Transfer(address indexed from, address indexed to, uint256 value);
        error Insufficient(uint256 have, uint256 want);
    }
}

const GWEI: u128 = 1_000_000_000;
const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");

fn sign<T>(tx: T) -> Bytes
where
    T: SignableTransaction<Signature>,
    Signed<T>: Into<TxEnvelope>,
{
    let sig = signer(2).sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into().encoded_2718().into()
}

fn eip1559(nonce: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(BOB),
        value: U256::from(1),
        ..Default::default()
    }
}

async fn send_raw(url: &str, raw: &Bytes) -> Value {
    raw_call(
        url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}),
    )
    .await
}

fn error_message(resp: &Value) -> String {
    resp["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {resp}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn transfers_nonces_receipts_and_blocks() {
    let node = DevNode::start(&tmp_dir("rpc-transfers"), &[]);
    let p = node.l2(0);
    let me = signer(0).address();
    assert_eq!(p.get_chain_id().await.unwrap(), 270);
    assert_eq!(node.l1(0).get_chain_id().await.unwrap(), 9);
    let version = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"web3_clientVersion","params":[]}),
    )
    .await;
    assert!(version["result"].as_str().unwrap().starts_with("rollupd/v"), "{version}");
    let net =
        raw_call(&node.l2_url, json!({"jsonrpc":"2.0","id":1,"method":"net_version","params":[]}))
            .await;
    assert_eq!(net["result"], "270");

    let before = p.get_balance(BOB).await.unwrap();
    let my_before = p.get_balance(me).await.unwrap();
    let tx = TransactionRequest::default().with_to(BOB).with_value(U256::from(12345));
    let receipt = p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.from, me);
    assert_eq!(receipt.to, Some(BOB));
    assert_eq!(p.get_balance(BOB).await.unwrap(), before + U256::from(12345));
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        p.get_balance(me).await.unwrap(),
        my_before - U256::from(12345) - fee,
        "balances add up"
    );
    assert_eq!(p.get_transaction_count(me).await.unwrap(), 1);
    assert_eq!(p.get_transaction_count(me).pending().await.unwrap(), 1);

    let n = receipt.block_number.unwrap();
    let block = p.get_block_by_number(n.into()).full().await.unwrap().unwrap();
    assert_eq!(block.header.hash, receipt.block_hash.unwrap());
    assert_eq!(block.transactions.len(), 1);
    let by_hash = p.get_block_by_hash(block.header.hash).await.unwrap().unwrap();
    assert_eq!(by_hash.header.number, n);
    assert_eq!(by_hash.transactions.hashes().next(), Some(receipt.transaction_hash));
    let parent = p.get_block_by_number((n - 1).into()).await.unwrap().unwrap();
    assert_eq!(block.header.parent_hash, parent.header.hash);
    let tx = p.get_transaction_by_hash(receipt.transaction_hash).await.unwrap().unwrap();
    assert_eq!(tx.block_number, Some(n));
    assert_eq!(tx.inner.signer(), me);
    let receipts = p.get_block_receipts(n.into()).await.unwrap().unwrap();
    assert_eq!(receipts[0].transaction_hash, receipt.transaction_hash);
    let count = raw_call(&node.l2_url, json!({"jsonrpc":"2.0","id":1,"method":"eth_getBlockTransactionCountByHash","params":[block.header.hash]})).await;
    assert_eq!(count["result"], "0x1");
    let details = raw_call(&node.l2_url, json!({"jsonrpc":"2.0","id":1,"method":"zks_getTransactionDetails","params":[receipt.transaction_hash]})).await;
    assert_eq!(details["result"]["status"], "included", "{details}");
    assert_eq!(
        details["result"]["initiatorAddress"].as_str().unwrap().to_lowercase(),
        format!("{me:?}").to_lowercase()
    );
    // Unknown things are null, not errors.
    assert!(p.get_transaction_receipt(B256::repeat_byte(7)).await.unwrap().is_none());
    assert!(p.get_block_by_number(BlockNumberOrTag::Number(1_000_000)).await.unwrap().is_none());
    // Historical state: the balance before the transfer is still readable at the parent block.
    assert_eq!(p.get_balance(BOB).block_id((n - 1).into()).await.unwrap(), before);
    let fees = p.get_fee_history(4, BlockNumberOrTag::Latest, &[50.0]).await.unwrap();
    assert_eq!(fees.base_fee_per_gas.len(), fees.gas_used_ratio.len() + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn erc20_deploy_call_logs_reverts_and_estimates() {
    let node = DevNode::start(&tmp_dir("rpc-erc20"), &[]);
    let p = node.l2(0);
    let me = signer(0).address();
    let (_, code) = compile("Token");
    let supply = U256::from(1_000_000u64);
    let mut init = code.to_vec();
    init.extend_from_slice(&supply.to_be_bytes::<32>());
    let deploy = TransactionRequest::default().with_deploy_code(Bytes::from(init));
    let receipt = p.send_transaction(deploy).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    let token_addr = receipt.contract_address.unwrap();
    assert!(!p.get_code_at(token_addr).await.unwrap().is_empty());
    let token = Token::new(token_addr, p.clone());
    assert_eq!(token.balanceOf(me).call().await.unwrap(), supply);

    let r = token.transfer(BOB, U256::from(10)).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    let log = &r.inner.logs()[0];
    let ev = Token::Transfer::decode_log_data(log.data()).unwrap();
    assert_eq!((ev.from, ev.to, ev.value), (me, BOB, U256::from(10)));
    assert_eq!(token.balanceOf(BOB).call().await.unwrap(), U256::from(10));
    // Storage is readable slot by slot: slot 0 is totalSupply.
    assert_eq!(p.get_storage_at(token_addr, U256::ZERO).await.unwrap(), supply);

    // eth_getLogs by address, topic and range.
    let filter = Filter::new()
        .address(token_addr)
        .event_signature(Token::Transfer::SIGNATURE_HASH)
        .from_block(0);
    let logs = p.get_logs(&filter).await.unwrap();
    assert_eq!(logs.len(), 2, "mint and transfer");
    assert_eq!(logs[1].transaction_hash, Some(r.transaction_hash));
    let to_bob = Filter::new().address(token_addr).topic2(BOB.into_word()).from_block(0);
    assert_eq!(p.get_logs(&to_bob).await.unwrap().len(), 1);
    let none = Filter::new().address(BOB).from_block(0);
    assert!(p.get_logs(&none).await.unwrap().is_empty());
    let inverted = raw_call(&node.l2_url, json!({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x3","toBlock":"0x1"}]})).await;
    assert_eq!(inverted["error"]["code"], -32602, "{inverted}");

    // Revert data as geth returns it: code 3, reason in the message, data = revert bytes.
    let call = Token::transferFromCall { from: BOB, to: me, value: U256::from(5) };
    let req = json!({"from": me, "to": token_addr, "data": Bytes::from(call.abi_encode())});
    let resp = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[req, "latest"]}),
    )
    .await;
    assert_eq!(resp["error"]["code"], 3, "{resp}");
    assert_eq!(resp["error"]["message"], "execution reverted");
    let data: Bytes = serde_json::from_value(resp["error"]["data"].clone()).unwrap();
    let err = Token::Insufficient::abi_decode(&data).unwrap();
    assert_eq!((err.have, err.want), (U256::ZERO, U256::from(5)));
    let call = Token::transferCall { to: me, value: U256::from(1) };
    let req = json!({"from": signer(1).address(), "to": token_addr, "data": Bytes::from(call.abi_encode()), "value": "0x0"});
    let resp = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_estimateGas","params":[req]}),
    )
    .await;
    assert_eq!(resp["error"]["code"], 3, "estimating a reverting call reports the revert: {resp}");
    let resp_call = raw_call(&node.l2_url, json!({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"from": signer(1).address(), "to": token_addr, "data": Bytes::from(call.abi_encode())}]})).await;
    assert_eq!(resp_call["error"]["message"], "execution reverted: balance too low", "{resp_call}");

    // The estimate is enough for the transaction to succeed, and not wildly more.
    let work = token.work(U256::from(300));
    let estimate = work.estimate_gas().await.unwrap();
    let r = work.gas(estimate).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status(), "estimate {estimate} was not enough");
    assert!(estimate < r.gas_used * 11 / 10 + 10_000, "estimate {estimate} vs used {}", r.gas_used);
    let r = token
        .work(U256::from(300))
        .gas(r.gas_used / 2)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(!r.status(), "half the gas must fail (the estimate is meaningful)");

    // BLOCKHASH of the previous block is the hash clients see.
    let head = p.get_block_number().await.unwrap();
    let prev = p.get_block_by_number((head - 1).into()).await.unwrap().unwrap();
    assert_eq!(token.blockHashOf(U256::from(head - 1)).call().await.unwrap(), prev.header.hash);

    // State overrides in eth_call.
    let mut overrides = serde_json::Map::new();
    overrides.insert(format!("{token_addr:?}"), json!({"stateDiff": {format!("{:?}", B256::ZERO): format!("{:?}", B256::from(U256::from(7)))}}));
    let call = json!({"to": token_addr, "data": "0x18160ddd"}); // totalSupply()
    let resp = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[call, "latest", overrides]}),
    )
    .await;
    assert_eq!(resp["result"], format!("{:?}", B256::from(U256::from(7))), "{resp}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admission_rule_is_refused_with_geths_error() {
    let node = DevNode::start(&tmp_dir("rpc-rules"), &[]);
    let url = node.l2_url.clone();
    let mut trailing = sign(eip1559(0)).to_vec();
    trailing.push(0);
    let mut blob = sign(eip1559(0)).to_vec();
    blob[0] = 3;
    let mut setcode = sign(eip1559(0)).to_vec();
    setcode[0] = 4;
    let mut pre155 = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 2 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(BOB),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let unprotected = sign(pre155.clone());
    pre155.chain_id = Some(1);
    let wrong_chain = sign(pre155);
    let tx = eip1559(0);
    let sig = signer(2).sign_hash_sync(&tx.signature_hash()).unwrap();
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let high_s: Bytes =
        TxEnvelope::from(tx.into_signed(Signature::new(sig.r(), n - sig.s(), !sig.v())))
            .encoded_2718()
            .into();
    let tip_above = sign(TxEip1559 { max_priority_fee_per_gas: 3 * GWEI, ..eip1559(0) });
    let underpriced = sign(TxEip1559 { max_fee_per_gas: 1, ..eip1559(0) });
    let over_block = sign(TxEip1559 { gas_limit: 100_000_001, ..eip1559(0) });
    let intrinsic = sign(TxEip1559 { gas_limit: 20_999, ..eip1559(0) });
    let initcode = sign(TxEip1559 {
        to: TxKind::Create,
        gas_limit: 10_000_000,
        input: vec![0u8; 49_153].into(),
        ..eip1559(0)
    });
    let fee_cap =
        sign(TxEip1559 { gas_limit: 10_000_000, max_fee_per_gas: 200 * GWEI, ..eip1559(0) });
    let too_far = sign(eip1559(65));
    let poor = sign(TxEip1559 { value: U256::from(10u64).pow(U256::from(23u64)), ..eip1559(0) });
    let cases: Vec<(&str, Bytes, &str)> = vec![
        ("oversized", vec![0x02; 128 * 1024 + 1].into(), "oversized data"),
        ("trailing bytes", trailing.into(), "rlp: "),
        ("empty", Bytes::new(), "rlp: "),
        ("blob (4844)", blob.into(), "transaction type not supported"),
        ("set-code (7702)", setcode.into(), "transaction type not supported"),
        (
            "pre-EIP-155",
            unprotected,
            "only replay-protected (EIP-155) transactions allowed over RPC",
        ),
        ("wrong chain", wrong_chain, "invalid chain id for signer: have 1 want 270"),
        ("high s", high_s, "invalid transaction v, r, s values"),
        ("tip above cap", tip_above, "max priority fee per gas higher than max fee per gas"),
        ("underpriced", underpriced, "transaction underpriced"),
        ("above block gas", over_block, "exceeds block gas limit"),
        ("intrinsic", intrinsic, "intrinsic gas too low"),
        ("initcode", initcode, "max initcode size exceeded"),
        ("fee cap", fee_cap, "exceeds the configured cap"),
        ("nonce too high", too_far, "nonce too high"),
        ("insufficient funds", poor, "insufficient funds for gas * price + value"),
    ];
    for (what, raw, want) in cases {
        let resp = send_raw(&url, &raw).await;
        assert_eq!(resp["error"]["code"], -32000, "{what}: {resp}");
        let msg = error_message(&resp);
        assert!(msg.contains(want), "{what}: `{msg}` lacks `{want}`");
    }
    // Nonce too low, already known and replacement rules, on a real account.
    let first = sign(eip1559(0));
    assert!(send_raw(&url, &first).await["result"].is_string());
    assert_eq!(error_message(&send_raw(&url, &first).await), "already known");
    let same_price = sign(TxEip1559 { value: U256::from(2), ..eip1559(0) });
    let resp = send_raw(&url, &same_price).await;
    if resp["error"].is_object() {
        // Still pooled: a replacement needs the 10% bump.
        assert_eq!(error_message(&resp), "replacement transaction underpriced");
    } else {
        // Already sealed: the nonce is used.
        panic!("unexpected acceptance of a same-price replacement: {resp}");
    }
    let p = node.l2(0);
    let hash = keccak256(&first);
    for _ in 0..200 {
        if p.get_transaction_receipt(hash).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let low = sign(TxEip1559 { value: U256::from(3), ..eip1559(0) });
    assert!(error_message(&send_raw(&url, &low).await).starts_with("nonce too low"));
    // Malformed parameters are -32602, unknown methods -32601.
    let resp = raw_call(
        &url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0xzz"]}),
    )
    .await;
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    let resp = raw_call(
        &url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x1234"]}),
    )
    .await;
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    let resp =
        raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":"eth_nope","params":[]})).await;
    assert_eq!(resp["error"]["code"], -32601, "{resp}");
    let resp = raw_call(
        &url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}),
    )
    .await;
    assert!(resp["error"].is_object(), "subscriptions need a WebSocket: {resp}");
    let resp = raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x2", "latest", [90.0, 10.0]]})).await;
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    let resp = raw_call(
        &url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[BOB, "0x99999"]}),
    )
    .await;
    assert_eq!(resp["error"]["message"], "header not found", "{resp}");
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_are_enforced() {
    let node = DevNode::start(
        &tmp_dir("rpc-limits"),
        &[
            "rpc.max_batch_requests=3",
            "rpc.max_request_body_bytes=200000",
            "rpc.max_logs_block_range=2",
        ],
    );
    let url = &node.l2_url;
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let ok = raw_call(url, json!([one, one, one])).await;
    assert_eq!(ok.as_array().unwrap().len(), 3);
    let too_many = raw_call(url, json!([one, one, one, one])).await;
    assert!(
        too_many.to_string().contains("exceeded") || too_many["error"].is_object(),
        "{too_many}"
    );
    let client = alloy::transports::http::reqwest::Client::new();
    let big = json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[Bytes::from(vec![1u8; 150_000])]});
    let resp = client.post(url).json(&big).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 413, "request body over the limit");
    let resp = raw_call(url, json!({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"0x5"}]})).await;
    assert_eq!(resp["error"]["code"], -32005, "{resp}");
    assert!(error_message(&resp).contains("max block range 2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_subscriptions_deliver_heads_and_logs() {
    use jsonrpsee::core::client::SubscriptionClientT;
    use jsonrpsee::rpc_params;
    let node = DevNode::start(&tmp_dir("rpc-ws"), &[]);
    let ws = jsonrpsee::ws_client::WsClientBuilder::default().build(node.l2_ws()).await.unwrap();
    let mut heads = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe")
        .await
        .unwrap();
    let (_, code) = compile("Token");
    let mut init = code.to_vec();
    init.extend_from_slice(&U256::from(5).to_be_bytes::<32>());
    let p = node.l2(0);
    let receipt = p
        .send_transaction(TransactionRequest::default().with_deploy_code(Bytes::from(init)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let token = receipt.contract_address.unwrap();
    let head = tokio::time::timeout(std::time::Duration::from_secs(10), heads.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        head["hash"].as_str().unwrap().parse::<B256>().unwrap(),
        receipt.block_hash.unwrap()
    );
    let mut logs = ws
        .subscribe::<Value, _>(
            "eth_subscribe",
            rpc_params!["logs", json!({"address": token})],
            "eth_unsubscribe",
        )
        .await
        .unwrap();
    let t = Token::new(token, p.clone());
    let r = t.transfer(BOB, U256::from(1)).send().await.unwrap().get_receipt().await.unwrap();
    let log = tokio::time::timeout(std::time::Duration::from_secs(10), logs.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        log["transactionHash"].as_str().unwrap().parse::<B256>().unwrap(),
        r.transaction_hash
    );
    assert_eq!(
        log["topics"][0].as_str().unwrap().parse::<B256>().unwrap(),
        Token::Transfer::SIGNATURE_HASH
    );
    let bad = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["pendingNope"], "eth_unsubscribe")
        .await;
    assert!(bad.is_err(), "unknown subscription kinds are refused");
}
