//! A root supervisor built from a list of child specs.
//!
//! ractor does not restart children by itself: this supervisor spawns each child linked to itself,
//! handles `ActorFailed` and `ActorTerminated` in one path, respawns the child from its spec (the
//! child rebuilds its state from redb in `pre_start`), counts restarts per child in a window, and
//! past a child's budget records the reason in [`SupervisorStatus`] and stops everything. The
//! binary turns that into a clean exit with the reason.
//!
//! The composition root (`rollupd`) owns the list; adding an actor means writing its `spec`
//! function and adding it to that list. Children are started in list order and stopped in reverse
//! order (so the sealer stops before the pool it takes from).

use crate::ActorSlot;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SpawnErr, SupervisionEvent};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a spawn function returns: the new child's cell.
pub type SpawnFuture = Pin<Box<dyn Future<Output = Result<ActorCell, SpawnErr>> + Send>>;

/// How a child is started (again): given the supervisor's cell, spawn the actor linked to it
/// from persisted state, record its reference wherever callers look it up, and return its cell.
pub type SpawnFn = Arc<dyn Fn(ActorCell) -> SpawnFuture + Send + Sync>;

/// How many restarts of one child are tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartBudget {
    /// Most restarts within `window`.
    pub max_restarts: u32,
    /// The window.
    pub window: Duration,
}

/// One child of the supervisor.
#[derive(Clone)]
pub struct ChildSpec {
    /// Name in logs and errors (`pool`, `sealer`, `batcher`, ...).
    pub name: String,
    /// How to spawn it from persisted state.
    pub spawn: SpawnFn,
    /// Its restart budget.
    pub budget: RestartBudget,
}

impl std::fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildSpec").field("name", &self.name).field("budget", &self.budget).finish()
    }
}

impl ChildSpec {
    /// The usual child: spawns `actor` linked to the supervisor from a clone of `args` each time
    /// (the actor rebuilds its state from redb in `pre_start`), and records the running
    /// reference in `slot`, if given: cleared when a respawn begins, set once it runs.
    pub fn actor<A>(
        name: impl Into<String>,
        budget: RestartBudget,
        actor: A,
        args: A::Arguments,
        slot: Option<ActorSlot<A::Msg>>,
    ) -> Self
    where
        A: Actor + Clone,
        A::Arguments: Clone + Sync,
    {
        Self::new(name, budget, move |supervisor| {
            let (actor, args, slot) = (actor.clone(), args.clone(), slot.clone());
            async move {
                if let Some(slot) = &slot {
                    slot.set(None);
                }
                let (r, _) = Actor::spawn_linked(None, actor, args, supervisor).await?;
                if let Some(slot) = &slot {
                    slot.set(Some(r.clone()));
                }
                Ok(r.get_cell())
            }
        })
    }

    /// The same spec under another name (several children of one kind: `prover_0`, `prover_1`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// A spec from an async spawn function (for a child that does more than spawn, e.g. wakes
    /// a peer once it runs).
    pub fn new<F, Fut>(name: impl Into<String>, budget: RestartBudget, spawn: F) -> Self
    where
        F: Fn(ActorCell) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ActorCell, SpawnErr>> + Send + 'static,
    {
        Self { name: name.into(), spawn: Arc::new(move |cell| Box::pin(spawn(cell))), budget }
    }
}

/// What the supervisor shares with the rest of the node: why it stopped, whether a clean stop
/// is under way, how many restarts it made.
#[derive(Debug, Default)]
pub struct SupervisorStatus {
    fatal: Mutex<Option<String>>,
    stopping: AtomicBool,
    /// Restarts since start (all children).
    pub restarts: AtomicU64,
}

impl SupervisorStatus {
    /// Why the supervisor stopped, if it stopped on an error (a restart budget exhausted).
    pub fn fatal(&self) -> Option<String> {
        self.fatal.lock().ok().and_then(|g| g.clone())
    }

    fn set_fatal(&self, why: String) {
        if let Ok(mut g) = self.fatal.lock() {
            g.get_or_insert(why);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether the supervisor is stopping (crashes are then not restarted).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// Messages of the supervisor.
#[derive(Debug)]
pub enum SupervisorMsg {
    /// Stop the children in reverse order, then the supervisor itself.
    Shutdown(ractor::RpcReplyPort<()>),
}

/// Reference to a running supervisor.
pub type SupervisorRef = ActorRef<SupervisorMsg>;

/// The root supervisor.
#[derive(Debug)]
pub struct Supervisor;

/// What the supervisor starts from.
#[derive(Debug)]
pub struct SupervisorArgs {
    /// Name in logs (`l1`, `l2`).
    pub name: String,
    /// The children, in start order.
    pub children: Vec<ChildSpec>,
    /// Shared status.
    pub status: Arc<SupervisorStatus>,
}

struct Running {
    spec: ChildSpec,
    cell: Option<ActorCell>,
    restarts: VecDeque<Instant>,
}

/// The supervisor's state.
pub struct SupervisorState {
    name: String,
    children: Vec<Running>,
    status: Arc<SupervisorStatus>,
}

impl std::fmt::Debug for SupervisorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisorState").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Starts the supervisor and its children.
    pub async fn start(
        args: SupervisorArgs,
    ) -> Result<(SupervisorRef, tokio::task::JoinHandle<()>), SpawnErr> {
        Actor::spawn(None, Supervisor, args).await
    }
}

async fn stop_all(children: &mut [Running]) {
    for c in children.iter_mut().rev() {
        if let Some(cell) = c.cell.take() {
            let _ =
                cell.stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(30))).await;
        }
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = SupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<SupervisorMsg>,
        args: SupervisorArgs,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        let mut children = Vec::with_capacity(args.children.len());
        for spec in args.children {
            let cell = (spec.spawn)(myself.get_cell()).await?;
            tracing::debug!(target: "rollup::supervisor", chain = %args.name, child = %spec.name, "started");
            children.push(Running { spec, cell: Some(cell), restarts: VecDeque::new() });
        }
        Ok(SupervisorState { name: args.name, children, status: args.status })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        msg: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SupervisorMsg::Shutdown(reply) => {
                state.status.stopping.store(true, Ordering::SeqCst);
                stop_all(&mut state.children).await;
                let _ = reply.send(());
                myself.stop(Some("shutdown".into()));
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, why) = match &event {
            SupervisionEvent::ActorFailed(cell, err) => (cell.clone(), format!("failed: {err}")),
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                (cell.clone(), format!("stopped: {}", reason.as_deref().unwrap_or("no reason")))
            }
            _ => return Ok(()),
        };
        if state.status.is_stopping() {
            return Ok(());
        }
        let id = cell.get_id();
        let Some(i) =
            state.children.iter().position(|c| c.cell.as_ref().is_some_and(|c| c.get_id() == id))
        else {
            return Ok(());
        };
        let name = state.name.clone();
        let child = state.children[i].spec.name.clone();
        tracing::error!(target: "rollup::supervisor", chain = %name, %child, why, "actor down");
        state.children[i].cell = None;
        let budget = state.children[i].spec.budget;
        let now = Instant::now();
        let times = &mut state.children[i].restarts;
        while times.front().is_some_and(|t| now.duration_since(*t) > budget.window) {
            times.pop_front();
        }
        if times.len() as u32 >= budget.max_restarts {
            let reason = format!(
                "{name} {child} actor exceeded its restart budget ({} in {}s); last: {why}",
                budget.max_restarts,
                budget.window.as_secs()
            );
            tracing::error!(target: "rollup::supervisor", chain = %name, reason, "stopping");
            state.status.set_fatal(reason.clone());
            for c in state.children.iter_mut().rev() {
                if let Some(cell) = c.cell.take() {
                    cell.stop(None);
                }
            }
            myself.stop(Some(reason));
            return Ok(());
        }
        times.push_back(now);
        state.status.restarts.fetch_add(1, Ordering::Relaxed);
        match (state.children[i].spec.spawn)(myself.get_cell()).await {
            Ok(cell) => {
                state.children[i].cell = Some(cell);
                tracing::info!(target: "rollup::supervisor", chain = %name, %child, "restarted");
            }
            Err(e) => {
                let reason = format!("{name} {child} actor could not restart: {e}");
                state.status.set_fatal(reason.clone());
                stop_all(&mut state.children).await;
                myself.stop(Some(reason));
            }
        }
        Ok(())
    }
}
