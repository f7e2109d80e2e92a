//! The state-diff circuit and its gadgets, each beside the native code it mirrors:
//! [`poseidon`] (twin of `rollup_tree::hash`), [`sha256`] (twin of the `sha2` crate),
//! [`statement`] (twin of `rollup_tree::Witness::check`).

pub mod cs;
pub mod poseidon;
pub mod sha256;
pub mod statement;

pub use statement::StateDiffCircuit;
