//! Integration tests of the sequencer core.
#![allow(clippy::unwrap_used)] // test code: panics are failures

mod actors;
mod admission;
mod block;
mod history;
mod pool;
mod priority;
mod settlement;
mod state;
mod validation;
