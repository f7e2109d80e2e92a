//! Shared helpers: tree witnesses from generated diffs, constraint systems.

use alloy::primitives::{keccak256, B256};
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
use rollup_prover::circuit::StateDiffCircuit;
use rollup_tree::{StateDiff, TreeStore, Witness};

pub(crate) fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

pub(crate) fn diff(writes: &[(u64, u64)]) -> StateDiff {
    StateDiff::new(writes.iter().map(|(k, v)| (key(*k), B256::left_padding_from(&v.to_be_bytes()))))
        .unwrap()
}

/// A tree with keys 1..=3 written, then the witness of `writes` on top of it.
pub(crate) fn witness(writes: &[(u64, u64)]) -> Witness {
    let tree = TreeStore::in_memory().unwrap();
    tree.apply(&diff(&[(1, 1), (2, 2), (3, 3)])).unwrap();
    tree.apply(&diff(writes)).unwrap().1
}

pub(crate) fn synthesize(capacity: usize, w: Witness) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    StateDiffCircuit::new(capacity, w).generate_constraints(cs.clone()).unwrap();
    cs
}

/// The anvil binary: `ANVIL_BIN`, else the npm tools. `None` (a skip) only outside CI.
pub(crate) fn anvil_path() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("ANVIL_BIN").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/node_modules/.bin/anvil")
    });
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "anvil is missing in CI (npm ci --prefix tools)");
    eprintln!("SKIPPED: anvil not found (npm ci --prefix tools, or set ANVIL_BIN)");
    None
}
