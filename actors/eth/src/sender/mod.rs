//! The eth sender actor: commits, proves and executes batches on L1.
//!
//! One L1 transaction is in flight at a time. What to send next is decided from **L1's
//! counters** (committed, verified, executed), never from local memory, so a batch is never
//! committed, proven or executed twice, and any failure is recovered by planning again:
//! - [`plan`]: the pure planner. Execute what is proven and past the execution delay, prove what
//!   is committed and has every chunk proof, commit what the tree writer applied; several
//!   batches per transaction while they fit every limit (`l1.max_tx_calldata_bytes`,
//!   `l1.max_tx_gas`, `eth_sender.max_batches_per_tx`).
//! - [`lifecycle`]: a transaction is estimated before it is signed (never signed with less gas
//!   than L1 says it needs, and split when it would pass the gas limit), recorded in redb with
//!   its raw bytes and nonce, and only then sent; followed until it is confirmed
//!   (`confirmations` blocks on top); replaced with bumped fees when stuck; closed as
//!   **reverted** (mined and failed) or **dropped** (its nonce taken by another transaction),
//!   after which the plan is rebuilt from L1's counters.
//! - [`backlog`]: back-pressure on the pool when settlement falls behind.
//!
//! L1 being down or slow is transient (retried with backoff, logged, counted); so is a
//! transaction L1 would revert now (its estimate fails): it is never sent.

mod backlog;
mod lifecycle;
pub mod plan;

use crate::error::BoxError;
use crate::store::SenderWriter;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use lifecycle::Outcome;
use plan::{Counters, Plan, PlanLimits, Ready};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_actors::settlement::backlog::BacklogWriter;
use rollup_actors::storage::batches::{BatchStore, SealedBatch, TreeResult};
use rollup_contracts::batch::{batch_proof, chunk_claims, stored_batch_info};
use rollup_contracts::bindings::IRollupChain::{
    self, BatchProof, CommitBatchInfo, StoredBatchInfo,
};
use rollup_contracts::cost::TxLimits;
use rollup_events::{fault::Point, Event, EventBus, L1Step};
use rollup_supervision::{wake_on, ChildSpec, RestartBudget, Wakeups};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Proof words of chunk jobs, stored by the prover exchange.
pub trait ProofSource: Send + Sync + 'static {
    /// The proof of job `id` (a tree version), if it is proven.
    fn proof(&self, id: u64) -> Result<Option<Vec<U256>>, BoxError>;
}

/// The sender's configuration (`[eth_sender]` and `[l1]`).
#[derive(Debug, Clone)]
pub struct EthSenderConfig {
    /// The Diamond proxy.
    pub diamond: Address,
    /// The L1's chain id.
    pub chain_id: u64,
    /// Blocks on top of a mined transaction before its step counts.
    pub confirmations: u64,
    /// Most batches in one transaction.
    pub max_batches_per_tx: usize,
    /// Most calldata and gas of one transaction (`l1.max_tx_calldata_bytes`, `l1.max_tx_gas`);
    /// the batcher seals by the same limits, so every batch fits alone.
    pub limits: TxLimits,
    /// How long a transaction may stay unmined before it is replaced.
    pub resend_after: Duration,
    /// Fee bump of a replacement, in percent.
    pub fee_bump_percent: u64,
    /// How often the sender looks for work without being woken.
    pub poll: Duration,
    /// Most sealed batches not yet committed on L1 before admission is slowed (0: no limit).
    pub max_uncommitted_batches: u64,
    /// Most state-diff records in batches not yet proven on L1 before admission is slowed
    /// (0: no limit).
    pub max_unproven_writes: u64,
    /// Longest the provers may need, at their measured rate, for the records of batches not yet
    /// proven on L1, before admission is slowed (0: no limit).
    pub max_finality_secs: u64,
}

/// Counters on the metrics endpoint.
#[derive(Debug, Default)]
pub struct SenderMetrics {
    /// Last batch committed on L1 (as read from L1).
    pub committed: AtomicU64,
    /// Last batch proven on L1.
    pub verified: AtomicU64,
    /// Last batch executed on L1.
    pub executed: AtomicU64,
    /// The sender's next nonce.
    pub nonce: AtomicU64,
    /// L1 transactions recorded and not confirmed.
    pub pending_txs: AtomicU64,
    /// L1 errors that were retried (unreachable, timeouts, estimation failures).
    pub transient_errors: AtomicU64,
    /// Transactions replaced with bumped fees.
    pub replacements: AtomicU64,
    /// Transactions mined and reverted (the plan was then rebuilt from L1's counters).
    pub reverted_txs: AtomicU64,
    /// Transactions whose nonce another transaction took.
    pub dropped_txs: AtomicU64,
    /// Sum of seal-to-confirmation times per step (ms) and their counts, commit/prove/execute.
    pub step_latency_ms_total: [AtomicU64; 3],
    /// Number of batches in `step_latency_ms_total`.
    pub step_latency_count: [AtomicU64; 3],
    /// Whether L1's counters above have been read since the process started (until then the
    /// backlog is unknown, not zero).
    pub counters_read: std::sync::atomic::AtomicBool,
    /// State-diff records of sealed batches not yet proven on L1.
    pub unproven_records: AtomicU64,
    /// The provers' measured rate, in records per thousand seconds (0: not measured).
    pub proving_rate_milli: AtomicU64,
    /// How long the provers need for `unproven_records` at that rate, in seconds (0: nothing
    /// measured or nothing waiting).
    pub proving_eta_secs: AtomicU64,
}

/// What the sender starts from.
#[derive(Clone)]
pub struct EthSenderArgs {
    /// Configuration.
    pub config: EthSenderConfig,
    /// An L1 provider (no wallet: the sender signs itself).
    pub provider: DynProvider,
    /// The operator key's wallet.
    pub wallet: EthereumWallet,
    /// The operator's address.
    pub operator: Address,
    /// The genesis batch as L1 stores it.
    pub genesis: StoredBatchInfo,
    /// Sealed batches and tree results (read-only).
    pub batches: BatchStore,
    /// The sender's tables (their one writer).
    pub store: SenderWriter,
    /// Chunk proofs.
    pub proofs: Arc<dyn ProofSource>,
    /// [`Event::TreeApplied`] and [`Event::ChunkProven`] in, [`Event::L1Confirmed`] out;
    /// fault points.
    pub events: EventBus,
    /// Counters.
    pub metrics: Arc<SenderMetrics>,
    /// Where the backlog state goes (the pool reads its gauge at admission).
    pub backlog: BacklogWriter,
    /// Chunk digests of recent batches, computed once.
    pub digests: Arc<DigestCache>,
    /// The provers' measured rate (for `max_finality_secs`); `None`: not known here.
    pub proving: Option<Arc<dyn rollup_actors::settlement::proving::ProvingLoad>>,
}

/// The chunk digests of recent batches: a native Poseidon per record (~0.1 ms) is worth keeping,
/// since every commit, prove and execute call rebuilds the stored infos of its batches. Keyed by
/// batch number and checked against the diff's keccak (a batch resealed after a revert differs).
#[derive(Debug, Default)]
pub struct DigestCache(std::sync::Mutex<std::collections::BTreeMap<u64, (B256, Vec<B256>)>>);

/// Batches whose digests [`DigestCache`] keeps.
const DIGEST_CACHE_BATCHES: usize = 256;

impl DigestCache {
    fn of(&self, b: &SealedBatch) -> Vec<B256> {
        let id = alloy::primitives::keccak256(&b.state_diff);
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, digests)) = map.get(&b.number) {
            if *seen == id {
                return digests.clone();
            }
        }
        let digests = chunk_digests(b);
        map.insert(b.number, (id, digests.clone()));
        while map.len() > DIGEST_CACHE_BATCHES {
            map.pop_first();
        }
        digests
    }
}

/// The Poseidon digest of each proof chunk of batch `b` (`CommitBatchInfo.chunkDigests`).
fn chunk_digests(b: &SealedBatch) -> Vec<B256> {
    rollup_actors::tree::ChunkClaim::digests(
        &b.state_diff,
        usize::try_from(b.chunk_records).unwrap_or(usize::MAX),
    )
}

impl std::fmt::Debug for EthSenderArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EthSenderArgs").field("config", &self.config).finish_non_exhaustive()
    }
}

use crate::error::{fatal, transient, L1Error};

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The calldata of `commitBatches` for batch `b` with its tree result.
pub fn commit_info(b: &SealedBatch, t: &TreeResult) -> CommitBatchInfo {
    commit_info_with(b, t, chunk_digests(b))
}

fn commit_info_with(b: &SealedBatch, t: &TreeResult, digests: Vec<B256>) -> CommitBatchInfo {
    CommitBatchInfo {
        batchNumber: b.number,
        timestamp: b.timestamp,
        indexRepeatedStorageChanges: t.next_free,
        newStateCommitment: t.commitment,
        numberOfLayer1Txs: U256::from(b.priority_ops),
        priorityOperationsHash: b.priority_hash,
        stateDiff: b.state_diff.clone(),
        l2Logs: b.l2_logs.clone(),
        publishedBytecodes: b.bytecodes.clone(),
        chunkRecords: b.chunk_records,
        chunkDigests: digests,
    }
}

/// The sender actor.
#[derive(Debug, Clone)]
pub struct EthSenderActor;

/// Messages of the sender.
#[derive(Debug)]
pub enum EthSenderMsg {
    /// Look for work.
    Wake,
}

/// The sender's state.
pub struct EthSenderState {
    args: EthSenderArgs,
    /// Records per batch, cached for the backlog sum.
    records: std::collections::BTreeMap<u64, u64>,
    _wakeups: Wakeups,
    backoff: Duration,
    retry_at: Option<tokio::time::Instant>,
    /// Gas added to L1's estimate, in percent: 20, doubled (up to 160) after a transaction ran
    /// out of gas, back to 20 after a confirmation.
    gas_margin_percent: u64,
}

/// The sender's child spec.
pub fn spec(args: EthSenderArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor("eth_sender", budget, EthSenderActor, args, None)
}

/// Gas added to L1's estimate of a settlement transaction, in percent.
const GAS_MARGIN_PERCENT: u64 = 20;
/// The margin after repeated out-of-gas reverts.
const MAX_GAS_MARGIN_PERCENT: u64 = 160;

impl EthSenderArgs {
    fn chain(&self) -> IRollupChain::IRollupChainInstance<DynProvider> {
        IRollupChain::new(self.config.diamond, self.provider.clone())
    }

    fn commit_info(&self, b: &SealedBatch, t: &TreeResult) -> CommitBatchInfo {
        commit_info_with(b, t, self.digests.of(b))
    }

    fn stored_info(&self, n: u64) -> Result<Option<StoredBatchInfo>, L1Error> {
        if n == 0 {
            return Ok(Some(self.genesis.clone()));
        }
        let (Some(b), Some(t)) =
            (self.batches.batch(n).map_err(fatal)?, self.batches.tree_result(n).map_err(fatal)?)
        else {
            return Ok(None);
        };
        stored_batch_info(&self.commit_info(&b, &t)).map(Some).map_err(fatal)
    }

    fn batch_proof(&self, n: u64) -> Result<Option<BatchProof>, L1Error> {
        let (Some(b), Some(t)) =
            (self.batches.batch(n).map_err(fatal)?, self.batches.tree_result(n).map_err(fatal)?)
        else {
            return Ok(None);
        };
        // The claims only: no need to copy the whole commit (diff, logs, bytecodes) for them.
        let claims =
            chunk_claims(&b.state_diff, b.chunk_records, &self.digests.of(&b)).map_err(fatal)?;
        let mut chunks = Vec::with_capacity(claims.len());
        for (i, c) in t.chunk_commitments.iter().enumerate() {
            let Some(words) = self.proofs.proof(t.base_version + 1 + i as u64).map_err(fatal)?
            else {
                return Ok(None);
            };
            chunks.push((*c, words));
        }
        Ok(Some(batch_proof(claims, chunks)))
    }

    /// What the planner needs of batch `n`.
    fn ready(&self, n: u64) -> Result<Option<Ready>, L1Error> {
        let Some(b) = self.batches.batch(n).map_err(fatal)? else { return Ok(None) };
        let tree = self.batches.tree_result(n).map_err(fatal)?;
        let proven = match &tree {
            Some(t) => (0..t.chunk_commitments.len() as u64).try_fold(true, |all, i| {
                Ok::<_, L1Error>(
                    all && self.proofs.proof(t.base_version + 1 + i).map_err(fatal)?.is_some(),
                )
            })?,
            None => false,
        };
        Ok(Some(Ready { shape: b.shape(), applied: tree.is_some(), proven }))
    }

    /// L1's counters, and the last batch whose execution delay has passed.
    async fn counters(&self) -> Result<Counters, L1Error> {
        let c = self.chain();
        let to = |v: U256| v.saturating_to::<u64>();
        let committed = to(c.getTotalBatchesCommitted().call().await.map_err(transient)?);
        let verified = to(c.getTotalBatchesVerified().call().await.map_err(transient)?);
        let executed = to(c.getTotalBatchesExecuted().call().await.map_err(transient)?);
        let m = &self.metrics;
        m.committed.store(committed, Ordering::Relaxed);
        m.verified.store(verified, Ordering::Relaxed);
        m.executed.store(executed, Ordering::Relaxed);
        m.counters_read.store(true, Ordering::Relaxed);
        let mut executable = executed;
        if verified > executed {
            let delay = to(c.getExecutionDelay().call().await.map_err(transient)?);
            if delay == 0 {
                executable = verified;
            } else {
                // Commit times grow with the batch number: stop at the first that must wait.
                let now = self
                    .provider
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                    .await
                    .map_err(transient)?
                    .map_or(0, |b| b.header.timestamp);
                let upto = verified.min(executed + self.config.max_batches_per_tx.max(1) as u64);
                for n in executed + 1..=upto {
                    let at = to(c
                        .getBatchCommitTimestamp(U256::from(n))
                        .call()
                        .await
                        .map_err(transient)?);
                    if at.saturating_add(delay) > now {
                        break;
                    }
                    executable = n;
                }
            }
        }
        Ok(Counters { committed, verified, executed, executable })
    }

    /// The calldata of `plan`.
    fn calldata(&self, plan: &Plan) -> Result<Bytes, L1Error> {
        let known =
            |n: u64, what: &str| fatal(format!("batch {n} is {what} on L1 but unknown here"));
        let data = match plan.step {
            L1Step::Execute => {
                let mut list = Vec::new();
                for n in plan.first..=plan.last {
                    list.push(self.stored_info(n)?.ok_or_else(|| known(n, "proven"))?);
                }
                IRollupChain::executeBatchesCall { batchesData: list }.abi_encode()
            }
            L1Step::Prove => {
                let prev = self
                    .stored_info(plan.first - 1)?
                    .ok_or_else(|| known(plan.first - 1, "verified"))?;
                let (mut list, mut proofs) = (Vec::new(), Vec::new());
                for n in plan.first..=plan.last {
                    list.push(self.stored_info(n)?.ok_or_else(|| known(n, "committed"))?);
                    proofs.push(
                        self.batch_proof(n)?
                            .ok_or_else(|| fatal(format!("batch {n}'s proofs are gone")))?,
                    );
                }
                IRollupChain::proveBatchesCall { prevBatch: prev, committedBatches: list, proofs }
                    .abi_encode()
            }
            L1Step::Commit => {
                let prev = self
                    .stored_info(plan.first - 1)?
                    .ok_or_else(|| known(plan.first - 1, "committed"))?;
                let mut list = Vec::new();
                for n in plan.first..=plan.last {
                    let (Some(b), Some(t)) = (
                        self.batches.batch(n).map_err(fatal)?,
                        self.batches.tree_result(n).map_err(fatal)?,
                    ) else {
                        return Err(fatal(format!("batch {n} was planned but is not applied")));
                    };
                    list.push(self.commit_info(&b, &t));
                }
                IRollupChain::commitBatchesCall {
                    lastCommittedBatchData: prev,
                    newBatchesData: list,
                }
                .abi_encode()
            }
        };
        Ok(data.into())
    }

    /// L1's gas estimate of `data`, or why L1 would revert it now.
    async fn estimate(&self, data: &Bytes) -> Result<u64, String> {
        let req = TransactionRequest::default()
            .with_from(self.operator)
            .with_to(self.config.diamond)
            .with_input(data.clone());
        self.provider.estimate_gas(req).await.map_err(|e| {
            rollup_contracts::describe_error(&alloy::contract::Error::TransportError(e))
        })
    }
}

impl EthSenderState {
    /// Follows the pending transaction, if any; `true` when the sender may send the next one.
    async fn follow_pending(&mut self) -> Result<bool, L1Error> {
        let pending = self.args.store.reader().pending().map_err(fatal)?;
        self.args.metrics.pending_txs.store(pending.len() as u64, Ordering::Relaxed);
        let Some(t) = pending.first() else { return Ok(true) };
        match self.args.follow(t).await? {
            Outcome::Waiting => Ok(false),
            Outcome::Confirmed => {
                self.gas_margin_percent = GAS_MARGIN_PERCENT;
                Ok(true)
            }
            Outcome::Failed { out_of_gas } => {
                if out_of_gas {
                    self.gas_margin_percent =
                        (self.gas_margin_percent * 2).min(MAX_GAS_MARGIN_PERCENT);
                }
                Ok(true)
            }
        }
    }

    /// One round: follow the pending transaction, or plan, estimate and send the next one.
    async fn step(&mut self) -> Result<(), L1Error> {
        if !self.follow_pending().await? {
            return Ok(());
        }
        let args = &self.args;
        let counters = args.counters().await?;
        let mut limits = PlanLimits {
            tx: args.config.limits,
            max_batches: args.config.max_batches_per_tx.max(1),
        };
        loop {
            let Some(plan) = plan::plan(counters, &limits, |n| args.ready(n))? else {
                return Ok(());
            };
            let (step, first, last) = (plan.step, plan.first, plan.last);
            let range = format!("{} of batches {first}..={last}", step.name());
            let split =
                |limits: &mut PlanLimits| limits.max_batches = (plan.batches() / 2).max(1) as usize;
            let data = args.calldata(&plan)?;
            if data.len() > limits.tx.max_calldata && plan.batches() > 1 {
                split(&mut limits);
                continue;
            }
            let estimate = match args.estimate(&data).await {
                Ok(g) => g,
                // One batch of several may be what L1 refuses now: the ones before it can go.
                Err(_) if plan.batches() > 1 => {
                    split(&mut limits);
                    continue;
                }
                Err(why) => return Err(transient(format!("{range} would revert now: {why}"))),
            };
            let mut gas = estimate + estimate * self.gas_margin_percent / 100;
            if gas > limits.tx.max_gas && plan.batches() > 1 {
                split(&mut limits);
                continue;
            }
            if gas > limits.tx.max_gas {
                let block = args
                    .provider
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                    .await
                    .map_err(transient)?
                    .map_or(0, |b| b.header.gas_limit);
                if gas > block {
                    return Err(transient(format!(
                        "{range} needs {gas} gas, more than an L1 block holds ({block}): it cannot settle as sealed"
                    )));
                }
                tracing::warn!(target: "rollup::eth_sender", first, last, gas, limit = limits.tx.max_gas, "one batch needs more than l1.max_tx_gas; sending it alone within the L1 block gas limit");
            }
            if plan.oversized {
                tracing::warn!(target: "rollup::eth_sender", first, last, calldata = plan.cost.calldata, gas_bound = plan.cost.gas, "a batch sealed under larger limits than the current ones");
            }
            if step == L1Step::Prove && args.events.faults().fires(Point::L1GasShort) {
                // Test-only: a transaction that is mined and runs out of gas.
                gas = estimate / 2;
            }
            return args.send_new((step, first, last), data, gas).await;
        }
    }

    async fn round(&mut self) -> Result<(), ActorProcessingErr> {
        let backlog = self.update_backlog();
        let result = self.round_inner().await;
        backlog?;
        result
    }

    async fn round_inner(&mut self) -> Result<(), ActorProcessingErr> {
        if self.retry_at.is_some_and(|t| tokio::time::Instant::now() < t) {
            return Ok(());
        }
        // Drain: after a confirmation the next step can go at once.
        for _ in 0..8 {
            let before = self.args.store.reader().pending_count().map_err(fatal)?;
            match self.step().await {
                Ok(()) => {
                    self.backoff = Duration::ZERO;
                    self.retry_at = None;
                }
                Err(L1Error::Transient(e)) => {
                    self.args.metrics.transient_errors.fetch_add(1, Ordering::Relaxed);
                    self.backoff = (self.backoff * 2)
                        .clamp(Duration::from_millis(500), Duration::from_secs(30));
                    self.retry_at = Some(tokio::time::Instant::now() + self.backoff);
                    tracing::warn!(target: "rollup::eth_sender", error = %e, retry_in_ms = self.backoff.as_millis() as u64, "L1 step failed; retrying");
                    return Ok(());
                }
                Err(e @ L1Error::Fatal(_)) => return Err(e.into()),
            }
            let after = self.args.store.reader().pending_count().map_err(fatal)?;
            if after >= before && after > 0 {
                return Ok(());
            }
            if after == before {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl Actor for EthSenderActor {
    type Msg = EthSenderMsg;
    type State = EthSenderState;
    type Arguments = EthSenderArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<EthSenderMsg>,
        args: EthSenderArgs,
    ) -> Result<EthSenderState, ActorProcessingErr> {
        let wakeups = wake_on(
            &myself,
            &args.events,
            |e| matches!(e, Event::TreeApplied { .. } | Event::ChunkProven { .. }),
            Some(args.config.poll),
            || EthSenderMsg::Wake,
        )?;
        tracing::info!(target: "rollup::eth_sender", operator = %args.operator, diamond = %args.config.diamond, "eth sender started");
        Ok(EthSenderState {
            args,
            records: Default::default(),
            _wakeups: wakeups,
            backoff: Duration::ZERO,
            retry_at: None,
            gas_margin_percent: GAS_MARGIN_PERCENT,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<EthSenderMsg>,
        msg: EthSenderMsg,
        state: &mut EthSenderState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            EthSenderMsg::Wake => {
                state.args.events.fault(Point::EthSender);
                state.round().await
            }
        }
    }
}
