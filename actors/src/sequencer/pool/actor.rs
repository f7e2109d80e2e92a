//! The pool actor: admission against committed state, the in-memory [`Pool`], and its redb copy.
//!
//! Invariant (persist, then announce): a submission is answered with its hash only after the
//! transaction is durably in the `pool` table. Submissions that arrive together are persisted in
//! one write transaction (group commit): the first one schedules a `Flush` message behind those
//! already queued, and the flush answers all of them.
//!
//! After a restart the actor reloads the table, re-checks every entry against the state and
//! deletes the ones that no longer apply (included meanwhile, or now invalid). In L1 mode
//! (`block_time_ms = 0`) the restarted pool then wakes the sealer, since nothing else would
//! before the next submission.
//!
//! Admission refuses what could never be included: a transaction larger than a whole block, or
//! one whose cost, with the sender's pooled transactions', exceeds its balance (the sender's
//! future transactions make way for its next executable one).

use crate::execution::validation::{
    validate_against_account, validate_block_size, validate_queued_cost, validate_stateless,
    AccountView, ValidTx,
};
use crate::sequencer::chain::{unix_now, AdmittedFeed, ChainConfig};
use crate::sequencer::pool::{Added, Pool};
use crate::sequencer::protocol::SealerMsg;
use crate::settlement::backlog::BacklogGauge;
use crate::storage::chain::{ChainStore, PoolWriter, StoreError};
use alloy::consensus::Transaction;
use alloy::primitives::{Address, Bytes, B256};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_events::{fault::Point, EventBus};
use rollup_supervision::{ActorSlot, ChildSpec, RestartBudget};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use crate::sequencer::protocol::{PoolMsg, PoolRef, SubmitError, SubmitReply};

/// The pool actor (stateless; see [`PoolState`]).
#[derive(Debug)]
pub struct PoolActor;

/// What the pool updates on the metrics endpoint.
#[derive(Debug, Default)]
pub struct PoolMetrics {
    /// Current pool size.
    pub size: AtomicU64,
}

/// What the pool actor touches.
#[derive(Debug, Clone)]
pub struct PoolArgs {
    /// Admission rules, pool limits, block size and sealing mode.
    pub config: Arc<ChainConfig>,
    /// Reads committed accounts; writes the `pool` table.
    pub store: PoolWriter,
    /// Where its own reference goes (the RPC and the sealer look it up there).
    pub slot: ActorSlot<PoolMsg>,
    /// The sealer, woken in L1 mode when transactions arrive.
    pub sealer: ActorSlot<SealerMsg>,
    /// Where admitted transactions are announced (pending-transaction subscriptions).
    pub admitted: AdmittedFeed,
    /// Settlement's back-pressure: while set, submissions are refused with its reason.
    pub backlog: BacklogGauge,
    /// Its pool size gauge.
    pub metrics: Arc<PoolMetrics>,
    /// Fault points (crash tests).
    pub events: EventBus,
}

/// The pool actor's state.
#[derive(Debug)]
pub struct PoolState {
    args: PoolArgs,
    pool: Pool,
    unflushed: Vec<(ValidTx, u64, SubmitReply)>,
    unflushed_deletes: Vec<B256>,
}

impl PoolState {
    fn store(&self) -> &ChainStore {
        self.args.store.reader()
    }

    fn account(&self, address: Address) -> Result<AccountView, StoreError> {
        self.store().account(address)
    }

    fn admit(&mut self, tx: ValidTx, now: u64) -> Result<Added, SubmitError> {
        let cfg = &self.args.config.validation;
        validate_block_size(&tx, self.args.config.max_block_bytes)?;
        // Balance and the nonce window are checked against committed state, as geth does.
        let account = self.account(tx.sender)?;
        validate_against_account(&tx, &account, cfg)?;
        // The sender's future transactions make way for its next executable one; put back if
        // it is refused after all.
        let displaced = self.pool.displace_future(&tx, account.nonce, account.balance);
        let added =
            validate_queued_cost(&tx, account.balance, self.pool.queued_cost(&tx, account.nonce))
                .map_err(SubmitError::from)
                .and_then(|()| Ok(self.pool.add(tx, account.nonce, now)?));
        match added {
            Ok(added) => {
                self.unflushed_deletes.extend(displaced.iter().map(|(t, _)| t.hash));
                Ok(added)
            }
            Err(e) => {
                self.pool.restore(displaced);
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> Result<(), ActorProcessingErr> {
        if self.unflushed.is_empty() && self.unflushed_deletes.is_empty() {
            return Ok(());
        }
        self.args.events.fault(Point::PoolBeforeFlush);
        let inserts: Vec<(B256, u64, Bytes)> =
            self.unflushed.iter().map(|(tx, t, _)| (tx.hash, *t, tx.raw.clone())).collect();
        let result = self.args.store.pool_update(&inserts, &self.unflushed_deletes);
        let pending = std::mem::take(&mut self.unflushed);
        self.unflushed_deletes.clear();
        match result {
            Ok(()) => {
                self.args.events.fault(Point::PoolAfterFlush);
                for (tx, _, reply) in pending {
                    self.args.admitted.publish(tx.hash);
                    let _ = reply.send(Ok(tx.hash));
                }
                self.args.metrics.size.store(self.pool.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                // Not durable, so not admitted: take them out again and say so.
                let e = Arc::new(e);
                for (tx, _, reply) in pending {
                    self.pool.remove(&tx.hash);
                    let _ = reply.send(Err(SubmitError::Storage(e.clone())));
                }
                Err(Box::new(e))
            }
        }
    }
}

/// How often stuck transactions are expired.
const EXPIRE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The pool's child spec: spawned from the persisted pool; its reference goes into `args.slot`.
pub fn spec(args: PoolArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::new("pool", budget, move |supervisor| {
        let args = args.clone();
        let on_demand = args.config.block_time_ms == 0;
        async move {
            let (slot, sealer) = (args.slot.clone(), args.sealer.clone());
            slot.set(None);
            let (r, _) = Actor::spawn_linked(None, PoolActor, args, supervisor).await?;
            slot.set(Some(r.clone()));
            // In L1 mode only a submission wakes the sealer: what a restarted pool restored from
            // redb is sealed now, not when the next transaction arrives. (From `pre_start` the
            // wake-up could reach the sealer before this slot is set, and be lost.)
            if on_demand {
                if let Some(sealer) = sealer.get() {
                    let _ = sealer.send_message(SealerMsg::Seal);
                }
            }
            Ok(r.get_cell())
        }
    })
}

impl Actor for PoolActor {
    type Msg = PoolMsg;
    type State = PoolState;
    type Arguments = PoolArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<PoolMsg>,
        args: PoolArgs,
    ) -> Result<PoolState, ActorProcessingErr> {
        myself.send_interval(EXPIRE_EVERY, || PoolMsg::Expire);
        let mut state = PoolState {
            pool: Pool::new(args.config.pool.clone()),
            args,
            unflushed: Vec::new(),
            unflushed_deletes: Vec::new(),
        };
        let entries = state.store().pool_entries()?;
        let mut stale = Vec::new();
        let total = entries.len();
        // Re-admit in nonce order per sender so no entry is refused for a gap.
        let mut decoded: Vec<(ValidTx, u64)> = Vec::with_capacity(total);
        for (hash, time, raw) in entries {
            match validate_stateless(&raw, &state.args.config.validation) {
                Ok(tx) if tx.hash == hash => decoded.push((tx, time)),
                _ => stale.push(hash),
            }
        }
        decoded.sort_by_key(|(tx, _)| (tx.sender, tx.envelope.nonce()));
        for (tx, time) in decoded {
            let hash = tx.hash;
            if state.admit(tx, time).is_err() {
                stale.push(hash);
            }
        }
        if !stale.is_empty() {
            state.args.store.pool_update(&[], &stale)?;
        }
        state.args.metrics.size.store(state.pool.len() as u64, Ordering::Relaxed);
        tracing::info!(
            target: "rollup::pool",
            chain = %state.args.config.name,
            restored = state.pool.len(),
            stale = stale.len(),
            "pool started"
        );
        Ok(state)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<PoolMsg>,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        // A clean stop answers what it admitted.
        state.flush()
    }

    async fn handle(
        &self,
        myself: ActorRef<PoolMsg>,
        msg: PoolMsg,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            PoolMsg::Submit(tx, reply) => {
                if let Some(why) = state.args.backlog.over() {
                    let _ = reply.send(Err(SubmitError::Backlog(why)));
                    return Ok(());
                }
                let tx = *tx;
                let now = unix_now();
                match state.admit(tx.clone(), now) {
                    Ok(added) => {
                        match added {
                            Added::New => {}
                            Added::Replaced(old) => state.unflushed_deletes.push(old),
                            Added::Evicted(gone) => state.unflushed_deletes.extend(gone),
                        }
                        if state.unflushed.is_empty() {
                            myself.send_message(PoolMsg::Flush)?;
                        }
                        state.unflushed.push((tx, now, reply));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            PoolMsg::Flush => {
                state.flush()?;
                if state.args.config.block_time_ms == 0 && !state.pool.is_empty() {
                    if let Some(sealer) = state.args.sealer.get() {
                        let _ = sealer.send_message(SealerMsg::Seal);
                    }
                }
            }
            PoolMsg::Take { max_txs, max_bytes, reply } => {
                // Never hand out a transaction that is not durable yet.
                state.flush()?;
                let senders: Vec<Address> = state.pool.senders().collect();
                let nonces: HashMap<Address, u64> =
                    senders.iter().copied().zip(state.store().nonces(&senders)?).collect();
                let account_nonce = |a| nonces.get(&a).copied().unwrap_or(0);
                let _ = reply.send(state.pool.best_within(max_txs, max_bytes, account_nonce));
            }
            PoolMsg::Sealed { removed, senders } => {
                for h in &removed {
                    state.pool.remove(h);
                }
                let mut below = Vec::new();
                for s in senders {
                    let nonce = state.account(s)?.nonce;
                    below.extend(state.pool.remove_below(s, nonce));
                }
                if !below.is_empty() {
                    state.unflushed_deletes.extend(below);
                    state.flush()?;
                }
                state.args.metrics.size.store(state.pool.len() as u64, Ordering::Relaxed);
            }
            PoolMsg::PendingNonce(address, reply) => {
                let nonce = state.account(address)?.nonce;
                let _ = reply.send(state.pool.pending_nonce(address, nonce));
            }
            PoolMsg::Get(hash, reply) => {
                let _ = reply.send(state.pool.get(&hash).cloned());
            }
            PoolMsg::Len(reply) => {
                let _ = reply.send(state.pool.len());
            }
            PoolMsg::Expire => {
                let gone = state.pool.expire(unix_now());
                if !gone.is_empty() {
                    tracing::info!(target: "rollup::pool", expired = gone.len(), "expired stuck transactions");
                    state.unflushed_deletes.extend(gone);
                    state.flush()?;
                }
            }
        }
        Ok(())
    }
}
