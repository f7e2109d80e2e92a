//! Raw transactions: geth's error for every admission rule and malformed parameter, and future
//! nonces that never lock their sender out of the pool.

use super::{eip1559, error_message, send_raw, sign, BOB, GWEI};
use crate::support::{raw_call, tmp_dir, DevNode};
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, keccak256, Bytes, Signature, TxKind, U256};
use alloy::providers::Provider;
use alloy::signers::SignerSync;
use rollup_test_utils::signer;
use serde_json::json;

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
    // Already known and the replacement rule, on a queued transaction (nonce 1 waits for nonce
    // 0, so no block can take it in between); nonce too low once nonce 0 is included.
    let queued = sign(eip1559(1));
    assert!(send_raw(&url, &queued).await["result"].is_string());
    assert_eq!(error_message(&send_raw(&url, &queued).await), "already known");
    let same_price = sign(TxEip1559 { value: U256::from(2), ..eip1559(1) });
    let resp = send_raw(&url, &same_price).await;
    assert_eq!(error_message(&resp), "replacement transaction underpriced", "{resp}");
    let first = sign(eip1559(0));
    assert!(send_raw(&url, &first).await["result"].is_string());
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
    assert_eq!(resp["error"]["code"], -32601, "subscriptions need a WebSocket: {resp}");
    assert_eq!(resp["error"]["message"], "notifications not supported", "as geth: {resp}");
    // Inside a batch too, and the batch's other calls are answered.
    let resp = raw_call(
        &url,
        json!([
            {"jsonrpc":"2.0","id":7,"method":"eth_unsubscribe","params":["0x1"]},
            {"jsonrpc":"2.0","id":8,"method":"eth_chainId","params":[]}
        ]),
    )
    .await;
    assert_eq!(resp[0]["id"], 7, "{resp}");
    assert_eq!(resp[0]["error"]["message"], "notifications not supported", "{resp}");
    assert_eq!(resp[1]["result"], "0x10e", "{resp}");
    let resp = raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x2", "latest", [90.0, 10.0]]})).await;
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    // Any id that is not an object or array comes back as sent, as geth echoes it.
    for id in [json!(-1), json!(1.5), json!(true), json!(1e3), json!("x"), json!(7)] {
        let resp =
            raw_call(&url, json!({"jsonrpc":"2.0","id":id,"method":"eth_chainId","params":[]}))
                .await;
        assert_eq!(resp["id"], id, "{resp}");
        assert_eq!(resp["result"], "0x10e", "{resp}");
    }
    let resp = raw_call(
        &url,
        json!([
            {"jsonrpc":"2.0","id":false,"method":"eth_chainId","params":[]},
            {"jsonrpc":"2.0","id":2,"method":"eth_nope","params":[]}
        ]),
    )
    .await;
    assert_eq!((resp[0]["id"].clone(), resp[0]["result"].clone()), (json!(false), json!("0x10e")));
    assert_eq!(
        (resp[1]["id"].clone(), resp[1]["error"]["code"].clone()),
        (json!(2), json!(-32601))
    );
    // Block parameters as strictly as geth's hexutil, in a batch too.
    for (params, want) in [
        (
            json!(["0x0000000000000000000000000000000000000b0b", "LATEST"]),
            "invalid argument 1: hex string without 0x prefix",
        ),
        (
            json!(["0x0000000000000000000000000000000000000b0b", "0x01"]),
            "invalid argument 1: hex number with leading zero digits",
        ),
        (
            json!(["0x0000000000000000000000000000000000000b0b", "0x+1"]),
            "invalid argument 1: invalid hex string",
        ),
        (
            json!(["0x0000000000000000000000000000000000000b0b", "1"]),
            "invalid argument 1: hex string without 0x prefix",
        ),
        (
            json!(["0x0000000000000000000000000000000000000b0b", {"blockNumber": "0x00"}]),
            "invalid argument 1: hex number with leading zero digits",
        ),
    ] {
        let resp = raw_call(
            &url,
            json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":params.clone()}),
        )
        .await;
        assert_eq!(resp["error"]["code"], -32602, "{params}: {resp}");
        assert_eq!(resp["error"]["message"], want, "{params}: {resp}");
    }
    let resp = raw_call(
        &url,
        json!([
            {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"Latest"}]},
            {"jsonrpc":"2.0","id":2,"method":"eth_getBlockByNumber","params":["0x0", false]},
            {"jsonrpc":"2.0","id":3,"method":"eth_getBalance","params":["0x0000000000000000000000000000000000000b0b", "finalized"]}
        ]),
    )
    .await;
    assert_eq!(
        resp[0]["error"]["message"], "invalid argument 0: hex string without 0x prefix",
        "{resp}"
    );
    assert!(resp[1]["result"]["hash"].is_string(), "{resp}");
    assert!(resp[2]["result"].is_string(), "{resp}");
    // Quantities too: call request fields and transaction indexes.
    for (method, params, want) in [
        (
            "eth_call",
            json!([{"to": BOB, "value": "0x01"}]),
            "invalid argument 0: value: hex number with leading zero digits",
        ),
        (
            "eth_estimateGas",
            json!([{"to": BOB, "gas": 21000}]),
            "invalid argument 0: gas: non-string quantity",
        ),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            json!(["0x1", "0x00"]),
            "invalid argument 1: hex number with leading zero digits",
        ),
    ] {
        let resp =
            raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":method,"params":params})).await;
        assert_eq!(resp["error"]["code"], -32602, "{method}: {resp}");
        assert_eq!(resp["error"]["message"], want, "{method}: {resp}");
    }
    // eth_call as geth: Panic(uint256) decoded, halts named without debug strings, and
    // contradictory requests refused.
    let panicker = address!("0x00000000000000000000000000000000000a11ce");
    let panic_code = "0x634e487b7160e01b600052601160045260246000fd";
    let creator = address!("0x000000000000000000000000000000000000c0de");
    let cases = [
        (
            json!([{"to": panicker}, "latest", {panicker.to_string(): {"code": panic_code}}]),
            3,
            "execution reverted: arithmetic underflow or overflow".to_string(),
        ),
        (
            json!([{"from": creator, "input": "0x00"}, "latest",
                   {creator.create(0).to_string(): {"code": "0x00"}}]),
            -32000,
            "contract address collision".to_string(),
        ),
        (
            json!([{"to": panicker, "input": "0x01", "data": "0x02"}]),
            -32000,
            "both \"data\" and \"input\" are set and not equal. Please use \"input\" to pass transaction call data".to_string(),
        ),
        (
            json!([{"to": panicker, "gasPrice": "0x1", "maxFeePerGas": "0x2"}]),
            -32000,
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified".to_string(),
        ),
        (
            json!([{"to": panicker}, "latest",
                   {panicker.to_string(): {"state": {}, "stateDiff": {}}}]),
            -32000,
            format!("account {panicker} has both 'state' and 'stateDiff'"),
        ),
        (
            json!([{"to": panicker}, "latest", {}, {"number": "0x99"}]),
            -32602,
            "block overrides are not supported".to_string(),
        ),
    ];
    for (params, code, message) in cases {
        let resp = raw_call(
            &url,
            json!({"jsonrpc":"2.0","id":1,"method":"eth_call","params":params.clone()}),
        )
        .await;
        assert_eq!(resp["error"]["code"], code, "{params}: {resp}");
        assert_eq!(resp["error"]["message"], message.as_str(), "{params}: {resp}");
    }
    // geth's fee-history rules: at most 100 percentiles, strictly ascending, newest <= head.
    let many: Vec<f64> = (0..101).map(|i| f64::from(i) * 0.5).collect();
    for (params, want) in [
        (json!(["0x2", "latest", many]), "over the query limit 100"),
        (json!(["0x2", "latest", [10.0, 10.0]]), "invalid reward percentile: #0:10 >= #1:10"),
        (json!(["0x2", "latest", [101.0]]), "invalid reward percentile: 101"),
        (json!(["0x2", "0xffffff", [10.0]]), "request beyond head block"),
    ] {
        let resp = raw_call(
            &url,
            json!({"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":params}),
        )
        .await;
        assert_eq!(resp["error"]["code"], -32602, "{resp}");
        assert!(error_message(&resp).contains(want), "{want}: {resp}");
    }
    let ok = raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x1", "latest", (0..100).map(f64::from).collect::<Vec<_>>()]})).await;
    assert_eq!(ok["result"]["reward"][0].as_array().map(Vec::len), Some(100), "{ok}");
    // A range of the whole u64 space must not wrap the range check (and scan every block).
    let resp = raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"0xffffffffffffffff"}]})).await;
    assert_eq!(resp["error"]["code"], -32005, "{resp}");
    assert!(error_message(&resp).contains("max block range"), "{resp}");
    let resp = raw_call(
        &url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[BOB, "0x99999"]}),
    )
    .await;
    assert_eq!(resp["error"]["message"], "header not found", "{resp}");
}

/// 64 future-nonce transactions do not lock their sender out: the next executable nonce is
/// still admitted at a normal fee, and the queue has its own limit with its own message.
#[tokio::test(flavor = "multi_thread")]
async fn future_nonces_never_lock_out_the_executable_transaction() {
    let node = DevNode::start(&tmp_dir("rpc-queued"), &[]);
    for nonce in 1..=64 {
        let r = send_raw(&node.l2_url, &sign(eip1559(nonce))).await;
        assert!(r.get("error").is_none(), "future nonce {nonce}: {r}");
    }
    // A pending EIP-1559 transaction reports its fee cap as `gasPrice`, as geth does.
    let queued = keccak256(sign(eip1559(1)));
    let pending = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionByHash","params":[queued]}),
    )
    .await;
    assert!(pending["result"]["blockNumber"].is_null(), "{pending}");
    assert_eq!(pending["result"]["gasPrice"], pending["result"]["maxFeePerGas"], "{pending}");
    assert!(pending["result"]["gasPrice"].is_string(), "{pending}");
    // The sender's 64 queued slots are full, but the executable nonce goes in at a normal fee,
    // and with it the whole run becomes executable.
    let r = send_raw(&node.l2_url, &sign(eip1559(0))).await;
    assert!(r.get("error").is_none(), "the executable transaction is admitted: {r}");
    let p = node.l2(0);
    let sender = signer(2).address();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while p.get_transaction_count(sender).await.unwrap() < 65 {
        assert!(std::time::Instant::now() < deadline, "the 65 transactions were never included");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
