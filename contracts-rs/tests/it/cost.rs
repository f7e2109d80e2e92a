//! The cost model against the real thing: its calldata sizes equal the ABI encoding of each
//! settlement call, and its gas bounds cover what anvil charges.

use crate::support::{commits_after, test_proof, TestChain};
use alloy::primitives::{Bytes, B256, U256};
use alloy::sol_types::SolCall;
use rollup_contracts::batch::{chunk_claims, stored_batch_info};
use rollup_contracts::bindings::IRollupChain::{self, CommitBatchInfo, StoredBatchInfo};
use rollup_contracts::cost::{code_words, tx_cost, BatchShape, Call};
use rollup_contracts::deploy::genesis_batch_info;

fn shape(c: &CommitBatchInfo) -> BatchShape {
    BatchShape {
        records: c.stateDiff.len() / 64,
        chunk_records: c.chunkRecords as usize,
        logs: c.l2Logs.len() / 88,
        bytecodes: c.publishedBytecodes.len(),
        bytecode_words: c.publishedBytecodes.iter().map(|b| code_words(b.len())).sum(),
        priority_ops: c.numberOfLayer1Txs.to(),
    }
}

/// Commits of every size the model distinguishes: records across chunk boundaries, logs,
/// bytecodes of odd lengths.
fn varied(prev: &StoredBatchInfo) -> Vec<CommitBatchInfo> {
    let (mut commits, _) = commits_after(prev, 4, prev.timestamp.to::<u64>() + 1);
    let shapes = [
        (1usize, 0usize, vec![]),
        (17, 3, vec![1usize, 33]),
        (64, 0, vec![24_576]),
        (5, 7, vec![]),
    ];
    for (c, (records, logs, codes)) in commits.iter_mut().zip(shapes) {
        c.stateDiff = crate::support::ascending_diff(c.batchNumber, records).into();
        c.l2Logs = vec![1u8; logs * 88].into();
        c.publishedBytecodes = codes.iter().map(|l| Bytes::from(vec![0x60u8; *l])).collect();
        c.chunkDigests = crate::support::test_digests(c);
    }
    commits
}

#[test]
fn calldata_sizes_are_the_abi_encoding() {
    let prev = genesis_batch_info(&rollup_contracts::deploy::GenesisConfig {
        batch_hash: B256::ZERO,
        index_repeated_storage_changes: 1,
        commitment: B256::ZERO,
        timestamp: 10,
        locked_wei: U256::ZERO,
    });
    let commits = varied(&prev);
    let shapes: Vec<BatchShape> = commits.iter().map(shape).collect();
    for n in 1..=commits.len() {
        let list = commits[..n].to_vec();
        let call = IRollupChain::commitBatchesCall {
            lastCommittedBatchData: prev.clone(),
            newBatchesData: list.clone(),
        };
        assert_eq!(
            tx_cost(Call::Commit, &shapes[..n]).calldata,
            call.abi_encode().len(),
            "commit {n}"
        );

        // Stored infos are static (their values do not change the size); these diffs have no
        // batch-info record, which sizes do not care about either.
        let stored: Vec<StoredBatchInfo> = list
            .iter()
            .map(|c| StoredBatchInfo { batchNumber: c.batchNumber, ..prev.clone() })
            .collect();
        let proofs = list
            .iter()
            .map(|c| {
                let claims = chunk_claims(&c.stateDiff, c.chunkRecords, &c.chunkDigests).unwrap();
                let chunks = claims.iter().map(|_| (B256::ZERO, vec![U256::ZERO; 9])).collect();
                rollup_contracts::batch::batch_proof(claims, chunks)
            })
            .collect();
        let call = IRollupChain::proveBatchesCall {
            prevBatch: prev.clone(),
            committedBatches: stored.clone(),
            proofs,
        };
        assert_eq!(
            tx_cost(Call::Prove, &shapes[..n]).calldata,
            call.abi_encode().len(),
            "prove {n}"
        );
        let call = IRollupChain::executeBatchesCall { batchesData: stored };
        assert_eq!(
            tx_cost(Call::Execute, &shapes[..n]).calldata,
            call.abi_encode().len(),
            "execute {n}"
        );
    }
}

/// The gas anvil needs for commit and execute (its estimate, before refunds) stays under the
/// model's bound (proving here
/// goes to the test verifier; the real pairing's cost is checked in `rollup-prover`'s verifier
/// tests and budgeted by `PROVE_CHUNK_GAS`).
#[tokio::test]
async fn gas_bounds_cover_what_anvil_charges() {
    let Some(t) = TestChain::start().await else { return };
    let chain = t.chain(&t.validator);
    let genesis = genesis_batch_info(&t.deployment.genesis);
    // Strictly after genesis and not after the L1 block time.
    let start =
        t.latest_timestamp().await.saturating_sub(10).max(genesis.timestamp.to::<u64>() + 1);
    let mut commits = varied(&genesis);
    for c in commits.iter_mut() {
        c.timestamp = start + c.batchNumber;
    }
    let commits: Vec<CommitBatchInfo> =
        commits.into_iter().map(crate::support::with_info_record).collect();
    let shapes: Vec<BatchShape> = commits.iter().map(shape).collect();
    let stored: Vec<StoredBatchInfo> =
        commits.iter().map(|c| stored_batch_info(c).unwrap()).collect();
    // The gas a transaction needs is the estimate (before refunds), not what it is charged.
    let needed =
        chain.commitBatches(genesis.clone(), commits.clone()).estimate_gas().await.unwrap();
    let bound = tx_cost(Call::Commit, &shapes).gas;
    assert!(needed <= bound, "commit needs {needed} > bound {bound}");
    let r = chain
        .commitBatches(genesis.clone(), commits.clone())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());

    let mut proofs = Vec::new();
    let mut last = genesis.clone();
    for (c, s) in commits.iter().zip(&stored) {
        proofs.push(test_proof(&last, c, s));
        last = s.clone();
    }
    let r = chain
        .proveBatches(genesis, stored.clone(), proofs)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    let needed = chain.executeBatches(stored.clone()).estimate_gas().await.unwrap();
    let bound = tx_cost(Call::Execute, &shapes).gas;
    assert!(needed <= bound, "execute needs {needed} > bound {bound}");
    let r = chain.executeBatches(stored).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
}
