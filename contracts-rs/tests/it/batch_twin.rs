//! The Rust twin of `commitBatches` against its edge cases (no EVM needed).

use crate::support::{test_digests, with_info_record};
use alloy::primitives::{keccak256, Address, B256, U256};
use rollup_contracts::batch::{
    chunk_claims, chunks_hash, default_leaf, pack_log, stored_batch_info, BatchClaims, BatchError,
    L2LogsTree, BN254_SCALAR_FIELD, L2_TO_L1_LOGS_TREE_HEIGHT,
};
use rollup_contracts::bindings::IRollupChain::{ChunkClaim, CommitBatchInfo, L2Log};

fn commit() -> CommitBatchInfo {
    with_info_record(CommitBatchInfo {
        batchNumber: 1,
        timestamp: 10,
        indexRepeatedStorageChanges: 3,
        newStateCommitment: B256::with_last_byte(7),
        numberOfLayer1Txs: U256::ZERO,
        priorityOperationsHash: keccak256([]),
        stateDiff: [[1u8; 64], [2u8; 64], [3u8; 64]].concat().into(),
        l2Logs: Default::default(),
        publishedBytecodes: vec![],
        chunkRecords: 2,
        chunkDigests: vec![],
    })
}

#[test]
fn empty_tree_root_is_the_default_leaf_climbed_fourteen_times() {
    let mut node = default_leaf();
    for _ in 0..L2_TO_L1_LOGS_TREE_HEIGHT {
        node = keccak256([node.0, node.0].concat());
    }
    assert_eq!(L2LogsTree::new(&[]).root(), node);
    assert_eq!(L2LogsTree::new(&[]).proof(0), None);
}

#[test]
fn every_path_leads_to_the_root() {
    let logs: Vec<L2Log> = (0..9u16)
        .map(|i| L2Log {
            l2ShardId: 0,
            isService: i % 2 == 0,
            txNumberInBatch: i,
            sender: Address::with_last_byte(i as u8),
            key: B256::with_last_byte(i as u8),
            value: B256::repeat_byte(i as u8),
        })
        .collect();
    let tree = L2LogsTree::new(&logs);
    for (i, log) in logs.iter().enumerate() {
        let path = tree.proof(i).expect("path");
        assert_eq!(path.len(), L2_TO_L1_LOGS_TREE_HEIGHT);
        let mut node = keccak256(pack_log(log));
        let mut idx = i;
        for sibling in path {
            node = if idx % 2 == 0 {
                keccak256([node.0, sibling.0].concat())
            } else {
                keccak256([sibling.0, node.0].concat())
            };
            idx /= 2;
        }
        assert_eq!(node, tree.root(), "leaf {i}");
    }
}

#[test]
fn stored_info_rejects_what_commit_would() {
    let mut c = commit();
    c.newStateCommitment = B256::from(BN254_SCALAR_FIELD);
    assert!(matches!(stored_batch_info(&c), Err(BatchError::NotAFieldElement { .. })));
    let mut c = commit();
    c.l2Logs = vec![0u8; 89].into();
    assert_eq!(stored_batch_info(&c), Err(BatchError::InvalidLogsLength { length: 89 }));
    let mut c = commit();
    c.l2Logs = vec![0u8; 88 * 16_385].into();
    assert!(stored_batch_info(&c).is_err());
    let mut c = commit();
    c.stateDiff = vec![0u8; 65].into();
    assert_eq!(stored_batch_info(&c), Err(BatchError::StateDiffNotWholeRecords { length: 65 }));
    let mut c = commit();
    c.chunkRecords = 0;
    assert_eq!(stored_batch_info(&c), Err(BatchError::ZeroChunkRecords));
    // Every diff ends with its batch-info record, so no batch is empty ...
    let mut c = commit();
    c.stateDiff = Default::default();
    c.chunkDigests = vec![];
    assert_eq!(stored_batch_info(&c), Err(BatchError::MissingBatchInfoRecord));
    let mut c = commit();
    c.stateDiff = c.stateDiff[..128].to_vec().into();
    c.chunkDigests = test_digests(&c);
    assert_eq!(stored_batch_info(&c), Err(BatchError::MissingBatchInfoRecord));
    // One digest per chunk, each a field element.
    let mut c = commit();
    c.chunkDigests.pop();
    assert_eq!(
        stored_batch_info(&c),
        Err(BatchError::ChunkDigestCountMismatch { expected: 2, actual: 1 })
    );
    c.chunkDigests.extend([B256::ZERO; 2]);
    assert_eq!(
        stored_batch_info(&c),
        Err(BatchError::ChunkDigestCountMismatch { expected: 2, actual: 3 })
    );
    let mut c = commit();
    c.chunkDigests[1] = B256::from(BN254_SCALAR_FIELD);
    assert_eq!(
        stored_batch_info(&c),
        Err(BatchError::NotAFieldElement { value: c.chunkDigests[1] })
    );
    // ... and the record binds what the batch claims.
    let variants: Vec<Box<dyn Fn(&mut CommitBatchInfo)>> = vec![
        Box::new(|c| c.batchNumber += 1),
        Box::new(|c| c.timestamp += 1),
        Box::new(|c| c.publishedBytecodes.push(vec![0x60].into())),
        Box::new(|c| c.l2Logs = vec![1u8; 88].into()),
        Box::new(|c| c.numberOfLayer1Txs = U256::from(1)),
        Box::new(|c| c.priorityOperationsHash = B256::repeat_byte(1)),
    ];
    for (i, v) in variants.iter().enumerate() {
        let mut c = commit();
        v(&mut c);
        let expected = BatchClaims::of(&c).unwrap().info_hash();
        let actual = B256::from_slice(&commit().stateDiff[192 + 32..]);
        assert_eq!(
            stored_batch_info(&c),
            Err(BatchError::BatchInfoMismatch { expected, actual }),
            "variant {i}"
        );
        assert!(stored_batch_info(&with_info_record(c)).is_ok(), "variant {i} with its record");
    }
}

/// The claims of the L1 twin (words, `mulmod`) equal the prover's (`rollup_tree::ChunkClaim`,
/// field arithmetic) when the validator gives the real Poseidon digests, chunk by chunk.
#[test]
fn chunks_are_cut_every_chunk_records_and_claims_match_the_provers() {
    let diff: Vec<u8> = (0..5u8).flat_map(|i| [[i + 1; 32], [i + 9; 32]].concat()).collect();
    let words = |c: &rollup_tree::ChunkClaim| c.words();
    for (chunk_records, cut) in
        [(2u64, vec![0, 128, 256, 320]), (5, vec![0, 320]), (u64::MAX, vec![0, 320])]
    {
        let size = usize::try_from(chunk_records).unwrap_or(usize::MAX).min(5) * 64;
        let digests = rollup_tree::ChunkClaim::digests(&diff, size / 64);
        let claims = chunk_claims(&diff, chunk_records, &digests).unwrap();
        assert_eq!(claims.len(), cut.len() - 1, "{chunk_records}");
        for (i, claim) in claims.iter().enumerate() {
            let native = rollup_tree::ChunkClaim::of(&diff[cut[i]..cut[i + 1]]);
            let [digest, point, evaluation] = words(&native);
            assert_eq!(claim.digest, digest);
            assert_eq!(B256::from(claim.point), point, "chunk {i}");
            assert_eq!(B256::from(claim.evaluation), evaluation, "chunk {i}");
        }
    }
    // The largest limbs (all-0xff bytes): the products wrap the field on both sides alike.
    let big = [[0xfe; 32], [0xff; 32], [0xff; 32], [0xff; 32]].concat();
    let native = rollup_tree::ChunkClaim::of(&big);
    let [digest, point, evaluation] = native.words();
    let claim = &chunk_claims(&big, 2, &[digest]).unwrap()[0];
    assert_eq!((B256::from(claim.point), B256::from(claim.evaluation)), (point, evaluation));
    // The stored hash is keccak256(abi.encode(ChunkClaim[])): offset, length, three words each.
    let claims = chunk_claims(&diff, 5, &[B256::with_last_byte(3)]).unwrap();
    let c = &claims[0];
    let mut encoded = Vec::new();
    for w in [U256::from(32), U256::from(1), U256::from(3), c.point, c.evaluation] {
        encoded.extend_from_slice(&w.to_be_bytes::<32>());
    }
    assert_eq!(chunks_hash(&claims), keccak256(encoded));
    assert_eq!(
        chunks_hash(&[] as &[ChunkClaim]),
        keccak256([[0u8; 31].as_slice(), &[32], &[0; 32]].concat())
    );
}

/// Keys are ordered inside a chunk by its proof and across chunks by L1: a chunk whose first key
/// is not above the previous chunk's last key is refused, as `commitBatches` refuses it. Out of
/// order inside one chunk is the proof's business, not the hash's.
#[test]
fn chunk_boundaries_must_ascend() {
    let record = |k: u8, v: u8| [[k; 32], [v; 32]].concat();
    // [K->1] || [K->2]: one key written twice, in two one-record chunks.
    let twice = [record(7, 1), record(7, 2)].concat();
    let zeros = |n| vec![B256::ZERO; n];
    assert_eq!(
        chunk_claims(&twice, 1, &zeros(2)),
        Err(BatchError::ChunkKeysNotAscending { chunk: 1 })
    );
    assert!(chunk_claims(&twice, 2, &zeros(1)).is_ok(), "one chunk: for its proof to refuse");
    let descending = [record(1, 0), record(2, 0), record(3, 0), record(2, 9)].concat();
    assert_eq!(
        chunk_claims(&descending, 3, &zeros(2)),
        Err(BatchError::ChunkKeysNotAscending { chunk: 1 })
    );
    assert!(chunk_claims(&descending[..192], 1, &zeros(3)).is_ok(), "ascending boundaries");
}

#[test]
fn stored_info_binds_every_input() {
    let base = stored_batch_info(&commit()).unwrap();
    let variants: Vec<Box<dyn Fn(&mut CommitBatchInfo)>> = vec![
        Box::new(|c| c.stateDiff = [[1u8; 64], [2u8; 64], [4u8; 64]].concat().into()),
        Box::new(|c| c.chunkRecords = 3),
        Box::new(|c| c.timestamp += 1),
        Box::new(|c| c.indexRepeatedStorageChanges += 1),
        Box::new(|c| c.publishedBytecodes.push(vec![0x60].into())),
        // A non-zero log: an all-zero one hashes to the default leaf, like an empty slot.
        Box::new(|c| c.l2Logs = vec![1u8; 88].into()),
        Box::new(|c| c.numberOfLayer1Txs = U256::from(1)),
    ];
    for (i, v) in variants.iter().enumerate() {
        let mut c = commit();
        v(&mut c);
        let c = with_info_record(c);
        assert_ne!(stored_batch_info(&c).unwrap().commitment, base.commitment, "variant {i}");
    }
}
