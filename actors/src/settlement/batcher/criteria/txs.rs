//! Transactions: L1 numbers a batch's transactions with 16 bits (`txNumberInBatch` of its
//! L2->L1 logs), so a batch holds at most 65,536 of them.

use super::{Limits, SealCriterion, Totals};

/// Most transactions in one batch.
pub(crate) const MAX_BATCH_TXS: usize = 1 << 16;

pub(crate) struct Txs;

impl SealCriterion for Txs {
    fn name(&self) -> &'static str {
        "txs"
    }

    fn over(&self, _limits: &Limits, next: &Totals) -> bool {
        next.txs > MAX_BATCH_TXS
    }

    fn complete(&self, _limits: &Limits, current: &Totals) -> bool {
        current.txs >= MAX_BATCH_TXS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn a_batch_never_numbers_a_transaction_past_16_bits() {
        let at = |txs| Totals { txs, blocks: 1, ..Totals::default() };
        assert!(Txs.over(&limits(), &at(MAX_BATCH_TXS + 1)));
        assert!(!Txs.over(&limits(), &at(MAX_BATCH_TXS)));
        assert!(Txs.complete(&limits(), &at(MAX_BATCH_TXS)));
        assert!(!Txs.complete(&limits(), &at(MAX_BATCH_TXS - 1)));
    }
}
