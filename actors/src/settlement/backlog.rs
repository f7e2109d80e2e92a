//! Back-pressure from settlement to admission: a gauge with one writer and many readers.
//!
//! The eth sender holds the [`BacklogWriter`] and sets it when a configured backlog limit is
//! passed (with the reason) or clears it; the pool holds a [`BacklogGauge`] and refuses new
//! transactions with that reason while it is set. Neither side can do the other's part.

use std::sync::{Arc, Mutex};

/// The writer's side: says whether settlement is too far behind for new transactions.
#[derive(Debug, Clone)]
pub struct BacklogWriter(Arc<Mutex<Option<String>>>);

/// The read-only side the pool checks at admission.
#[derive(Debug, Clone)]
pub struct BacklogGauge(Arc<Mutex<Option<String>>>);

/// A new gauge, open (no backlog), with its one writer.
pub fn backlog() -> (BacklogWriter, BacklogGauge) {
    let shared = Arc::new(Mutex::new(None));
    (BacklogWriter(shared.clone()), BacklogGauge(shared))
}

impl BacklogGauge {
    /// A gauge nobody writes: admission is never slowed (a chain that does not settle).
    pub fn open() -> Self {
        Self(Arc::new(Mutex::new(None)))
    }

    /// Why admission is slowed, if it is.
    pub fn over(&self) -> Option<String> {
        self.0.lock().ok().and_then(|g| g.clone())
    }
}

impl BacklogWriter {
    /// Records the state (the reason when over a limit), logging when it changes.
    pub fn set(&self, why: Option<String>) {
        if let Ok(mut g) = self.0.lock() {
            if g.is_some() != why.is_some() {
                match &why {
                    Some(w) => {
                        tracing::warn!(target: "rollup::backlog", reason = %w, "settlement backlog over its limit: refusing new transactions")
                    }
                    None => {
                        tracing::info!(target: "rollup::backlog", "settlement backlog back under its limits: admission open")
                    }
                }
            }
            *g = why;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_reads_what_the_writer_sets() {
        let (w, g) = backlog();
        assert_eq!(g.over(), None);
        w.set(Some("too many".into()));
        assert_eq!(g.over().as_deref(), Some("too many"));
        w.set(None);
        assert_eq!(g.over(), None);
        assert_eq!(BacklogGauge::open().over(), None);
    }
}
