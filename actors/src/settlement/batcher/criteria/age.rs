//! Age: a batch does not wait for more blocks for ever, so a lone transaction settles quickly
//! (`batcher.max_age_ms`, 1 s in dev).

use super::{Limits, SealCriterion, Totals};

pub(crate) struct Age;

impl SealCriterion for Age {
    fn name(&self) -> &'static str {
        "age"
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        current.age >= limits.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settlement::batcher::criteria::limits;
    use std::time::Duration;

    #[test]
    fn seals_once_the_first_block_is_old_enough() {
        let t = |ms| Totals { blocks: 1, age: Duration::from_millis(ms), ..Totals::default() };
        assert!(Age.complete(&limits(), &t(1000)));
        assert!(!Age.complete(&limits(), &t(999)));
    }
}
