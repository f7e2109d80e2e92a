//! The eth watcher: reads the Diamond's `NewPriorityRequest` events from L1, `confirmations`
//! blocks behind L1's head, into the `priority_ops` table the sealer includes from.
//!
//! - Cursor: the next L1 block to scan, and the hashes of the blocks scanned last
//!   ([`rollup_actors::storage::priority::PriorityStore`]). One scan is one redb transaction, then
//!   [`Event::PriorityOpsAdded`].
//! - Idempotent by serial id: an event read twice (a restart, an overlapping range) stores
//!   nothing new.
//! - Reorgs: before each scan the hash of the last scanned block is compared with L1's. If L1
//!   replaced it, the watcher walks back its kept hashes to the newest block L1 still has,
//!   forgets the requests read after it and scans again. A replaced block whose request the L2
//!   already included is fatal (the reorg was deeper than `l1.confirmations`).
//! - L1 outages are retried with backoff; the cursor only moves with what was stored.
//! - Each poll also records what it knows of L1 ([`L1View`]: the earliest time a request it has
//!   not read could have been made, and the forced-inclusion deadline), also when L1 has nothing
//!   new: the sealer stops before it could seal past the deadline of a request the watcher has
//!   not read, and an idle L1 must not look like a lost one.

use crate::error::{fatal, transient, L1Error};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use rollup_actors::execution::priority::PriorityTx;
use rollup_actors::storage::priority::{L1View, PriorityStore, PriorityWriter, RewindError};
use rollup_contracts::bindings::IRollupChain::{self, NewPriorityRequest};
use rollup_events::{fault::Point, Event, EventBus};
use rollup_supervision::{ChildSpec, RestartBudget};
use std::time::Duration;

/// Longest wait between retries while L1 is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The watcher's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherConfig {
    /// The Diamond proxy whose events are read.
    pub diamond: Address,
    /// Blocks behind L1's head that are read (0: up to the head).
    pub confirmations: u64,
    /// The first L1 block to scan (the Diamond's deployment block).
    pub from_block: u64,
    /// Most L1 blocks per `eth_getLogs`.
    pub max_range: u64,
    /// Pause between scans once caught up.
    pub poll: Duration,
}

/// What the watcher starts from.
#[derive(Clone)]
pub struct WatcherArgs {
    /// Its configuration.
    pub config: WatcherConfig,
    /// The L1.
    pub provider: DynProvider,
    /// The priority tables (their one writer).
    pub priority: PriorityWriter,
    /// Where [`Event::PriorityOpsAdded`] goes; fault points.
    pub events: EventBus,
}

impl std::fmt::Debug for WatcherArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatcherArgs").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Messages of the watcher.
#[derive(Debug)]
pub enum WatcherMsg {
    /// Scan what L1 has.
    Poll,
}

/// The watcher actor.
#[derive(Debug, Clone)]
pub struct EthWatcherActor;

/// The watcher's state.
#[derive(Debug)]
pub struct WatcherState {
    args: WatcherArgs,
    backoff: Duration,
    /// Blocks per `eth_getLogs` now: halved after a failed one (providers cap ranges and
    /// response sizes), doubled back after a good one, up to the configured most.
    range: u64,
    /// The last [`L1View`] stored.
    view: Option<L1View>,
}

/// How far an idle watcher's view must move before it is stored again.
const VIEW_STEP_SECS: u64 = 60;

/// Blocks behind L1's head whose state the watcher reads: well within what a pruned node keeps
/// (geth: 128).
const RECENT_STATE_BLOCKS: u64 = 32;

/// The watcher's child spec.
pub fn spec(args: WatcherArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor("eth_watcher", budget, EthWatcherActor, args, None)
}

impl WatcherState {
    fn store(&self) -> &PriorityStore {
        self.args.priority.reader()
    }

    /// The hash L1 has now for block `number`. A block L1 does not return is a transient error
    /// (a lagging backend behind a load balancer), never a reorg.
    async fn l1_hash(&self, number: u64) -> Result<B256, L1Error> {
        Ok(self.l1_block(number).await?.0)
    }

    /// [`Self::l1_hash`] with the block's timestamp.
    async fn l1_block(&self, number: u64) -> Result<(B256, u64), L1Error> {
        let block =
            self.args.provider.get_block_by_number(number.into()).await.map_err(transient)?;
        block
            .map(|b| (b.header.hash, b.header.timestamp))
            .ok_or_else(|| transient(format!("L1 returned no block {number}")))
    }

    /// Rewinds to the newest scanned block L1 still has, if the last one was replaced.
    async fn check_reorg(&self) -> Result<(), L1Error> {
        let kept = self.store().scanned().map_err(fatal)?;
        let Some(&(last, hash)) = kept.first() else { return Ok(()) };
        if self.l1_hash(last).await? == hash {
            return Ok(());
        }
        let mut keep = self.args.config.from_block.saturating_sub(1);
        for &(n, h) in &kept[1..] {
            if self.l1_hash(n).await? == h {
                keep = n;
                break;
            }
        }
        match self.args.priority.rewind(keep) {
            Ok(removed) => {
                tracing::warn!(target: "rollup::eth_watcher", replaced = last, rescan_from = keep + 1, forgotten = removed, "L1 reorganised blocks the watcher had read; scanning them again");
                Ok(())
            }
            Err(e @ RewindError::Included { .. }) => Err(fatal(e)),
            Err(RewindError::Store(e)) => Err(fatal(e)),
        }
    }

    /// After a skip in the serial ids, or fewer requests than L1 counts: scan again from the
    /// L1 block of the last request stored (that block too: a node may have answered part of
    /// it), keeping every stored request, so logs a lagging node left out are read.
    fn rescan_after_last_request(&self, next_serial: u64) -> Result<(), L1Error> {
        let from = match next_serial.checked_sub(1) {
            Some(last) => match self.store().get(last).map_err(fatal)? {
                Some(op) => op.l1_block,
                None => return Ok(()),
            },
            None => self.args.config.from_block,
        };
        self.args.priority.rescan_from(from).map_err(fatal)?;
        Ok(())
    }

    /// What the watcher knows of L1 once every block before `next` is read: a request it has
    /// not read is in block `next` or later, so it was made at `next`'s time at the earliest
    /// (or, if L1 has no such block yet, after `asked_at`, the local time before L1 was asked
    /// for its head); the deadline is read at `at`.
    async fn view_before(
        &self,
        next: u64,
        head: u64,
        asked_at: u64,
        at: u64,
    ) -> Result<L1View, L1Error> {
        let timestamp = if next > head { asked_at } else { self.l1_block(next).await?.1 };
        let chain = IRollupChain::new(self.args.config.diamond, &self.args.provider);
        let deadline =
            chain.getPriorityTxDeadline().block(at.into()).call().await.map_err(transient)?;
        Ok(L1View { timestamp, deadline: deadline.saturating_to() })
    }

    /// Stores the view of a poll that read nothing new when it moved far enough: an idle L1
    /// (one that makes blocks only for transactions) must not look like a lost one.
    async fn refresh_view(
        &mut self,
        next: u64,
        head: u64,
        asked_at: u64,
        at: u64,
    ) -> Result<(), L1Error> {
        let view = self.view_before(next, head, asked_at, at).await?;
        let moved = self.view.is_none_or(|v| {
            v.deadline != view.deadline || view.timestamp >= v.timestamp + VIEW_STEP_SECS
        });
        if moved {
            self.args.priority.record_view(view).map_err(fatal)?;
            self.view = Some(view);
        }
        Ok(())
    }

    /// One scan; returns whether L1 has more to read right away.
    async fn scan(&mut self) -> Result<bool, L1Error> {
        self.check_reorg().await?;
        let cfg = &self.args.config;
        let asked_at = rollup_actors::sequencer::chain::unix_now();
        let head = self.args.provider.get_block_number().await.map_err(transient)?;
        let safe = head.saturating_sub(cfg.confirmations);
        let from = self.store().next_block().map_err(fatal)?.unwrap_or(cfg.from_block);
        if from > safe {
            self.refresh_view(from, head, asked_at, safe).await?;
            return Ok(false);
        }
        let to = safe.min(from.saturating_add(self.range - 1));
        let to_hash = self.l1_hash(to).await?;
        let filter = Filter::new()
            .address(cfg.diamond)
            .event_signature(NewPriorityRequest::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let logs = match self.args.provider.get_logs(&filter).await {
            Ok(logs) => {
                self.range = (self.range * 2).min(cfg.max_range.max(1));
                logs
            }
            Err(e) => {
                self.range = (self.range / 2).max(1);
                return Err(transient(format!("eth_getLogs {from}..={to}: {e}")));
            }
        };
        // Only logs of canonical blocks count: a node may still return logs of a block a reorg
        // replaced (anvil does), and such a log can carry a serial id the new chain reused.
        let mut canonical = std::collections::BTreeMap::new();
        canonical.insert(to, to_hash);
        let mut ops = Vec::with_capacity(logs.len());
        for log in &logs {
            let number = log.block_number.unwrap_or_default();
            if log.removed {
                continue;
            }
            let hash = match canonical.get(&number) {
                Some(h) => *h,
                None => {
                    let h = self.l1_hash(number).await?;
                    canonical.insert(number, h);
                    h
                }
            };
            if log.block_hash != Some(hash) {
                if number == to {
                    return Err(transient(format!("L1 block {to} changed during the scan")));
                }
                tracing::debug!(target: "rollup::eth_watcher", block = number, "skipping a log of a replaced block");
                continue;
            }
            let event = log.log_decode::<NewPriorityRequest>().map_err(|e| {
                fatal(format!("the Diamond {} emitted an undecodable NewPriorityRequest in L1 block {number}: {e}", cfg.diamond))
            })?;
            let e = &event.inner.data;
            let op = PriorityTx::from_event(
                e.txId,
                e.txHash,
                e.expirationTimestamp,
                &e.transaction,
                number,
            )
            .map_err(|err| {
                fatal(format!(
                    "the Diamond {} emitted a bad request in L1 block {number}: {err}",
                    cfg.diamond
                ))
            })?;
            ops.push(op);
        }
        // The logs must be complete and canonical: the new serial ids follow on from what is
        // stored without a gap, end where L1's queue stood at block `to`, and each request is the
        // one L1's queue holds under its serial id. A lagging L1 node can answer with part of a
        // range, and a node can still return a log of a replaced block whose serial id the new
        // chain reused (anvil does); the cursor then stays where it is.
        let expected = self.store().next_serial().map_err(fatal)?;
        let chain = IRollupChain::new(cfg.diamond, &self.args.provider);
        // Read L1's queue at `to` while L1 surely keeps that block's state; further back, at
        // `safe`: a pruned L1 node keeps only its last ~128 states, and a watcher that was down
        // longer must still catch up. A request not executed yet (every new one) is in the
        // queue under its serial id at either block.
        let recent = safe.saturating_sub(to) <= RECENT_STATE_BLOCKS;
        let at = if recent { to } else { safe };
        let mut by_serial: std::collections::BTreeMap<u64, Vec<PriorityTx>> = Default::default();
        for op in ops.into_iter().filter(|o| o.serial >= expected) {
            by_serial.entry(op.serial).or_default().push(op);
        }
        let mut ops = Vec::with_capacity(by_serial.len());
        for (serial, candidates) in by_serial {
            if serial != expected + ops.len() as u64 {
                self.rescan_after_last_request(expected)?;
                return Err(transient(format!(
                    "L1's logs skip from request {} to {serial}: a lagging L1 node, or eth_watcher.from_block after the Diamond's first request; reading again",
                    expected + ops.len() as u64
                )));
            }
            let held = chain
                .getPriorityOperation(U256::from(serial))
                .block(at.into())
                .call()
                .await
                .map_err(transient)?
                .canonicalTxHash;
            let Some(op) = candidates.into_iter().find(|c| c.hash == held) else {
                return Err(transient(format!(
                    "request {serial} in L1's logs is not the one its queue holds at block {at} ({held}); reading again"
                )));
            };
            ops.push(op);
        }
        let next = expected + ops.len() as u64;
        let total = chain.getTotalPriorityTxs().block(at.into()).call().await.map_err(transient)?;
        // At `to`, the logs must give every request; read at a later block (catching up on a
        // pruned node) they cannot give more. Missing logs at the end of an old range show as a
        // skip in a later scan, which reads again from after the last request stored.
        if (recent && U256::from(next) != total) || U256::from(next) > total {
            if U256::from(next) < total {
                // Requests L1 has are missing from the logs read so far: perhaps from an older
                // range a lagging node answered in part. Read again from the last one stored.
                self.rescan_after_last_request(expected)?;
            }
            return Err(transient(format!(
                "L1 reports {total} requests up to block {at}, its logs give {next}: a lagging L1 node, or eth_watcher.from_block after the Diamond's first request; reading again"
            )));
        }
        // What the sealer needs to know it is not sealing blind (`L1View`).
        let view = self.view_before(to + 1, head, asked_at, at).await?;
        let added = self
            .args
            .priority
            .record_scan(&ops, (to, to_hash), to + 1, Some(view))
            .map_err(fatal)?;
        self.view = Some(view);
        if added > 0 {
            let next = self.store().next_serial().map_err(fatal)?;
            tracing::info!(target: "rollup::eth_watcher", l1_blocks = %format!("{from}..={to}"), added, next, "priority requests read from L1");
            self.args.events.publish(Event::PriorityOpsAdded { next });
        }
        Ok(to < safe)
    }
}

impl Actor for EthWatcherActor {
    type Msg = WatcherMsg;
    type State = WatcherState;
    type Arguments = WatcherArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<WatcherMsg>,
        args: WatcherArgs,
    ) -> Result<WatcherState, ActorProcessingErr> {
        myself.send_message(WatcherMsg::Poll)?;
        let range = args.config.max_range.max(1);
        Ok(WatcherState { args, backoff: Duration::ZERO, range, view: None })
    }

    async fn handle(
        &self,
        myself: ActorRef<WatcherMsg>,
        msg: WatcherMsg,
        state: &mut WatcherState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WatcherMsg::Poll => {
                state.args.events.fault(Point::EthWatcher);
                let poll = state.args.config.poll;
                let wait = match state.scan().await {
                    Ok(true) => Duration::ZERO,
                    Ok(false) => {
                        state.backoff = Duration::ZERO;
                        poll
                    }
                    Err(L1Error::Transient(e)) => {
                        state.backoff = (state.backoff * 2).clamp(poll, MAX_BACKOFF);
                        tracing::warn!(target: "rollup::eth_watcher", error = %e, retry_in_ms = state.backoff.as_millis() as u64, "reading L1 failed");
                        state.backoff
                    }
                    Err(L1Error::Fatal(e)) => return Err(e),
                };
                myself.send_after(wait, || WatcherMsg::Poll);
            }
        }
        Ok(())
    }
}
