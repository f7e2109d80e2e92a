//! The tree writer: applies each sealed batch's state diff to the state tree, chunk by chunk, in
//! batch order, and records the commitments (`batch_tree`).
//!
//! Tree versions are chunk steps: version 1 is the genesis state (batch 0, applied in bulk),
//! then each chunk of each batch is one version. A batch's chunks therefore go to known versions
//! (`base + 1 ..= base + chunks`, with `base` the previous batch's last version), and re-applying
//! after a crash is a no-op: a version that exists already is checked to hold the same diff, and
//! is not applied again. Tree hashing runs off the actor loop.

use crate::storage::batches::{SealedBatch, TreeResult, TreeResultWriter};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_events::{fault::Point, Event, EventBus};
use rollup_supervision::{wake_on, ChildSpec, RestartBudget, Wakeups};
use rollup_tree::{StateDiff, TreeError, TreeStore};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the tree writer looks for batches without being woken.
const TICK: Duration = Duration::from_secs(1);

/// Why a batch cannot be applied (all fatal: the tree and the batches disagree, or storage failed).
#[derive(Debug, thiserror::Error)]
pub enum TreeWriterError {
    /// The tree failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The chain store failed.
    #[error(transparent)]
    Store(#[from] crate::storage::chain::StoreError),
    /// A tree version already holds another diff than the batch's chunk.
    #[error("tree version {version} holds another diff than chunk {chunk} of batch {batch}")]
    Mismatch {
        /// The batch.
        batch: u64,
        /// The chunk.
        chunk: usize,
        /// The version.
        version: u64,
    },
    /// The tree is behind the version before the batch (versions missing in between).
    #[error("the tree is at version {latest}, batch {batch} starts after version {base}")]
    Gap {
        /// The batch.
        batch: u64,
        /// The version before it.
        base: u64,
        /// The tree's latest version.
        latest: u64,
    },
}

/// Applies `batch` on top of tree version `base` (the previous batch's last), idempotently.
pub fn apply_batch(
    tree: &TreeStore,
    batch: &SealedBatch,
    base: u64,
) -> Result<TreeResult, TreeWriterError> {
    let chunks: Vec<StateDiff> = if batch.number == 0 {
        // Genesis is one bulk step whatever its size: it is never proven.
        vec![StateDiff::decode(&batch.state_diff).map_err(TreeError::from)?]
    } else {
        (0..batch.chunks())
            .map(|i| StateDiff::new(batch.chunk(i)).map_err(TreeError::from))
            .collect::<Result<_, _>>()?
    };
    let mut commitments = Vec::with_capacity(chunks.len());
    let mut last = tree.version(base)?;
    for (i, diff) in chunks.iter().enumerate() {
        let version = base + 1 + i as u64;
        let latest = tree.latest()?.version;
        last = if latest >= version {
            if &tree.diff(version)? != diff {
                return Err(TreeWriterError::Mismatch { batch: batch.number, chunk: i, version });
            }
            tree.version(version)?
        } else if latest + 1 == version {
            tree.apply_bulk(diff)?
        } else {
            return Err(TreeWriterError::Gap { batch: batch.number, base, latest });
        };
        commitments.push(last.commitment);
    }
    Ok(TreeResult {
        base_version: base,
        commitment: last.commitment,
        next_free: last.next_free,
        chunk_commitments: commitments,
    })
}

/// Messages of the tree writer.
#[derive(Debug)]
pub enum TreeWriterMsg {
    /// Apply every sealed batch not applied yet.
    Wake,
}

/// The tree writer actor.
#[derive(Debug, Clone)]
pub struct TreeWriterActor;

/// What the tree writer updates on the metrics endpoint.
#[derive(Debug, Default)]
pub struct TreeWriterMetrics {
    /// L1 batches applied to the state tree since start.
    pub batches_applied: AtomicU64,
}

/// What the tree writer touches.
#[derive(Debug, Clone)]
pub struct TreeWriterArgs {
    /// Reads sealed batches; writes their tree results (the `batch_tree` table's one writer).
    pub batches: TreeResultWriter,
    /// The state tree (its only writer).
    pub tree: TreeStore,
    /// [`Event::BatchSealed`] in, [`Event::TreeApplied`] out; fault points.
    pub events: EventBus,
    /// Its counters.
    pub metrics: Arc<TreeWriterMetrics>,
}

/// The tree writer's state.
#[derive(Debug)]
pub struct TreeWriterState {
    args: TreeWriterArgs,
    _wakeups: Wakeups,
}

/// The tree writer's child spec.
pub fn spec(args: TreeWriterArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor("tree_writer", budget, TreeWriterActor, args, None)
}

impl TreeWriterState {
    async fn catch_up(&mut self) -> Result<(), ActorProcessingErr> {
        loop {
            let batches = self.args.batches.reader();
            let next = batches.last_applied()?.map_or(0, |n| n + 1);
            let Some(batch) = batches.batch(next)? else { return Ok(()) };
            let base = match next.checked_sub(1) {
                None => 0,
                Some(prev) => {
                    batches.tree_result(prev)?.map(|r| r.last_version()).ok_or_else(|| {
                        crate::storage::chain::StoreError::State(
                            crate::state::StateError::Corrupt {
                                table: "batch_tree",
                                detail: format!("batch {prev} applied but has no result"),
                            },
                        )
                    })?
                }
            };
            self.args.events.fault(Point::TreeWriterBeforeApply);
            let tree = self.args.tree.clone();
            let started = std::time::Instant::now();
            // Tree hashing runs on rayon's pool, which the node starts at a low priority:
            // the tree may lag under load, sequencing does not.
            let (tx, rx) = tokio::sync::oneshot::channel();
            rayon::spawn(move || {
                let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    apply_batch(&tree, &batch, base)
                })));
            });
            let result = match rx.await {
                Ok(Ok(r)) => r?,
                Ok(Err(_)) | Err(_) => {
                    return Err(format!("applying batch {next} to the tree panicked").into())
                }
            };
            self.args.events.fault(Point::TreeWriterAfterApply);
            self.args.batches.put_tree_result(next, &result)?;
            self.args.events.fault(Point::TreeApplied);
            tracing::info!(
                target: "rollup::tree_writer",
                batch = next,
                chunks = result.chunk_commitments.len(),
                version = result.last_version(),
                commitment = %result.commitment,
                ms = started.elapsed().as_millis() as u64,
                "batch applied"
            );
            self.args.metrics.batches_applied.fetch_add(1, Ordering::Relaxed);
            self.args.events.publish(Event::TreeApplied { number: next });
        }
    }
}

impl Actor for TreeWriterActor {
    type Msg = TreeWriterMsg;
    type State = TreeWriterState;
    type Arguments = TreeWriterArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<TreeWriterMsg>,
        args: TreeWriterArgs,
    ) -> Result<TreeWriterState, ActorProcessingErr> {
        let wakeups = wake_on(
            &myself,
            &args.events,
            |e| matches!(e, Event::BatchSealed { .. }),
            Some(TICK),
            || TreeWriterMsg::Wake,
        )?;
        Ok(TreeWriterState { args, _wakeups: wakeups })
    }

    async fn handle(
        &self,
        _myself: ActorRef<TreeWriterMsg>,
        msg: TreeWriterMsg,
        state: &mut TreeWriterState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            TreeWriterMsg::Wake => state.catch_up().await,
        }
    }
}
