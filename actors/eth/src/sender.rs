//! The eth sender actor.
//!
//! One L1 transaction is in flight at a time, carrying up to `max_batches_per_tx` batches of one
//! step. What to send next is decided from **L1's counters** (committed, verified, executed),
//! never from local memory, so a batch is never committed, proven or executed twice:
//! 1. a transaction recorded as pending is followed until it is mined with `confirmations`
//!    blocks on top; if it is not mined within `resend_after`, it is replaced with the same nonce
//!    and fees bumped by `fee_bump_percent` (geth needs at least 10%);
//! 2. otherwise the next step is chosen: execute what is proven (after the execution delay),
//!    prove what is committed and has every chunk proof, commit what is applied to the tree.
//!
//! Every transaction is signed, then recorded in redb with its raw bytes and nonce, and only then
//! sent. At start the pending records are reconciled: a mined one is confirmed, one L1 never saw
//! is sent again unchanged. L1 being down or slow is transient (retried with backoff, logged,
//! counted); a transaction that is mined and reverts means our view and L1's disagree: that is
//! fatal and goes to the supervisor.

use crate::error::BoxError;
use crate::store::{L1Tx, SenderWriter, TxState};
use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_actors::settlement::backlog::BacklogWriter;
use rollup_actors::storage::batches::{BatchStore, SealedBatch, TreeResult};
use rollup_contracts::batch::{batch_proof, chunk_diff_hashes, stored_batch_info};
use rollup_contracts::bindings::IRollupChain::{
    self, BatchProof, CommitBatchInfo, StoredBatchInfo,
};
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
    /// Most calldata bytes in one transaction.
    pub max_calldata_bytes: usize,
    /// Most gas one transaction may use.
    pub max_gas: u64,
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
    /// Sum of seal-to-confirmation times per step (ms) and their counts, commit/prove/execute.
    pub step_latency_ms_total: [AtomicU64; 3],
    /// Number of batches in `step_latency_ms_total`.
    pub step_latency_count: [AtomicU64; 3],
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
}

impl std::fmt::Debug for EthSenderArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EthSenderArgs").field("config", &self.config).finish_non_exhaustive()
    }
}

use crate::error::{fatal, transient, L1Error};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The calldata of `commitBatches` for batch `b` with its tree result.
pub fn commit_info(b: &SealedBatch, t: &TreeResult) -> CommitBatchInfo {
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
}

/// The sender's child spec.
pub fn spec(args: EthSenderArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor("eth_sender", budget, EthSenderActor, args, None)
}

impl EthSenderArgs {
    fn chain(&self) -> IRollupChain::IRollupChainInstance<DynProvider> {
        IRollupChain::new(self.config.diamond, self.provider.clone())
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
        stored_batch_info(&commit_info(&b, &t)).map(Some).map_err(fatal)
    }

    fn batch_proof(&self, n: u64) -> Result<Option<BatchProof>, L1Error> {
        let (Some(b), Some(t)) =
            (self.batches.batch(n).map_err(fatal)?, self.batches.tree_result(n).map_err(fatal)?)
        else {
            return Ok(None);
        };
        let hashes = chunk_diff_hashes(&b.state_diff, b.chunk_records).map_err(fatal)?;
        let mut chunks = Vec::with_capacity(hashes.len());
        for (i, c) in t.chunk_commitments.iter().enumerate() {
            let Some(words) = self.proofs.proof(t.base_version + 1 + i as u64).map_err(fatal)?
            else {
                return Ok(None);
            };
            chunks.push((*c, words));
        }
        Ok(Some(batch_proof(hashes, chunks)))
    }

    /// L1's counters: committed, verified, executed.
    async fn counters(&self) -> Result<(u64, u64, u64), L1Error> {
        let c = self.chain();
        let to = |v: U256| v.saturating_to::<u64>();
        let committed = c.getTotalBatchesCommitted().call().await.map_err(transient)?;
        let verified = c.getTotalBatchesVerified().call().await.map_err(transient)?;
        let executed = c.getTotalBatchesExecuted().call().await.map_err(transient)?;
        let m = &self.metrics;
        m.committed.store(to(committed), Ordering::Relaxed);
        m.verified.store(to(verified), Ordering::Relaxed);
        m.executed.store(to(executed), Ordering::Relaxed);
        Ok((to(committed), to(verified), to(executed)))
    }

    /// The next call to make, if any: (step, first, last, calldata).
    async fn next_call(&self) -> Result<Option<(L1Step, u64, u64, Bytes)>, L1Error> {
        let (committed, verified, executed) = self.counters().await?;
        let max = self.config.max_batches_per_tx.max(1) as u64;
        let limit = self.config.max_calldata_bytes;
        // Execute what is proven.
        if verified > executed {
            let mut list = Vec::new();
            for n in executed + 1..=verified.min(executed + max) {
                match self.stored_info(n)? {
                    Some(s) => list.push(s),
                    None => {
                        return Err(fatal(format!("batch {n} is proven on L1 but unknown here")))
                    }
                }
            }
            let last = executed + list.len() as u64;
            let data = IRollupChain::executeBatchesCall { batchesData: list }.abi_encode();
            return Ok(Some((L1Step::Execute, executed + 1, last, data.into())));
        }
        // Prove what is committed and has every chunk proof.
        if committed > verified {
            let prev = self.stored_info(verified)?.ok_or_else(|| {
                fatal(format!("batch {verified} is verified on L1 but unknown here"))
            })?;
            let (mut list, mut proofs) = (Vec::new(), Vec::new());
            for n in verified + 1..=committed.min(verified + max) {
                let (Some(info), Some(proof)) = (self.stored_info(n)?, self.batch_proof(n)?) else {
                    break;
                };
                list.push(info);
                proofs.push(proof);
                let size = IRollupChain::proveBatchesCall {
                    prevBatch: prev.clone(),
                    committedBatches: list.clone(),
                    proofs: proofs.clone(),
                }
                .abi_encoded_size();
                if size > limit && list.len() > 1 {
                    list.pop();
                    proofs.pop();
                    break;
                }
            }
            if !list.is_empty() {
                let last = verified + list.len() as u64;
                let data = IRollupChain::proveBatchesCall {
                    prevBatch: prev,
                    committedBatches: list,
                    proofs,
                }
                .abi_encode();
                return Ok(Some((L1Step::Prove, verified + 1, last, data.into())));
            }
        }
        // Commit what is applied to the tree.
        let prev = self.stored_info(committed)?.ok_or_else(|| {
            fatal(format!("batch {committed} is committed on L1 but unknown here"))
        })?;
        let mut list = Vec::new();
        for n in committed + 1..=committed + max {
            let (Some(b), Some(t)) = (
                self.batches.batch(n).map_err(fatal)?,
                self.batches.tree_result(n).map_err(fatal)?,
            ) else {
                break;
            };
            list.push(commit_info(&b, &t));
            let size = IRollupChain::commitBatchesCall {
                lastCommittedBatchData: prev.clone(),
                newBatchesData: list.clone(),
            }
            .abi_encoded_size();
            if size > limit && list.len() > 1 {
                list.pop();
                break;
            }
        }
        if list.is_empty() {
            return Ok(None);
        }
        let last = committed + list.len() as u64;
        let data =
            IRollupChain::commitBatchesCall { lastCommittedBatchData: prev, newBatchesData: list }
                .abi_encode();
        Ok(Some((L1Step::Commit, committed + 1, last, data.into())))
    }

    async fn sign(
        &self,
        nonce: u64,
        data: &Bytes,
        gas: u64,
        max_fee: u128,
        priority_fee: u128,
    ) -> Result<(B256, Bytes), L1Error> {
        let req = TransactionRequest::default()
            .with_from(self.operator)
            .with_to(self.config.diamond)
            .with_input(data.clone())
            .with_nonce(nonce)
            .with_chain_id(self.config.chain_id)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority_fee);
        let envelope: TxEnvelope = req.build(&self.wallet).await.map_err(fatal)?;
        Ok((*envelope.tx_hash(), envelope.encoded_2718().into()))
    }

    async fn send_raw(&self, raw: &Bytes) -> Result<(), L1Error> {
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let msg = e.to_string();
                // Sent before (a crash between send and record update, or a re-send at start).
                if msg.contains("already known") || msg.contains("AlreadyKnown") {
                    Ok(())
                } else {
                    Err(transient(msg))
                }
            }
        }
    }

    /// The mined receipt of one of `t`'s hashes, if any.
    async fn mined(
        &self,
        t: &L1Tx,
    ) -> Result<Option<(B256, alloy::rpc::types::TransactionReceipt)>, L1Error> {
        for h in t.hashes.iter().rev() {
            if let Some(r) = self.provider.get_transaction_receipt(*h).await.map_err(transient)? {
                return Ok(Some((*h, r)));
            }
        }
        Ok(None)
    }

    /// Follows the pending transaction `t`: confirmed, still waiting, or replaced.
    async fn follow(&self, t: &L1Tx) -> Result<bool, L1Error> {
        let mut found = self.mined(t).await?;
        if found.is_none() {
            let latest =
                self.provider.get_transaction_count(self.operator).await.map_err(transient)?;
            if latest > t.nonce {
                // The nonce is used. It may be by ours, mined since the look above: look again
                // before concluding that a transaction we do not know took it.
                found = self.mined(t).await?;
                if found.is_none() {
                    tracing::warn!(target: "rollup::eth_sender", nonce = t.nonce, "nonce used by a transaction we do not know; dropping the record");
                    let mut dropped = t.clone();
                    dropped.state = TxState::Confirmed;
                    self.store.put(&dropped).map_err(fatal)?;
                    return Ok(true);
                }
            }
        }
        if let Some((h, receipt)) = found {
            let mined_in = receipt.block_number.unwrap_or_default();
            let head = self.provider.get_block_number().await.map_err(transient)?;
            if head < mined_in + self.config.confirmations {
                return Ok(false);
            }
            if !receipt.status() {
                return Err(fatal(format!(
                    "L1 reverted our {} of batches {}..={} (tx {h}): our state and L1's disagree",
                    t.step.name(),
                    t.first,
                    t.last
                )));
            }
            let now = now_ms();
            self.store.confirm(t, h, now).map_err(fatal)?;
            let i = t.step as usize;
            for b in t.first..=t.last {
                if let Ok(Some(batch)) = self.batches.batch(b) {
                    self.metrics.step_latency_ms_total[i]
                        .fetch_add(now.saturating_sub(batch.sealed_at_ms), Ordering::Relaxed);
                    self.metrics.step_latency_count[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            tracing::info!(target: "rollup::eth_sender", step = t.step.name(), first = t.first, last = t.last, tx = %h, nonce = t.nonce, "confirmed on L1");
            self.events.publish(Event::L1Confirmed { step: t.step, last: t.last });
            return Ok(true);
        }
        if now_ms().saturating_sub(t.sent_at_ms) < self.config.resend_after.as_millis() as u64 {
            // Make sure L1 has it (after a restart it may not).
            self.send_raw(&t.raw).await?;
            return Ok(false);
        }
        // Stuck: replace with bumped fees (geth wants +10% on both caps).
        let bump = |v: u128| v + v * u128::from(self.config.fee_bump_percent.max(10)) / 100 + 1;
        let est = self.provider.estimate_eip1559_fees().await.map_err(transient)?;
        // A fee spike shows in the next block's base fee before it shows in the history the
        // estimate reads: cover twice the pending block's base fee too.
        let pending_base = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Pending)
            .await
            .ok()
            .flatten()
            .and_then(|b| b.header.base_fee_per_gas)
            .map_or(0, u128::from);
        let priority_fee = bump(t.priority_fee).max(est.max_priority_fee_per_gas);
        let max_fee = bump(t.max_fee).max(est.max_fee_per_gas).max(2 * pending_base + priority_fee);
        let data = call_data(&t.raw)?;
        let (hash, raw) = self.sign(t.nonce, &data, t.gas, max_fee, priority_fee).await?;
        let mut next = t.clone();
        next.hashes.push(hash);
        next.raw = raw.clone();
        next.max_fee = max_fee;
        next.priority_fee = priority_fee;
        next.sent_at_ms = now_ms();
        self.store.put(&next).map_err(fatal)?;
        self.metrics.replacements.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "rollup::eth_sender", nonce = t.nonce, tx = %hash, max_fee, "replacing a stuck transaction with bumped fees");
        self.send_raw(&raw).await?;
        Ok(false)
    }

    /// One round: follow the pending transaction, or send the next one.
    async fn step(&self) -> Result<(), L1Error> {
        let pending = self.store.reader().pending().map_err(fatal)?;
        self.metrics.pending_txs.store(pending.len() as u64, Ordering::Relaxed);
        if let Some(t) = pending.first() {
            if !self.follow(t).await? {
                return Ok(());
            }
        }
        let Some((step, first, last, data)) = self.next_call().await? else { return Ok(()) };
        let nonce = self
            .provider
            .get_transaction_count(self.operator)
            .pending()
            .await
            .map_err(transient)?;
        self.metrics.nonce.store(nonce, Ordering::Relaxed);
        let req = TransactionRequest::default()
            .with_from(self.operator)
            .with_to(self.config.diamond)
            .with_input(data.clone());
        let gas = match self.provider.estimate_gas(req).await {
            Ok(g) => g,
            Err(e) => {
                let why =
                    rollup_contracts::describe_error(&alloy::contract::Error::TransportError(e));
                return Err(transient(format!(
                    "{} of batches {first}..={last} would revert now: {why}",
                    step.name()
                )));
            }
        };
        let gas = (gas + gas / 5).min(self.config.max_gas);
        let est = self.provider.estimate_eip1559_fees().await.map_err(transient)?;
        let (hash, raw) =
            self.sign(nonce, &data, gas, est.max_fee_per_gas, est.max_priority_fee_per_gas).await?;
        let record = L1Tx {
            nonce,
            step,
            first,
            last,
            hashes: vec![hash],
            raw: raw.clone(),
            max_fee: est.max_fee_per_gas,
            priority_fee: est.max_priority_fee_per_gas,
            gas,
            sent_at_ms: now_ms(),
            state: TxState::Pending,
            mined: None,
        };
        // Recorded before it is sent: a crash from here on re-sends these exact bytes.
        self.store.put(&record).map_err(fatal)?;
        self.events.fault(Point::L1TxRecorded);
        tracing::info!(target: "rollup::eth_sender", step = step.name(), first, last, nonce, tx = %hash, gas, "sending");
        self.send_raw(&raw).await?;
        self.events.fault(Point::L1TxSent);
        Ok(())
    }
}

/// The input of a signed transaction (to re-sign it with other fees).
fn call_data(raw: &Bytes) -> Result<Bytes, L1Error> {
    use alloy::consensus::Transaction;
    use alloy::eips::eip2718::Decodable2718;
    let tx = TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(fatal)?;
    Ok(tx.input().clone())
}

impl EthSenderState {
    /// Compares the backlog (from the last L1 counters seen) with the limits and tells the pool.
    fn update_backlog(&mut self) -> Result<(), L1Error> {
        let cfg = &self.args.config;
        if cfg.max_uncommitted_batches == 0 && cfg.max_unproven_writes == 0 {
            return Ok(());
        }
        let last = self.args.batches.last_sealed().map_err(fatal)?.unwrap_or_default();
        let committed = self.args.metrics.committed.load(Ordering::Relaxed);
        let verified = self.args.metrics.verified.load(Ordering::Relaxed);
        let mut why = None;
        let uncommitted = last.saturating_sub(committed);
        if cfg.max_uncommitted_batches > 0 && uncommitted > cfg.max_uncommitted_batches {
            why = Some(format!(
                "settlement is behind: {uncommitted} batches wait to be committed on L1 (limit {}); retry later",
                cfg.max_uncommitted_batches
            ));
        }
        if why.is_none() && cfg.max_unproven_writes > 0 {
            self.records.retain(|b, _| *b > verified);
            let mut unproven = 0;
            for b in verified + 1..=last {
                let n = match self.records.get(&b) {
                    Some(n) => *n,
                    None => {
                        let n = self
                            .args
                            .batches
                            .batch(b)
                            .map_err(fatal)?
                            .map_or(0, |x| x.records() as u64);
                        self.records.insert(b, n);
                        n
                    }
                };
                unproven += n;
            }
            if unproven > cfg.max_unproven_writes {
                why = Some(format!(
                    "settlement is behind: {unproven} state writes wait for proofs (limit {}); retry later",
                    cfg.max_unproven_writes
                ));
            }
        }
        self.args.backlog.set(why);
        Ok(())
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
            match self.args.step().await {
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
