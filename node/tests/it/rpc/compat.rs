//! What wallets, dapps and zksync-ethers call at start or in passing (geth's and Era's answers),
//! and CORS for browser dapps.

use super::{call, error_message, result, BOB};
use crate::support::{tmp_dir, DevNode};
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, keccak256, Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use serde_json::{json, Value};

/// What wallets, ethers, viem and zksync-ethers call at start or in passing: each answers with
/// geth's or Era's shape, and malformed parameters get -32602.
#[tokio::test(flavor = "multi_thread")]
async fn wallet_and_zksync_start_up_methods_answer() {
    let node = DevNode::start(&tmp_dir("rpc-compat"), &[]);
    let url = node.l2_url.clone();
    let call = |method: &'static str, params: Value| call(&url, method, params);
    let receipt = node
        .l2(0)
        .send_transaction(TransactionRequest::default().with_to(BOB).with_value(U256::from(7)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let (block, block_hash) = (receipt.block_number.unwrap(), receipt.block_hash.unwrap());
    let number = format!("{block:#x}");

    assert_eq!(result(call("net_listening", json!([])).await), true);
    assert_eq!(
        result(call("web3_sha3", json!(["0x68656c6c6f20776f726c64"])).await),
        json!(keccak256(b"hello world"))
    );
    let coinbase: Address =
        result(call("eth_coinbase", json!([])).await).as_str().unwrap().parse().unwrap();
    assert_eq!(coinbase, address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"), "the fee account");
    assert_eq!(result(call("eth_blobBaseFee", json!([])).await), "0x0");

    // Transactions by block and index.
    let by_number =
        result(call("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x0"])).await);
    assert_eq!(by_number["hash"], json!(receipt.transaction_hash), "{by_number}");
    let by_hash =
        result(call("eth_getTransactionByBlockHashAndIndex", json!([block_hash, "0x0"])).await);
    assert_eq!(by_hash, by_number);
    for params in [json!([number, "0x5"]), json!(["0xffffff", "0x0"])] {
        assert!(result(call("eth_getTransactionByBlockNumberAndIndex", params).await).is_null());
    }
    assert!(result(
        call("eth_getTransactionByBlockHashAndIndex", json!([B256::ZERO, "0x0"])).await
    )
    .is_null());

    // No uncles, ever; unknown blocks are null.
    assert_eq!(result(call("eth_getUncleCountByBlockNumber", json!([number])).await), "0x0");
    assert_eq!(result(call("eth_getUncleCountByBlockHash", json!([block_hash])).await), "0x0");
    assert!(result(call("eth_getUncleCountByBlockNumber", json!(["0xffffff"])).await).is_null());
    assert!(result(call("eth_getUncleCountByBlockHash", json!([B256::ZERO])).await).is_null());
    assert!(
        result(call("eth_getUncleByBlockNumberAndIndex", json!([number, "0x0"])).await).is_null()
    );
    assert!(
        result(call("eth_getUncleByBlockHashAndIndex", json!([block_hash, "0x0"])).await).is_null()
    );

    // zksync-ethers' start-up calls.
    assert_eq!(result(call("zks_L1ChainId", json!([])).await), "0x9");
    let main: Address =
        result(call("zks_getMainContract", json!([])).await).as_str().unwrap().parse().unwrap();
    let banner_diamond: Address = node
        .stdout
        .lines()
        .find(|l| l.contains("Diamond proxy"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(main, banner_diamond);
    assert!(result(call("zks_getBridgeContracts", json!([])).await).is_object());
    assert_eq!(
        result(call("zks_getBaseTokenL1Address", json!([])).await),
        "0x0000000000000000000000000000000000000001"
    );
    let details = result(call("zks_getBlockDetails", json!([number])).await);
    assert_eq!(details["number"], block, "{details}");
    assert_eq!(details["l2TxCount"], 1, "{details}");
    assert_eq!(details["rootHash"], json!(block_hash), "{details}");
    assert!(details["status"] == "sealed" || details["status"] == "verified", "{details}");
    assert!(result(call("zks_getBlockDetails", json!(["0xffffff"])).await).is_null());

    let proof = call("eth_getProof", json!([BOB, [], "latest"])).await;
    assert_eq!(proof["error"]["code"], -32601, "{proof}");
    assert!(error_message(&proof).contains("Poseidon sparse Merkle tree"), "{proof}");

    // Malformed parameters.
    for (method, params) in [
        ("web3_sha3", json!(["zz"])),
        ("web3_sha3", json!([])),
        ("eth_getTransactionByBlockNumberAndIndex", json!([number])),
        ("eth_getTransactionByBlockHashAndIndex", json!(["0x12", "0x0"])),
        ("eth_getUncleCountByBlockHash", json!(["nope"])),
        ("zks_getBlockDetails", json!(["x"])),
    ] {
        let r = call(method, params.clone()).await;
        assert_eq!(r["error"]["code"], -32602, "{method} {params}: {r}");
    }
}

/// Browser dapps: CORS preflight and responses carry the configured origins (any in dev).
#[tokio::test(flavor = "multi_thread")]
async fn cors_lets_configured_origins_in() {
    let client = alloy::transports::http::reqwest::Client::new();
    let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]});
    let allowed = |resp: &alloy::transports::http::reqwest::Response| {
        resp.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string())
    };
    // Dev default: any origin.
    let node = DevNode::start(&tmp_dir("rpc-cors-any"), &[]);
    let pre = client
        .request(alloy::transports::http::reqwest::Method::OPTIONS, &node.l2_url)
        .header("origin", "https://dapp.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "{:?}", pre.status());
    assert_eq!(allowed(&pre).as_deref(), Some("*"));
    let post = client
        .post(&node.l2_url)
        .header("origin", "https://dapp.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed(&post).as_deref(), Some("*"));
    assert_eq!(post.json::<Value>().await.unwrap()["result"], "0x10e");
    drop(node);

    // A list: only those origins.
    let node =
        DevNode::start(&tmp_dir("rpc-cors-list"), &["rpc.cors_origins=[\"https://good.example\"]"]);
    for (origin, want) in
        [("https://good.example", Some("https://good.example")), ("https://evil.example", None)]
    {
        let resp =
            client.post(&node.l2_url).header("origin", origin).json(&body).send().await.unwrap();
        assert_eq!(allowed(&resp).as_deref(), want, "{origin}");
    }
}
