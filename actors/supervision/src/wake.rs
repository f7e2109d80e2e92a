//! The wake-ups of an actor that catches up from a persisted cursor.
//!
//! Such an actor does the same thing whatever woke it: it reads from redb what is stored after
//! its cursor. So it is woken once at start, by every event of the bus it cares about (and after
//! a lag, when events were missed), and by a timer that covers events lost around a restart.
//! [`wake_on`] sets the three up; the [`Wakeups`] it returns stops them when dropped, so an actor
//! keeps it in its state and needs no `post_stop`.

use ractor::{ActorRef, Message, MessagingErr};
use rollup_events::{Event, EventBus, Listener};
use std::time::Duration;

/// The running wake-ups of one actor; dropping it stops them.
#[derive(Debug)]
pub struct Wakeups {
    _listener: Listener,
    timer: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.abort();
        }
    }
}

/// Sends `make()` to `myself` now, for every event `wanted` accepts (or after a lag), and every
/// `every` if given.
pub fn wake_on<M: Message>(
    myself: &ActorRef<M>,
    events: &EventBus,
    wanted: impl Fn(&Event) -> bool + Send + 'static,
    every: Option<Duration>,
    make: fn() -> M,
) -> Result<Wakeups, MessagingErr<M>> {
    let me = myself.clone();
    let listener = events.wake_on(wanted, move || me.send_message(make()).is_ok());
    let timer = every.map(|period| myself.send_interval(period, make));
    myself.send_message(make())?;
    Ok(Wakeups { _listener: listener, timer })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ractor::{Actor, ActorProcessingErr};
    use tokio::sync::mpsc;

    struct Counter;

    impl Actor for Counter {
        type Msg = ();
        type State = (mpsc::UnboundedSender<()>, Option<Wakeups>);
        type Arguments = (mpsc::UnboundedSender<()>, EventBus);

        async fn pre_start(
            &self,
            myself: ActorRef<()>,
            (tx, bus): Self::Arguments,
        ) -> Result<Self::State, ActorProcessingErr> {
            let w =
                wake_on(&myself, &bus, |e| matches!(e, Event::BatchSealed { .. }), None, || ())?;
            Ok((tx, Some(w)))
        }

        async fn handle(
            &self,
            _myself: ActorRef<()>,
            _msg: (),
            state: &mut Self::State,
        ) -> Result<(), ActorProcessingErr> {
            let _ = state.0.send(());
            Ok(())
        }
    }

    #[tokio::test]
    async fn wakes_at_start_and_on_wanted_events_and_stops_with_the_actor() {
        let bus = EventBus::new();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (actor, done) = Actor::spawn(None, Counter, (tx, bus.clone())).await.unwrap();
        rx.recv().await.expect("woken at start");
        tokio::task::yield_now().await;
        bus.publish(Event::BlockSealed { number: 1 });
        bus.publish(Event::BatchSealed { number: 1 });
        rx.recv().await.expect("woken by the wanted event");
        assert!(rx.try_recv().is_err(), "not by the other one");
        actor.stop(None);
        done.await.unwrap();
        // The listener was dropped with the actor's state: nobody is subscribed any more.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while bus.subscribers() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(bus.subscribers(), 0);
    }
}
