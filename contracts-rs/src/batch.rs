//! What `commitBatches` computes, in Rust: the stored batch info of a commit, its commitment,
//! and the per-batch L2->L1 logs tree (root and inclusion paths).
//!
//! These must agree byte for byte with `ExecutorFacet` and `L2LogsTree`; the integration tests
//! commit batches on a real EVM and compare.

use crate::bindings::IRollupChain::{
    BatchProof, ChunkClaim, CommitBatchInfo, L2Log, StoredBatchInfo,
};
use alloy::primitives::{keccak256, B256, U256};
use alloy::sol_types::SolValue;

/// Height of the L2->L1 logs tree; proofs have exactly this many hashes.
pub const L2_TO_L1_LOGS_TREE_HEIGHT: usize = 14;
/// Size of one packed L2->L1 log.
pub const L2_TO_L1_LOG_SERIALIZE_SIZE: usize = 88;
/// Most logs one batch may publish.
pub const MAX_L2_TO_L1_LOGS: usize = 1 << L2_TO_L1_LOGS_TREE_HEIGHT;
/// BN254 scalar field modulus: state commitments and proof inputs must be below it.
pub const BN254_SCALAR_FIELD: U256 = U256::from_be_slice(&[
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9, 0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
]);

/// `keccak256("")`: the priority operations rolling hash of a batch without any.
pub fn empty_rolling_hash() -> B256 {
    keccak256([])
}

/// Extends a priority operations rolling hash by one canonical transaction hash.
pub fn roll_priority_hash(rolling: B256, canonical_tx_hash: B256) -> B256 {
    keccak256((rolling, canonical_tx_hash).abi_encode())
}

/// The packed 88-byte form of a log: shard, isService, txNumber, sender, key, value.
pub fn pack_log(log: &L2Log) -> [u8; L2_TO_L1_LOG_SERIALIZE_SIZE] {
    let mut out = [0u8; L2_TO_L1_LOG_SERIALIZE_SIZE];
    out[0] = log.l2ShardId;
    out[1] = u8::from(log.isService);
    out[2..4].copy_from_slice(&log.txNumberInBatch.to_be_bytes());
    out[4..24].copy_from_slice(log.sender.as_slice());
    out[24..56].copy_from_slice(log.key.as_slice());
    out[56..88].copy_from_slice(log.value.as_slice());
    out
}

/// Concatenated packed logs, as `CommitBatchInfo.l2Logs` carries them.
pub fn pack_logs(logs: &[L2Log]) -> Vec<u8> {
    logs.iter().flat_map(pack_log).collect()
}

fn hash_pair(a: &B256, b: &B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(a.as_slice());
    buf[32..].copy_from_slice(b.as_slice());
    keccak256(buf)
}

/// Hash of an unused leaf: `keccak256(new bytes(88))`.
pub fn default_leaf() -> B256 {
    keccak256([0u8; L2_TO_L1_LOG_SERIALIZE_SIZE])
}

/// The logs tree of one batch: leaves are keccak of packed logs, in emission order.
#[derive(Debug, Clone)]
pub struct L2LogsTree {
    /// `levels[0]` are the leaves; `levels[h]` the nodes at height `h` that cover a real leaf.
    levels: Vec<Vec<B256>>,
    /// `empty[h]`: root of an empty subtree of height `h`.
    empty: Vec<B256>,
}

impl L2LogsTree {
    /// Builds the tree over packed logs (a whole number of 88-byte logs, at most 16,384).
    pub fn from_packed(logs: &[u8]) -> Result<Self, BatchError> {
        if logs.len() % L2_TO_L1_LOG_SERIALIZE_SIZE != 0
            || logs.len() / L2_TO_L1_LOG_SERIALIZE_SIZE > MAX_L2_TO_L1_LOGS
        {
            return Err(BatchError::InvalidLogsLength { length: logs.len() });
        }
        let leaves: Vec<B256> = logs.chunks(L2_TO_L1_LOG_SERIALIZE_SIZE).map(keccak256).collect();
        let mut empty = vec![default_leaf()];
        let mut levels = vec![leaves];
        for h in 0..L2_TO_L1_LOGS_TREE_HEIGHT {
            let below = &levels[h];
            let next: Vec<B256> = below
                .chunks(2)
                .map(|pair| hash_pair(&pair[0], pair.get(1).unwrap_or(&empty[h])))
                .collect();
            empty.push(hash_pair(&empty[h], &empty[h]));
            levels.push(next);
        }
        Ok(Self { levels, empty })
    }

    /// Builds the tree over logs.
    pub fn new(logs: &[L2Log]) -> Self {
        // Packing never yields a bad length unless there are too many logs, which the
        // sequencer's seal criteria prevent; treat that as a programming error in debug builds.
        Self::from_packed(&pack_logs(logs)).unwrap_or_else(|_| {
            debug_assert!(false, "more than {MAX_L2_TO_L1_LOGS} logs in one batch");
            Self { levels: vec![vec![]], empty: vec![default_leaf()] }
        })
    }

    /// The root L1 stores for the batch.
    pub fn root(&self) -> B256 {
        match self.levels.last().and_then(|top| top.first()) {
            Some(root) => *root,
            None => self.empty[L2_TO_L1_LOGS_TREE_HEIGHT],
        }
    }

    /// The inclusion path of leaf `index` (exactly [`L2_TO_L1_LOGS_TREE_HEIGHT`] hashes).
    pub fn proof(&self, index: usize) -> Option<Vec<B256>> {
        if index >= self.levels[0].len() {
            return None;
        }
        let mut path = Vec::with_capacity(L2_TO_L1_LOGS_TREE_HEIGHT);
        let mut i = index;
        for h in 0..L2_TO_L1_LOGS_TREE_HEIGHT {
            path.push(self.levels[h].get(i ^ 1).copied().unwrap_or(self.empty[h]));
            i >>= 1;
        }
        Some(path)
    }
}

/// Why a batch cannot be committed as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    /// The logs are not a whole number of 88-byte logs, or there are more than 16,384.
    #[error("L2->L1 logs of {length} bytes are not at most 16384 packed 88-byte logs")]
    InvalidLogsLength {
        /// Length of the packed logs in bytes.
        length: usize,
    },
    /// The state diff is not a whole number of 64-byte records.
    #[error("a state diff of {length} bytes is not a whole number of 64-byte records")]
    StateDiffNotWholeRecords {
        /// Length of the diff in bytes.
        length: usize,
    },
    /// `chunkRecords` is zero while the diff is not empty.
    #[error("chunkRecords is zero but the state diff is not empty")]
    ZeroChunkRecords,
    /// A chunk's first key is not above the previous chunk's last key.
    #[error("the first key of chunk {chunk} is not above the last key of the chunk before it")]
    ChunkKeysNotAscending {
        /// The chunk's index in the batch.
        chunk: usize,
    },
    /// The state diff does not end with the batch-info record.
    #[error("the state diff does not end with its batch-info record")]
    MissingBatchInfoRecord,
    /// The batch-info record does not hash what the batch claims.
    #[error("the batch-info record holds {actual}, the batch's claims hash to {expected}")]
    BatchInfoMismatch {
        /// What the claims hash to.
        expected: B256,
        /// What the record holds.
        actual: B256,
    },
    /// The new state commitment, or a chunk digest, is not a BN254 field element.
    #[error("{value} is not below the BN254 scalar field modulus")]
    NotAFieldElement {
        /// The offending word.
        value: B256,
    },
    /// Not one digest per chunk.
    #[error("the state diff has {expected} chunks but the commit gives {actual} chunk digests")]
    ChunkDigestCountMismatch {
        /// Chunks of the diff.
        expected: usize,
        /// Digests given.
        actual: usize,
    },
}

/// Derived key of the batch-info record: the largest key, so it is the last record of every
/// committed batch's diff (`BATCH_INFO_KEY` in the Executor).
pub const BATCH_INFO_KEY: B256 = B256::repeat_byte(0xff);

/// `keccak256(concat(keccak256(code) for each code))`: what L1 keeps of a batch's bytecodes.
pub fn bytecodes_hash<C: AsRef<[u8]>>(codes: &[C]) -> B256 {
    let hashes: Vec<u8> = codes.iter().flat_map(|code| keccak256(code.as_ref()).0).collect();
    keccak256(hashes)
}

/// What a batch claims beyond its state changes, bound into its diff by the batch-info record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchClaims {
    /// The batch number.
    pub number: u64,
    /// The batch timestamp.
    pub timestamp: u64,
    /// Priority operations it executed.
    pub priority_ops: U256,
    /// Their rolling hash.
    pub priority_hash: B256,
    /// Root of its L2->L1 logs tree.
    pub logs_root: B256,
    /// [`bytecodes_hash`] of its published bytecodes.
    pub bytecodes_hash: B256,
}

impl BatchClaims {
    /// What `commit` claims (its logs root and bytecodes hash computed as L1 does).
    pub fn of(commit: &CommitBatchInfo) -> Result<Self, BatchError> {
        Ok(Self {
            number: commit.batchNumber,
            timestamp: commit.timestamp,
            priority_ops: commit.numberOfLayer1Txs,
            priority_hash: commit.priorityOperationsHash,
            logs_root: L2LogsTree::from_packed(&commit.l2Logs)?.root(),
            bytecodes_hash: bytecodes_hash(&commit.publishedBytecodes),
        })
    }

    /// The value of the batch-info record, as `commitBatches` checks it.
    pub fn info_hash(&self) -> B256 {
        keccak256(
            (
                self.number,
                self.timestamp,
                self.priority_ops,
                self.priority_hash,
                self.logs_root,
                self.bytecodes_hash,
            )
                .abi_encode(),
        )
    }

    /// The batch-info record, `(BATCH_INFO_KEY, info_hash)`.
    pub fn record(&self) -> (B256, B256) {
        (BATCH_INFO_KEY, self.info_hash())
    }
}

/// The `StoredBatchInfo` that `commitBatches` stores (hashed) for `commit`.
pub fn stored_batch_info(commit: &CommitBatchInfo) -> Result<StoredBatchInfo, BatchError> {
    if U256::from_be_bytes(commit.newStateCommitment.0) >= BN254_SCALAR_FIELD {
        return Err(BatchError::NotAFieldElement { value: commit.newStateCommitment });
    }
    let state_diff_hash =
        chunks_hash(&chunk_claims(&commit.stateDiff, commit.chunkRecords, &commit.chunkDigests)?);
    let claims = BatchClaims::of(commit)?;
    let (logs_root, bytecodes_hash) = (claims.logs_root, claims.bytecodes_hash);
    let diff = &commit.stateDiff;
    let last = diff.len().checked_sub(STATE_DIFF_RECORD_BYTES).map(|at| &diff[at..]);
    match last {
        Some(r) if r[..32] == BATCH_INFO_KEY[..] => {
            let actual = B256::from_slice(&r[32..]);
            let expected = claims.info_hash();
            if actual != expected {
                return Err(BatchError::BatchInfoMismatch { expected, actual });
            }
        }
        _ => return Err(BatchError::MissingBatchInfoRecord),
    }
    let commitment = keccak256(
        (
            commit.batchNumber,
            commit.timestamp,
            commit.indexRepeatedStorageChanges,
            commit.newStateCommitment,
            commit.numberOfLayer1Txs,
            commit.priorityOperationsHash,
            state_diff_hash,
            logs_root,
            bytecodes_hash,
        )
            .abi_encode(),
    );
    Ok(StoredBatchInfo {
        batchNumber: commit.batchNumber,
        batchHash: commit.newStateCommitment,
        indexRepeatedStorageChanges: commit.indexRepeatedStorageChanges,
        numberOfLayer1Txs: commit.numberOfLayer1Txs,
        priorityOperationsHash: commit.priorityOperationsHash,
        l2LogsTreeRoot: logs_root,
        timestamp: U256::from(commit.timestamp),
        stateDiffHash: state_diff_hash,
        commitment,
    })
}

/// `keccak256(abi.encode(info))`: what L1 stores per batch.
pub fn stored_batch_hash(info: &StoredBatchInfo) -> B256 {
    keccak256(info.abi_encode())
}

/// Bytes per state-diff record (`derived key ‖ value`).
pub const STATE_DIFF_RECORD_BYTES: usize = 64;

/// The claim of each chunk of `diff` cut every `chunk_records` records (the last may be shorter),
/// as `commitBatches` computes them: the validator's digest, the point `keccak256(digest ‖
/// keccak256(chunk)) mod p` and the chunk's evaluation there (`docs/proof.md`). Refuses, as L1
/// does, a chunk whose first key is not above the last key of the chunk before, a digest count
/// other than the chunk count, and a digest outside the field. An empty diff has no chunks.
pub fn chunk_claims(
    diff: &[u8],
    chunk_records: u64,
    digests: &[B256],
) -> Result<Vec<ChunkClaim>, BatchError> {
    let chunks = chunks(diff, chunk_records)?;
    if digests.len() != chunks.len() {
        return Err(BatchError::ChunkDigestCountMismatch {
            expected: chunks.len(),
            actual: digests.len(),
        });
    }
    chunks
        .into_iter()
        .zip(digests)
        .map(|(chunk, digest)| {
            if U256::from_be_bytes(digest.0) >= BN254_SCALAR_FIELD {
                return Err(BatchError::NotAFieldElement { value: *digest });
            }
            let point =
                U256::from_be_bytes(keccak256((*digest, keccak256(chunk)).abi_encode_packed()).0)
                    .reduce_mod(BN254_SCALAR_FIELD);
            Ok(ChunkClaim { digest: *digest, point, evaluation: evaluate(chunk, point) })
        })
        .collect()
}

/// `n + Σ_j l_j · r^(j+1) mod p` over the 128-bit halves `l_j` of the chunk's words, in order.
fn evaluate(chunk: &[u8], r: U256) -> U256 {
    let p = BN254_SCALAR_FIELD;
    let records = chunk.len() / STATE_DIFF_RECORD_BYTES;
    let mut pow = U256::from(1);
    let mut acc = U256::from(records);
    for limb in chunk.chunks_exact(16) {
        pow = pow.mul_mod(r, p);
        acc = acc.add_mod(U256::from_be_slice(limb).mul_mod(pow, p), p);
    }
    acc
}

/// `diff` cut every `chunk_records` records, checking the cut as `commitBatches` does.
fn chunks(diff: &[u8], chunk_records: u64) -> Result<Vec<&[u8]>, BatchError> {
    if diff.len() % STATE_DIFF_RECORD_BYTES != 0 {
        return Err(BatchError::StateDiffNotWholeRecords { length: diff.len() });
    }
    if diff.is_empty() {
        return Ok(vec![]);
    }
    if chunk_records == 0 {
        return Err(BatchError::ZeroChunkRecords);
    }
    let size = usize::try_from(chunk_records)
        .unwrap_or(usize::MAX)
        .saturating_mul(STATE_DIFF_RECORD_BYTES);
    for (c, start) in (size..diff.len()).step_by(size).enumerate() {
        if diff[start..start + 32] <= diff[start - 64..start - 32] {
            return Err(BatchError::ChunkKeysNotAscending { chunk: c + 1 });
        }
    }
    Ok(diff.chunks(size).collect())
}

/// `keccak256(abi.encode(claims))`: the `stateDiffHash` L1 stores for a batch.
pub fn chunks_hash(claims: &[ChunkClaim]) -> B256 {
    keccak256(claims.to_vec().abi_encode())
}

/// The five public inputs `proveBatches` hands the verifier for one chunk: the commitments
/// `from -> to`, then the chunk's digest, point and evaluation.
pub fn chunk_public_inputs(from: B256, to: B256, claim: &ChunkClaim) -> [U256; 5] {
    [
        U256::from_be_bytes(from.0),
        U256::from_be_bytes(to.0),
        U256::from_be_bytes(claim.digest.0),
        claim.point,
        claim.evaluation,
    ]
}

/// Assembles a batch's proof for `proveBatches`: chunk claims, the commitments between chunks and
/// one proof per chunk. `chunks` holds, per chunk in order, the commitment it ends at and its
/// proof words; the last chunk's end is the batch's own commitment and is not repeated.
pub fn batch_proof(claims: Vec<ChunkClaim>, chunks: Vec<(B256, Vec<U256>)>) -> BatchProof {
    let k = chunks.len();
    let mut commitments = Vec::with_capacity(k.saturating_sub(1));
    let mut proofs = Vec::with_capacity(k);
    for (i, (to, words)) in chunks.into_iter().enumerate() {
        if i + 1 < k {
            commitments.push(to);
        }
        proofs.push(words);
    }
    BatchProof { chunkClaims: claims, chunkCommitments: commitments, chunkProofs: proofs }
}
