//! `kill -9` of the real `rollupd dev` process under load, then a restart on the same data
//! directory: every acknowledged transaction is included or still pending, history is
//! unchanged, balances add up. And a clean SIGTERM stop.

use crate::support::{raw_call, tmp_dir, DevNode};
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::providers::Provider;
use alloy::signers::SignerSync;
use rollup_test_utils::signer;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SENDERS: usize = 3;

fn transfer(i: usize, nonce: u64, to: Address, value: u64) -> (B256, Bytes) {
    let tx = TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer(i).sign_hash_sync(&tx.signature_hash()).unwrap();
    let env = TxEnvelope::from(tx.into_signed(sig));
    (*env.tx_hash(), env.encoded_2718().into())
}

fn recipient(i: usize) -> Address {
    Address::with_last_byte(0xa0 + i as u8)
}

#[tokio::test(flavor = "multi_thread")]
async fn kill9_under_load_loses_nothing_acknowledged() {
    let dir = tmp_dir("crash-kill9");
    let mut node = DevNode::start(&dir, &["l2.block_time_ms=50"]);
    let url = node.l2_url.clone();
    // (hash, sender index, value) of every acknowledged transaction.
    let acked: Arc<Mutex<Vec<(B256, usize, u64)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loaders = Vec::new();
    for i in 0..SENDERS {
        let (url, acked, stop) = (url.clone(), acked.clone(), stop.clone());
        loaders.push(tokio::spawn(async move {
            let mut nonce = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let value = 1_000 + nonce;
                let (hash, raw) = transfer(i, nonce, recipient(i), value);
                let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[raw]});
                let client = alloy::transports::http::reqwest::Client::new();
                let Ok(resp) = client.post(&url).json(&body).timeout(Duration::from_secs(2)).send().await else { continue };
                let Ok(v) = resp.json::<serde_json::Value>().await else { continue };
                if v["result"].is_string() {
                    acked.lock().unwrap().push((hash, i, value));
                    nonce += 1;
                } else if v["error"]["message"].as_str().is_some_and(|m| m.contains("account limit")) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let p = node.l2(0);
    let head_before = p.get_block_number().await.unwrap();
    let mut hashes_before = HashMap::new();
    for n in 0..=head_before {
        hashes_before
            .insert(n, p.get_block_by_number(n.into()).await.unwrap().unwrap().header.hash);
    }
    node.kill9();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in loaders {
        l.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 50, "the load was real: {} acknowledged", acked.len());
    assert!(head_before > 3, "blocks were being sealed");

    let node = DevNode::start(&dir, &["l2.block_time_ms=50"]);
    let p = node.l2(0);
    for (n, h) in &hashes_before {
        let b = p.get_block_by_number((*n).into()).await.unwrap().unwrap();
        assert_eq!(b.header.hash, *h, "block {n} changed across the crash");
    }
    // Pending ones are still in the pool: the restarted sealer includes them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut receipts = HashMap::new();
    let mut were_pending = 0;
    for (hash, _, _) in &acked {
        let mut first = true;
        loop {
            if let Some(r) = p.get_transaction_receipt(*hash).await.unwrap() {
                assert!(r.status());
                receipts.insert(*hash, r);
                break;
            }
            let pending = raw_call(
                &node.l2_url,
                json!({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionByHash","params":[hash]}),
            )
            .await;
            assert!(
                pending["result"].is_object(),
                "acknowledged {hash} is neither included nor pending"
            );
            if first {
                were_pending += 1;
                first = false;
            }
            assert!(Instant::now() < deadline, "{hash} stayed pending for 30s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let log = node.log();
    let restored = log.lines().find(|l| l.contains("pool started") && l.contains("chain=l2"));
    eprintln!(
        "acknowledged {}, head before the kill {head_before}, pending when checked {were_pending}; {}",
        acked.len(),
        restored.unwrap_or_default()
    );
    let ether = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
    for i in 0..SENDERS {
        let mine: Vec<_> = acked.iter().filter(|(_, s, _)| *s == i).collect();
        let values: u64 = mine.iter().map(|(_, _, v)| v).sum();
        let fees: U256 = mine
            .iter()
            .map(|(h, _, _)| {
                U256::from(receipts[h].gas_used) * U256::from(receipts[h].effective_gas_price)
            })
            .sum();
        // Transactions sent but not acknowledged may have landed too (the answer was lost in the
        // kill): they are the ones above the last acknowledged nonce.
        let nonce = p.get_transaction_count(signer(i).address()).await.unwrap();
        assert!(
            nonce >= mine.len() as u64,
            "sender {i}: nonce {nonce} < {} acknowledged",
            mine.len()
        );
        let extra = nonce - mine.len() as u64;
        let mut extra_values = 0u64;
        let mut extra_fees = U256::ZERO;
        for k in 0..extra {
            let n = mine.len() as u64 + k;
            let (h, _) = transfer(i, n, recipient(i), 1_000 + n);
            let r =
                p.get_transaction_receipt(h).await.unwrap().expect("included unacknowledged tx");
            extra_values += 1_000 + n;
            extra_fees += U256::from(r.gas_used) * U256::from(r.effective_gas_price);
        }
        assert_eq!(
            p.get_balance(recipient(i)).await.unwrap(),
            U256::from(values + extra_values),
            "recipient {i}"
        );
        assert_eq!(
            p.get_balance(signer(i).address()).await.unwrap(),
            ether - U256::from(values + extra_values) - fees - extra_fees,
            "sender {i}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_cleanly_and_restart_resumes() {
    let dir = tmp_dir("crash-sigterm");
    let mut node = DevNode::start(&dir, &[]);
    let diamond_line =
        node.stdout.lines().find(|l| l.contains("Diamond proxy")).unwrap().to_string();
    let p = node.l2(1);
    let to = Address::with_last_byte(0x77);
    let r = p
        .send_transaction(
            alloy::rpc::types::TransactionRequest::default().to(to).value(U256::from(5)),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let status = node.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert!(node.log().contains("stopped cleanly"), "{}", node.log());
    let node = DevNode::start(&dir, &[]);
    assert!(node.stdout.contains(&diamond_line), "same Diamond after restart (no redeploy)");
    assert!(node.log().contains("resuming the existing deployment"));
    let p = node.l2(1);
    assert_eq!(p.get_balance(to).await.unwrap(), U256::from(5));
    assert!(p.get_transaction_receipt(r.transaction_hash).await.unwrap().is_some());
    let metrics = alloy::transports::http::reqwest::get(format!("{}/metrics", node.metrics_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("rollupd_head_block{chain=\"l2\"} 1"), "{metrics}");
    assert!(metrics.contains("rollupd_pool_size{chain=\"l2\"}"));
    // The metrics endpoint serves 64 connections at once: past that one is closed unanswered,
    // and once they are gone it answers again.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host =
            node.metrics_url.trim_start_matches("http://").split('/').next().unwrap().to_string();
        let mut idle = Vec::new();
        for _ in 0..64 {
            idle.push(tokio::net::TcpStream::connect(&host).await.unwrap());
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut extra = tokio::net::TcpStream::connect(&host).await.unwrap();
        let _ = extra.write_all(b"GET /metrics HTTP/1.1\r\nHost: m\r\n\r\n").await;
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(3), extra.read_to_end(&mut answer))
                .await;
        assert!(read.is_ok(), "the connection over the limit is closed at once");
        assert!(answer.is_empty(), "and gets no answer: {}", String::from_utf8_lossy(&answer));
        drop(idle);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let again = alloy::transports::http::reqwest::get(format!("{}/metrics", node.metrics_url))
            .await
            .unwrap();
        assert!(again.status().is_success());
    }
    let _ = node.data_dir.clone();
}
