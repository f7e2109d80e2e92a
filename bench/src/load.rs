//! The measured window: senders, the inclusion poller and their shared book.
//!
//! Each account's sender walks its pre-signed list in nonce order, keeping at most `--window`
//! transactions unconfirmed and sending up to `--batch` of them per request. A transaction is
//! entered in the book *before* its request leaves, so a block can never carry a transaction
//! the poller does not know. The poller follows new blocks and marks a transaction included when
//! a block carrying it appears (its receipt is readable from then on); the latency is from the
//! moment its request left to that moment, with the poll period as resolution.
//!
//! A rejected transaction counts as an error and leaves a nonce gap behind it, so its sender
//! resynchronises with the node's pending nonce and re-sends from there. A re-send answered
//! "already known" is not counted again.
//!
//! Deposits go to the L1 from their account's own plan (its L1 nonces, its own window). Their
//! L2 hash is only known once the L1 has included the request (it depends on the request's
//! place in the priority queue), so a second poller follows the L1's blocks, reads the
//! `NewPriorityRequest` of each deposit in them and books the deposit under its L2 hash, its
//! send time kept: its latency runs from the L1 submission to the L2 block. While deposits are
//! tracked, the L2 poller remembers hashes it did not know, in case the L2 includes a deposit
//! before the L1 poller has read its hash.

use crate::cli::{Kind, KINDS};
use crate::contracts;
use crate::rpc::{Rpc, RpcError};
use crate::sign::Plan;
use alloy::primitives::{Address, Bytes, B256};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Distinct error messages kept with their counts; later ones are counted as "other".
const MAX_ERROR_REASONS: usize = 20;

/// Most unknown L2 hashes remembered while deposits are tracked (other users' transactions).
const MAX_ORPHANS: usize = 1_000_000;

/// How the window runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadConfig {
    /// Length of the sending window.
    pub(crate) duration: Duration,
    /// Most unconfirmed transactions per account.
    pub(crate) window: u64,
    /// Most transactions per request.
    pub(crate) batch: usize,
    /// With `--rate`, the number of plans (senders); `None`: as fast as the window lets them.
    pub(crate) paced: Option<usize>,
}

impl LoadConfig {
    /// When transaction `n` of sender `idx`'s plan of `len` is due, since the window opened:
    /// each plan is spread evenly over the window (its length is its share of `--rate x
    /// duration`, so each kind goes out at its share of the rate), the senders staggered.
    fn due(&self, idx: usize, n: usize, len: usize) -> Option<Duration> {
        self.paced.map(|plans| {
            let phase = idx as f64 / plans.max(1) as f64;
            self.duration.mul_f64((n as f64 + phase) / len.max(1) as f64)
        })
    }
}

/// A transaction sent and not yet seen in a block.
#[derive(Debug, Clone, Copy)]
struct Pending {
    account: usize,
    kind: Kind,
    at: Instant,
}

/// A transaction seen in a block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inclusion {
    /// When the poller saw it, in ms since the window opened.
    pub(crate) at_ms: u32,
    /// From its request to that moment, in microseconds.
    pub(crate) latency_us: u32,
    /// Its kind.
    pub(crate) kind: Kind,
}

/// Counters of one kind.
#[derive(Debug, Default)]
pub(crate) struct KindCounters {
    /// Transactions the node accepted.
    pub(crate) sent: AtomicU64,
    /// Of those, seen in a block.
    pub(crate) included: AtomicU64,
    /// Error answers (a transaction re-sent after one can be both an error and sent).
    pub(crate) errors: AtomicU64,
}

/// What senders and poller share; the progress line and the report read it.
#[derive(Debug)]
pub(crate) struct Book {
    /// When the window opened.
    pub(crate) started: Instant,
    pending: Mutex<HashMap<B256, Pending>>,
    in_flight: Vec<AtomicU64>,
    /// Wakes a sender whose window was full when one of its transactions is included.
    wake: Vec<Notify>,
    /// Per kind, in [`Kind::ALL`] order.
    pub(crate) kinds: [KindCounters; KINDS],
    /// Every inclusion, in the order the poller saw them.
    pub(crate) inclusions: Mutex<Vec<Inclusion>>,
    /// Whether deposits are sent: the L2 poller then keeps hashes it does not know in
    /// `orphans`, with when it saw them.
    track_orphans: bool,
    orphans: Mutex<HashMap<B256, Instant>>,
    /// Per deposit seen on L1: from its request to the L1 poller seeing it in an L1 block, µs.
    pub(crate) l1_latencies_us: Mutex<Vec<u32>>,
    /// When each accepted transaction was sent, in ms since the window opened.
    pub(crate) sends_ms: Mutex<Vec<u32>>,
    /// When each error answer came, in ms since the window opened.
    pub(crate) errors_ms: Mutex<Vec<u32>>,
    /// Error messages and their counts.
    pub(crate) reasons: Mutex<HashMap<String, u64>>,
    /// Accounts that sent their whole list before the window closed, and when the first did.
    pub(crate) ran_out: Mutex<(u64, Option<Duration>)>,
    /// When sending stopped (the window closed or was interrupted), since the window opened.
    pub(crate) sending_ended: Mutex<Option<Duration>>,
    /// The last inclusion, since the window opened.
    pub(crate) last_inclusion: Mutex<Option<Duration>>,
    /// Accepted transactions left behind a rejected nonce when their sender stopped: they can
    /// never be included, so the drain does not wait for them.
    pub(crate) stranded: AtomicU64,
    /// Set by Ctrl-C ([`Book::interrupt`]).
    pub(crate) interrupted: AtomicBool,
}

/// Locks `m`; a poisoned lock (a panicked holder) still holds consistent counters.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Book {
    /// An empty book for `senders` plans, the window opening now; `deposits`: whether any
    /// plan sends deposits.
    pub(crate) fn new(senders: usize, deposits: bool) -> Self {
        Self {
            started: Instant::now(),
            pending: Mutex::default(),
            in_flight: (0..senders).map(|_| AtomicU64::new(0)).collect(),
            wake: (0..senders).map(|_| Notify::new()).collect(),
            kinds: Default::default(),
            inclusions: Mutex::default(),
            track_orphans: deposits,
            orphans: Mutex::default(),
            l1_latencies_us: Mutex::default(),
            sends_ms: Mutex::default(),
            errors_ms: Mutex::default(),
            reasons: Mutex::default(),
            ran_out: Mutex::default(),
            sending_ended: Mutex::default(),
            last_inclusion: Mutex::default(),
            stranded: AtomicU64::new(0),
            interrupted: AtomicBool::new(false),
        }
    }

    fn ms_since_start(&self, at: Instant) -> u32 {
        at.saturating_duration_since(self.started).as_millis().min(u32::MAX as u128) as u32
    }

    /// Totals over every kind: (sent, included, errors).
    pub(crate) fn totals(&self) -> (u64, u64, u64) {
        self.kinds.iter().fold((0, 0, 0), |(s, i, e), k| {
            (
                s + k.sent.load(Ordering::Relaxed),
                i + k.included.load(Ordering::Relaxed),
                e + k.errors.load(Ordering::Relaxed),
            )
        })
    }

    /// Stops the senders (Ctrl-C); the run is reported as it stands.
    pub(crate) fn interrupt(&self) {
        self.interrupted.store(true, Ordering::Relaxed);
        for w in &self.wake {
            w.notify_one();
        }
    }

    /// Transactions sent and not yet included.
    pub(crate) fn pending(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Books inclusions seen at `seen`.
    fn include(&self, found: Vec<Pending>, seen: Instant) {
        if found.is_empty() {
            return;
        }
        let at_ms = self.ms_since_start(seen);
        let mut inclusions = lock(&self.inclusions);
        for p in found {
            self.in_flight[p.account].fetch_sub(1, Ordering::Relaxed);
            self.wake[p.account].notify_one();
            self.kinds[p.kind.index()].included.fetch_add(1, Ordering::Relaxed);
            let latency = seen.saturating_duration_since(p.at);
            inclusions.push(Inclusion {
                at_ms,
                latency_us: latency.as_micros().min(u32::MAX as u128) as u32,
                kind: p.kind,
            });
        }
        let mut last = lock(&self.last_inclusion);
        let t = seen.saturating_duration_since(self.started);
        if last.is_none_or(|l| l < t) {
            *last = Some(t);
        }
    }

    /// A deposit sent as `l1_hash` was seen on L1 at `seen`, queued as L2 transaction
    /// `l2_hash`: from now on it waits under that hash (or is included at once if the L2
    /// poller already saw it).
    fn deposit_queued(&self, l1_hash: B256, l2_hash: B256, seen: Instant) {
        let mut pending = lock(&self.pending);
        let Some(p) = pending.remove(&l1_hash) else { return };
        let us = seen.saturating_duration_since(p.at).as_micros().min(u32::MAX as u128) as u32;
        lock(&self.l1_latencies_us).push(us);
        match lock(&self.orphans).remove(&l2_hash) {
            Some(on_l2) => {
                drop(pending);
                self.include(vec![p], on_l2);
            }
            None => {
                pending.insert(l2_hash, p);
            }
        }
    }

    /// A deposit sent as `l1_hash` will never reach the L2 (`why`): an error.
    fn deposit_failed(&self, l1_hash: B256, why: &str) {
        let Some(p) = lock(&self.pending).remove(&l1_hash) else { return };
        self.in_flight[p.account].fetch_sub(1, Ordering::Relaxed);
        self.wake[p.account].notify_one();
        self.record_error(p.kind, &RpcError::Node { code: 0, message: why.to_string() });
    }

    fn record_error(&self, kind: Kind, e: &RpcError) {
        self.kinds[kind.index()].errors.fetch_add(1, Ordering::Relaxed);
        lock(&self.errors_ms).push(self.ms_since_start(Instant::now()));
        let mut reasons = lock(&self.reasons);
        let text = e.to_string();
        if reasons.contains_key(&text) || reasons.len() < MAX_ERROR_REASONS {
            *reasons.entry(text).or_default() += 1;
        } else {
            *reasons.entry("other".into()).or_default() += 1;
        }
    }
}

/// A block poller (of the L2, or of the L1 for deposits), running until [`Poller::stop`].
#[derive(Debug)]
pub(crate) struct Poller {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Poller {
    /// Follows blocks from `start_block` every `period`, booking inclusions.
    pub(crate) fn spawn(rpc: &Rpc, book: Arc<Book>, start_block: u64, period: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(poll_blocks(rpc.clone(), book, start_block, period, stop.clone()));
        Self { stop, task }
    }

    /// Follows the L1's blocks from `start_block` every `period`, moving each deposit seen in
    /// one to its L2 hash (the `NewPriorityRequest` the Diamond emitted for it).
    pub(crate) fn spawn_l1(
        rpc: &Rpc,
        book: Arc<Book>,
        start_block: u64,
        period: Duration,
        diamond: Address,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(poll_l1_blocks(
            rpc.clone(),
            book,
            start_block,
            period,
            diamond,
            stop.clone(),
        ));
        Self { stop, task }
    }

    /// Stops after the current poll.
    pub(crate) async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
    }
}

/// Sends: one sender per plan (L1 plans to `l1`), until the window closes, every plan is sent
/// or the run is interrupted. Records when sending ended.
pub(crate) async fn send(
    rpc: &Rpc,
    l1: Option<&Rpc>,
    plans: Vec<Plan>,
    cfg: LoadConfig,
    book: &Arc<Book>,
) {
    let end = book.started + cfg.duration;
    let senders: Vec<_> = plans
        .into_iter()
        .enumerate()
        .map(|(idx, plan)| {
            let rpc = if plan.l1 { l1.unwrap_or(rpc) } else { rpc };
            tokio::spawn(send_plan(idx, plan, rpc.clone(), book.clone(), cfg, end))
        })
        .collect();
    for s in senders {
        // A sender that panicked has left its counters as they were; the run goes on.
        let _ = s.await;
    }
    *lock(&book.sending_ended) = Some(book.started.elapsed());
}

/// Waits up to `drain` for every sent transaction to be included.
pub(crate) async fn drain(book: &Book, drain: Duration) {
    let drain_end = Instant::now() + drain;
    while book.pending() > 0
        && Instant::now() < drain_end
        && !book.interrupted.load(Ordering::Relaxed)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One account's sender.
async fn send_plan(
    idx: usize,
    plan: Plan,
    rpc: Rpc,
    book: Arc<Book>,
    cfg: LoadConfig,
    end: Instant,
) {
    let mut accepted = vec![false; plan.txs.len()];
    send_until_done(idx, &plan, &rpc, &book, cfg, end, &mut accepted).await;
    // Accepted transactions after the first one never accepted wait behind a nonce gap that
    // nothing will fill any more.
    let Some(gap) = accepted.iter().position(|a| !a) else { return };
    let mut pending = lock(&book.pending);
    for (tx, _) in plan.txs.iter().zip(&accepted).skip(gap + 1).filter(|(_, a)| **a) {
        if pending.remove(&tx.hash).is_some() {
            book.in_flight[idx].fetch_sub(1, Ordering::Relaxed);
            book.stranded.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Sends `plan` until the window closes, the run is interrupted or the plan is all sent.
async fn send_until_done(
    idx: usize,
    plan: &Plan,
    rpc: &Rpc,
    book: &Book,
    cfg: LoadConfig,
    end: Instant,
    accepted: &mut [bool],
) {
    let txs = &plan.txs;
    let mut next = 0usize;
    loop {
        if Instant::now() >= end || book.interrupted.load(Ordering::Relaxed) {
            return;
        }
        if next >= txs.len() {
            // A paced plan ends with the window by design.
            if plan.counts_ran_out && cfg.paced.is_none() {
                let mut ran_out = lock(&book.ran_out);
                ran_out.0 += 1;
                ran_out.1.get_or_insert(book.started.elapsed());
            }
            return;
        }
        let free = cfg.window.saturating_sub(book.in_flight[idx].load(Ordering::Relaxed)) as usize;
        if free == 0 {
            // A permit stored by an inclusion since the last wait wakes this at once.
            tokio::select! {
                _ = book.wake[idx].notified() => {}
                _ = tokio::time::sleep_until(end.into()) => {}
            }
            continue;
        }
        let now = Instant::now();
        let mut take = cfg.batch.min(free);
        if cfg.paced.is_some() {
            let due = |n: usize| cfg.due(idx, n, txs.len()).map_or(now, |d| book.started + d);
            if due(next) > now {
                tokio::select! {
                    _ = tokio::time::sleep_until(due(next).into()) => {}
                    _ = tokio::time::sleep_until(end.into()) => {}
                }
                continue;
            }
            // A late sender catches up with what is already due, a batch at a time.
            take = (1..take).take_while(|k| due(next + k) <= now).count() + 1;
        }
        let range = next..(next + take).min(txs.len());
        {
            let mut pending = lock(&book.pending);
            for i in range.clone().filter(|&i| !accepted[i]) {
                // Paced: latency counts from when it was due, not from when it could go out.
                let at = cfg.due(idx, i, txs.len()).map_or(now, |d| book.started + d);
                pending.insert(txs[i].hash, Pending { account: idx, kind: txs[i].kind, at });
                book.in_flight[idx].fetch_add(1, Ordering::Relaxed);
            }
        }
        let ids: Vec<u64> = range.clone().map(|i| i as u64).collect();
        let body = if cfg.batch == 1 {
            txs[range.start].request.to_string()
        } else {
            let mut b =
                String::with_capacity(range.len() * (txs[range.start].request.len() + 1) + 2);
            b.push('[');
            for (n, i) in range.clone().enumerate() {
                if n > 0 {
                    b.push(',');
                }
                b.push_str(&txs[i].request);
            }
            b.push(']');
            b
        };
        let results = match rpc.send_prepared(body, &ids).await {
            Ok(r) => r,
            Err(e) => ids.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut first_failed = None;
        for (i, result) in range.clone().zip(results) {
            if accepted[i] {
                continue; // re-sent after a resync: its first answer was counted
            }
            let kind = txs[i].kind;
            match result {
                Err(e) if !e.is_already_known() => {
                    if lock(&book.pending).remove(&txs[i].hash).is_some() {
                        book.in_flight[idx].fetch_sub(1, Ordering::Relaxed);
                    }
                    book.record_error(kind, &e);
                    first_failed.get_or_insert(i);
                }
                _ => {
                    accepted[i] = true;
                    book.kinds[kind.index()].sent.fetch_add(1, Ordering::Relaxed);
                    lock(&book.sends_ms).push(book.ms_since_start(now));
                }
            }
        }
        next = range.end;
        if let Some(failed) = first_failed {
            // Later nonces wait behind the gap: go back to where the node's pending nonce is.
            next = match rpc
                .quantity("eth_getTransactionCount", json!([plan.key.address, "pending"]))
                .await
            {
                Ok(n) => (n as u64).saturating_sub(plan.first_nonce).min(txs.len() as u64) as usize,
                Err(_) => failed,
            };
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The node's head block, or `None` after a pause of `period` if it did not answer.
async fn head_or_pause(rpc: &Rpc, period: Duration) -> Option<u64> {
    match rpc.quantity("eth_blockNumber", json!([])).await {
        Ok(h) => Some(h as u64),
        Err(_) => {
            tokio::time::sleep(period).await;
            None
        }
    }
}

/// Follows new blocks from `next` and books the inclusions.
async fn poll_blocks(
    rpc: Rpc,
    book: Arc<Book>,
    mut next: u64,
    period: Duration,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Some(head) = head_or_pause(&rpc, period).await else { continue };
        while next <= head {
            let Ok(block) =
                rpc.call("eth_getBlockByNumber", json!([format!("0x{next:x}"), false])).await
            else {
                break;
            };
            if block.is_null() {
                break; // a node whose head moved ahead of its block index
            }
            let seen = Instant::now();
            let mut found = Vec::new();
            {
                let mut pending = lock(&book.pending);
                for h in block_hashes(&block) {
                    if let Some(p) = pending.remove(&h) {
                        found.push(p);
                    } else if book.track_orphans {
                        // Perhaps a deposit whose L1 receipt is not read yet. Under the
                        // pending lock, as `deposit_queued` looks here under it.
                        let mut orphans = lock(&book.orphans);
                        if orphans.len() < MAX_ORPHANS {
                            orphans.insert(h, seen);
                        }
                    }
                }
            }
            book.include(found, seen);
            next += 1;
        }
        tokio::time::sleep(period).await;
    }
}

/// The transaction hashes of a block object.
fn block_hashes(block: &Value) -> Vec<B256> {
    block
        .get("transactions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|h| h.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// Follows the L1's blocks from `next`: each deposit in one is read from its receipt and moved
/// to its L2 hash ([`Book::deposit_queued`]), or counted as an error if it failed there.
async fn poll_l1_blocks(
    rpc: Rpc,
    book: Arc<Book>,
    mut next: u64,
    period: Duration,
    diamond: Address,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Some(head) = head_or_pause(&rpc, period).await else { continue };
        'blocks: while next <= head {
            let Ok(block) =
                rpc.call("eth_getBlockByNumber", json!([format!("0x{next:x}"), false])).await
            else {
                break;
            };
            if block.is_null() {
                break;
            }
            let seen = Instant::now();
            let ours: Vec<B256> = {
                let pending = lock(&book.pending);
                block_hashes(&block)
                    .into_iter()
                    .filter(|h| pending.get(h).is_some_and(|p| p.kind.on_l1()))
                    .collect()
            };
            for chunk in ours.chunks(64) {
                let calls: Vec<(&str, Value)> =
                    chunk.iter().map(|h| ("eth_getTransactionReceipt", json!([h]))).collect();
                let Ok(receipts) = rpc.batch(&calls).await else { break 'blocks };
                for (h, r) in chunk.iter().zip(receipts) {
                    // A receipt not readable yet: this block is read again at the next poll.
                    let Ok(r) = r else { break 'blocks };
                    if r.is_null() {
                        break 'blocks;
                    }
                    if r["status"] != json!("0x1") {
                        book.deposit_failed(*h, "a deposit reverted on the L1");
                        continue;
                    }
                    match queued_hash(&r, diamond) {
                        Some(l2) => book.deposit_queued(*h, l2, seen),
                        None => book.deposit_failed(
                            *h,
                            "a deposit's L1 receipt has no NewPriorityRequest of the Diamond",
                        ),
                    }
                }
            }
            next += 1;
        }
        tokio::time::sleep(period).await;
    }
}

/// The L2 hash in the `NewPriorityRequest` log `diamond` emitted in an L1 receipt.
fn queued_hash(receipt: &Value, diamond: Address) -> Option<B256> {
    let topic = format!("{:#x}", contracts::NEW_PRIORITY_REQUEST);
    receipt["logs"].as_array()?.iter().find_map(|l| {
        let from: Address = l["address"].as_str()?.parse().ok()?;
        if from != diamond || !l["topics"][0].as_str()?.eq_ignore_ascii_case(&topic) {
            return None;
        }
        let data: Bytes = l["data"].as_str()?.parse().ok()?;
        contracts::priority_tx_hash(&data)
    })
}
