//! Priority operations: the L1->L2 requests the Mailbox queued, as the eth watcher read them
//! from L1, and what the L2 does with them (docs/bridge.md).
//!
//! Tables (the eth watcher is their only writer; the sealer and the batcher read them):
//! - `priority_ops`: serial id -> `l1 block (8) ‖ expiration (8) ‖ abi.encode(transaction)`.
//! - `watcher_blocks`: L1 block number -> its hash, for the blocks the watcher scanned last (to
//!   notice a reorg); `watcher_meta` "next_block": the first L1 block not scanned yet.
//!
//! The chain store records in its `meta` table the next serial id the L2 has not included
//! (`next_priority`), in the same transaction as the block that included the previous ones.

use crate::state::StateError;
use crate::store::{ChainStore, StoreError};
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::sol_types::SolValue;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use rollup_contracts::bindings::IRollupChain::L2CanonicalTransaction;
use std::sync::Arc;

const PRIORITY_OPS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("priority_ops");
const WATCHER_BLOCKS: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("watcher_blocks");
const WATCHER_META: TableDefinition<'_, &str, u64> = TableDefinition::new("watcher_meta");

/// The EIP-2718 type byte of priority transactions (Era's `0xff`).
pub const PRIORITY_TX_TYPE: u8 = 0xff;

/// How many scanned L1 block hashes the watcher keeps (the deepest reorg it can walk back).
pub const KEPT_L1_HASHES: u64 = 256;

/// An L1->L2 request, as the L2 executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityTx {
    /// Serial id in the L1 priority queue (the transaction's `nonce` field).
    pub serial: u64,
    /// `keccak256(abi.encode(transaction))`: the hash L1 computed, and the L2 hash.
    pub hash: B256,
    /// Deadline on L1 (unix seconds): a commit that leaves the request out after it reverts.
    pub expiration: u64,
    /// The L1 block whose `NewPriorityRequest` event carried it.
    pub l1_block: u64,
    /// The L2 sender (the L1 sender, aliased if it was a contract).
    pub from: Address,
    /// The L2 target.
    pub to: Address,
    /// Gas limit of the L2 call.
    pub gas_limit: u64,
    /// Price per gas it paid on L1.
    pub gas_price: u128,
    /// Value passed to the L2 call.
    pub value: U256,
    /// Calldata of the L2 call.
    pub data: Bytes,
    /// ETH minted on L2 for it: everything the request paid on L1.
    pub to_mint: U256,
    /// Who gets the refund.
    pub refund_recipient: Address,
    /// `0xff ‖ abi.encode(transaction)`: the stored raw transaction.
    pub raw: Bytes,
}

/// Why an event or a stored row is not a priority transaction.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PriorityError {
    /// The event's hash is not the transaction's.
    #[error("request {serial}: hash {claimed} is not keccak(abi.encode(tx)) = {computed}")]
    HashMismatch {
        /// Serial id.
        serial: u64,
        /// The event's hash.
        claimed: B256,
        /// The computed one.
        computed: B256,
    },
    /// A field is out of range.
    #[error("request {serial}: {what}")]
    Malformed {
        /// Serial id (or the event's txId).
        serial: u64,
        /// What is wrong.
        what: String,
    },
}

fn address_of(v: U256, serial: u64, what: &str) -> Result<Address, PriorityError> {
    if v > U256::from_be_slice(&[0xff; 20]) {
        return Err(PriorityError::Malformed { serial, what: format!("{what} is not an address") });
    }
    Ok(Address::from_word(B256::from(v)))
}

impl PriorityTx {
    /// A request from its L1 event fields, checked: the hash must be the transaction's.
    pub fn from_event(
        tx_id: U256,
        hash: B256,
        expiration: u64,
        tx: &L2CanonicalTransaction,
        l1_block: u64,
    ) -> Result<Self, PriorityError> {
        let encoded = tx.abi_encode();
        let serial = u64::try_from(tx_id).map_err(|_| PriorityError::Malformed {
            serial: u64::MAX,
            what: format!("serial id {tx_id} does not fit 64 bits"),
        })?;
        let computed = keccak256(&encoded);
        if computed != hash {
            return Err(PriorityError::HashMismatch { serial, claimed: hash, computed });
        }
        Self::from_parts(serial, hash, expiration, l1_block, tx, &encoded)
    }

    fn from_parts(
        serial: u64,
        hash: B256,
        expiration: u64,
        l1_block: u64,
        tx: &L2CanonicalTransaction,
        encoded: &[u8],
    ) -> Result<Self, PriorityError> {
        let bad = |what: &str| PriorityError::Malformed { serial, what: what.into() };
        if tx.txType != U256::from(PRIORITY_TX_TYPE) {
            return Err(bad("type is not 255"));
        }
        if tx.nonce != U256::from(serial) {
            return Err(bad("nonce is not the serial id"));
        }
        let mut raw = Vec::with_capacity(1 + encoded.len());
        raw.push(PRIORITY_TX_TYPE);
        raw.extend_from_slice(encoded);
        Ok(Self {
            serial,
            hash,
            expiration,
            l1_block,
            from: address_of(tx.from, serial, "from")?,
            to: address_of(tx.to, serial, "to")?,
            // L1 caps the gas limit far below 2^64 (and a larger one is simply not executable).
            gas_limit: u64::try_from(tx.gasLimit).unwrap_or(u64::MAX),
            gas_price: u128::try_from(tx.maxFeePerGas).map_err(|_| bad("gas price"))?,
            value: tx.value,
            data: tx.data.clone(),
            to_mint: tx.reserved[0],
            refund_recipient: address_of(tx.reserved[1], serial, "refund recipient")?,
            raw: Bytes::from(raw),
        })
    }

    /// Decodes a stored raw priority transaction (`0xff ‖ abi.encode(transaction)`).
    pub fn decode_raw(raw: &[u8]) -> Result<Self, PriorityError> {
        let bad = |what: String| PriorityError::Malformed { serial: u64::MAX, what };
        let Some((&PRIORITY_TX_TYPE, encoded)) = raw.split_first() else {
            return Err(bad("not a 0xff transaction".into()));
        };
        let tx = L2CanonicalTransaction::abi_decode(encoded).map_err(|e| bad(e.to_string()))?;
        let serial = u64::try_from(tx.nonce).map_err(|_| bad("serial id".into()))?;
        Self::from_parts(serial, keccak256(encoded), 0, 0, &tx, encoded)
    }

    fn encode_row(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.raw.len());
        out.extend_from_slice(&self.l1_block.to_be_bytes());
        out.extend_from_slice(&self.expiration.to_be_bytes());
        out.extend_from_slice(&self.raw);
        out
    }

    fn decode_row(row: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |detail: String| {
            StoreError::State(StateError::Corrupt { table: "priority_ops", detail })
        };
        if row.len() < 17 {
            return Err(corrupt("row shorter than its fixed part".into()));
        }
        let u64_at = |i: usize| u64::from_be_bytes(row[i..i + 8].try_into().unwrap_or_default());
        let mut tx = Self::decode_raw(&row[16..]).map_err(|e| corrupt(e.to_string()))?;
        tx.l1_block = u64_at(0);
        tx.expiration = u64_at(8);
        Ok(tx)
    }
}

/// Whether a stored raw transaction is a priority transaction.
pub fn is_priority_raw(raw: &[u8]) -> bool {
    raw.first() == Some(&PRIORITY_TX_TYPE)
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

/// Creates the priority tables (the chain store does at open).
pub(crate) fn create_tables(tx: &redb::WriteTransaction) -> Result<(), redb::TableError> {
    tx.open_table(PRIORITY_OPS)?;
    tx.open_table(WATCHER_BLOCKS)?;
    tx.open_table(WATCHER_META)?;
    Ok(())
}

/// The canonical hash of request `serial` as stored now, read inside the block's own write
/// transaction: the chain store checks each included request against it, so a request the
/// watcher forgot (a reorg) after the sealer read it is never committed.
pub(crate) fn stored_hash(
    tx: &redb::WriteTransaction,
    serial: u64,
) -> Result<Option<B256>, StoreError> {
    let table = tx.open_table(PRIORITY_OPS)?;
    let row = table.get(serial)?;
    Ok(row.and_then(|r| r.value().get(17..).map(keccak256)))
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
        table.get(serial)?.map(|v| PriorityTx::decode_row(v.value())).transpose()
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
            out.push(PriorityTx::decode_row(v.value())?);
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

    /// Records one scan in one transaction: the requests read (a serial id already stored is
    /// kept as it is: events are idempotent by serial id), the hash of the last block scanned,
    /// and the next block to scan.
    pub fn record_scan(
        &self,
        ops: &[PriorityTx],
        last: (u64, B256),
        next_block: u64,
    ) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let mut added = 0;
        {
            let mut table = tx.open_table(PRIORITY_OPS)?;
            for op in ops {
                if table.get(op.serial)?.is_none() {
                    table.insert(op.serial, op.encode_row().as_slice())?;
                    added += 1;
                }
            }
            let mut blocks = tx.open_table(WATCHER_BLOCKS)?;
            blocks.insert(last.0, last.1 .0)?;
            let keep_from = last.0.saturating_sub(KEPT_L1_HASHES);
            blocks.retain(|k, _| k >= keep_from)?;
            tx.open_table(WATCHER_META)?.insert("next_block", next_block)?;
        }
        tx.commit()?;
        Ok(added)
    }

    /// After a reorg: forgets every request read from an L1 block after `keep`, and every kept
    /// hash after it, so those blocks are scanned again from `keep + 1`. Refused if the L2
    /// already included a request from a forgotten block.
    pub fn rewind(&self, keep: u64) -> Result<usize, RewindError> {
        let tx = self.db.begin_write().map_err(StoreError::from)?;
        let mut removed = 0;
        {
            // Read in the same transaction as the deletions: a block committed meanwhile
            // cannot slip between the check and the rewind.
            let next_included = crate::store::next_priority_in(&tx)?;
            let mut table = tx.open_table(PRIORITY_OPS).map_err(StoreError::from)?;
            let mut gone = Vec::new();
            for row in table.iter().map_err(StoreError::from)? {
                let (k, v) = row.map_err(StoreError::from)?;
                let op = PriorityTx::decode_row(v.value())?;
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
