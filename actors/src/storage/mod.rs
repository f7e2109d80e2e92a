//! The chain database's tables, grouped by owner. Every table has one writer, and the types say
//! which: a store type only reads, and its `open` makes the writers of its tables, once; the
//! composition root hands each to its owner. (A test build, feature `test-utils`, can make more
//! with `Writer::of`; the binary cannot.)
//!
//! | module | tables | writer (its holder) |
//! | --- | --- | --- |
//! | [`chain`] | `headers`, `block_*`, `txs`, `slot_history`, `meta`, the state tables | `BlockWriter` (sealer) |
//! | [`chain`] | `pool` | `PoolWriter` (pool); the sealer's block removes what it includes, in the same transaction |
//! | [`batches`] | `batches`, `batch_blocks`, `published_bytecodes` | `BatchWriter` (batcher) |
//! | [`batches`] | `batch_tree` | `TreeResultWriter` (tree writer) |
//! | [`priority`] | `priority_ops`, `watcher_blocks`, `watcher_meta` | `PriorityWriter` (eth watcher) |
//!
//! The eth sender's tables (`l1_txs`, `l1_batch_status`, `l1_last_confirmed`) live beside it in
//! `rollup-eth`; the state tree and the prover's queue have databases of their own.

pub mod batches;
pub mod chain;
pub mod priority;
mod priority_tables;
