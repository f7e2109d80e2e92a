//! State-diff records: each one is proven by a circuit slot, so they bound proving work.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct Writes;

impl SealCriterion for Writes {
    fn name(&self) -> &'static str {
        "writes"
    }

    fn over(&self, limits: &Limits, next: &Totals) -> bool {
        next.writes > limits.max_writes
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.writes >= limits.max_writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn seals_at_the_limit_and_refuses_to_pass_it() {
        let at = Totals { writes: 100, blocks: 1, ..Totals::default() };
        let past = Totals { writes: 101, ..at };
        assert!(Writes.complete(&limits(), &at));
        assert!(!Writes.complete(&limits(), &Totals { writes: 99, ..at }));
        assert!(Writes.over(&limits(), &past));
        assert!(!Writes.over(&limits(), &at));
    }
}
