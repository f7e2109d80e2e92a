//! Each gadget against its native twin (property tests), with its constraint cost pinned.

use alloy::primitives::B256;
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_relations::gr1cs::ConstraintSystem;
use ark_std::rand::SeedableRng;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rollup_prover::circuit::{
    cs::{Cs, Num},
    poseidon,
};
use rollup_tree::{hash, path_root, Leaf};

fn cs() -> Cs {
    Cs::new(ConstraintSystem::<Fr>::new_ref())
}

fn rand_fr(seed: u64, n: usize) -> Vec<Fr> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| Fr::rand(&mut rng)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn poseidon_gadget_matches_native(seed in any::<u64>()) {
        for n in [2, hash::DIGEST_INPUTS, hash::LEAF_INPUTS] {
            let c = cs();
            let inputs = rand_fr(seed, n);
            let vars: Vec<Num> = inputs.iter().map(|x| c.witness(*x).unwrap()).collect();
            let out = poseidon::poseidon(&c, &vars).unwrap();
            prop_assert_eq!(out.val, hash::poseidon(&inputs));
            prop_assert!(c.inner().is_satisfied().unwrap());
            // x^5 costs 3 constraints per S-box, less the first round's constant lane: width 3 = 240,
            // width 6 = 321, width 8 = 381.
            let expected = match n { 2 => 240, hash::DIGEST_INPUTS => 321, _ => 381 };
            prop_assert_eq!(c.inner().num_constraints(), expected);
        }
    }

    #[test]
    fn merkle_path_gadget_matches_native(seed in any::<u64>(), index in any::<u32>()) {
        let c = cs();
        let sibs = rand_fr(seed, hash::TREE_DEPTH);
        let leaf = Leaf { key: B256::repeat_byte(1), value: B256::repeat_byte(2), next_index: 3, next_key: B256::repeat_byte(4) };
        let native = path_root(leaf.hash(), u64::from(index), &sibs).unwrap();
        let leaf_num = c.witness(leaf.hash()).unwrap();
        let bits = c.bits(&c.witness(Fr::from(index)).unwrap(), hash::TREE_DEPTH).unwrap();
        let sib_nums: Vec<Num> = sibs.iter().map(|s| c.witness(*s).unwrap()).collect();
        let root = poseidon::path_root(&c, &leaf_num, &bits, &sib_nums).unwrap();
        prop_assert_eq!(root.val, native);
        prop_assert!(c.inner().is_satisfied().unwrap());
    }

    #[test]
    fn key_order_gadget_matches_native(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), same_hi in any::<bool>()) {
        let a = B256::from(a);
        let mut b = B256::from(b);
        if same_hi {
            b[..16].copy_from_slice(&a[..16]);
        }
        for (x, y) in [(a, b), (b, a), (a, a)] {
            let c = cs();
            let (xh, xl) = hash::limbs(&x);
            let (yh, yl) = hash::limbs(&y);
            let v = |f| c.witness(f).unwrap();
            let (xh, xl, yh, yl) = (v(xh), v(xl), v(yh), v(yl));
            let lt = c.lt256((&xh, &xl), (&yh, &yl)).unwrap();
            prop_assert_eq!(lt.val, Fr::from(x < y));
            prop_assert!(c.inner().is_satisfied().unwrap());
        }
    }
}

#[test]
fn bit_decomposition_refuses_values_out_of_range() {
    // A value of 2^32 claimed as 32 bits: the packing constraint cannot hold.
    let c = cs();
    let x = c.witness(Fr::from(1u64 << 32)).unwrap();
    c.bits(&x, 32).unwrap();
    assert!(!c.inner().is_satisfied().unwrap());
}
