//! Age: a batch does not wait for more blocks for ever, so a lone transaction settles quickly
//! (`batcher.max_age_ms`, 1 s in dev). While chunks of sealed batches wait for a prover, a batch
//! sealed now would only wait as well, so it stays open longer (`batcher.max_age_behind_ms`):
//! when provers are behind, batches grow; when they are idle, batches seal early for latency.

use super::{Limits, SealCriterion, Totals};

pub(crate) struct Age;

impl SealCriterion for Age {
    fn name(&self) -> &'static str {
        "age"
    }

    fn complete(&self, limits: &Limits, current: &Totals) -> bool {
        let max = if current.provers_behind { limits.max_age_behind } else { limits.max_age };
        current.age >= max
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

    #[test]
    fn waits_longer_while_provers_are_behind() {
        let t = |ms| Totals {
            blocks: 1,
            age: Duration::from_millis(ms),
            provers_behind: true,
            ..Totals::default()
        };
        assert!(!Age.complete(&limits(), &t(1000)));
        assert!(!Age.complete(&limits(), &t(9_999)));
        assert!(Age.complete(&limits(), &t(10_000)));
    }
}
