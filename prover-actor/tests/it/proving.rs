//! Keys, proofs and their native verification; key files.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rollup_prover::{
    circuit::Shape,
    keys::{KeyError, KeySet, Keys, DEV_SEED, DEV_SHAPES},
    prove, public_inputs, verify, ProofWords, ProveError,
};

use super::support::witness;

/// The dev keys (every dev circuit), made once per test binary.
pub(crate) fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::dev(&DEV_SHAPES, DEV_SEED).unwrap())
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

#[test]
fn a_proof_verifies_and_any_one_bit_change_is_rejected() {
    // Key 2 exists (a repeated write), key 9 is new (an initial write): the general circuit.
    let w = witness(&[(2, 20), (9, 90)]);
    let k = keys().for_witness(&w).unwrap();
    assert_eq!(k.shape, Shape::general(3));
    let proof = prove(k, &w, &mut rng()).unwrap();
    let inputs =
        public_inputs(&w.old_commitment(), &w.new_commitment(), &w.diff().unwrap().claim())
            .unwrap();
    assert!(verify(k.vk(), &inputs, &proof));

    let words = ProofWords::encode(k.shape, &proof);
    let (shape, decoded) = words.decode().unwrap();
    assert_eq!((shape, &decoded), (Shape::general(3), &proof));
    for i in 1..9 {
        let mut bad = words;
        bad.0[i] ^= alloy::primitives::U256::from(1);
        // Either the point leaves the curve, or it is another point the pairing rejects.
        assert!(bad.decode().is_none_or(|(_, p)| !verify(k.vk(), &inputs, &p)), "word {i}");
    }
    for i in 0..inputs.len() {
        let mut bad = inputs;
        bad[i] += Fr::from(1u64);
        assert!(!verify(k.vk(), &bad, &proof), "input {i}");
    }
    // Another circuit's key does not accept it.
    assert!(!verify(keys_for(1).vk(), &inputs, &proof));
    assert!(!verify(keys().get(Shape::repeated_only(15)).unwrap().vk(), &inputs, &proof));
}

fn keys_for(c: usize) -> &'static Keys {
    keys().get(Shape::general(c)).unwrap()
}

/// A chunk of repeated writes only is proven by the repeated-only circuit when that is the
/// cheapest fit, whose proof carries its id and verifies under its key only; a chunk with one
/// initial write is not.
#[test]
fn repeated_writes_are_proven_by_the_repeated_only_circuit() {
    // Two repeated writes: general 3 (a 2^17 domain) costs less than r15 (2^18).
    let two = witness(&[(1, 10), (3, 30)]);
    assert_eq!(keys().for_witness(&two).unwrap().shape, Shape::general(3));
    let tree = rollup_tree::TreeStore::in_memory().unwrap();
    let writes = |v: u64| super::support::diff(&(0..4).map(|k| (k + 1, v)).collect::<Vec<_>>());
    tree.apply(&writes(1)).unwrap();
    let (_, w) = tree.apply(&writes(2)).unwrap();
    assert!(w.records.iter().all(|r| !r.insert));
    let k = keys().for_witness(&w).unwrap();
    assert_eq!(
        k.shape,
        Shape::repeated_only(15),
        "four repeated writes: r15 (2^18) over 15 (2^19)"
    );
    let proof = prove(k, &w, &mut rng()).unwrap();
    let inputs =
        public_inputs(&w.old_commitment(), &w.new_commitment(), &w.diff().unwrap().claim())
            .unwrap();
    assert!(verify(k.vk(), &inputs, &proof));
    assert!(!verify(keys_for(15).vk(), &inputs, &proof), "the general key refuses it");
    let words = ProofWords::encode(k.shape, &proof);
    assert_eq!(words.0[0], alloy::primitives::U256::from((1u64 << 16) + 15));
    assert_eq!(words.decode().unwrap().0, Shape::repeated_only(15));

    let mixed = witness(&[(1, 10), (2, 20), (3, 30), (7, 70)]);
    assert_eq!(keys().for_witness(&mixed).unwrap().shape, Shape::general(15));
    assert!(matches!(
        prove(k, &mixed, &mut rng()),
        Err(ProveError::Capacity { records: 4, initial: 1, shape }) if shape == Shape::repeated_only(15)
    ));
    // More repeated writes than the repeated-only circuit holds: no circuit fits 16 records.
    let tree = rollup_tree::TreeStore::in_memory().unwrap();
    let writes = |v: u64| super::support::diff(&(0..16).map(|k| (k + 1, v)).collect::<Vec<_>>());
    tree.apply(&writes(1)).unwrap();
    let (_, sixteen) = tree.apply(&writes(2)).unwrap();
    assert!(matches!(
        keys().for_witness(&sixteen),
        Err(KeyError::NoCapacity { records: 16, initial: 0, .. })
    ));
}

#[test]
fn a_proof_of_one_transition_proves_no_other() {
    // (An unsatisfied circuit cannot be proven at all here: arkworks asserts satisfaction in
    // debug builds. So the cheat tried is reusing an honest proof for a neighbouring claim.)
    let w = witness(&[(4, 4)]);
    let proof = prove(keys_for(1), &w, &mut rng()).unwrap();
    let other = witness(&[(4, 5)]);
    let d = other.diff().unwrap();
    let claim =
        public_inputs(&other.old_commitment(), &other.new_commitment(), &d.claim()).unwrap();
    assert!(!verify(keys_for(1).vk(), &claim, &proof));
    let mut swapped = claim;
    swapped.swap(2, 3);
    assert!(!verify(keys_for(1).vk(), &swapped, &proof));
}

#[test]
fn prove_refuses_bad_jobs_before_proving() {
    let w = witness(&[(4, 4), (5, 5)]);
    assert!(matches!(
        prove(keys_for(1), &w, &mut rng()),
        Err(ProveError::Capacity { records: 2, initial: 2, shape }) if shape == Shape::general(1)
    ));
    let mut bad = witness(&[(4, 4)]);
    bad.records[0].value.0[31] ^= 1;
    assert!(matches!(prove(keys_for(1), &bad, &mut rng()), Err(ProveError::Witness(_))));
}

#[test]
fn dev_setup_is_deterministic() {
    let again = Keys::dev_setup(Shape::general(1), DEV_SEED).unwrap();
    assert_eq!(again.vk(), keys_for(1).vk());
    let other = Keys::dev_setup(Shape::general(1), b"another seed").unwrap();
    assert_ne!(other.vk(), keys_for(1).vk());
}

#[test]
fn key_files_round_trip_and_refuse_damage() {
    let dir = tempfile::tempdir().unwrap();
    let one = Shape::general(1);
    let path = dir.path().join(Keys::file_name(one));
    keys_for(1).write(&path).unwrap();
    assert_eq!(Keys::read(&path, one).unwrap().vk(), keys_for(1).vk());
    assert_eq!(Keys::file_name(Shape::repeated_only(15)), "state_diff_r15.key");

    let good = std::fs::read(&path).unwrap();
    let refused = |bytes: &[u8], shape: Shape| {
        std::fs::write(&path, bytes).unwrap();
        match Keys::read(&path, shape) {
            Err(KeyError::Invalid { reason, .. }) => reason,
            other => panic!("accepted: {:?}", other.map(|k| k.shape)),
        }
    };
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert_eq!(refused(&flipped, one), "checksum mismatch");
    assert!(refused(&good[..good.len() - 1], one).contains("truncated"));
    assert!(refused(&good, Shape::general(4)).contains("circuit 1, expected 4"));
    assert!(refused(&good, Shape::repeated_only(1)).contains("circuit 1, expected r1"));
    let mut version = good.clone();
    version[15] = 99;
    assert!(refused(&version, one).contains("circuit version 99"));
    assert_eq!(refused(b"not a key", one), "not a rollupd key file");
    assert!(matches!(Keys::read(&dir.path().join("missing.key"), one), Err(KeyError::Io { .. })));
}

/// The circuit review's low: verifying keys were loaded unchecked, and a degenerate one (as a
/// zero-contribution ceremony yields) lets anyone prove anything. Each is refused when read.
#[test]
fn degenerate_verifying_keys_are_refused() {
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    assert_eq!(rollup_prover::keys::check_verifying_key(keys_for(1).vk()), Ok(()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(Keys::file_name(Shape::general(1)));
    let refused = |change: &dyn Fn(&mut ark_groth16::VerifyingKey<ark_bn254::Bn254>)| {
        let mut k = keys_for(1).clone();
        change(&mut k.pk.vk);
        k.write(&path).unwrap();
        match Keys::read(&path, Shape::general(1)) {
            Err(KeyError::Invalid { reason, .. }) => reason,
            other => panic!("accepted: {:?}", other.map(|k| k.shape)),
        }
    };
    let g2 = ark_bn254::G2Projective::generator().into_affine();
    assert!(refused(&|vk| vk.delta_g2 = vk.gamma_g2).contains("delta equals gamma or -gamma"));
    assert!(refused(&|vk| vk.delta_g2 = -vk.gamma_g2).contains("delta equals gamma or -gamma"));
    assert!(refused(&|vk| vk.delta_g2 = g2).contains("delta is the generator of G2"));
    assert!(refused(&|vk| vk.delta_g2 = -g2).contains("delta is the generator of G2"));
    // snarkjs ceremonies leave gamma at the generator: allowed.
    let mut snarkjs_like = keys_for(1).vk().clone();
    snarkjs_like.gamma_g2 = g2;
    assert_eq!(rollup_prover::keys::check_verifying_key(&snarkjs_like), Ok(()));
    assert!(refused(&|vk| vk.alpha_g1 = ark_bn254::G1Affine::zero()).contains("identity"));
    assert!(refused(&|vk| vk.beta_g2 = ark_bn254::G2Affine::zero()).contains("identity"));
    let off_curve = |p: ark_bn254::G1Affine| ark_bn254::G1Affine::new_unchecked(p.x, p.y + p.y);
    assert!(refused(&|vk| vk.alpha_g1 = off_curve(vk.alpha_g1)).contains("off the curve"));
    assert!(
        refused(&|vk| vk.gamma_abc_g1[2] = off_curve(vk.gamma_abc_g1[2])).contains("off the curve")
    );
}
