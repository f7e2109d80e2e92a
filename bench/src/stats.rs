//! Figures from the book: latency percentiles, the per-second time series and the latency
//! histogram. Pure functions over recorded events, so they are tested without a node.

use crate::load::Inclusion;
use serde_json::{json, Value};

/// The percentiles every latency summary carries.
pub(crate) const PERCENTILES: [(&str, f64); 4] =
    [("p10", 10.0), ("p50", 50.0), ("p90", 90.0), ("p99", 99.0)];

/// The `p`-th percentile (nearest rank) of sorted values; 0 for none.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Latency summary of a set of inclusions, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Latency {
    /// How many.
    pub(crate) count: usize,
    /// p10, p50, p90, p99 (see [`PERCENTILES`]).
    pub(crate) p: [f64; 4],
    /// Largest.
    pub(crate) max: f64,
    /// Mean.
    pub(crate) mean: f64,
}

impl Latency {
    /// The summary of `ms` (any order).
    pub(crate) fn of(mut ms: Vec<f64>) -> Self {
        ms.sort_unstable_by(f64::total_cmp);
        let count = ms.len();
        let mean = if count == 0 { 0.0 } else { ms.iter().sum::<f64>() / count as f64 };
        Self {
            count,
            p: PERCENTILES.map(|(_, p)| percentile(&ms, p)),
            max: ms.last().copied().unwrap_or(0.0),
            mean,
        }
    }

    /// p50.
    pub(crate) fn p50(&self) -> f64 {
        self.p[1]
    }

    /// p99.
    pub(crate) fn p99(&self) -> f64 {
        self.p[3]
    }

    /// As a JSON object: `{"p10_ms", ..., "max_ms", "mean_ms"}`.
    pub(crate) fn to_json(self) -> Value {
        let mut o = serde_json::Map::new();
        for ((name, _), v) in PERCENTILES.iter().zip(self.p) {
            o.insert(format!("{name}_ms"), json!(round1(v)));
        }
        o.insert("max_ms".into(), json!(round1(self.max)));
        o.insert("mean_ms".into(), json!(round1(self.mean)));
        Value::Object(o)
    }
}

/// One second of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Second {
    /// Seconds since the window opened (the start of this second).
    pub(crate) t: u32,
    /// Transactions the node accepted in this second.
    pub(crate) sent: u64,
    /// Transactions seen included in this second (its TPS).
    pub(crate) included: u64,
    /// Error answers in this second.
    pub(crate) errors: u64,
    /// Latency of this second's inclusions.
    pub(crate) latency: Latency,
}

/// The per-second series from the window's opening to the last event.
pub(crate) fn series(sends_ms: &[u32], errors_ms: &[u32], inclusions: &[Inclusion]) -> Vec<Second> {
    let last = sends_ms
        .iter()
        .chain(errors_ms)
        .chain(inclusions.iter().map(|i| &i.at_ms))
        .max()
        .map_or(0, |ms| ms / 1000 + 1);
    let mut out: Vec<Second> = (0..last).map(|t| Second { t, ..Default::default() }).collect();
    for ms in sends_ms {
        out[(ms / 1000) as usize].sent += 1;
    }
    for ms in errors_ms {
        out[(ms / 1000) as usize].errors += 1;
    }
    let mut lat: Vec<Vec<f64>> = vec![Vec::new(); out.len()];
    for inc in inclusions {
        let s = (inc.at_ms / 1000) as usize;
        out[s].included += 1;
        lat[s].push(f64::from(inc.latency_us) / 1000.0);
    }
    for (second, l) in out.iter_mut().zip(lat) {
        second.latency = Latency::of(l);
    }
    out
}

/// A latency histogram with equal-width bins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Histogram {
    /// Width of one bin, ms.
    pub(crate) bin_ms: f64,
    /// Count per bin; bin `i` holds `[i * bin_ms, (i + 1) * bin_ms)`.
    pub(crate) counts: Vec<u64>,
}

/// Bins of a histogram.
const BINS: usize = 50;

impl Histogram {
    /// `BINS` bins from 0 to just past the largest value, a round bin width.
    pub(crate) fn of(ms: &[f64]) -> Self {
        let max = ms.iter().copied().fold(0.0, f64::max);
        let bin_ms = nice_step(max / BINS as f64);
        let mut counts = vec![0u64; (max / bin_ms) as usize + 1];
        let last = counts.len() - 1;
        for v in ms {
            counts[((v / bin_ms) as usize).min(last)] += 1;
        }
        Self { bin_ms, counts }
    }

    /// As a JSON object.
    pub(crate) fn to_json(&self) -> Value {
        json!({"bin_ms": self.bin_ms, "counts": self.counts})
    }
}

/// The smallest of 1, 2, 5 x 10^k at or above `x` (at least 0.1 ms).
fn nice_step(x: f64) -> f64 {
    let mut step = 0.1;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if step * m >= x {
                return step * m;
            }
        }
        step *= 10.0;
    }
}

/// Rounds to one decimal, for reports.
pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Kind;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latency::of((1..=100).map(f64::from).rev().collect());
        assert_eq!(l.p, [11.0, 51.0, 90.0, 99.0]);
        assert_eq!((l.max, l.mean, l.count), (100.0, 50.5, 100));
        assert_eq!(Latency::of(vec![]), Latency::default());
    }

    #[test]
    fn series_buckets_by_second() {
        let inc = |at_ms, latency_us| Inclusion { at_ms, latency_us, kind: Kind::Eth };
        let s = series(&[0, 10, 1500], &[2100], &[inc(300, 250_000), inc(1999, 100_000)]);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].sent, s[0].included, s[0].errors), (2, 1, 0));
        assert_eq!((s[1].sent, s[1].included), (1, 1));
        assert_eq!(s[1].latency.p50(), 100.0);
        assert_eq!((s[2].errors, s[2].included), (1, 0));
    }

    #[test]
    fn histogram_bins_cover_every_value() {
        let h = Histogram::of(&[0.0, 3.0, 99.9, 100.0, 250.0]);
        assert_eq!(h.bin_ms, 5.0);
        assert_eq!(h.counts.iter().sum::<u64>(), 5);
        assert_eq!(h.counts[0], 2);
        assert_eq!(*h.counts.last().unwrap(), 1);
        assert_eq!(Histogram::of(&[]).counts, vec![0]);
    }
}
