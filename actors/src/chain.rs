//! The shared handle of one running chain (L2, or the embedded dev L1 in instant-sealing mode):
//! its configuration, store, sealed-block notifications (for subscriptions), metrics and the
//! supervisor's status. It is not an actor registry: actors find each other through the slots of
//! [`crate::protocol`], which the composition root wires.

use crate::block::{build_block, BlockInput, BuiltBlock, ChainSpec};
use crate::pool::PoolConfig;
use crate::state::{SlotKey, SlotWrite, StateReader};
use crate::store::{ChainStore, StoreError};
use crate::supervision::SupervisorStatus;
use crate::validation::{AccountView, ValidationConfig};
use alloy::primitives::{Address, Log, B256, U256};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
#[cfg(feature = "test-utils")]
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Everything about a chain that does not change while it runs.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// Execution parameters.
    pub spec: ChainSpec,
    /// Admission rules.
    pub validation: ValidationConfig,
    /// Pool limits.
    pub pool: PoolConfig,
    /// Target L2 block time in milliseconds; 0 seals as soon as transactions arrive (L1 mode).
    pub block_time_ms: u64,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most raw transaction bytes in one block.
    pub max_block_bytes: usize,
    /// Restarts allowed per child within [`Self::restart_window_secs`] before the node stops.
    pub max_restarts: u32,
    /// The restart budget's window.
    pub restart_window_secs: u64,
    /// Name used in logs and actor names (`l1`, `l2`).
    pub name: String,
    /// Whether genesis holds the L2 system contracts ([`crate::system`]): true for a rollup's
    /// L2, false for the embedded dev L1.
    pub system_contracts: bool,
}

/// A sealed block as announced to subscribers (after it is durable).
#[derive(Debug, Clone)]
pub struct SealedBlock {
    /// The header.
    pub header: alloy::consensus::Header,
    /// Its hash.
    pub hash: B256,
    /// Its logs, with (transaction hash, transaction index, log index in block).
    pub logs: Vec<(Log, B256, u64, u64)>,
}

/// Counters exposed on the metrics endpoint.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Blocks sealed since start.
    pub blocks_sealed: AtomicU64,
    /// Transactions included since start.
    pub txs_included: AtomicU64,
    /// Transactions dropped at execution since start.
    pub txs_dropped: AtomicU64,
    /// Current pool size.
    pub pool_size: AtomicU64,
    /// Sum of seal latencies (build + durable commit) in microseconds.
    pub seal_micros_total: AtomicU64,
    /// Last seal latency in microseconds.
    pub seal_micros_last: AtomicU64,
    /// L1 batches sealed since start.
    pub batches_sealed: AtomicU64,
    /// L1 batches applied to the state tree since start.
    pub batches_applied: AtomicU64,
}

/// Whether settlement is too far behind for new transactions (a configured backlog limit is
/// passed). Set by the eth sender, read by the pool at admission; `None` when admission is open.
#[derive(Debug, Default)]
pub struct Backlog {
    over: std::sync::Mutex<Option<String>>,
}

impl Backlog {
    /// Why admission is slowed, if it is.
    pub fn over(&self) -> Option<String> {
        self.over.lock().ok().and_then(|g| g.clone())
    }

    /// Records the state (the reason when over a limit).
    pub fn set(&self, why: Option<String>) {
        if let Ok(mut g) = self.over.lock() {
            if g.is_some() != why.is_some() {
                match &why {
                    Some(w) => {
                        tracing::warn!(target: "rollup::backlog", reason = %w, "settlement backlog over its limit: refusing new transactions")
                    }
                    None => {
                        tracing::info!(target: "rollup::backlog", "settlement backlog back under its limits: admission open")
                    }
                }
            }
            *g = why;
        }
    }
}

/// Points where a test can make an actor panic in the middle of its work.
#[cfg(feature = "test-utils")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The sealer panics after building a block, before committing it.
    SealerBeforeCommit,
    /// The sealer panics after committing a block, before telling the pool.
    SealerAfterCommit,
    /// The pool panics while it holds admitted but not yet persisted transactions.
    PoolBeforeFlush,
    /// The pool panics after persisting admitted transactions, before answering them and
    /// waking the sealer.
    PoolAfterFlush,
    /// The batcher panics when woken.
    Batcher,
    /// The tree writer panics before applying a batch.
    TreeWriterBeforeApply,
    /// The tree writer panics after applying a batch to the tree, before recording it.
    TreeWriterAfterApply,
}

/// The shared handle of a running chain.
#[derive(Debug)]
pub struct Chain {
    /// Configuration.
    pub config: ChainConfig,
    /// Blocks, state and the persisted pool.
    pub store: ChainStore,
    /// Counters.
    pub metrics: Metrics,
    /// The supervisor's status (why it stopped, restarts).
    pub status: Arc<SupervisorStatus>,
    /// Settlement backlog: when over a limit, the pool refuses new transactions.
    pub backlog: Backlog,
    events: broadcast::Sender<Arc<SealedBlock>>,
    admitted: broadcast::Sender<B256>,
    #[cfg(feature = "test-utils")]
    faults: Mutex<std::collections::HashSet<Fault>>,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Chain {
    /// Wraps an opened store. Call [`Self::init_genesis`] before starting actors.
    pub fn new(config: ChainConfig, store: ChainStore) -> Arc<Self> {
        let (events, _) = broadcast::channel(1024);
        let (admitted, _) = broadcast::channel(4096);
        Arc::new(Self {
            config,
            store,
            metrics: Metrics::default(),
            events,
            admitted,
            status: Arc::new(SupervisorStatus::default()),
            backlog: Backlog::default(),
            #[cfg(feature = "test-utils")]
            faults: Mutex::new(Default::default()),
        })
    }

    /// Writes block 0 with `alloc` (address, balance) if the chain has no block yet. Returns
    /// whether it did (false: an existing chain is resumed).
    pub fn init_genesis(
        &self,
        alloc: &[(Address, U256)],
        timestamp: u64,
    ) -> Result<bool, StoreError> {
        if self.store.head()?.is_some() {
            return Ok(false);
        }
        let mut writes: Vec<SlotWrite> = alloc
            .iter()
            .map(|(a, b)| SlotWrite {
                key: SlotKey::balance(*a),
                old: B256::ZERO,
                new: B256::from(*b),
            })
            .filter(|w| !w.new.is_zero())
            .collect();
        writes.sort_by_key(|w| w.key);
        writes.dedup_by_key(|w| w.key);
        let mut codes = Vec::new();
        if self.config.system_contracts {
            let (code_writes, bytecodes) = crate::system::genesis_writes();
            writes.extend(code_writes);
            writes.sort_by_key(|w| w.key);
            codes = bytecodes;
        }
        let empty = self.store.state().snapshot()?;
        let mut block: BuiltBlock = build_block(
            empty,
            &self.config.spec,
            BlockInput { number: 0, timestamp, parent_hash: B256::ZERO },
            Vec::new(),
        )?;
        block.header.state_root = crate::block::writes_hash(&writes);
        block.hash = block.header.hash_slow();
        block.writes = writes;
        block.bytecodes = codes;
        self.store.commit_block(&block)?;
        Ok(true)
    }

    /// The account as admission sees it (committed state).
    pub fn account(&self, address: Address) -> Result<AccountView, StoreError> {
        let snap = self.store.state().snapshot()?;
        let nonce = U256::from_be_bytes(snap.slot(&SlotKey::nonce(address))?.0);
        let balance = U256::from_be_bytes(snap.slot(&SlotKey::balance(address))?.0);
        let has_code = !snap.slot(&SlotKey::code_hash(address))?.is_zero();
        Ok(AccountView { nonce: nonce.saturating_to(), balance, has_code })
    }

    /// Committed account nonces of `addresses`, read from one snapshot.
    pub fn nonces(&self, addresses: &[Address]) -> Result<Vec<u64>, StoreError> {
        let snap = self.store.state().snapshot()?;
        addresses
            .iter()
            .map(|a| {
                let v = U256::from_be_bytes(snap.slot(&SlotKey::nonce(*a))?.0);
                Ok(v.saturating_to())
            })
            .collect()
    }

    /// Subscribes to sealed blocks.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<SealedBlock>> {
        self.events.subscribe()
    }

    /// Subscribes to the hashes of transactions the pool admitted (durably), in admission order.
    /// A receiver that falls behind loses the oldest (`Lagged`).
    pub fn subscribe_admitted(&self) -> broadcast::Receiver<B256> {
        self.admitted.subscribe()
    }

    pub(crate) fn announce_admitted(&self, hash: B256) {
        // No subscriber is not an error.
        let _ = self.admitted.send(hash);
    }

    pub(crate) fn announce(&self, block: SealedBlock) {
        // No subscriber is not an error.
        let _ = self.events.send(Arc::new(block));
    }

    /// Why the chain stopped, if it stopped on an error (restart budget exhausted).
    pub fn fatal(&self) -> Option<String> {
        self.status.fatal()
    }

    /// Whether a clean shutdown is under way (crashes are then not restarted).
    pub fn is_stopping(&self) -> bool {
        self.status.is_stopping()
    }

    /// Arms a fault: the next time the actor reaches that point, it panics.
    #[cfg(feature = "test-utils")]
    pub fn arm(&self, fault: Fault) {
        if let Ok(mut g) = self.faults.lock() {
            g.insert(fault);
        }
    }

    #[cfg(feature = "test-utils")]
    pub(crate) fn trip(&self, fault: Fault) {
        let armed = self.faults.lock().map(|mut g| g.remove(&fault)).unwrap_or(false);
        if armed {
            panic!("injected fault: {fault:?}");
        }
    }
}
