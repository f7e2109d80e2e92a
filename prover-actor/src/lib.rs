//! The rollupd proof system.
//!
//! This crate will hold the Poseidon state tree's circuit (Groth16 over BN254 with arkworks), the
//! proving and verifying keys, the Solidity verifier generator and the prover actors. It is empty
//! until the proof system lands; the statement it will prove, and the public inputs the Executor
//! already passes to `IVerifier`, are in `docs/contracts.md`.

pub use rollup_actors as actors;
