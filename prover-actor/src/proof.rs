//! Proving a batch's tree witness and checking proofs, natively and in the layout the L1
//! verifier takes.

use alloy::primitives::{B256, U256};
use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ff::PrimeField;
use ark_groth16::{prepare_verifying_key, Groth16, Proof, VerifyingKey};
use rand_chacha::ChaCha20Rng;
use rollup_tree::{ChunkClaim, Witness};

use crate::{
    circuit::{PublicInputs, Shape, StateDiffCircuit},
    keys::Keys,
    solidity::{g1, g2, word},
};

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The chunk does not fit the circuit: more records than slots, or an initial write in a
    /// repeated-only circuit.
    #[error("{records} records ({initial} initial writes) do not fit circuit {shape}")]
    Capacity {
        /// Records in the chunk.
        records: usize,
        /// Initial writes among them.
        initial: usize,
        /// The circuit.
        shape: Shape,
    },
    /// The witness does not describe a valid transition (checked natively before proving).
    #[error("invalid witness: {0}")]
    Witness(String),
    /// arkworks failed.
    #[error("proving failed: {0}")]
    Synthesis(String),
}

/// The five public inputs: old commitment, new commitment, then the chunk's claim (digest,
/// point, evaluation). `None` if a commitment is not a field element.
pub fn public_inputs(old: &B256, new: &B256, claim: &ChunkClaim) -> Option<PublicInputs> {
    use rollup_tree::hash::b256_to_fr;
    Some([b256_to_fr(old)?, b256_to_fr(new)?, claim.digest, claim.point, claim.evaluation])
}

/// Prove `witness` with `keys` (whose circuit must fit it). The witness is checked natively
/// first, so a bad job fails fast with a reason instead of an unsatisfiable circuit.
///
/// The RNG type is concrete on purpose: a generic one would instantiate the whole Groth16 prover
/// in the calling crate, at that crate's optimisation level (5x slower in a dev build).
pub fn prove(
    keys: &Keys,
    witness: &Witness,
    rng: &mut ChaCha20Rng,
) -> Result<Proof<Bn254>, ProveError> {
    if !keys.shape.fits(witness) {
        return Err(ProveError::Capacity {
            records: witness.records.len(),
            initial: witness.records.iter().filter(|r| r.insert).count(),
            shape: keys.shape,
        });
    }
    witness.check().map_err(ProveError::Witness)?;
    let circuit = StateDiffCircuit::new(keys.shape, witness.clone());
    Groth16::<Bn254>::create_random_proof_with_reduction(circuit, &keys.pk, rng)
        .map_err(|e| ProveError::Synthesis(e.to_string()))
}

/// Check a proof natively.
pub fn verify(vk: &VerifyingKey<Bn254>, inputs: &PublicInputs, proof: &Proof<Bn254>) -> bool {
    let pvk = prepare_verifying_key(vk);
    Groth16::<Bn254>::verify_proof(&pvk, proof, inputs).unwrap_or(false)
}

/// A proof as `IVerifier.verify` takes it: `[circuit id, A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x,
/// C.y]`. G2 coordinates go imaginary part first, as the EIP-197 pairing precompile wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProofWords(pub [U256; 9]);

fn field<F: PrimeField>(w: U256) -> Option<F> {
    let f = F::from_be_bytes_mod_order(&w.to_be_bytes::<32>());
    (word(f) == w).then_some(f)
}

impl ProofWords {
    /// Encode a proof made by the circuit `shape`.
    pub fn encode(shape: Shape, proof: &Proof<Bn254>) -> Self {
        let ([ax, ay], [bx1, bx0, by1, by0], [cx, cy]) = (g1(&proof.a), g2(&proof.b), g1(&proof.c));
        Self([U256::from(shape.id()), ax, ay, bx1, bx0, by1, by0, cx, cy])
    }

    /// The circuit and the proof, if the first word names a circuit, every coordinate is in its
    /// field and every point is on its curve and in the right subgroup.
    pub fn decode(&self) -> Option<(Shape, Proof<Bn254>)> {
        let w = &self.0;
        let shape = self.shape()?;
        let g1 = |x: U256, y: U256| {
            let p = G1Affine::new_unchecked(field(x)?, field(y)?);
            (p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
        };
        let fq2 = |c1: U256, c0: U256| Some(ark_bn254::Fq2::new(field(c0)?, field(c1)?));
        let b = G2Affine::new_unchecked(fq2(w[3], w[4])?, fq2(w[5], w[6])?);
        if !(b.is_on_curve() && b.is_in_correct_subgroup_assuming_on_curve()) {
            return None;
        }
        Some((shape, Proof { a: g1(w[1], w[2])?, b, c: g1(w[7], w[8])? }))
    }

    /// The circuit the first word names, if it names one.
    pub fn shape(&self) -> Option<Shape> {
        Shape::from_id(u64::try_from(self.0[0]).ok()?)
    }

    /// As a plain word list (the ABI `uint256[]`).
    pub fn to_vec(&self) -> Vec<U256> {
        self.0.to_vec()
    }
}
