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
//! one whose cost, with the sender's pooled transactions', exceeds its balance.

use crate::chain::{unix_now, Chain};
use crate::pool::{Added, Pool};
use crate::protocol::{ActorSlot, SealerMsg};
use crate::store::StoreError;
use crate::supervision::{ChildSpec, RestartBudget};
use crate::validation::{
    validate_against_account, validate_block_size, validate_queued_cost, validate_stateless,
    AccountView, ValidTx,
};
use alloy::consensus::Transaction;
use alloy::primitives::{Address, Bytes, B256};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub use crate::protocol::{PoolMsg, PoolRef, SubmitError, SubmitReply};

/// The pool actor (stateless; see [`PoolState`]).
#[derive(Debug)]
pub struct PoolActor;

/// The pool actor's state.
#[derive(Debug)]
pub struct PoolState {
    chain: Arc<Chain>,
    sealer: ActorSlot<SealerMsg>,
    pool: Pool,
    unflushed: Vec<(ValidTx, u64, SubmitReply)>,
    unflushed_deletes: Vec<B256>,
}

impl PoolState {
    fn account(&self, address: Address) -> Result<AccountView, StoreError> {
        self.chain.account(address)
    }

    fn admit(&mut self, tx: ValidTx, now: u64) -> Result<Added, SubmitError> {
        let cfg = &self.chain.config.validation;
        validate_block_size(&tx, self.chain.config.max_block_bytes)?;
        // Balance and the nonce window are checked against committed state, as geth does.
        let account = self.account(tx.sender)?;
        validate_against_account(&tx, &account, cfg)?;
        validate_queued_cost(&tx, account.balance, self.pool.queued_cost(&tx, account.nonce))?;
        Ok(self.pool.add(tx, account.nonce, now)?)
    }

    fn flush(&mut self) -> Result<(), ActorProcessingErr> {
        if self.unflushed.is_empty() && self.unflushed_deletes.is_empty() {
            return Ok(());
        }
        #[cfg(feature = "test-utils")]
        self.chain.trip(crate::chain::Fault::PoolBeforeFlush);
        let inserts: Vec<(B256, u64, Bytes)> =
            self.unflushed.iter().map(|(tx, t, _)| (tx.hash, *t, tx.raw.clone())).collect();
        let result = self.chain.store.pool_update(&inserts, &self.unflushed_deletes);
        let pending = std::mem::take(&mut self.unflushed);
        self.unflushed_deletes.clear();
        match result {
            Ok(()) => {
                #[cfg(feature = "test-utils")]
                self.chain.trip(crate::chain::Fault::PoolAfterFlush);
                for (tx, _, reply) in pending {
                    self.chain.announce_admitted(tx.hash);
                    let _ = reply.send(Ok(tx.hash));
                }
                self.chain.metrics.pool_size.store(self.pool.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                // Not durable, so not admitted: take them out again and say so.
                for (tx, _, reply) in pending {
                    self.pool.remove(&tx.hash);
                    let _ = reply.send(Err(SubmitError::Storage(e.to_string())));
                }
                Err(e.into())
            }
        }
    }
}

/// How often stuck transactions are expired.
const EXPIRE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The pool's child spec: spawned from the persisted pool; its reference goes into `slots.pool`.
pub fn spec(chain: Arc<Chain>, slots: crate::protocol::CoreSlots) -> ChildSpec {
    let budget = RestartBudget {
        max_restarts: chain.config.max_restarts,
        window: std::time::Duration::from_secs(chain.config.restart_window_secs),
    };
    ChildSpec::new("pool", budget, move |supervisor| {
        let (chain, slots) = (chain.clone(), slots.clone());
        let on_demand = chain.config.block_time_ms == 0;
        async move {
            slots.pool.set(None);
            let (r, _) =
                Actor::spawn_linked(None, PoolActor, (chain, slots.sealer.clone()), supervisor)
                    .await?;
            slots.pool.set(Some(r.clone()));
            // In L1 mode only a submission wakes the sealer: what a restarted pool restored from
            // redb is sealed now, not when the next transaction arrives. (From `pre_start` the
            // wake-up could reach the sealer before this slot is set, and be lost.)
            if on_demand {
                if let Some(sealer) = slots.sealer.get() {
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
    type Arguments = (Arc<Chain>, ActorSlot<SealerMsg>);

    async fn pre_start(
        &self,
        myself: ActorRef<PoolMsg>,
        (chain, sealer): (Arc<Chain>, ActorSlot<SealerMsg>),
    ) -> Result<PoolState, ActorProcessingErr> {
        myself.send_interval(EXPIRE_EVERY, || PoolMsg::Expire);
        let mut state = PoolState {
            pool: Pool::new(chain.config.pool.clone()),
            chain,
            sealer,
            unflushed: Vec::new(),
            unflushed_deletes: Vec::new(),
        };
        let entries = state.chain.store.pool_entries()?;
        let mut stale = Vec::new();
        let total = entries.len();
        // Re-admit in nonce order per sender so no entry is refused for a gap.
        let mut decoded: Vec<(ValidTx, u64)> = Vec::with_capacity(total);
        for (hash, time, raw) in entries {
            match validate_stateless(&raw, &state.chain.config.validation) {
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
            state.chain.store.pool_update(&[], &stale)?;
        }
        state.chain.metrics.pool_size.store(state.pool.len() as u64, Ordering::Relaxed);
        tracing::info!(
            target: "rollup::pool",
            chain = %state.chain.config.name,
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
                if let Some(why) = state.chain.backlog.over() {
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
                if state.chain.config.block_time_ms == 0 && !state.pool.is_empty() {
                    if let Some(sealer) = state.sealer.get() {
                        let _ = sealer.send_message(SealerMsg::Seal);
                    }
                }
            }
            PoolMsg::Take { max_txs, max_bytes, reply } => {
                // Never hand out a transaction that is not durable yet.
                state.flush()?;
                let senders: Vec<Address> = state.pool.senders().collect();
                let nonces: HashMap<Address, u64> =
                    senders.iter().copied().zip(state.chain.nonces(&senders)?).collect();
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
                state.chain.metrics.pool_size.store(state.pool.len() as u64, Ordering::Relaxed);
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
