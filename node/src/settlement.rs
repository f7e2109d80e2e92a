//! Wiring of settlement at the composition root: the batcher, the tree writer and the eth sender
//! join the L2's supervision tree; the prover exchange, the local provers and the gateway join
//! once the proving keys are ready (generating the dev keys takes a while; the L2 serves at once).
//!
//! The adapters here are what lets the crates stay apart: [`TreeJobs`] turns tree versions into
//! proof jobs for `rollup-prover`, [`Proofs`] hands stored proofs to `rollup-eth`.

use crate::config::NodeConfig;
use alloy::primitives::{Address, B256, U256};
use anyhow::Context;
use rollup_actors::batches::BatchStore;
use rollup_actors::state::SlotKey;
use rollup_actors::supervision::{ChildSpec, RestartBudget};
use rollup_contracts::bindings::IRollupChain::StoredBatchInfo;
use rollup_contracts::deploy::GenesisConfig;
use rollup_prover::exchange::ProofStore;
use rollup_prover::job::{JobSource, ProofJob};
use rollup_prover::keys::{KeySet, DEV_CAPACITIES, DEV_SEED};
use rollup_tree::{StateDiff, TreeStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The canonical diff of an L2 genesis: the allocation (balances at the base token's slots) and
/// the code hashes of the system contracts.
pub(crate) fn genesis_diff(alloc: &[(Address, U256)]) -> anyhow::Result<StateDiff> {
    let (code, _) = rollup_actors::system::genesis_writes();
    StateDiff::new(
        alloc
            .iter()
            .filter(|(_, b)| !b.is_zero())
            .map(|(a, b)| (SlotKey::balance(*a).derived_key(), B256::from(*b)))
            .chain(code.iter().map(|w| (w.key.derived_key(), w.new))),
    )
    .context("genesis allocation")
}

/// The genesis batch L1 must start from for this L2 genesis: its state commitment is the state
/// tree's commitment after the genesis allocation (the tree writer computes the same as batch 0),
/// and the deployment locks the allocation's sum in the Diamond.
pub(crate) fn genesis_config(alloc: &[(Address, U256)]) -> anyhow::Result<GenesisConfig> {
    let tree = TreeStore::in_memory().context("in-memory tree")?;
    let v = tree.apply_bulk(&genesis_diff(alloc)?).context("genesis tree")?;
    Ok(GenesisConfig {
        batch_hash: v.commitment,
        index_repeated_storage_changes: v.next_free,
        commitment: B256::ZERO,
        timestamp: 0,
        locked_wei: crate::config::alloc_sum(alloc)?,
    })
}

/// The genesis batch's stored info.
pub(crate) fn genesis_info(alloc: &[(Address, U256)]) -> anyhow::Result<StoredBatchInfo> {
    Ok(rollup_contracts::deploy::genesis_batch_info(&genesis_config(alloc)?))
}

/// Proof jobs from the tree: job `v` is the chunk leading to tree version `v`.
pub(crate) struct TreeJobs {
    pub(crate) batches: BatchStore,
    pub(crate) tree: TreeStore,
}

impl JobSource for TreeJobs {
    fn jobs_after(&self, after: u64, limit: usize) -> Result<Vec<ProofJob>, String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let mut out = Vec::new();
        // Batch 0 (genesis, tree version 1) is never proven.
        let Some(mut batch) = self.batches.batch_of_version(after + 1, 1).map_err(|x| e(&x))?
        else {
            return Ok(out);
        };
        let mut v = after + 1;
        while out.len() < limit {
            let Some(t) = self.batches.tree_result(batch).map_err(|x| e(&x))? else { break };
            v = v.max(t.base_version + 1);
            if v > t.last_version() {
                batch += 1;
                continue;
            }
            let witness = self.tree.witness(v).map_err(|x| e(&x))?;
            let chunk = (v - t.base_version - 1) as u32;
            out.push(ProofJob { id: v, batch, chunk, witness });
            v += 1;
        }
        Ok(out)
    }
}

/// Stored chunk proofs for the eth sender.
pub(crate) struct Proofs(pub(crate) ProofStore);

impl rollup_eth::ProofSource for Proofs {
    fn proof(&self, id: u64) -> Result<Option<Vec<U256>>, String> {
        Ok(self.0.get(id).map_err(|e| e.to_string())?.map(|(_, p)| p.to_vec()))
    }
}

/// Where the proving keys live.
pub(crate) fn keys_dir(config: &NodeConfig) -> PathBuf {
    if config.prover.keys_dir.is_empty() {
        config.data_dir.join("keys")
    } else {
        PathBuf::from(&config.prover.keys_dir)
    }
}

/// Loads the proving keys, generating and caching the insecure dev keys when allowed.
pub(crate) fn load_keys(dir: &Path, dev: bool) -> anyhow::Result<KeySet> {
    match KeySet::load(dir, &DEV_CAPACITIES) {
        Ok(k) => Ok(k),
        Err(e) if !dev => Err(e).with_context(|| {
            format!("loading proving keys from {} (see `rollupd prover setup`)", dir.display())
        }),
        Err(_) => {
            tracing::warn!(target: "rollup::prover", dir = %dir.display(), "generating the INSECURE dev proving keys (once; cached in this directory)");
            let started = std::time::Instant::now();
            let keys = KeySet::dev(&DEV_CAPACITIES, DEV_SEED).context("dev key setup")?;
            keys.write(dir).with_context(|| format!("caching dev keys in {}", dir.display()))?;
            tracing::info!(target: "rollup::prover", secs = started.elapsed().as_secs(), "dev proving keys ready");
            Ok(keys)
        }
    }
}

/// The restart budget of the settlement actors.
pub(crate) fn budget(config: &NodeConfig) -> RestartBudget {
    RestartBudget {
        max_restarts: config.supervisor.max_restarts,
        window: Duration::from_secs(config.supervisor.restart_window_secs),
    }
}

/// The children that run the prover side (exchange, local provers) once keys are ready.
pub(crate) fn prover_children(
    config: &NodeConfig,
    keys: Arc<KeySet>,
    db: Arc<redb::Database>,
    source: Arc<dyn JobSource>,
    events: rollup_events::EventBus,
    exchange: rollup_actors::protocol::ActorSlot<rollup_prover::exchange::ExchangeMsg>,
) -> Vec<ChildSpec> {
    use rollup_prover::actor::{ProverActor, ProverArgs};
    use rollup_prover::exchange::{ExchangeActor, ExchangeArgs};
    let budget = budget(config);
    let args = ExchangeArgs {
        db,
        vks: keys.verifying_keys(),
        lease_timeout: Duration::from_millis(config.prover.lease_ms),
        source: Some(source),
        events,
    };
    let slot = exchange.clone();
    let mut children = vec![ChildSpec::new("prover_exchange", budget, move |sup| {
        let (args, slot) = (args.clone(), slot.clone());
        async move {
            let (r, _) = ractor::Actor::spawn_linked(None, ExchangeActor, args, sup).await?;
            slot.set(Some(r.clone()));
            Ok(r.get_cell())
        }
    })];
    for i in 0..config.prover.local_workers {
        let (keys, slot) = (keys.clone(), exchange.clone());
        children.push(ChildSpec::new(format!("prover_{i}"), budget, move |sup| {
            let (keys, slot) = (keys.clone(), slot.clone());
            async move {
                // The prover asks the slot at each call: it follows exchange restarts.
                let exchange: rollup_prover::exchange::FindExchange = Arc::new(move || slot.get());
                let (progress, _) = tokio::sync::watch::channel(Default::default());
                let args = ProverArgs::new(
                    format!("local-{i}"),
                    exchange,
                    keys,
                    Duration::from_millis(500),
                    progress,
                );
                let (r, _) = ractor::Actor::spawn_linked(None, ProverActor, args, sup).await?;
                Ok(r.get_cell())
            }
        }));
    }
    children
}

/// What the L2 needs to settle.
pub(crate) struct Settling {
    /// Children for the L2's supervisor (batcher, tree writer, eth sender).
    pub(crate) children: Vec<ChildSpec>,
    /// Read access for the RPC.
    pub(crate) view: crate::rpc::SettlementView,
    /// What the metrics endpoint reports of settlement.
    pub(crate) metrics: crate::metrics::SettlementMetrics,
    /// For the prover side, started once keys are ready.
    prover_db: Arc<redb::Database>,
    jobs: Arc<TreeJobs>,
}

/// Builds the settlement children of the L2 in `open`, sending to the Diamond at `diamond` on
/// the L1 at `l1_url` with `operator`, and reading its priority requests from L1 block
/// `from_block` on.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settlement(
    config: &NodeConfig,
    open: &crate::node::OpenChain,
    l1_url: &str,
    l1_chain_id: u64,
    diamond: Address,
    operator: alloy::signers::local::PrivateKeySigner,
    genesis: StoredBatchInfo,
    from_block: u64,
) -> anyhow::Result<Settling> {
    use alloy::providers::{Provider, ProviderBuilder};
    let url: alloy::transports::http::reqwest::Url =
        l1_url.parse().with_context(|| format!("L1 URL `{l1_url}`"))?;
    let batches = BatchStore::open(&open.chain.store).context("batch tables")?;
    let tree = TreeStore::open(&config.data_dir.join("tree.redb")).context("opening tree.redb")?;
    let prover_db = Arc::new(
        redb::Database::create(config.data_dir.join("prover.redb"))
            .context("opening prover.redb")?,
    );
    let proofs = ProofStore::new(prover_db.clone()).context("prover tables")?;
    let proof_reader = proofs.clone();
    let sender = rollup_eth::SenderStore::open(open.chain.store.database().clone())
        .context("eth sender tables")?;
    let b = &config.batcher;
    let batcher_cfg = rollup_actors::batcher::BatcherConfig {
        limits: rollup_actors::batcher::criteria::Limits {
            max_writes: b.max_writes,
            max_pubdata_bytes: b.max_pubdata_bytes,
            max_l2_logs: b.max_l2_logs,
            max_blocks: b.max_blocks,
            max_age: Duration::from_millis(b.max_age_ms),
            max_bytecodes: b.max_bytecodes,
            max_priority_ops: b.max_priority_ops,
        },
        chunk_records: b.chunk_records,
    };
    let budget = budget(config);
    let metrics = Arc::new(rollup_eth::SenderMetrics::default());
    let mut children = vec![
        rollup_actors::batcher::spec(
            open.chain.clone(),
            batches.clone(),
            open.events.clone(),
            batcher_cfg,
        ),
        rollup_actors::tree_writer::spec(
            rollup_actors::tree_writer::TreeWriterArgs {
                batches: batches.clone(),
                tree: tree.clone(),
                events: open.events.clone(),
                chain: open.chain.clone(),
            },
            budget,
        ),
    ];
    let w = &config.eth_watcher;
    children.push(rollup_eth::watcher::spec(
        rollup_eth::watcher::WatcherArgs {
            config: rollup_eth::watcher::WatcherConfig {
                diamond,
                confirmations: config.l1.confirmations,
                from_block,
                max_range: w.max_blocks_per_scan,
                poll: Duration::from_millis(w.poll_ms),
            },
            provider: ProviderBuilder::new().connect_http(url.clone()).erased(),
            chain: open.chain.clone(),
            events: open.events.clone(),
        },
        budget,
    ));
    if config.eth_sender.enabled {
        let e = &config.eth_sender;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        let args = rollup_eth::EthSenderArgs {
            config: rollup_eth::EthSenderConfig {
                diamond,
                chain_id: l1_chain_id,
                confirmations: config.l1.confirmations,
                max_batches_per_tx: e.max_batches_per_tx,
                max_calldata_bytes: e.max_calldata_bytes,
                max_gas: e.max_gas,
                resend_after: Duration::from_millis(e.resend_after_ms),
                fee_bump_percent: e.fee_bump_percent,
                poll: Duration::from_millis(e.poll_ms),
                max_uncommitted_batches: e.max_uncommitted_batches,
                max_unproven_writes: e.max_unproven_writes,
            },
            provider,
            operator: operator.address(),
            wallet: alloy::network::EthereumWallet::from(operator),
            genesis,
            batches: batches.clone(),
            store: sender.clone(),
            proofs: Arc::new(Proofs(proofs)),
            events: open.events.clone(),
            metrics: metrics.clone(),
            chain: open.chain.clone(),
        };
        children.push(rollup_eth::sender::spec(args, budget));
    }
    Ok(Settling {
        children,
        view: crate::rpc::SettlementView { batches: batches.clone(), sender, l1_chain_id, diamond },
        metrics: crate::metrics::SettlementMetrics {
            sender: metrics,
            batches: batches.clone(),
            proofs: proof_reader,
        },
        prover_db,
        jobs: Arc::new(TreeJobs { batches, tree }),
    })
}

impl Settling {
    /// Loads (or generates) the keys off the async threads, then starts the prover side under
    /// its own supervisor and registers it with `running`. Errors are logged: the L2 keeps
    /// running without proofs.
    pub(crate) fn start_provers(
        self,
        config: &NodeConfig,
        open: &crate::node::OpenChain,
        running: &crate::node::RunningChain,
    ) {
        let config = config.clone();
        let events = open.events.clone();
        let adopt = running.adopt_handle();
        let (db, jobs) = (self.prover_db, self.jobs);
        tokio::spawn(async move {
            let dir = keys_dir(&config);
            let dev = config.prover.dev_keys;
            // A plain thread, not the runtime's blocking pool: a shutdown during the minute
            // of dev key generation must not wait for it.
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || {
                let _ = tx.send(load_keys(&dir, dev));
            });
            let keys = match rx.await {
                Ok(Ok(k)) => Arc::new(k),
                Ok(Err(e)) => {
                    tracing::error!(target: "rollup::prover", error = %format!("{e:#}"), "no proving keys: batches will not be proven");
                    return;
                }
                Err(_) => {
                    tracing::error!(target: "rollup::prover", "key setup panicked");
                    return;
                }
            };
            let slot = rollup_actors::protocol::ActorSlot::default();
            let children = prover_children(&config, keys, db, jobs, events, slot.clone());
            let status = Arc::new(rollup_actors::supervision::SupervisorStatus::default());
            match crate::node::supervise("prover", children, status).await {
                Ok(started) => {
                    if let Ok(mut g) = adopt.lock() {
                        g.push(started);
                    }
                    tracing::info!(target: "rollup::prover", workers = config.prover.local_workers, "provers started");
                }
                Err(e) => {
                    tracing::error!(target: "rollup::prover", error = %format!("{e:#}"), "starting the provers failed")
                }
            }
            if !config.prover.gateway_addr.is_empty() {
                // The gateway asks the slot at each request: it follows exchange restarts.
                let exchange: rollup_prover::exchange::FindExchange = Arc::new(move || slot.get());
                match gateway_token(&config) {
                    Some(token) => {
                        let addr = config.prover.gateway_addr.parse().expect("validated at start");
                        match rollup_prover::gateway::start(addr, token, exchange).await {
                            Ok((bound, handle)) => {
                                tracing::info!(target: "rollup::prover", %bound, "prover gateway listening");
                                // The gateway lives as long as the process.
                                std::mem::forget(handle);
                            }
                            Err(e) => {
                                tracing::error!(target: "rollup::prover", error = %e, "prover gateway failed to start")
                            }
                        }
                    }
                    None => {
                        tracing::info!(target: "rollup::prover", "no ROLLUPD_PROVER_TOKEN or prover.token_file: the prover gateway is off")
                    }
                }
            }
        });
    }
}

/// The gateway's bearer token: `ROLLUPD_PROVER_TOKEN`, else `prover.token_file`.
fn gateway_token(config: &NodeConfig) -> Option<String> {
    if let Ok(t) = std::env::var("ROLLUPD_PROVER_TOKEN") {
        if !t.trim().is_empty() {
            return Some(t.trim().to_string());
        }
    }
    if config.prover.token_file.is_empty() {
        return None;
    }
    std::fs::read_to_string(&config.prover.token_file)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}
