//! The sealer actor: every `block_time_ms` (or, in L1 mode, as soon as the pool has something)
//! takes transactions from the pool, builds the next block on the committed state and commits
//! block, receipts, state writes and pool removals in one redb transaction. Only then are the
//! receipts readable and the block announced (persist, then announce).
//!
//! The sealer keeps nothing in memory between blocks: after a restart it continues from the
//! committed head. Empty blocks are not sealed. A block that left transactions out (by count,
//! bytes, gas or messages) is followed at once by the next; in L1 mode a pool that cannot be
//! reached (being restarted) is asked again shortly, since no tick would.
//!
//! Sealing pauses while the eth watcher's view of L1 is older than half the priority deadline
//! ([`crate::storage::priority::L1View`]): a block sealed later could leave out a request L1 has
//! and the watcher has not read, past its deadline, and L1 would refuse that batch for good.

use crate::execution::block::{build_block_with, BlockInput, BuiltBlock};
use crate::execution::validation::ValidTx;
use crate::sequencer::chain::{unix_now, BlockFeed, ChainConfig, SealedBlock};
use crate::sequencer::protocol::PoolMsg;
pub use crate::sequencer::protocol::{SealerMsg, SealerRef};
use crate::state::StateError;
use crate::storage::chain::{BlockWriter, StoreError};
use crate::storage::priority::{L1View, PriorityStore};
use alloy::primitives::{Address, B256};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_events::{fault::Point, Event, EventBus, Listener};
use rollup_supervision::{ActorSlot, ChildSpec, RestartBudget};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the sealer waits for the pool to hand out transactions.
const TAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// In L1 mode, how soon the sealer asks again a pool it could not reach.
const POOL_RETRY: Duration = Duration::from_millis(50);

/// The sealer actor.
#[derive(Debug, Clone)]
pub struct SealerActor;

/// What the sealer updates on the metrics endpoint.
#[derive(Debug, Default)]
pub struct SealerMetrics {
    /// Blocks sealed since start.
    pub blocks_sealed: AtomicU64,
    /// Transactions included since start.
    pub txs_included: AtomicU64,
    /// Transactions dropped at execution since start.
    pub txs_dropped: AtomicU64,
    /// Sum of seal latencies (build + durable commit) in microseconds.
    pub seal_micros_total: AtomicU64,
    /// Last seal latency in microseconds.
    pub seal_micros_last: AtomicU64,
    /// 1 while sealing is paused because the eth watcher's view of L1 is too old.
    pub blind: AtomicU64,
}

/// What the sealer touches.
#[derive(Debug, Clone)]
pub struct SealerArgs {
    /// Execution parameters, block limits and block time.
    pub config: Arc<ChainConfig>,
    /// Reads the head, the state and the priority requests; writes blocks (and the pool rows
    /// they include).
    pub store: BlockWriter,
    /// Where its own reference goes (the pool wakes it there in L1 mode).
    pub slot: ActorSlot<SealerMsg>,
    /// The pool it takes transactions from.
    pub pool: ActorSlot<PoolMsg>,
    /// Where sealed blocks are announced to the RPC's subscriptions.
    pub blocks: BlockFeed,
    /// Its counters.
    pub metrics: Arc<SealerMetrics>,
    /// [`Event::PriorityOpsAdded`] in, [`Event::BlockSealed`] out; fault points.
    pub events: EventBus,
}

/// The sealer actor's state.
#[derive(Debug)]
pub struct SealerState {
    args: SealerArgs,
    /// Forwards [`Event::PriorityOpsAdded`] as [`SealerMsg::Seal`].
    _listener: Listener,
}

/// The sealer's child spec: it continues from the committed head; its reference goes into
/// `args.slot`.
pub fn spec(args: SealerArgs, budget: RestartBudget) -> ChildSpec {
    let slot = Some(args.slot.clone());
    ChildSpec::actor("sealer", budget, SealerActor, args, slot)
}

/// What one seal did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealReport {
    /// Number of the sealed block, if one was sealed.
    pub block: Option<u64>,
    /// Transactions included.
    pub included: usize,
    /// Transactions dropped as unexecutable.
    pub dropped: usize,
    /// Whether the block was full (more transactions may be waiting).
    pub full: bool,
    /// Whether the pool could not be reached (being restarted, or it did not answer).
    pub pool_unavailable: bool,
}

/// Builds and commits the next block from the pending priority requests and `txs`, within
/// `max_txs` and `max_bytes` for both kinds together (priority requests first; user
/// transactions left out stay in the pool). `None` if there is nothing to include; else the
/// block, the pool removals and whether something was left out.
fn build_and_commit(
    args: &SealerArgs,
    txs: Vec<ValidTx>,
    max_txs: usize,
    max_bytes: usize,
) -> Result<Option<(BuiltBlock, Vec<B256>, bool)>, StoreError> {
    let store = args.store.reader();
    let next = store.next_priority()?;
    let cap = max_txs.min(crate::execution::block::MAX_BLOCK_PRIORITY_TXS);
    // One more than the block takes tells whether some are left for the next one.
    let mut priority = PriorityStore::of(store).range_within(next, cap + 1, max_bytes)?;
    let mut left_out = priority.len() > cap;
    priority.truncate(cap);
    let bytes: usize = priority.iter().map(|op| op.raw.len()).sum();
    let room = max_txs.saturating_sub(priority.len());
    let (txs, cut) = fit(txs, room, max_bytes.saturating_sub(bytes));
    left_out |= cut;
    if priority.is_empty() && txs.is_empty() {
        return Ok(None);
    }
    let (number, parent_hash) = store.head()?.ok_or_else(|| StateError::Corrupt {
        table: "headers",
        detail: "no genesis block".into(),
    })?;
    let parent_ts = store.header(number)?.map(|h| h.timestamp).unwrap_or_default();
    // Several blocks may share a second; timestamps never go backwards.
    let timestamp = unix_now().max(parent_ts);
    let snap = store.state().snapshot()?;
    let block = build_block_with(
        snap,
        &args.config.spec,
        BlockInput { number: number + 1, timestamp, parent_hash },
        &priority,
        txs,
    )?;
    // Requests the gas limit or the message budget kept out wait for the next block.
    left_out |= block.transactions.iter().filter(|t| t.priority.is_some()).count() < priority.len();
    args.events.fault(Point::SealerBeforeCommit);
    let removed: Vec<B256> = block
        .transactions
        .iter()
        .filter(|t| t.priority.is_none())
        .map(|t| t.hash)
        .chain(block.dropped.iter().map(|(h, _)| *h))
        .collect();
    if block.transactions.is_empty() {
        args.store.remove_from_pool(&removed)?;
    } else {
        args.store.commit_block_and_pool(&block, &removed)?;
    }
    Ok(Some((block, removed, left_out)))
}

/// The user transactions (in the pool's order) that fit `room` transactions and `bytes_left`
/// raw bytes once the priority requests are in, and whether some did not. One that does not fit
/// is skipped with its sender's later ones (they cannot run without it); smaller ones of other
/// senders still go in.
fn fit(txs: Vec<ValidTx>, room: usize, mut bytes_left: usize) -> (Vec<ValidTx>, bool) {
    let mut out = Vec::with_capacity(txs.len().min(room));
    let mut skipped: HashSet<Address> = HashSet::new();
    let mut cut = false;
    for t in txs {
        if out.len() >= room {
            return (out, true);
        }
        if t.raw.len() > bytes_left || (!skipped.is_empty() && skipped.contains(&t.sender)) {
            skipped.insert(t.sender);
            cut = true;
            continue;
        }
        bytes_left -= t.raw.len();
        out.push(t);
    }
    (out, cut)
}

/// Whether the sealer must wait for the eth watcher: past [`L1View::blind_after`] a request the
/// watcher has not read could be past its deadline, and L1 refuses for good a batch sealed after
/// a request's deadline that leaves it out. A chain without a watcher has no view and never waits.
fn blind(args: &SealerArgs) -> Result<Option<L1View>, StoreError> {
    let view = PriorityStore::of(args.store.reader()).l1_view()?;
    Ok(view.filter(|v| unix_now() > v.blind_after()))
}

impl SealerActor {
    async fn seal(&self, state: &SealerState) -> Result<SealReport, ActorProcessingErr> {
        let args = &state.args;
        let was_blind = args.metrics.blind.load(Ordering::Relaxed) == 1;
        match blind(args)? {
            Some(view) => {
                if !was_blind {
                    tracing::warn!(target: "rollup::sealer", chain = %args.config.name, l1_view_timestamp = view.timestamp, deadline_secs = view.deadline, "sealing paused: the eth watcher has not read L1 for half the priority deadline, and a request it has not read could expire unseen");
                    args.metrics.blind.store(1, Ordering::Relaxed);
                }
                return Ok(SealReport::default());
            }
            None if was_blind => {
                tracing::info!(target: "rollup::sealer", chain = %args.config.name, "sealing resumed: the eth watcher caught up with L1");
                args.metrics.blind.store(0, Ordering::Relaxed);
            }
            None => {}
        }
        let unavailable = SealReport { pool_unavailable: true, ..SealReport::default() };
        let Some(pool) = args.pool.get() else {
            // The pool is being restarted; the next tick (or, in L1 mode, a retry) tries again.
            return Ok(unavailable);
        };
        let cfg = &args.config;
        let (max_txs, max_bytes) = (cfg.max_block_txs, cfg.max_block_bytes);
        let taken = pool
            .call(|reply| PoolMsg::Take { max_txs, max_bytes, reply }, Some(TAKE_TIMEOUT))
            .await;
        let (txs, full) = match taken {
            Ok(CallResult::Success(taken)) => (taken.txs, taken.left_out),
            other => {
                tracing::warn!(target: "rollup::sealer", chain = %cfg.name, ?other, "pool did not answer; retrying");
                return Ok(unavailable);
            }
        };
        let started = Instant::now();
        let worker = args.clone();
        let built =
            tokio::task::spawn_blocking(move || build_and_commit(&worker, txs, max_txs, max_bytes))
                .await?;
        let built = match built {
            Err(StoreError::PriorityChanged { serial, number }) => {
                // The watcher forgot a request after a reorg: build the block again at once.
                tracing::warn!(target: "rollup::sealer", chain = %cfg.name, serial, block = number, "a priority request changed while the block was built; rebuilding");
                return Ok(SealReport { full: true, ..SealReport::default() });
            }
            other => other?,
        };
        let Some((block, removed, left_out)) = built else { return Ok(SealReport::default()) };
        args.events.fault(Point::SealerAfterCommit);
        let elapsed = started.elapsed().as_micros() as u64;
        let mut senders: Vec<Address> =
            block.transactions.iter().filter(|t| t.priority.is_none()).map(|t| t.sender).collect();
        senders.sort();
        senders.dedup();
        // If the pool restarted meanwhile it reloads from redb, where these are already gone.
        let _ = pool.send_message(PoolMsg::Sealed { removed, senders });
        for (hash, reason) in &block.dropped {
            tracing::info!(target: "rollup::sealer", chain = %cfg.name, tx = %hash, reason, "dropped");
        }
        let report = SealReport {
            block: (!block.transactions.is_empty()).then_some(block.header.number),
            included: block.transactions.len(),
            dropped: block.dropped.len(),
            full: full
                || left_out
                || !block.deferred.is_empty()
                || block.transactions.iter().filter(|t| t.priority.is_some()).count() >= max_txs,
            pool_unavailable: false,
        };
        let m = &args.metrics;
        m.txs_dropped.fetch_add(block.dropped.len() as u64, Ordering::Relaxed);
        if report.block.is_some() {
            m.blocks_sealed.fetch_add(1, Ordering::Relaxed);
            m.txs_included.fetch_add(report.included as u64, Ordering::Relaxed);
            m.seal_micros_total.fetch_add(elapsed, Ordering::Relaxed);
            m.seal_micros_last.store(elapsed, Ordering::Relaxed);
            tracing::debug!(
                target: "rollup::sealer",
                chain = %cfg.name,
                block = block.header.number,
                txs = report.included,
                gas = block.header.gas_used,
                micros = elapsed,
                "sealed"
            );
            let mut logs = Vec::new();
            let mut log_index = 0u64;
            for (i, t) in block.transactions.iter().enumerate() {
                for log in t.receipt.logs() {
                    logs.push((log.clone(), t.hash, i as u64, log_index));
                    log_index += 1;
                }
            }
            let number = block.header.number;
            args.blocks.publish(SealedBlock { header: block.header, hash: block.hash, logs });
            args.events.publish(Event::BlockSealed { number });
        }
        Ok(report)
    }
}

impl Actor for SealerActor {
    type Msg = SealerMsg;
    type State = SealerState;
    type Arguments = SealerArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<SealerMsg>,
        args: SealerArgs,
    ) -> Result<SealerState, ActorProcessingErr> {
        // A request read from L1 is sealed without waiting for a user transaction.
        let me = myself.clone();
        let listener = args.events.wake_on(
            |e| matches!(e, Event::PriorityOpsAdded { .. }),
            move || me.send_message(SealerMsg::Seal).is_ok(),
        );
        if args.config.block_time_ms > 0 {
            myself.send_after(Duration::from_millis(args.config.block_time_ms), || SealerMsg::Tick);
        } else {
            // Anything left in the pool by a crash is sealed right away.
            myself.send_message(SealerMsg::Seal)?;
        }
        Ok(SealerState { args, _listener: listener })
    }

    async fn handle(
        &self,
        myself: ActorRef<SealerMsg>,
        msg: SealerMsg,
        state: &mut SealerState,
    ) -> Result<(), ActorProcessingErr> {
        let started = Instant::now();
        let report = self.seal(state).await?;
        let block_time = state.args.config.block_time_ms;
        match msg {
            SealerMsg::Tick => {
                let period = Duration::from_millis(block_time);
                // A full block is followed at once by the next one.
                let wait = if report.full {
                    Duration::ZERO
                } else {
                    period.saturating_sub(started.elapsed())
                };
                myself.send_after(wait, || SealerMsg::Tick);
            }
            SealerMsg::Seal => {
                if report.full {
                    myself.send_message(SealerMsg::Seal)?;
                } else if report.pool_unavailable && block_time == 0 {
                    // No tick follows in L1 mode: what the pool holds would wait for the next
                    // submission.
                    myself.send_after(POOL_RETRY, || SealerMsg::Seal);
                }
            }
        }
        Ok(())
    }
}
