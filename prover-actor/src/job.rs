//! Proof jobs: what is proven for a batch, and proving one with the right capacity.

use rand_chacha::ChaCha20Rng;
use rollup_tree::Witness;
use serde::{Deserialize, Serialize};

use crate::{
    circuit::PublicInputs, keys::KeySet, prove, public_inputs, verify, ProofWords, ProveError,
};

/// One proof job: a chunk of a batch's state diff, with the tree witness of its transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofJob {
    /// The job id: the tree version the chunk leads to. Ids grow with batch and chunk order, and
    /// jobs are handed out in this order.
    pub id: u64,
    /// The L1 batch the chunk belongs to.
    pub batch: u64,
    /// The chunk's index in its batch.
    pub chunk: u32,
    /// The witness from the tree (`TreeStore::witness(id)`).
    pub witness: Witness,
}

pub use rollup_supervision::BoxError;

/// Where the exchange finds new jobs: the composition root implements this over the batch and
/// tree stores, so the prover does not depend on the sequencer's crates.
pub trait JobSource: Send + Sync + 'static {
    /// Up to `limit` jobs with ids above `after`, in id order (fewer, or none, if the tree has
    /// not got that far). Errors are storage failures.
    fn jobs_after(&self, after: u64, limit: usize) -> Result<Vec<ProofJob>, BoxError>;
}

impl ProofJob {
    /// The public inputs the proof must satisfy (and `proveBatches` will pass), or `None` if the
    /// witness carries a commitment outside the field or a non-canonical diff.
    pub fn public_inputs(&self) -> Option<PublicInputs> {
        let claim = self.witness.diff().ok()?.claim();
        public_inputs(&self.witness.old_commitment(), &self.witness.new_commitment(), &claim)
    }
}

/// Prove `job` with the smallest circuit that fits it (repeated-only if it can), and check the
/// proof natively before returning it (a prover never reports a proof it has not verified).
pub fn prove_job(
    keys: &KeySet,
    job: &ProofJob,
    rng: &mut ChaCha20Rng,
) -> Result<ProofWords, ProveError> {
    let k = keys.for_witness(&job.witness).map_err(|e| ProveError::Witness(e.to_string()))?;
    let inputs =
        job.public_inputs().ok_or_else(|| ProveError::Witness("bad public inputs".into()))?;
    let proof = prove(k, &job.witness, rng)?;
    if !verify(k.vk(), &inputs, &proof) {
        return Err(ProveError::Synthesis("the proof does not verify natively".into()));
    }
    Ok(ProofWords::encode(k.shape, &proof))
}
