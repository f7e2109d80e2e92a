//! Starting and stopping one chain (store, genesis, supervised actors, JSON-RPC), and the
//! shared run loop of `rollupd dev` and `rollupd run`.

use crate::config::RpcConfig;
use crate::rpc::SettlementView;
use crate::rpc::{self, RpcServer};
use alloy::primitives::{Address, U256};
use alloy::signers::local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use anyhow::Context;
use rollup_actors::chain::{unix_now, Chain, ChainConfig};
use rollup_actors::events::EventBus;
use rollup_actors::protocol::CoreSlots;
use rollup_actors::store::ChainStore;
use rollup_actors::supervision::{
    ChildSpec, Supervisor, SupervisorArgs, SupervisorMsg, SupervisorRef, SupervisorStatus,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The test mnemonic every Ethereum dev tool uses (anvil, hardhat, Era's local setup).
pub(crate) const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// How many dev accounts are derived and funded.
pub(crate) const DEV_ACCOUNTS: u32 = 10;
/// Balance of each dev account on both chains: 10,000 ETH.
pub(crate) fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// The dev accounts (`m/44'/60'/0'/0/i`).
pub(crate) fn dev_signers() -> anyhow::Result<Vec<PrivateKeySigner>> {
    (0..DEV_ACCOUNTS)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)
                .context("deriving dev account")?
                .build()
                .context("deriving dev account")
        })
        .collect()
}

/// A started chain.
#[derive(Debug)]
pub(crate) struct RunningChain {
    pub(crate) chain: Arc<Chain>,
    supervisors: Arc<std::sync::Mutex<Vec<Started>>>,
    pub(crate) rpc: RpcServer,
}

/// One started supervisor.
#[derive(Debug)]
pub(crate) struct Started {
    supervisor: SupervisorRef,
    done: tokio::task::JoinHandle<()>,
    status: Arc<SupervisorStatus>,
}

/// A chain opened from its database, before its actors start.
#[derive(Debug, Clone)]
pub(crate) struct OpenChain {
    pub(crate) chain: Arc<Chain>,
    pub(crate) slots: CoreSlots,
    pub(crate) events: EventBus,
}

/// Opens (or creates) the chain database at `db` and writes genesis with `alloc` if it is new.
pub(crate) fn open_chain(
    config: ChainConfig,
    db: &Path,
    alloc: &[(Address, U256)],
) -> anyhow::Result<OpenChain> {
    let name = config.name.clone();
    let store = ChainStore::open(db).with_context(|| format!("opening {}", db.display()))?;
    let chain = Chain::new(config, store);
    let created = chain.init_genesis(alloc, unix_now()).context("writing genesis")?;
    let head = chain.store.head()?.map(|(n, _)| n).unwrap_or_default();
    tracing::info!(target: "rollup::node", chain = %name, head, resumed = !created, "chain opened");
    Ok(OpenChain { chain, slots: CoreSlots::default(), events: EventBus::new() })
}

/// Starts a supervisor over `children`.
pub(crate) async fn supervise(
    name: &str,
    children: Vec<ChildSpec>,
    status: Arc<SupervisorStatus>,
) -> anyhow::Result<Started> {
    let args = SupervisorArgs { name: name.to_string(), children, status: status.clone() };
    let (supervisor, done) = Supervisor::start(args).await.context("starting the actors")?;
    Ok(Started { supervisor, done, status })
}

/// Starts the chain's supervision tree (pool, sealer, then `extra`) and its JSON-RPC server.
pub(crate) async fn start_chain(
    open: &OpenChain,
    extra: Vec<ChildSpec>,
    rpc_cfg: RpcConfig,
    instant_finality: bool,
    settlement: Option<SettlementView>,
) -> anyhow::Result<RunningChain> {
    let chain = open.chain.clone();
    let mut children = vec![
        rollup_actors::pool_actor::spec(chain.clone(), open.slots.clone()),
        rollup_actors::sealer::spec(chain.clone(), open.slots.clone(), open.events.clone()),
    ];
    children.extend(extra);
    let started = supervise(&chain.config.name, children, chain.status.clone()).await?;
    let rpc =
        rpc::start(chain.clone(), rpc_cfg, instant_finality, open.slots.pool.clone(), settlement)
            .await?;
    Ok(RunningChain { chain, supervisors: Arc::new(std::sync::Mutex::new(vec![started])), rpc })
}

impl RunningChain {
    /// Registers a supervisor started later (the prover side, once keys are ready).
    pub(crate) fn adopt_handle(&self) -> Arc<std::sync::Mutex<Vec<Started>>> {
        self.supervisors.clone()
    }

    /// Stops the RPC server, then every supervisor, newest first (its children in reverse order).
    pub(crate) async fn stop(self) {
        let _ = self.rpc.handle.stop();
        // Open connections finish their requests; one that cannot (a client that reads nothing)
        // fails at the write timeout, but the node never waits longer than this to stop.
        if tokio::time::timeout(Duration::from_secs(30), self.rpc.handle.stopped()).await.is_err() {
            tracing::warn!(target: "rollup::node", "RPC connections still open after 30 s; stopping anyway");
        }
        let all: Vec<Started> =
            self.supervisors.lock().map(|mut g| g.drain(..).collect()).unwrap_or_default();
        for s in all.into_iter().rev() {
            let _ = s.supervisor.call(SupervisorMsg::Shutdown, Some(Duration::from_secs(60))).await;
            let _ = s.done.await;
        }
    }

    /// Why a supervisor stopped on its own (its budget was spent), if one did.
    pub(crate) fn down(&self) -> Option<String> {
        let g = self.supervisors.lock().ok()?;
        g.iter().find(|s| s.done.is_finished()).map(|s| {
            s.status
                .fatal()
                .unwrap_or_else(|| format!("the {} chain stopped", self.chain.config.name))
        })
    }
}

/// Waits for SIGINT, SIGTERM or a chain going down; stops every chain; returns an error if a
/// chain stopped on its own.
pub(crate) async fn run_until_stopped(chains: Vec<RunningChain>) -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let reason = loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break None,
            _ = term.recv() => break None,
            _ = tick.tick() => {
                if let Some(why) = chains.iter().find_map(|c| c.down()) {
                    break Some(why);
                }
            }
        }
    };
    tracing::info!(target: "rollup::node", "shutting down");
    for c in chains.into_iter().rev() {
        c.stop().await;
    }
    match reason {
        None => {
            tracing::info!(target: "rollup::node", "stopped cleanly");
            Ok(())
        }
        Some(why) => anyhow::bail!("{why}"),
    }
}
