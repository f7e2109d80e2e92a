//! The canonical state diff of a batch: the bytes published on L1 and hashed by the Executor.
//!
//! Encoding (see `docs/proof.md`): the concatenation of 64-byte records
//! `derived_key (32 bytes) ‖ value (32 bytes)`, keys strictly ascending, no key zero. There is no
//! header: the length (a multiple of 64) gives the record count. Whether a record is an initial or
//! a repeated write is not encoded; it follows from the state before the batch, and the proof shows
//! the tree treated it correctly.
//!
//! A chunk of records is bound to its proof by a [`ChunkClaim`]: the prover's Poseidon digest of
//! the records, a point derived from the digest and the published bytes, and the records'
//! evaluation at that point (`docs/proof.md`, "Binding the published diff").

use alloy::primitives::{keccak256, B256};
use ark_bn254::Fr;
use ark_ff::{One, PrimeField, Zero};

use crate::hash::{fr_to_b256, limbs, poseidon, DIGEST_INPUTS};

/// Bytes per record.
pub const RECORD_BYTES: usize = 64;

/// Why bytes or writes do not form a canonical state diff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// The byte length is not a multiple of the record size.
    #[error("state diff length {len} is not a multiple of {RECORD_BYTES}")]
    Length {
        /// The length received.
        len: usize,
    },
    /// A record's key is not strictly greater than the previous one.
    #[error("state diff record {index}: key {key} is not above the previous key")]
    Order {
        /// Position of the record.
        index: usize,
        /// Its key.
        key: B256,
    },
    /// Key zero is the tree's guard leaf and cannot be written.
    #[error("state diff record {index}: key zero is reserved for the guard leaf")]
    ZeroKey {
        /// Position of the record.
        index: usize,
    },
}

/// A batch's net slot writes in canonical order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateDiff {
    writes: Vec<(B256, B256)>,
}

impl StateDiff {
    /// The diff of these net writes: sorted by key; a repeated key or key zero is an error.
    pub fn new(writes: impl IntoIterator<Item = (B256, B256)>) -> Result<Self, DiffError> {
        let mut writes: Vec<_> = writes.into_iter().collect();
        writes.sort_by_key(|w| w.0);
        Self::checked(writes)
    }

    fn checked(writes: Vec<(B256, B256)>) -> Result<Self, DiffError> {
        let mut prev: Option<B256> = None;
        for (index, (key, _)) in writes.iter().enumerate() {
            if key.is_zero() {
                return Err(DiffError::ZeroKey { index });
            }
            if prev.is_some_and(|p| p >= *key) {
                return Err(DiffError::Order { index, key: *key });
            }
            prev = Some(*key);
        }
        Ok(Self { writes })
    }

    /// Parse canonical bytes, refusing anything that is not canonical.
    pub fn decode(bytes: &[u8]) -> Result<Self, DiffError> {
        if bytes.len() % RECORD_BYTES != 0 {
            return Err(DiffError::Length { len: bytes.len() });
        }
        Self::checked(records_of(bytes))
    }

    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.writes.len() * RECORD_BYTES);
        for (k, v) in &self.writes {
            out.extend_from_slice(k.as_slice());
            out.extend_from_slice(v.as_slice());
        }
        out
    }

    /// The claim binding these records (as one proof chunk) to their published bytes.
    pub fn claim(&self) -> ChunkClaim {
        ChunkClaim::of(&self.encode())
    }

    /// The writes, ascending by key.
    pub fn writes(&self) -> &[(B256, B256)] {
        &self.writes
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Whether the diff has no records.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// What binds one proof chunk to the bytes published for it: the last three public inputs of the
/// chunk's proof, and what `commitBatches` stores (hashed) for the chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkClaim {
    /// The prover's commitment to the records: `a_0 = 0`, `a_{i+1} = Poseidon(a_i, key_hi,
    /// key_lo, value_hi, value_lo)` over the records, digest `a_n`. The validator hands it to L1,
    /// which cannot recompute it; the proof shows it.
    pub digest: Fr,
    /// The evaluation point, `keccak256(digest ‖ keccak256(bytes)) mod p`: fixed only once the
    /// records (through the digest) and the published bytes are.
    pub point: Fr,
    /// `n + Σ_j l_j · point^(j+1)` over the records' limbs `l_j` (key hi, key lo, value hi, value
    /// lo, record after record): L1 computes it from the published bytes, the proof from the
    /// records it applied.
    pub evaluation: Fr,
}

impl ChunkClaim {
    /// The claim of a chunk's published bytes (whole 64-byte records; a trailing partial record
    /// is ignored, as callers pass whole chunks).
    pub fn of(bytes: &[u8]) -> Self {
        let records = records_of(bytes);
        let digest = records_digest(&records);
        let point = evaluation_point(&fr_to_b256(digest), &keccak256(bytes));
        Self { digest, point, evaluation: evaluate(&records, point) }
    }

    /// The digest of each chunk of a diff's bytes cut every `chunk_records` records: what the
    /// validator hands `commitBatches` (`chunkDigests`).
    pub fn digests(diff: &[u8], chunk_records: usize) -> Vec<B256> {
        let size = chunk_records.max(1).saturating_mul(RECORD_BYTES);
        diff.chunks(size).map(|chunk| fr_to_b256(records_digest(&records_of(chunk)))).collect()
    }

    /// The three words as L1 sees them: digest, point, evaluation.
    pub fn words(&self) -> [B256; 3] {
        [fr_to_b256(self.digest), fr_to_b256(self.point), fr_to_b256(self.evaluation)]
    }
}

/// Whole 64-byte records of `bytes` as (key, value).
fn records_of(bytes: &[u8]) -> Vec<(B256, B256)> {
    bytes
        .chunks_exact(RECORD_BYTES)
        .map(|r| (B256::from_slice(&r[..32]), B256::from_slice(&r[32..])))
        .collect()
}

/// The record limbs in evaluation order: key hi, key lo, value hi, value lo.
pub(crate) fn record_limbs(key: &B256, value: &B256) -> [Fr; 4] {
    let (kh, kl) = limbs(key);
    let (vh, vl) = limbs(value);
    [kh, kl, vh, vl]
}

/// The Poseidon digest of records (see [`ChunkClaim::digest`]).
pub(crate) fn records_digest(records: &[(B256, B256)]) -> Fr {
    records.iter().fold(Fr::zero(), |acc, (k, v)| {
        let [kh, kl, vh, vl] = record_limbs(k, v);
        let inputs: [Fr; DIGEST_INPUTS] = [acc, kh, kl, vh, vl];
        poseidon(&inputs)
    })
}

/// The evaluation point for a digest and the keccak of the published bytes.
pub(crate) fn evaluation_point(digest: &B256, bytes_hash: &B256) -> Fr {
    let mut pre = [0u8; 64];
    pre[..32].copy_from_slice(digest.as_slice());
    pre[32..].copy_from_slice(bytes_hash.as_slice());
    Fr::from_be_bytes_mod_order(keccak256(pre).as_slice())
}

/// `n + Σ_j l_j · r^(j+1)` over the records' limbs (see [`ChunkClaim::evaluation`]).
pub(crate) fn evaluate(records: &[(B256, B256)], r: Fr) -> Fr {
    let mut pow = Fr::one();
    let mut acc = Fr::from(records.len() as u64);
    for (k, v) in records {
        for l in record_limbs(k, v) {
            pow *= r;
            acc += l * pow;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(k: u8, v: u8) -> (B256, B256) {
        (B256::repeat_byte(k), B256::repeat_byte(v))
    }

    #[test]
    fn canonical_round_trip() {
        let d = StateDiff::new([w(3, 1), w(1, 2)]).unwrap();
        assert_eq!(d.writes()[0].0, B256::repeat_byte(1));
        let bytes = d.encode();
        assert_eq!(bytes.len(), 128);
        assert_eq!(StateDiff::decode(&bytes).unwrap(), d);
        let empty = StateDiff::default().claim();
        assert_eq!((empty.digest, empty.evaluation), (Fr::zero(), Fr::zero()));
    }

    #[test]
    fn the_claim_follows_its_formula_and_every_byte() {
        let one = B256::with_last_byte(1);
        let two = B256::with_last_byte(2);
        let d = StateDiff::new([(one, two)]).unwrap();
        let c = d.claim();
        // Limbs (0, 1, 0, 2): 1 + 1·r^2 + 2·r^4.
        let r = c.point;
        assert_eq!(c.evaluation, Fr::one() + r * r + Fr::from(2u8) * r * r * r * r);
        let expected_digest =
            poseidon(&[Fr::zero(), Fr::zero(), Fr::one(), Fr::zero(), Fr::from(2u8)]);
        assert_eq!(c.digest, expected_digest);
        assert_eq!(r, evaluation_point(&fr_to_b256(c.digest), &keccak256(d.encode())));
        let bytes = d.encode();
        for i in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[i] ^= 1;
            let t = ChunkClaim::of(&tampered);
            assert_ne!(t.digest, c.digest, "byte {i}");
            assert_ne!(t.evaluation, c.evaluation, "byte {i}");
        }
    }

    #[test]
    fn refuses_non_canonical_input() {
        assert_eq!(
            StateDiff::new([w(1, 1), w(1, 2)]).unwrap_err(),
            DiffError::Order { index: 1, key: B256::repeat_byte(1) }
        );
        assert_eq!(StateDiff::new([w(0, 1)]).unwrap_err(), DiffError::ZeroKey { index: 0 });
        assert_eq!(StateDiff::decode(&[0u8; 65]).unwrap_err(), DiffError::Length { len: 65 });
        let mut bytes = StateDiff::new([w(1, 1), w(2, 2)]).unwrap().encode();
        bytes.rotate_left(64);
        assert!(matches!(StateDiff::decode(&bytes), Err(DiffError::Order { index: 1, .. })));
    }
}
