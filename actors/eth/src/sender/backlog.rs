//! Back-pressure: when settlement falls behind past a configured limit, the pool refuses new
//! transactions with a reason until it catches up. The sender writes the state
//! ([`rollup_actors::settlement::backlog::BacklogWriter`]); the pool reads its gauge.

use super::EthSenderState;
use crate::error::{fatal, L1Error};
use std::sync::atomic::Ordering;

impl EthSenderState {
    /// Compares the backlog (from the last L1 counters seen) with the limits and tells the pool.
    pub(crate) fn update_backlog(&mut self) -> Result<(), L1Error> {
        let cfg = &self.args.config;
        if cfg.max_uncommitted_batches == 0 && cfg.max_unproven_writes == 0 {
            return Ok(());
        }
        let last = self.args.batches.last_sealed().map_err(fatal)?.unwrap_or_default();
        let committed = self.args.metrics.committed.load(Ordering::Relaxed);
        let verified = self.args.metrics.verified.load(Ordering::Relaxed);
        let mut why = None;
        let uncommitted = last.saturating_sub(committed);
        if cfg.max_uncommitted_batches > 0 && uncommitted > cfg.max_uncommitted_batches {
            why = Some(format!(
                "settlement is behind: {uncommitted} batches wait to be committed on L1 (limit {}); retry later",
                cfg.max_uncommitted_batches
            ));
        }
        if why.is_none() && cfg.max_unproven_writes > 0 {
            self.records.retain(|b, _| *b > verified);
            let mut unproven = 0;
            for b in verified + 1..=last {
                let n = match self.records.get(&b) {
                    Some(n) => *n,
                    None => {
                        let n = self
                            .args
                            .batches
                            .batch(b)
                            .map_err(fatal)?
                            .map_or(0, |x| x.records() as u64);
                        self.records.insert(b, n);
                        n
                    }
                };
                unproven += n;
            }
            if unproven > cfg.max_unproven_writes {
                why = Some(format!(
                    "settlement is behind: {unproven} state writes wait for proofs (limit {}); retry later",
                    cfg.max_unproven_writes
                ));
            }
        }
        self.args.backlog.set(why);
        Ok(())
    }
}
