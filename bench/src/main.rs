//! `rollup-bench`, the load generator for rollupd. It is a plain Ethereum JSON-RPC client, so the
//! same run measures any node (anvil, geth, rollupd).
//!
//! It funds `--accounts` fresh accounts from one rich key, then each account sends signed ETH
//! transfers back-to-back (up to `--window` unconfirmed at a time) for `--duration` seconds.
//! A poller follows new blocks and marks each transaction included when a block carrying it
//! appears: that is when its receipt becomes readable. After the sending window it waits for the
//! stragglers, then prints a summary and, as the last line, one JSON object:
//! `{"tps", "p50_ms", "p99_ms", "sent", "included", "errors", ...}`.
//!
//! `tps` is included transactions divided by the time from the first submission to the last
//! inclusion; latencies are submission to inclusion, with the poller's period as resolution.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest;
use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Dev account 0 of the test mnemonic (anvil's and rollupd dev's first funded account).
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Load generator: funded accounts send ETH transfers as fast as the node takes them.
#[derive(Debug, Parser)]
#[command(name = "rollup-bench", version, about)]
struct Args {
    /// JSON-RPC endpoint of the node under test.
    #[arg(long, default_value = "http://127.0.0.1:3050")]
    rpc: String,
    /// Rich key that funds the load accounts (default: dev account 0 of the test mnemonic).
    #[arg(long, env = "ROLLUP_BENCH_KEY", default_value = DEV_KEY, hide_env_values = true)]
    private_key: String,
    /// Number of sending accounts.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    accounts: u64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration: u64,
    /// Most unconfirmed transactions per account.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=64))]
    window: u64,
    /// Seconds to wait for stragglers after sending stops.
    #[arg(long, default_value_t = 60)]
    drain: u64,
    /// Block poll period in milliseconds (latency resolution).
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
}

/// A minimal JSON-RPC client over one keep-alive HTTP connection pool.
#[derive(Clone)]
struct Rpc {
    http: reqwest::Client,
    url: String,
}

impl Rpc {
    async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp: Value = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("{method}: cannot reach {}", self.url))?
            .json()
            .await
            .with_context(|| format!("{method}: response is not JSON"))?;
        if let Some(err) = resp.get("error") {
            bail!("{method}: {}", err.get("message").and_then(Value::as_str).unwrap_or("error"));
        }
        Ok(resp.get("result").cloned().unwrap_or(Value::Null))
    }

    async fn quantity(&self, method: &str, params: Value) -> anyhow::Result<u128> {
        let v = self.call(method, params).await?;
        let s =
            v.as_str().with_context(|| format!("{method}: expected a hex quantity, got {v}"))?;
        u128::from_str_radix(s.trim_start_matches("0x"), 16)
            .with_context(|| format!("{method}: bad quantity {s}"))
    }
}

/// Fee and chain parameters shared by every transaction of the run.
#[derive(Clone, Copy)]
struct TxParams {
    chain_id: u64,
    max_fee: u128,
    tip: u128,
}

fn transfer(
    signer: &PrivateKeySigner,
    p: TxParams,
    nonce: u64,
    to: Address,
    value: U256,
) -> anyhow::Result<(B256, Bytes)> {
    let mut tx = TxEip1559 {
        chain_id: p.chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: p.max_fee,
        max_priority_fee_per_gas: p.tip,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    };
    let sig = signer.sign_transaction_sync(&mut tx).context("signing")?;
    let env = TxEnvelope::from(tx.into_signed(sig));
    Ok((*env.tx_hash(), Bytes::from(env.encoded_2718())))
}

/// Shared bookkeeping between senders and the block poller.
#[derive(Default)]
struct Book {
    /// hash -> (account, submit time)
    pending: Mutex<HashMap<B256, (usize, Instant)>>,
    latencies: Mutex<Vec<Duration>>,
    last_inclusion: Mutex<Option<Instant>>,
    sent: AtomicU64,
    included: AtomicU64,
    errors: AtomicU64,
}

async fn poll_blocks(
    rpc: Rpc,
    book: Arc<Book>,
    in_flight: Arc<Vec<AtomicU64>>,
    mut next: u64,
    period: Duration,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let head = match rpc.quantity("eth_blockNumber", json!([])).await {
            Ok(h) => h as u64,
            Err(_) => {
                tokio::time::sleep(period).await;
                continue;
            }
        };
        while next <= head {
            let Ok(block) =
                rpc.call("eth_getBlockByNumber", json!([format!("0x{next:x}"), false])).await
            else {
                break;
            };
            let seen = Instant::now();
            let hashes: Vec<B256> = block
                .get("transactions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|h| h.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            let mut pending = book.pending.lock().expect("lock");
            let mut lat = book.latencies.lock().expect("lock");
            for h in hashes {
                if let Some((acct, at)) = pending.remove(&h) {
                    lat.push(seen - at);
                    in_flight[acct].fetch_sub(1, Ordering::Relaxed);
                    book.included.fetch_add(1, Ordering::Relaxed);
                    *book.last_inclusion.lock().expect("lock") = Some(seen);
                }
            }
            next += 1;
        }
        tokio::time::sleep(period).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !(args.rpc.starts_with("http://") || args.rpc.starts_with("https://")) {
        bail!("--rpc must be an http:// or https:// URL, got {}", args.rpc);
    }
    let rich: PrivateKeySigner =
        args.private_key.trim().parse().context("--private-key is not a 32-byte hex key")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let rpc = Rpc { http, url: args.rpc.clone() };
    let chain_id = rpc.quantity("eth_chainId", json!([])).await? as u64;
    let gas_price = rpc.quantity("eth_gasPrice", json!([])).await?;
    // Room for the base fee to move (anvil's does) without repricing mid-run.
    let params = TxParams { chain_id, max_fee: gas_price * 3 + 1, tip: 1 };

    // Fund the load accounts from the rich key.
    let accounts: Vec<PrivateKeySigner> =
        (0..args.accounts).map(|_| PrivateKeySigner::random()).collect();
    let rich_nonce =
        rpc.quantity("eth_getTransactionCount", json!([rich.address(), "pending"])).await? as u64;
    let per_account = U256::from(10u64).pow(U256::from(18u64)); // 1 ETH: ~10^4 transfers at 0.1 gwei
                                                                // In chunks, so no node's per-sender pool limit is hit (geth's and ours are 64).
    let deadline = Instant::now() + Duration::from_secs(120);
    for (chunk_index, chunk) in accounts.chunks(32).enumerate() {
        let mut funding = Vec::new();
        for (i, a) in chunk.iter().enumerate() {
            let nonce = rich_nonce + (chunk_index * 32 + i) as u64;
            let (hash, raw) = transfer(&rich, params, nonce, a.address(), per_account)?;
            rpc.call("eth_sendRawTransaction", json!([raw])).await.context("funding")?;
            funding.push(hash);
        }
        for h in &funding {
            while rpc.call("eth_getTransactionReceipt", json!([h])).await?.is_null() {
                if Instant::now() > deadline {
                    bail!("funding transaction {h} not included within 120s");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let start_block = rpc.quantity("eth_blockNumber", json!([])).await? as u64 + 1;
    eprintln!(
        "funded {} accounts on chain {chain_id}; sending for {}s",
        args.accounts, args.duration
    );

    let book = Arc::new(Book::default());
    let in_flight: Arc<Vec<AtomicU64>> =
        Arc::new((0..accounts.len()).map(|_| AtomicU64::new(0)).collect());
    let stop_poll = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = tokio::spawn(poll_blocks(
        rpc.clone(),
        book.clone(),
        in_flight.clone(),
        start_block,
        Duration::from_millis(args.poll_ms),
        stop_poll.clone(),
    ));
    let started = Instant::now();
    let end = started + Duration::from_secs(args.duration);
    let sink = Address::from([0x42; 20]);
    let mut senders = Vec::new();
    for (idx, signer) in accounts.into_iter().enumerate() {
        let (rpc, book, in_flight) = (rpc.clone(), book.clone(), in_flight.clone());
        let window = args.window;
        senders.push(tokio::spawn(async move {
            let mut nonce = 0u64;
            while Instant::now() < end {
                if in_flight[idx].load(Ordering::Relaxed) >= window {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                let Ok((hash, raw)) = transfer(&signer, params, nonce, sink, U256::from(1u64))
                else {
                    book.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let at = Instant::now();
                book.pending.lock().expect("lock").insert(hash, (idx, at));
                in_flight[idx].fetch_add(1, Ordering::Relaxed);
                match rpc.call("eth_sendRawTransaction", json!([raw])).await {
                    Ok(_) => {
                        book.sent.fetch_add(1, Ordering::Relaxed);
                        nonce += 1;
                    }
                    Err(e) => {
                        book.pending.lock().expect("lock").remove(&hash);
                        in_flight[idx].fetch_sub(1, Ordering::Relaxed);
                        book.errors.fetch_add(1, Ordering::Relaxed);
                        if book.errors.load(Ordering::Relaxed) <= 5 {
                            eprintln!("send error: {e:#}");
                        }
                        // Resynchronise with the node's view of our nonce.
                        if let Ok(n) = rpc
                            .quantity(
                                "eth_getTransactionCount",
                                json!([signer.address(), "pending"]),
                            )
                            .await
                        {
                            nonce = n as u64;
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }));
    }
    for s in senders {
        s.await?;
    }
    let sending = started.elapsed();
    let drain_end = Instant::now() + Duration::from_secs(args.drain);
    while !book.pending.lock().expect("lock").is_empty() && Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_poll.store(true, Ordering::Relaxed);
    poller.await?;

    let sent = book.sent.load(Ordering::Relaxed);
    let included = book.included.load(Ordering::Relaxed);
    let errors = book.errors.load(Ordering::Relaxed);
    let mut lat = book.latencies.lock().expect("lock").clone();
    lat.sort_unstable();
    let span = book.last_inclusion.lock().expect("lock").map(|t| t - started).unwrap_or(sending);
    let tps = included as f64 / span.as_secs_f64().max(1e-9);
    let (p50, p99) = (percentile(&lat, 50.0), percentile(&lat, 99.0));
    let client = rpc
        .call("web3_clientVersion", json!([]))
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    println!("rollup-bench against {} ({client}, chain {chain_id})", args.rpc);
    println!(
        "  accounts {}, window {}, sending {:.1}s, last inclusion at {:.1}s",
        args.accounts,
        args.window,
        sending.as_secs_f64(),
        span.as_secs_f64()
    );
    println!(
        "  sent {sent}, included {included}, errors {errors}, not included {}",
        sent.saturating_sub(included)
    );
    println!("  included TPS {tps:.0}; submit -> inclusion p50 {p50:.1} ms, p99 {p99:.1} ms");
    println!(
        "{}",
        json!({
            "tps": (tps * 10.0).round() / 10.0,
            "p50_ms": (p50 * 10.0).round() / 10.0,
            "p99_ms": (p99 * 10.0).round() / 10.0,
            "sent": sent,
            "included": included,
            "errors": errors,
            "accounts": args.accounts,
            "duration_s": args.duration,
            "rpc": args.rpc,
            "client": client,
            "funder": rich.address().to_string(),
        })
    );
    Ok(())
}
