//! What settlement is made of at the composition root: the genesis batch L1 starts from, the
//! stores and L1 providers settlement opens ([`SettlementParts`]), the proving keys, and the
//! adapters that let the crates stay apart: [`TreeJobs`] turns tree versions into proof jobs for
//! `rollup-prover`, [`Proofs`] hands stored proofs to `rollup-eth`. Which actors run on them is
//! listed in `trees.rs`.

use crate::config::NodeConfig;
use alloy::primitives::{Address, B256, U256};
use anyhow::Context;
use rollup_actors::settlement::backlog::{BacklogGauge, BacklogWriter};
use rollup_actors::state::SlotKey;
use rollup_actors::storage::batches::{BatchStore, BatchWriters};
use rollup_contracts::bindings::IRollupChain::StoredBatchInfo;
use rollup_contracts::deploy::GenesisConfig;
use rollup_prover::exchange::{LeaseGauge, ProofStore};
use rollup_prover::job::{BoxError, JobSource, ProofJob};
use rollup_prover::keys::{KeySet, DEV_SEED, DEV_SHAPES};
use rollup_supervision::RestartBudget;
use rollup_tree::{StateDiff, TreeReader, TreeStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The canonical diff of an L2 genesis: the allocation (balances at the base token's slots) and
/// the code hashes of the system contracts.
pub(crate) fn genesis_diff(alloc: &[(Address, U256)]) -> anyhow::Result<StateDiff> {
    let (code, _) = rollup_actors::execution::system::genesis_writes();
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
    pub(crate) tree: TreeReader,
}

impl JobSource for TreeJobs {
    fn jobs_after(&self, after: u64, limit: usize) -> Result<Vec<ProofJob>, BoxError> {
        let mut out = Vec::new();
        // Batch 0 (genesis, tree version 1) is never proven.
        let Some(mut batch) = self.batches.batch_of_version(after + 1, 1)? else {
            return Ok(out);
        };
        let mut v = after + 1;
        while out.len() < limit {
            let Some(t) = self.batches.tree_result(batch)? else { break };
            v = v.max(t.base_version + 1);
            if v > t.last_version() {
                batch += 1;
                continue;
            }
            let witness = self.tree.witness(v)?;
            let chunk = (v - t.base_version - 1) as u32;
            out.push(ProofJob { id: v, batch, chunk, witness });
            v += 1;
        }
        Ok(out)
    }
}

/// How long without a prover's request the batcher takes as "no prover running" and seals by
/// age again (local and remote provers poll every second or so while idle, and heartbeat every
/// third of a lease while proving).
const PROVER_SILENCE: Duration = Duration::from_secs(30);

/// The provers' load for the batcher: chunks of sealed batches, less those proven and those a
/// prover holds now. Proofs are kept (the exchange never deletes one), so their count is the
/// number of chunks proven. With no prover heard from for [`PROVER_SILENCE`] (keys that failed
/// to load, no local worker and no remote one connected) nothing waits *for a prover*: batches
/// seal by age, so commits do not lag by `max_age_behind_ms`.
pub(crate) struct ProvingQueue {
    pub(crate) batches: BatchStore,
    pub(crate) proofs: ProofStore,
    pub(crate) leased: LeaseGauge,
}

impl rollup_actors::settlement::proving::ProvingLoad for ProvingQueue {
    fn waiting_chunks(&self) -> Result<u64, rollup_actors::settlement::proving::BoxError> {
        if !self.leased.prover_seen(PROVER_SILENCE) {
            return Ok(0);
        }
        let Some(sealed) = self.batches.last_sealed()? else { return Ok(0) };
        let applied = self.batches.last_applied()?;
        if sealed > 0 && applied.is_none_or(|a| a < sealed) {
            // A sealed batch the tree writer has not applied: it has at least one chunk (its
            // batch-info record), and none of its chunks can be proven or leased yet.
            return Ok(1);
        }
        // Chunks after genesis (version 1, batch 0, is never proven).
        let chunks = match applied {
            Some(a) => {
                self.batches.tree_result(a)?.map_or(0, |t| t.last_version().saturating_sub(1))
            }
            None => 0,
        };
        let proven = self.proofs.count()?;
        Ok(chunks.saturating_sub(proven).saturating_sub(self.leased.get() as u64))
    }

    fn proving_rate(&self) -> Option<f64> {
        // Silent provers prove nothing: no rate, rather than an old one.
        self.leased.prover_seen(PROVER_SILENCE).then(|| self.leased.proving_rate()).flatten()
    }
}

/// Stored chunk proofs for the eth sender.
pub(crate) struct Proofs(pub(crate) ProofStore);

impl rollup_eth::ProofSource for Proofs {
    fn proof(&self, id: u64) -> Result<Option<Vec<U256>>, rollup_eth::error::BoxError> {
        Ok(self.0.get(id)?.map(|(_, p)| p.to_vec()))
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
    match KeySet::load(dir, &DEV_SHAPES) {
        Ok(k) => Ok(k),
        Err(e) if !dev => Err(e).with_context(|| {
            format!("loading proving keys from {} (see `rollupd prover setup`)", dir.display())
        }),
        Err(e) => {
            // Missing on first use; otherwise say what was wrong with the files replaced.
            if !matches!(&e, rollup_prover::keys::KeyError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
            {
                tracing::warn!(target: "rollup::prover", dir = %dir.display(), error = %e, "the dev key files there are refused; replacing them");
            }
            tracing::warn!(target: "rollup::prover", dir = %dir.display(), "generating the INSECURE dev proving keys (once; cached in this directory)");
            let started = std::time::Instant::now();
            let keys = KeySet::dev(&DEV_SHAPES, DEV_SEED).context("dev key setup")?;
            keys.write(dir).with_context(|| format!("caching dev keys in {}", dir.display()))?;
            tracing::info!(target: "rollup::prover", secs = started.elapsed().as_secs(), "dev proving keys ready");
            Ok(keys)
        }
    }
}

/// The restart budget of every supervised actor (`[supervisor]`).
pub(crate) fn budget(config: &NodeConfig) -> RestartBudget {
    RestartBudget {
        max_restarts: config.supervisor.max_restarts,
        window: Duration::from_secs(config.supervisor.restart_window_secs),
    }
}

/// The L1 an L2 settles on.
pub(crate) struct L1Target {
    pub(crate) url: String,
    pub(crate) chain_id: u64,
    pub(crate) diamond: Address,
    pub(crate) operator: alloy::signers::local::PrivateKeySigner,
    pub(crate) genesis: StoredBatchInfo,
    /// Where the eth watcher starts reading L1.
    pub(crate) from_block: u64,
}

/// What settlement opens once for the L2 in `chain` (stores, L1 providers, the backlog gauge's
/// writer) before `trees.rs` splits it among the settlement and prover actors.
pub(crate) struct SettlementParts {
    pub(crate) l1: L1Target,
    /// A provider of the L1 (no wallet: the eth sender signs itself).
    pub(crate) provider: alloy::providers::DynProvider,
    /// The batch tables (read-only), and their writers for the batcher and the tree writer.
    pub(crate) batches: BatchStore,
    pub(crate) batch_writers: BatchWriters,
    pub(crate) tree: TreeStore,
    /// `prover.redb`: the exchange's queue and the proofs.
    pub(crate) prover_db: Arc<redb::Database>,
    pub(crate) proofs: ProofStore,
    /// Jobs leased by provers right now: the exchange writes it, the batcher reads it.
    pub(crate) leased: LeaseGauge,
    /// The eth sender's tables (read-only), and their writer for the sender.
    pub(crate) sender: rollup_eth::SenderStore,
    pub(crate) sender_writer: rollup_eth::SenderWriter,
    pub(crate) sender_metrics: Arc<rollup_eth::SenderMetrics>,
    /// Settlement's back-pressure: the eth sender writes it, the pool reads its gauge.
    pub(crate) backlog: BacklogWriter,
    /// The same gauge as the pool's, for the RPC.
    pub(crate) backlog_gauge: BacklogGauge,
    /// `eth_sender.max_finality_secs`.
    pub(crate) max_finality_secs: u64,
}

impl SettlementParts {
    /// Opens what settlement needs of `chain` and `l1`; returns it with the backlog gauge the
    /// L2's pool reads.
    pub(crate) fn open(
        config: &NodeConfig,
        chain: &crate::node::OpenChain,
        l1: L1Target,
    ) -> anyhow::Result<(Self, BacklogGauge)> {
        use alloy::providers::{Provider, ProviderBuilder};
        let url: alloy::transports::http::reqwest::Url =
            l1.url.parse().with_context(|| format!("L1 URL `{}`", l1.url))?;
        let (batches, batch_writers) = BatchStore::open(&chain.store).context("batch tables")?;
        let tree =
            TreeStore::open(&config.data_dir.join("tree.redb")).context("opening tree.redb")?;
        let prover_db = Arc::new(
            redb::Database::create(config.data_dir.join("prover.redb"))
                .context("opening prover.redb")?,
        );
        let proofs = ProofStore::new(prover_db.clone()).context("prover tables")?;
        let (sender, sender_writer) = rollup_eth::SenderStore::open(chain.store.database().clone())
            .context("eth sender tables")?;
        let (backlog, gauge) = rollup_actors::settlement::backlog::backlog();
        let parts = Self {
            l1,
            provider: ProviderBuilder::new().connect_http(url).erased(),
            batches,
            batch_writers,
            tree,
            prover_db,
            proofs,
            leased: LeaseGauge::default(),
            sender,
            sender_writer,
            sender_metrics: Arc::new(rollup_eth::SenderMetrics::default()),
            backlog,
            backlog_gauge: gauge.clone(),
            max_finality_secs: config.eth_sender.max_finality_secs,
        };
        Ok((parts, gauge))
    }

    /// What the RPC reads of settlement.
    pub(crate) fn view(&self) -> crate::rpc::SettlementView {
        crate::rpc::SettlementView {
            batches: self.batches.clone(),
            sender: self.sender.clone(),
            l1_chain_id: self.l1.chain_id,
            diamond: self.l1.diamond,
            metrics: self.sender_metrics.clone(),
            backlog: self.backlog_gauge.clone(),
            max_finality_secs: self.max_finality_secs,
        }
    }

    /// What the metrics endpoint reports of settlement.
    pub(crate) fn metrics(&self) -> crate::metrics::SettlementMetrics {
        crate::metrics::SettlementMetrics {
            sender: self.sender_metrics.clone(),
            batches: self.batches.clone(),
            proofs: self.proofs.clone(),
        }
    }

    /// What the prover tree is built from; `events` is the L2's bus.
    pub(crate) fn prover_parts(&self, events: rollup_events::EventBus) -> ProverParts {
        ProverParts {
            db: self.prover_db.clone(),
            jobs: Arc::new(TreeJobs {
                batches: self.batches.clone(),
                tree: TreeReader::of(&self.tree),
            }),
            events,
            leased: self.leased.clone(),
        }
    }

    /// The provers' load, as the batcher reads it.
    pub(crate) fn proving_load(&self) -> Arc<ProvingQueue> {
        Arc::new(ProvingQueue {
            batches: self.batches.clone(),
            proofs: self.proofs.clone(),
            leased: self.leased.clone(),
        })
    }
}

/// The proving keys, loaded (or generated: the dev keys take a while, and the L2 serves
/// meanwhile) on a thread of their own. Failing to load is logged: `None`, no provers run.
pub(crate) async fn keys_when_ready(config: &NodeConfig) -> Option<Arc<KeySet>> {
    let dir = keys_dir(config);
    let dev = config.prover.dev_keys;
    // A plain thread, not the runtime's blocking pool: a shutdown during the minute of dev key
    // generation must not wait for it.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(load_keys(&dir, dev));
    });
    match rx.await {
        Ok(Ok(k)) => Some(Arc::new(k)),
        Ok(Err(e)) => {
            tracing::error!(target: "rollup::prover", error = %format!("{e:#}"), "no proving keys: batches will not be proven");
            None
        }
        Err(_) => {
            tracing::error!(target: "rollup::prover", "key setup panicked");
            None
        }
    }
}

/// What the prover tree is built from.
pub(crate) struct ProverParts {
    /// `prover.redb`.
    pub(crate) db: Arc<redb::Database>,
    /// Chunk jobs from the tree.
    pub(crate) jobs: Arc<TreeJobs>,
    /// [`rollup_events::Event::TreeApplied`] in, proven chunks out.
    pub(crate) events: rollup_events::EventBus,
    /// Where the exchange counts its leases.
    pub(crate) leased: LeaseGauge,
}

/// The gateway's bearer token: `ROLLUPD_PROVER_TOKEN`, else `prover.token_file`.
pub(crate) fn gateway_token(config: &NodeConfig) -> Option<String> {
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
