//! Integration tests of the bindings against a real anvil (from the project's npm tools).
#![allow(clippy::unwrap_used, clippy::type_complexity)] // test code: panics are failures

mod support;

mod admin;
mod batch_twin;
mod cost;
mod deploy;
mod mailbox;
mod pipeline;
