//! The state tree: proofs of every transition, versions, rollback, consistency, bulk loads.
#![allow(clippy::unwrap_used)] // test code: panics are failures

use alloy::primitives::{keccak256, B256};
use proptest::prelude::*;
use rollup_tree::{StateDiff, TreeError, TreeStore};

fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

fn diff(writes: &[(u64, u64)]) -> StateDiff {
    StateDiff::new(writes.iter().map(|(k, v)| (key(*k), B256::left_padding_from(&v.to_be_bytes()))))
        .unwrap()
}

/// Batches over a small key space, so that repeated writes and neighbours are common.
fn batches() -> impl Strategy<Value = Vec<Vec<(u64, u64)>>> {
    let batch = proptest::collection::btree_map(0u64..40, any::<u64>(), 0..12)
        .prop_map(|m| m.into_iter().collect::<Vec<_>>());
    proptest::collection::vec(batch, 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn every_transition_checks_and_bulk_agrees(batches in batches()) {
        let tree = TreeStore::in_memory().unwrap();
        let bulk = TreeStore::in_memory().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for b in &batches {
            let d = diff(b);
            let before = tree.latest().unwrap();
            let (after, witness) = tree.apply(&d).unwrap();
            witness.check().unwrap();
            prop_assert_eq!(witness.old_commitment(), before.commitment);
            prop_assert_eq!(witness.new_commitment(), after.commitment);
            for (k, _) in b {
                let r = witness.records.iter().find(|r| r.key == key(*k)).unwrap();
                prop_assert_eq!(r.insert, seen.insert(*k), "initial write iff the key is new");
            }
            prop_assert_eq!(bulk.apply_bulk(&d).unwrap(), after);
            tree.check_consistency(after.version).unwrap();
        }
        prop_assert_eq!(tree.latest().unwrap().next_free, 1 + seen.len() as u64);
    }
}

#[test]
fn old_witnesses_survive_later_batches_and_rollback_restores() {
    let tree = TreeStore::in_memory().unwrap();
    let genesis = tree.latest().unwrap();
    assert_eq!((genesis.version, genesis.next_free), (0, 1));
    let (v1, w1) = tree.apply(&diff(&[(1, 10), (2, 20), (3, 30)])).unwrap();
    let (v2, w2) = tree.apply(&diff(&[(2, 21), (4, 40)])).unwrap();
    let (v3, _) = tree.apply(&diff(&[(1, 11), (5, 50)])).unwrap();
    assert_eq!(tree.witness(1).unwrap(), w1);
    assert_eq!(tree.witness(2).unwrap(), w2);
    assert_eq!(tree.diff(2).unwrap(), diff(&[(2, 21), (4, 40)]));
    assert!(!w2.records[0].insert && w2.records[1].insert);

    assert_eq!(tree.rollback(1).unwrap(), v1);
    assert_eq!(tree.latest().unwrap(), v1);
    assert!(matches!(tree.version(2), Err(TreeError::UnknownVersion { version: 2, latest: 1 })));
    tree.check_consistency(1).unwrap();
    // Key 4 is new again, and re-applying batch 2 lands on the same commitment.
    let (again, w) = tree.apply(&diff(&[(2, 21), (4, 40)])).unwrap();
    assert_eq!(again, v2);
    assert_eq!(w, w2);
    let (v3b, _) = tree.apply(&diff(&[(1, 11), (5, 50)])).unwrap();
    assert_eq!(v3b, v3);
    assert!(matches!(tree.witness(0), Err(TreeError::UnknownVersion { .. })));
    assert!(matches!(tree.witness(9), Err(TreeError::UnknownVersion { version: 9, latest: 3 })));
}

#[test]
fn persisted_tree_reopens_at_its_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tree.redb");
    let v = {
        let tree = TreeStore::open(&path).unwrap();
        tree.apply(&diff(&[(7, 1), (8, 2)])).unwrap().0
    };
    let tree = TreeStore::open(&path).unwrap();
    assert_eq!(tree.latest().unwrap(), v);
    tree.check_consistency(v.version).unwrap();
}

#[test]
fn a_tampered_witness_fails_the_native_check() {
    let tree = TreeStore::in_memory().unwrap();
    tree.apply(&diff(&[(1, 1), (2, 2)])).unwrap();
    let (_, w) = tree.apply(&diff(&[(1, 5), (3, 3)])).unwrap();
    w.check().unwrap();
    let mut bad = w.clone();
    bad.records[1].value = B256::repeat_byte(9);
    assert!(bad.check().is_err(), "value changed after the fact");
    let mut bad = w.clone();
    bad.records[0].insert = true;
    assert!(bad.check().unwrap_err().contains("between"), "initial write of a present key");
    let mut bad = w.clone();
    bad.records.remove(0);
    assert!(bad.check().is_err(), "a skipped write");
    let mut bad = w;
    bad.records[1].low_path[5] = B256::repeat_byte(1);
    assert!(bad.check().is_err(), "a wrong sibling");
}
