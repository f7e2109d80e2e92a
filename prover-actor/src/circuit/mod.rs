//! The state-diff circuit and its gadgets, each beside the native code it mirrors:
//! [`poseidon`] (twin of `rollup_tree::hash`), [`statement`] (twin of
//! `rollup_tree::Witness::check` and `rollup_tree::ChunkClaim`); [`shape`] names the circuits.

pub mod cs;
pub mod poseidon;
pub mod shape;
pub mod statement;

pub use shape::Shape;
pub use statement::{PublicInputs, StateDiffCircuit, PUBLIC_INPUTS};
