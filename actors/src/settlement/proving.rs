//! What the batcher knows of the provers: how many chunks of sealed batches wait for one.
//!
//! The batcher seals by age only while the provers keep up. When chunks are waiting, a batch
//! sealed now would only wait too, so the open batch keeps growing instead (up to its size
//! limits and `batcher.max_age_behind_ms`): a slot written a thousand times is then published
//! and proven once. The node implements this over the batch tables and the prover exchange
//! (`rollup-prover`), which this crate does not depend on.

/// An error reading the provers' queue (the port's error type, as every port between crates).
pub use rollup_supervision::BoxError;

/// The provers' load, as the batcher sees it.
pub trait ProvingLoad: Send + Sync + 'static {
    /// Chunks of sealed batches that are neither proven nor being proven by a prover now.
    fn waiting_chunks(&self) -> Result<u64, BoxError>;

    /// The provers' measured rate, in state-diff records proven per second by all of them
    /// together; `None` while nothing is measured (no proof yet, or no prover running).
    fn proving_rate(&self) -> Option<f64> {
        None
    }
}
