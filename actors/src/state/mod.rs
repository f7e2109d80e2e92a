//! The flat state model.
//!
//! Invariants:
//! - every piece of L2 state is a 32-byte slot value at `(address, key)`; an absent slot is zero;
//! - an account's balance, nonce and code hash are slots of the system addresses
//!   [`BASE_TOKEN`], [`NONCE_HOLDER`] and [`ACCOUNT_CODE_STORAGE`] keyed by the account;
//!   a code hash of zero means "no code";
//! - bytecode is stored by its keccak hash, once;
//! - the derived key of a slot is `keccak256(address left-padded to 32 bytes ‖ key)`: it is what the
//!   state tree indexes.

mod evm;
mod keys;
mod overlay;
mod store;

pub use evm::{
    execute_tx, execute_tx_failing, execute_tx_touching, execute_tx_until, state_changes_to_writes,
    ExecutionError, FlatStateDb, NewBytecodes, Touched, TxOutcome,
};
pub use keys::{SlotKey, SlotWrite, ACCOUNT_CODE_STORAGE, BASE_TOKEN, NONCE_HOLDER};
pub use overlay::Overlay;
pub use store::{StateSnapshot, StateStore};

use alloy::primitives::{Bytes, B256};

/// Why state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The redb database failed.
    #[error("state storage: {0}")]
    Storage(#[source] redb::Error),
    /// A stored value has the wrong size (corruption).
    #[error("corrupt state entry in {table}: {detail}")]
    Corrupt {
        /// Table of the entry.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl revm::database_interface::DBErrorMarker for StateError {}

macro_rules! storage_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StateError {
            fn from(e: $t) -> Self {
                StateError::Storage(e.into())
            }
        }
    )*};
}
storage_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Read access to state: what execution and RPC need.
pub trait StateReader {
    /// The value of a slot (zero if never written).
    fn slot(&self, key: &SlotKey) -> Result<B256, StateError>;
    /// Bytecode by its keccak hash.
    fn bytecode(&self, hash: &B256) -> Result<Option<Bytes>, StateError>;
    /// Hash of an L2 block, if known (for `BLOCKHASH`).
    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError>;
}

impl<R: StateReader + ?Sized> StateReader for &R {
    fn slot(&self, key: &SlotKey) -> Result<B256, StateError> {
        (**self).slot(key)
    }
    fn bytecode(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        (**self).bytecode(hash)
    }
    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        (**self).block_hash(number)
    }
}
