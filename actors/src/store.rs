//! The chain store: blocks, transactions, receipts and per-block slot writes, in the same redb
//! database as the state, so a block and its state changes land in one write transaction.
//!
//! Invariant: block `n` is stored only if block `n - 1` is the head and is its parent; the head,
//! the block's rows and the state it leaves behind become visible together, or not at all.

use crate::block::BuiltBlock;
use crate::state::{SlotWrite, StateError, StateStore};
use alloy::consensus::{Header, ReceiptEnvelope};
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, Bytes, B256};
use alloy::rlp::{Decodable, Encodable};
use redb::{Database, ReadableDatabase, TableDefinition};
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
/// "head" -> number of the last block.
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

/// Why the chain store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Storage failed.
    #[error(transparent)]
    State(#[from] StateError),
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
    /// Contract created, if any.
    pub contract_address: Option<Address>,
    /// The receipt.
    pub receipt: ReceiptEnvelope,
    /// The raw EIP-2718 transaction.
    pub raw: Bytes,
}

impl StoredTx {
    fn encode(&self) -> Vec<u8> {
        let receipt = self.receipt.encoded_2718();
        let mut out = Vec::with_capacity(65 + receipt.len() + self.raw.len());
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
        out.extend_from_slice(&(receipt.len() as u32).to_be_bytes());
        out.extend_from_slice(&receipt);
        out.extend_from_slice(&self.raw);
        out
    }

    fn decode(b: &[u8]) -> Result<Self, StateError> {
        let corrupt = |detail: &str| StateError::Corrupt { table: "txs", detail: detail.into() };
        if b.len() < 65 {
            return Err(corrupt("record shorter than its fixed part"));
        }
        let u64_at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap_or_default());
        let receipt_len = u32::from_be_bytes(b[61..65].try_into().unwrap_or_default()) as usize;
        let receipt_end = 65 + receipt_len;
        if b.len() < receipt_end {
            return Err(corrupt("receipt runs past the record"));
        }
        let receipt = ReceiptEnvelope::decode_2718_exact(&b[65..receipt_end])
            .map_err(|e| corrupt(&format!("receipt: {e}")))?;
        Ok(Self {
            block: u64_at(0),
            index: u32::from_be_bytes(b[8..12].try_into().unwrap_or_default()),
            sender: Address::from_slice(&b[12..32]),
            gas_used: u64_at(32),
            contract_address: (b[40] == 1).then(|| Address::from_slice(&b[41..61])),
            receipt,
            raw: Bytes::copy_from_slice(&b[receipt_end..]),
        })
    }
}

/// Blocks and state in one redb database.
#[derive(Debug, Clone)]
pub struct ChainStore {
    db: Arc<Database>,
    state: StateStore,
}

impl ChainStore {
    /// Opens (or creates) the chain database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Arc::new(Database::create(path).map_err(StateError::from)?);
        let state = StateStore::from_database(db.clone())?;
        let tx = db.begin_write()?;
        tx.open_table(HEADERS)?;
        tx.open_table(BLOCK_NUMBERS)?;
        tx.open_table(BLOCK_TXS)?;
        tx.open_table(TXS)?;
        tx.open_table(BLOCK_WRITES)?;
        tx.open_table(META)?;
        tx.commit()?;
        Ok(Self { db, state })
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

    /// Stores `block`, its transactions, receipts and slot writes, and applies its state, in one
    /// durable write transaction. Storing the same block again is a no-op.
    pub fn commit_block(&self, block: &BuiltBlock) -> Result<(), StoreError> {
        let number = block.header.number;
        let head = self.head()?;
        if self.block_number(block.hash)? == Some(number) {
            return Ok(());
        }
        let extends = match head {
            None => true,
            Some((n, h)) => number == n + 1 && block.header.parent_hash == h,
        };
        if !extends {
            return Err(StoreError::NotNext { number, head, parent: block.header.parent_hash });
        }
        let tx = self.db.begin_write()?;
        {
            let mut header = Vec::new();
            block.header.encode(&mut header);
            tx.open_table(HEADERS)?.insert(number, header.as_slice())?;
            tx.open_table(BLOCK_NUMBERS)?.insert(block.hash.0, number)?;
            let mut hashes = Vec::with_capacity(block.transactions.len() * 32);
            let mut txs = tx.open_table(TXS)?;
            for (i, inc) in block.transactions.iter().enumerate() {
                hashes.extend_from_slice(inc.tx.hash.as_slice());
                let stored = StoredTx {
                    block: number,
                    index: i as u32,
                    sender: inc.tx.sender,
                    gas_used: inc.gas_used,
                    contract_address: inc.contract_address,
                    receipt: inc.receipt.clone(),
                    raw: inc.tx.raw.clone(),
                };
                txs.insert(inc.tx.hash.0, stored.encode().as_slice())?;
            }
            tx.open_table(BLOCK_TXS)?.insert(number, hashes.as_slice())?;
            let mut writes = Vec::with_capacity(block.writes.len() * SlotWrite::ENCODED_LEN);
            for w in &block.writes {
                w.encode_into(&mut writes);
            }
            tx.open_table(BLOCK_WRITES)?.insert(number, writes.as_slice())?;
            StateStore::apply_in(&tx, &block.writes, &block.bytecodes)?;
            StateStore::record_block_hash_in(&tx, number, block.hash)?;
            tx.open_table(META)?.insert("head", number)?;
        }
        tx.commit()?;
        Ok(())
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
