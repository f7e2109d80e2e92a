//! The rollupd sequencer core.
//!
//! - [`pool`]: the pool's bookkeeping: nonce queues, replacement, caps, gap-free eviction, expiry.
//! - [`state`]: the flat state model (every piece of L2 state is one slot `(address, key) -> value`,
//!   as in Era), its redb store, a per-block overlay, and the revm adapter that turns execution
//!   back into slot writes.
//! - [`block`]: building an L2 block: execution, receipts, header and its net slot writes.
//! - [`store`]: blocks, transactions, receipts and slot writes, committed with the state.
//! - [`validation`]: admission rules for user transactions, with geth's error messages.
//!
//! The supervised actors (pool, sealer, batcher, tree writer, eth watcher and sender, prover
//! exchange) build on these and arrive with the rest of the L2 chain. The L1 side they drive is
//! `rollup-contracts`, re-exported as [`l1`].

pub mod block;
pub mod pool;
pub mod state;
pub mod store;
pub mod validation;

pub use rollup_contracts as l1;
