//! What a chain (the L2, or the embedded dev L1 in instant-sealing mode) is made of before the
//! composition root splits it among its actors and the RPC: its configuration, its genesis, and
//! the two feeds the RPC's subscriptions read (sealed blocks from the sealer, admitted
//! transactions from the pool). Nothing here is shared mutable state: each feed has one
//! publisher, and the actors find each other through [`crate::sequencer::protocol`]'s slots.

use crate::execution::block::{build_block, BlockInput, BuiltBlock, ChainSpec};
use crate::execution::validation::ValidationConfig;
use crate::sequencer::pool::PoolConfig;
use crate::state::{SlotKey, SlotWrite};
use crate::storage::chain::{BlockWriter, StoreError};
use alloy::primitives::{Address, Log, B256, U256};
use std::sync::Arc;
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
    /// Name used in logs and actor names (`l1`, `l2`).
    pub name: String,
    /// Whether genesis holds the L2 system contracts ([`crate::execution::system`]): true for a rollup's
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

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Sealed blocks, announced by the sealer once durable, for the RPC's subscriptions and filters.
/// Clones share the feed.
#[derive(Debug, Clone)]
pub struct BlockFeed(broadcast::Sender<Arc<SealedBlock>>);

impl Default for BlockFeed {
    fn default() -> Self {
        Self(broadcast::channel(1024).0)
    }
}

impl BlockFeed {
    /// Announces a sealed block. No subscriber is not an error.
    pub fn publish(&self, block: SealedBlock) {
        let _ = self.0.send(Arc::new(block));
    }

    /// Subscribes to sealed blocks. A receiver that falls behind loses the oldest (`Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<SealedBlock>> {
        self.0.subscribe()
    }
}

/// Hashes of the transactions the pool admitted (durably), in admission order, for pending
/// transaction filters and subscriptions. Clones share the feed.
#[derive(Debug, Clone)]
pub struct AdmittedFeed(broadcast::Sender<B256>);

impl Default for AdmittedFeed {
    fn default() -> Self {
        Self(broadcast::channel(4096).0)
    }
}

impl AdmittedFeed {
    /// Announces an admitted transaction. No subscriber is not an error.
    pub fn publish(&self, hash: B256) {
        let _ = self.0.send(hash);
    }

    /// Subscribes to admissions. A receiver that falls behind loses the oldest (`Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<B256> {
        self.0.subscribe()
    }
}

/// Writes block 0 with `alloc` (address, balance) if the chain has no block yet. Returns
/// whether it did (false: an existing chain is resumed).
pub fn init_genesis(
    config: &ChainConfig,
    writer: &BlockWriter,
    alloc: &[(Address, U256)],
    timestamp: u64,
) -> Result<bool, StoreError> {
    let store = writer.reader();
    if store.head()?.is_some() {
        return Ok(false);
    }
    let mut writes: Vec<SlotWrite> = alloc
        .iter()
        .map(|(a, b)| SlotWrite { key: SlotKey::balance(*a), old: B256::ZERO, new: B256::from(*b) })
        .filter(|w| !w.new.is_zero())
        .collect();
    writes.sort_by_key(|w| w.key);
    writes.dedup_by_key(|w| w.key);
    let mut codes = Vec::new();
    if config.system_contracts {
        let (code_writes, bytecodes) = crate::execution::system::genesis_writes();
        writes.extend(code_writes);
        writes.sort_by_key(|w| w.key);
        codes = bytecodes;
    }
    let empty = store.state().snapshot()?;
    let mut block: BuiltBlock = build_block(
        empty,
        &config.spec,
        BlockInput { number: 0, timestamp, parent_hash: B256::ZERO },
        Vec::new(),
    )?;
    block.header.state_root = crate::execution::block::writes_hash(&writes);
    block.hash = block.header.hash_slow();
    block.writes = writes;
    block.bytecodes = codes;
    writer.commit_block(&block)?;
    Ok(true)
}
