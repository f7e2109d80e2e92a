//! The rollupd sequencer core.
//!
//! - [`pool`]: the pool's bookkeeping: nonce queues, replacement, caps, gap-free eviction, expiry.
//! - [`state`]: the flat state model (every piece of L2 state is one slot `(address, key) -> value`,
//!   as in Era), its redb store, a per-block overlay, and the revm adapter that turns execution
//!   back into slot writes.
//! - [`block`]: building an L2 block: execution, receipts, header and its net slot writes.
//! - [`store`]: blocks, transactions, receipts and slot writes, committed with the state.
//! - [`tree`]: the Poseidon state tree (indexed Merkle tree, versioned in redb) and the
//!   canonical state diff.
//! - [`validation`]: admission rules for user transactions, with geth's error messages.
//!
//! - [`chain`]: the shared handle of a running chain (config, store, actor references, events,
//!   metrics) and genesis.
//! - [`pool_actor`], [`sealer`], [`supervisor`]: the supervised actors. The batcher, tree writer,
//!   eth watcher and sender and the prover exchange arrive with the L1 side.
//!
//! The L1 side they drive is `rollup-contracts`, re-exported as [`l1`].

pub mod block;
pub mod chain;
pub mod pool;
pub mod pool_actor;
pub mod sealer;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod validation;

pub use rollup_contracts as l1;
pub use rollup_tree as tree;
