//! The state-diff circuit: the whole statement of `docs/proof.md`.
//!
//! Public inputs, in order ([`PUBLIC_INPUTS`]): old commitment, new commitment, the records'
//! digest, the evaluation point, the records' evaluation at that point. Per record slot (the
//! capacity is fixed; unused slots are padding): the record's four limbs extend the Poseidon
//! digest and the evaluation; the record is applied to the tree as a repeated write (own leaf
//! updated in place) or an initial write (low leaf strictly below the key and its successor
//! strictly above or the end of the list; low leaf re-pointed; new leaf at the next free index,
//! which was empty). Padding slots change nothing and enter neither the digest nor the
//! evaluation. A repeated-only circuit ([`Shape`]) has no initial-write constraints at all: every
//! active slot is a repeated write, which takes two Merkle paths instead of four.

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
    shape::Shape,
};

/// How many public inputs a chunk proof has.
pub const PUBLIC_INPUTS: usize = 5;

/// The public inputs of one chunk proof: old and new commitments, digest, point, evaluation.
pub type PublicInputs = [Fr; PUBLIC_INPUTS];

type R<T> = Result<T, SynthesisError>;

/// The circuit of one shape, with its witness (or a dummy one for setup).
#[derive(Clone, Debug)]
pub struct StateDiffCircuit {
    shape: Shape,
    witness: Witness,
    publics: Option<PublicInputs>,
}

impl StateDiffCircuit {
    /// A circuit of `shape` proving `witness`.
    ///
    /// # Panics
    /// If the witness does not fit the shape: more records than slots, or an initial write in a
    /// repeated-only circuit (callers pick a shape that fits, [`Shape::fits`]).
    pub fn new(shape: Shape, witness: Witness) -> Self {
        assert!(
            shape.fits(&witness),
            "{} records do not fit circuit {shape}",
            witness.records.len()
        );
        Self { shape, witness, publics: None }
    }

    /// The circuit with explicit public inputs instead of the ones the witness implies (what a
    /// cheating prover would claim; used by the soundness tests).
    pub fn with_public_inputs(mut self, publics: PublicInputs) -> Self {
        self.publics = Some(publics);
        self
    }

    /// A circuit with an all-padding witness: same constraints, used for key generation.
    pub fn blank(shape: Shape) -> Self {
        let witness = Witness {
            old_root: Default::default(),
            old_next_free: 0,
            new_root: Default::default(),
            new_next_free: 0,
            records: Vec::new(),
        };
        Self { shape, witness, publics: None }
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

impl ConstraintSynthesizer<Fr> for StateDiffCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> R<()> {
        let cs = Cs::new(cs);
        let w = &self.witness;
        let claim = w.diff().map(|d| d.claim()).unwrap_or_else(|_| Default::default());
        let old_root = cs.witness(fr(&w.old_root)?)?;
        let old_next = cs.witness(Fr::from(w.old_next_free))?;
        let new_root_val = fr(&w.new_root)?;
        let implied = [
            commitment(fr(&w.old_root)?, w.old_next_free),
            commitment(new_root_val, w.new_next_free),
            claim.digest,
            claim.point,
            claim.evaluation,
        ];
        let [old_c, new_c, digest_in, point, evaluation_in] = self.publics.unwrap_or(implied);
        let old_c = cs.input(old_c)?;
        let new_c = cs.input(new_c)?;
        let digest_in = cs.input(digest_in)?;
        let point = cs.input(point)?;
        let evaluation_in = cs.input(evaluation_in)?;
        cs.equal(&hash2(&cs, &old_root, &old_next)?, &old_c)?;

        let one = Num::constant(Fr::one());
        let mut root = old_root;
        let mut next = old_next;
        let mut prev_key = (Num::zero(), Num::zero());
        let mut digest = Num::zero();
        // The evaluation without its constant term n: Σ l_j · point^(j+1) over active slots.
        let mut evaluation = Num::zero();
        let mut power = one.clone();
        let mut count = Num::zero();
        let mut prev_active: Option<Num> = None;
        let repeated_only = self.shape.repeated_only;
        for slot in 0..self.shape.capacity {
            let real = w.records.get(slot);
            let r = real.cloned().unwrap_or_else(padding);
            let active = cs.bit(real.is_some())?;
            if let Some(prev) = &prev_active {
                // Active slots form a prefix.
                cs.enforce(&active, &one.sub(prev), &Num::zero())?;
            }
            let insert = if repeated_only {
                Num::zero()
            } else {
                let insert = cs.bit(r.insert)?;
                cs.enforce(&insert, &one.sub(&active), &Num::zero())?;
                insert
            };
            let update = active.sub(&insert);

            // The record's limbs. They are not range-checked: the evaluation equals L1's, computed
            // from 16-byte halves of the published bytes, so each limb is below 2^128 (the
            // soundness argument in docs/proof.md).
            let (kh, kl) = limbs(&r.key);
            let (vh, vl) = limbs(&r.value);
            let key = (cs.witness(kh)?, cs.witness(kl)?);
            let value = (cs.witness(vh)?, cs.witness(vl)?);
            let record = [key.0.clone(), key.1.clone(), value.0.clone(), value.1.clone()];

            // Digest and evaluation, over active slots only.
            let step = poseidon(
                &cs,
                &[digest.clone(), key.0.clone(), key.1.clone(), value.0.clone(), value.1.clone()],
            )?;
            digest = cs.select(&active, &step, &digest)?;
            let mut terms = Num::zero();
            for limb in &record {
                power = cs.mul(&power, &point)?;
                terms = terms.add(&cs.mul(limb, &power)?);
            }
            evaluation = evaluation.add(&cs.mul(&active, &terms)?);
            count = count.add(&active);

            // Keys ascend (so the encoding is canonical and key 0, the guard, is never written).
            let ordered = cs.lt256((&prev_key.0, &prev_key.1), (&key.0, &key.1))?;
            cs.equal_if(&active, &ordered, &one)?;
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
            if repeated_only {
                let value = (
                    cs.select(&update, &value.0, &low.value.0)?,
                    cs.select(&update, &value.1, &low.value.1)?,
                );
                let updated = LeafNums { value, ..low };
                let root1 = path_root(&cs, &updated.hash(&cs)?, &low_bits, &low_path)?;
                root = cs.select(&active, &root1, &root)?;
                prev_active = Some(active);
                continue;
            }
            // Initial write: low.key < key < low.next_key (or the list ends at low).
            let above = cs.lt256((&low.key.0, &low.key.1), (&key.0, &key.1))?;
            cs.equal_if(&insert, &above, &one)?;
            let end = cs.mul(&cs.is_zero(&low.next_key.0)?, &cs.is_zero(&low.next_key.1)?)?;
            let below = cs.lt256((&key.0, &key.1), (&low.next_key.0, &low.next_key.1))?;
            let fits = end.add(&below).sub(&cs.mul(&end, &below)?);
            cs.equal_if(&insert, &fits, &one)?;

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
            prev_active = Some(active);
        }
        cs.equal(&hash2(&cs, &root, &next)?, &new_c)?;
        // The digest and the evaluation (with its constant term, the record count) are L1's.
        cs.equal(&digest, &digest_in)?;
        cs.equal(&evaluation.add(&count), &evaluation_in)?;
        Ok(())
    }
}
