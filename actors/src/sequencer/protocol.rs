//! The messages the pool and the sealer exchange, and the slots through which actors find each
//! other's current reference.
//!
//! The pool and the sealer talk by request (the sealer takes transactions from the pool), so they
//! share message types; those live here, and neither actor module imports the other. A crashed
//! actor is respawned with a new reference: the supervisor's child spec writes the new one into
//! its [`ActorSlot`], and a caller looks it up on each use.

use crate::execution::validation::{TxError, ValidTx};
use crate::sequencer::pool::{PoolError, Selection};
use crate::storage::chain::StoreError;
use alloy::primitives::{Address, B256};
use ractor::{ActorRef, RpcReplyPort};
use rollup_supervision::ActorSlot;

/// The slots of one chain's pool and sealer.
#[derive(Debug, Clone, Default)]
pub struct CoreSlots {
    /// The pool actor.
    pub pool: ActorSlot<PoolMsg>,
    /// The sealer actor.
    pub sealer: ActorSlot<SealerMsg>,
}

/// Reference to the running pool actor.
pub type PoolRef = ActorRef<PoolMsg>;

/// Where a submission's answer goes.
pub type SubmitReply = RpcReplyPort<Result<B256, SubmitError>>;

/// Why a submission was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SubmitError {
    /// The transaction breaks an admission rule.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// The pool refused it.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Storage failed; nothing was admitted.
    #[error("storage: {0}")]
    Storage(#[source] std::sync::Arc<StoreError>),
    /// Settlement is too far behind (a configured backlog limit is passed); try again later.
    #[error("{0}")]
    Backlog(String),
}

impl From<StoreError> for SubmitError {
    fn from(e: StoreError) -> Self {
        SubmitError::Storage(std::sync::Arc::new(e))
    }
}

/// Messages of the pool actor.
#[derive(Debug)]
pub enum PoolMsg {
    /// Admit a transaction (already stateless-valid). Answered once it is durable.
    Submit(Box<ValidTx>, SubmitReply),
    /// Persist what was admitted since the last flush and answer those submissions.
    Flush,
    /// Executable transactions for the next block: at most `max_txs` and `max_bytes` of raw data
    /// (one that does not fit is skipped, with its sender's later nonces), and whether some were
    /// left out, so the sealer follows a full block at once with the next.
    Take {
        /// Most transactions.
        max_txs: usize,
        /// Most raw bytes.
        max_bytes: usize,
        /// Where to answer.
        reply: RpcReplyPort<Selection>,
    },
    /// A block was committed: forget these (included or dropped) transactions and everything
    /// below the senders' new nonces.
    Sealed {
        /// Hashes the block included or dropped.
        removed: Vec<B256>,
        /// Senders whose account nonce moved.
        senders: Vec<Address>,
    },
    /// The sender's next nonce counting pooled transactions (`eth_getTransactionCount` pending).
    PendingNonce(Address, RpcReplyPort<u64>),
    /// A pooled transaction by hash.
    Get(B256, RpcReplyPort<Option<ValidTx>>),
    /// Number of pooled transactions.
    Len(RpcReplyPort<usize>),
    /// Drop transactions older than the pool lifetime.
    Expire,
}

/// Reference to the running sealer actor.
pub type SealerRef = ActorRef<SealerMsg>;

/// Messages of the sealer actor.
#[derive(Debug)]
pub enum SealerMsg {
    /// The block timer fired.
    Tick,
    /// Seal now if there is anything to seal (L1 mode, or a full block left transactions behind).
    Seal,
}
