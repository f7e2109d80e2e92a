//! The planner: which settlement transaction to send next, as a pure function of L1's counters
//! and what the node has ready. No I/O, so every plan can be checked against every limit.
//!
//! - Execute first (what is proven and past the execution delay), then prove (what is committed
//!   and has every chunk proof), then commit (what the tree writer has applied). Executing first
//!   keeps `finalized` moving; committing last lets proofs of earlier batches go first.
//! - Batches are packed, in order, while the transaction stays within every limit: calldata
//!   bytes, gas (an upper bound from [`rollup_contracts::cost`]) and batch count.
//! - A batch that alone passes a limit is still planned, alone, and marked `oversized`: the
//!   batcher seals by the same limits, so this only happens when the limits were lowered after
//!   the batch was sealed. The sender then relies on L1's own gas estimate.

use rollup_contracts::cost::{tx_cost, BatchShape, Call, TxCost, TxLimits};
use rollup_events::L1Step;

/// L1's batch counters, and how far execution may go now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Last committed batch.
    pub committed: u64,
    /// Last proven batch.
    pub verified: u64,
    /// Last executed batch.
    pub executed: u64,
    /// Last batch whose execution delay has passed (at most `verified` matters).
    pub executable: u64,
}

/// What the node has of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// Its size.
    pub shape: BatchShape,
    /// Whether the tree writer applied it (it can be committed).
    pub applied: bool,
    /// Whether every chunk has a proof (it can be proven).
    pub proven: bool,
}

/// The planner's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Per transaction: calldata and gas.
    pub tx: TxLimits,
    /// Most batches per transaction.
    pub max_batches: usize,
}

/// One settlement transaction to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Commit, prove or execute.
    pub step: L1Step,
    /// First batch.
    pub first: u64,
    /// Last batch.
    pub last: u64,
    /// Its calldata size and gas bound.
    pub cost: TxCost,
    /// A single batch over a limit (see the module docs).
    pub oversized: bool,
}

impl Plan {
    /// Batches carried.
    pub fn batches(&self) -> u64 {
        self.last - self.first + 1
    }
}

fn call_of(step: L1Step) -> Call {
    match step {
        L1Step::Commit => Call::Commit,
        L1Step::Prove => Call::Prove,
        L1Step::Execute => Call::Execute,
    }
}

/// Packs batches `first..=upper` that `usable` accepts, in order, while they fit.
fn pack<E>(
    step: L1Step,
    first: u64,
    upper: u64,
    limits: &PlanLimits,
    lookup: &mut impl FnMut(u64) -> Result<Option<Ready>, E>,
    usable: impl Fn(&Ready) -> bool,
) -> Result<Option<Plan>, E> {
    let call = call_of(step);
    let mut shapes = Vec::new();
    let mut cost = TxCost::default();
    let mut n = first;
    while n <= upper && shapes.len() < limits.max_batches.max(1) {
        let Some(ready) = lookup(n)? else { break };
        if !usable(&ready) {
            break;
        }
        shapes.push(ready.shape);
        let with = tx_cost(call, &shapes);
        if shapes.len() > 1 && !limits.tx.fits(with) {
            shapes.pop();
            break;
        }
        cost = with;
        n += 1;
    }
    if shapes.is_empty() {
        return Ok(None);
    }
    let last = first + shapes.len() as u64 - 1;
    Ok(Some(Plan { step, first, last, cost, oversized: !limits.tx.fits(cost) }))
}

/// The next transaction, if any. `lookup(n)` gives what the node has of batch `n` (`None`: not
/// sealed yet).
pub fn plan<E>(
    counters: Counters,
    limits: &PlanLimits,
    mut lookup: impl FnMut(u64) -> Result<Option<Ready>, E>,
) -> Result<Option<Plan>, E> {
    let c = counters;
    let executable = c.executable.min(c.verified);
    if executable > c.executed {
        let p = pack(L1Step::Execute, c.executed + 1, executable, limits, &mut lookup, |_| true)?;
        if p.is_some() {
            return Ok(p);
        }
    }
    if c.committed > c.verified {
        let p =
            pack(L1Step::Prove, c.verified + 1, c.committed, limits, &mut lookup, |r| r.proven)?;
        if p.is_some() {
            return Ok(p);
        }
    }
    pack(L1Step::Commit, c.committed + 1, u64::MAX, limits, &mut lookup, |r| r.applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::convert::Infallible;

    fn limits(max_batches: usize) -> PlanLimits {
        PlanLimits { tx: TxLimits { max_calldata: 120_000, max_gas: 10_000_000 }, max_batches }
    }

    fn shape(records: usize) -> BatchShape {
        BatchShape { records, chunk_records: 16, logs: 2, priority_ops: 3, ..BatchShape::default() }
    }

    fn ready(records: usize, applied: bool, proven: bool) -> Ready {
        Ready { shape: shape(records), applied, proven }
    }

    fn run(c: Counters, l: &PlanLimits, batches: &[Ready]) -> Option<Plan> {
        plan::<Infallible>(c, l, |n| Ok(batches.get(n as usize).copied())).unwrap()
    }

    #[test]
    fn execute_goes_first_then_prove_then_commit() {
        let all = vec![ready(10, true, true); 8];
        let c = Counters { committed: 6, verified: 4, executed: 2, executable: 4 };
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!((p.step, p.first, p.last), (L1Step::Execute, 3, 4));
        let p = run(Counters { executed: 4, ..c }, &limits(10), &all).unwrap();
        assert_eq!((p.step, p.first, p.last), (L1Step::Prove, 5, 6));
        let c = Counters { committed: 6, verified: 6, executed: 6, executable: 6 };
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!((p.step, p.first, p.last), (L1Step::Commit, 7, 7), "batch 8 is not sealed");
    }

    #[test]
    fn execution_waits_for_its_delay_without_blocking_commits() {
        let all = vec![ready(10, true, true); 5];
        let c = Counters { committed: 2, verified: 2, executed: 0, executable: 0 };
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!((p.step, p.first, p.last), (L1Step::Commit, 3, 4));
    }

    #[test]
    fn prove_stops_at_the_first_batch_without_proofs() {
        let mut all = vec![ready(10, true, true); 7];
        all[3].proven = false;
        let c = Counters { committed: 5, ..Counters::default() };
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!((p.step, p.first, p.last), (L1Step::Prove, 1, 2));
        // Batch 1 unproven: nothing to prove, so commit goes on.
        all[1].proven = false;
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!(p.step, L1Step::Commit);
        assert_eq!(p.first, 6);
    }

    #[test]
    fn proofs_are_split_by_gas() {
        // 16 chunks of ~78k each (with their calldata) and 20k per batch, over ~820k for the
        // call: eight batches would pass 10M gas, seven fit.
        let all = vec![ready(256, true, true); 8];
        let c = Counters { committed: 8, ..Counters::default() };
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!((p.step, p.first, p.last), (L1Step::Prove, 1, 7));
        assert!(p.cost.gas <= 10_000_000 && !p.oversized);
    }

    #[test]
    fn a_batch_over_a_limit_goes_alone_and_is_marked() {
        let mut all = vec![ready(10, true, true); 4];
        all[2] = ready(2_000, true, true); // a 128 KB commit, and ~10.5M gas to prove
        let c = Counters { committed: 3, ..Counters::default() };
        let p = run(c, &limits(10), &all).unwrap();
        assert_eq!((p.first, p.last, p.oversized), (1, 1, false));
        let p = run(Counters { verified: 1, ..c }, &limits(10), &all).unwrap();
        assert_eq!((p.first, p.last, p.oversized), (2, 2, true));
    }

    #[test]
    fn nothing_ready_is_no_plan() {
        let all = vec![ready(10, true, true), ready(10, false, false)];
        let c = Counters { committed: 0, ..Counters::default() };
        assert_eq!(run(c, &limits(10), &all), None);
    }

    fn arb_ready() -> impl Strategy<Value = Ready> {
        (1usize..700, 0usize..200, 0usize..8, 0u64..900, any::<bool>(), any::<bool>()).prop_map(
            |(records, logs, codes, ops, applied, proven)| Ready {
                shape: BatchShape {
                    records,
                    chunk_records: 16,
                    logs,
                    bytecodes: codes,
                    bytecode_words: codes * 300,
                    priority_ops: ops,
                },
                applied,
                proven: proven && applied,
            },
        )
    }

    proptest! {
        /// Every plan carries consecutive batches of one step, starting right after L1's
        /// counter, each usable for that step; it fits every limit unless it is one batch that
        /// alone does not (and then says so).
        #[test]
        fn every_plan_fits_every_limit(
            batches in prop::collection::vec(arb_ready(), 1..40),
            committed in 0u64..20,
            verified_back in 0u64..20,
            executed_back in 0u64..20,
            delay_back in 0u64..5,
            max_batches in 1usize..12,
            max_calldata in 2_000usize..130_000,
            max_gas in 500_000u64..30_000_000,
        ) {
            let n = batches.len() as u64 - 1;
            let committed = committed.min(n);
            let verified = committed.saturating_sub(verified_back);
            let executed = verified.saturating_sub(executed_back);
            let c = Counters {
                committed,
                verified,
                executed,
                executable: verified.saturating_sub(delay_back),
            };
            let l = PlanLimits { tx: TxLimits { max_calldata, max_gas }, max_batches };
            if let Some(p) = run(c, &l, &batches) {
                let first_of = match p.step {
                    L1Step::Execute => executed + 1,
                    L1Step::Prove => verified + 1,
                    L1Step::Commit => committed + 1,
                };
                prop_assert_eq!(p.first, first_of);
                prop_assert!(p.last >= p.first && p.batches() as usize <= max_batches);
                let shapes: Vec<BatchShape> =
                    (p.first..=p.last).map(|b| batches[b as usize].shape).collect();
                prop_assert_eq!(p.cost, tx_cost(call_of(p.step), &shapes));
                for b in p.first..=p.last {
                    let r = &batches[b as usize];
                    match p.step {
                        L1Step::Execute => prop_assert!(b <= c.executable.min(verified)),
                        L1Step::Prove => prop_assert!(r.proven && b <= committed),
                        L1Step::Commit => prop_assert!(r.applied),
                    }
                }
                if p.oversized {
                    prop_assert_eq!(p.batches(), 1);
                    prop_assert!(!l.tx.fits(p.cost));
                } else {
                    prop_assert!(p.cost.calldata <= max_calldata && p.cost.gas <= max_gas);
                }
            }
        }
    }
}
