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
//! - [`chain`]: the shared handle of a running chain (config, store, block notifications,
//!   metrics, supervisor status) and genesis.
//! - [`batches`]: sealed L1 batches and their tree results, in the chain database.
//! - [`priority`]: L1->L2 requests (type `0xff`) as the L2 executes them; [`priority_store`]:
//!   the eth watcher's tables of them, its cursor and the L1 hashes it kept.
//! - [`system`]: the L2 system contracts (`0x…8008`, `0x…800a`) and L2->L1 messages.
//! - [`supervision`]: the root supervisor built from child specs.
//! - [`protocol`]: the pool's and sealer's messages, and the slots actors find each other by.
//! - [`pool_actor`], [`sealer`], [`batcher`], [`tree_writer`]: the supervised actors (the eth
//!   sender and the eth watcher are in `rollup-eth`, the prover exchange in `rollup-prover`). They do not import each
//!   other: they wake each other with [`events`] and read the data from redb.
//!
//! The L1 side they drive is `rollup-contracts`, re-exported as [`l1`].

pub mod batcher;
pub mod batches;
pub mod block;
pub mod chain;
pub mod pool;
pub mod pool_actor;
pub mod priority;
pub mod priority_store;
mod priority_tables;
pub mod protocol;
pub mod sealer;
pub mod state;
pub mod store;
pub mod supervision;
pub mod system;
pub mod tree_writer;
pub mod validation;

pub use rollup_events as events;

pub use rollup_contracts as l1;
pub use rollup_tree as tree;
