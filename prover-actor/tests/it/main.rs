//! Integration tests of the proof system.
#![allow(clippy::unwrap_used)] // test code: panics are failures

mod circuit;
mod exchange;
mod gadgets;
mod gateway;
mod proving;
mod support;
mod verifier;
