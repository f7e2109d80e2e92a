//! The sealer actor: every `block_time_ms` (or, in L1 mode, as soon as the pool has something)
//! takes transactions from the pool, builds the next block on the committed state and commits
//! block, receipts, state writes and pool removals in one redb transaction. Only then are the
//! receipts readable and the block announced (persist, then announce).
//!
//! The sealer keeps nothing in memory between blocks: after a restart it continues from the
//! committed head. Empty blocks are not sealed.

use crate::block::{build_block, BlockInput, BuiltBlock};
use crate::chain::{unix_now, Chain, SealedBlock};
use crate::pool_actor::PoolMsg;
use crate::state::StateError;
use crate::store::StoreError;
use crate::validation::ValidTx;
use alloy::primitives::{Address, B256};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reference to the running sealer actor.
pub type SealerRef = ActorRef<SealerMsg>;

/// How long the sealer waits for the pool to hand out transactions.
const TAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Messages of the sealer actor.
#[derive(Debug)]
pub enum SealerMsg {
    /// The block timer fired.
    Tick,
    /// Seal now if there is anything to seal (L1 mode, or a full block left transactions behind).
    Seal,
}

/// The sealer actor.
#[derive(Debug)]
pub struct SealerActor;

/// The sealer actor's state.
#[derive(Debug)]
pub struct SealerState {
    chain: Arc<Chain>,
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
}

fn build_and_commit(
    chain: &Chain,
    txs: Vec<ValidTx>,
) -> Result<(BuiltBlock, Vec<B256>), StoreError> {
    let (number, parent_hash) = chain.store.head()?.ok_or_else(|| StateError::Corrupt {
        table: "headers",
        detail: "no genesis block".into(),
    })?;
    let parent_ts = chain.store.header(number)?.map(|h| h.timestamp).unwrap_or_default();
    // Several blocks may share a second; timestamps never go backwards.
    let timestamp = unix_now().max(parent_ts);
    let snap = chain.store.state().snapshot()?;
    let block = build_block(
        snap,
        &chain.config.spec,
        BlockInput { number: number + 1, timestamp, parent_hash },
        txs,
    )?;
    #[cfg(feature = "test-utils")]
    chain.trip(crate::chain::Fault::SealerBeforeCommit);
    let removed: Vec<B256> = block
        .transactions
        .iter()
        .map(|t| t.tx.hash)
        .chain(block.dropped.iter().map(|(h, _)| *h))
        .collect();
    if block.transactions.is_empty() {
        chain.store.pool_update(&[], &removed)?;
    } else {
        chain.store.commit_block_and_pool(&block, &removed)?;
    }
    Ok((block, removed))
}

impl SealerActor {
    async fn seal(&self, chain: &Arc<Chain>) -> Result<SealReport, ActorProcessingErr> {
        let Some(pool) = chain.pool() else {
            // The pool is being restarted; the next tick tries again.
            return Ok(SealReport::default());
        };
        let cfg = &chain.config;
        let (max_txs, max_bytes) = (cfg.max_block_txs, cfg.max_block_bytes);
        let taken = pool
            .call(|reply| PoolMsg::Take { max_txs, max_bytes, reply }, Some(TAKE_TIMEOUT))
            .await;
        let txs = match taken {
            Ok(CallResult::Success(txs)) => txs,
            other => {
                tracing::warn!(target: "rollup::sealer", chain = %cfg.name, ?other, "pool did not answer; retrying next tick");
                return Ok(SealReport::default());
            }
        };
        if txs.is_empty() {
            return Ok(SealReport::default());
        }
        let full = txs.len() >= max_txs;
        let started = Instant::now();
        let worker = chain.clone();
        let (block, removed) =
            tokio::task::spawn_blocking(move || build_and_commit(&worker, txs)).await??;
        #[cfg(feature = "test-utils")]
        chain.trip(crate::chain::Fault::SealerAfterCommit);
        let elapsed = started.elapsed().as_micros() as u64;
        let mut senders: Vec<Address> = block.transactions.iter().map(|t| t.tx.sender).collect();
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
            full: full || !block.deferred.is_empty(),
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
                    logs.push((log.clone(), t.tx.hash, i as u64, log_index));
                    log_index += 1;
                }
            }
            chain.announce(SealedBlock { header: block.header, hash: block.hash, logs });
        }
        Ok(report)
    }
}

impl Actor for SealerActor {
    type Msg = SealerMsg;
    type State = SealerState;
    type Arguments = Arc<Chain>;

    async fn pre_start(
        &self,
        myself: ActorRef<SealerMsg>,
        chain: Arc<Chain>,
    ) -> Result<SealerState, ActorProcessingErr> {
        if chain.config.block_time_ms > 0 {
            myself
                .send_after(Duration::from_millis(chain.config.block_time_ms), || SealerMsg::Tick);
        } else {
            // Anything left in the pool by a crash is sealed right away.
            myself.send_message(SealerMsg::Seal)?;
        }
        Ok(SealerState { chain })
    }

    async fn handle(
        &self,
        myself: ActorRef<SealerMsg>,
        msg: SealerMsg,
        state: &mut SealerState,
    ) -> Result<(), ActorProcessingErr> {
        let started = Instant::now();
        let report = self.seal(&state.chain).await?;
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
                }
            }
        }
        Ok(())
    }
}
