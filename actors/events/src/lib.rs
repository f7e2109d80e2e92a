//! Typed wake-up events between rollupd actors.
//!
//! An event says "something with this sequence number is now durable": a sealed L2 block, a
//! sealed L1 batch, a batch applied to the state tree, a proven chunk, a confirmed L1 step. It
//! never carries the data itself: the receiver reads that from redb, starting from its own
//! persisted cursor. So an event that is repeated, late, or lost around a restart is harmless:
//! after any wake-up (or a timer) an actor simply catches up from its cursor to what is stored.
//!
//! The bus is a broadcast channel. A subscriber that falls behind loses old events
//! ([`tokio::sync::broadcast::error::RecvError::Lagged`]) and should treat that as a wake-up.
//! The bus also carries the [`fault`] points a crash test arms for the actors that share it.

use tokio::sync::broadcast;

pub mod fault;

/// Which L1 step of a batch an [`Event::L1Confirmed`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum L1Step {
    /// `commitBatches`.
    Commit,
    /// `proveBatches`.
    Prove,
    /// `executeBatches`.
    Execute,
}

impl L1Step {
    /// All steps, in pipeline order.
    pub const ALL: [L1Step; 3] = [L1Step::Commit, L1Step::Prove, L1Step::Execute];

    /// The step's name in logs, metrics and RPC.
    pub fn name(self) -> &'static str {
        match self {
            L1Step::Commit => "commit",
            L1Step::Prove => "prove",
            L1Step::Execute => "execute",
        }
    }
}

/// A wake-up: the thing with this sequence number is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// L2 block `number` is sealed and stored.
    BlockSealed {
        /// The block number.
        number: u64,
    },
    /// L1 batch `number` is sealed (its blocks and pubdata are stored).
    BatchSealed {
        /// The batch number.
        number: u64,
    },
    /// Batch `number`'s state diff is applied to the tree and its commitments are recorded.
    TreeApplied {
        /// The batch number.
        number: u64,
    },
    /// A chunk proof of batch `batch` is stored.
    ChunkProven {
        /// The batch number.
        batch: u64,
        /// The job id (the tree version the chunk leads to).
        job: u64,
    },
    /// Priority requests read from L1 are stored, up to serial id `next - 1`.
    PriorityOpsAdded {
        /// The serial id after the last stored request.
        next: u64,
    },
    /// Batches up to `last` are confirmed on L1 for `step`.
    L1Confirmed {
        /// The step.
        step: L1Step,
        /// The last batch it covers.
        last: u64,
    },
}

/// The event bus of one node: clone it freely.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
    faults: fault::Faults,
}

/// A task turning bus events into wake-ups ([`EventBus::wake_on`]); dropping it stops the task.
#[derive(Debug)]
pub struct Listener(tokio::task::JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus that keeps the last 4,096 events for slow subscribers.
    pub fn new() -> Self {
        Self { tx: broadcast::channel(4096).0, faults: fault::Faults::default() }
    }

    /// The fault points of the actors on this bus (empty outside crash tests).
    pub fn faults(&self) -> &fault::Faults {
        &self.faults
    }

    /// Marks fault point `point` (see [`fault`]); nothing happens unless a test armed it.
    #[inline(always)]
    pub fn fault(&self, point: fault::Point) {
        self.faults.reach(point);
    }

    /// How many subscriptions are open.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Announces an event (after the thing it names is durable). No subscriber is not an error.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// A new subscription, seeing events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Calls `wake` for every event `wanted` accepts, and after a lag (events were missed, so
    /// the receiver must look anyway), until `wake` returns false, the bus closes or the
    /// returned [`Listener`] is dropped. This is how an actor turns the bus into wake-up messages.
    pub fn wake_on(
        &self,
        wanted: impl Fn(&Event) -> bool + Send + 'static,
        wake: impl Fn() -> bool + Send + 'static,
    ) -> Listener {
        let mut rx = self.subscribe();
        Listener(tokio::spawn(async move {
            loop {
                let go = match rx.recv().await {
                    Ok(e) => wanted(&e),
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if go && !wake() {
                    return;
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lagging_subscriber_learns_that_it_lagged() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        for n in 0..5000 {
            bus.publish(Event::BlockSealed { number: n });
        }
        assert!(matches!(rx.recv().await, Err(broadcast::error::RecvError::Lagged(_))));
        // After the lag the newest events are still there.
        assert!(matches!(rx.recv().await, Ok(Event::BlockSealed { .. })));
    }

    #[tokio::test]
    async fn wake_on_calls_back_for_wanted_events_only() {
        let bus = EventBus::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let h =
            bus.wake_on(|e| matches!(e, Event::BatchSealed { .. }), move || tx.send(()).is_ok());
        tokio::task::yield_now().await;
        bus.publish(Event::BlockSealed { number: 1 });
        bus.publish(Event::BatchSealed { number: 1 });
        rx.recv().await.unwrap();
        assert!(rx.try_recv().is_err(), "one wake-up, for the wanted event only");
        drop(h);
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        EventBus::new().publish(Event::BatchSealed { number: 1 });
    }
}
