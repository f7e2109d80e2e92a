//! The batcher: folds sealed L2 blocks into L1 batches.
//!
//! - Cursor: the last block of the last sealed batch (`batch_blocks`). The open batch lives in
//!   memory only; after a restart it is rebuilt from the blocks after the cursor.
//! - Wake-ups: [`Event::BlockSealed`] and a timer (for the age rule). Each wake-up adds every
//!   stored block after the open batch's last one, sealing by the [`criteria`] as it goes.
//! - Policy: while the provers keep up, a batch is sealed `max_age` after its first block, for
//!   latency; while chunks of sealed batches wait for a prover ([`ProvingLoad`]), it keeps
//!   filling up to its size limits or `max_age_behind`, so a busy slot is published and proven
//!   once instead of once per batch.
//! - A sealed batch is one redb transaction (batch, block index, published bytecodes), then
//!   [`Event::BatchSealed`]. Batch 0 is the genesis block, batched at first start.

pub mod criteria;
pub mod pubdata;

use crate::settlement::proving::ProvingLoad;
use crate::state::StateReader;
use crate::storage::batches::{BatchWriter, SealedBatch};
use crate::storage::chain::{ChainStore, StoreError};
use alloy::primitives::{Bytes, U256};
use criteria::{Limits, Totals};
use pubdata::BatchBuilder;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_contracts::batch::{bytecodes_hash, BatchClaims, L2LogsTree};
use rollup_events::{fault::Point, Event, EventBus};
use rollup_supervision::{wake_on, ChildSpec, RestartBudget, Wakeups};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the batcher looks at the open batch's age without being woken.
const TICK: Duration = Duration::from_millis(100);

/// The batcher's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatcherConfig {
    /// Seal limits.
    pub limits: Limits,
    /// Records per proof chunk (the largest circuit capacity the provers have keys for).
    pub chunk_records: u64,
}

/// Messages of the batcher.
#[derive(Debug)]
pub enum BatcherMsg {
    /// Look for new blocks and check the open batch's age.
    Wake,
}

/// The batcher actor.
#[derive(Debug, Clone)]
pub struct BatcherActor;

/// What the batcher updates on the metrics endpoint.
#[derive(Debug, Default)]
pub struct BatcherMetrics {
    /// L1 batches sealed since start.
    pub batches_sealed: AtomicU64,
}

/// What the batcher touches.
#[derive(Clone)]
pub struct BatcherArgs {
    /// Limits and chunking.
    pub config: BatcherConfig,
    /// The sealed blocks it batches (read-only).
    pub blocks: ChainStore,
    /// Where batches go (the batch tables' one writer).
    pub batches: BatchWriter,
    /// [`Event::BlockSealed`] in, [`Event::BatchSealed`] out; fault points.
    pub events: EventBus,
    /// Its counters.
    pub metrics: Arc<BatcherMetrics>,
    /// The provers' queue; `None`: nothing proves this chain's batches, seal by `max_age`.
    pub proving: Option<Arc<dyn ProvingLoad>>,
}

impl std::fmt::Debug for BatcherArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatcherArgs").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The batcher's state.
#[derive(Debug)]
pub struct BatcherState {
    args: BatcherArgs,
    open: BatchBuilder,
    /// Whether chunks of sealed batches waited for a prover when last asked.
    provers_behind: bool,
    _wakeups: Wakeups,
}

/// The batcher's child spec.
pub fn spec(args: BatcherArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor("batcher", budget, BatcherActor, args, None)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl BatcherState {
    fn last_batched(&self) -> Result<Option<u64>, StoreError> {
        self.args.batches.reader().last_batched_block()
    }

    /// Asks the provers' queue whether sealed chunks are waiting. A queue that cannot be read
    /// counts as keeping up: the batcher then seals by `max_age`, as without provers.
    fn ask_provers(&mut self) {
        self.provers_behind = match &self.args.proving {
            None => false,
            Some(p) => match p.waiting_chunks() {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(target: "rollup::batcher", error = %e, "reading the provers' queue");
                    false
                }
            },
        };
    }

    /// The open batch's size, and whether the provers are behind.
    fn totals(&self) -> Totals {
        Totals { provers_behind: self.provers_behind, ..self.open.totals() }
    }

    /// Whether the open batch may be sealed now: its timestamp (its last block's, raised above
    /// the previous batch's) must not be ahead of the wall clock. Without this a flood of blocks
    /// that each close a batch pushed batch time ahead of real time (one second per batch) until
    /// L1 refused commits as `TimestampInTheFuture`; now at most one batch is sealed per second
    /// of block time, and a full batch waits for the next second.
    fn may_seal(&self) -> Result<bool, StoreError> {
        let batches = self.args.batches.reader();
        let Some(last) = batches.last_sealed()? else { return Ok(true) };
        let prev_ts = batches.batch(last)?.map_or(0, |b| b.timestamp);
        let ts = self.open.last_timestamp().max(prev_ts + 1);
        Ok(ts <= now_ms() / 1000)
    }

    /// Seals the open batch (if any) as the next batch number.
    fn seal(&mut self, reason: &str) -> Result<(), ActorProcessingErr> {
        let open = std::mem::take(&mut self.open);
        let Some(content) = open.finish()? else { return Ok(()) };
        let batches = self.args.batches.reader();
        let number = batches.last_sealed()?.map_or(0, |n| n + 1);
        let prev_ts = match number.checked_sub(1) {
            Some(p) => batches.batch(p)?.map_or(0, |b| b.timestamp),
            None => 0,
        };
        let snap = self.args.blocks.state().snapshot()?;
        let mut bytecodes = Vec::new();
        let mut published = Vec::new();
        for h in &content.code_hashes {
            if batches.is_published(h)? {
                continue;
            }
            let code = snap.bytecode(h)?.ok_or_else(|| crate::state::StateError::Corrupt {
                table: "state_bytecodes",
                detail: format!("code hash {h} is set but its bytecode is missing"),
            })?;
            bytecodes.push(code);
            published.push(*h);
        }
        // L1 wants strictly increasing batch timestamps; blocks share seconds.
        let timestamp = content.last_timestamp.max(prev_ts + 1);
        let mut state_diff = content.diff.encode();
        if number > 0 {
            // The batch-info record (the largest key, so the diff stays sorted) binds the
            // batch's logs, priority operations and bytecodes into the proven diff.
            let logs_root = L2LogsTree::from_packed(&content.l2_logs)
                .map_err(|e| format!("batch {number}: {e}"))?
                .root();
            let claims = BatchClaims {
                number,
                timestamp,
                priority_ops: U256::from(content.priority_ops),
                priority_hash: content.priority_hash,
                logs_root,
                bytecodes_hash: bytecodes_hash(&bytecodes),
            };
            let (key, value) = claims.record();
            state_diff.extend_from_slice(key.as_slice());
            state_diff.extend_from_slice(value.as_slice());
        }
        let batch = SealedBatch {
            number,
            first_block: content.first_block,
            last_block: content.last_block,
            timestamp,
            tx_count: content.tx_count,
            chunk_records: self.args.config.chunk_records,
            state_diff: Bytes::from(state_diff),
            l2_logs: Bytes::from(content.l2_logs),
            bytecodes,
            priority_ops: content.priority_ops,
            priority_hash: content.priority_hash,
            sealed_at_ms: now_ms(),
        };
        self.args.batches.put_batch(&batch, &published, &content.tx_offsets)?;
        tracing::info!(
            target: "rollup::batcher",
            batch = number,
            blocks = %format!("{}..={}", batch.first_block, batch.last_block),
            txs = batch.tx_count,
            priority = batch.priority_ops,
            writes = batch.records(),
            chunks = batch.chunks(),
            bytecodes = batch.bytecodes.len(),
            reason,
            provers_behind = self.provers_behind,
            "batch sealed"
        );
        self.args.metrics.batches_sealed.fetch_add(1, Ordering::Relaxed);
        // The sealed batch's chunks now wait for a prover.
        self.ask_provers();
        self.args.events.fault(Point::BatchSealed);
        self.args.events.publish(Event::BatchSealed { number });
        Ok(())
    }

    /// Adds every stored block after the open batch, sealing by the criteria.
    fn catch_up(&mut self) -> Result<(), ActorProcessingErr> {
        let store = self.args.blocks.clone();
        let Some((head, _)) = store.head()? else { return Ok(()) };
        let Some(last_batched) = self.last_batched()? else {
            // Genesis: block 0 alone is batch 0.
            let header = store.header(0)?.ok_or_else(|| {
                StoreError::State(crate::state::StateError::Corrupt {
                    table: "headers",
                    detail: "no genesis".into(),
                })
            })?;
            self.open.add_block(0, header.timestamp, 0, &store.block_writes(0)?);
            return self.seal("genesis");
        };
        let limits = self.args.config.limits;
        self.ask_provers();
        let mut next = self.open.next_block(last_batched);
        while next <= head {
            let header = store.header(next)?.ok_or_else(|| {
                StoreError::State(crate::state::StateError::Corrupt {
                    table: "headers",
                    detail: format!("block {next} below head {head} is missing"),
                })
            })?;
            let writes = store.block_writes(next)?;
            let hashes = store.block_tx_hashes(next)?;
            let txs = hashes.len() as u32;
            let priority = (store.block_priority_count(next)? as usize).min(hashes.len());
            let messages = store.block_messages(next)?;
            let new_codes = self.open.unsized_codes(&writes);
            if !new_codes.is_empty() {
                let snap = store.state().snapshot()?;
                for h in new_codes {
                    let len = snap.bytecode(&h)?.map_or(0, |c| c.len());
                    self.open.note_code(h, len);
                }
            }
            let current = self.totals();
            let with = self.open.totals_with(txs as usize, priority, &writes, messages.len());
            if let Some(reason) = criteria::seal_before(&limits, &current, &with) {
                if !self.may_seal()? {
                    // Full, and its timestamp would be ahead of the clock: the next tick.
                    return Ok(());
                }
                self.seal(reason)?;
            }
            self.open.add_priority(&hashes[..priority]);
            self.open.add_messages(&messages);
            self.open.add_block(next, header.timestamp, txs, &writes);
            if let Some(reason) = criteria::seal_now(&limits, &self.totals()) {
                if self.may_seal()? {
                    self.seal(reason)?;
                }
            }
            next += 1;
        }
        if let Some(reason) = criteria::seal_now(&limits, &self.totals()) {
            if self.may_seal()? {
                self.seal(reason)?;
            }
        }
        Ok(())
    }
}

impl Actor for BatcherActor {
    type Msg = BatcherMsg;
    type State = BatcherState;
    type Arguments = BatcherArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<BatcherMsg>,
        args: BatcherArgs,
    ) -> Result<BatcherState, ActorProcessingErr> {
        let wakeups = wake_on(
            &myself,
            &args.events,
            |e| matches!(e, Event::BlockSealed { .. }),
            Some(TICK),
            || BatcherMsg::Wake,
        )?;
        Ok(BatcherState {
            args,
            open: BatchBuilder::default(),
            provers_behind: false,
            _wakeups: wakeups,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<BatcherMsg>,
        msg: BatcherMsg,
        state: &mut BatcherState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            BatcherMsg::Wake => {
                state.args.events.fault(Point::Batcher);
                state.catch_up()?;
            }
        }
        Ok(())
    }
}
