//! The rollupd sequencer core, grouped by who owns what:
//!
//! - [`storage`]: the chain database's tables and their one writer each: blocks, state and the
//!   pool ([`storage::chain`]: the sealer's `BlockWriter`, the pool's `PoolWriter`), batches and
//!   tree results ([`storage::batches`]: the batcher's `BatchWriter`, the tree writer's
//!   `TreeResultWriter`), priority requests ([`storage::priority`]: the eth watcher's
//!   `PriorityWriter`). Everyone else gets the read-only store.
//! - [`state`]: the flat state model (every piece of L2 state is one slot `(address, key) ->
//!   value`, as in Era), its redb tables, a per-block overlay, and the revm adapter that turns
//!   execution back into slot writes.
//! - [`execution`]: building an L2 block ([`execution::block`]: priority transactions first, then
//!   user transactions; receipts, header, net slot writes), L1->L2 requests as the L2 executes
//!   them ([`execution::priority`]), the L2 system contracts and L2->L1 messages
//!   ([`execution::system`]).
//! - [`sequencer`]: a chain's configuration, genesis and feeds ([`sequencer::chain`]), admission
//!   rules ([`execution::validation`]), the pool (bookkeeping and actor), the sealer, and the
//!   messages they exchange ([`sequencer::protocol`]).
//! - [`settlement`]: the batcher (one file per seal criterion), the tree writer, and the backlog
//!   gauge that slows admission while settlement is behind.
//!
//! Actors (pool, sealer, batcher, tree writer here; the eth sender and watcher in `rollup-eth`;
//! the prover exchange, provers and gateway in `rollup-prover`) are each built by
//! `spec(args, budget)`; their args are the narrow handles they touch. They do not import each
//! other: they wake each other with [`events`] and read the data from redb. How they are
//! supervised is `rollup-supervision`; which run where is the node's list (`rollupd`'s
//! `trees.rs`).
//!
//! The L1 side they drive is `rollup-contracts`, re-exported as [`l1`]; the Poseidon state tree
//! is `rollup-tree`, re-exported as [`tree`].

pub mod execution;
pub mod sequencer;
pub mod settlement;
pub mod state;
pub mod storage;

pub use rollup_events as events;

pub use rollup_contracts as l1;
pub use rollup_tree as tree;
