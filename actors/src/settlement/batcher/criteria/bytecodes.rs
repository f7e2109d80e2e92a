//! Published bytecodes: a batch closes once it would publish more than `batcher.max_bytecodes`
//! (32 in dev), keeping commits small. L1 sets no count limit, so a block that alone deploys more
//! gets a batch of its own and still commits.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct Bytecodes;

impl SealCriterion for Bytecodes {
    fn name(&self) -> &'static str {
        "bytecodes"
    }

    fn over(&self, limits: &Limits, next: &Totals) -> bool {
        next.bytecodes > limits.max_bytecodes
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.bytecodes >= limits.max_bytecodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn seals_at_the_limit_and_refuses_to_pass_it() {
        let at = Totals { bytecodes: 32, blocks: 1, ..Totals::default() };
        assert!(Bytecodes.complete(&limits(), &at));
        assert!(!Bytecodes.complete(&limits(), &Totals { bytecodes: 31, ..at }));
        assert!(Bytecodes.over(&limits(), &Totals { bytecodes: 33, ..at }));
        assert!(!Bytecodes.over(&limits(), &at));
    }
}
