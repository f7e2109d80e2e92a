//! L2 blocks: bounds how much a batch's metadata and its re-execution can grow.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct Blocks;

impl SealCriterion for Blocks {
    fn name(&self) -> &'static str {
        "blocks"
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.blocks >= limits.max_blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn seals_after_the_last_block_allowed() {
        assert!(Blocks.complete(&limits(), &Totals { blocks: 5, ..Totals::default() }));
        assert!(!Blocks.complete(&limits(), &Totals { blocks: 4, ..Totals::default() }));
        assert!(!Blocks.over(&limits(), &Totals { blocks: 6, ..Totals::default() }));
    }
}
