//! The tree writer: applies each sealed batch's state diff to the state tree, chunk by chunk, in
//! batch order, and records the commitments (`batch_tree`).
//!
//! Tree versions are chunk steps: version 1 is the genesis state (batch 0, applied in bulk),
//! then each chunk of each batch is one version. A batch's chunks therefore go to known versions
//! (`base + 1 ..= base + chunks`, with `base` the previous batch's last version), and re-applying
//! after a crash is a no-op: a version that exists already is checked to hold the same diff, and
//! is not applied again. Tree hashing runs off the actor loop.

use crate::batches::{BatchStore, SealedBatch, TreeResult};
use crate::supervision::{ChildSpec, RestartBudget};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_events::{Event, EventBus};
use rollup_tree::{StateDiff, TreeError, TreeStore};
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
    Store(#[from] crate::store::StoreError),
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
#[derive(Debug)]
pub struct TreeWriterActor;

/// What the tree writer starts from.
#[derive(Debug, Clone)]
pub struct TreeWriterArgs {
    /// Batches in, tree results out.
    pub batches: BatchStore,
    /// The state tree.
    pub tree: TreeStore,
    /// Wake-ups in, applied batches out.
    pub events: EventBus,
    /// The chain (counters, fault injection in tests).
    pub chain: std::sync::Arc<crate::chain::Chain>,
}

/// The tree writer's state.
#[derive(Debug)]
pub struct TreeWriterState {
    args: TreeWriterArgs,
    listener: tokio::task::JoinHandle<()>,
}

/// The tree writer's child spec.
pub fn spec(args: TreeWriterArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::new("tree_writer", budget, move |supervisor| {
        let args = args.clone();
        async move {
            let (r, _) = Actor::spawn_linked(None, TreeWriterActor, args, supervisor).await?;
            Ok(r.get_cell())
        }
    })
}

impl TreeWriterState {
    async fn catch_up(&mut self) -> Result<(), ActorProcessingErr> {
        loop {
            let batches = &self.args.batches;
            let next = batches.last_applied()?.map_or(0, |n| n + 1);
            let Some(batch) = batches.batch(next)? else { return Ok(()) };
            let base = match next.checked_sub(1) {
                None => 0,
                Some(prev) => {
                    batches.tree_result(prev)?.map(|r| r.last_version()).ok_or_else(|| {
                        crate::store::StoreError::State(crate::state::StateError::Corrupt {
                            table: "batch_tree",
                            detail: format!("batch {prev} applied but has no result"),
                        })
                    })?
                }
            };
            #[cfg(feature = "test-utils")]
            self.args.chain.trip(crate::chain::Fault::TreeWriterBeforeApply);
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
            #[cfg(feature = "test-utils")]
            self.args.chain.trip(crate::chain::Fault::TreeWriterAfterApply);
            batches.put_tree_result(next, &result)?;
            rollup_events::fault::point("tree_applied");
            tracing::info!(
                target: "rollup::tree_writer",
                batch = next,
                chunks = result.chunk_commitments.len(),
                version = result.last_version(),
                commitment = %result.commitment,
                ms = started.elapsed().as_millis() as u64,
                "batch applied"
            );
            self.args
                .chain
                .metrics
                .batches_applied
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
        let me = myself.clone();
        let listener = args.events.wake_on(
            |e| matches!(e, Event::BatchSealed { .. }),
            move || me.send_message(TreeWriterMsg::Wake).is_ok(),
        );
        myself.send_interval(TICK, || TreeWriterMsg::Wake);
        myself.send_message(TreeWriterMsg::Wake)?;
        Ok(TreeWriterState { args, listener })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<TreeWriterMsg>,
        state: &mut TreeWriterState,
    ) -> Result<(), ActorProcessingErr> {
        state.listener.abort();
        Ok(())
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
