//! Priority operations: `executeBatches` pops each of a batch's L1->L2 requests from the queue
//! (about 10k L1 gas apiece), and a batch is executed whole, so their number must keep one
//! batch's execution within what one L1 transaction can spend.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct PriorityOps;

impl SealCriterion for PriorityOps {
    fn name(&self) -> &'static str {
        "priority_ops"
    }

    fn over(&self, limits: &Limits, next: &Totals) -> bool {
        next.priority_ops > limits.max_priority_ops
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.priority_ops >= limits.max_priority_ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn a_batch_holds_at_most_the_limit_of_priority_operations() {
        let at = |priority_ops| Totals { priority_ops, blocks: 1, ..Totals::default() };
        let max = limits().max_priority_ops;
        assert!(PriorityOps.over(&limits(), &at(max + 1)));
        assert!(!PriorityOps.over(&limits(), &at(max)));
        assert!(PriorityOps.complete(&limits(), &at(max)));
        assert!(!PriorityOps.complete(&limits(), &at(max - 1)));
    }
}
