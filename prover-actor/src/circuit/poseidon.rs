//! The Poseidon gadget, the twin of `rollup_tree::hash::poseidon` (same circom
//! constants). Cost per S-box `x^5`: 3 constraints; width 3: 240, width 8: 381 (the
//! first round's constant lane folds).

use ark_bn254::Fr;
use ark_relations::gr1cs::SynthesisError;
use rollup_tree::hash::params;

use super::cs::{Cs, Num};

/// Poseidon of `inputs` (2 or 7 of them).
pub fn poseidon(cs: &Cs, inputs: &[Num]) -> Result<Num, SynthesisError> {
    let p = params(inputs.len());
    let width = p.width;
    let mut state: Vec<Num> = std::iter::once(Num::zero()).chain(inputs.iter().cloned()).collect();
    let half = p.full_rounds / 2;
    for round in 0..p.full_rounds + p.partial_rounds {
        for (i, s) in state.iter_mut().enumerate() {
            *s = s.add_const(p.ark[round * width + i]);
        }
        let full = round < half || round >= half + p.partial_rounds;
        let sboxed = if full { width } else { 1 };
        for s in &mut state[..sboxed] {
            let x2 = cs.mul(s, s)?;
            let x4 = cs.mul(&x2, &x2)?;
            *s = cs.mul(&x4, s)?;
        }
        state = (0..width)
            .map(|i| {
                let terms: Vec<(Fr, &Num)> = p.mds[i].iter().copied().zip(state.iter()).collect();
                Num::combine(&terms)
            })
            .collect();
    }
    Ok(state.swap_remove(0))
}

/// `Poseidon(left, right)`.
pub fn hash2(cs: &Cs, left: &Num, right: &Num) -> Result<Num, SynthesisError> {
    poseidon(cs, &[left.clone(), right.clone()])
}

/// The root reached from `leaf` through `siblings`, turning by `index_bits` (leaf level first).
pub fn path_root(
    cs: &Cs,
    leaf: &Num,
    index_bits: &[Num],
    siblings: &[Num],
) -> Result<Num, SynthesisError> {
    let mut cur = leaf.clone();
    for (bit, sib) in index_bits.iter().zip(siblings) {
        // bit = 0: (cur, sib); bit = 1: (sib, cur). One constraint for the swap.
        let left = cs.select(bit, sib, &cur)?;
        let right = cur.add(sib).sub(&left);
        cur = hash2(cs, &left, &right)?;
    }
    Ok(cur)
}
