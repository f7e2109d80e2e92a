//! The canonical state diff of a batch: the bytes published on L1 and hashed by the Executor.
//!
//! Encoding (see `docs/proof.md`): the concatenation of 64-byte records
//! `derived_key (32 bytes) ‖ value (32 bytes)`, keys strictly ascending, no key zero. There is no
//! header: the length (a multiple of 64) gives the record count, so each record is exactly one
//! SHA-256 block, which is what keeps the in-circuit hash cheap. Whether a record is an initial or a
//! repeated write is not encoded; it follows from the state before the batch, and the proof shows
//! the tree treated it correctly.

use alloy::primitives::B256;
use sha2::{Digest, Sha256};

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
        let writes = bytes
            .chunks_exact(RECORD_BYTES)
            .map(|r| (B256::from_slice(&r[..32]), B256::from_slice(&r[32..])))
            .collect();
        Self::checked(writes)
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

    /// SHA-256 of the canonical bytes (what the Executor computes with the precompile).
    pub fn sha256(&self) -> B256 {
        B256::from_slice(&Sha256::digest(self.encode()))
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
        assert_eq!(StateDiff::default().sha256(), B256::from_slice(&Sha256::digest([])));
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
