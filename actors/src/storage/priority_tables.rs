//! The tables of priority operations in the chain database, shared by the chain store (which
//! checks a block's requests against them when it commits) and [`crate::storage::priority`].
//!
//! - `priority_ops`: serial id -> `l1 block (8) ‖ expiration (8) ‖ 0xff ‖ abi.encode(transaction)`.
//! - `watcher_blocks`: L1 block number -> its hash, for the blocks the watcher scanned last;
//!   `watcher_meta` "next_block": the first L1 block not scanned yet.

use alloy::primitives::{keccak256, B256};
use redb::{ReadableTable, TableDefinition};

pub(crate) const PRIORITY_OPS: TableDefinition<'_, u64, &[u8]> =
    TableDefinition::new("priority_ops");
pub(crate) const WATCHER_BLOCKS: TableDefinition<'_, u64, [u8; 32]> =
    TableDefinition::new("watcher_blocks");
pub(crate) const WATCHER_META: TableDefinition<'_, &str, u64> =
    TableDefinition::new("watcher_meta");

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
) -> Result<Option<B256>, redb::Error> {
    let table = tx.open_table(PRIORITY_OPS)?;
    let row = table.get(serial)?;
    Ok(row.and_then(|r| r.value().get(17..).map(keccak256)))
}
