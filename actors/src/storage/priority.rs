//! The eth watcher's tables (`priority_tables`): the requests it read from L1, its
//! cursor and the hashes of the L1 blocks it scanned last. The watcher is their only writer
//! (it holds the [`PriorityWriter`]); the sealer and the RPC read them ([`PriorityStore`]).

use crate::execution::priority::PriorityTx;
use crate::state::StateError;
use crate::storage::chain::{ChainStore, StoreError};
use crate::storage::priority_tables::{PRIORITY_OPS, WATCHER_BLOCKS, WATCHER_META};
use alloy::primitives::B256;
use redb::{Database, ReadableDatabase, ReadableTable};
use std::sync::Arc;

/// How many scanned L1 block hashes the watcher keeps (the deepest reorg it can walk back).
pub const KEPT_L1_HASHES: u64 = 256;

fn encode_row(op: &PriorityTx) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + op.raw.len());
    out.extend_from_slice(&op.l1_block.to_be_bytes());
    out.extend_from_slice(&op.expiration.to_be_bytes());
    out.extend_from_slice(&op.raw);
    out
}

fn decode_row(row: &[u8]) -> Result<PriorityTx, StoreError> {
    let corrupt =
        |detail: String| StoreError::State(StateError::Corrupt { table: "priority_ops", detail });
    if row.len() < 17 {
        return Err(corrupt("row shorter than its fixed part".into()));
    }
    let u64_at = |i: usize| u64::from_be_bytes(row[i..i + 8].try_into().unwrap_or_default());
    let mut tx = PriorityTx::decode_raw(&row[16..]).map_err(|e| corrupt(e.to_string()))?;
    tx.l1_block = u64_at(0);
    tx.expiration = u64_at(8);
    Ok(tx)
}

/// What the watcher last knew of L1: the earliest time a request it has not read could have
/// been made (the time of the first block it has not scanned, or, caught up with L1's head, the
/// time it asked for the head) and the forced-inclusion deadline. No request it has not read can
/// expire before `timestamp + deadline`; the sealer stops once half of that is gone
/// ([`L1View::blind_after`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1View {
    /// The earliest time, in seconds, a request the watcher has not read could have been made.
    pub timestamp: u64,
    /// `priorityTxDeadline` at that block, in seconds.
    pub deadline: u64,
}

impl L1View {
    /// The time after which sealing would risk a batch sealed after the deadline of a request
    /// the watcher has not read yet (L1 refuses its commit for good): half the deadline after the
    /// view, the other half kept for a governor shortening the deadline meanwhile.
    pub fn blind_after(&self) -> u64 {
        self.timestamp.saturating_add(self.deadline / 2)
    }
}

/// Why the watcher's rewind was refused.
#[derive(Debug, thiserror::Error)]
pub enum RewindError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A request the L2 already included came from a block L1 no longer has.
    #[error("L1 reorganised block {l1_block} away, but the L2 already included request {serial} from it (a reorg deeper than l1.confirmations)")]
    Included {
        /// The request.
        serial: u64,
        /// Its L1 block.
        l1_block: u64,
    },
}

/// The priority tables of one chain database.
#[derive(Debug, Clone)]
pub struct PriorityStore {
    db: Arc<Database>,
}

impl PriorityStore {
    /// The priority tables of the chain's database.
    pub fn of(chain: &ChainStore) -> Self {
        Self { db: chain.database().clone() }
    }

    /// The request with serial id `serial`.
    pub fn get(&self, serial: u64) -> Result<Option<PriorityTx>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(PRIORITY_OPS)?;
        table.get(serial)?.map(|v| decode_row(v.value())).transpose()
    }

    /// Up to `limit` requests from serial id `from` on, in order, stopping at the first gap.
    pub fn range(&self, from: u64, limit: usize) -> Result<Vec<PriorityTx>, StoreError> {
        self.range_within(from, limit, usize::MAX)
    }

    /// [`Self::range`] that also stops before the raw transactions pass `max_bytes` (the first
    /// always comes): what one block can hold, decoded without reading further.
    pub fn range_within(
        &self,
        from: u64,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<PriorityTx>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(PRIORITY_OPS)?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for row in table.range(from..)? {
            let (k, v) = row?;
            if out.len() >= limit || k.value() != from + out.len() as u64 {
                break;
            }
            // The row is `l1 block ‖ expiration ‖ raw`.
            let raw_len = v.value().len().saturating_sub(16);
            if !out.is_empty() && bytes + raw_len > max_bytes {
                break;
            }
            bytes += raw_len;
            out.push(decode_row(v.value())?);
        }
        Ok(out)
    }

    /// The serial id after the last stored request (0 if none).
    pub fn next_serial(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(PRIORITY_OPS)?.last()?.map_or(0, |(k, _)| k.value() + 1))
    }

    /// The first L1 block the watcher has not scanned (`None` before its first scan).
    pub fn next_block(&self) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(WATCHER_META)?.get("next_block")?.map(|v| v.value()))
    }

    /// What the watcher last knew of L1 (`None` before its first scan, and in a chain without
    /// one).
    pub fn l1_view(&self) -> Result<Option<L1View>, StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(WATCHER_META)?;
        let timestamp = meta.get("view_timestamp")?.map(|v| v.value());
        let deadline = meta.get("view_deadline")?.map(|v| v.value());
        Ok(timestamp.zip(deadline).map(|(timestamp, deadline)| L1View { timestamp, deadline }))
    }

    /// The hash the watcher saw for L1 block `number`, if it kept it.
    pub fn scanned_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(WATCHER_BLOCKS)?.get(number)?.map(|v| B256::from(v.value())))
    }

    /// The scanned blocks the watcher kept, newest first.
    pub fn scanned(&self) -> Result<Vec<(u64, B256)>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(WATCHER_BLOCKS)?;
        let mut out = Vec::new();
        for row in table.iter()?.rev() {
            let (k, v) = row?;
            out.push((k.value(), B256::from(v.value())));
        }
        Ok(out)
    }
}

/// The eth watcher's handle: the only writer of the priority tables.
#[derive(Debug, Clone)]
pub struct PriorityWriter(PriorityStore);

impl PriorityWriter {
    /// The writer [`ChainStore::open`] makes.
    pub(crate) fn new(store: &ChainStore) -> Self {
        Self(PriorityStore::of(store))
    }

    /// Another priority writer of `store`, for tests (the node's is made once by
    /// [`ChainStore::open`]).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn of(store: &ChainStore) -> Self {
        Self::new(store)
    }

    /// What it reads.
    pub fn reader(&self) -> &PriorityStore {
        &self.0
    }

    /// Records one scan in one transaction: the requests read (a serial id already stored is
    /// kept as it is: events are idempotent by serial id), the hash of the last block scanned,
    /// the next block to scan and, if given, what that scan knew of L1.
    pub fn record_scan(
        &self,
        ops: &[PriorityTx],
        last: (u64, B256),
        next_block: u64,
        view: Option<L1View>,
    ) -> Result<usize, StoreError> {
        let tx = self.0.db.begin_write()?;
        let mut added = 0;
        {
            let mut table = tx.open_table(PRIORITY_OPS)?;
            for op in ops {
                if table.get(op.serial)?.is_none() {
                    table.insert(op.serial, encode_row(op).as_slice())?;
                    added += 1;
                }
            }
            let mut blocks = tx.open_table(WATCHER_BLOCKS)?;
            blocks.insert(last.0, last.1 .0)?;
            let keep_from = last.0.saturating_sub(KEPT_L1_HASHES);
            blocks.retain(|k, _| k >= keep_from)?;
            let mut meta = tx.open_table(WATCHER_META)?;
            meta.insert("next_block", next_block)?;
            if let Some(view) = view {
                meta.insert("view_timestamp", view.timestamp)?;
                meta.insert("view_deadline", view.deadline)?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Records what the watcher knows of L1 after a poll that read nothing new.
    pub fn record_view(&self, view: L1View) -> Result<(), StoreError> {
        let tx = self.0.db.begin_write()?;
        {
            let mut meta = tx.open_table(WATCHER_META)?;
            meta.insert("view_timestamp", view.timestamp)?;
            meta.insert("view_deadline", view.deadline)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Moves the next block to scan back to `block` (never forward), keeping every stored
    /// request: the requests read again are kept as they are (idempotent by serial id).
    pub fn rescan_from(&self, block: u64) -> Result<(), StoreError> {
        let tx = self.0.db.begin_write()?;
        {
            let mut meta = tx.open_table(WATCHER_META)?;
            let next = meta.get("next_block")?.map(|v| v.value());
            if next.is_some_and(|n| n > block) {
                meta.insert("next_block", block)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// After a reorg: forgets every request read from an L1 block after `keep`, and every kept
    /// hash after it, so those blocks are scanned again from `keep + 1`. Refused if the L2
    /// already included a request from a forgotten block.
    pub fn rewind(&self, keep: u64) -> Result<usize, RewindError> {
        let tx = self.0.db.begin_write().map_err(StoreError::from)?;
        let mut removed = 0;
        {
            // Read in the same transaction as the deletions: a block committed meanwhile
            // cannot slip between the check and the rewind.
            let next_included = crate::storage::chain::next_priority_in(&tx)?;
            let mut table = tx.open_table(PRIORITY_OPS).map_err(StoreError::from)?;
            let mut gone = Vec::new();
            for row in table.iter().map_err(StoreError::from)? {
                let (k, v) = row.map_err(StoreError::from)?;
                let op = decode_row(v.value())?;
                if op.l1_block > keep {
                    if op.serial < next_included {
                        return Err(RewindError::Included {
                            serial: op.serial,
                            l1_block: op.l1_block,
                        });
                    }
                    gone.push(k.value());
                }
            }
            for k in gone {
                table.remove(k).map_err(StoreError::from)?;
                removed += 1;
            }
            let mut blocks = tx.open_table(WATCHER_BLOCKS).map_err(StoreError::from)?;
            blocks.retain(|k, _| k <= keep).map_err(StoreError::from)?;
            let mut meta = tx.open_table(WATCHER_META).map_err(StoreError::from)?;
            meta.insert("next_block", keep + 1).map_err(StoreError::from)?;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(removed)
    }
}
