//! Where the current reference of a restartable actor is kept.
//!
//! A crashed actor is respawned with a new reference. Its child spec clears the slot when the
//! respawn begins and writes the new reference once the actor runs; a caller (another actor,
//! the RPC, the prover gateway) looks the slot up at each use, so it follows restarts. Between
//! a crash and the respawn the slot still holds the dead reference: a call to it fails, and the
//! caller retries as it would for `None`.

use ractor::ActorRef;
use std::sync::{Arc, RwLock};

/// Where the current reference of a (restartable) actor is kept. Clones share the slot.
#[derive(Debug)]
pub struct ActorSlot<M: Send + 'static>(Arc<RwLock<Option<ActorRef<M>>>>);

impl<M: Send + 'static> Clone for ActorSlot<M> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M: Send + 'static> Default for ActorSlot<M> {
    fn default() -> Self {
        Self(Arc::new(RwLock::new(None)))
    }
}

impl<M: Send + 'static> ActorSlot<M> {
    /// A slot that always holds `actor` (an actor nobody restarts, e.g. in a test).
    pub fn fixed(actor: ActorRef<M>) -> Self {
        Self(Arc::new(RwLock::new(Some(actor))))
    }

    /// The running actor, if any.
    pub fn get(&self) -> Option<ActorRef<M>> {
        self.0.read().ok().and_then(|g| g.clone())
    }

    /// Records the running actor (or that there is none).
    pub fn set(&self, r: Option<ActorRef<M>>) {
        if let Ok(mut g) = self.0.write() {
            *g = r;
        }
    }
}
