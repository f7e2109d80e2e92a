//! The chaos run (`scripts/chaos.sh`, `docs/operations.md` "Chaos run"): `rollupd run` settling
//! on anvil through a proxy the run can cut, under load with the bridge flows (deposits on L1,
//! transfers and withdrawals on L2, withdrawals finalized on L1), killed with -9 at random times
//! and its L1 cut and restored. At the end:
//! - every acknowledged transaction is finalized and succeeded;
//! - L1 and L2 agree: L1 has executed the batch of every acknowledged transaction, and for
//!   every executed batch the state commitment L1 committed is the node's;
//! - the Diamond holds the L2 supply plus the withdrawals not finalized yet, and each L1 receiver
//!   got exactly what was finalized for it;
//! - no validator transaction reverted, and their nonces have no gap.
//!
//! `CHAOS_KILLS` sets the number of kills (10 by default, as CI runs it; the long run 200)
//! and `CHAOS_SEED` replays a run (the seed is printed).

use crate::l1_faults::{proxied_l1, validator_nonces_all_succeeded, wait_finalized, ProxiedL1};
use crate::settle::rpc;
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::SolCall;
use rollup_contracts::bindings::{IRollupChain, L2BaseToken};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BASE_TOKEN: Address = address!("0x000000000000000000000000000000000000800a");

/// The L2 users: dev accounts 3, 4 and 5, funded by deposits only.
const USERS: [usize; 3] = [3, 4, 5];

/// The dev account that deposits on L1 and finalizes withdrawals (anyone may).
const L1_USER: usize = 2;

/// A tiny deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The running node: its process and the L2 URL it printed (the port changes at each start).
struct Node {
    child: Mutex<Option<rollup_test_utils::KillOnDrop>>,
    url: Mutex<String>,
    config: std::path::PathBuf,
    dir: std::path::PathBuf,
    starts: Mutex<u32>,
}

impl Node {
    fn url(&self) -> String {
        self.url.lock().unwrap().clone()
    }

    fn log(&self) -> std::path::PathBuf {
        self.dir.join(format!("run-{}.log", *self.starts.lock().unwrap()))
    }

    /// Starts `rollupd run` (blocking until it printed its URL).
    fn start(&self) {
        *self.starts.lock().unwrap() += 1;
        // A chain id of its own: a request sent to a port another test's node took after a kill
        // is refused there, never acknowledged by the wrong node.
        let (child, url) = crate::settle::spawn_run_with_env(
            &self.config,
            &rollup_test_utils::key_hex(1),
            &self.log(),
            &[("ROLLUPD_L2__CHAIN_ID", "271")],
        );
        *self.child.lock().unwrap() = Some(rollup_test_utils::KillOnDrop(child));
        *self.url.lock().unwrap() = url;
    }

    fn kill9(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            c.kill9();
        }
    }
}

/// What the load acknowledged.
#[derive(Default)]
struct Ledger {
    /// L2 hashes of every acknowledged transaction and deposit.
    acked: Vec<B256>,
    deposits: usize,
    transfers: usize,
    /// (L2 hash, L1 receiver, amount) of each acknowledged withdrawal.
    withdrawals: Vec<(B256, Address, U256)>,
}

/// An EIP-1559 transfer at zero fee (the chain runs with `base_fee = 0`).
fn sign(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    input: Bytes,
    gas: u64,
) -> (B256, Bytes) {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input,
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let envelope: TxEnvelope = tx.into_signed(sig).into();
    (*envelope.tx_hash(), envelope.encoded_2718().into())
}

/// Sends `raw` until the node answers for it: `true` once it is acknowledged (a hash, or a
/// node that already has it), `false` if the node refused it. A request that got no answer (the
/// node was killed) is sent again, the same bytes, to whichever node runs next.
async fn send_until_answered(node: &Node, raw: &Bytes, hash: B256) -> bool {
    let client = alloy::transports::http::reqwest::Client::new();
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]});
    loop {
        let sent = client.post(node.url()).timeout(Duration::from_secs(5)).json(&body).send().await;
        let answer: Option<Value> = match sent {
            Ok(r) => r.json().await.ok(),
            Err(_) => None,
        };
        match answer {
            Some(a) if a.get("result").is_some() => return true,
            Some(a) => {
                let message = a["error"]["message"].as_str().unwrap_or_default().to_lowercase();
                if message.contains("already known") || message.contains("nonce too low") {
                    // Sent before the kill and kept: it must be this very transaction (asked
                    // again if the node is killed meanwhile).
                    let ask = json!({"jsonrpc": "2.0", "id": 1,
                        "method": "eth_getTransactionByHash", "params": [hash]});
                    loop {
                        let known = match client.post(node.url()).json(&ask).send().await {
                            Ok(r) => r.json::<Value>().await.ok(),
                            Err(_) => None,
                        };
                        match known {
                            Some(k) if k.get("result").is_some() => {
                                assert!(
                                    !k["result"].is_null(),
                                    "{hash}: `{message}`, but the node does not know it"
                                );
                                return true;
                            }
                            _ => tokio::time::sleep(Duration::from_millis(200)).await,
                        }
                    }
                }
                if message.contains("backlog") || message.contains("busy") {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
                return false;
            }
            None => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Until `stop`: a random mix of deposits (on L1, straight to anvil), transfers and withdrawals
/// (on L2, to whichever node runs).
async fn load(
    node: Arc<Node>,
    anvil_url: String,
    diamond: Address,
    chain_id: u64,
    seed: u64,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let mut rng = Lcg(seed ^ 0x5eed);
    let keys: Vec<PrivateKeySigner> = USERS.iter().map(|&i| rollup_test_utils::signer(i)).collect();
    let mut nonces = vec![0u64; keys.len()];
    let l1 = crate::support::provider(&anvil_url, L1_USER);
    let gwei = U256::from(1_000_000_000u64);
    while !stop.load(Ordering::SeqCst) {
        let i = rng.next(keys.len() as u64) as usize;
        let amount = gwei * U256::from(1 + rng.next(100_000));
        match rng.next(4) {
            0 => {
                let to = keys[rng.next(keys.len() as u64) as usize].address();
                let h = crate::bridge::deposit_via(l1.clone(), diamond, to, amount).await;
                let mut l = ledger.lock().unwrap();
                l.acked.push(h);
                l.deposits += 1;
            }
            kind => {
                let (to, value, input, gas) = if kind == 3 {
                    let receiver = Address::with_last_byte(0xc0 + rng.next(4) as u8);
                    let call = L2BaseToken::withdrawCall { l1Receiver: receiver };
                    (BASE_TOKEN, amount, Bytes::from(call.abi_encode()), 300_000)
                } else {
                    let to = keys[rng.next(keys.len() as u64) as usize].address();
                    (to, amount, Bytes::new(), 21_000)
                };
                let (hash, raw) =
                    sign(&keys[i], chain_id, nonces[i], to, value, input.clone(), gas);
                if send_until_answered(&node, &raw, hash).await {
                    nonces[i] += 1;
                    let mut l = ledger.lock().unwrap();
                    l.acked.push(hash);
                    if kind == 3 {
                        let receiver = Address::from_slice(&input[16..36]);
                        l.withdrawals.push((hash, receiver, value));
                    } else {
                        l.transfers += 1;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50 + rng.next(250))).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chaos_kill_9_and_l1_cuts_under_bridge_load_lose_nothing_and_keep_l1_and_l2_in_agreement() {
    let kills: u32 = std::env::var("CHAOS_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let seed = std::env::var("CHAOS_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64
    });
    eprintln!("CHAOS seed {seed} (CHAOS_SEED replays it), {kills} kills");
    let started = Instant::now();
    // Batches of 20 s keep the local prover's work bounded (tens of seconds per batch here).
    let Some(ProxiedL1 { anvil, down, diamond, config, dir }) = proxied_l1(
        "chaos",
        "[batcher]\nmax_age_ms = 20000\n[eth_sender]\nresend_after_ms = 3000\npoll_ms = 250\n[eth_watcher]\npoll_ms = 250\n",
    )
    .await
    else {
        return;
    };
    let node = Arc::new(Node {
        child: Mutex::new(None),
        url: Mutex::new(String::new()),
        config,
        dir: dir.clone(),
        starts: Mutex::new(0),
    });
    node.start();
    let chain_id: u64 = {
        let v = rpc(&node.url(), "eth_chainId", json!([])).await;
        u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };

    // Every user holds L2 ETH before the chaos starts, so no transfer runs out.
    let l1 = crate::support::provider(&anvil.endpoint(), L1_USER);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let ether = U256::from(10u64).pow(U256::from(18u64));
    for &i in &USERS {
        let to = rollup_test_utils::signer(i).address();
        let h = crate::bridge::deposit_via(l1.clone(), diamond, to, ether).await;
        let mut l = ledger.lock().unwrap();
        l.acked.push(h);
        l.deposits += 1;
    }
    let l2 = crate::support::provider(&node.url(), 0);
    for &i in &USERS {
        let who = rollup_test_utils::signer(i).address();
        let deadline = Instant::now() + Duration::from_secs(120);
        while l2.get_balance(who).await.unwrap() < ether {
            assert!(Instant::now() < deadline, "the first deposit to {who} was never credited");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(load(
        node.clone(),
        anvil.endpoint(),
        diamond,
        chain_id,
        seed,
        stop.clone(),
        ledger.clone(),
    ));
    let mut rng = Lcg(seed);
    let mut cuts = 0u32;
    for k in 0..kills {
        tokio::time::sleep(Duration::from_millis(1_000 + rng.next(4_000))).await;
        // Now and then the L1 goes away too, across the restart or not.
        let cut = k % 5 == 1 || rng.next(5) == 0;
        if cut {
            cuts += 1;
            down.store(true, Ordering::SeqCst);
        }
        node.kill9();
        // The L1 comes back 1-5 s later: before the restart or while the node waits for it.
        let back = if cut {
            let down = down.clone();
            let after = Duration::from_millis(1_000 + rng.next(4_000));
            Some(tokio::spawn(async move {
                tokio::time::sleep(after).await;
                down.store(false, Ordering::SeqCst);
            }))
        } else {
            None
        };
        if cut && rng.next(2) == 0 {
            tokio::time::sleep(Duration::from_millis(rng.next(3_000))).await;
        }
        let n = node.clone();
        tokio::task::spawn_blocking(move || n.start()).await.unwrap();
        if let Some(back) = back {
            back.await.unwrap();
        }
        eprintln!(
            "CHAOS kill {} of {kills} at {:?}{}",
            k + 1,
            started.elapsed(),
            if cut { " (L1 cut)" } else { "" }
        );
    }
    stop.store(true, Ordering::SeqCst);
    load.await.unwrap();
    down.store(false, Ordering::SeqCst);
    let chaos_secs = started.elapsed().as_secs();

    // Every acknowledged transaction is finalized, and succeeded.
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    let url = node.url();
    for h in &ledger.acked {
        wait_finalized(&url, *h, &node.log(), "an acknowledged transaction").await;
        let r = rpc(&url, "eth_getTransactionReceipt", json!([h])).await;
        assert_eq!(r["status"], "0x1", "{h} failed: {r}");
    }

    // Half of the withdrawals are finalized on L1, through the CLI a user runs.
    let mut finalized = std::collections::BTreeMap::<Address, U256>::new();
    for (h, receiver, amount) in ledger.withdrawals.iter().step_by(2) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollupd"))
            .args(["bridge", "finalize", "--l1-rpc", &anvil.endpoint(), "--l2-rpc", &url, "--tx"])
            .arg(h.to_string())
            .env("ROLLUPD_BRIDGE_KEY", rollup_test_utils::key_hex(L1_USER))
            .output()
            .unwrap();
        assert!(out.status.success(), "finalize {h}: {}", String::from_utf8_lossy(&out.stderr));
        *finalized.entry(*receiver).or_default() += *amount;
    }
    let anvil_l1 = crate::support::provider(&anvil.endpoint(), 0);
    for r in (0..4u8).map(|i| Address::with_last_byte(0xc0 + i)) {
        let got = anvil_l1.get_balance(r).await.unwrap();
        assert_eq!(got, finalized.get(&r).copied().unwrap_or_default(), "L1 receiver {r}");
    }

    // L1 and L2 agree: L1 executed the batch of every acknowledged transaction, and committed
    // the node's state commitment for every executed batch (the last commit of each number: a
    // batch may have been reverted and committed again).
    let chain = IRollupChain::new(diamond, anvil_l1.clone());
    let sealed = {
        let v = rpc(&url, "zks_L1BatchNumber", json!([])).await;
        u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    let executed: u64 = chain.getTotalBatchesExecuted().call().await.unwrap().to();
    let mut last_acked_batch = 0u64;
    for h in &ledger.acked {
        let r = rpc(&url, "eth_getTransactionReceipt", json!([h])).await;
        let b = r["l1BatchNumber"].as_str().unwrap().trim_start_matches("0x");
        last_acked_batch = last_acked_batch.max(u64::from_str_radix(b, 16).unwrap());
    }
    assert!(
        executed >= last_acked_batch,
        "L1 executed {executed} batches, the node says {last_acked_batch}"
    );
    let commits = anvil_l1
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(diamond)
                .event_signature(
                    <IRollupChain::BlockCommit as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(0),
        )
        .await
        .unwrap();
    let mut on_l1 = std::collections::BTreeMap::new();
    for e in commits.iter().filter_map(|l| l.log_decode::<IRollupChain::BlockCommit>().ok()) {
        on_l1.insert(e.inner.data.batchNumber.to::<u64>(), e.inner.data.batchHash);
    }
    for n in 1..=executed {
        let details = rpc(&url, "zks_getL1BatchDetails", json!([n])).await;
        let node_root: B256 = details["rootHash"].as_str().unwrap().parse().unwrap();
        assert_eq!(on_l1.get(&n), Some(&node_root), "batch {n}: L1 committed another state");
    }

    // The Diamond holds the L2 supply plus the withdrawals not finalized yet.
    let l2 = crate::support::provider(&url, 0);
    let head = rpc(&url, "eth_getBlockByNumber", json!(["latest", false])).await;
    let coinbase: Address = head["miner"].as_str().unwrap().parse().unwrap();
    let mut holders: Vec<Address> =
        USERS.iter().map(|&i| rollup_test_utils::signer(i).address()).collect();
    holders.extend([rollup_test_utils::signer(L1_USER).address(), coinbase, BASE_TOKEN]);
    holders.sort();
    holders.dedup();
    let mut supply = U256::ZERO;
    for a in &holders {
        supply += l2.get_balance(*a).await.unwrap();
    }
    let withdrawn: U256 = ledger.withdrawals.iter().map(|w| w.2).sum();
    let released: U256 = finalized.values().copied().sum();
    let held = anvil_l1.get_balance(diamond).await.unwrap();
    assert_eq!(
        held,
        supply + withdrawn - released,
        "Diamond = L2 supply + unfinalized withdrawals"
    );

    // No validator transaction reverted; nonces without a gap.
    let validator_txs = validator_nonces_all_succeeded(&anvil.endpoint(), diamond).await;
    eprintln!(
        "CHAOS: {kills} kills and {cuts} L1 cuts in {chaos_secs} s; acknowledged {} deposits, {} transfers, {} withdrawals ({} finalized on L1); {sealed} batches, {executed} executed; {} validator transactions, none reverted; Diamond {held} wei = L2 supply {supply} + unfinalized {}; all settled after {} s",
        ledger.deposits,
        ledger.transfers,
        ledger.withdrawals.len(),
        ledger.withdrawals.len().div_ceil(2),
        validator_txs.len(),
        withdrawn - released,
        started.elapsed().as_secs()
    );
}
