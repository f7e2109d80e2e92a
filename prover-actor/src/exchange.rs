//! The prover exchange: a persisted queue of proof jobs with leases.
//!
//! - Jobs are persisted (redb) when enqueued and removed in the same transaction that stores
//!   their proof, so a restart loses neither.
//! - Jobs are chunks of batches, identified by the tree version they lead to (ids grow in batch
//!   order). The exchange pulls new ones from a [`JobSource`] whenever an event wakes it (and
//!   on a timer); its cursor is the highest id it has queued or proven, so it is persisted by
//!   the queue itself.
//! - A lease hands the lowest unproven, unleased job to one prover; it expires unless renewed
//!   by heartbeats, and the job is handed out again. Leases live in memory: after a restart every
//!   job is simply free again.
//! - A submitted proof is verified against the job's public inputs before it is stored. An
//!   invalid one is refused and its job freed for another prover; a proof for a job already
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

use rollup_events::{fault::Point, Event, EventBus};
use rollup_supervision::{wake_on, ActorSlot, ChildSpec, RestartBudget, Wakeups};

use crate::{
    circuit::Shape,
    job::{BoxError, JobSource, ProofJob},
    ProofWords,
};

/// job id -> JSON of the [`ProofJob`].
const JOBS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("prover_jobs");
/// job id -> `batch (8 bytes, big-endian)` ‖ JSON of the [`ProofWords`].
const PROOFS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("prover_proofs");

/// Exchange errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// No such job (never enqueued).
    #[error("no proof job {0}")]
    UnknownJob(u64),
    /// The proof does not verify for the job; the job is free for another prover.
    #[error("invalid proof for job {job}: {reason}")]
    InvalidProof {
        /// The job id.
        job: u64,
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
    started: Instant,
}

/// A proof accepted under a lease: what the proving rate is measured from.
struct Proven {
    records: usize,
    secs: f64,
    worker: String,
    at: Instant,
}

/// Proofs the proving rate is measured over: the last few, within [`RATE_WINDOW`].
const RATE_PROOFS: usize = 32;
/// How far back a proof still counts for the rate, and a worker for the provers running.
const RATE_WINDOW: Duration = Duration::from_secs(600);

/// The queue itself (the actor's state; usable without an actor in tests).
pub struct JobQueue {
    db: Arc<Database>,
    vks: BTreeMap<Shape, PreparedVerifyingKey<Bn254>>,
    lease_timeout: Duration,
    pending: BTreeMap<u64, ProofJob>,
    leases: HashMap<u64, Lease>,
    next_lease: u64,
    proven: std::collections::VecDeque<Proven>,
}

impl JobQueue {
    /// Open the queue at `path` with the verifying keys (by capacity) proofs are checked against.
    pub fn open(
        path: &Path,
        vks: &[(Shape, VerifyingKey<Bn254>)],
        lease_timeout: Duration,
    ) -> Result<Self, ExchangeError> {
        let db = Arc::new(Database::create(path).map_err(storage)?);
        Self::from_database(db, vks, lease_timeout)
    }

    /// The queue in an already open database (shared with a [`ProofStore`] reader).
    pub fn from_database(
        db: Arc<Database>,
        vks: &[(Shape, VerifyingKey<Bn254>)],
        lease_timeout: Duration,
    ) -> Result<Self, ExchangeError> {
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
            proven: Default::default(),
            next_lease: 1,
        })
    }

    /// Add a job. Enqueuing a batch that is queued or proven already is a no-op.
    pub fn enqueue(&mut self, job: ProofJob) -> Result<(), ExchangeError> {
        if self.pending.contains_key(&job.id) || self.proof(job.id)?.is_some() {
            return Ok(());
        }
        let raw = serde_json::to_vec(&job).map_err(storage)?;
        let tx = self.db.begin_write().map_err(storage)?;
        tx.open_table(JOBS).map_err(storage)?.insert(job.id, &raw[..]).map_err(storage)?;
        tx.commit().map_err(storage)?;
        self.pending.insert(job.id, job);
        Ok(())
    }

    /// The highest job id queued or proven (0 when there is none): where pulling resumes.
    pub fn cursor(&self) -> Result<u64, ExchangeError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let last = |t: TableDefinition<'_, u64, &[u8]>| -> Result<u64, ExchangeError> {
            let table = tx.open_table(t).map_err(storage)?;
            let last = table.last().map_err(storage)?.map_or(0, |(k, _)| k.value());
            Ok(last)
        };
        Ok(last(JOBS)?.max(last(PROOFS)?))
    }

    /// Pull every new job from `source` (in pages) into the queue; returns how many.
    pub fn pull(&mut self, source: &dyn JobSource) -> Result<usize, ExchangeError> {
        let mut added = 0;
        loop {
            let after = self.cursor()?;
            let jobs = source.jobs_after(after, PULL_PAGE).map_err(storage)?;
            let (n, more) = self.enqueue_page(after, jobs)?;
            added += n;
            if !more {
                return Ok(added);
            }
        }
    }

    /// Queues a page of jobs the source gave for `jobs_after(after, PULL_PAGE)`, skipping any at
    /// or below `after` (already queued). Returns how many were queued and whether the source
    /// may have more (a full page that moved the cursor).
    pub fn enqueue_page(
        &mut self,
        after: u64,
        jobs: Vec<ProofJob>,
    ) -> Result<(usize, bool), ExchangeError> {
        let full = jobs.len() >= PULL_PAGE;
        let mut added = 0;
        for job in jobs {
            if job.id <= after {
                continue;
            }
            tracing::info!(target: "rollup::prover", job = job.id, batch = job.batch, chunk = job.chunk, records = job.witness.records.len(), "job queued");
            self.enqueue(job)?;
            added += 1;
        }
        Ok((added, full && added > 0))
    }

    /// Lease the lowest pending job that no live lease holds.
    pub fn lease(&mut self, worker: &str, now: Instant) -> Option<LeasedJob> {
        self.leases.retain(|_, l| l.deadline > now);
        let job = self.pending.values().find(|j| !self.leases.contains_key(&j.id))?.clone();
        let id = self.next_lease;
        self.next_lease += 1;
        let lease = Lease {
            id,
            worker: worker.to_owned(),
            deadline: now + self.lease_timeout,
            started: now,
        };
        self.leases.insert(job.id, lease);
        tracing::info!(target: "rollup::prover", job = job.id, batch = job.batch, lease = id, worker, "job leased");
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

    /// Verify and store a proof. Any prover may submit for a pending job: a valid proof is
    /// accepted whether or not its lease is still live.
    pub fn submit(&mut self, id: u64, proof: &ProofWords) -> Result<Submitted, ExchangeError> {
        if self.proof(id)?.is_some() {
            return Ok(Submitted::Duplicate);
        }
        let job = self.pending.get(&id).ok_or(ExchangeError::UnknownJob(id))?;
        if let Err(reason) = self.check(job, proof) {
            // Free the job: whoever holds it produced garbage.
            if let Some(l) = self.leases.remove(&id) {
                tracing::warn!(target: "rollup::prover", job = id, worker = %l.worker, %reason, "invalid proof refused; job re-queued");
            }
            return Err(ExchangeError::InvalidProof { job: id, reason });
        }
        let mut raw = job.batch.to_be_bytes().to_vec();
        raw.extend(serde_json::to_vec(proof).map_err(storage)?);
        let tx = self.db.begin_write().map_err(storage)?;
        tx.open_table(PROOFS).map_err(storage)?.insert(id, &raw[..]).map_err(storage)?;
        tx.open_table(JOBS).map_err(storage)?.remove(id).map_err(storage)?;
        tx.commit().map_err(storage)?;
        let records = self.pending.remove(&id).map_or(0, |j| j.witness.records.len());
        let Some(lease) = self.leases.remove(&id) else {
            tracing::info!(target: "rollup::prover", job = id, "proof accepted");
            return Ok(Submitted::Accepted);
        };
        let now = Instant::now();
        let secs = now.saturating_duration_since(lease.started).as_secs_f64();
        tracing::info!(target: "rollup::prover", job = id, worker = %lease.worker, records, secs, "proof accepted");
        if self.proven.len() == RATE_PROOFS {
            self.proven.pop_front();
        }
        self.proven.push_back(Proven { records, secs, worker: lease.worker, at: now });
        Ok(Submitted::Accepted)
    }

    /// Give a lease back (its prover failed): the job is free for the next prover at once.
    pub fn release(&mut self, lease_id: u64) {
        self.leases.retain(|_, l| l.id != lease_id);
    }

    fn check(&self, job: &ProofJob, proof: &ProofWords) -> Result<(), String> {
        let (shape, p) = proof.decode().ok_or("malformed proof words")?;
        let vk = self.vks.get(&shape).ok_or_else(|| format!("no key for circuit {shape}"))?;
        if !shape.fits(&job.witness) {
            return Err(format!(
                "circuit {shape} does not fit the job's {} records",
                job.witness.records.len()
            ));
        }
        let inputs = job.public_inputs().ok_or("the job has no valid public inputs")?;
        match Groth16::<Bn254>::verify_proof(vk, &p, &inputs) {
            Ok(true) => Ok(()),
            _ => Err("the proof does not verify".into()),
        }
    }

    /// The stored proof of job `id`.
    pub fn proof(&self, id: u64) -> Result<Option<ProofWords>, ExchangeError> {
        Ok(ProofStore { db: self.db.clone() }.get(id)?.map(|(_, p)| p))
    }

    /// A read-only view of the stored proofs, for the eth sender.
    pub fn proofs(&self) -> ProofStore {
        ProofStore { db: self.db.clone() }
    }

    /// The provers' measured rate, in records proven per second, all of them together: records
    /// per second of proving time over the last proofs (from lease to acceptance), times the
    /// workers that proved within [`RATE_WINDOW`] or hold a lease now. `None` before any proof
    /// in that window: nothing measured.
    pub fn proving_rate(&self, now: Instant) -> Option<f64> {
        let recent: Vec<&Proven> = self
            .proven
            .iter()
            .filter(|p| now.saturating_duration_since(p.at) <= RATE_WINDOW)
            .collect();
        let secs: f64 = recent.iter().map(|p| p.secs).sum();
        if recent.is_empty() || secs <= 0.0 {
            return None;
        }
        let records: usize = recent.iter().map(|p| p.records).sum();
        let mut workers: Vec<&str> = recent.iter().map(|p| p.worker.as_str()).collect();
        workers
            .extend(self.leases.values().filter(|l| l.deadline > now).map(|l| l.worker.as_str()));
        workers.sort_unstable();
        workers.dedup();
        Some(records as f64 / secs * workers.len() as f64)
    }

    /// Leases not expired at `now`.
    pub fn live_leases(&self, now: Instant) -> usize {
        self.leases.values().filter(|l| l.deadline > now).count()
    }

    /// Counters.
    pub fn status(&self, now: Instant) -> Result<QueueStatus, ExchangeError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let proven = tx.open_table(PROOFS).map_err(storage)?.len().map_err(storage)?;
        Ok(QueueStatus {
            pending: self.pending.len(),
            leased: self.live_leases(now),
            proven: proven as usize,
        })
    }
}

/// Read access to stored proofs (shares the exchange's database; never writes).
#[derive(Clone)]
pub struct ProofStore {
    db: Arc<Database>,
}

impl std::fmt::Debug for ProofStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofStore").finish_non_exhaustive()
    }
}

impl ProofStore {
    /// How many chunk proofs are stored.
    pub fn count(&self) -> Result<u64, ExchangeError> {
        let tx = self.db.begin_read().map_err(storage)?;
        tx.open_table(PROOFS).map_err(storage)?.len().map_err(storage)
    }

    /// A reader over the exchange's database (the tables may not exist yet: then nothing is proven).
    pub fn new(db: Arc<Database>) -> Result<Self, ExchangeError> {
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(JOBS).map_err(storage)?;
        tx.open_table(PROOFS).map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Self { db })
    }

    /// The stored proof of job `id` and the batch it belongs to.
    pub fn get(&self, id: u64) -> Result<Option<(u64, ProofWords)>, ExchangeError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(PROOFS).map_err(storage)?;
        let Some(raw) = table.get(id).map_err(storage)? else { return Ok(None) };
        let raw = raw.value();
        if raw.len() < 8 {
            return Err(ExchangeError::Storage(format!("proof {id}: short record")));
        }
        let batch = u64::from_be_bytes(raw[..8].try_into().unwrap_or_default());
        let proof = serde_json::from_slice(&raw[8..]).map_err(storage)?;
        Ok(Some((batch, proof)))
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
    /// Submit a proof for a job.
    Submit(u64, Box<ProofWords>, RpcReplyPort<Result<Submitted, ExchangeError>>),
    /// Give a lease back (the prover failed).
    Release(u64),
    /// The stored proof of a job.
    Proof(u64, RpcReplyPort<Result<Option<ProofWords>, ExchangeError>>),
    /// Look for new jobs (an event woke the exchange, or its timer fired).
    Pull,
    /// Jobs built after the given cursor (or why they could not be).
    Pulled(u64, Result<Vec<ProofJob>, BoxError>),
    /// Counters.
    Status(RpcReplyPort<Result<QueueStatus, ExchangeError>>),
}

/// Reference to the exchange.
pub type ExchangeRef = ActorRef<ExchangeMsg>;

/// Where the running exchange is found: its supervisor may have restarted it since the last
/// call, so long-lived clients (the provers, the gateway) look it up at each use.
pub type ExchangeSlot = ActorSlot<ExchangeMsg>;

/// The exchange actor. Every step that changes the queue is one redb transaction, committed
/// before the reply. Accepted proofs are announced on the event bus ([`Event::ChunkProven`]).
#[derive(Clone)]
pub struct ExchangeActor;

/// What the exchange starts from.
#[derive(Clone)]
pub struct ExchangeArgs {
    /// The queue database (opened once per process; shared with [`ProofStore`] readers).
    pub db: Arc<Database>,
    /// Verifying keys by capacity.
    pub vks: Vec<(Shape, VerifyingKey<Bn254>)>,
    /// Lease duration without heartbeat.
    pub lease_timeout: Duration,
    /// Where new jobs come from (`None`: only [`ExchangeMsg::Enqueue`]).
    pub source: Option<Arc<dyn JobSource>>,
    /// [`Event::TreeApplied`] in, [`Event::ChunkProven`] out; fault points.
    pub events: EventBus,
    /// Where its reference goes (provers and the gateway look it up there).
    pub slot: ExchangeSlot,
    /// How many jobs are leased right now, for readers outside the actor (the batcher).
    pub leased: LeaseGauge,
}

/// What the exchange tells readers outside the actor (the batcher): how many jobs are leased
/// now, and when a prover last asked for work, renewed a lease or submitted. Updated after
/// every message it handles; reset when it (re)starts.
#[derive(Debug, Clone, Default)]
pub struct LeaseGauge(Arc<GaugeInner>);

#[derive(Debug, Default)]
struct GaugeInner {
    leased: std::sync::atomic::AtomicUsize,
    /// Unix milliseconds of the last prover request; 0: none yet.
    seen_ms: std::sync::atomic::AtomicU64,
    /// The measured proving rate ([`JobQueue::proving_rate`]) as `f64` bits; 0: none.
    rate_bits: std::sync::atomic::AtomicU64,
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl LeaseGauge {
    /// Jobs a prover holds right now.
    pub fn get(&self) -> usize {
        self.0.leased.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a prover asked for work, renewed a lease or submitted a proof within `within`:
    /// provers (local or remote) poll while idle, so silence means none is running.
    pub fn prover_seen(&self, within: Duration) -> bool {
        let seen = self.0.seen_ms.load(std::sync::atomic::Ordering::Relaxed);
        seen > 0 && unix_ms().saturating_sub(seen) <= within.as_millis() as u64
    }

    /// The provers' measured rate in records per second ([`JobQueue::proving_rate`]).
    pub fn proving_rate(&self) -> Option<f64> {
        let r = f64::from_bits(self.0.rate_bits.load(std::sync::atomic::Ordering::Relaxed));
        (r > 0.0).then_some(r)
    }

    fn set_rate(&self, rate: Option<f64>) {
        let bits = rate.filter(|r| r.is_finite()).unwrap_or(0.0).to_bits();
        self.0.rate_bits.store(bits, std::sync::atomic::Ordering::Relaxed);
    }

    fn saw_prover(&self) {
        self.0.seen_ms.store(unix_ms(), std::sync::atomic::Ordering::Relaxed);
    }

    fn set(&self, n: usize) {
        self.0.leased.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The exchange's child spec: the queue is reloaded from `prover.redb`; its reference goes into
/// `args.slot`.
pub fn spec(args: ExchangeArgs, budget: RestartBudget) -> ChildSpec {
    let slot = Some(args.slot.clone());
    ChildSpec::actor("prover_exchange", budget, ExchangeActor, args, slot)
}

/// The exchange actor's state.
pub struct ExchangeState {
    queue: JobQueue,
    source: Option<Arc<dyn JobSource>>,
    events: EventBus,
    _wakeups: Option<Wakeups>,
    /// Whether jobs are being built right now.
    pulling: bool,
    leased: LeaseGauge,
}

/// How often the exchange looks for jobs without being woken.
const PULL_EVERY: Duration = Duration::from_secs(2);
/// Jobs built per pull (their witnesses are built off the actor loop, a page at a time).
const PULL_PAGE: usize = 8;

impl Actor for ExchangeActor {
    type Msg = ExchangeMsg;
    type State = ExchangeState;
    type Arguments = ExchangeArgs;

    async fn pre_start(
        &self,
        myself: ExchangeRef,
        args: ExchangeArgs,
    ) -> Result<ExchangeState, ActorProcessingErr> {
        // Leases live in memory: a restarted exchange holds none.
        args.leased.set(0);
        let queue = JobQueue::from_database(args.db.clone(), &args.vks, args.lease_timeout)?;
        tracing::info!(target: "rollup::prover", pending = queue.pending.len(), "prover exchange started");
        let wakeups = match args.source {
            // Every tree application is a wake-up; the timer covers lost events.
            Some(_) => Some(wake_on(
                &myself,
                &args.events,
                |e| matches!(e, Event::TreeApplied { .. }),
                Some(PULL_EVERY),
                || ExchangeMsg::Pull,
            )?),
            None => None,
        };
        Ok(ExchangeState {
            queue,
            source: args.source,
            events: args.events,
            _wakeups: wakeups,
            pulling: false,
            leased: args.leased,
        })
    }

    async fn handle(
        &self,
        myself: ExchangeRef,
        msg: ExchangeMsg,
        state: &mut ExchangeState,
    ) -> Result<(), ActorProcessingErr> {
        let now = Instant::now();
        match msg {
            ExchangeMsg::Enqueue(job, reply) => {
                let _ = reply.send(state.queue.enqueue(*job));
            }
            ExchangeMsg::Lease(worker, reply) => {
                state.leased.saw_prover();
                let _ = reply.send(state.queue.lease(&worker, now));
            }
            ExchangeMsg::Heartbeat(id, reply) => {
                state.leased.saw_prover();
                let _ = reply.send(state.queue.heartbeat(id, now));
            }
            ExchangeMsg::Submit(id, proof, reply) => {
                state.leased.saw_prover();
                state.events.fault(Point::Exchange);
                let batch = state.queue.pending.get(&id).map(|j| j.batch);
                let result = state.queue.submit(id, &proof);
                if let (Ok(Submitted::Accepted), Some(batch)) = (&result, batch) {
                    state.events.fault(Point::ProofStored);
                    state.events.publish(Event::ChunkProven { batch, job: id });
                }
                let _ = reply.send(result);
            }
            ExchangeMsg::Release(lease) => state.queue.release(lease),
            ExchangeMsg::Proof(id, reply) => {
                let _ = reply.send(state.queue.proof(id));
            }
            ExchangeMsg::Pull => {
                if let (Some(source), false) = (state.source.clone(), state.pulling) {
                    // Witnesses are tree hashing: built on the provers' low-priority pool, a page
                    // at a time, while the exchange keeps answering provers.
                    let after = state.queue.cursor()?;
                    state.pulling = true;
                    rayon::spawn(move || {
                        let jobs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            source.jobs_after(after, PULL_PAGE)
                        }))
                        .unwrap_or_else(|_| Err("the job source panicked".into()));
                        let _ = myself.send_message(ExchangeMsg::Pulled(after, jobs));
                    });
                }
            }
            ExchangeMsg::Pulled(after, jobs) => {
                state.pulling = false;
                // A source failure is storage trouble: fatal, the supervisor restarts us.
                let jobs = jobs.map_err(storage)?;
                let (_, more) = state.queue.enqueue_page(after, jobs)?;
                if more {
                    myself.send_message(ExchangeMsg::Pull)?;
                }
            }
            ExchangeMsg::Status(reply) => {
                let _ = reply.send(state.queue.status(now));
            }
        }
        state.leased.set(state.queue.live_leases(now));
        state.leased.set_rate(state.queue.proving_rate(now));
        Ok(())
    }
}
