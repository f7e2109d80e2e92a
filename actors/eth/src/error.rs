//! The one classification of L1-side errors, shared by the eth sender and the eth watcher.
//!
//! **Transient**: L1 unreachable or slow, a call that would revert now, a lagging backend: the
//! actor logs it, counts it and retries with backoff. **Fatal**: our storage failed, or L1 says
//! something that means our view and L1's disagree (a mined transaction reverted, a reorg deeper
//! than the confirmation depth): the actor returns the error and its supervisor decides. The
//! cause is kept as the boxed source error, never flattened to a string.

pub use rollup_supervision::BoxError;

/// Why a step on L1 failed, and what the actor does about it.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// L1 unreachable, slow, or a call failed in a way that may pass: retried with backoff.
    #[error("L1 (transient): {0}")]
    Transient(BoxError),
    /// Storage failed, or L1 disagrees with our view: the supervisor decides.
    #[error("{0}")]
    Fatal(BoxError),
}

impl L1Error {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, L1Error::Transient(_))
    }
}

/// A transient error from any cause (`map_err(transient)`).
pub fn transient(e: impl Into<BoxError>) -> L1Error {
    L1Error::Transient(e.into())
}

/// A fatal error from any cause (`map_err(fatal)`).
pub fn fatal(e: impl Into<BoxError>) -> L1Error {
    L1Error::Fatal(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_kept_and_shown() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let e = transient(io);
        assert!(e.is_transient());
        assert_eq!(e.to_string(), "L1 (transient): slow");
        let L1Error::Transient(cause) = e else { unreachable!() };
        assert!(cause.downcast_ref::<std::io::Error>().is_some(), "the typed cause survives");
        assert!(!fatal("disagree").is_transient());
    }
}
