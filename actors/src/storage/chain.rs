//! The chain store: blocks, transactions, receipts and per-block slot writes, in the same redb
//! database as the state, so a block and its state changes land in one write transaction.
//!
//! Invariant: block `n` is stored only if block `n - 1` is the head and is its parent; the head,
//! the block's rows and the state it leaves behind become visible together, or not at all.
//!
//! Who writes: [`ChainStore`] only reads. [`ChainStore::open`] makes the writers once: the
//! sealer holds the [`BlockWriter`] (blocks, state, and the pool rows a block includes, in the
//! same transaction), the pool actor the [`PoolWriter`] (admissions, replacements, expiry), the
//! eth watcher the priority tables' writer. Outside tests (`test-utils`) no other writer can be
//! made.

use crate::execution::block::BuiltBlock;
use crate::execution::validation::AccountView;
use crate::state::{SlotKey, SlotWrite, StateError, StateReader, StateStore};
use alloy::consensus::{Header, ReceiptEnvelope};
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::rlp::{Decodable, Encodable};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;

/// number -> RLP header.
const HEADERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("headers");
/// block hash -> number.
const BLOCK_NUMBERS: TableDefinition<'_, [u8; 32], u64> = TableDefinition::new("block_numbers");
/// number -> concatenated transaction hashes.
const BLOCK_TXS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("block_txs");
/// transaction hash -> [`StoredTx`] encoding.
const TXS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("txs");
/// number -> slot writes in their canonical encoding ([`SlotWrite::encode_into`]).
const BLOCK_WRITES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("block_writes");
/// Change sets, as reth keeps them: the value a slot had before each block that wrote it, keyed
/// by `slot key (52 bytes) ‖ block number (big-endian)`. The state after block `n` is, per slot,
/// the old value of its first write after `n`, else the latest value: one range lookup per read,
/// however far back `n` is.
const SLOT_HISTORY: TableDefinition<'_, [u8; 60], [u8; 32]> = TableDefinition::new("slot_history");
/// transaction hash -> admission time (8 bytes, big-endian seconds) ‖ raw transaction: the
/// persisted pool. Written by the pool actor (admissions) and the sealer (inclusions).
const POOL: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("pool");
/// number -> how many priority transactions the block starts with (only blocks that have some).
const BLOCK_PRIORITY: TableDefinition<'_, u64, u32> = TableDefinition::new("block_priority");
/// number -> the block's L2->L1 messages (only blocks that have some), 56 bytes each:
/// `tx index (4) ‖ sender (20) ‖ keccak(message) (32)` ([`crate::execution::system::L2ToL1Message`]).
const BLOCK_L2_LOGS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("block_l2_logs");
/// number -> the block's RLP size in bytes (header, transactions, no ommers), as `size` reports
/// it. Blocks sealed before this table existed have no row; their size is computed on demand.
const BLOCK_SIZES: TableDefinition<'_, u64, u64> = TableDefinition::new("block_sizes");
/// "head" -> number of the last block; "next_priority" -> the first priority serial id no block
/// has included yet.
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

/// Why the chain store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Storage failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A priority request the block includes is no longer the one stored (the eth watcher
    /// forgot or replaced it after a reorg, after the sealer read it); the block is refused.
    #[error("priority request {serial} changed while block {number} was built; rebuilding")]
    PriorityChanged {
        /// The request.
        serial: u64,
        /// The refused block.
        number: u64,
    },
    /// The block does not extend the head.
    #[error("block {number} does not extend the head (head {head:?}, parent {parent})")]
    NotNext {
        /// The refused block's number.
        number: u64,
        /// Current head (number, hash).
        head: Option<(u64, B256)>,
        /// The refused block's parent hash.
        parent: B256,
    },
}

macro_rules! store_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::State(e.into())
            }
        }
    )*};
}
store_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A transaction as stored, with what its receipt and RPC need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTx {
    /// Block number.
    pub block: u64,
    /// Index in the block.
    pub index: u32,
    /// Sender.
    pub sender: Address,
    /// Gas it used.
    pub gas_used: u64,
    /// Index (in the block) of its first log.
    pub first_log_index: u32,
    /// Contract created, if any.
    pub contract_address: Option<Address>,
    /// The receipt.
    pub receipt: ReceiptEnvelope,
    /// The raw EIP-2718 transaction.
    pub raw: Bytes,
}

/// Length of [`StoredTx`]'s fixed part: block, index, sender, gas, contract, first log, receipt length.
const FIXED: usize = 8 + 4 + 20 + 8 + 21 + 4 + 4;

impl StoredTx {
    fn encode(&self) -> Vec<u8> {
        let receipt = self.receipt.encoded_2718();
        let mut out = Vec::with_capacity(FIXED + receipt.len() + self.raw.len());
        out.extend_from_slice(&self.block.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(self.sender.as_slice());
        out.extend_from_slice(&self.gas_used.to_be_bytes());
        match self.contract_address {
            Some(a) => {
                out.push(1);
                out.extend_from_slice(a.as_slice());
            }
            None => out.extend_from_slice(&[0u8; 21]),
        }
        out.extend_from_slice(&self.first_log_index.to_be_bytes());
        out.extend_from_slice(&(receipt.len() as u32).to_be_bytes());
        out.extend_from_slice(&receipt);
        out.extend_from_slice(&self.raw);
        out
    }

    fn decode(b: &[u8]) -> Result<Self, StateError> {
        let corrupt = |detail: &str| StateError::Corrupt { table: "txs", detail: detail.into() };
        if b.len() < FIXED {
            return Err(corrupt("record shorter than its fixed part"));
        }
        let u64_at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap_or_default());
        let receipt_len = u32_at(65) as usize;
        let receipt_end = FIXED + receipt_len;
        if b.len() < receipt_end {
            return Err(corrupt("receipt runs past the record"));
        }
        let receipt = ReceiptEnvelope::decode_2718_exact(&b[FIXED..receipt_end])
            .map_err(|e| corrupt(&format!("receipt: {e}")))?;
        Ok(Self {
            block: u64_at(0),
            index: u32::from_be_bytes(b[8..12].try_into().unwrap_or_default()),
            sender: Address::from_slice(&b[12..32]),
            gas_used: u64_at(32),
            first_log_index: u32_at(61),
            contract_address: (b[40] == 1).then(|| Address::from_slice(&b[41..61])),
            receipt,
            raw: Bytes::copy_from_slice(&b[receipt_end..]),
        })
    }
}

/// The first priority serial id no block has included, read inside `tx`.
pub(crate) fn next_priority_in(tx: &redb::WriteTransaction) -> Result<u64, StoreError> {
    Ok(tx.open_table(META)?.get("next_priority")?.map_or(0, |v| v.value()))
}

/// How many blocks back state can be read (as a full geth node keeps 128 recent states).
pub const STATE_HISTORY: u64 = 128;

/// Why a historical state read was refused.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The block does not exist (yet).
    #[error("header not found")]
    NotFound(u64),
    /// Older than the kept history.
    #[error("missing trie node: state of block {number} is not available (head {head}, this node keeps the state of the last 128 blocks)")]
    Pruned {
        /// The requested block.
        number: u64,
        /// The head.
        head: u64,
    },
}

macro_rules! history_err {
    ($($t:ty),*) => {$(
        impl From<$t> for HistoryError {
            fn from(e: $t) -> Self {
                HistoryError::Store(e.into())
            }
        }
    )*};
}
history_err!(StateError, redb::TransactionError, redb::TableError, redb::StorageError);

/// The `SLOT_HISTORY` key of `key`'s write in block `number`.
fn history_key(key: &crate::state::SlotKey, number: u64) -> [u8; 60] {
    let mut out = [0u8; 60];
    out[..52].copy_from_slice(&key.to_bytes());
    out[52..].copy_from_slice(&number.to_be_bytes());
    out
}

/// Records the old value of each slot `writes` changes in block `number` (the first write of a
/// slot in the block, if it is written twice).
fn record_history(
    table: &mut redb::Table<'_, [u8; 60], [u8; 32]>,
    number: u64,
    writes: &[SlotWrite],
) -> Result<(), redb::StorageError> {
    let mut seen = std::collections::HashSet::with_capacity(writes.len());
    for w in writes {
        if seen.insert(w.key) {
            table.insert(history_key(&w.key, number), w.old.0)?;
        }
    }
    Ok(())
}

/// The state after a given block (see [`ChainStore::state_at`]).
pub struct HistoricalState {
    latest: crate::state::StateSnapshot,
    history: redb::ReadOnlyTable<[u8; 60], [u8; 32]>,
    number: u64,
}

impl std::fmt::Debug for HistoricalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoricalState").field("number", &self.number).finish_non_exhaustive()
    }
}

impl HistoricalState {
    /// The block this state is after.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl crate::state::StateReader for HistoricalState {
    fn slot(&self, key: &crate::state::SlotKey) -> Result<B256, StateError> {
        // The first write after this block holds the value this block left.
        let Some(after) = self.number.checked_add(1) else { return self.latest.slot(key) };
        let mut later = self.history.range(history_key(key, after)..=history_key(key, u64::MAX))?;
        match later.next() {
            Some(entry) => Ok(B256::from(entry?.1.value())),
            None => self.latest.slot(key),
        }
    }

    fn bytecode(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        self.latest.bytecode(hash)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        if number > self.number {
            return Ok(None);
        }
        self.latest.block_hash(number)
    }
}

/// Blocks and state in one redb database.
#[derive(Debug, Clone)]
pub struct ChainStore {
    db: Arc<Database>,
    state: StateStore,
}

/// The writers of a chain database's tables, made once when it is opened ([`ChainStore::open`]):
/// the composition root hands each to the actor that owns its tables.
#[derive(Debug, Clone)]
pub struct ChainWriters {
    /// Blocks and state (the sealer's).
    pub blocks: BlockWriter,
    /// The persisted pool (the pool actor's).
    pub pool: PoolWriter,
    /// The priority tables (the eth watcher's).
    pub priority: crate::storage::priority::PriorityWriter,
}

impl ChainStore {
    /// Opens (or creates) the chain database at `path`: the read-only store, and the writers of
    /// its tables, made this once.
    pub fn open(path: &Path) -> Result<(Self, ChainWriters), StoreError> {
        let db = Arc::new(Database::create(path).map_err(StateError::from)?);
        let state = StateStore::from_database(db.clone())?;
        let tx = db.begin_write()?;
        tx.open_table(HEADERS)?;
        tx.open_table(BLOCK_NUMBERS)?;
        tx.open_table(BLOCK_TXS)?;
        tx.open_table(TXS)?;
        tx.open_table(BLOCK_WRITES)?;
        tx.open_table(META)?;
        tx.open_table(POOL)?;
        tx.open_table(SLOT_HISTORY)?;
        tx.open_table(BLOCK_PRIORITY)?;
        tx.open_table(BLOCK_L2_LOGS)?;
        tx.open_table(BLOCK_SIZES)?;
        crate::storage::priority_tables::create_tables(&tx)?;
        tx.commit()?;
        let store = Self { db, state };
        store.backfill_history()?;
        let writers = ChainWriters {
            blocks: BlockWriter(store.clone()),
            pool: PoolWriter(store.clone()),
            priority: crate::storage::priority::PriorityWriter::new(&store),
        };
        Ok((store, writers))
    }

    /// A database written before `slot_history` existed: index the blocks historical reads can
    /// ask for (the last [`STATE_HISTORY`]) from their recorded writes, once.
    fn backfill_history(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            if meta.get("slot_history_from")?.is_some() {
                return Ok(());
            }
            let head = meta.get("head")?.map(|v| v.value());
            let from = head.map_or(0, |h| h.saturating_sub(STATE_HISTORY));
            if let Some(head) = head {
                let writes = tx.open_table(BLOCK_WRITES)?;
                let mut history = tx.open_table(SLOT_HISTORY)?;
                for n in from.max(1)..=head {
                    let Some(v) = writes.get(n)? else { continue };
                    let block = SlotWrite::decode_all(v.value()).ok_or_else(|| {
                        StateError::Corrupt { table: "block_writes", detail: format!("block {n}") }
                    })?;
                    record_history(&mut history, n, &block)?;
                }
            }
            meta.insert("slot_history_from", from)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The state tables.
    pub fn state(&self) -> &StateStore {
        &self.state
    }

    /// The last stored block: (number, hash).
    pub fn head(&self) -> Result<Option<(u64, B256)>, StoreError> {
        let tx = self.db.begin_read()?;
        let Some(n) = tx.open_table(META)?.get("head")?.map(|v| v.value()) else {
            return Ok(None);
        };
        let header = self.header(n)?.ok_or_else(|| StateError::Corrupt {
            table: "headers",
            detail: format!("head {n} has no header"),
        })?;
        Ok(Some((n, header.hash_slow())))
    }

    /// The account as admission sees it (committed state).
    pub fn account(&self, address: Address) -> Result<AccountView, StoreError> {
        let snap = self.state.snapshot()?;
        let nonce = U256::from_be_bytes(snap.slot(&SlotKey::nonce(address))?.0);
        let balance = U256::from_be_bytes(snap.slot(&SlotKey::balance(address))?.0);
        let has_code = !snap.slot(&SlotKey::code_hash(address))?.is_zero();
        Ok(AccountView { nonce: nonce.saturating_to(), balance, has_code })
    }

    /// Committed account nonces of `addresses`, read from one snapshot.
    pub fn nonces(&self, addresses: &[Address]) -> Result<Vec<u64>, StoreError> {
        let snap = self.state.snapshot()?;
        addresses
            .iter()
            .map(|a| {
                let v = U256::from_be_bytes(snap.slot(&SlotKey::nonce(*a))?.0);
                Ok(v.saturating_to())
            })
            .collect()
    }

    /// The first priority serial id no block has included yet.
    pub fn next_priority(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(META)?.get("next_priority")?.map_or(0, |v| v.value()))
    }

    /// The L2->L1 messages of block `number`, in order.
    pub fn block_messages(
        &self,
        number: u64,
    ) -> Result<Vec<crate::execution::system::L2ToL1Message>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BLOCK_L2_LOGS)?;
        let Some(v) = table.get(number)? else { return Ok(Vec::new()) };
        let v = v.value();
        if v.len() % 56 != 0 {
            return Err(StateError::Corrupt {
                table: "block_l2_logs",
                detail: format!("block {number}: {} bytes", v.len()),
            }
            .into());
        }
        Ok(v.chunks(56)
            .map(|c| crate::execution::system::L2ToL1Message {
                tx_index: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                sender: Address::from_slice(&c[4..24]),
                hash: B256::from_slice(&c[24..56]),
            })
            .collect())
    }

    /// Block `number`'s RLP size, if it was recorded when sealed.
    pub fn block_size(&self, number: u64) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BLOCK_SIZES)?.get(number)?.map(|v| v.value()))
    }

    /// How many priority transactions block `number` starts with.
    pub fn block_priority_count(&self, number: u64) -> Result<u32, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BLOCK_PRIORITY)?.get(number)?.map_or(0, |v| v.value()))
    }

    /// Every persisted pool entry: (hash, admission time, raw transaction).
    pub fn pool_entries(&self) -> Result<Vec<(B256, u64, Bytes)>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(POOL)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let v = v.value();
            if v.len() < 8 {
                return Err(
                    StateError::Corrupt { table: "pool", detail: "short entry".into() }.into()
                );
            }
            let mut time = [0u8; 8];
            time.copy_from_slice(&v[..8]);
            out.push((
                B256::from(k.value()),
                u64::from_be_bytes(time),
                Bytes::copy_from_slice(&v[8..]),
            ));
        }
        Ok(out)
    }

    /// The state as it was after block `number`, for the last [`STATE_HISTORY`] blocks: each
    /// slot read looks up the slot's first change after `number` in the change sets (its old
    /// value), else the latest value. Opening it costs no more than opening the latest state.
    pub fn state_at(&self, number: u64) -> Result<HistoricalState, HistoryError> {
        let tx = self.db.begin_read()?;
        let head = tx.open_table(META)?.get("head")?.map(|v| v.value());
        let Some(head) = head else { return Err(HistoryError::NotFound(number)) };
        if number > head {
            return Err(HistoryError::NotFound(number));
        }
        // The head and the 127 blocks before it: 128 states, as geth keeps.
        if head - number >= STATE_HISTORY {
            return Err(HistoryError::Pruned { number, head });
        }
        let history = tx.open_table(SLOT_HISTORY)?;
        let latest = crate::state::StateSnapshot::from_read(tx).map_err(StoreError::from)?;
        Ok(HistoricalState { latest, history, number })
    }

    /// The underlying database (for read transactions spanning several tables).
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// The header of block `number`.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(HEADERS)?;
        let Some(raw) = table.get(number)? else { return Ok(None) };
        let header = Header::decode(&mut raw.value())
            .map_err(|e| StateError::Corrupt { table: "headers", detail: e.to_string() })?;
        Ok(Some(header))
    }

    /// The number of the block with `hash`.
    pub fn block_number(&self, hash: B256) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BLOCK_NUMBERS)?.get(hash.0)?.map(|v| v.value()))
    }

    /// Hashes of block `number`'s transactions, in order.
    pub fn block_tx_hashes(&self, number: u64) -> Result<Vec<B256>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BLOCK_TXS)?;
        Ok(table
            .get(number)?
            .map(|v| v.value().chunks(32).map(B256::from_slice).collect())
            .unwrap_or_default())
    }

    /// A stored transaction by hash.
    pub fn transaction(&self, hash: B256) -> Result<Option<StoredTx>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TXS)?;
        match table.get(hash.0)? {
            Some(v) => Ok(Some(StoredTx::decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// The net slot writes of block `number` (what the batcher turns into a state diff).
    pub fn block_writes(&self, number: u64) -> Result<Vec<SlotWrite>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BLOCK_WRITES)?;
        let Some(v) = table.get(number)? else { return Ok(vec![]) };
        let bytes = v.value();
        Ok(SlotWrite::decode_all(bytes).ok_or_else(|| StateError::Corrupt {
            table: "block_writes",
            detail: format!(
                "block {number}: {} bytes is not a whole number of writes",
                bytes.len()
            ),
        })?)
    }
}

/// The sealer's handle: writes blocks, their state, and removes what they include from the pool.
#[derive(Debug, Clone)]
pub struct BlockWriter(ChainStore);

impl BlockWriter {
    /// Another block writer of `store`, for tests (the node's is made once by
    /// [`ChainStore::open`]).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn of(store: &ChainStore) -> Self {
        Self(store.clone())
    }

    /// What it reads.
    pub fn reader(&self) -> &ChainStore {
        &self.0
    }

    /// Stores `block`, its transactions, receipts and slot writes, and applies its state, in one
    /// durable write transaction. Storing the same block again is a no-op.
    pub fn commit_block(&self, block: &BuiltBlock) -> Result<(), StoreError> {
        self.commit_block_and_pool(block, &[])
    }

    /// Deletes dropped transactions from the persisted pool (a seal that included nothing).
    pub fn remove_from_pool(&self, removed: &[B256]) -> Result<(), StoreError> {
        write_pool(&self.0.db, &[], removed)
    }

    /// [`Self::commit_block`], also deleting `pool_removals` (included and dropped transactions)
    /// from the persisted pool in the same transaction.
    pub fn commit_block_and_pool(
        &self,
        block: &BuiltBlock,
        pool_removals: &[B256],
    ) -> Result<(), StoreError> {
        let number = block.header.number;
        let head = self.0.head()?;
        if self.0.block_number(block.hash)? == Some(number) {
            return Ok(());
        }
        let extends = match head {
            None => true,
            Some((n, h)) => number == n + 1 && block.header.parent_hash == h,
        };
        if !extends {
            return Err(StoreError::NotNext { number, head, parent: block.header.parent_hash });
        }
        let tx = self.0.db.begin_write()?;
        {
            let mut header = Vec::new();
            block.header.encode(&mut header);
            tx.open_table(HEADERS)?.insert(number, header.as_slice())?;
            tx.open_table(BLOCK_NUMBERS)?.insert(block.hash.0, number)?;
            let mut hashes = Vec::with_capacity(block.transactions.len() * 32);
            let mut txs = tx.open_table(TXS)?;
            let mut log_index = 0u32;
            let mut priority = 0u32;
            let mut next_priority = None;
            let mut messages = Vec::new();
            for (i, inc) in block.transactions.iter().enumerate() {
                hashes.extend_from_slice(inc.hash.as_slice());
                for m in crate::execution::system::messages_in(i as u32, inc.receipt.logs()) {
                    messages.extend_from_slice(&m.tx_index.to_be_bytes());
                    messages.extend_from_slice(m.sender.as_slice());
                    messages.extend_from_slice(m.hash.as_slice());
                }
                if let Some(serial) = inc.priority {
                    let expected = match next_priority {
                        Some(n) => n,
                        None => tx.open_table(META)?.get("next_priority")?.map_or(0, |v| v.value()),
                    };
                    if serial != expected
                        || crate::storage::priority_tables::stored_hash(&tx, serial)
                            .map_err(StateError::from)?
                            != Some(inc.hash)
                    {
                        return Err(StoreError::PriorityChanged { serial, number });
                    }
                    priority += 1;
                    next_priority = Some(serial + 1);
                }
                let stored = StoredTx {
                    block: number,
                    index: i as u32,
                    sender: inc.sender,
                    gas_used: inc.gas_used,
                    first_log_index: log_index,
                    contract_address: inc.contract_address,
                    receipt: inc.receipt.clone(),
                    raw: inc.raw.clone(),
                };
                log_index += inc.receipt.logs().len() as u32;
                txs.insert(inc.hash.0, stored.encode().as_slice())?;
            }
            if priority > 0 {
                tx.open_table(BLOCK_PRIORITY)?.insert(number, priority)?;
            }
            if !messages.is_empty() {
                tx.open_table(BLOCK_L2_LOGS)?.insert(number, messages.as_slice())?;
            }
            if let Some(next) = next_priority {
                tx.open_table(META)?.insert("next_priority", next)?;
            }
            tx.open_table(BLOCK_TXS)?.insert(number, hashes.as_slice())?;
            let size =
                block_rlp_size(header.len(), block.transactions.iter().map(|t| t.raw.as_ref()));
            tx.open_table(BLOCK_SIZES)?.insert(number, size)?;
            let mut writes = Vec::with_capacity(block.writes.len() * SlotWrite::ENCODED_LEN);
            for w in &block.writes {
                w.encode_into(&mut writes);
            }
            tx.open_table(BLOCK_WRITES)?.insert(number, writes.as_slice())?;
            record_history(&mut tx.open_table(SLOT_HISTORY)?, number, &block.writes)?;
            StateStore::apply_in(&tx, &block.writes, &block.bytecodes)?;
            StateStore::record_block_hash_in(&tx, number, block.hash)?;
            tx.open_table(META)?.insert("head", number)?;
            let mut pool = tx.open_table(POOL)?;
            for hash in pool_removals {
                pool.remove(hash.0)?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// The pool actor's handle: persists admitted transactions and deletes replaced, evicted and
/// expired ones.
#[derive(Debug, Clone)]
pub struct PoolWriter(ChainStore);

impl PoolWriter {
    /// Another pool writer of `store`, for tests (the node's is made once by
    /// [`ChainStore::open`]).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn of(store: &ChainStore) -> Self {
        Self(store.clone())
    }

    /// What it reads.
    pub fn reader(&self) -> &ChainStore {
        &self.0
    }

    /// Persists admitted pool transactions and deletes replaced or evicted ones, in one durable
    /// write transaction. Entries are (hash, admission time, raw transaction).
    pub fn pool_update(
        &self,
        inserts: &[(B256, u64, Bytes)],
        deletes: &[B256],
    ) -> Result<(), StoreError> {
        write_pool(&self.0.db, inserts, deletes)
    }
}

/// One durable write transaction on the `pool` table.
fn write_pool(
    db: &Database,
    inserts: &[(B256, u64, Bytes)],
    deletes: &[B256],
) -> Result<(), StoreError> {
    let tx = db.begin_write()?;
    {
        let mut pool = tx.open_table(POOL)?;
        let mut buf = Vec::new();
        for (hash, time, raw) in inserts {
            buf.clear();
            buf.extend_from_slice(&time.to_be_bytes());
            buf.extend_from_slice(raw);
            pool.insert(hash.0, buf.as_slice())?;
        }
        for hash in deletes {
            pool.remove(hash.0)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The RLP size of a block `[header, [transactions], []]` whose header encodes to `header_len`
/// bytes, from its transactions' EIP-2718 encodings: a legacy transaction is its own RLP list,
/// a typed one (priority `0xff` ones too) is wrapped in an RLP string.
pub fn block_rlp_size<'a>(header_len: usize, raws: impl Iterator<Item = &'a [u8]>) -> u64 {
    fn with_head(payload: usize, single_byte: bool) -> usize {
        let head = if single_byte || payload < 56 {
            usize::from(!single_byte)
        } else {
            1 + (usize::BITS - payload.leading_zeros()).div_ceil(8) as usize
        };
        head + payload
    }
    let txs: usize = raws
        .map(|raw| match raw.first() {
            Some(&b) if b >= 0xc0 => raw.len(),
            _ => with_head(raw.len(), raw.len() == 1 && raw[0] < 0x80),
        })
        .sum();
    let body = header_len + with_head(txs, false) + 1;
    with_head(body, false) as u64
}
