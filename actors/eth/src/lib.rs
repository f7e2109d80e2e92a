//! The L1 side of the node: the eth sender drives sealed, applied and proven batches through
//! the Diamond's `commitBatches`, `proveBatches` and `executeBatches`; the eth watcher reads the
//! Diamond's priority requests.
//!
//! - [`error`]: the transient/fatal classification of L1 errors both actors share.
//! - [`store`]: its tables (every L1 transaction recorded before it is sent; per-batch steps).
//! - [`sender`]: the actor; its pure planner ([`sender::plan`]), the life of each L1
//!   transaction, and back-pressure on the pool.
//! - [`watcher`]: the eth watcher actor (confirmation depth, persisted cursor, reorgs).

pub mod error;
pub mod sender;
pub mod store;
pub mod watcher;

pub use sender::{EthSenderActor, EthSenderArgs, EthSenderConfig, ProofSource, SenderMetrics};
pub use store::{L1Tx, SenderStore, SenderWriter, StepStatus, TxState};
