//! The L2's JSON-RPC through real clients (alloy's provider, raw JSON-RPC, a WebSocket client)
//! against a real `rollupd dev` process.

use crate::support::{compile, raw_call, signer, tmp_dir, DevNode};
use alloy::consensus::{SignableTransaction, Signed, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, keccak256, Address, Bytes, Signature, TxKind, B256, U256, U64};
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

/// A raw JSON-RPC call to `url` (the whole response, error or not).
async fn call(url: &str, method: &str, params: Value) -> Value {
    raw_call(url, json!({"jsonrpc":"2.0","id":1,"method":method,"params":params})).await
}

/// The result of a response that must not be an error.
fn result(r: Value) -> Value {
    assert!(r.get("error").is_none(), "{r}");
    r["result"].clone()
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
    // `size` is the whole block's RLP, as geth reports it (it was the header's alone).
    let whole = alloy::consensus::Block::<TxEnvelope> {
        header: block.header.inner.clone(),
        body: alloy::consensus::BlockBody {
            transactions: block
                .transactions
                .txns()
                .map(|t| TxEnvelope::from(t.inner.inner().clone()))
                .collect(),
            ommers: vec![],
            withdrawals: None,
        },
    };
    let size = alloy::rlp::Encodable::length(&whole);
    assert!(size > alloy::rlp::Encodable::length(&whole.header) + 100, "a transfer is in it");
    assert_eq!(block.header.size, Some(U256::from(size)), "block size");
    assert_eq!(by_hash.header.size, Some(U256::from(size)), "block size without transactions");
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
    // A bare block hash where a block is taken (geth and ethers v6 use it).
    let at_hash = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[BOB, parent.header.hash]}),
    )
    .await;
    assert_eq!(at_hash["result"], json!(before), "{at_hash}");
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

    // geth's caps: with a fee cap, what the sender's balance pays for bounds the search (not the
    // 50M call cap), and a plain transfer estimates exactly 21,000.
    let poor = Address::repeat_byte(0x77);
    let fund = TransactionRequest::default().with_to(poor).with_value(U256::from(10u64.pow(15)));
    p.send_transaction(fund).await.unwrap().get_receipt().await.unwrap(); // 0.001 ETH
    let estimate = |req: Value| {
        let url = node.l2_url.clone();
        async move {
            raw_call(
                &url,
                json!({"jsonrpc":"2.0","id":1,"method":"eth_estimateGas","params":[req]}),
            )
            .await
        }
    };
    let plain = json!({"from": poor, "to": BOB, "value": "0x1", "maxFeePerGas": "0x3b9aca00"});
    assert_eq!(estimate(plain).await["result"], "0x5208", "a plain transfer is 21000");
    let legacy = json!({"from": poor, "to": BOB, "value": "0x1", "gasPrice": "0x3b9aca00"});
    assert_eq!(estimate(legacy).await["result"], "0x5208");
    let too_much =
        json!({"from": poor, "to": BOB, "value": "0xde0b6b3a7640000", "maxFeePerGas": "0x1"});
    let resp = estimate(too_much).await;
    assert_eq!(error_message(&resp), "insufficient funds for transfer", "{resp}");
    // 0.001 ETH at 20 gwei buys 50,000 gas: not enough for work(3000).
    let burn = Bytes::from(Token::workCall { n: U256::from(3000) }.abi_encode());
    let heavy =
        json!({"from": poor, "to": token_addr, "data": burn, "maxFeePerGas": "0x4a817c800"});
    let resp = estimate(heavy).await;
    assert_eq!(error_message(&resp), "gas required exceeds allowance (50000)", "{resp}");

    // eth_createAccessList: the token's balance slots for a transfer; nothing for a plain one.
    let call = Token::transferCall { to: BOB, value: U256::from(1) };
    let req = json!({"from": me, "to": token_addr, "data": Bytes::from(call.abi_encode())});
    let resp = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_createAccessList","params":[req]}),
    )
    .await;
    let list = resp["result"]["accessList"].as_array().unwrap_or_else(|| panic!("{resp}"));
    assert_eq!(list.len(), 1, "{resp}");
    assert_eq!(list[0]["address"].as_str().unwrap().parse::<Address>().unwrap(), token_addr);
    assert_eq!(list[0]["storageKeys"].as_array().unwrap().len(), 2, "two balances: {resp}");
    let used = u64::from_str_radix(
        resp["result"]["gasUsed"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert!(used > 21_000, "{resp}");
    let plain = json!({"from": me, "to": BOB, "value": "0x1"});
    let resp = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_createAccessList","params":[plain]}),
    )
    .await;
    assert_eq!(resp["result"], json!({"accessList": [], "gasUsed": "0x5208"}), "{resp}");
    let resp = raw_call(
        &node.l2_url,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_createAccessList","params":[]}),
    )
    .await;
    assert_eq!(resp["error"]["code"], -32602, "{resp}");

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

    // Ids are geth's hex strings (viem ignores notifications with a numeric id), distinct per
    // subscription, and `eth_unsubscribe` takes them.
    let id = |s: &jsonrpsee::core::client::Subscription<Value>| match s.kind() {
        jsonrpsee::core::client::SubscriptionKind::Subscription(
            jsonrpsee::types::SubscriptionId::Str(id),
        ) => id.to_string(),
        other => panic!("subscription id is not a string: {other:?}"),
    };
    let (heads_id, logs_id) = (id(&heads), id(&logs));
    for s in [&heads_id, &logs_id] {
        assert!(
            s.starts_with("0x")
                && s.len() > 2
                && s.len() <= 34
                && u128::from_str_radix(&s[2..], 16).is_ok(),
            "not a geth-style id: {s}"
        );
    }
    assert_ne!(heads_id, logs_id);
    use jsonrpsee::core::client::ClientT;
    let gone: bool = ws.request("eth_unsubscribe", rpc_params![heads_id.clone()]).await.unwrap();
    assert!(gone, "eth_unsubscribe takes the hex id");
    let again: Result<bool, _> = ws.request("eth_unsubscribe", rpc_params![heads_id]).await;
    assert!(!matches!(again, Ok(true)), "a subscription ends once: {again:?}");
}

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

/// A call that outlives `rpc.call_timeout_ms` is stopped, not only answered: once every client
/// was told it timed out, the node's CPU goes quiet and other requests are served at once
/// (geth aborts the EVM at the deadline too).
#[tokio::test(flavor = "multi_thread")]
async fn timed_out_calls_stop_executing() {
    let node = DevNode::start(&tmp_dir("rpc-deadline"), &["rpc.call_timeout_ms=200"]);
    // Runtime `JUMPDEST; PUSH1 0; JUMP`: loops until it runs out of gas.
    let init = Bytes::from_static(&[
        0x63, 0x5b, 0x60, 0x00, 0x56, 0x60, 0x00, 0x52, 0x60, 0x04, 0x60, 0x1c, 0xf3,
    ]);
    let p = node.l2(0);
    let looper = deploy(&p, init).await;
    assert_eq!(p.get_code_at(looper).await.unwrap().as_ref(), &[0x5b, 0x60, 0x00, 0x56]);

    let mut calls = Vec::new();
    for i in 0..16 {
        let url = node.l2_url.clone();
        let method = if i % 2 == 0 { "eth_call" } else { "eth_estimateGas" };
        calls.push(tokio::spawn(async move {
            let req = json!({"from": BOB, "to": looper, "gas": "0x2faf080"});
            raw_call(&url, json!({"jsonrpc":"2.0","id":1,"method":method,"params":[req]})).await
        }));
    }
    for c in calls {
        let r = c.await.unwrap();
        let msg = error_message(&r);
        assert!(
            ["timed out", "aborted", "allowance", "out of gas"].iter().any(|m| msg.contains(m)),
            "{r}"
        );
    }
    // Every client has its answer. Now the node must be idle within a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = node.cpu_time();
    let started = std::time::Instant::now();
    assert!(p.get_block_number().await.is_ok());
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "the node answers at once");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let used = node.cpu_time() - before;
    eprintln!("DEADLINE: {used:?} of node CPU in the second after 16 timed-out calls");
    // Calls that keep running use both cores: about 2 s of CPU in that second (measured before
    // the fix). An idle dev node still settles and its eth watcher polls the embedded L1 (a debug
    // build); 410 ms was seen once on a loaded CI run, so the bar sits well between the two.
    assert!(
        used < std::time::Duration::from_millis(800),
        "timed-out calls kept running: {used:?} of CPU in the second after"
    );
}

/// Resident memory of a process, from /proc.
fn rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024
}

/// A WebSocket client that subscribes to every log 50 times and then never reads: the node
/// drops its subscriptions once its buffer stays full, memory stays bounded, and everyone else
/// is served (geth drops subscribers that fall behind).
#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_that_never_reads_is_dropped_and_memory_stays_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = DevNode::start(&tmp_dir("rpc-slow-sub"), &[]);
    let p = node.l2(0);
    let emitter = deploy_emitter(&p).await;

    // The stuck client: a WebSocket handshake, 50 subscriptions, then silence.
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut ws = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let handshake = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    ws.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        ws.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101"), "{head:?}");
    for id in 1..=50 {
        let payload = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_subscribe","params":["logs",{{}}]}}"#
        );
        let mask = [1u8, 2, 3, 4];
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        ws.write_all(&frame).await.unwrap();
    }

    // Blocks full of logs: 30 transactions of 2,000 logs, each log sent to 50 subscriptions.
    let pid = node.pid();
    let base = rss_mb(pid);
    let mut peak = base;
    let data = Bytes::from(U256::from(2000).to_be_bytes::<32>().to_vec());
    for nonce_batch in 0..3 {
        let mut pending = Vec::new();
        for _ in 0..10 {
            let tx = TransactionRequest::default()
                .with_to(emitter)
                .with_input(data.clone())
                .with_gas_limit(3_000_000);
            pending.push(p.send_transaction(tx).await.unwrap());
        }
        for tx in pending {
            assert!(tx.get_receipt().await.unwrap().status(), "batch {nonce_batch}");
        }
        peak = peak.max(rss_mb(pid));
    }
    // Within a few seconds of its buffer filling up, the stuck client loses its subscriptions.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !node.log().contains("subscription dropped") {
        assert!(std::time::Instant::now() < deadline, "the stuck subscriber was never dropped");
        peak = peak.max(rss_mb(pid));
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    eprintln!("SLOW SUBSCRIBER: node RSS {base} MB before, peak {peak} MB");
    assert!(peak < base + 600, "memory grew from {base} MB to {peak} MB");
    let started = std::time::Instant::now();
    p.get_block_number().await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    drop(ws);
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

/// Clients that send headers and then stall their bodies hold no call slot: bodies are read
/// whole before a request takes one, so other clients are served meanwhile; past
/// `rpc.read_timeout_ms` a stalled body gets 408 and its connection is closed. A chunked body
/// over `rpc.max_request_body_bytes` gets 413, as an announced one does.
#[tokio::test(flavor = "multi_thread")]
async fn stalled_and_oversized_request_bodies_are_refused_without_holding_slots() {
    use tokio::io::AsyncWriteExt;
    let node = DevNode::start(
        &tmp_dir("rpc-slow-body"),
        &["rpc.max_connections=8", "rpc.read_timeout_ms=1000", "rpc.max_request_body_bytes=200000"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut stalled = Vec::new();
    for _ in 0..6 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Six stalled bodies and a jsonrpsee call limit of eight: two clients at once are served.
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let client = alloy::transports::http::reqwest::Client::new();
    let (a, b) = tokio::join!(
        client.post(&node.l2_url).json(&one).send(),
        client.post(&node.l2_url).json(&one).send()
    );
    assert!(a.unwrap().status().is_success() && b.unwrap().status().is_success());
    // Past the read timeout each stalled client has its 408, and the connection is closed.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for s in &mut stalled {
        let answer = read_some(s, std::time::Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "a stalled body gets 408: {answer}");
        assert!(answer.contains("request body not received within 1000 ms"), "{answer}");
    }
    // A chunked body that grows past the limit: 413, though no length was announced.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("8000\r\n{}\r\n", " ".repeat(0x8000));
    for _ in 0..8 {
        if s.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let answer = read_some(&mut s, std::time::Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "an oversized chunked body gets 413: {answer}");
    // An announced one too, before any body is sent.
    let resp = client
        .post(&node.l2_url)
        .header("content-type", "application/json")
        .body(" ".repeat(250_000))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.2 plays another host).
async fn connect_from(from: &str, addr: &str) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    sock.connect(addr.parse().unwrap()).await.unwrap()
}

/// What the server sends on `s` within `wait` (empty if nothing, or if it closed).
async fn read_some(s: &mut tokio::net::TcpStream, wait: std::time::Duration) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        _ => String::new(),
    }
}

/// The bytes the server sends on `s` within `wait`.
async fn read_some_bytes(s: &mut tokio::net::TcpStream, wait: std::time::Duration) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 256];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => buf[..n].to_vec(),
        _ => Vec::new(),
    }
}

/// Slow clients from one address cannot lock others out, and trickled headers time out:
/// - one address holds at most `rpc.max_connections_per_ip` sockets (more get 429), so a client
///   from another address is served while it stalls request bodies on all it may hold;
/// - a WebSocket keeps its socket counted after the upgrade;
/// - a keep-alive connection that trickles its next request's headers is closed after
///   `rpc.read_timeout_ms` (it was served forever before).
#[tokio::test(flavor = "multi_thread")]
async fn one_address_cannot_take_every_slot_and_trickled_headers_time_out() {
    use tokio::io::AsyncWriteExt;
    let node = DevNode::start(
        &tmp_dir("rpc-slowloris"),
        &["rpc.max_connections=6", "rpc.max_connections_per_ip=3", "rpc.read_timeout_ms=1500"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let client = alloy::transports::http::reqwest::Client::new();
    let stall = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
    );

    // 127.0.0.2 stalls bodies on six connections: three are held, three refused with 429.
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..6 {
        let mut s = connect_from("127.0.0.2", &addr).await;
        s.write_all(stall.as_bytes()).await.unwrap();
        let answer = read_some(&mut s, std::time::Duration::from_millis(300)).await;
        if answer.starts_with("HTTP/1.1 429") {
            refused += 1;
        } else {
            assert!(answer.is_empty(), "a held connection gets no answer yet: {answer}");
            held.push(s);
        }
    }
    assert_eq!((held.len(), refused), (3, 3), "three held, three refused");
    // Meanwhile another address is served at once.
    let started = std::time::Instant::now();
    let resp = client.post(&node.l2_url).json(&one).send().await.unwrap();
    assert!(resp.status().is_success(), "another client is served: {:?}", resp.status());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    drop(held);

    // A WebSocket holds its socket's count: three upgrades from 127.0.0.2 fill its share.
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut sockets = Vec::new();
    while sockets.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "the stalled sockets were never released");
        let mut ws = connect_from("127.0.0.2", &addr).await;
        ws.write_all(upgrade.as_bytes()).await.unwrap();
        let answer = read_some(&mut ws, std::time::Duration::from_secs(1)).await;
        if answer.starts_with("HTTP/1.1 101") {
            sockets.push(ws);
        } else {
            // The server has not yet seen the stalled sockets close.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut extra = connect_from("127.0.0.2", &addr).await;
    extra.write_all(stall.as_bytes()).await.unwrap();
    let answer = read_some(&mut extra, std::time::Duration::from_secs(1)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "upgraded sockets still count: {answer}");
    // The WebSocket server answers a close frame with a close frame (RFC 6455 5.5.1).
    let ws = &mut sockets[0];
    ws.write_all(&[0x88, 0x80, 0, 0, 0, 0]).await.unwrap(); // FIN + close, masked, empty
                                                            // Frames from the server (unmasked, short): skip pings, find the close.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut frames = Vec::new();
    let closed = loop {
        let mut rest = &frames[..];
        let mut found = false;
        while rest.len() >= 2 && rest.len() >= 2 + usize::from(rest[1] & 0x7f) {
            found |= rest[0] == 0x88;
            rest = &rest[2 + usize::from(rest[1] & 0x7f)..];
        }
        if found || std::time::Instant::now() > deadline {
            break found;
        }
        frames.extend(read_some_bytes(ws, std::time::Duration::from_millis(500)).await);
    };
    assert!(closed, "a close frame back: {frames:?}");
    drop((sockets, extra));

    // A keep-alive connection (from 127.0.0.1) that trickles its second request's headers, a
    // line every 200 ms, is closed by the server within the read timeout.
    let body = one.to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let first = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(first.as_bytes()).await.unwrap();
    let answer = read_some(&mut s, std::time::Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "the first request is served: {answer}");
    s.write_all(b"POST / HTTP/1.1\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let closed_after = loop {
        if started.elapsed() > std::time::Duration::from_secs(6) {
            panic!("a connection trickling its headers was still open after 6 s");
        }
        let line = s.write_all(b"X-Slow: 1\r\n").await;
        let got = read_some(&mut s, std::time::Duration::from_millis(200)).await;
        if line.is_err() || !got.is_empty() || {
            // read_some maps EOF to "": tell EOF from "nothing yet" by peeking.
            let mut b = [0u8; 1];
            matches!(
                tokio::time::timeout(std::time::Duration::from_millis(1), s.peek(&mut b)).await,
                Ok(Ok(0)) | Ok(Err(_))
            )
        } {
            break started.elapsed();
        }
    };
    assert!(
        closed_after >= std::time::Duration::from_millis(1000),
        "closed only once the header time had passed: {closed_after:?}"
    );
    eprintln!("trickled headers: connection closed after {closed_after:?}");
}

/// Old-state reads do not starve the server: 50 clients reading balances at the oldest kept
/// block as fast as they can, while `eth_blockNumber` answers within 1 s every time and a transfer
/// sent meanwhile is included.
#[tokio::test(flavor = "multi_thread")]
async fn history_reads_under_load_leave_the_server_responsive() {
    let node = DevNode::start(&tmp_dir("rpc-history-load"), &[]);
    // Plain accounts (low addresses are precompiles).
    let recipient = |i: u8| {
        let mut a = [0x55u8; 20];
        a[19] = i;
        Address::from(a)
    };
    let p = node.l2(0);
    // Twenty blocks, each changing a few slots.
    let mut first = None;
    for i in 1..=20u64 {
        let tx =
            TransactionRequest::default().with_to(recipient(i as u8)).with_value(U256::from(i));
        let r = p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
        first.get_or_insert(r.block_number.unwrap());
    }
    let old = format!("{:#x}", first.unwrap());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reads = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut readers = Vec::new();
    for c in 0..50u8 {
        let (url, stop, reads, old) =
            (node.l2_url.clone(), stop.clone(), reads.clone(), old.clone());
        readers.push(tokio::spawn(async move {
            let client = alloy::transports::http::reqwest::Client::new();
            let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance",
                              "params":[recipient(c % 20 + 1), old]});
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = client.post(&url).json(&body).send().await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent = p
        .send_transaction(TransactionRequest::default().with_to(BOB).with_value(U256::from(7)))
        .await
        .unwrap();
    let mut slowest = std::time::Duration::ZERO;
    let probe = alloy::transports::http::reqwest::Client::new();
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    for _ in 0..30 {
        let t = std::time::Instant::now();
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            probe.post(&node.l2_url).json(&one).send(),
        )
        .await;
        assert!(
            r.is_ok_and(|r| r.is_ok_and(|r| r.status().is_success())),
            "eth_blockNumber answers"
        );
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let receipt = tokio::time::timeout(std::time::Duration::from_secs(10), sent.get_receipt())
        .await
        .expect("the transfer is included while the readers run")
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.await.unwrap();
    }
    let reads = reads.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "history reads: {reads} in ~3.5 s by 50 clients; slowest eth_blockNumber {slowest:?}"
    );
    assert!(receipt.status());
    assert!(reads > 500, "the readers were busy: {reads}");
    assert!(slowest < std::time::Duration::from_secs(1), "eth_blockNumber took {slowest:?}");
}

/// Reads at past blocks come from the change sets (`slot_history`): each block's balance and
/// nonce are what they were then, and a database written before the change sets existed is
/// indexed at start and answers the same.
#[tokio::test(flavor = "multi_thread")]
async fn historical_reads_are_exact_and_survive_an_upgrade() {
    let dir = tmp_dir("rpc-history");
    let mut node = DevNode::start(&dir, &[]);
    let p = node.l2(0);
    let me = signer(0).address();
    let mut points = Vec::new(); // (block, BOB's balance, my nonce) after each transfer
    for i in 1..=5u64 {
        let tx = TransactionRequest::default().with_to(BOB).with_value(U256::from(i));
        let r = p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
        points.push((r.block_number.unwrap(), U256::from(i * (i + 1) / 2), i));
    }
    let first = points[0].0;
    let check = |url: String, points: Vec<(u64, U256, u64)>| async move {
        let p = crate::support::provider(&url, 0);
        assert_eq!(p.get_balance(BOB).number(first - 1).await.unwrap(), U256::ZERO, "before");
        for (block, balance, nonce) in points {
            assert_eq!(p.get_balance(BOB).number(block).await.unwrap(), balance, "block {block}");
            assert_eq!(p.get_transaction_count(me).number(block).await.unwrap(), nonce);
        }
    };
    check(node.l2_url.clone(), points.clone()).await;
    assert!(node.terminate().success());

    // As a node of the last release left it: no change sets, no marker.
    {
        let db = redb::Database::open(dir.join("l2.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        let history: redb::TableDefinition<'_, [u8; 60], [u8; 32]> =
            redb::TableDefinition::new("slot_history");
        assert!(tx.delete_table(history).unwrap(), "the change sets existed");
        let meta: redb::TableDefinition<'_, &str, u64> = redb::TableDefinition::new("meta");
        tx.open_table(meta).unwrap().remove("slot_history_from").unwrap();
        tx.commit().unwrap();
    }
    let node = DevNode::start(&dir, &[]);
    check(node.l2_url.clone(), points).await;
}

/// Deploys a contract that emits `calldata[0]` LOG0s of 32 bytes each.
async fn deploy_emitter(p: &alloy::providers::DynProvider) -> Address {
    let runtime = [
        0x60, 0x00, 0x35, 0x5b, 0x80, 0x15, 0x60, 0x15, 0x57, 0x60, 0x20, 0x60, 0x00, 0xa0, 0x60,
        0x01, 0x90, 0x03, 0x60, 0x03, 0x56, 0x5b, 0x00,
    ];
    // Init code: CODECOPY the 23-byte runtime behind it, RETURN it.
    let mut init = vec![0x60, 0x17, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x17, 0x60, 0x00, 0xf3];
    init.extend_from_slice(&runtime);
    deploy(p, init.into()).await
}

/// Deploys `init` (creation code) and returns the new contract's address.
async fn deploy(p: &alloy::providers::DynProvider, init: Bytes) -> Address {
    let tx = TransactionRequest::default().with_deploy_code(init);
    let receipt = p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "deployment reverted");
    receipt.contract_address.unwrap()
}

/// The JS clients a dapp uses, against the real node: viem's WebSocket subscriptions (blocks,
/// pending transactions, logs) and ethers v6's filter polling over HTTP (`provider.on` with a
/// log filter and with "pending"). Runs `node/tests/js/clients.cjs` with the pinned viem and
/// ethers from `tools/`.
#[tokio::test(flavor = "multi_thread")]
async fn viem_and_ethers_subscribe_and_poll_against_the_node() {
    let node = DevNode::start(&tmp_dir("rpc-js-clients"), &[]);
    let emitter = deploy_emitter(&node.l2(0)).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let key = |i: usize| format!("{:#x}", signer(i).to_bytes());
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg(root.join("node/tests/js/clients.cjs"))
            .args([&node.l2_url, &node.l2_ws(), &key(1), &key(2), &format!("{emitter:?}")])
            .output(),
    )
    .await
    .expect("the JS client checks finished within 120 s")
    .expect("run node (npm ci --prefix tools installs viem and ethers)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "JS clients failed:\n{stdout}\n{stderr}\nnode log:\n{}",
        node.log()
    );
    for check in [
        "viem watchPendingTransactions ok",
        "viem watchEvent ok",
        "viem watchBlocks ok",
        "ethers provider.on(filter) ok",
        "ethers provider.on(pending) ok",
    ] {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
}

/// A POST of `body` to `url`, answered as raw text (so an id's JSON spelling can be checked).
async fn raw_text(url: &str, body: &str) -> String {
    let client = alloy::transports::http::reqwest::Client::new();
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    resp.text().await.unwrap()
}

/// Any id that is not an object or array comes back as its client spelled it, byte for byte
/// (geth copies the id's raw JSON): `1e3` is not `1000.0`, `1.50` is not `1.5`.
#[tokio::test(flavor = "multi_thread")]
async fn odd_request_ids_are_echoed_byte_for_byte() {
    let node = DevNode::start(&tmp_dir("rpc-ids"), &[]);
    let url = &node.l2_url;
    for id in ["1e3", "1.50", "-0", "1E+3", "-1", "true", "123456789012345678901234567890"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_chainId","params":[]}}"#);
        let answer = raw_text(url, &body).await;
        assert!(answer.contains(&format!(r#""id":{id},"#)), "id {id}: {answer}");
        assert!(answer.contains(r#""result":"0x10e""#), "id {id}: {answer}");
    }
    let body = r#"[{"jsonrpc":"2.0","id":2.50,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":-1e-2,"method":"eth_nope","params":[]}]"#;
    let answer = raw_text(url, body).await;
    assert!(answer.contains(r#""id":2.50,"#), "{answer}");
    assert!(answer.contains(r#""id":7,"#), "{answer}");
    assert!(answer.contains(r#""id":-1e-2,"#), "{answer}");
}
/// The WebSocket handshake on a raw socket (read byte by byte, so no frame is read with it).
async fn ws_connect(addr: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut b))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "the handshake ended early: {}", String::from_utf8_lossy(&head));
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    s
}

/// The next frame from the server (opcode, payload); `None` once the socket is closed.
async fn ws_frame(s: &mut tokio::net::TcpStream) -> Option<(u8, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let mut h = [0u8; 2];
    s.read_exact(&mut h).await.ok()?;
    let len = match h[1] & 0x7f {
        126 => u64::from(s.read_u16().await.ok()?),
        127 => s.read_u64().await.ok()?,
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    s.read_exact(&mut payload).await.ok()?;
    Some((h[0] & 0x0f, payload))
}

/// A client that sends requests but never reads their answers: once the socket buffers are full
/// the server's write makes no progress, and after `rpc.read_timeout_ms` the connection is
/// closed and its slot freed (with one slot per address here, a new client from the same
/// address is served).
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_reads_its_answers_is_closed_and_its_slot_freed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = DevNode::start(
        &tmp_dir("rpc-write-stall"),
        &["rpc.max_connections_per_ip=1", "rpc.read_timeout_ms=1000"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.bind("127.0.0.3:0".parse().unwrap()).unwrap();
    let stalled = sock.connect(addr.parse().unwrap()).await.unwrap();
    let (mut never_read, mut writer) = stalled.into_split();
    // Pipelined batches whose answers (about 6 kB each) the client never reads.
    let one = json!({"jsonrpc":"2.0","id":1,"method":"web3_clientVersion","params":[]});
    let body = Value::Array(vec![one; 60]).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let writing = tokio::spawn(async move {
        // Until the server stops reading (its answers are stuck) or closes the connection.
        let mut sent = 0usize;
        loop {
            let w = tokio::time::timeout(
                std::time::Duration::from_millis(500),
                writer.write_all(request.as_bytes()),
            )
            .await;
            match w {
                Ok(Ok(())) => sent += 1,
                _ => break (sent, writer),
            }
        }
    });
    let (sent, _writer) = writing.await.unwrap();
    let stalled_at = std::time::Instant::now();
    assert!(sent > 10, "the server read a few requests first: {sent}");
    // While the write is stuck, the address's one slot is held.
    let mut other = connect_from("127.0.0.3", &addr).await;
    let b = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}).to_string();
    let ask = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
        b.len()
    );
    other.write_all(ask.as_bytes()).await.unwrap();
    let answer = read_some(&mut other, std::time::Duration::from_secs(1)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "the stalled socket holds the slot: {answer}");
    // Within about the read timeout the stalled connection is closed and the slot is free.
    let served_after = loop {
        assert!(
            stalled_at.elapsed() < std::time::Duration::from_secs(8),
            "no new client served 8 s after the write stalled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut s = connect_from("127.0.0.3", &addr).await;
        if s.write_all(ask.as_bytes()).await.is_err() {
            continue;
        }
        let answer = read_some(&mut s, std::time::Duration::from_secs(1)).await;
        if answer.starts_with("HTTP/1.1 200") {
            break stalled_at.elapsed();
        }
    };
    eprintln!("write stall: a new client served {served_after:?} after the client stopped reading");
    // The stalled socket was closed: reading it now ends (EOF or reset) once what the server
    // had sent before closing is drained.
    let mut buf = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match never_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled socket is still open");
}

/// A WebSocket peer that never answers pings is closed after `rpc.ws_inactive_limit_ms` (twice
/// missed); a client that answers them keeps its connection.
#[tokio::test(flavor = "multi_thread")]
async fn websocket_peers_that_never_answer_pings_are_closed() {
    use jsonrpsee::core::client::ClientT;
    let node = DevNode::start(
        &tmp_dir("rpc-ws-ping"),
        &["rpc.ws_ping_interval_ms=200", "rpc.ws_inactive_limit_ms=500"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let alive = jsonrpsee::ws_client::WsClientBuilder::default().build(node.l2_ws()).await.unwrap();
    let mut deaf = ws_connect(&addr).await;
    let started = std::time::Instant::now();
    let mut pings = 0;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match ws_frame(&mut deaf).await {
                Some((0x9, _)) => pings += 1,
                Some((0x8, _)) | None => break started.elapsed(),
                Some(_) => {}
            }
        }
    })
    .await
    .expect("a peer that never answers pings was still open after 10 s");
    assert!(pings >= 2, "pinged before being closed: {pings}");
    assert!(closed >= std::time::Duration::from_millis(500), "closed too early: {closed:?}");
    eprintln!("deaf WebSocket peer closed after {closed:?}, {pings} pings");
    // The client that answers pings still works.
    let n: String = alive.request("eth_chainId", jsonrpsee::rpc_params![]).await.unwrap();
    assert_eq!(n, "0x10e");
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
/// A client's text frame: FIN, masked (as RFC 6455 requires of clients).
fn ws_text(payload: &[u8]) -> Vec<u8> {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut f = vec![0x81];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// The next text frame from the server within `wait` (`Ok(None)`: the socket closed).
async fn ws_next_text(
    ws: &mut tokio::net::TcpStream,
    wait: std::time::Duration,
) -> Result<Option<String>, tokio::time::error::Elapsed> {
    tokio::time::timeout(wait, async move {
        loop {
            match ws_frame(ws).await {
                Some((1, text)) => break Some(String::from_utf8(text).unwrap()),
                Some(_) => {}
                None => break None,
            }
        }
    })
    .await
}

/// Over a WebSocket, as over HTTP, a request id of any JSON type but an object or array comes
/// back as the client wrote it, alone, in a batch, in a message over 64 KiB (whose length form
/// the rewrite changes), with an answer over 256 KiB, and for a subscription, whose
/// notifications then still arrive.
/// (Before: jsonrpsee read such a request as a notification and neither ran nor answered it.)
#[tokio::test(flavor = "multi_thread")]
async fn odd_request_ids_over_websocket_are_echoed_byte_for_byte() {
    use tokio::io::AsyncWriteExt;
    let wait = std::time::Duration::from_secs(5);
    let node = DevNode::start(&tmp_dir("rpc-ws-ids"), &[]);
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut ws = ws_connect(&addr).await;
    for id in ["-1", "1.50", "true", "1e3", "123456789012345678901234567890", "7"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_chainId","params":[]}}"#);
        ws.write_all(&ws_text(body.as_bytes())).await.unwrap();
        let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
        assert!(answer.contains(&format!(r#""id":{id},"#)), "id {id}: {answer}");
        assert!(answer.contains(r#""result":"0x10e""#), "id {id}: {answer}");
    }
    // A batch of 100, each id odd: the answer is over 125 bytes, and shrinks when put back.
    let calls: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","id":-{i}.5,"method":"eth_chainId","params":[]}}"#))
        .collect();
    ws.write_all(&ws_text(format!("[{}]", calls.join(",")).as_bytes())).await.unwrap();
    let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
    let parsed: Vec<Value> = serde_json::from_str(&answer).unwrap();
    assert_eq!(parsed.len(), 100, "{answer}");
    for i in 0..100 {
        assert!(answer.contains(&format!(r#""id":-{i}.5,"#)), "id -{i}.5: {answer}");
    }
    // A message over 64 KiB (white space is JSON too): its frame takes the 64-bit length form.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":-2,"method":"eth_chainId","params":[{}]}}"#,
        " ".repeat(70_000)
    );
    ws.write_all(&ws_text(big.as_bytes())).await.unwrap();
    let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
    assert!(answer.contains(r#""id":-2,"#) && answer.contains("0x10e"), "{answer}");
    // Answers larger than the socket wrapper's write backlog (256 KiB): held whole to put an
    // odd id back, streamed in parts for an ordinary one. The identity precompile echoes.
    let data = format!("0x{}", "ab".repeat(150_000));
    for id in ["-3", "8", "0.5"] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_call","params":[{{"to":"0x0000000000000000000000000000000000000004","data":"{data}"}},"latest"]}}"#
        );
        ws.write_all(&ws_text(body.as_bytes())).await.unwrap();
        let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
        assert!(answer.contains(&format!(r#""id":{id},"#)), "id {id}: {}", &answer[..200]);
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert!(answer["result"] == data, "id {id}: {}", &answer.to_string()[..200]);
    }
    // A subscription made with an odd id: its answer carries the id, its notifications flow.
    let sub = r#"{"jsonrpc":"2.0","id":false,"method":"eth_subscribe","params":["newHeads"]}"#;
    ws.write_all(&ws_text(sub.as_bytes())).await.unwrap();
    let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
    assert!(answer.contains(r#""id":false,"#), "{answer}");
    let sub_id = serde_json::from_str::<Value>(&answer).unwrap()["result"].clone();
    assert!(sub_id.as_str().is_some_and(|s| s.starts_with("0x")), "{answer}");
    let tx =
        TransactionRequest::default().with_to(Address::repeat_byte(0x77)).with_value(U256::from(1));
    node.l2(0).send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    let note = ws_next_text(&mut ws, std::time::Duration::from_secs(10)).await.unwrap().unwrap();
    let note: Value = serde_json::from_str(&note).unwrap();
    assert_eq!(note["method"], "eth_subscription", "{note}");
    assert_eq!(note["params"]["subscription"], sub_id, "{note}");
}
