//! Tests of the `rollup-bench` binary as a user runs it: against real `rollupd dev` and anvil
//! processes, on a pseudo-terminal and a pipe, with bad flags and bad endpoints.
#![allow(clippy::unwrap_used, unreachable_pub)] // test code: panics are failures

mod bridge;
mod cli;
mod contracts;
mod progress;
mod report;
mod scenarios;
mod support;
