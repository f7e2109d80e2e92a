//! The rollupd proof system.
//!
//! - [`circuit`]: the Groth16 state-diff circuit (BN254, arkworks) and its gadgets.
//! - [`keys`]: proving and verifying keys per capacity: deterministic dev setup and the
//!   versioned, checksummed key files for production.
//! - [`prove`], [`verify`], [`ProofWords`]: proving a tree witness, checking a proof natively, and
//!   the word layout `IVerifier.verify` receives.
//! - [`solidity`]: the Solidity verifier generated from the verifying keys.
//!
//! What a proof attests, and what it does not, is in `docs/proof.md`.

pub mod circuit;
pub mod keys;
mod proof;
pub mod solidity;

pub use proof::{prove, public_inputs, verify, ProofWords, ProveError};
pub use rollup_actors as actors;
