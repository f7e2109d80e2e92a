//! Starting and stopping one chain (store, genesis, supervised actors, JSON-RPC), and the
//! shared run loop of `rollupd dev` and `rollupd run`.

use crate::config::RpcConfig;
use crate::metrics::ChainMetrics;
use crate::rpc::{self, ChainView, RpcServer, SettlementView};
use alloy::primitives::{Address, U256};
use alloy::signers::local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use anyhow::Context;
use rollup_actors::events::EventBus;
use rollup_actors::sequencer::chain::{
    init_genesis, unix_now, AdmittedFeed, BlockFeed, ChainConfig,
};
use rollup_actors::sequencer::protocol::CoreSlots;
use rollup_actors::storage::chain::{ChainStore, ChainWriters};
use rollup_supervision::{
    ChildSpec, Supervisor, SupervisorArgs, SupervisorMsg, SupervisorRef, SupervisorStatus,
};
use std::future::Future;
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
    pub(crate) chain: OpenChain,
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

/// A chain opened from its database, before its actors start: the plain bundle of its parts,
/// which the supervision lists (`trees.rs`) and the RPC split into narrow handles.
#[derive(Debug, Clone)]
pub(crate) struct OpenChain {
    /// Execution, admission and block parameters.
    pub(crate) config: Arc<ChainConfig>,
    /// Blocks and state (read-only: [`open_chain`] hands the writers to their owners).
    pub(crate) store: ChainStore,
    /// Sealed blocks, for the RPC's subscriptions.
    pub(crate) blocks: BlockFeed,
    /// Admitted transactions, for the RPC's pending-transaction feeds.
    pub(crate) admitted: AdmittedFeed,
    /// Where the pool and the sealer are found.
    pub(crate) slots: CoreSlots,
    /// The actors' wake-ups (and fault points).
    pub(crate) events: EventBus,
    /// What the metrics endpoint reads.
    pub(crate) metrics: ChainMetrics,
}

/// Opens (or creates) the chain database at `db` and writes genesis with `alloc` if it is new;
/// returns the chain and the writers of its tables, for their owners.
pub(crate) fn open_chain(
    config: ChainConfig,
    db: &Path,
    alloc: &[(Address, U256)],
) -> anyhow::Result<(OpenChain, ChainWriters)> {
    let name = config.name.clone();
    let (store, writers) =
        ChainStore::open(db).with_context(|| format!("opening {}", db.display()))?;
    let created =
        init_genesis(&config, &writers.blocks, alloc, unix_now()).context("writing genesis")?;
    let head = store.head()?.map(|(n, _)| n).unwrap_or_default();
    tracing::info!(target: "rollup::node", chain = %name, head, resumed = !created, "chain opened");
    let chain = OpenChain {
        metrics: ChainMetrics::new(&config.name, store.clone()),
        config: Arc::new(config),
        store,
        blocks: BlockFeed::default(),
        admitted: AdmittedFeed::default(),
        slots: CoreSlots::default(),
        events: EventBus::new(),
    };
    Ok((chain, writers))
}

impl OpenChain {
    /// What the RPC reads of this chain.
    pub(crate) fn view(&self) -> ChainView {
        ChainView {
            config: self.config.clone(),
            store: self.store.clone(),
            blocks: self.blocks.clone(),
            admitted: self.admitted.clone(),
            pool: self.slots.pool.clone(),
        }
    }
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

/// Starts the chain's supervision tree over `children` (its list from `trees.rs`) and its
/// JSON-RPC server, whose threads run at nice `rpc_nice`.
pub(crate) async fn start_chain(
    open: &OpenChain,
    children: Vec<ChildSpec>,
    rpc_cfg: RpcConfig,
    instant_finality: bool,
    settlement: Option<SettlementView>,
    rpc_nice: i32,
) -> anyhow::Result<RunningChain> {
    let status = open.metrics.status.clone();
    let started = supervise(&open.config.name, children, status).await?;
    let rpc = rpc::start(open.view(), rpc_cfg, instant_finality, settlement, rpc_nice).await?;
    Ok(RunningChain {
        chain: open.clone(),
        supervisors: Arc::new(std::sync::Mutex::new(vec![started])),
        rpc,
    })
}

impl RunningChain {
    /// Starts a second supervision tree `name` beside the chain's once `children` resolves (the
    /// prover side, once the keys are loaded); `None` starts nothing. It stops with the chain.
    pub(crate) fn supervise_later(
        &self,
        name: &'static str,
        children: impl Future<Output = Option<Vec<ChildSpec>>> + Send + 'static,
    ) {
        let supervisors = self.supervisors.clone();
        tokio::spawn(async move {
            let Some(children) = children.await else { return };
            let status = Arc::new(SupervisorStatus::default());
            let count = children.len();
            match supervise(name, children, status).await {
                Ok(started) => {
                    if let Ok(mut g) = supervisors.lock() {
                        g.push(started);
                    }
                    tracing::info!(target: "rollup::node", tree = name, children = count, "supervision tree started");
                }
                Err(e) => {
                    tracing::error!(target: "rollup::node", tree = name, error = %format!("{e:#}"), "starting a supervision tree failed")
                }
            }
        });
    }

    /// Stops the RPC server, then every supervisor, newest first (its children in reverse order).
    pub(crate) async fn stop(self) {
        let _ = self.rpc.handle.stop();
        // Open connections finish their requests; one that cannot (a client that reads nothing)
        // fails at the write timeout, but the node never waits longer than this to stop.
        if tokio::time::timeout(Duration::from_secs(30), self.rpc.handle.clone().stopped())
            .await
            .is_err()
        {
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
