//! The state-diff circuit: the whole statement of `docs/proof.md`.
//!
//! Public inputs, in order: old commitment, new commitment, high and low 128 bits of
//! SHA-256(diff bytes). Per record slot (the capacity is fixed; unused slots are padding):
//! the record's 512 bits feed one SHA-256 block and give the key and value limbs; the record is
//! applied to the tree as a repeated write (own leaf updated in place) or an initial write (low
//! leaf strictly below the key and its successor strictly above or the end of the list; low leaf
//! re-pointed; new leaf at the next free index, which was empty). Padding slots change nothing
//! and are not hashed: the digest is taken after the last active block, then the padding block
//! for `64·n` bytes.

use alloy::primitives::B256;
use ark_bn254::Fr;
use ark_ff::One;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use rollup_tree::{
    hash::{b256_to_fr, commitment, limbs, TREE_DEPTH},
    Leaf, RecordWitness, Witness,
};

use super::{
    cs::{Cs, Num},
    poseidon::{hash2, path_root, poseidon},
    sha256::{add_mod32, compress, const_word, pack, Word, IV},
};

type R<T> = Result<T, SynthesisError>;

/// The circuit for one capacity, with its witness (or a dummy one for setup).
#[derive(Clone, Debug)]
pub struct StateDiffCircuit {
    capacity: usize,
    witness: Witness,
    publics: Option<[Fr; 4]>,
}

impl StateDiffCircuit {
    /// A circuit proving `witness` in a circuit of `capacity` record slots.
    ///
    /// # Panics
    /// If the witness has more records than the capacity (callers pick a large enough one).
    pub fn new(capacity: usize, witness: Witness) -> Self {
        assert!(
            witness.records.len() <= capacity,
            "{} records exceed capacity {capacity}",
            witness.records.len()
        );
        Self { capacity, witness, publics: None }
    }

    /// The circuit with explicit public inputs instead of the ones the witness implies (what a
    /// cheating prover would claim; used by the soundness tests).
    pub fn with_public_inputs(mut self, publics: [Fr; 4]) -> Self {
        self.publics = Some(publics);
        self
    }

    /// A circuit with an all-padding witness: same constraints, used for key generation.
    pub fn blank(capacity: usize) -> Self {
        let witness = Witness {
            old_root: Default::default(),
            old_next_free: 0,
            new_root: Default::default(),
            new_next_free: 0,
            records: Vec::new(),
        };
        Self { capacity, witness, publics: None }
    }
}

fn fr(b: &B256) -> R<Fr> {
    b256_to_fr(b).ok_or(SynthesisError::AssignmentMissing)
}

fn padding() -> RecordWitness {
    RecordWitness {
        key: Default::default(),
        value: Default::default(),
        insert: false,
        low_index: 0,
        low_leaf: Leaf::GUARD,
        low_path: vec![Default::default(); TREE_DEPTH],
        new_index: 0,
        new_path: vec![Default::default(); TREE_DEPTH],
    }
}

/// The leaf fields as numbers: key, value, next key as (hi, lo) limbs, next index.
struct LeafNums {
    key: (Num, Num),
    value: (Num, Num),
    next_index: Num,
    next_key: (Num, Num),
}

impl LeafNums {
    fn witness(cs: &Cs, leaf: &Leaf) -> R<Self> {
        let [kh, kl, vh, vl, ni, nh, nl] = leaf.field_inputs();
        Ok(Self {
            key: (cs.witness(kh)?, cs.witness(kl)?),
            value: (cs.witness(vh)?, cs.witness(vl)?),
            next_index: cs.witness(ni)?,
            next_key: (cs.witness(nh)?, cs.witness(nl)?),
        })
    }

    fn hash(&self, cs: &Cs) -> R<Num> {
        poseidon(
            cs,
            &[
                self.key.0.clone(),
                self.key.1.clone(),
                self.value.0.clone(),
                self.value.1.clone(),
                self.next_index.clone(),
                self.next_key.0.clone(),
                self.next_key.1.clone(),
            ],
        )
    }
}

/// Bits of a 32-byte big-endian word as eight SHA-256 words.
fn word_bits(cs: &Cs, bytes: &[u8]) -> R<Vec<Word>> {
    bytes
        .chunks(4)
        .map(|c| {
            let w = u32::from_be_bytes(c.try_into().expect("4 bytes"));
            (0..32).map(|i| cs.bit((w >> i) & 1 == 1)).collect()
        })
        .collect()
}

/// (hi, lo) 128-bit limbs of eight big-endian words.
fn limbs_of(words: &[Word]) -> (Num, Num) {
    let shift = Fr::from(1u64 << 32);
    let fold = |ws: &[Word]| ws.iter().fold(Num::zero(), |acc, w| acc.scale(shift).add(&pack(w)));
    (fold(&words[..4]), fold(&words[4..8]))
}

impl ConstraintSynthesizer<Fr> for StateDiffCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> R<()> {
        let cs = Cs::new(cs);
        let w = &self.witness;
        let diff = w.diff().map(|d| d.sha256()).unwrap_or_default();
        let (hash_hi, hash_lo) = limbs(&diff);
        let old_root = cs.witness(fr(&w.old_root)?)?;
        let old_next = cs.witness(Fr::from(w.old_next_free))?;
        let new_root_val = fr(&w.new_root)?;
        let implied = [
            commitment(fr(&w.old_root)?, w.old_next_free),
            commitment(new_root_val, w.new_next_free),
            hash_hi,
            hash_lo,
        ];
        let [old_c, new_c, in_hi, in_lo] = self.publics.unwrap_or(implied);
        let old_c = cs.input(old_c)?;
        let new_c = cs.input(new_c)?;
        let in_hi = cs.input(in_hi)?;
        let in_lo = cs.input(in_lo)?;
        cs.equal(&hash2(&cs, &old_root, &old_next)?, &old_c)?;

        let mut root = old_root;
        let mut next = old_next;
        let mut prev_key = (Num::zero(), Num::zero());
        let iv: Vec<Word> = IV.iter().map(|x| const_word(*x)).collect();
        let mut states = vec![iv];
        let mut actives: Vec<Num> = Vec::with_capacity(self.capacity);
        for slot in 0..self.capacity {
            let real = w.records.get(slot);
            let r = real.cloned().unwrap_or_else(padding);
            let active = cs.bit(real.is_some())?;
            if let Some(prev) = actives.last() {
                // Active slots form a prefix.
                cs.enforce(&active, &Num::constant(Fr::one()).sub(prev), &Num::zero())?;
            }
            let insert = cs.bit(r.insert)?;
            cs.enforce(&insert, &Num::constant(Fr::one()).sub(&active), &Num::zero())?;
            let update = active.sub(&insert);

            // The record's bits: one SHA-256 block, and the key and value limbs.
            let mut block = word_bits(&cs, r.key.as_slice())?;
            block.extend(word_bits(&cs, r.value.as_slice())?);
            let key = limbs_of(&block[..8]);
            let value = limbs_of(&block[8..]);
            let state = compress(&cs, states.last().expect("iv"), &block)?;
            states.push(state);

            // Keys ascend (so the encoding is canonical and key 0, the guard, is never written).
            let ordered = cs.lt256((&prev_key.0, &prev_key.1), (&key.0, &key.1))?;
            cs.equal_if(&active, &ordered, &Num::constant(Fr::one()))?;
            prev_key = key.clone();

            // The low (or own) leaf opens to the running root.
            let low = LeafNums::witness(&cs, &r.low_leaf)?;
            let low_bits = cs.bits(&cs.witness(Fr::from(r.low_index))?, TREE_DEPTH)?;
            let low_path = r.low_path.iter().map(|s| cs.witness(fr(s)?)).collect::<R<Vec<_>>>()?;
            let opened = path_root(&cs, &low.hash(&cs)?, &low_bits, &low_path)?;
            cs.equal_if(&active, &opened, &root)?;

            // Repeated write: the leaf is the key's own.
            cs.equal_if(&update, &low.key.0, &key.0)?;
            cs.equal_if(&update, &low.key.1, &key.1)?;
            // Initial write: low.key < key < low.next_key (or the list ends at low).
            let above = cs.lt256((&low.key.0, &low.key.1), (&key.0, &key.1))?;
            cs.equal_if(&insert, &above, &Num::constant(Fr::one()))?;
            let end = cs.mul(&cs.is_zero(&low.next_key.0)?, &cs.is_zero(&low.next_key.1)?)?;
            let below = cs.lt256((&key.0, &key.1), (&low.next_key.0, &low.next_key.1))?;
            let fits = end.add(&below).sub(&cs.mul(&end, &below)?);
            cs.equal_if(&insert, &fits, &Num::constant(Fr::one()))?;

            // Update the leaf: the value (repeated) or the pointer (initial).
            let updated = LeafNums {
                key: low.key.clone(),
                value: (
                    cs.select(&update, &value.0, &low.value.0)?,
                    cs.select(&update, &value.1, &low.value.1)?,
                ),
                next_index: cs.select(&insert, &next, &low.next_index)?,
                next_key: (
                    cs.select(&insert, &key.0, &low.next_key.0)?,
                    cs.select(&insert, &key.1, &low.next_key.1)?,
                ),
            };
            let root1 = path_root(&cs, &updated.hash(&cs)?, &low_bits, &low_path)?;
            let root1 = cs.select(&active, &root1, &root)?;

            // Initial write: the next free slot was empty; the new leaf takes the low leaf's old
            // successor.
            let next_bits = cs.bits(&next, TREE_DEPTH)?;
            let new_path = r.new_path.iter().map(|s| cs.witness(fr(s)?)).collect::<R<Vec<_>>>()?;
            let empty = path_root(&cs, &Num::zero(), &next_bits, &new_path)?;
            cs.equal_if(&insert, &empty, &root1)?;
            let leaf = LeafNums { key, value, next_index: low.next_index, next_key: low.next_key };
            let root2 = path_root(&cs, &leaf.hash(&cs)?, &next_bits, &new_path)?;
            root = cs.select(&insert, &root2, &root1)?;
            next = next.add(&insert);
            actives.push(active);
        }
        cs.equal(&hash2(&cs, &root, &next)?, &new_c)?;

        // SHA-256 over exactly the active records: pick the state after the last active block
        // (one-hot by telescoping the prefix of active slots), then the padding block.
        let one = Num::constant(Fr::one());
        let mut selectors = Vec::with_capacity(self.capacity + 1);
        for k in 0..=self.capacity {
            let before = if k == 0 { one.clone() } else { actives[k - 1].clone() };
            let after = actives.get(k).cloned().unwrap_or_else(Num::zero);
            selectors.push(before.sub(&after));
        }
        let mut chosen = Vec::with_capacity(8);
        for word in 0..8 {
            let mut acc = Num::zero();
            for (sel, state) in selectors.iter().zip(&states) {
                acc = acc.add(&cs.mul(sel, &pack(&state[word]))?);
            }
            chosen.push(add_mod32(&cs, &[acc])?);
        }
        let n = actives.iter().fold(Num::zero(), |acc, a| acc.add(a));
        let n_bits = cs.bits(&n, usize::BITS as usize - self.capacity.leading_zeros() as usize)?;
        let mut pad: Vec<Word> = (0..16).map(|_| const_word(0)).collect();
        pad[0] = const_word(0x8000_0000);
        // The message length in bits is 512·n: n's bits shifted up by 9.
        pad[15] = (0..32)
            .map(|i| {
                if i >= 9 {
                    n_bits.get(i - 9).cloned().unwrap_or_else(Num::zero)
                } else {
                    Num::zero()
                }
            })
            .collect();
        let digest = compress(&cs, &chosen, &pad)?;
        let (hi, lo) = limbs_of(&digest);
        cs.equal(&hi, &in_hi)?;
        cs.equal(&lo, &in_lo)?;
        Ok(())
    }
}
