//! Fault points for crash tests: the one way a test makes an actor stop or panic in the middle
//! of its work.
//!
//! Every point is a [`Point`]; an actor marks it with [`Faults::reach`] on the [`Faults`] of its
//! event bus ([`crate::EventBus::faults`]). Two ways to arm a point, both test-only (feature
//! `test-utils`; `cargo test` of the workspace turns it on, a release build of `rollupd` does
//! not have it, and [`Faults::reach`] is then an empty inline function):
//! - in process, [`Faults::arm`] on the bus of the chain under test: the next time an actor of
//!   that bus reaches the point, it does the action (once per arming);
//! - in a real process, the environment variable `ROLLUPD_FAULTS` lists `point=action` pairs
//!   separated by commas (`batch_sealed=pause`): the first time the process reaches the point.
//!
//! Actions: [`Action::Panic`] panics there (the actor's supervisor restarts it);
//! [`Action::Pause`] prints `fault point <name> reached` to stderr and parks the calling thread
//! for ever, so a test can `kill -9` the process at exactly that state; [`Action::Fire`] makes
//! [`Faults::fires`] answer `true` once, for points that inject a misbehaviour rather than a
//! crash (a transaction signed with too little gas).

/// The places where a crash test can stop or panic an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Point {
    /// The pool holds admitted but not yet persisted transactions.
    PoolBeforeFlush,
    /// The pool persisted admitted transactions, before answering them and waking the sealer.
    PoolAfterFlush,
    /// The sealer built a block, before committing it.
    SealerBeforeCommit,
    /// The sealer committed a block, before telling the pool.
    SealerAfterCommit,
    /// The batcher was woken.
    Batcher,
    /// A batch is committed to redb, not announced.
    BatchSealed,
    /// The tree writer is about to apply a batch.
    TreeWriterBeforeApply,
    /// The tree writer applied a batch to the tree, before recording it.
    TreeWriterAfterApply,
    /// A tree result is stored, not announced.
    TreeApplied,
    /// The exchange received a proof submission.
    Exchange,
    /// A proof is accepted and stored, not announced.
    ProofStored,
    /// The eth sender was woken.
    EthSender,
    /// An L1 transaction is recorded, not sent.
    L1TxRecorded,
    /// An L1 transaction is sent, not seen mined.
    L1TxSent,
    /// The eth watcher starts a scan.
    EthWatcher,
    /// The eth sender signs its next prove transaction with half the gas it estimated, so that
    /// it is mined and runs out of gas (armed with [`Action::Fire`]).
    L1GasShort,
}

impl Point {
    /// Every point.
    pub const ALL: [Point; 16] = [
        Point::PoolBeforeFlush,
        Point::PoolAfterFlush,
        Point::SealerBeforeCommit,
        Point::SealerAfterCommit,
        Point::Batcher,
        Point::BatchSealed,
        Point::TreeWriterBeforeApply,
        Point::TreeWriterAfterApply,
        Point::TreeApplied,
        Point::Exchange,
        Point::ProofStored,
        Point::EthSender,
        Point::L1TxRecorded,
        Point::L1TxSent,
        Point::EthWatcher,
        Point::L1GasShort,
    ];

    /// The point's name in `ROLLUPD_FAULTS` and in the message a paused point prints.
    pub fn name(self) -> &'static str {
        match self {
            Point::PoolBeforeFlush => "pool_before_flush",
            Point::PoolAfterFlush => "pool_after_flush",
            Point::SealerBeforeCommit => "sealer_before_commit",
            Point::SealerAfterCommit => "sealer_after_commit",
            Point::Batcher => "batcher",
            Point::BatchSealed => "batch_sealed",
            Point::TreeWriterBeforeApply => "tree_writer_before_apply",
            Point::TreeWriterAfterApply => "tree_writer_after_apply",
            Point::TreeApplied => "tree_applied",
            Point::Exchange => "exchange",
            Point::ProofStored => "proof_stored",
            Point::EthSender => "eth_sender",
            Point::L1TxRecorded => "l1_tx_recorded",
            Point::L1TxSent => "l1_tx_sent",
            Point::EthWatcher => "eth_watcher",
            Point::L1GasShort => "l1_gas_short",
        }
    }
}

/// What an armed point does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Panic (the actor's supervisor restarts it).
    Panic,
    /// Print `fault point <name> reached` and park the thread for ever (for `kill -9`).
    Pause,
    /// Make [`Faults::fires`] answer `true` (once); reaching the point does nothing else.
    Fire,
}

impl Action {
    /// Parses `panic` or `pause`.
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "panic" => Some(Action::Panic),
            "pause" => Some(Action::Pause),
            "fire" => Some(Action::Fire),
            _ => None,
        }
    }
}

/// The fault points armed for one event bus (its clones share them). Empty and free in a build
/// without the `test-utils` feature.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    #[cfg(feature = "test-utils")]
    armed: std::sync::Arc<std::sync::Mutex<Vec<(Point, Action)>>>,
}

impl Faults {
    /// Marks a point an actor reaches: does nothing unless a test armed it.
    #[cfg(not(feature = "test-utils"))]
    #[inline(always)]
    pub fn reach(&self, _point: Point) {}

    /// Marks a point an actor reaches: does nothing unless a test armed it.
    #[cfg(feature = "test-utils")]
    pub fn reach(&self, point: Point) {
        let armed = {
            let mut g = self.armed.lock().unwrap_or_else(|p| p.into_inner());
            g.iter().position(|(p, a)| *p == point && *a != Action::Fire).map(|i| g.remove(i).1)
        };
        if let Some(action) = armed.or_else(|| from_env(point)) {
            act(point, action);
        }
    }

    /// Whether a misbehaviour point is armed with [`Action::Fire`] (consumed: `true` once per
    /// arming). Always `false` without the `test-utils` feature.
    #[cfg(not(feature = "test-utils"))]
    #[inline(always)]
    pub fn fires(&self, _point: Point) -> bool {
        false
    }

    /// Whether a misbehaviour point is armed with [`Action::Fire`] (consumed: `true` once per
    /// arming, or the first time the process asks when `ROLLUPD_FAULTS` names it).
    #[cfg(feature = "test-utils")]
    pub fn fires(&self, point: Point) -> bool {
        let armed = {
            let mut g = self.armed.lock().unwrap_or_else(|p| p.into_inner());
            g.iter().position(|(p, a)| *p == point && *a == Action::Fire).map(|i| g.remove(i).1)
        };
        let fired = armed.or_else(|| from_env(point)) == Some(Action::Fire);
        if fired {
            eprintln!("fault point {} reached: fire", point.name());
        }
        fired
    }

    /// Arms `point`: the next time an actor of this bus reaches it, it does `action`.
    #[cfg(feature = "test-utils")]
    pub fn arm(&self, point: Point, action: Action) {
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).push((point, action));
    }
}

/// The action `ROLLUPD_FAULTS` names for `point`, the first time this process reaches it.
#[cfg(feature = "test-utils")]
fn from_env(point: Point) -> Option<Action> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    // (point, its action, or the action's text when it is not one).
    type Spec = Vec<(Point, Result<Action, String>)>;
    static SPEC: OnceLock<Spec> = OnceLock::new();
    static FIRED: Mutex<Option<HashSet<Point>>> = Mutex::new(None);
    let spec = SPEC.get_or_init(|| {
        let text = std::env::var("ROLLUPD_FAULTS").unwrap_or_default();
        // A name that is no point is ignored (it can never be reached).
        text.split(',')
            .filter_map(|p| p.split_once('='))
            .filter_map(|(k, v)| {
                let point = Point::ALL.into_iter().find(|p| p.name() == k.trim())?;
                Some((point, Action::parse(v.trim()).ok_or_else(|| v.trim().to_string())))
            })
            .collect()
    });
    let action = spec.iter().find(|(p, _)| *p == point)?.1.clone();
    let mut fired = FIRED.lock().unwrap_or_else(|p| p.into_inner());
    if !fired.get_or_insert_with(HashSet::new).insert(point) {
        return None;
    }
    match action {
        Ok(a) => Some(a),
        Err(other) => panic!("ROLLUPD_FAULTS: unknown action {other:?} for {}", point.name()),
    }
}

#[cfg(feature = "test-utils")]
fn act(point: Point, action: Action) {
    let name = point.name();
    match action {
        Action::Panic => {
            eprintln!("fault point {name} reached: panic");
            panic!("injected fault at {name}")
        }
        Action::Pause => {
            eprintln!("fault point {name} reached: pause");
            loop {
                std::thread::park();
            }
        }
        Action::Fire => {}
    }
}

#[cfg(all(test, feature = "test-utils"))]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let names: std::collections::HashSet<_> = Point::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), Point::ALL.len());
    }

    #[test]
    fn an_armed_point_fires_once_and_only_on_its_bus() {
        let (a, b) = (Faults::default(), Faults::default());
        a.arm(Point::Batcher, Action::Panic);
        b.reach(Point::Batcher);
        let first = std::panic::catch_unwind(|| a.reach(Point::Batcher));
        assert!(first.is_err(), "the armed point panics");
        a.reach(Point::Batcher);
    }

    #[test]
    fn a_fire_point_answers_true_once() {
        let f = Faults::default();
        assert!(!f.fires(Point::L1GasShort));
        f.arm(Point::L1GasShort, Action::Fire);
        f.reach(Point::L1GasShort);
        assert!(f.fires(Point::L1GasShort), "reaching does not consume it");
        assert!(!f.fires(Point::L1GasShort), "once");
        assert_eq!(Action::parse("fire"), Some(Action::Fire));
    }
}
