//! The rollupd proof system.
//!
//! - [`circuit`]: the Groth16 state-diff circuit (BN254, arkworks) and its gadgets.
//! - [`keys`]: proving and verifying keys per capacity: deterministic dev setup and the
//!   versioned, checksummed key files for production.
//! - [`prove`], [`verify`], [`ProofWords`]: proving a tree witness, checking a proof natively, and
//!   the word layout `IVerifier.verify` receives.
//! - [`solidity`]: the Solidity verifier generated from the verifying keys.
//! - [`job`], [`exchange`], [`actor`], [`gateway`], [`worker`]: proof jobs, the persisted job
//!   queue with leases, the local prover actor, the HTTP gateway for remote provers and the
//!   remote worker loop.
//!
//! What a proof attests, and what it does not, is in `docs/proof.md`.

pub mod actor;
pub mod circuit;
pub mod exchange;
pub mod gateway;
pub mod job;
pub mod keys;
mod proof;
pub mod solidity;
pub mod worker;

pub use proof::{prove, public_inputs, verify, ProofWords, ProveError};
pub use rollup_tree as tree;
