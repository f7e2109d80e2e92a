//! commit -> prove -> execute through the bindings, with gas per step.

use crate::support::{commits_after, next_commit, test_proof, TestChain};
use alloy::primitives::U256;
use rollup_contracts::batch::stored_batch_hash;
use rollup_contracts::bindings::IRollupChain::{IRollupChainErrors, StoredBatchInfo};
use rollup_contracts::decode_revert;
use rollup_contracts::deploy::genesis_batch_info;

#[derive(Debug, Default)]
struct Gas {
    commit: u64,
    prove: u64,
    execute: u64,
}

async fn run_pipeline(
    t: &TestChain,
    prev: &StoredBatchInfo,
    k: usize,
) -> (Vec<StoredBatchInfo>, Gas) {
    let chain = t.chain(&t.validator);
    let ts = t.latest_timestamp().await;
    // Strictly after the previous batch and not after the L1 block time.
    let start = ts.saturating_sub(k as u64 + 1).max(prev.timestamp.to::<u64>() + 1);
    let (commits, stored) = commits_after(prev, k, start);
    let receipt = chain
        .commitBatches(prev.clone(), commits.clone())
        .send()
        .await
        .expect("commit")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    let mut gas = Gas { commit: receipt.gas_used, ..Gas::default() };
    for s in &stored {
        assert_eq!(
            chain.storedBatchHash(U256::from(s.batchNumber)).call().await.unwrap(),
            stored_batch_hash(s),
            "L1 stored the batch info Rust computed"
        );
    }

    let mut proofs = Vec::new();
    let mut last = prev.clone();
    for (c, s) in commits.iter().zip(&stored) {
        proofs.push(test_proof(&last, c, s));
        last = s.clone();
    }
    let receipt = chain
        .proveBatches(prev.clone(), stored.clone(), proofs)
        .send()
        .await
        .expect("prove")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    gas.prove = receipt.gas_used;

    let receipt = chain
        .executeBatches(stored.clone())
        .send()
        .await
        .expect("execute")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    gas.execute = receipt.gas_used;
    (stored, gas)
}

#[tokio::test]
async fn commit_prove_execute_one_and_ten_batches() {
    let Some(t) = TestChain::start().await else { return };
    let chain = t.chain(&t.user);
    let genesis = genesis_batch_info(&t.deployment.genesis);

    let (one, gas1) = run_pipeline(&t, &genesis, 1).await;
    assert_eq!(chain.getTotalBatchesExecuted().call().await.unwrap(), U256::from(1));
    let (ten, gas10) = run_pipeline(&t, one.last().unwrap(), 10).await;
    assert_eq!(chain.getTotalBatchesCommitted().call().await.unwrap(), U256::from(11));
    assert_eq!(chain.getTotalBatchesVerified().call().await.unwrap(), U256::from(11));
    assert_eq!(chain.getTotalBatchesExecuted().call().await.unwrap(), U256::from(11));
    assert_eq!(
        chain.l2LogsRootHash(U256::from(11)).call().await.unwrap(),
        ten.last().unwrap().l2LogsTreeRoot
    );
    // Batching amortises the fixed cost of a transaction.
    assert!(gas10.commit < 10 * gas1.commit);
    assert!(gas10.execute < 10 * gas1.execute);
    eprintln!(
        "GAS (tx gasUsed, 1 KiB diff in 4 chunks per batch, test verifier): \
         commit 1={} 10={}; prove 1={} 10={}; execute 1={} 10={}",
        gas1.commit, gas10.commit, gas1.prove, gas10.prove, gas1.execute, gas10.execute
    );
}

#[tokio::test]
async fn wrong_proof_and_out_of_order_calls_are_refused_with_typed_errors() {
    let Some(t) = TestChain::start().await else { return };
    let chain = t.chain(&t.validator);
    let genesis = genesis_batch_info(&t.deployment.genesis);
    let ts = t.latest_timestamp().await;
    let (commits, stored) = commits_after(&genesis, 2, ts - 5);
    chain
        .commitBatches(genesis.clone(), commits.clone())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();

    // A proof of the wrong transition.
    let mut bad = test_proof(&genesis, &commits[0], &stored[0]);
    bad.chunkProofs[2] = test_proof(&stored[0], &commits[1], &stored[1]).chunkProofs[2].clone();
    let err = chain
        .proveBatches(genesis.clone(), vec![stored[0].clone()], vec![bad])
        .call()
        .await
        .unwrap_err();
    match decode_revert(&err) {
        Some(IRollupChainErrors::InvalidChunkProof(e)) => {
            assert_eq!((e.batchNumber, e.chunk), (U256::from(1), U256::from(2)))
        }
        other => panic!("expected InvalidChunkProof, got {other:?}"),
    }

    // Executing before proving.
    let err = chain.executeBatches(vec![stored[0].clone()]).call().await.unwrap_err();
    match decode_revert(&err) {
        Some(IRollupChainErrors::CantExecuteUnprovenBatch(e)) => {
            assert_eq!(e.batchNumber, U256::from(1))
        }
        other => panic!("expected CantExecuteUnprovenBatch, got {other:?}"),
    }

    // Committing batch 1 again.
    let again = next_commit(&genesis, ts, vec![]);
    let err = chain.commitBatches(genesis.clone(), vec![again]).call().await.unwrap_err();
    match decode_revert(&err) {
        Some(IRollupChainErrors::BatchHashMismatch(e)) => assert_eq!(e.batchNumber, U256::from(2)),
        other => panic!("expected BatchHashMismatch, got {other:?}"),
    }

    // Revert below executed is refused; revert of unexecuted batches works.
    chain.revertBatches(U256::from(0)).send().await.unwrap().get_receipt().await.unwrap();
    assert_eq!(chain.getTotalBatchesCommitted().call().await.unwrap(), U256::ZERO);
    assert_eq!(
        chain.storedBatchHash(U256::from(1)).call().await.unwrap(),
        alloy::primitives::B256::ZERO
    );
}
