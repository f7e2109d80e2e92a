//! A remote prover worker: polls a prover gateway for jobs, proves them, submits the proofs.
//! Run any number of them, on any number of machines (`rollupd prover worker --gateway URL`).

use std::{sync::Arc, time::Duration};

use ark_std::rand::{rngs::OsRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};

use crate::{exchange::LeasedJob, job::prove_job, keys::KeySet};

/// Worker errors.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// HTTP failed or the gateway refused the token.
    #[error("gateway {url}: {detail}")]
    Gateway {
        /// The gateway.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The gateway answered with a JSON-RPC error.
    #[error("gateway error {code}: {message}")]
    Rpc {
        /// Error code.
        code: i64,
        /// Message.
        message: String,
    },
}

/// A JSON-RPC client of the gateway.
#[derive(Clone)]
pub struct GatewayClient {
    http: reqwest::Client,
    url: String,
    token: String,
}

#[derive(Deserialize)]
struct RpcReply {
    result: Option<Value>,
    error: Option<RpcErr>,
}

#[derive(Deserialize)]
struct RpcErr {
    code: i64,
    message: String,
}

impl GatewayClient {
    /// A client of the gateway at `url`.
    pub fn new(url: &str, token: &str) -> Self {
        Self { http: reqwest::Client::new(), url: url.to_owned(), token: token.to_owned() }
    }

    /// Call `method` with `params`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, WorkerError> {
        let gw = |detail: String| WorkerError::Gateway { url: self.url.clone(), detail };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| gw(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(gw(format!("HTTP {}", resp.status())));
        }
        let reply: RpcReply = resp.json().await.map_err(|e| gw(e.to_string()))?;
        if let Some(e) = reply.error {
            return Err(WorkerError::Rpc { code: e.code, message: e.message });
        }
        serde_json::from_value(reply.result.unwrap_or(Value::Null)).map_err(|e| gw(e.to_string()))
    }
}

/// Run a worker until the process is stopped: lease, prove (heartbeating), submit, repeat.
/// Transient gateway failures are logged and retried after `poll`.
pub async fn run(
    client: GatewayClient,
    name: String,
    keys: Arc<KeySet>,
    poll: Duration,
) -> Result<(), WorkerError> {
    // A wrong token or URL is a configuration error: fail at once, not in a retry loop.
    let _: Value = client.call("prover_status", json!([])).await?;
    tracing::info!(target: "rollup::prover", worker = %name, gateway = %client.url, circuits = ?keys.shapes(), "worker started");
    loop {
        let leased: Option<LeasedJob> = match client.call("prover_getJob", json!([name])).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(target: "rollup::prover", error = %e, "getJob failed; retrying");
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        let Some(leased) = leased else {
            tokio::time::sleep(poll).await;
            continue;
        };
        let (job, batch) = (leased.job.id, leased.job.batch);
        tracing::info!(target: "rollup::prover", worker = %name, job, batch, records = leased.job.witness.records.len(), "proving");
        let beat = Duration::from_millis((leased.lease_ms / 3).max(50));
        let hb_client = client.clone();
        let lease_id = leased.lease_id;
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(beat).await;
                let _ = hb_client.call::<bool>("prover_heartbeat", json!([lease_id])).await;
            }
        });
        let k = keys.clone();
        let started = std::time::Instant::now();
        let proved = tokio::task::spawn_blocking(move || {
            let mut rng = ChaCha20Rng::from_rng(OsRng).expect("os randomness");
            prove_job(&k, &leased.job, &mut rng)
        })
        .await;
        heartbeat.abort();
        let prove_ms = started.elapsed().as_millis() as u64;
        match proved {
            Ok(Ok(proof)) => {
                match client.call::<Value>("prover_submitProof", json!([job, proof])).await {
                    Ok(outcome) => {
                        let circuit = proof.shape().map(|s| s.to_string()).unwrap_or_default();
                        tracing::info!(target: "rollup::prover", worker = %name, job, batch, circuit, prove_ms, %outcome, "proof submitted")
                    }
                    Err(e) => {
                        tracing::warn!(target: "rollup::prover", worker = %name, job, error = %e, "proof refused")
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(target: "rollup::prover", job, error = %e, "proving failed")
            }
            Err(e) => {
                tracing::error!(target: "rollup::prover", job, error = %e, "prover thread panicked")
            }
        }
    }
}
