//! The rollupd sequencer core.
//!
//! This crate will hold the chain types, the redb storage, revm execution on the flat state and
//! the supervised actors (pool, sealer, batcher, tree writer, eth watcher, eth sender, prover
//! exchange); see `docs/architecture.md`. It is empty until the L2 chain lands: the L1 side it
//! talks to is `rollup-contracts`, re-exported here for the actors that will drive it.

pub use rollup_contracts as l1;
