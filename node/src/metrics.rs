//! A Prometheus text endpoint (any path answers) with the counters of each running chain.

use rollup_actors::sequencer::pool::actor::PoolMetrics;
use rollup_actors::sequencer::sealer::SealerMetrics;
use rollup_actors::settlement::batcher::BatcherMetrics;
use rollup_actors::settlement::tree_writer::TreeWriterMetrics;
use rollup_actors::storage::chain::ChainStore;
use rollup_supervision::SupervisorStatus;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// (name, type, help, reader) of one series.
type Series = (&'static str, &'static str, &'static str, fn(&ChainMetrics) -> u64);

/// What the endpoint reads of one chain: each actor's own counters, the supervisor's restarts
/// and the head. The composition root hands each `Arc` to the actor that updates it.
#[derive(Debug, Clone)]
pub(crate) struct ChainMetrics {
    /// The `chain` label (`l1`, `l2`).
    pub(crate) name: String,
    /// For the head.
    pub(crate) store: ChainStore,
    pub(crate) pool: Arc<PoolMetrics>,
    pub(crate) sealer: Arc<SealerMetrics>,
    /// Zero on a chain that does not settle.
    pub(crate) batcher: Arc<BatcherMetrics>,
    /// Zero on a chain that does not settle.
    pub(crate) tree: Arc<TreeWriterMetrics>,
    /// The chain supervisor's status (restarts, why it stopped).
    pub(crate) status: Arc<SupervisorStatus>,
}

impl ChainMetrics {
    /// Fresh counters for chain `name`.
    pub(crate) fn new(name: &str, store: ChainStore) -> Self {
        Self {
            name: name.to_string(),
            store,
            pool: Default::default(),
            sealer: Default::default(),
            batcher: Default::default(),
            tree: Default::default(),
            status: Default::default(),
        }
    }
}

/// What the metrics endpoint reads of settlement.
#[derive(Clone)]
pub(crate) struct SettlementMetrics {
    pub(crate) sender: Arc<rollup_eth::SenderMetrics>,
    pub(crate) batches: rollup_actors::storage::batches::BatchStore,
    pub(crate) proofs: rollup_prover::exchange::ProofStore,
}

/// The proof backlog: chunks applied to the tree and not proven yet, and batches not proven on L1.
fn render_backlog(out: &mut String, s: &SettlementMetrics) {
    let applied = s.batches.last_applied().ok().flatten();
    // Tree version 1 is genesis, never proven; every later version is one chunk.
    let chunks = applied
        .and_then(|b| s.batches.tree_result(b).ok().flatten())
        .map_or(0, |t| t.last_version().saturating_sub(1));
    let proven = s.proofs.count().unwrap_or_default();
    let verified = s.sender.verified.load(Ordering::Relaxed);
    let rows = [
        (
            "rollupd_proof_backlog_chunks",
            "Chunks applied to the tree and not proven yet.",
            chunks.saturating_sub(proven),
        ),
        (
            "rollupd_proof_chunks_proven_total",
            "Chunk proofs stored by the prover exchange.",
            proven,
        ),
        (
            "rollupd_proof_backlog_batches",
            "Batches applied to the tree and not proven on L1.",
            applied.unwrap_or_default().saturating_sub(verified),
        ),
    ];
    for (name, help, v) in rows {
        let _ =
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{chain=\"l2\"}} {v}");
    }
    let m = &s.sender;
    let rate = m.proving_rate_milli.load(Ordering::Relaxed) as f64 / 1000.0;
    let rows = [
        (
            "rollupd_proof_backlog_records",
            "State-diff records of sealed batches not proven on L1.",
            m.unproven_records.load(Ordering::Relaxed).to_string(),
        ),
        (
            "rollupd_proving_rate_records_per_second",
            "The provers' measured rate, all of them together (0: not measured).",
            format!("{rate:.3}"),
        ),
        (
            "rollupd_proving_eta_seconds",
            "Time the provers need for the backlog's records at that rate (0: not measured or none waiting).",
            m.proving_eta_secs.load(Ordering::Relaxed).to_string(),
        ),
    ];
    for (name, help, v) in rows {
        let _ =
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{chain=\"l2\"}} {v}");
    }
}

/// Settlement counters of the L2 (eth sender; label `chain="l2"`).
pub(crate) fn render_sender(out: &mut String, m: &rollup_eth::SenderMetrics) {
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let rows: [(&str, &str, &str, u64); 9] = [
        (
            "rollupd_l1_batches_committed",
            "gauge",
            "Last batch committed on L1 (read from L1).",
            g(&m.committed),
        ),
        ("rollupd_l1_batches_verified", "gauge", "Last batch proven on L1.", g(&m.verified)),
        ("rollupd_l1_batches_executed", "gauge", "Last batch executed on L1.", g(&m.executed)),
        ("rollupd_eth_sender_nonce", "gauge", "The operator's next L1 nonce.", g(&m.nonce)),
        (
            "rollupd_eth_sender_pending_txs",
            "gauge",
            "L1 transactions recorded and not confirmed.",
            g(&m.pending_txs),
        ),
        (
            "rollupd_eth_sender_transient_errors_total",
            "counter",
            "L1 errors retried with backoff.",
            g(&m.transient_errors),
        ),
        (
            "rollupd_eth_sender_replacements_total",
            "counter",
            "Stuck L1 transactions replaced with bumped fees.",
            g(&m.replacements),
        ),
        (
            "rollupd_eth_sender_reverted_txs_total",
            "counter",
            "Settlement transactions mined and reverted (planned again from L1's counters).",
            g(&m.reverted_txs),
        ),
        (
            "rollupd_eth_sender_dropped_txs_total",
            "counter",
            "Settlement transactions whose nonce another transaction took.",
            g(&m.dropped_txs),
        ),
    ];
    for (name, kind, help, v) in rows {
        let _ =
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{chain=\"l2\"}} {v}");
    }
    let _ = writeln!(out, "# HELP rollupd_batch_seal_to_l1_ms_total Sum over batches of the time from batch seal to the L1 step's confirmation.\n# TYPE rollupd_batch_seal_to_l1_ms_total counter");
    let _ = writeln!(out, "# HELP rollupd_batch_seal_to_l1_count Batches in rollupd_batch_seal_to_l1_ms_total.\n# TYPE rollupd_batch_seal_to_l1_count counter");
    for (i, step) in ["commit", "prove", "execute"].iter().enumerate() {
        let _ = writeln!(
            out,
            "rollupd_batch_seal_to_l1_ms_total{{chain=\"l2\",step=\"{step}\"}} {}",
            g(&m.step_latency_ms_total[i])
        );
        let _ = writeln!(
            out,
            "rollupd_batch_seal_to_l1_count{{chain=\"l2\",step=\"{step}\"}} {}",
            g(&m.step_latency_count[i])
        );
    }
}

/// Renders the metrics of `chains` in the Prometheus text format.
pub(crate) fn render(chains: &[ChainMetrics]) -> String {
    let mut out = String::new();
    let series: [Series; 10] = [
        ("rollupd_blocks_sealed_total", "counter", "Blocks sealed since start.", |c| {
            c.sealer.blocks_sealed.load(Ordering::Relaxed)
        }),
        ("rollupd_txs_included_total", "counter", "Transactions included since start.", |c| {
            c.sealer.txs_included.load(Ordering::Relaxed)
        }),
        (
            "rollupd_txs_dropped_total",
            "counter",
            "Transactions dropped at execution since start.",
            |c| c.sealer.txs_dropped.load(Ordering::Relaxed),
        ),
        ("rollupd_pool_size", "gauge", "Transactions in the pool.", |c| {
            c.pool.size.load(Ordering::Relaxed)
        }),
        (
            "rollupd_seal_latency_micros_total",
            "counter",
            "Sum of block seal latencies (execute + durable commit), microseconds.",
            |c| c.sealer.seal_micros_total.load(Ordering::Relaxed),
        ),
        (
            "rollupd_seal_latency_micros_last",
            "gauge",
            "Latency of the last seal, microseconds.",
            |c| c.sealer.seal_micros_last.load(Ordering::Relaxed),
        ),
        (
            "rollupd_sealer_blind",
            "gauge",
            "1 while sealing waits for the eth watcher (its view of L1 is older than half the priority deadline).",
            |c| c.sealer.blind.load(Ordering::Relaxed),
        ),
        ("rollupd_actor_restarts_total", "counter", "Actor restarts by the supervisor.", |c| {
            c.status.restarts.load(Ordering::Relaxed)
        }),
        ("rollupd_batches_sealed_total", "counter", "L1 batches sealed by the batcher.", |c| {
            c.batcher.batches_sealed.load(Ordering::Relaxed)
        }),
        (
            "rollupd_batches_applied_total",
            "counter",
            "L1 batches applied to the state tree.",
            |c| c.tree.batches_applied.load(Ordering::Relaxed),
        ),
    ];
    for (name, kind, help, get) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for c in chains {
            let _ = writeln!(out, "{name}{{chain=\"{}\"}} {}", c.name, get(c));
        }
    }
    let _ = writeln!(out, "# HELP rollupd_head_block Number of the last sealed block.\n# TYPE rollupd_head_block gauge");
    for c in chains {
        let head = c.store.head().ok().flatten().map(|(n, _)| n).unwrap_or_default();
        let _ = writeln!(out, "rollupd_head_block{{chain=\"{}\"}} {head}", c.name);
    }
    out
}

/// Scrapes served at once; more connections are closed unanswered (a scraper needs one).
const MAX_CONNECTIONS: usize = 64;

/// Serves the metrics on `addr` until the process ends. Returns the bound address.
pub(crate) async fn serve(
    addr: SocketAddr,
    chains: Vec<ChainMetrics>,
    settlement: Option<SettlementMetrics>,
) -> anyhow::Result<SocketAddr> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics endpoint to {addr}"))?;
    let bound = listener.local_addr()?;
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(async move {
        loop {
            let mut sock = match listener.accept().await {
                Ok((sock, _)) => sock,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::debug!(target: "rollup::metrics", error = %e, "metrics accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            // Over the limit the connection is closed at once.
            let Ok(slot) = slots.clone().try_acquire_owned() else { continue };
            let chains = chains.clone();
            let settlement = settlement.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let mut buf = [0u8; 1024];
                // One small request per connection; the body is ignored.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(5), sock.read(&mut buf))
                        .await;
                let mut body = render(&chains);
                if let Some(s) = &settlement {
                    render_sender(&mut body, &s.sender);
                    render_backlog(&mut body, s);
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    sock.write_all(resp.as_bytes()),
                )
                .await;
            });
        }
    });
    Ok(bound)
}
