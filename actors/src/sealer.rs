//! The sealer actor: every `block_time_ms` (or, in L1 mode, as soon as the pool has something)
//! takes transactions from the pool, builds the next block on the committed state and commits
//! block, receipts, state writes and pool removals in one redb transaction. Only then are the
//! receipts readable and the block announced (persist, then announce).
//!
//! The sealer keeps nothing in memory between blocks: after a restart it continues from the
//! committed head. Empty blocks are not sealed. A block that left transactions out (by count,
//! bytes, gas or messages) is followed at once by the next; in L1 mode a pool that cannot be
//! reached (being restarted) is asked again shortly, since no tick would.

use crate::block::{build_block_with, BlockInput, BuiltBlock};
use crate::chain::{unix_now, Chain, SealedBlock};
use crate::priority_store::PriorityStore;
use crate::protocol::{ActorSlot, CoreSlots, PoolMsg};
pub use crate::protocol::{SealerMsg, SealerRef};
use crate::state::StateError;
use crate::store::StoreError;
use crate::supervision::{ChildSpec, RestartBudget};
use crate::validation::ValidTx;
use alloy::primitives::{Address, B256};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_events::{Event, EventBus};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the sealer waits for the pool to hand out transactions.
const TAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// In L1 mode, how soon the sealer asks again a pool it could not reach.
const POOL_RETRY: Duration = Duration::from_millis(50);

/// The sealer actor.
#[derive(Debug)]
pub struct SealerActor;

/// The sealer actor's state.
#[derive(Debug)]
pub struct SealerState {
    chain: Arc<Chain>,
    pool: ActorSlot<PoolMsg>,
    events: EventBus,
    /// Forwards [`Event::PriorityOpsAdded`] as [`SealerMsg::Seal`].
    listener: Option<tokio::task::JoinHandle<()>>,
}

/// The sealer's child spec: it continues from the committed head; its reference goes into
/// `slots.sealer`. Sealed blocks are announced on `events` ([`Event::BlockSealed`]).
pub fn spec(chain: Arc<Chain>, slots: CoreSlots, events: EventBus) -> ChildSpec {
    let budget = RestartBudget {
        max_restarts: chain.config.max_restarts,
        window: Duration::from_secs(chain.config.restart_window_secs),
    };
    ChildSpec::new("sealer", budget, move |supervisor| {
        let (chain, slots, events) = (chain.clone(), slots.clone(), events.clone());
        async move {
            slots.sealer.set(None);
            let args = SealerState { chain, pool: slots.pool.clone(), events, listener: None };
            let (r, _) = Actor::spawn_linked(None, SealerActor, args, supervisor).await?;
            slots.sealer.set(Some(r.clone()));
            Ok(r.get_cell())
        }
    })
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
    chain: &Chain,
    txs: Vec<ValidTx>,
    max_txs: usize,
    max_bytes: usize,
) -> Result<Option<(BuiltBlock, Vec<B256>, bool)>, StoreError> {
    let next = chain.store.next_priority()?;
    let cap = max_txs.min(crate::block::MAX_BLOCK_PRIORITY_TXS);
    // One more than the block takes tells whether some are left for the next one.
    let mut priority = PriorityStore::of(&chain.store).range_within(next, cap + 1, max_bytes)?;
    let mut left_out = priority.len() > cap;
    priority.truncate(cap);
    let bytes: usize = priority.iter().map(|op| op.raw.len()).sum();
    let room = max_txs.saturating_sub(priority.len());
    let (txs, cut) = fit(txs, room, max_bytes.saturating_sub(bytes));
    left_out |= cut;
    if priority.is_empty() && txs.is_empty() {
        return Ok(None);
    }
    let (number, parent_hash) = chain.store.head()?.ok_or_else(|| StateError::Corrupt {
        table: "headers",
        detail: "no genesis block".into(),
    })?;
    let parent_ts = chain.store.header(number)?.map(|h| h.timestamp).unwrap_or_default();
    // Several blocks may share a second; timestamps never go backwards.
    let timestamp = unix_now().max(parent_ts);
    let snap = chain.store.state().snapshot()?;
    let block = build_block_with(
        snap,
        &chain.config.spec,
        BlockInput { number: number + 1, timestamp, parent_hash },
        &priority,
        txs,
    )?;
    // Requests the gas limit or the message budget kept out wait for the next block.
    left_out |= block.transactions.iter().filter(|t| t.priority.is_some()).count() < priority.len();
    #[cfg(feature = "test-utils")]
    chain.trip(crate::chain::Fault::SealerBeforeCommit);
    let removed: Vec<B256> = block
        .transactions
        .iter()
        .filter(|t| t.priority.is_none())
        .map(|t| t.hash)
        .chain(block.dropped.iter().map(|(h, _)| *h))
        .collect();
    if block.transactions.is_empty() {
        chain.store.pool_update(&[], &removed)?;
    } else {
        chain.store.commit_block_and_pool(&block, &removed)?;
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

impl SealerActor {
    async fn seal(&self, state: &SealerState) -> Result<SealReport, ActorProcessingErr> {
        let chain = &state.chain;
        let unavailable = SealReport { pool_unavailable: true, ..SealReport::default() };
        let Some(pool) = state.pool.get() else {
            // The pool is being restarted; the next tick (or, in L1 mode, a retry) tries again.
            return Ok(unavailable);
        };
        let cfg = &chain.config;
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
        let worker = chain.clone();
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
        #[cfg(feature = "test-utils")]
        chain.trip(crate::chain::Fault::SealerAfterCommit);
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
        let m = &chain.metrics;
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
            chain.announce(SealedBlock { header: block.header, hash: block.hash, logs });
            state.events.publish(Event::BlockSealed { number });
        }
        Ok(report)
    }
}

impl Actor for SealerActor {
    type Msg = SealerMsg;
    type State = SealerState;
    type Arguments = SealerState;

    async fn pre_start(
        &self,
        myself: ActorRef<SealerMsg>,
        mut args: SealerState,
    ) -> Result<SealerState, ActorProcessingErr> {
        // A request read from L1 is sealed without waiting for a user transaction.
        let me = myself.clone();
        args.listener = Some(args.events.wake_on(
            |e| matches!(e, Event::PriorityOpsAdded { .. }),
            move || me.send_message(SealerMsg::Seal).is_ok(),
        ));
        let chain = &args.chain;
        if chain.config.block_time_ms > 0 {
            myself
                .send_after(Duration::from_millis(chain.config.block_time_ms), || SealerMsg::Tick);
        } else {
            // Anything left in the pool by a crash is sealed right away.
            myself.send_message(SealerMsg::Seal)?;
        }
        Ok(args)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<SealerMsg>,
        state: &mut SealerState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(l) = state.listener.take() {
            l.abort();
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<SealerMsg>,
        msg: SealerMsg,
        state: &mut SealerState,
    ) -> Result<(), ActorProcessingErr> {
        let started = Instant::now();
        let report = self.seal(state).await?;
        let block_time = state.chain.config.block_time_ms;
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
