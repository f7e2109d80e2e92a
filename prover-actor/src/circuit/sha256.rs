//! A lean SHA-256 compression gadget over bits.
//!
//! Words are 32 boolean numbers, least significant bit first. The savings over a generic gadget:
//! a 3-way XOR and a majority are each 2 constraints per bit (one witness bit `m` with
//! `a + b + c - 2m ∈ {0,1}`: the XOR is the linear combination, the majority is `m`), `Ch` is one
//! (`g + e·(f - g)`), and additions are free linear sums decomposed once into 32 bits plus carries.
//! About 26.4k constraints per 64-byte block.

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use ark_relations::gr1cs::SynthesisError;

use super::cs::{Cs, Num};

/// A 32-bit word as bits, least significant first.
pub type Word = Vec<Num>;

type R<T> = Result<T, SynthesisError>;

/// The SHA-256 round constants.
pub const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The initial hash value.
pub const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// A constant word.
pub fn const_word(w: u32) -> Word {
    (0..32).map(|i| Num::constant(Fr::from((w >> i) & 1))).collect()
}

fn bit_val(x: &Num) -> u64 {
    u64::from(!x.val.is_zero())
}

/// `(a + b + c) mod 2` and `maj(a, b, c)` for bits: 2 constraints, or none for constants.
fn xor_maj(cs: &Cs, a: &Num, b: &Num, c: &Num) -> R<(Num, Num)> {
    let s = a.add(b).add(c);
    let m_val = (bit_val(a) + bit_val(b) + bit_val(c)) >= 2;
    if s.is_const() {
        let m = Num::constant(Fr::from(m_val));
        return Ok((s.sub(&m.scale(Fr::from(2u8))), m));
    }
    let m = cs.bit(m_val)?;
    let x = s.sub(&m.scale(Fr::from(2u8)));
    cs.assert_bool(&x)?;
    Ok((x, m))
}

/// `a XOR b` for bits: one constraint.
fn xor2(cs: &Cs, a: &Num, b: &Num) -> R<Num> {
    let p = cs.mul(a, b)?;
    Ok(a.add(b).sub(&p.scale(Fr::from(2u8))))
}

fn rotr(x: &Word, n: usize) -> Word {
    (0..32).map(|i| x[(i + n) % 32].clone()).collect()
}

/// XOR of two rotations and either a third rotation (`shr = false`) or a shift.
fn sigma(cs: &Cs, x: &Word, r1: usize, r2: usize, r3: usize, shr: bool) -> R<Word> {
    let (a, b) = (rotr(x, r1), rotr(x, r2));
    (0..32)
        .map(|i| {
            if shr && i + r3 >= 32 {
                xor2(cs, &a[i], &b[i])
            } else {
                Ok(xor_maj(cs, &a[i], &b[i], &x[(i + r3) % 32])?.0)
            }
        })
        .collect()
}

/// `(Σ terms) mod 2^32` as bits: the sum is decomposed once, carries included.
pub fn add_mod32(cs: &Cs, terms: &[Num]) -> R<Word> {
    let refs: Vec<(Fr, &Num)> = terms.iter().map(|t| (Fr::one(), t)).collect();
    let sum = Num::combine(&refs);
    let carry_bits = usize::BITS as usize - (terms.len() - 1).leading_zeros() as usize;
    let mut bits = cs.bits(&sum, 32 + carry_bits)?;
    bits.truncate(32);
    Ok(bits)
}

/// Σ 2^i · word bits.
pub fn pack(w: &Word) -> Num {
    Num::pack(w)
}

/// One compression: `state` (8 words) and a 16-word block (big-endian words) to the next state.
pub fn compress(cs: &Cs, state: &[Word], block: &[Word]) -> R<Vec<Word>> {
    let mut w: Vec<Word> = block.to_vec();
    for t in 16..64 {
        let s0 = sigma(cs, &w[t - 15], 7, 18, 3, true)?;
        let s1 = sigma(cs, &w[t - 2], 17, 19, 10, true)?;
        w.push(add_mod32(cs, &[pack(&s1), pack(&w[t - 7]), pack(&s0), pack(&w[t - 16])])?);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h]: [Word; 8] =
        state.to_vec().try_into().map_err(|_| SynthesisError::Unsatisfiable)?;
    for t in 0..64 {
        let s1 = sigma(cs, &e, 6, 11, 25, false)?;
        let ch = (0..32)
            .map(|i| Ok(g[i].add(&cs.mul(&e[i], &f[i].sub(&g[i]))?)))
            .collect::<R<Vec<_>>>()?;
        let s0 = sigma(cs, &a, 2, 13, 22, false)?;
        let maj =
            (0..32).map(|i| Ok(xor_maj(cs, &a[i], &b[i], &c[i])?.1)).collect::<R<Vec<_>>>()?;
        let k = Num::constant(Fr::from(K[t]));
        let t1 = [pack(&h), pack(&s1), pack(&ch), k, pack(&w[t])];
        let new_e = add_mod32(cs, &[&t1[..], &[pack(&d)]].concat())?;
        let new_a = add_mod32(cs, &[&t1[..], &[pack(&s0), pack(&maj)]].concat())?;
        (h, g, f, e, d, c, b, a) = (g, f, e, new_e, c, b, a, new_a);
    }
    let out = [a, b, c, d, e, f, g, h];
    out.iter().zip(state).map(|(x, s)| add_mod32(cs, &[pack(s), pack(x)])).collect()
}
