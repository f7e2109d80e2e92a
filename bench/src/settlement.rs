//! Settlement figures on a node that speaks `zks_` (rollupd, zkSync Era).
//!
//! Every second of the run the tracker asks for the last sealed L1 batch
//! (`zks_L1BatchNumber`) and the details of the batches it does not know to be settled yet
//! (`zks_getL1BatchDetails`: `committedAt`, `provenAt`, `executedAt`). From them it keeps:
//!
//! - for each batch sealed during the run (numbered after the last batch sealed at start),
//!   the time from the batch's timestamp to its commit, proof and execution on L1;
//! - the settlement backlog each second: batches sealed but not committed, committed but not
//!   proven, proven but not executed.
//!
//! L1 settles batches in order (the executor's counters are `executed <= verified <=
//! committed`), so each step's settled batches are a prefix: three cursors (the last batch
//! committed, proven, executed) say the whole backlog. They start from a binary search at
//! start and only move forward. Batch 0 (genesis) counts as settled. The node's times have
//! one-second resolution.

use crate::rpc::{parse_quantity, Rpc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Batch details asked for in one tick at most (rollupd's default batch-request limit is 100).
const MAX_DETAILS_PER_TICK: usize = 100;

/// The three L1 steps, in order.
pub(crate) const STEPS: [(&str, &str); 3] =
    [("committed", "committedAt"), ("proven", "provenAt"), ("executed", "executedAt")];

/// What is known of one batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct BatchInfo {
    /// The batch's timestamp, unix seconds.
    pub(crate) timestamp: u64,
    /// L2 transactions in it.
    pub(crate) l2_txs: u64,
    /// Unix seconds of its commit, proof and execution on L1, once they happened.
    pub(crate) steps: [Option<u64>; 3],
}

/// The backlog at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backlog {
    /// Seconds since the window opened.
    pub(crate) t: f64,
    /// The last sealed batch.
    pub(crate) sealed: u64,
    /// Sealed, not committed.
    pub(crate) uncommitted: u64,
    /// Committed, not proven.
    pub(crate) unproven: u64,
    /// Proven, not executed.
    pub(crate) unexecuted: u64,
}

/// Follows settlement during a run.
#[derive(Debug)]
pub(crate) struct Tracker {
    rpc: Rpc,
    /// First batch sealed during the run.
    pub(crate) first_batch: u64,
    /// The last sealed batch seen.
    pub(crate) sealed: u64,
    /// Last batch done for each step.
    cursors: [u64; 3],
    /// Batches of the run.
    pub(crate) batches: BTreeMap<u64, BatchInfo>,
    /// One point per tick.
    pub(crate) backlog: Vec<Backlog>,
    /// The L2 head after the drain: the run is settled once the batch holding it is.
    last_block: Option<u64>,
    /// That block's batch, once sealed.
    last_batch: Option<u64>,
}

impl Tracker {
    /// Starts from the last batch sealed now; finds the step cursors.
    pub(crate) async fn start(rpc: Rpc) -> Self {
        let sealed = match rpc.call("zks_L1BatchNumber", json!([])).await {
            Ok(v) => parse_quantity(&v).unwrap_or(0) as u64,
            Err(_) => 0,
        };
        let mut cursors = [0u64; 3];
        for (step, cursor) in cursors.iter_mut().enumerate() {
            // Largest n in [0, sealed] with the step done; batch 0 is done by definition.
            let (mut lo, mut hi) = (0u64, sealed);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                let done = matches!(details(&rpc, &[mid]).await.first(),
                    Some(Some(d)) if step_time(d, step).is_some());
                if done {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            *cursor = lo;
        }
        Self {
            rpc,
            first_batch: sealed + 1,
            sealed,
            cursors,
            batches: BTreeMap::new(),
            backlog: Vec::new(),
            last_block: None,
            last_batch: None,
        }
    }

    /// From now on, the run counts as settled only once the batch holding L2 block `block` (the
    /// head after the drain) is sealed and executed. While provers are behind, the node
    /// keeps one batch open for the whole window, so "every batch sealed so far" is no test.
    pub(crate) fn settle_through_block(&mut self, block: u64) {
        self.last_block = Some(block);
    }

    /// One observation at `t` seconds since the window opened: the last sealed batch, the
    /// details of what is still moving, one backlog point.
    pub(crate) async fn tick(&mut self, t: f64) {
        if let Ok(v) = self.rpc.call("zks_L1BatchNumber", json!([])).await {
            if let Some(n) = parse_quantity(&v) {
                self.sealed = self.sealed.max(n as u64);
            }
        }
        if let (Some(block), None) = (self.last_block, self.last_batch) {
            if let Ok(d) = self.rpc.call("zks_getBlockDetails", json!([block])).await {
                self.last_batch = d["l1BatchNumber"].as_u64();
            }
        }
        let mut wanted: Vec<u64> = Vec::new();
        // The run's batches not yet executed.
        for n in self.first_batch..=self.sealed {
            if self.batches.get(&n).is_none_or(|b| b.steps[2].is_none()) {
                wanted.push(n);
            }
        }
        // The next few batches past each cursor, from before the run too.
        for c in self.cursors {
            wanted.extend((c + 1..=self.sealed).take(16));
        }
        wanted.sort_unstable();
        wanted.dedup();
        wanted.truncate(MAX_DETAILS_PER_TICK);
        let got = details(&self.rpc, &wanted).await;
        let mut known: BTreeMap<u64, BatchInfo> = BTreeMap::new();
        for (n, d) in wanted.iter().zip(got) {
            let Some(d) = d else { continue };
            let info = BatchInfo {
                timestamp: d["timestamp"].as_u64().unwrap_or(0),
                l2_txs: d["l2TxCount"].as_u64().unwrap_or(0),
                steps: [0, 1, 2].map(|s| step_time(&d, s)),
            };
            if *n >= self.first_batch {
                self.batches.insert(*n, info.clone());
            }
            known.insert(*n, info);
        }
        for (step, cursor) in self.cursors.iter_mut().enumerate() {
            while let Some(b) = known.get(&(*cursor + 1)) {
                if b.steps[step].is_none() {
                    break;
                }
                *cursor += 1;
            }
        }
        let [committed, proven, executed] = self.cursors;
        self.backlog.push(Backlog {
            t,
            sealed: self.sealed,
            uncommitted: self.sealed.saturating_sub(committed),
            unproven: committed.saturating_sub(proven),
            unexecuted: proven.saturating_sub(executed),
        });
    }

    /// Whether every batch of the run is executed on L1 (through the batch of the block given
    /// to [`Self::settle_through_block`], once it was given).
    pub(crate) fn all_executed(&self) -> bool {
        if self.last_block.is_some() && self.last_batch.is_none_or(|b| self.sealed < b) {
            return false;
        }
        (self.first_batch..=self.sealed)
            .all(|n| self.batches.get(&n).is_some_and(|b| b.steps[2].is_some()))
    }

    /// One status line for the wait after the window.
    pub(crate) fn progress_line(&self) -> String {
        let count = |step: usize| self.batches.values().filter(|b| b.steps[step].is_some()).count();
        format!(
            "settlement: {} batches sealed during the run; {} committed, {} proven, {} executed",
            (self.sealed + 1).saturating_sub(self.first_batch),
            count(0),
            count(1),
            count(2)
        )
    }

    /// Transactions in the run's executed batches, and the unix second of the last execution.
    pub(crate) fn finalized(&self) -> Option<(u64, u64)> {
        let executed = || self.batches.values().filter(|b| b.steps[2].is_some());
        let last = executed().filter_map(|b| b.steps[2]).max()?;
        Some((executed().map(|b| b.l2_txs).sum(), last))
    }

    /// The run's batches sealed, committed, proven and executed at each tick, counted from the
    /// first batch of the run: `(t, [sealed, committed, proven, executed])`.
    pub(crate) fn cumulative(&self) -> Vec<(f64, [u64; 4])> {
        let before = self.first_batch.saturating_sub(1);
        self.backlog
            .iter()
            .map(|b| {
                let committed = b.sealed.saturating_sub(b.uncommitted);
                let proven = committed.saturating_sub(b.unproven);
                let executed = proven.saturating_sub(b.unexecuted);
                (b.t, [b.sealed, committed, proven, executed].map(|n| n.saturating_sub(before)))
            })
            .collect()
    }

    /// Seconds from each run batch's timestamp to `step`, for the batches that reached it.
    pub(crate) fn step_latencies(&self, step: usize) -> Vec<f64> {
        self.batches
            .values()
            .filter_map(|b| Some(b.steps[step]?.saturating_sub(b.timestamp) as f64))
            .collect()
    }
}

/// `zks_getL1BatchDetails` of each batch (in one batch request when there are several);
/// `None` for a batch the node does not have or did not answer.
async fn details(rpc: &Rpc, numbers: &[u64]) -> Vec<Option<Value>> {
    if numbers.is_empty() {
        return Vec::new();
    }
    let calls: Vec<(&str, Value)> =
        numbers.iter().map(|n| ("zks_getL1BatchDetails", json!([n]))).collect();
    let answers = if calls.len() == 1 {
        vec![rpc.call(calls[0].0, calls[0].1.clone()).await]
    } else {
        match rpc.batch(&calls).await {
            Ok(a) => a,
            Err(_) => return vec![None; numbers.len()],
        }
    };
    answers.into_iter().map(|a| a.ok().filter(|v| v.is_object())).collect()
}

/// Unix seconds of a batch's `step` (0 commit, 1 proof, 2 execution), if it happened.
fn step_time(d: &Value, step: usize) -> Option<u64> {
    if d["number"].as_u64() == Some(0) {
        return Some(d["timestamp"].as_u64().unwrap_or(0)); // genesis is settled by definition
    }
    parse_rfc3339(d[STEPS[step].1].as_str()?)
}

/// Unix seconds of an RFC 3339 UTC time (`2026-12-02T17:05:08Z`, fractions and `+00:00`
/// accepted; fractions dropped).
pub(crate) fn parse_rfc3339(s: &str) -> Option<u64> {
    let (date, time) = s.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z').trim_end_matches("+00:00");
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':').map(|x| x.parse::<u64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    let days = days_from_civil(y, m, day)?;
    u64::try_from(days).ok().map(|days| days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-12-02T17:05:08Z"), Some(1_796_231_108));
        assert_eq!(parse_rfc3339("2026-12-02T17:05:08.123456Z"), Some(1_796_231_108));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:01+00:00"), Some(1_709_164_801));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    fn tracker(batches: &[(u64, u64, Option<u64>)]) -> Tracker {
        let rpc = Rpc::new("http://127.0.0.1:9", std::time::Duration::from_secs(1), 1).unwrap();
        let mut t = Tracker {
            rpc,
            first_batch: 5,
            sealed: 4 + batches.len() as u64,
            cursors: [4; 3],
            batches: BTreeMap::new(),
            backlog: Vec::new(),
            last_block: None,
            last_batch: None,
        };
        for (i, (ts, txs, executed)) in batches.iter().enumerate() {
            let info = BatchInfo {
                timestamp: *ts,
                l2_txs: *txs,
                steps: [*executed, *executed, *executed],
            };
            t.batches.insert(5 + i as u64, info);
        }
        t
    }

    #[test]
    fn finalized_counts_executed_batches_to_the_last_execution() {
        let t = tracker(&[(100, 1_000, Some(160)), (110, 500, Some(150)), (120, 700, None)]);
        assert_eq!(t.finalized(), Some((1_500, 160)));
        assert_eq!(tracker(&[(100, 1_000, None)]).finalized(), None);
        assert!(t.progress_line().contains("3 batches sealed during the run; 2 committed"));
    }

    #[test]
    fn the_run_is_settled_only_through_the_batch_of_its_last_block() {
        let mut t = tracker(&[(100, 1_000, Some(160))]);
        assert!(t.all_executed());
        t.settle_through_block(40);
        assert!(!t.all_executed(), "the last block's batch is not known yet");
        t.last_batch = Some(6);
        assert!(!t.all_executed(), "batch 6 is not sealed yet");
        t.sealed = 6;
        assert!(!t.all_executed(), "sealed, not executed");
        t.batches.insert(6, BatchInfo { timestamp: 170, l2_txs: 5, steps: [Some(171); 3] });
        assert!(t.all_executed());
    }

    #[test]
    fn cumulative_counts_start_at_the_run() {
        let mut t = tracker(&[]);
        t.backlog.push(Backlog { t: 1.0, sealed: 9, uncommitted: 1, unproven: 2, unexecuted: 3 });
        t.backlog.push(Backlog { t: 2.0, sealed: 3, uncommitted: 0, unproven: 0, unexecuted: 0 });
        assert_eq!(t.cumulative(), vec![(1.0, [5, 4, 2, 0]), (2.0, [0, 0, 0, 0])]);
    }

    #[test]
    fn genesis_counts_as_settled() {
        let g = json!({"number": 0, "timestamp": 5, "committedAt": null});
        assert_eq!(step_time(&g, 2), Some(5));
        let b = json!({"number": 3, "committedAt": "1970-01-01T00:00:09Z", "provenAt": null});
        assert_eq!((step_time(&b, 0), step_time(&b, 1)), (Some(9), None));
    }
}
