//! Pubdata bytes: the commit transaction carries them as calldata, and must fit the L1's
//! transaction size and block gas limits.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct Pubdata;

impl SealCriterion for Pubdata {
    fn name(&self) -> &'static str {
        "pubdata"
    }

    fn over(&self, limits: &Limits, next: &Totals) -> bool {
        next.pubdata_bytes > limits.max_pubdata_bytes
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.pubdata_bytes >= limits.max_pubdata_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;

    #[test]
    fn seals_at_the_limit_and_refuses_to_pass_it() {
        let at = Totals { pubdata_bytes: 10_000, blocks: 1, ..Totals::default() };
        assert!(Pubdata.complete(&limits(), &at));
        assert!(!Pubdata.complete(&limits(), &Totals { pubdata_bytes: 9_999, ..at }));
        assert!(Pubdata.over(&limits(), &Totals { pubdata_bytes: 10_001, ..at }));
        assert!(!Pubdata.over(&limits(), &at));
    }
}
