//! The batcher and the tree writer as actors: whole blocks per batch, net diffs, chunked tree
//! versions that match an independent tree, and real panics in both without a duplicate version.

use crate::actors::{start_with, submit, wait_included, TestChain};
use alloy::primitives::U256;
use rollup_actors::events::fault::Point;
use rollup_actors::settlement::batcher::criteria::Limits;
use rollup_actors::settlement::batcher::{BatcherArgs, BatcherConfig};
use rollup_actors::settlement::proving::{BoxError, ProvingLoad};
use rollup_actors::settlement::tree_writer::TreeWriterArgs;
use rollup_actors::storage::batches::BatchStore;
use rollup_actors::tree::{StateDiff, TreeStore};
use rollup_contracts::batch::{bytecodes_hash, BatchClaims, L2LogsTree};
use rollup_supervision::SupervisorMsg;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn batcher_config() -> BatcherConfig {
    BatcherConfig {
        limits: Limits {
            // A transfer writes four records (two balances, a nonce, the fee account), so every
            // block passes this limit and gets a batch of its own.
            max_writes: 3,
            max_pubdata_bytes: 100_000,
            max_l2_logs: 16,
            max_blocks: 100,
            max_age: Duration::from_millis(300),
            max_age_behind: Duration::from_millis(300),
            max_bytecodes: 32,
            max_priority_ops: 1024,
            l1: rollup_contracts::cost::TxLimits { max_calldata: 120_000, max_gas: 10_000_000 },
            chunk_records: 2,
        },
        chunk_records: 2,
    }
}

type Sup = (ractor::ActorRef<SupervisorMsg>, tokio::task::JoinHandle<()>);

async fn node(dir: &tempfile::TempDir) -> (TestChain, BatchStore, TreeStore, Sup) {
    node_with(dir, batcher_config(), None).await
}

async fn node_with(
    dir: &tempfile::TempDir,
    config: BatcherConfig,
    proving: Option<Arc<dyn ProvingLoad>>,
) -> (TestChain, BatchStore, TreeStore, Sup) {
    let tree = TreeStore::open(&dir.path().join("tree.redb")).unwrap();
    let t = tree.clone();
    let batches_slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let bs = batches_slot.clone();
    let (chain, sup, h) = start_with(dir, 5, move |chain| {
        let (batches, writers) = BatchStore::open(&chain.store).unwrap();
        *bs.lock().unwrap() = Some(batches.clone());
        vec![
            rollup_actors::settlement::batcher::spec(
                BatcherArgs {
                    config,
                    blocks: chain.store.clone(),
                    batches: writers.batches,
                    events: chain.events.clone(),
                    metrics: Default::default(),
                    proving: proving.clone(),
                },
                chain.budget,
            ),
            rollup_actors::settlement::tree_writer::spec(
                TreeWriterArgs {
                    batches: writers.tree_results,
                    tree: t,
                    events: chain.events.clone(),
                    metrics: Default::default(),
                },
                chain.budget,
            ),
        ]
    })
    .await;
    let batches = batches_slot.lock().unwrap().clone().unwrap();
    (chain, batches, tree, (sup, h))
}

async fn wait_applied_through_block(batches: &BatchStore, block: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(b) = batches.batch_of_block(block).unwrap() {
            if batches.last_applied().unwrap().is_some_and(|a| a >= b) {
                return b;
            }
        }
        assert!(Instant::now() < deadline, "block {block} was never batched and applied");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks every batch against the blocks and an independent tree built from the batch diffs.
fn check_batches(chain: &TestChain, batches: &BatchStore, tree: &TreeStore) {
    let last = batches.last_applied().unwrap().unwrap();
    let mut next_block = 0;
    let independent = TreeStore::in_memory().unwrap();
    for n in 0..=last {
        let b = batches.batch(n).unwrap().unwrap();
        assert_eq!(b.first_block, next_block, "batch {n} starts right after the previous one");
        assert!(b.last_block >= b.first_block);
        next_block = b.last_block + 1;
        // Each block's transaction offset in its batch (receipts' `l1BatchTxIndex`).
        let mut before = 0u64;
        for block in b.first_block..=b.last_block {
            assert_eq!(batches.block_tx_offset(block).unwrap(), Some(before), "block {block}");
            before += chain.store.block_tx_hashes(block).unwrap().len() as u64;
        }
        assert_eq!(before, u64::from(b.tx_count), "batch {n} transactions");
        // The net diff is what the blocks' writes leave behind.
        let mut net = std::collections::BTreeMap::new();
        for block in b.first_block..=b.last_block {
            for w in chain.store.block_writes(block).unwrap() {
                net.entry(w.key).and_modify(|e: &mut (_, _)| e.1 = w.new).or_insert((w.old, w.new));
            }
        }
        let mut records: Vec<_> = net
            .iter()
            .filter(|(_, (o, n))| o != n)
            .map(|(k, (_, n))| (k.derived_key(), *n))
            .collect();
        if n > 0 {
            // Every committed batch ends with the record binding its claims (docs/pubdata.md).
            let claims = BatchClaims {
                number: n,
                timestamp: b.timestamp,
                priority_ops: U256::from(b.priority_ops),
                priority_hash: b.priority_hash,
                logs_root: L2LogsTree::from_packed(&b.l2_logs).unwrap().root(),
                bytecodes_hash: bytecodes_hash(&b.bytecodes),
            };
            records.push(claims.record());
            assert_eq!(
                b.state_diff[b.state_diff.len() - 64..][..32],
                [0xff; 32],
                "batch {n} record last"
            );
        }
        let expected = StateDiff::new(records).unwrap();
        assert_eq!(b.state_diff.as_ref(), expected.encode().as_slice(), "batch {n} net diff");
        let r = batches.tree_result(n).unwrap().unwrap();
        let v = independent.apply_bulk(&expected).unwrap();
        assert_eq!(r.commitment, v.commitment, "batch {n} commitment");
        if n > 0 {
            assert_eq!(r.chunk_commitments.len(), b.chunks());
            assert_eq!(b.chunks(), b.records().div_ceil(2), "two records per chunk");
        }
        assert_eq!(tree.version(r.last_version()).unwrap().commitment, r.commitment);
    }
    let r = batches.tree_result(last).unwrap().unwrap();
    assert_eq!(tree.latest().unwrap().version, r.last_version(), "no version beyond the batches");
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_hold_whole_blocks_and_the_tree_matches_an_independent_one() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, batches, tree, _sup) = node(&dir).await;
    let mut last_block = 0;
    for nonce in 0..5 {
        let h = submit(&chain, nonce).await.unwrap();
        last_block = wait_included(&chain, h).await;
    }
    let batch = wait_applied_through_block(&batches, last_block).await;
    assert!(batch >= 2, "the write limit split the transfers over several batches");
    check_batches(&chain, &batches, &tree);
    assert_eq!(batches.batch(0).unwrap().unwrap().last_block, 0, "batch 0 is genesis");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tree_writer_panic_after_applying_does_not_apply_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, batches, tree, _sup) = node(&dir).await;
    let h = submit(&chain, 0).await.unwrap();
    let block = wait_included(&chain, h).await;
    wait_applied_through_block(&batches, block).await;
    chain.arm(Point::TreeWriterAfterApply);
    let h = submit(&chain, 1).await.unwrap();
    let block = wait_included(&chain, h).await;
    wait_applied_through_block(&batches, block).await;
    assert!(chain.status.restarts.load(Ordering::Relaxed) >= 1, "the tree writer was restarted");
    check_batches(&chain, &batches, &tree);
}

#[tokio::test(flavor = "multi_thread")]
async fn batcher_and_tree_writer_panics_before_work_lose_nothing_and_restart_survives() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (chain, batches, tree, sup) = node(&dir).await;
        chain.arm(Point::Batcher);
        chain.arm(Point::TreeWriterBeforeApply);
        let h = submit(&chain, 0).await.unwrap();
        let block = wait_included(&chain, h).await;
        wait_applied_through_block(&batches, block).await;
        assert!(chain.status.restarts.load(Ordering::Relaxed) >= 2);
        check_batches(&chain, &batches, &tree);
        sup.0.call(SupervisorMsg::Shutdown, Some(Duration::from_secs(10))).await.unwrap();
        sup.1.await.unwrap();
        drop((chain, batches, tree));
        // The actors' last clones of the databases go with their tasks.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // A fresh start on the same files continues from the cursors.
    let (chain, batches, tree, _sup) = node(&dir).await;
    let h = submit(&chain, 1).await.unwrap();
    let block = wait_included(&chain, h).await;
    wait_applied_through_block(&batches, block).await;
    check_batches(&chain, &batches, &tree);
}

/// Blocks that each close a batch (every transfer passes the test's write limit), eight of them
/// within a second or so: batch timestamps stay strictly increasing and never run ahead of the
/// clock at sealing (before, each batch took the previous one's second plus one, and a flood of
/// such blocks pushed batch time ahead of real time until L1 refused the commits).
#[tokio::test(flavor = "multi_thread")]
async fn batch_timestamps_never_run_ahead_of_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, batches, _tree, _sup) = node(&dir).await;
    let mut last_block = 0;
    let started = Instant::now();
    for nonce in 0..8 {
        let h = submit(&chain, nonce).await.unwrap();
        last_block = wait_included(&chain, h).await;
    }
    let flood = started.elapsed();
    let last = wait_applied_through_block(&batches, last_block).await;
    let mut prev = 0;
    for n in 1..=last {
        let b = batches.batch(n).unwrap().unwrap();
        assert!(b.timestamp > prev, "batch {n}: timestamps increase");
        assert!(
            b.timestamp <= b.sealed_at_ms / 1000,
            "batch {n} has timestamp {} but was sealed at {} ms: ahead of the clock",
            b.timestamp,
            b.sealed_at_ms
        );
        prev = b.timestamp;
    }
    assert!(last >= 2, "the transfers took several batches ({last})");
    eprintln!("BATCH TIME: {} batches for blocks sealed in {flood:?}", last);
}

/// A test double of the provers' queue: the test says how many chunks wait.
#[derive(Default)]
struct ScriptedProvers(AtomicU64);

impl ProvingLoad for ScriptedProvers {
    fn waiting_chunks(&self) -> Result<u64, BoxError> {
        Ok(self.0.load(Ordering::Relaxed))
    }
}

/// The batch policy: while chunks wait for a prover, the open batch keeps every block past
/// `max_age` (one batch for transfers that would have taken one each); once the provers catch
/// up it is sealed at once; and while they stay behind, `max_age_behind` still closes it.
#[tokio::test(flavor = "multi_thread")]
async fn batches_grow_while_provers_are_behind_and_seal_early_when_they_are_idle() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = batcher_config();
    config.limits.max_writes = 1_000;
    config.limits.max_age_behind = Duration::from_secs(4);
    let provers = Arc::new(ScriptedProvers::default());
    let (chain, batches, _tree, _sup) =
        node_with(&dir, config, Some(provers.clone() as Arc<dyn ProvingLoad>)).await;
    // Idle provers: a lone transfer gets a batch of its own after max_age.
    let h = submit(&chain, 0).await.unwrap();
    let first = wait_included(&chain, h).await;
    let b1 = wait_applied_through_block(&batches, first).await;

    // Behind: three transfers, each in its own block, over more than max_age each.
    provers.0.store(5, Ordering::Relaxed);
    let mut blocks = Vec::new();
    for nonce in 1..4 {
        let h = submit(&chain, nonce).await.unwrap();
        blocks.push(wait_included(&chain, h).await);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(
        batches.last_sealed().unwrap(),
        Some(b1),
        "no batch sealed while provers are behind"
    );
    assert!(blocks[2] > blocks[0], "the transfers are in different blocks");

    // The provers catch up: the open batch is sealed within a tick or two, holding all three.
    let caught_up = Instant::now();
    provers.0.store(0, Ordering::Relaxed);
    let b2 = wait_applied_through_block(&batches, blocks[2]).await;
    assert!(caught_up.elapsed() < Duration::from_secs(2), "sealed when the provers caught up");
    assert_eq!(b2, b1 + 1);
    assert_eq!(batches.batch_of_block(blocks[0]).unwrap(), Some(b2), "one batch for all three");
    assert_eq!(batches.batch(b2).unwrap().unwrap().tx_count, 3);

    // Behind for good: max_age_behind closes the batch anyway.
    provers.0.store(5, Ordering::Relaxed);
    let h = submit(&chain, 4).await.unwrap();
    let block = wait_included(&chain, h).await;
    let opened = Instant::now();
    let b3 = wait_applied_through_block(&batches, block).await;
    let held = opened.elapsed();
    assert_eq!(b3, b2 + 1);
    assert!(
        held >= Duration::from_millis(3_000) && held < Duration::from_secs(8),
        "held for max_age_behind (4 s): {held:?}"
    );
}
