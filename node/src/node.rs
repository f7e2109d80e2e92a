//! Starting and stopping one chain (store, genesis, supervised actors, JSON-RPC), and the
//! shared run loop of `rollupd dev` and `rollupd run`.

use crate::config::RpcConfig;
use crate::rpc::{self, RpcServer};
use alloy::primitives::{Address, U256};
use alloy::signers::local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use anyhow::Context;
use rollup_actors::chain::{unix_now, Chain, ChainConfig};
use rollup_actors::store::ChainStore;
use rollup_actors::supervisor::{Supervisor, SupervisorMsg, SupervisorRef};
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
    supervisor: SupervisorRef,
    supervisor_done: tokio::task::JoinHandle<()>,
    pub(crate) rpc: RpcServer,
}

/// Opens (or creates) the chain database at `db`, writes genesis with `alloc` if the chain is
/// new, starts the supervised actors and the JSON-RPC server.
pub(crate) async fn start_chain(
    config: ChainConfig,
    db: &Path,
    alloc: &[(Address, U256)],
    rpc_cfg: RpcConfig,
    instant_finality: bool,
) -> anyhow::Result<RunningChain> {
    let name = config.name.clone();
    let store = ChainStore::open(db).with_context(|| format!("opening {}", db.display()))?;
    let chain = Chain::new(config, store);
    let created = chain.init_genesis(alloc, unix_now()).context("writing genesis")?;
    let head = chain.store.head()?.map(|(n, _)| n).unwrap_or_default();
    tracing::info!(target: "rollup::node", chain = %name, head, resumed = !created, "chain opened");
    let (supervisor, supervisor_done) =
        Supervisor::start(chain.clone()).await.context("starting the actors")?;
    let rpc = rpc::start(chain.clone(), rpc_cfg, instant_finality).await?;
    Ok(RunningChain { chain, supervisor, supervisor_done, rpc })
}

impl RunningChain {
    /// Stops the RPC server, then the sealer and the pool (which answers what it admitted).
    pub(crate) async fn stop(self) {
        let _ = self.rpc.handle.stop();
        self.rpc.handle.stopped().await;
        let _ = self.supervisor.call(SupervisorMsg::Shutdown, Some(Duration::from_secs(60))).await;
        let _ = self.supervisor_done.await;
    }

    /// Whether the supervisor has stopped (it only does so on its own when its budget is spent).
    pub(crate) fn is_down(&self) -> bool {
        self.supervisor_done.is_finished()
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
                if let Some(down) = chains.iter().find(|c| c.is_down()) {
                    break Some(down.chain.fatal().unwrap_or_else(|| format!("the {} chain stopped", down.chain.config.name)));
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
