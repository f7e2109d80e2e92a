//! The whole statement: real witnesses satisfy it, tampered ones do not, and its size is pinned.

use alloy::primitives::B256;
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use rollup_prover::{
    circuit::{PublicInputs, Shape, StateDiffCircuit},
    public_inputs,
};
use rollup_tree::{StateDiff, TreeStore, Witness};

use super::support::{diff, key, synthesize, witness};

fn satisfied(capacity: usize, w: Witness, publics: Option<PublicInputs>) -> bool {
    satisfied_in(Shape::general(capacity), w, publics)
}

fn satisfied_in(shape: Shape, w: Witness, publics: Option<PublicInputs>) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let mut circuit = StateDiffCircuit::new(shape, w);
    if let Some(p) = publics {
        circuit = circuit.with_public_inputs(p);
    }
    // A cheating witness may not even synthesize (e.g. a field element out of range).
    circuit.generate_constraints(cs.clone()).is_ok() && cs.is_satisfied().unwrap()
}

fn implied(w: &Witness, d: &StateDiff) -> PublicInputs {
    public_inputs(&w.old_commitment(), &w.new_commitment(), &d.claim()).unwrap()
}

#[test]
fn real_witnesses_satisfy_the_circuit_with_padding() {
    // One repeated write (key 2), two initial writes (4 and 9), one padding slot.
    let w = witness(&[(2, 20), (4, 40), (9, 90)]);
    assert_eq!(w.records.iter().filter(|r| r.insert).count(), 2);
    assert!(satisfied(4, w.clone(), Some(implied(&w, &w.diff().unwrap()))));
    // No records at all: digest and evaluation 0, and the commitment unchanged.
    let empty = witness(&[]);
    assert_eq!(empty.old_commitment(), empty.new_commitment());
    assert!(satisfied(1, empty, None));
    // Exactly full.
    assert!(satisfied(1, witness(&[(7, 1)]), None));
}

#[test]
fn a_fresh_tree_accepts_inserts_at_both_ends_of_the_list() {
    let tree = TreeStore::in_memory().unwrap();
    let lo = B256::left_padding_from(&[1]);
    let hi = B256::repeat_byte(0xff);
    let (_, w) = tree.apply(&StateDiff::new([(lo, hi), (hi, lo)]).unwrap()).unwrap();
    assert!(satisfied(2, w, None));
}

#[test]
fn soundness_negatives_are_unsatisfiable() {
    let w = witness(&[(2, 20), (4, 40), (9, 90)]);
    let d = w.diff().unwrap();
    let good = implied(&w, &d);

    // A wrong new root.
    let mut p = good;
    p[1] += Fr::from(1u64);
    assert!(!satisfied(4, w.clone(), Some(p)), "wrong new commitment");

    // One byte of the published diff tampered with (a value byte, and a key byte): L1 computes
    // another point and evaluation from those bytes; the digest the validator gave may stay.
    for at in [70, 100] {
        let mut bytes = d.encode();
        bytes[at] ^= 1;
        let tampered = StateDiff::decode(&bytes).unwrap().claim();
        let mut p = good;
        (p[3], p[4]) = (tampered.point, tampered.evaluation);
        assert!(!satisfied(4, w.clone(), Some(p)), "tampered diff byte {at}");
        let mut p = good;
        (p[2], p[3], p[4]) = (tampered.digest, tampered.point, tampered.evaluation);
        assert!(!satisfied(4, w.clone(), Some(p)), "tampered diff byte {at}, its digest too");
    }

    // A wrong evaluation, a wrong point (the records' evaluation there is something else), and a
    // wrong digest.
    let mut p = good;
    p[4] += Fr::from(1u64);
    assert!(!satisfied(4, w.clone(), Some(p)), "wrong evaluation");
    let mut p = good;
    p[3] += Fr::from(1u64);
    assert!(!satisfied(4, w.clone(), Some(p)), "wrong point");
    let mut p = good;
    p[2] += Fr::from(1u64);
    assert!(!satisfied(4, w.clone(), Some(p)), "wrong digest");

    // A record count that differs: the published chunk has one more record (a zero record after
    // the last), which the prover does not apply. The evaluation's constant term is the count.
    let mut bytes = d.encode();
    bytes.extend_from_slice(&[0u8; 64]);
    let longer = rollup_tree::ChunkClaim::of(&bytes);
    let mut p = good;
    (p[3], p[4]) = (longer.point, longer.evaluation);
    assert!(!satisfied(4, w.clone(), Some(p)), "a published record left out");

    // An "initial write" of a key that already exists (key 2 was written before).
    let mut bad = w.clone();
    let i = bad.records.iter().position(|r| r.key == key(2)).unwrap();
    bad.records[i].insert = true;
    assert!(!satisfied(4, bad, Some(good)), "initial write of an existing key");

    // A write that is published (in the claim) but skipped in the tree: the prover applies the
    // first two records and claims their true new commitment, so only the binding refuses.
    let short = witness(&[(2, 20), (4, 40)]);
    assert!(satisfied(4, short.clone(), Some(implied(&short, &short.diff().unwrap()))));
    let mut p = good;
    p[1] = implied(&short, &short.diff().unwrap())[1];
    assert!(!satisfied(4, short, Some(p)), "skipped write");

    // A repeated write that lands on another key's leaf.
    let mut bad = w.clone();
    bad.records[i].key = key(3);
    assert!(!satisfied(4, bad, Some(good)), "repeated write to the wrong leaf");

    // The new commitment of another transition.
    let other = witness(&[(2, 21), (4, 40), (9, 90)]);
    let mut p = good;
    p[1] = implied(&other, &other.diff().unwrap())[1];
    assert!(!satisfied(4, w, Some(p)), "a different value's root");
    // That other transition applied in full, with its true commitments, under this diff's claim:
    // one value differs from what was published, and only the binding refuses.
    let mut p = implied(&other, &other.diff().unwrap());
    (p[2], p[3], p[4]) = (good[2], good[3], good[4]);
    assert!(!satisfied(4, other, Some(p)), "another value than the published one");
}

/// The repeated-only circuit: repeated writes satisfy it (with padding); a new key passed off as
/// a repeated write, a tampered or skipped record, and a wrong claim do not.
#[test]
fn the_repeated_only_circuit_is_sound() {
    let r2 = Shape::repeated_only(2);
    let r4 = Shape::repeated_only(4);
    let w = witness(&[(1, 10), (3, 30)]);
    let d = w.diff().unwrap();
    let good = implied(&w, &d);
    assert!(satisfied_in(r2, w.clone(), Some(good)), "exactly full");
    assert!(satisfied_in(r4, w.clone(), Some(good)), "with padding");
    assert!(satisfied_in(r4, witness(&[]), None), "no records");

    // An initial write passed off as a repeated write: the leaf it opens is its low leaf, whose
    // key is another.
    let mut new_key = witness(&[(1, 10), (7, 70)]);
    assert!(new_key.records[1].insert);
    new_key.records[1].insert = false;
    let claim = implied(&new_key, &new_key.diff().unwrap());
    assert!(!satisfied_in(r4, new_key, Some(claim)), "a new key as a repeated write");

    // A tampered value byte, a wrong evaluation, a wrong point, a wrong new commitment.
    let mut bytes = d.encode();
    bytes[100] ^= 1;
    let tampered = StateDiff::decode(&bytes).unwrap().claim();
    let mut p = good;
    (p[2], p[3], p[4]) = (tampered.digest, tampered.point, tampered.evaluation);
    assert!(!satisfied_in(r4, w.clone(), Some(p)), "tampered value byte");
    for i in [1, 3, 4] {
        let mut p = good;
        p[i] += Fr::from(1u64);
        assert!(!satisfied_in(r4, w.clone(), Some(p)), "public input {i} changed");
    }

    // A published write skipped: the first record applied, with its true commitment.
    let short = witness(&[(1, 10)]);
    let mut p = good;
    p[1] = implied(&short, &short.diff().unwrap())[1];
    assert!(!satisfied_in(r4, short, Some(p)), "skipped write");
}

#[test]
fn out_of_range_field_elements_are_refused() {
    // A commitment word at or above the field modulus has no field element: no public inputs.
    let r: B256 =
        "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".parse().unwrap();
    let claim = rollup_tree::ChunkClaim::default();
    assert!(public_inputs(&r, &B256::ZERO, &claim).is_none());
    // A witness root out of range cannot even be assigned.
    let mut w = witness(&[(5, 5)]);
    w.old_root = r;
    assert!(!satisfied(1, w, None));
}

/// Constraint counts, pinned. A change here changes the keys (bump `CIRCUIT_VERSION`) and the
/// numbers in `docs/proof.md`.
#[test]
fn constraint_count_snapshot() {
    let count = |s: Shape| synthesize(s, witness(&[])).num_constraints();
    let (g1, g2) = (count(Shape::general(1)), count(Shape::general(2)));
    let (r1, r2) = (count(Shape::repeated_only(1)), count(Shape::repeated_only(2)));
    let snapshot = format!(
        "capacity 1: {g1}\ncapacity 2: {g2}\nper record: {}\n\
         repeated-only capacity 1: {r1}\nrepeated-only capacity 2: {r2}\nrepeated-only per record: {}\n",
        g2 - g1,
        r2 - r1
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/constraints.snap");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        std::fs::write(path, &snapshot).unwrap();
    }
    assert_eq!(std::fs::read_to_string(path).unwrap(), snapshot, "UPDATE_SNAPSHOT=1 to accept");
}

#[test]
fn diff_helper_is_canonical() {
    assert_eq!(diff(&[(2, 1), (1, 1)]), diff(&[(1, 1), (2, 1)]));
}
