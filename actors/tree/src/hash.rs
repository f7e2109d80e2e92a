//! Poseidon over the BN254 scalar field with circomlib's parameters, and the tree's hashing
//! conventions built on it.
//!
//! The permutation is ours (allocation-free, shared constants); the constants are the circom
//! parameters shipped by `light-poseidon`, and the tests pin the result to circomlib's published
//! vectors and to `light-poseidon` itself, so a third party with circomlib recomputes every root.

use std::sync::OnceLock;

use alloy::primitives::B256;
use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;

pub use light_poseidon::PoseidonParameters;

/// Tree depth: leaves are addressed by a 32-bit enumeration index.
pub const TREE_DEPTH: usize = 32;
/// Number of inputs of the leaf hash (key, value as two limbs each, next index, next key).
pub const LEAF_INPUTS: usize = 7;
/// Number of inputs of a step of a chunk's records digest (the running digest, then a record's
/// key and value as two limbs each).
pub const DIGEST_INPUTS: usize = 5;

/// The circom Poseidon parameters for `inputs` inputs (width `inputs + 1`), built once.
///
/// # Panics
/// If `inputs` is not 2, [`DIGEST_INPUTS`] or [`LEAF_INPUTS`], the only widths used.
pub fn params(inputs: usize) -> &'static PoseidonParameters<Fr> {
    static P2: OnceLock<PoseidonParameters<Fr>> = OnceLock::new();
    static P5: OnceLock<PoseidonParameters<Fr>> = OnceLock::new();
    static P7: OnceLock<PoseidonParameters<Fr>> = OnceLock::new();
    let cell = match inputs {
        2 => &P2,
        DIGEST_INPUTS => &P5,
        LEAF_INPUTS => &P7,
        _ => {
            panic!("Poseidon is used with 2, {DIGEST_INPUTS} or {LEAF_INPUTS} inputs, not {inputs}")
        }
    };
    cell.get_or_init(|| {
        #[allow(clippy::cast_possible_truncation)]
        let width = (inputs + 1) as u8;
        get_poseidon_parameters::<Fr>(width).expect("circom parameters exist for widths 2..=13")
    })
}

/// Poseidon of `inputs` (circom: state `[0, inputs..]`, output `state[0]`).
pub fn poseidon(inputs: &[Fr]) -> Fr {
    let p = params(inputs.len());
    let width = p.width;
    let mut state = [Fr::zero(); LEAF_INPUTS + 1];
    state[1..width].copy_from_slice(inputs);
    let half = p.full_rounds / 2;
    let rounds = p.full_rounds + p.partial_rounds;
    let mut next = [Fr::zero(); LEAF_INPUTS + 1];
    for round in 0..rounds {
        for (i, s) in state[..width].iter_mut().enumerate() {
            *s += p.ark[round * width + i];
        }
        let full = round < half || round >= half + p.partial_rounds;
        let sboxed = if full { width } else { 1 };
        for s in &mut state[..sboxed] {
            let x2 = s.square();
            *s *= x2.square();
        }
        for (i, n) in next[..width].iter_mut().enumerate() {
            *n = state[..width].iter().zip(&p.mds[i]).map(|(a, m)| *a * m).sum();
        }
        state[..width].copy_from_slice(&next[..width]);
    }
    state[0]
}

/// The inner-node hash `Poseidon(left, right)`.
pub fn hash2(left: Fr, right: Fr) -> Fr {
    poseidon(&[left, right])
}

/// `empty_subtree(l)`: the root of a subtree of height `l` whose leaves are all empty (zero).
pub fn empty_subtree(level: usize) -> Fr {
    static EMPTY: OnceLock<[Fr; TREE_DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut e = [Fr::zero(); TREE_DEPTH + 1];
        for l in 1..=TREE_DEPTH {
            e[l] = hash2(e[l - 1], e[l - 1]);
        }
        e
    })[level]
}

/// The state commitment: `Poseidon(root, next free enumeration index)`.
pub fn commitment(root: Fr, next_free: u64) -> Fr {
    hash2(root, Fr::from(next_free))
}

/// The high and low 128-bit halves of a 32-byte big-endian word, as field elements. This is how
/// keys and values enter the field: two limbs are injective, so no collision resistance is lost
/// (a single field element holds only 254 bits).
pub fn limbs(word: &B256) -> (Fr, Fr) {
    let hi = u128::from_be_bytes(word[..16].try_into().expect("16 bytes"));
    let lo = u128::from_be_bytes(word[16..].try_into().expect("16 bytes"));
    (Fr::from(hi), Fr::from(lo))
}

/// A field element as 32 big-endian bytes (the form used in Solidity and in JSON).
pub fn fr_to_b256(f: Fr) -> B256 {
    let bytes = f.into_bigint().to_bytes_be();
    B256::from_slice(&bytes)
}

/// A 32-byte big-endian word as a field element, or `None` if it is not below the modulus.
pub fn b256_to_fr(word: &B256) -> Option<Fr> {
    let f = Fr::from_be_bytes_mod_order(word.as_slice());
    (fr_to_b256(f) == *word).then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use light_poseidon::{Poseidon, PoseidonHasher};

    fn fr(hex: &str) -> Fr {
        b256_to_fr(&hex.parse().unwrap()).unwrap()
    }

    #[test]
    fn matches_circomlib_vectors() {
        // circomlibjs `poseidon([1, 2])`.
        assert_eq!(
            hash2(Fr::from(1u64), Fr::from(2u64)),
            fr("0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a")
        );
    }

    #[test]
    fn matches_light_poseidon() {
        for n in [2, DIGEST_INPUTS, LEAF_INPUTS] {
            let inputs: Vec<Fr> = (0..n as u64).map(|i| Fr::from(i * 7919 + 3)).collect();
            let mut reference = Poseidon::<Fr>::new_circom(n).unwrap();
            assert_eq!(poseidon(&inputs), reference.hash(&inputs).unwrap(), "{n} inputs");
        }
    }

    #[test]
    fn field_words_round_trip_and_refuse_the_modulus() {
        let f = Fr::from(123_456_789u64);
        assert_eq!(b256_to_fr(&fr_to_b256(f)), Some(f));
        let modulus: B256 =
            "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".parse().unwrap();
        assert_eq!(b256_to_fr(&modulus), None);
        assert_eq!(b256_to_fr(&B256::repeat_byte(0xff)), None);
    }
}
