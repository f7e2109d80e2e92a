//! The prover exchange: a persisted queue of proof jobs with leases.
//!
//! - Jobs are persisted (redb) when enqueued and removed in the same transaction that stores
//!   their proof, so a restart loses neither.
//! - A lease hands the lowest unproven, unleased batch to one prover; it expires unless renewed
//!   by heartbeats, and the job is handed out again. Leases live in memory: after a restart every
//!   job is simply free again.
//! - A submitted proof is verified against the job's public inputs before it is stored. An
//!   invalid one is refused and its job freed for another prover; a proof for a batch already
//!   proven is acknowledged as a duplicate and changes nothing (late provers are harmless).

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use ark_bn254::Bn254;
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, VerifyingKey};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::{job::ProofJob, ProofWords};

/// batch -> JSON of the [`ProofJob`].
const JOBS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("prover_jobs");
/// batch -> JSON of the [`ProofWords`].
const PROOFS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("prover_proofs");

/// Exchange errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// No such job (never enqueued).
    #[error("no proof job for batch {0}")]
    UnknownBatch(u64),
    /// The proof does not verify for the job; the job is free for another prover.
    #[error("invalid proof for batch {batch}: {reason}")]
    InvalidProof {
        /// The batch.
        batch: u64,
        /// Why.
        reason: String,
    },
    /// Storage failed.
    #[error("prover exchange storage: {0}")]
    Storage(String),
}

fn storage(e: impl std::fmt::Display) -> ExchangeError {
    ExchangeError::Storage(e.to_string())
}

/// A job handed to a prover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeasedJob {
    /// Identifies the lease in heartbeats and submissions.
    pub lease_id: u64,
    /// How long the lease lasts without a heartbeat, in milliseconds.
    pub lease_ms: u64,
    /// The job.
    pub job: ProofJob,
}

/// What happened to a submitted proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Submitted {
    /// Verified and stored.
    Accepted,
    /// The batch was already proven; nothing changed.
    Duplicate,
}

/// Queue counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStatus {
    /// Jobs waiting or being proven.
    pub pending: usize,
    /// Of those, leased right now.
    pub leased: usize,
    /// Proofs stored.
    pub proven: usize,
}

struct Lease {
    id: u64,
    worker: String,
    deadline: Instant,
}

/// The queue itself (the actor's state; usable without an actor in tests).
pub struct JobQueue {
    db: Arc<Database>,
    vks: BTreeMap<usize, PreparedVerifyingKey<Bn254>>,
    lease_timeout: Duration,
    pending: BTreeMap<u64, ProofJob>,
    leases: HashMap<u64, Lease>,
    next_lease: u64,
}

impl JobQueue {
    /// Open the queue at `path` with the verifying keys (by capacity) proofs are checked against.
    pub fn open(
        path: &Path,
        vks: &[(usize, VerifyingKey<Bn254>)],
        lease_timeout: Duration,
    ) -> Result<Self, ExchangeError> {
        let db = Arc::new(Database::create(path).map_err(storage)?);
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(JOBS).map_err(storage)?;
        tx.open_table(PROOFS).map_err(storage)?;
        tx.commit().map_err(storage)?;
        let mut pending = BTreeMap::new();
        {
            let rtx = db.begin_read().map_err(storage)?;
            let jobs = rtx.open_table(JOBS).map_err(storage)?;
            for entry in jobs.iter().map_err(storage)? {
                let (batch, raw) = entry.map_err(storage)?;
                let job: ProofJob = serde_json::from_slice(raw.value()).map_err(storage)?;
                pending.insert(batch.value(), job);
            }
        }
        Ok(Self {
            db,
            vks: vks.iter().map(|(c, vk)| (*c, prepare_verifying_key(vk))).collect(),
            lease_timeout,
            pending,
            leases: HashMap::new(),
            next_lease: 1,
        })
    }

    /// Add a job. Enqueuing a batch that is queued or proven already is a no-op.
    pub fn enqueue(&mut self, job: ProofJob) -> Result<(), ExchangeError> {
        if self.pending.contains_key(&job.batch) || self.proof(job.batch)?.is_some() {
            return Ok(());
        }
        let raw = serde_json::to_vec(&job).map_err(storage)?;
        let tx = self.db.begin_write().map_err(storage)?;
        tx.open_table(JOBS).map_err(storage)?.insert(job.batch, &raw[..]).map_err(storage)?;
        tx.commit().map_err(storage)?;
        self.pending.insert(job.batch, job);
        Ok(())
    }

    /// Lease the lowest pending batch that no live lease holds.
    pub fn lease(&mut self, worker: &str, now: Instant) -> Option<LeasedJob> {
        self.leases.retain(|_, l| l.deadline > now);
        let job = self.pending.values().find(|j| !self.leases.contains_key(&j.batch))?.clone();
        let id = self.next_lease;
        self.next_lease += 1;
        let lease = Lease { id, worker: worker.to_owned(), deadline: now + self.lease_timeout };
        self.leases.insert(job.batch, lease);
        tracing::info!(target: "rollup::prover", batch = job.batch, lease = id, worker, "job leased");
        Some(LeasedJob { lease_id: id, lease_ms: self.lease_timeout.as_millis() as u64, job })
    }

    /// Renew a lease; `false` if it is unknown or expired (the job may be with another prover).
    pub fn heartbeat(&mut self, lease_id: u64, now: Instant) -> bool {
        match self.leases.values_mut().find(|l| l.id == lease_id && l.deadline > now) {
            Some(l) => {
                l.deadline = now + self.lease_timeout;
                true
            }
            None => false,
        }
    }

    /// Verify and store a proof. Any prover may submit for a pending batch: a valid proof is
    /// accepted whether or not its lease is still live.
    pub fn submit(&mut self, batch: u64, proof: &ProofWords) -> Result<Submitted, ExchangeError> {
        if self.proof(batch)?.is_some() {
            return Ok(Submitted::Duplicate);
        }
        let job = self.pending.get(&batch).ok_or(ExchangeError::UnknownBatch(batch))?;
        if let Err(reason) = self.check(job, proof) {
            // Free the job: whoever holds it produced garbage.
            if let Some(l) = self.leases.remove(&batch) {
                tracing::warn!(target: "rollup::prover", batch, worker = %l.worker, %reason, "invalid proof refused; job re-queued");
            }
            return Err(ExchangeError::InvalidProof { batch, reason });
        }
        let raw = serde_json::to_vec(proof).map_err(storage)?;
        let tx = self.db.begin_write().map_err(storage)?;
        tx.open_table(PROOFS).map_err(storage)?.insert(batch, &raw[..]).map_err(storage)?;
        tx.open_table(JOBS).map_err(storage)?.remove(batch).map_err(storage)?;
        tx.commit().map_err(storage)?;
        self.pending.remove(&batch);
        let worker = self.leases.remove(&batch).map(|l| l.worker).unwrap_or_default();
        tracing::info!(target: "rollup::prover", batch, worker, "proof accepted");
        Ok(Submitted::Accepted)
    }

    fn check(&self, job: &ProofJob, proof: &ProofWords) -> Result<(), String> {
        let (capacity, p) = proof.decode().ok_or("malformed proof words")?;
        let vk =
            self.vks.get(&capacity).ok_or_else(|| format!("no key for capacity {capacity}"))?;
        if capacity < job.witness.records.len() {
            return Err(format!(
                "capacity {capacity} is below the batch's {} records",
                job.witness.records.len()
            ));
        }
        let inputs = job.public_inputs().ok_or("the job has no valid public inputs")?;
        match Groth16::<Bn254>::verify_proof(vk, &p, &inputs) {
            Ok(true) => Ok(()),
            _ => Err("the proof does not verify".into()),
        }
    }

    /// The stored proof of `batch`.
    pub fn proof(&self, batch: u64) -> Result<Option<ProofWords>, ExchangeError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(PROOFS).map_err(storage)?;
        let raw = table.get(batch).map_err(storage)?;
        raw.map(|r| serde_json::from_slice(r.value()).map_err(storage)).transpose()
    }

    /// Counters.
    pub fn status(&self, now: Instant) -> Result<QueueStatus, ExchangeError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let proven = tx.open_table(PROOFS).map_err(storage)?.len().map_err(storage)?;
        let leased = self.leases.values().filter(|l| l.deadline > now).count();
        Ok(QueueStatus { pending: self.pending.len(), leased, proven: proven as usize })
    }
}

/// Messages of the [`ExchangeActor`].
pub enum ExchangeMsg {
    /// Add a job.
    Enqueue(Box<ProofJob>, RpcReplyPort<Result<(), ExchangeError>>),
    /// Lease the next job for the named prover.
    Lease(String, RpcReplyPort<Option<LeasedJob>>),
    /// Renew a lease.
    Heartbeat(u64, RpcReplyPort<bool>),
    /// Submit a proof for a batch.
    Submit(u64, Box<ProofWords>, RpcReplyPort<Result<Submitted, ExchangeError>>),
    /// The stored proof of a batch.
    Proof(u64, RpcReplyPort<Result<Option<ProofWords>, ExchangeError>>),
    /// Counters.
    Status(RpcReplyPort<Result<QueueStatus, ExchangeError>>),
}

/// Reference to the exchange.
pub type ExchangeRef = ActorRef<ExchangeMsg>;

/// The exchange actor. Every step that changes the queue is one redb transaction, committed
/// before the reply. Proven batches are announced on the broadcast channel.
pub struct ExchangeActor;

/// What the exchange starts from.
pub struct ExchangeArgs {
    /// The queue database file.
    pub path: std::path::PathBuf,
    /// Verifying keys by capacity.
    pub vks: Vec<(usize, VerifyingKey<Bn254>)>,
    /// Lease duration without heartbeat.
    pub lease_timeout: Duration,
    /// Where proven batch numbers are announced.
    pub proven: broadcast::Sender<u64>,
}

/// The exchange actor's state.
pub struct ExchangeState {
    queue: JobQueue,
    proven: broadcast::Sender<u64>,
}

impl Actor for ExchangeActor {
    type Msg = ExchangeMsg;
    type State = ExchangeState;
    type Arguments = ExchangeArgs;

    async fn pre_start(
        &self,
        _myself: ExchangeRef,
        args: ExchangeArgs,
    ) -> Result<ExchangeState, ActorProcessingErr> {
        let queue = JobQueue::open(&args.path, &args.vks, args.lease_timeout)?;
        tracing::info!(target: "rollup::prover", pending = queue.pending.len(), "prover exchange started");
        Ok(ExchangeState { queue, proven: args.proven })
    }

    async fn handle(
        &self,
        _myself: ExchangeRef,
        msg: ExchangeMsg,
        state: &mut ExchangeState,
    ) -> Result<(), ActorProcessingErr> {
        let now = Instant::now();
        match msg {
            ExchangeMsg::Enqueue(job, reply) => {
                let _ = reply.send(state.queue.enqueue(*job));
            }
            ExchangeMsg::Lease(worker, reply) => {
                let _ = reply.send(state.queue.lease(&worker, now));
            }
            ExchangeMsg::Heartbeat(id, reply) => {
                let _ = reply.send(state.queue.heartbeat(id, now));
            }
            ExchangeMsg::Submit(batch, proof, reply) => {
                let result = state.queue.submit(batch, &proof);
                if result == Ok(Submitted::Accepted) {
                    let _ = state.proven.send(batch);
                }
                let _ = reply.send(result);
            }
            ExchangeMsg::Proof(batch, reply) => {
                let _ = reply.send(state.queue.proof(batch));
            }
            ExchangeMsg::Status(reply) => {
                let _ = reply.send(state.queue.status(now));
            }
        }
        Ok(())
    }
}
