//! The state tree: a depth-32 binary Poseidon Merkle tree over enumeration indices whose leaves
//! form a sorted linked list by key (the ZKsync OS tree's idea), so that an initial write can be
//! proven absent before it is inserted.
//!
//! - A leaf is `(key, value, next_index, next_key)`; its hash is
//!   `Poseidon(key_hi, key_lo, value_hi, value_lo, next_index, next_key_hi, next_key_lo)` with
//!   32-byte words split into 128-bit limbs. Empty slots are zero.
//! - Leaf 0 is the guard: key 0, the head of the list. `next_key = 0` marks the list's end.
//! - An inner node is `Poseidon(left, right)`; the commitment is `Poseidon(root, next_free)`.
//! - Initial write of `k`: find the low leaf (greatest key below `k`), point it at the new leaf,
//!   and put `(k, v, low.next_index, low.next_key)` at the next free index. Repeated write:
//!   replace the value in place.
//!
//! [`TreeStore`] keeps every version in redb; [`StateDiff`] is the canonical diff encoding.

mod diff;
pub mod hash;
mod store;

use alloy::primitives::B256;
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

pub use diff::{ChunkClaim, DiffError, StateDiff, RECORD_BYTES};
pub use store::{TreeError, TreeReader, TreeStore, TreeVersion, CAPACITY};

use hash::{fr_to_b256, limbs, poseidon};

/// One leaf of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    /// Derived key.
    pub key: B256,
    /// Value.
    pub value: B256,
    /// Enumeration index of the next key in sorted order (0 at the end of the list).
    pub next_index: u64,
    /// The next key in sorted order (0 at the end of the list).
    pub next_key: B256,
}

impl Leaf {
    /// The guard leaf at index 0.
    pub const GUARD: Self =
        Self { key: B256::ZERO, value: B256::ZERO, next_index: 0, next_key: B256::ZERO };

    /// The leaf hash.
    pub fn hash(&self) -> Fr {
        poseidon(&self.field_inputs())
    }

    /// The seven field elements hashed into the leaf.
    pub fn field_inputs(&self) -> [Fr; hash::LEAF_INPUTS] {
        let (kh, kl) = limbs(&self.key);
        let (vh, vl) = limbs(&self.value);
        let (nh, nl) = limbs(&self.next_key);
        [kh, kl, vh, vl, Fr::from(self.next_index), nh, nl]
    }

    fn encode(&self) -> [u8; 104] {
        let mut out = [0u8; 104];
        out[..32].copy_from_slice(self.key.as_slice());
        out[32..64].copy_from_slice(self.value.as_slice());
        out[64..72].copy_from_slice(&self.next_index.to_be_bytes());
        out[72..].copy_from_slice(self.next_key.as_slice());
        out
    }

    fn decode(raw: &[u8]) -> Option<Self> {
        (raw.len() == 104).then(|| Self {
            key: B256::from_slice(&raw[..32]),
            value: B256::from_slice(&raw[32..64]),
            next_index: u64::from_be_bytes(raw[64..72].try_into().expect("8 bytes")),
            next_key: B256::from_slice(&raw[72..]),
        })
    }
}

/// What the circuit needs to re-apply one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordWitness {
    /// The record's key.
    pub key: B256,
    /// The record's value.
    pub value: B256,
    /// Initial write (true) or repeated write.
    pub insert: bool,
    /// The leaf updated first: the key's own leaf (repeated) or its low leaf (initial).
    pub low_index: u64,
    /// That leaf before the update.
    pub low_leaf: Leaf,
    /// Its siblings, leaf level first, before the update.
    pub low_path: Vec<B256>,
    /// The next free index when the record is applied (where an initial write goes).
    pub new_index: u64,
    /// Siblings of `new_index` after the first update.
    pub new_path: Vec<B256>,
}

/// The witness of one batch's transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// Root before the batch.
    pub old_root: B256,
    /// Next free index before the batch.
    pub old_next_free: u64,
    /// Root after the batch.
    pub new_root: B256,
    /// Next free index after the batch.
    pub new_next_free: u64,
    /// One entry per diff record, in order.
    pub records: Vec<RecordWitness>,
}

impl Witness {
    /// The commitment before the batch.
    pub fn old_commitment(&self) -> B256 {
        commit(&self.old_root, self.old_next_free)
    }

    /// The commitment after the batch.
    pub fn new_commitment(&self) -> B256 {
        commit(&self.new_root, self.new_next_free)
    }

    /// The diff these records apply.
    pub fn diff(&self) -> Result<StateDiff, DiffError> {
        StateDiff::new(self.records.iter().map(|r| (r.key, r.value)))
    }
}

impl Witness {
    /// Check the transition natively, step by step as the circuit does: every path opens to the
    /// running root, initial writes sit strictly between their low leaf and its successor,
    /// repeated writes hit their own leaf, keys ascend, and the final root and next index match.
    pub fn check(&self) -> Result<(), String> {
        let to_fr =
            |b: &B256| hash::b256_to_fr(b).ok_or_else(|| format!("{b} is not a field element"));
        let mut root = to_fr(&self.old_root)?;
        let mut next = self.old_next_free;
        let mut prev_key = B256::ZERO;
        for (i, r) in self.records.iter().enumerate() {
            if r.key <= prev_key {
                return Err(format!("record {i}: keys do not ascend"));
            }
            prev_key = r.key;
            let low_path = r.low_path.iter().map(to_fr).collect::<Result<Vec<_>, _>>()?;
            let new_path = r.new_path.iter().map(to_fr).collect::<Result<Vec<_>, _>>()?;
            if path_root(r.low_leaf.hash(), r.low_index, &low_path)? != root {
                return Err(format!("record {i}: the low leaf's path does not open to the root"));
            }
            let low = r.low_leaf;
            let updated = if r.insert {
                let above = low.key < r.key;
                let below = low.next_key.is_zero() || r.key < low.next_key;
                if !(above && below) {
                    return Err(format!(
                        "record {i}: the key is not between the low leaf and its successor"
                    ));
                }
                Leaf { next_index: next, next_key: r.key, ..low }
            } else {
                if low.key != r.key {
                    return Err(format!("record {i}: repeated write to another key's leaf"));
                }
                Leaf { value: r.value, ..low }
            };
            root = path_root(updated.hash(), r.low_index, &low_path)?;
            if r.insert {
                if r.new_index != next {
                    return Err(format!("record {i}: new leaf not at the next free index"));
                }
                if path_root(Fr::from(0u64), next, &new_path)? != root {
                    return Err(format!("record {i}: the new slot is not empty"));
                }
                let leaf = Leaf {
                    key: r.key,
                    value: r.value,
                    next_index: low.next_index,
                    next_key: low.next_key,
                };
                root = path_root(leaf.hash(), next, &new_path)?;
                next += 1;
            }
        }
        if fr_to_b256(root) != self.new_root || next != self.new_next_free {
            return Err("the records do not lead to the new root and next index".into());
        }
        Ok(())
    }
}

/// The root reached from `leaf` at `index` through `siblings` (leaf level first).
pub fn path_root(leaf: Fr, index: u64, siblings: &[Fr]) -> Result<Fr, String> {
    if siblings.len() != hash::TREE_DEPTH || index >= CAPACITY {
        return Err(format!("path of {} siblings for index {index}", siblings.len()));
    }
    Ok(siblings.iter().enumerate().fold(leaf, |cur, (l, sib)| {
        if (index >> l) & 1 == 0 {
            hash::hash2(cur, *sib)
        } else {
            hash::hash2(*sib, cur)
        }
    }))
}

fn commit(root: &B256, next_free: u64) -> B256 {
    let root = hash::b256_to_fr(root).unwrap_or_default();
    fr_to_b256(hash::commitment(root, next_free))
}
