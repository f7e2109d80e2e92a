//! L2->L1 logs: L1 builds their Merkle tree in `commitBatches`, so their number drives its gas.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct L2Logs;

impl SealCriterion for L2Logs {
    fn name(&self) -> &'static str {
        "l2_logs"
    }

    fn over(&self, limits: &Limits, next: &Totals) -> bool {
        next.l2_logs > limits.max_l2_logs
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.l2_logs >= limits.max_l2_logs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn seals_at_the_limit_and_refuses_to_pass_it() {
        let at = Totals { l2_logs: 10, blocks: 1, ..Totals::default() };
        assert!(L2Logs.complete(&limits(), &at));
        assert!(!L2Logs.complete(&limits(), &Totals { l2_logs: 9, ..at }));
        assert!(L2Logs.over(&limits(), &Totals { l2_logs: 11, ..at }));
    }
}
