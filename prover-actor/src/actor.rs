//! The local prover actor: leases jobs from the exchange, proves them off the actor loop,
//! verifies each proof natively, submits it, and reports progress.

use std::{sync::Arc, time::Duration};

use ark_std::rand::{rngs::OsRng, SeedableRng};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand_chacha::ChaCha20Rng;
use rollup_supervision::{ChildSpec, RestartBudget};
use serde::Serialize;
use tokio::sync::watch;

use crate::{
    exchange::{ExchangeMsg, ExchangeRef, ExchangeSlot, LeasedJob},
    job::{prove_job, ProofJob},
    keys::KeySet,
    ProofWords, ProveError,
};

/// What a prover is doing, for metrics and status pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The job being proven, if any.
    pub job: Option<u64>,
    /// Proofs this prover has had accepted.
    pub proven: u64,
    /// Proofs that failed (refused, or proving failed).
    pub failed: u64,
}

/// Messages of the [`ProverActor`].
#[derive(Debug)]
pub enum ProverMsg {
    /// Look for work.
    Poll,
    /// Renew the current lease.
    Heartbeat,
    /// Proving finished (off the actor loop).
    Done {
        /// The lease proven under.
        lease_id: u64,
        /// The job.
        job: u64,
        /// The proof, or why there is none.
        result: Result<Box<ProofWords>, String>,
    },
}

/// The prover actor.
#[derive(Clone)]
pub struct ProverActor;

/// What a prover touches.
#[derive(Clone)]
pub struct ProverArgs {
    /// Name in leases and logs.
    pub name: String,
    /// Where jobs come from: looked up at each call, so the prover follows exchange restarts.
    pub exchange: ExchangeSlot,
    /// Proving keys.
    pub keys: Arc<KeySet>,
    /// Wait between polls when idle.
    pub poll: Duration,
    /// Progress reports.
    pub progress: watch::Sender<Progress>,
    /// The proving function ([`prove_job`] in the node; tests inject failures here).
    pub prove: ProveFn,
}

/// How a prover turns a job into proof words.
pub type ProveFn = fn(&KeySet, &ProofJob, &mut ChaCha20Rng) -> Result<ProofWords, ProveError>;

impl ProverArgs {
    /// A prover named `name` proving with [`prove_job`].
    pub fn new(
        name: String,
        exchange: ExchangeSlot,
        keys: Arc<KeySet>,
        poll: Duration,
        progress: watch::Sender<Progress>,
    ) -> Self {
        Self { name, exchange, keys, poll, progress, prove: prove_job }
    }
}

/// Its state.
pub struct ProverState {
    args: ProverArgs,
    current: Option<(u64, u64, Duration)>,
}

const CALL_MS: u64 = 10_000;

impl ProverState {
    /// The exchange running now.
    fn exchange(&self) -> Result<ExchangeRef, ActorProcessingErr> {
        self.args.exchange.get().ok_or_else(|| "the prover exchange is not running".into())
    }
}

/// A local prover's child spec (named after `args.name`; several are told apart with
/// [`ChildSpec::named`]): it leases jobs from the exchange found in `args.exchange` and keeps
/// nothing itself (a lease it held lapses).
pub fn spec(args: ProverArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor(args.name.clone(), budget, ProverActor, args, None)
}

impl Actor for ProverActor {
    type Msg = ProverMsg;
    type State = ProverState;
    type Arguments = ProverArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<ProverMsg>,
        args: ProverArgs,
    ) -> Result<ProverState, ActorProcessingErr> {
        myself.send_message(ProverMsg::Poll)?;
        Ok(ProverState { args, current: None })
    }

    async fn handle(
        &self,
        myself: ActorRef<ProverMsg>,
        msg: ProverMsg,
        state: &mut ProverState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ProverMsg::Poll if state.current.is_none() => {
                let name = state.args.name.clone();
                let leased = match state.exchange() {
                    Ok(exchange) => ractor::call_t!(exchange, ExchangeMsg::Lease, CALL_MS, name)
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let leased: Option<LeasedJob> = match leased {
                    Ok(l) => l,
                    Err(e) => {
                        // The exchange is restarting: ask again later.
                        tracing::warn!(target: "rollup::prover", prover = %state.args.name, error = %e, "no answer from the exchange; retrying");
                        myself.send_after(state.args.poll.max(Duration::from_millis(200)), || {
                            ProverMsg::Poll
                        });
                        return Ok(());
                    }
                };
                let Some(leased) = leased else {
                    myself.send_after(state.args.poll, || ProverMsg::Poll);
                    return Ok(());
                };
                let (lease_id, job) = (leased.lease_id, leased.job.id);
                let beat = Duration::from_millis((leased.lease_ms / 3).max(50));
                state.current = Some((lease_id, job, beat));
                state.args.progress.send_modify(|p| p.job = Some(job));
                tracing::info!(target: "rollup::prover", prover = %state.args.name, job, batch = leased.job.batch, chunk = leased.job.chunk, records = leased.job.witness.records.len(), "proving");
                let keys = state.args.keys.clone();
                let prove = state.args.prove;
                let me = myself.clone();
                // Proving runs on rayon's pool, whose threads the node starts at a low priority
                // (see `lower_proving_priority`), so it never starves the sequencer.
                let (tx, rx) = tokio::sync::oneshot::channel();
                rayon::spawn(move || {
                    let work = std::panic::AssertUnwindSafe(|| {
                        let mut rng = ChaCha20Rng::from_rng(OsRng).map_err(|e| e.to_string())?;
                        prove(&keys, &leased.job, &mut rng).map(Box::new).map_err(|e| e.to_string())
                    });
                    let _ = tx.send(std::panic::catch_unwind(work));
                });
                // `Done` is sent whatever happens to the proving thread: a panic there must
                // not leave the lease held (and heartbeated) for ever.
                tokio::spawn(async move {
                    let result = match rx.await {
                        Ok(Ok(r)) => r,
                        Ok(Err(panic)) => Err(format!(
                            "the proving thread panicked: {}",
                            panic
                                .downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_default()
                        )),
                        Err(_) => Err("the proving thread vanished".to_string()),
                    };
                    let _ = me.send_message(ProverMsg::Done { lease_id, job, result });
                });
                myself.send_after(beat, || ProverMsg::Heartbeat);
            }
            ProverMsg::Poll => {}
            ProverMsg::Heartbeat => {
                if let Some((lease_id, _, beat)) = state.current {
                    // A slow exchange is not a reason to abandon the proof in progress.
                    let Ok(exchange) = state.exchange() else {
                        myself.send_after(beat, || ProverMsg::Heartbeat);
                        return Ok(());
                    };
                    match ractor::call_t!(exchange, ExchangeMsg::Heartbeat, CALL_MS, lease_id) {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(target: "rollup::prover", lease_id, "lease lost; finishing anyway (a late proof is harmless)")
                        }
                        Err(e) => {
                            tracing::warn!(target: "rollup::prover", lease_id, error = %e, "heartbeat not answered; retrying")
                        }
                    }
                    myself.send_after(beat, || ProverMsg::Heartbeat);
                }
            }
            ProverMsg::Done { lease_id, job, result } => {
                if state.current.is_some_and(|(l, _, _)| l == lease_id) {
                    state.current = None;
                }
                if result.is_err() {
                    // Hand the job back at once instead of waiting for the lease to lapse.
                    if let Ok(exchange) = state.exchange() {
                        let _ = exchange.send_message(ExchangeMsg::Release(lease_id));
                    }
                }
                let ok = match result {
                    Ok(proof) => {
                        let circuit = proof.shape().map(|s| s.to_string()).unwrap_or_default();
                        let submitted = match state.exchange() {
                            Ok(exchange) => ractor::call_t!(
                                exchange,
                                ExchangeMsg::Submit,
                                CALL_MS,
                                job,
                                proof.clone()
                            )
                            .map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        let submitted = match submitted {
                            Ok(s) => s,
                            Err(e) => {
                                // The exchange is restarting: keep the proof and try again.
                                tracing::warn!(target: "rollup::prover", job, error = %e, "submitting the proof failed; retrying");
                                myself.send_after(
                                    state.args.poll.max(Duration::from_millis(200)),
                                    move || ProverMsg::Done { lease_id, job, result: Ok(proof) },
                                );
                                return Ok(());
                            }
                        };
                        match submitted {
                            Ok(outcome) => {
                                tracing::info!(target: "rollup::prover", prover = %state.args.name, job, circuit, ?outcome, "proof submitted");
                                true
                            }
                            Err(e) => {
                                tracing::warn!(target: "rollup::prover", job, error = %e, "proof refused");
                                false
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "rollup::prover", prover = %state.args.name, job, error = %e, "proving failed");
                        false
                    }
                };
                state.args.progress.send_modify(|p| {
                    p.job = None;
                    if ok {
                        p.proven += 1
                    } else {
                        p.failed += 1
                    }
                });
                myself.send_message(ProverMsg::Poll)?;
            }
        }
        Ok(())
    }
}

/// Starts rayon's global pool (where proofs run, and arkworks parallelises) with threads at the
/// lowest CPU priority (`nice` 19), so that proving inside the node only uses what the sequencer
/// leaves. Call once, before any proof; a remote worker, which does nothing else, does not.
pub fn lower_proving_priority() -> Result<(), String> {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("prover-{i}"))
        .start_handler(|_| {
            // SAFETY: setpriority only changes the calling thread's nice value (Linux: a thread
            // is a process for PRIO_PROCESS with id 0); it has no memory effects.
            #[cfg(target_os = "linux")]
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, 19);
            }
        })
        .build_global()
        .map_err(|e| e.to_string())
}
