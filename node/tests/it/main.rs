//! Tests of the `rollupd` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::type_complexity)] // test code: panics are failures

mod bridge;
mod chaos;
mod crash;
mod deploy;
mod hostile_settlement;
mod l1_faults;
mod prover;
mod rpc;
mod run_cmd;
mod settle;
mod support;
