//! Back-pressure: when settlement falls behind past a configured limit, the pool refuses new
//! transactions with a reason until it catches up. The sender writes the state
//! ([`rollup_actors::settlement::backlog::BacklogWriter`]); the pool reads its gauge.

use super::EthSenderState;
use crate::error::{fatal, L1Error};
use std::sync::atomic::Ordering;

impl EthSenderState {
    /// Measures the backlog (from the last L1 counters seen) and the provers' time for it,
    /// compares them with the limits and tells the pool.
    pub(crate) fn update_backlog(&mut self) -> Result<(), L1Error> {
        if !self.args.metrics.counters_read.load(Ordering::Relaxed) {
            // L1 not read yet: the backlog is unknown (counting from genesis would refuse
            // transactions for batches long proven). The gauge keeps its state.
            return Ok(());
        }
        let cfg = &self.args.config;
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
        let unproven = self.unproven_records(verified, last)?;
        let metrics = &self.args.metrics;
        metrics.unproven_records.store(unproven, Ordering::Relaxed);
        let cfg = &self.args.config;
        if why.is_none() && cfg.max_unproven_writes > 0 && unproven > cfg.max_unproven_writes {
            why = Some(format!(
                "settlement is behind: {unproven} state writes wait for proofs (limit {}); retry later",
                cfg.max_unproven_writes
            ));
        }
        let rate = self.args.proving.as_ref().and_then(|p| p.proving_rate());
        let eta = rate.map(|r| finality_eta_secs(unproven, r));
        metrics
            .proving_rate_milli
            .store(rate.map_or(0, |r| (r * 1000.0) as u64), Ordering::Relaxed);
        metrics.proving_eta_secs.store(eta.unwrap_or(0), Ordering::Relaxed);
        if let (None, Some(eta), Some(rate)) = (&why, eta, rate) {
            if cfg.max_finality_secs > 0 && eta > cfg.max_finality_secs {
                why = Some(format!(
                    "settlement is behind: the {unproven} state writes waiting for proofs need about {eta} s at the provers' measured {rate:.2} writes/s (limit {} s); retry later",
                    cfg.max_finality_secs
                ));
            }
        }
        self.args.backlog.set(why);
        Ok(())
    }

    /// State-diff records of batches `verified + 1 ..= last` (sealed, not proven on L1).
    fn unproven_records(&mut self, verified: u64, last: u64) -> Result<u64, L1Error> {
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
        Ok(unproven)
    }
}

/// Seconds the provers need for `records` at `rate` records per second (rounded up; a rate of
/// zero or less, or a non-finite one, counts as never).
pub(crate) fn finality_eta_secs(records: u64, rate: f64) -> u64 {
    if records == 0 {
        return 0;
    }
    if !(rate.is_finite() && rate > 0.0) {
        return u64::MAX;
    }
    let secs = (records as f64 / rate).ceil();
    if secs >= u64::MAX as f64 {
        u64::MAX
    } else {
        secs as u64
    }
}

#[cfg(test)]
mod tests {
    use super::finality_eta_secs;

    #[test]
    fn the_eta_is_records_over_the_rate_rounded_up() {
        assert_eq!(finality_eta_secs(0, 0.0), 0, "nothing waiting");
        assert_eq!(finality_eta_secs(400, 2.0), 200);
        assert_eq!(finality_eta_secs(401, 2.0), 201, "rounded up");
        assert_eq!(finality_eta_secs(1, 0.0), u64::MAX, "no rate: never");
        assert_eq!(finality_eta_secs(1, f64::NAN), u64::MAX);
        assert_eq!(finality_eta_secs(u64::MAX, 1e-300), u64::MAX, "saturates");
    }
}
