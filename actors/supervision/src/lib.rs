//! How rollupd runs its actors: every actor is built the same way and supervised the same way.
//!
//! - [`supervisor`]: the restarting supervisor, built from a list of [`ChildSpec`]s. Each actor
//!   module offers `spec(args, budget) -> ChildSpec`; the composition root (`rollupd`) keeps one
//!   list per supervision tree, so adding an actor touches its own file and that list.
//! - [`slot`]: [`ActorSlot`], the one way to reach a peer that a supervisor may restart: its
//!   spec writes the new reference, callers look it up at each use.
//! - [`wake`]: the wake-ups of an actor that catches up from a persisted cursor (a message now,
//!   one per wanted event of the bus, one per period), stopped by dropping one guard.

pub mod slot;
pub mod supervisor;
pub mod wake;

pub use slot::ActorSlot;
pub use supervisor::{
    ChildSpec, RestartBudget, SpawnFn, SpawnFuture, Supervisor, SupervisorArgs, SupervisorMsg,
    SupervisorRef, SupervisorStatus,
};
pub use wake::{wake_on, Wakeups};

/// Any error, kept as a typed source (what an actor fails with, what a port between crates
/// returns): never flattened to a string.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
