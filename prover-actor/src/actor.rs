//! The local prover actor: leases jobs from the exchange, proves them off the actor loop,
//! verifies each proof natively, submits it, and reports progress.

use std::{sync::Arc, time::Duration};

use ark_std::rand::{rngs::OsRng, SeedableRng};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use tokio::sync::watch;

use crate::{
    exchange::{ExchangeMsg, ExchangeRef, LeasedJob},
    job::prove_job,
    keys::KeySet,
    ProofWords,
};

/// What a prover is doing, for metrics and status pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The batch being proven, if any.
    pub batch: Option<u64>,
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
        /// The batch.
        batch: u64,
        /// The proof, or why there is none.
        result: Result<Box<ProofWords>, String>,
    },
}

/// The prover actor.
pub struct ProverActor;

/// Its configuration.
pub struct ProverArgs {
    /// Name in leases and logs.
    pub name: String,
    /// Where jobs come from.
    pub exchange: ExchangeRef,
    /// Proving keys.
    pub keys: Arc<KeySet>,
    /// Wait between polls when idle.
    pub poll: Duration,
    /// Progress reports.
    pub progress: watch::Sender<Progress>,
}

/// Its state.
pub struct ProverState {
    args: ProverArgs,
    current: Option<(u64, u64, Duration)>,
}

const CALL_MS: u64 = 10_000;

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
                let leased: Option<LeasedJob> =
                    ractor::call_t!(state.args.exchange, ExchangeMsg::Lease, CALL_MS, name)?;
                let Some(leased) = leased else {
                    myself.send_after(state.args.poll, || ProverMsg::Poll);
                    return Ok(());
                };
                let (lease_id, batch) = (leased.lease_id, leased.job.batch);
                let beat = Duration::from_millis((leased.lease_ms / 3).max(50));
                state.current = Some((lease_id, batch, beat));
                state.args.progress.send_modify(|p| p.batch = Some(batch));
                tracing::info!(target: "rollup::prover", prover = %state.args.name, batch, records = leased.job.witness.records.len(), "proving");
                let keys = state.args.keys.clone();
                let me = myself.clone();
                tokio::task::spawn_blocking(move || {
                    let mut rng = ChaCha20Rng::from_rng(OsRng).expect("os randomness");
                    let result = prove_job(&keys, &leased.job, &mut rng)
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    let _ = me.send_message(ProverMsg::Done { lease_id, batch, result });
                });
                myself.send_after(beat, || ProverMsg::Heartbeat);
            }
            ProverMsg::Poll => {}
            ProverMsg::Heartbeat => {
                if let Some((lease_id, _, beat)) = state.current {
                    let live: bool = ractor::call_t!(
                        state.args.exchange,
                        ExchangeMsg::Heartbeat,
                        CALL_MS,
                        lease_id
                    )?;
                    if !live {
                        tracing::warn!(target: "rollup::prover", lease_id, "lease lost; finishing anyway (a late proof is harmless)");
                    }
                    myself.send_after(beat, || ProverMsg::Heartbeat);
                }
            }
            ProverMsg::Done { lease_id, batch, result } => {
                if state.current.is_some_and(|(l, _, _)| l == lease_id) {
                    state.current = None;
                }
                let ok = match result {
                    Ok(proof) => {
                        let submitted = ractor::call_t!(
                            state.args.exchange,
                            ExchangeMsg::Submit,
                            CALL_MS,
                            batch,
                            proof
                        )?;
                        match submitted {
                            Ok(outcome) => {
                                tracing::info!(target: "rollup::prover", prover = %state.args.name, batch, ?outcome, "proof submitted");
                                true
                            }
                            Err(e) => {
                                tracing::warn!(target: "rollup::prover", batch, error = %e, "proof refused");
                                false
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "rollup::prover", batch, error = %e, "proving failed");
                        false
                    }
                };
                state.args.progress.send_modify(|p| {
                    p.batch = None;
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
