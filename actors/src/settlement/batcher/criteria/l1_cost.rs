//! L1 cost: a batch closes before the next block would make any of its settlement transactions
//! (commit, prove, execute), sent alone, pass `l1.max_tx_calldata_bytes` or `l1.max_tx_gas`.
//! This is what keeps every sealed batch settleable: its commit fits the L1's transaction size,
//! and its proof chunks and priority operations fit one L1 transaction's gas
//! (`rollup_contracts::cost` has the figures).

use super::{Limits, SealCriterion, Totals};
use rollup_contracts::cost::BatchShape;

pub(crate) struct L1Cost;

/// What settling a batch of these totals depends on (the batch-info record included).
pub(crate) fn shape(limits: &Limits, t: &Totals) -> BatchShape {
    BatchShape {
        records: t.writes + 1,
        chunk_records: limits.chunk_records,
        logs: t.l2_logs,
        bytecodes: t.bytecodes,
        bytecode_words: t.code_words,
        priority_ops: t.priority_ops as u64,
    }
}

impl SealCriterion for L1Cost {
    fn name(&self) -> &'static str {
        "l1_cost"
    }

    fn over(&self, limits: &Limits, next: &Totals) -> bool {
        limits.l1.oversized(&shape(limits, next)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;
    use rollup_contracts::cost::{tx_cost, Call, TxLimits};

    #[test]
    fn refuses_a_block_that_would_make_proving_pass_the_gas_limit() {
        let mut l = limits();
        l.l1 = TxLimits { max_calldata: 120_000, max_gas: 3_000_000 };
        l.chunk_records = 16;
        // Each chunk costs ~78k gas to prove (70k, and 480 calldata bytes), over ~820k for the
        // call and the batched check's circuits: 28 chunks fit 3M, 29 do not (the batch-info
        // record is the last record). Committing them stays far below 3M.
        let fits = Totals { writes: 28 * 16 - 1, blocks: 1, ..Totals::default() };
        assert!(!L1Cost.over(&l, &fits));
        assert!(tx_cost(Call::Prove, [&shape(&l, &fits)]).gas <= 3_000_000);
        let over = Totals { writes: 29 * 16 - 1, ..fits };
        assert!(L1Cost.over(&l, &over));
        assert!(tx_cost(Call::Commit, [&shape(&l, &over)]).gas < 1_500_000);
    }

    #[test]
    fn counts_bytecodes_in_the_commit_calldata() {
        let mut l = limits();
        l.l1 = TxLimits { max_calldata: 120_000, max_gas: 30_000_000 };
        l.chunk_records = 1_000;
        // Six 24,576-byte contracts: 147 KB of calldata, over the limit; four fit.
        let words = 24_576 / 32;
        let six = Totals { bytecodes: 6, code_words: 6 * words, blocks: 1, ..Totals::default() };
        assert!(L1Cost.over(&l, &six));
        assert!(!L1Cost.over(&l, &Totals { bytecodes: 4, code_words: 4 * words, ..six }));
    }

    #[test]
    fn refuses_priority_operations_past_the_execute_gas() {
        let mut l = limits();
        l.l1 = TxLimits { max_calldata: 120_000, max_gas: 10_000_000 };
        l.chunk_records = 16;
        let ops = |n| Totals { priority_ops: n, blocks: 1, ..Totals::default() };
        assert!(!L1Cost.over(&l, &ops(700)));
        assert!(L1Cost.over(&l, &ops(900)));
    }
}
