//! The root supervisor of one chain: spawns the pool and the sealer linked to itself, restarts a
//! child that fails or stops unexpectedly (its state comes back from redb), and gives up after
//! `max_restarts` restarts of one child within `restart_window_secs`: it then records the reason
//! in [`Chain::fatal`] and stops, which the binary turns into a clean exit with an error.

use crate::chain::Chain;
use crate::pool_actor::PoolActor;
use crate::sealer::SealerActor;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Messages of the supervisor.
#[derive(Debug)]
pub enum SupervisorMsg {
    /// Stop the children in order (sealer, then pool) and then the supervisor itself.
    Shutdown(ractor::RpcReplyPort<()>),
}

/// Reference to a running supervisor.
pub type SupervisorRef = ActorRef<SupervisorMsg>;

/// The children, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Pool,
    Sealer,
}

/// The root supervisor.
#[derive(Debug)]
pub struct Supervisor;

/// The supervisor's state: restart times per child.
#[derive(Debug)]
pub struct SupervisorState {
    chain: Arc<Chain>,
    restarts: [VecDeque<Instant>; 2],
}

async fn spawn_child(
    chain: &Arc<Chain>,
    child: Child,
    supervisor: ActorCell,
) -> Result<(), ActorProcessingErr> {
    match child {
        Child::Pool => {
            let (r, _) = Actor::spawn_linked(None, PoolActor, chain.clone(), supervisor).await?;
            chain.set_pool(Some(r));
        }
        Child::Sealer => {
            let (r, _) = Actor::spawn_linked(None, SealerActor, chain.clone(), supervisor).await?;
            chain.set_sealer(Some(r));
        }
    }
    Ok(())
}

impl Supervisor {
    /// Starts the supervisor and its children for `chain`.
    pub async fn start(
        chain: Arc<Chain>,
    ) -> Result<(SupervisorRef, tokio::task::JoinHandle<()>), ractor::SpawnErr> {
        Actor::spawn(None, Supervisor, chain).await
    }

    fn which(state: &SupervisorState, cell: &ActorCell) -> Option<Child> {
        let id = cell.get_id();
        if state.chain.pool().is_some_and(|p| p.get_id() == id) {
            Some(Child::Pool)
        } else if state.chain.sealer().is_some_and(|s| s.get_id() == id) {
            Some(Child::Sealer)
        } else {
            None
        }
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = Arc<Chain>;

    async fn pre_start(
        &self,
        myself: ActorRef<SupervisorMsg>,
        chain: Arc<Chain>,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        spawn_child(&chain, Child::Pool, myself.get_cell()).await?;
        spawn_child(&chain, Child::Sealer, myself.get_cell()).await?;
        if let Some(pool) = chain.pool() {
            // Stuck-transaction expiry runs once a minute.
            pool.send_interval(Duration::from_secs(60), || crate::pool_actor::PoolMsg::Expire);
        }
        Ok(SupervisorState { chain, restarts: [VecDeque::new(), VecDeque::new()] })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        msg: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SupervisorMsg::Shutdown(reply) => {
                state.chain.set_stopping();
                // The sealer first, so no block is cut in half by the pool going away.
                if let Some(s) = state.chain.sealer() {
                    let _ = s
                        .stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(30)))
                        .await;
                }
                if let Some(p) = state.chain.pool() {
                    let _ = p
                        .stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(30)))
                        .await;
                }
                state.chain.set_sealer(None);
                state.chain.set_pool(None);
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
        if state.chain.is_stopping() {
            return Ok(());
        }
        let Some(child) = Self::which(state, &cell) else { return Ok(()) };
        let name = &state.chain.config.name;
        tracing::error!(target: "rollup::supervisor", chain = %name, ?child, why, "actor down");
        match child {
            Child::Pool => state.chain.set_pool(None),
            Child::Sealer => state.chain.set_sealer(None),
        }
        let window = Duration::from_secs(state.chain.config.restart_window_secs);
        let now = Instant::now();
        let times = &mut state.restarts[child as usize];
        while times.front().is_some_and(|t| now.duration_since(*t) > window) {
            times.pop_front();
        }
        if times.len() as u32 >= state.chain.config.max_restarts {
            let reason = format!(
                "{name} {child:?} actor exceeded its restart budget ({} in {}s); last: {why}",
                state.chain.config.max_restarts,
                window.as_secs()
            );
            tracing::error!(target: "rollup::supervisor", chain = %name, reason, "stopping");
            state.chain.set_fatal(reason.clone());
            state.chain.set_stopping();
            if let Some(s) = state.chain.sealer() {
                s.stop(None);
            }
            if let Some(p) = state.chain.pool() {
                p.stop(None);
            }
            myself.stop(Some(reason));
            return Ok(());
        }
        times.push_back(now);
        state.chain.metrics.restarts.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = spawn_child(&state.chain, child, myself.get_cell()).await {
            let reason = format!("{name} {child:?} actor could not restart: {e}");
            state.chain.set_fatal(reason.clone());
            state.chain.set_stopping();
            myself.stop(Some(reason));
            return Ok(());
        }
        if child == Child::Pool {
            if let Some(pool) = state.chain.pool() {
                pool.send_interval(Duration::from_secs(60), || crate::pool_actor::PoolMsg::Expire);
            }
        }
        tracing::info!(target: "rollup::supervisor", chain = %name, ?child, "restarted");
        Ok(())
    }
}
