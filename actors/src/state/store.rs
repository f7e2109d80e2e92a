//! The redb store of the flat state: slots, bytecode by hash, L2 block hashes.
//!
//! One writer (the sealer) applies a block's writes in one write transaction; readers take
//! snapshots (redb read transactions) that never see a half-applied block.

use super::{SlotKey, SlotWrite, StateError, StateReader};
use alloy::primitives::{Bytes, B256};
use redb::{
    Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, TableDefinition, WriteTransaction,
};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// `address (20) ‖ key (32)` -> value. Zero values are not stored.
const SLOTS: TableDefinition<'_, [u8; 52], [u8; 32]> = TableDefinition::new("state_slots");
/// keccak256(code) -> code.
const BYTECODES: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("state_bytecodes");
/// L2 block number -> block hash.
const BLOCK_HASHES: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("block_hashes");

/// The flat state in redb.
#[derive(Clone)]
pub struct StateStore {
    db: Arc<Database>,
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateStore").finish_non_exhaustive()
    }
}

impl StateStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Self::from_database(Arc::new(Database::create(path)?))
    }

    /// The state tables inside an already open database (shared with the block tables).
    pub fn from_database(db: Arc<Database>) -> Result<Self, StateError> {
        let store = Self { db };
        // Create the tables so read transactions never meet a missing table.
        let tx = store.db.begin_write()?;
        tx.open_table(SLOTS)?;
        tx.open_table(BYTECODES)?;
        tx.open_table(BLOCK_HASHES)?;
        tx.commit()?;
        Ok(store)
    }

    /// The underlying database, for writers that commit state together with other tables.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// A consistent read view of the current state.
    pub fn snapshot(&self) -> Result<StateSnapshot, StateError> {
        StateSnapshot::from_read(self.db.begin_read()?)
    }

    /// Applies slot writes and new bytecode in `tx` (the caller commits).
    pub fn apply_in(
        tx: &WriteTransaction,
        writes: &[SlotWrite],
        bytecodes: &[(B256, Bytes)],
    ) -> Result<(), StateError> {
        let mut slots = tx.open_table(SLOTS)?;
        for w in writes {
            let k = w.key.to_bytes();
            if w.new.is_zero() {
                slots.remove(k)?;
            } else {
                slots.insert(k, w.new.0)?;
            }
        }
        let mut codes = tx.open_table(BYTECODES)?;
        for (hash, code) in bytecodes {
            codes.insert(hash.0, code.as_ref())?;
        }
        Ok(())
    }

    /// Records an L2 block hash in `tx` (the caller commits).
    pub fn record_block_hash_in(
        tx: &WriteTransaction,
        number: u64,
        hash: B256,
    ) -> Result<(), StateError> {
        tx.open_table(BLOCK_HASHES)?.insert(number, hash.0)?;
        Ok(())
    }

    /// Applies writes and bytecode in their own durable transaction.
    pub fn apply(
        &self,
        writes: &[SlotWrite],
        bytecodes: &[(B256, Bytes)],
    ) -> Result<(), StateError> {
        let tx = self.db.begin_write()?;
        Self::apply_in(&tx, writes, bytecodes)?;
        tx.commit()?;
        Ok(())
    }
}

/// A read view of the store (a redb read transaction). Its slot table is opened once, when it
/// is taken, and the others on first use: opening a table looks it up by name (and formats its
/// type names), which cost more than the point read itself when done per read.
pub struct StateSnapshot {
    tx: ReadTransaction,
    slots: ReadOnlyTable<[u8; 52], [u8; 32]>,
    bytecodes: OnceLock<ReadOnlyTable<[u8; 32], &'static [u8]>>,
    block_hashes: OnceLock<ReadOnlyTable<u64, [u8; 32]>>,
}

impl StateSnapshot {
    /// A view over an existing read transaction of the same database.
    pub fn from_read(tx: ReadTransaction) -> Result<Self, StateError> {
        let slots = tx.open_table(SLOTS)?;
        Ok(Self { tx, slots, bytecodes: OnceLock::new(), block_hashes: OnceLock::new() })
    }

    fn table<'s, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'s self,
        cell: &'s OnceLock<ReadOnlyTable<K, V>>,
        def: TableDefinition<'_, K, V>,
    ) -> Result<&'s ReadOnlyTable<K, V>, StateError> {
        if let Some(t) = cell.get() {
            return Ok(t);
        }
        let opened = self.tx.open_table(def)?;
        Ok(cell.get_or_init(|| opened))
    }
}

impl std::fmt::Debug for StateSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSnapshot").finish_non_exhaustive()
    }
}

impl StateReader for StateSnapshot {
    fn slot(&self, key: &SlotKey) -> Result<B256, StateError> {
        Ok(self.slots.get(key.to_bytes())?.map(|v| B256::from(v.value())).unwrap_or_default())
    }

    fn bytecode(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        let table = self.table(&self.bytecodes, BYTECODES)?;
        Ok(table.get(hash.0)?.map(|v| Bytes::copy_from_slice(v.value())))
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        let table = self.table(&self.block_hashes, BLOCK_HASHES)?;
        Ok(table.get(number)?.map(|v| B256::from(v.value())))
    }
}
