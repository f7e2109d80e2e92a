//! Why a run stopped early, and the exit status that follows from it.
//!
//! Whatever the cause, the user gets one line (`rollup-bench: error: ...`), never a backtrace
//! or a multi-line error chain: the bench is run from scripts that read its last lines.

use std::process::ExitCode;

/// A run that could not complete.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BenchError {
    /// Flag values that contradict each other (clap checks each one alone). Exit 2.
    #[error("{0}")]
    Usage(String),
    /// The endpoint is unreachable, is not JSON-RPC, or is not the expected chain. Exit 2.
    #[error("{0}")]
    Endpoint(String),
    /// The run itself failed (funding not included, a report that cannot be written). Exit 1.
    #[error(transparent)]
    Run(#[from] anyhow::Error),
}

impl BenchError {
    /// The process exit status: 2 for what the user must fix in the command line or the
    /// endpoint (as clap uses for bad flags), 1 otherwise.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            BenchError::Usage(_) | BenchError::Endpoint(_) => ExitCode::from(2),
            BenchError::Run(_) => ExitCode::FAILURE,
        }
    }

    /// The error as one line: an anyhow chain joined with `: `, embedded newlines removed.
    pub(crate) fn one_line(&self) -> String {
        let text = match self {
            BenchError::Run(e) => format!("{e:#}"),
            other => other.to_string(),
        };
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}
