//! The live progress line on stderr during the window and the drain.
//!
//! On a terminal one line is redrawn in place (`\r`, clear line) about every 500 ms; anywhere
//! else (a pipe, a CI log) a plain line is printed every `--progress-secs`. Each line says:
//! elapsed time, transactions sent and included, the TPS of the last second, errors, and the
//! p50 latency of the last second's inclusions.

use crate::load::{lock, Book};
use crate::stats::percentile;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Redraw period on a terminal.
const REDRAW: Duration = Duration::from_millis(500);

/// Where progress goes and how.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    /// stderr is a terminal: redraw one line.
    pub(crate) tty: bool,
    /// Period of plain lines otherwise.
    pub(crate) every: Duration,
}

impl Progress {
    /// Decides from stderr.
    pub(crate) fn for_stderr(every: Duration) -> Self {
        Self { tty: std::io::stderr().is_terminal(), every }
    }

    /// A status line between phases (setup, signing): on a terminal it replaces the progress
    /// line, if any.
    pub(crate) fn status(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "rollup-bench: {text}");
    }

    /// Prints progress until `stop` is set; on a terminal, then leaves the last line standing.
    pub(crate) async fn run(self, book: Arc<Book>, window: Duration, stop: Arc<AtomicBool>) {
        let period = if self.tty { REDRAW } else { self.every };
        // (elapsed, included) samples of the last second and a bit, for the current TPS.
        let mut samples: Vec<(Duration, u64)> = vec![(Duration::ZERO, 0)];
        let mut next = period;
        loop {
            let elapsed = book.started.elapsed();
            let stopping = stop.load(Ordering::Relaxed);
            if elapsed >= next || stopping {
                next = elapsed + period;
                let mut line = line(&book, elapsed, window, &mut samples);
                let mut err = std::io::stderr().lock();
                let _ = if self.tty {
                    // A line that wraps could not be redrawn in place.
                    if let Some(w) = terminal_width() {
                        line.truncate(w.saturating_sub(1));
                    }
                    write!(err, "\r\x1b[2K{line}")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
            }
            if stopping {
                if self.tty {
                    let _ = writeln!(std::io::stderr());
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Columns of the terminal on stderr, if it says.
fn terminal_width() -> Option<usize> {
    let mut size = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize into the pointed-to struct.
    let rc = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// One progress line (ASCII).
fn line(
    book: &Book,
    elapsed: Duration,
    window: Duration,
    samples: &mut Vec<(Duration, u64)>,
) -> String {
    let (sent, included, errors) = book.totals();
    samples.push((elapsed, included));
    // Keep one sample at least a second old, to measure the last second against.
    while samples.len() > 2 && elapsed.saturating_sub(samples[1].0) >= Duration::from_secs(1) {
        samples.remove(0);
    }
    let (t0, i0) = samples[0];
    let span = (elapsed - t0).as_secs_f64().max(1e-3);
    let tps = (included - i0) as f64 / span;
    let recent_p50 = {
        let inclusions = lock(&book.inclusions);
        let from_ms = elapsed.saturating_sub(Duration::from_secs(1)).as_millis() as u32;
        let start = inclusions.partition_point(|i| i.at_ms < from_ms);
        let mut ms: Vec<f64> =
            inclusions[start..].iter().map(|i| f64::from(i.latency_us) / 1000.0).collect();
        ms.sort_unstable_by(f64::total_cmp);
        if ms.is_empty() {
            "-".to_string()
        } else {
            format!("{:.0} ms", percentile(&ms, 50.0))
        }
    };
    let phase = if elapsed < window && lock(&book.sending_ended).is_none() {
        String::new()
    } else {
        format!(" draining ({} pending)", book.pending())
    };
    format!(
        "[{:>5.1}s] sent {sent} included {included} tps {tps:.0} errors {errors} p50 {recent_p50}{phase}",
        elapsed.as_secs_f64()
    )
}
