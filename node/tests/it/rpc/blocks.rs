//! Transfers, nonces, receipts and blocks as clients read them, and state read at past blocks:
//! exact, still served under a load of such reads, and after a database upgrade.

use super::BOB;
use crate::support::{raw_call, tmp_dir, DevNode};
use alloy::consensus::TxEnvelope;
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use rollup_test_utils::signer;
use serde_json::json;

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
