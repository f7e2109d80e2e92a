//! `rollupd dev`: the embedded dev L1 (chain 9, instant sealing), the Diamond deployed on it
//! through `rollup-contracts`, and the L2 sequencer (chain 270), in one process. A second start
//! on the same data directory resumes both chains and keeps the deployment.
//!
//! `rollupd run`: the L2 sequencer against an external L1 named in the config.

use crate::config::NodeConfig;
use crate::metrics::ChainMetrics;
use crate::node::{
    dev_balance, dev_signers, open_chain, run_until_stopped, start_chain, RunningChain,
};
use crate::settlement::{L1Target, SettlementParts};
use alloy::network::EthereumWallet;
use alloy::primitives::{hex, Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use anyhow::{bail, Context};
use rollup_actors::settlement::backlog::BacklogGauge;
use rollup_contracts::bindings::StateDiffVerifier;
use rollup_contracts::deploy::VerifierSource;
use rollup_contracts::{DeployConfig, Deployment};
use std::path::Path;
use std::time::Duration;

/// Dev account 8: deployer and governor of the Diamond.
const GOVERNOR_INDEX: usize = 8;
/// Dev account 9: validator (commits batches) and L2 fee account.
const VALIDATOR_INDEX: usize = 9;

/// The embedded L1's JSON-RPC settings: the `[rpc]` section's (CORS, WebSocket pings, gas cap),
/// but no limit tighter than the defaults. Its clients are the node's own deployer, eth sender
/// and watcher, from loopback: the `[rpc]` limits protect the L2's endpoint, and a small
/// `rpc.max_response_body_bytes` there must not cut off the receipts and logs the node reads
/// from its L1.
pub(crate) fn dev_l1_rpc(config: &NodeConfig) -> anyhow::Result<crate::config::RpcConfig> {
    let floor = NodeConfig::load(None, Vec::new(), &[])?.rpc;
    let mut r = config.rpc.clone();
    r.addr = config.dev_l1.addr;
    r.max_request_body_bytes = r.max_request_body_bytes.max(floor.max_request_body_bytes);
    r.max_response_body_bytes = r.max_response_body_bytes.max(floor.max_response_body_bytes);
    r.max_batch_requests = r.max_batch_requests.max(floor.max_batch_requests);
    r.call_timeout_ms = r.call_timeout_ms.max(floor.call_timeout_ms);
    r.read_timeout_ms = r.read_timeout_ms.max(floor.read_timeout_ms);
    r.write_timeout_ms = r.write_timeout_ms.max(floor.write_timeout_ms);
    r.exec_threads = r.exec_threads.max(floor.exec_threads);
    r.max_queued_calls = r.max_queued_calls.max(floor.max_queued_calls);
    r.max_in_flight_per_connection =
        r.max_in_flight_per_connection.max(floor.max_in_flight_per_connection);
    r.max_logs_block_range = r.max_logs_block_range.max(floor.max_logs_block_range);
    r.max_logs = r.max_logs.max(floor.max_logs);
    r.max_connections = r.max_connections.max(floor.max_connections);
    // As many sockets from loopback as the node's clients need.
    r.max_connections_per_ip = r.max_connections;
    Ok(r)
}

async fn deploy_or_resume(
    config: &NodeConfig,
    l1_url: &str,
    alloc: &[(Address, U256)],
) -> anyhow::Result<Deployment> {
    let path = config.data_dir.join("deployment.json");
    let signers = dev_signers()?;
    let governor = signers[GOVERNOR_INDEX].clone();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(governor.clone()))
        .connect_http(l1_url.parse().context("embedded L1 URL")?);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let deployment: Deployment =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let code = provider.get_code_at(deployment.diamond_proxy).await?;
        if code.is_empty() {
            bail!(
                "{} names the Diamond at {}, but the embedded L1 has no code there; remove {} to start over",
                path.display(),
                deployment.diamond_proxy,
                config.data_dir.display()
            );
        }
        tracing::info!(target: "rollup::dev", diamond = %deployment.diamond_proxy, "resuming the existing deployment");
        return Ok(deployment);
    }
    // The Groth16 verifier generated from the dev keys (seed `rollup_prover::keys::DEV_SEED`):
    // real verification, but anyone can forge proofs for these public keys.
    let verifier = StateDiffVerifier::BYTECODE.clone();
    let validator = signers[VALIDATOR_INDEX].address();
    let mut deploy = DeployConfig::new(
        VerifierSource::Bytecode(verifier),
        governor.address(),
        governor.address(),
        validator,
    );
    deploy.l2_chain_id = config.l2.chain_id;
    crate::deploy_cmd::align_with_l2(&mut deploy, config.l2.block_gas_limit, config.l2.base_fee);
    // L1 starts from the tree commitment of the L2 genesis state, so the first proof verifies.
    deploy.genesis = crate::settlement::genesis_config(alloc)?;
    let deployment = tokio::time::timeout(
        Duration::from_secs(120),
        rollup_contracts::deploy(&provider, &deploy),
    )
    .await
    .context("deploying the Diamond timed out")??;
    let json = serde_json::to_string_pretty(&deployment)?;
    std::fs::write(&path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(deployment)
}

fn print_banner(
    l1: Option<(&RunningChain, &Deployment)>,
    l2: &RunningChain,
    metrics: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    let mut out = String::new();
    out.push_str("rollupd dev is running\n\n");
    if let Some((l1, d)) = l1 {
        out.push_str(&format!(
            "L1 (embedded)  http://{}  chain id {}\n  Diamond proxy {}\n",
            l1.rpc.addr, l1.chain.config.spec.chain_id, d.diamond_proxy
        ));
    }
    out.push_str(&format!(
        "L2             http://{}  ws://{}  chain id {}\n",
        l2.rpc.addr, l2.rpc.addr, l2.chain.config.spec.chain_id
    ));
    if let Some(m) = metrics {
        out.push_str(&format!("metrics        http://{m}/metrics\n"));
    }
    out.push_str("\nDev accounts (10000 ETH on L1 and L2; mnemonic \"test test ... junk\"):\n");
    for (i, s) in dev_signers()?.iter().enumerate() {
        let role = match i {
            GOVERNOR_INDEX => "  (governor)",
            VALIDATOR_INDEX => "  (validator, fee account)",
            _ => "",
        };
        out.push_str(&format!("  ({i}) {} 0x{}{role}\n", s.address(), hex::encode(s.to_bytes())));
    }
    println!("{out}");
    Ok(())
}

async fn start_metrics(
    config: &NodeConfig,
    chains: Vec<ChainMetrics>,
    settlement: Option<crate::metrics::SettlementMetrics>,
) -> anyhow::Result<Option<std::net::SocketAddr>> {
    if config.metrics.addr.is_empty() {
        return Ok(None);
    }
    let addr = config.metrics.addr.parse().context("metrics.addr")?;
    Ok(Some(crate::metrics::serve(addr, chains, settlement).await?))
}

fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))
}

/// Opens the L2 with genesis `alloc` and starts it with its settlement actors; the provers join
/// once the keys are ready.
async fn start_settling_l2(
    config: &NodeConfig,
    alloc: &[(Address, U256)],
    l1: L1Target,
) -> anyhow::Result<(RunningChain, crate::metrics::SettlementMetrics)> {
    let (l2_open, writers) =
        open_chain(config.l2_chain(), &config.data_dir.join("l2.redb"), alloc)?;
    let (parts, backlog) = SettlementParts::open(config, &l2_open, l1)?;
    let mut children = crate::trees::sequencer(config, &l2_open, &writers, backlog);
    children.extend(crate::trees::settlement(config, &l2_open, &writers, &parts));
    let l2 = start_chain(
        &l2_open,
        children,
        config.rpc.clone(),
        false,
        Some(parts.view()),
        crate::rpc::RPC_NICE,
    )
    .await?;
    let prover = parts.prover_parts(l2_open.events.clone());
    let config = config.clone();
    l2.supervise_later("prover", async move {
        let keys = crate::settlement::keys_when_ready(&config).await?;
        let token = crate::settlement::gateway_token(&config);
        Some(crate::trees::provers(&config, &prover, keys, token))
    });
    Ok((l2, parts.metrics()))
}

/// Raises the soft limit of open files to the hard one (as geth does at start), since every RPC
/// connection holds one; warns if it still leaves less than the RPC's connection cap plus room
/// for the node's own files and L1 connections.
fn raise_open_files(rpc_connections: u32) {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim = raised;
                }
            }
        }
        let needed = u64::from(rpc_connections) + 256;
        #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
        let open_files = lim.rlim_cur as u64;
        if open_files < needed {
            tracing::warn!(target: "rollup::node", open_files, needed, "the open-files limit is below rpc.max_connections plus room for the node's own files; raise it (ulimit -n) or lower rpc.max_connections");
        }
    }
}

/// Proofs inside the node run on low-priority threads, behind sequencing.
fn lower_proving_priority() {
    if let Err(e) = rollup_prover::actor::lower_proving_priority() {
        tracing::warn!(target: "rollup::prover", error = %e, "could not lower the provers' priority");
    }
}

/// `rollupd dev`.
pub(crate) async fn dev(config: NodeConfig) -> anyhow::Result<()> {
    lower_proving_priority();
    raise_open_files(config.rpc.max_connections.saturating_mul(2));
    prepare_data_dir(&config.data_dir)?;
    let signers = dev_signers()?;
    let alloc: Vec<(Address, U256)> =
        signers.iter().map(|s| (s.address(), dev_balance())).collect();
    // On L1 the deployer also holds what the deployment locks in the Diamond to back the L2's
    // genesis allocation; once deployed, every dev account has the same balance on both chains.
    let mut l1_alloc = alloc.clone();
    l1_alloc[GOVERNOR_INDEX].1 += crate::config::alloc_sum(&alloc)?;
    let l1_rpc = dev_l1_rpc(&config)?;
    let (l1_open, l1_writers) =
        open_chain(config.dev_l1_chain(), &config.data_dir.join("l1.redb"), &l1_alloc)?;
    let l1_children = crate::trees::sequencer(&config, &l1_open, &l1_writers, BacklogGauge::open());
    let l1 = start_chain(&l1_open, l1_children, l1_rpc, true, None, 0).await?;
    let l1_url = format!("http://{}", l1.rpc.addr);
    let deployment = match deploy_or_resume(&config, &l1_url, &alloc).await {
        Ok(d) => d,
        Err(e) => {
            l1.stop().await;
            return Err(e);
        }
    };
    let l1_target = L1Target {
        url: l1_url,
        chain_id: config.dev_l1.chain_id,
        diamond: deployment.diamond_proxy,
        operator: dev_signers()?[VALIDATOR_INDEX].clone(),
        genesis: rollup_contracts::deploy::genesis_batch_info(&deployment.genesis),
        from_block: deployment.deployed_at_block,
    };
    let (l2, settling_metrics) = start_settling_l2(&config, &alloc, l1_target).await?;
    let metrics = start_metrics(
        &config,
        vec![l2.chain.metrics.clone(), l1.chain.metrics.clone()],
        Some(settling_metrics),
    )
    .await?;
    print_banner(Some((&l1, &deployment)), &l2, metrics)?;
    run_until_stopped(vec![l1, l2]).await
}

/// What `run` checks on the L1 before it starts.
struct L1Facts {
    chain_id: u64,
    diamond_has_code: bool,
    genesis_hash: B256,
}

/// Reads [`L1Facts`]. A first start gives up at once when the L1 does not answer (most likely a
/// wrong `l1.rpc_url`); a node resuming its data dir waits for it, retrying with backoff, so a
/// restart during an L1 outage comes back when the L1 does.
async fn read_l1(
    config: &NodeConfig,
    provider: &alloy::providers::DynProvider,
    diamond: Address,
) -> anyhow::Result<L1Facts> {
    let resuming = config.data_dir.join("l2.redb").exists();
    let url = &config.l1.rpc_url;
    // An error is worth waiting out only if the L1 did not answer; an answer (a revert, a
    // refusal) is final.
    let unreachable = |e: &alloy::transports::RpcError<alloy::transports::TransportErrorKind>| {
        e.is_transport_error()
    };
    let read = async || -> Result<L1Facts, (String, bool)> {
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| (format!("cannot reach the L1 at {url}: {e}"), unreachable(&e)))?;
        let code = provider.get_code_at(diamond).await.map_err(|e| {
            (format!("cannot read l1.diamond's code from the L1 at {url}: {e}"), unreachable(&e))
        })?;
        if code.is_empty() {
            return Ok(L1Facts { chain_id, diamond_has_code: false, genesis_hash: B256::ZERO });
        }
        let genesis_hash = rollup_contracts::bindings::IRollupChain::new(diamond, provider)
            .storedBatchHash(U256::ZERO)
            .call()
            .await
            .map_err(|e| {
                let waits =
                    matches!(&e, alloy::contract::Error::TransportError(t) if unreachable(t));
                (format!("reading the genesis batch hash from L1: {e}"), waits)
            })?;
        Ok(L1Facts { chain_id, diamond_has_code: true, genesis_hash })
    };
    let mut wait = Duration::from_secs(1);
    loop {
        let (error, waits) = match tokio::time::timeout(Duration::from_secs(30), read()).await {
            Ok(Ok(facts)) => return Ok(facts),
            Ok(Err(e)) => e,
            Err(_) => (format!("the L1 at {url} did not answer within 30s"), true),
        };
        if !(resuming && waits) {
            bail!("{error}");
        }
        tracing::warn!(target: "rollup::node", error, retry_in_s = wait.as_secs(), "waiting for the L1 before resuming");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

/// `rollupd run --config FILE`.
pub(crate) async fn run(config: NodeConfig) -> anyhow::Result<()> {
    lower_proving_priority();
    raise_open_files(config.rpc.max_connections);
    prepare_data_dir(&config.data_dir)?;
    if config.l1.diamond.is_empty() {
        bail!("l1.diamond is not set: deploy the suite with `rollupd deploy` and put the Diamond proxy's address in the config");
    }
    let diamond: Address = config
        .l1
        .diamond
        .parse()
        .with_context(|| format!("l1.diamond `{}` is not an address", config.l1.diamond))?;
    let url = config
        .l1
        .rpc_url
        .parse()
        .with_context(|| format!("l1.rpc_url `{}` is not a URL", config.l1.rpc_url))?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let facts = read_l1(&config, &provider, diamond).await?;
    let chain_id = facts.chain_id;
    if chain_id != config.l1.chain_id {
        bail!(
            "the L1 at {} has chain id {chain_id}, the config says l1.chain_id = {}",
            config.l1.rpc_url,
            config.l1.chain_id
        );
    }
    if !facts.diamond_has_code {
        bail!("l1.diamond {diamond} has no code on the L1 (chain {chain_id})");
    }
    if config.l1.confirmations == 0 {
        tracing::warn!(target: "rollup::node", "l1.confirmations = 0: deposits are read at L1's head; a reorg of a block whose deposit the L2 already included stops the node (use 12 or more on a public L1)");
    }
    // A non-dev genesis holds `l2.genesis_alloc` (empty by default: value arrives by deposits).
    let alloc = config.l2.genesis_alloc()?;
    let genesis = crate::settlement::genesis_info(&alloc)?;
    let stored = facts.genesis_hash;
    if stored != rollup_contracts::batch::stored_batch_hash(&genesis) {
        let why = format!(
            "the Diamond's genesis batch is not this L2's genesis (L1 stores {stored}); deploy with `rollupd deploy --config` on this config so the genesis (l2.genesis_alloc) matches"
        );
        if config.eth_sender.enabled {
            bail!("{why}");
        }
        tracing::warn!(target: "rollup::node", "{why}; eth_sender.enabled = false, so nothing is sent");
    }
    let l1_target = L1Target {
        url: config.l1.rpc_url.clone(),
        chain_id,
        diamond,
        operator: operator_key(&config)?,
        genesis,
        from_block: config.eth_watcher.from_block,
    };
    let (l2, settling_metrics) = start_settling_l2(&config, &alloc, l1_target).await?;
    let metrics =
        start_metrics(&config, vec![l2.chain.metrics.clone()], Some(settling_metrics)).await?;
    println!(
        "rollupd is running\n\nL1             {}  chain id {chain_id}\n  Diamond proxy {diamond}",
        config.l1.rpc_url
    );
    println!("L2             http://{}  chain id {}", l2.rpc.addr, l2.chain.config.spec.chain_id);
    if let Some(m) = metrics {
        println!("metrics        http://{m}/metrics");
    }
    run_until_stopped(vec![l2]).await
}

/// The operator (validator) key of `rollupd run`: `ROLLUPD_OPERATOR_KEY`, else the file named by
/// `eth_sender.operator_key_file`. Never the config itself.
fn operator_key(config: &NodeConfig) -> anyhow::Result<alloy::signers::local::PrivateKeySigner> {
    let text = match std::env::var("ROLLUPD_OPERATOR_KEY") {
        Ok(k) if !k.trim().is_empty() => k,
        _ if !config.eth_sender.operator_key_file.is_empty() => {
            std::fs::read_to_string(&config.eth_sender.operator_key_file).with_context(|| {
                format!("reading eth_sender.operator_key_file {}", config.eth_sender.operator_key_file)
            })?
        }
        _ if !config.eth_sender.enabled => {
            // Not sending: any key will do, it signs nothing.
            return Ok(alloy::signers::local::PrivateKeySigner::random());
        }
        _ => bail!("the operator key is missing: set ROLLUPD_OPERATOR_KEY or eth_sender.operator_key_file (or eth_sender.enabled = false)"),
    };
    text.trim().parse().context("the operator key is not a 32-byte hex private key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_l1_takes_the_rpc_section_but_no_limit_below_the_defaults() {
        let sets: Vec<String> = [
            "rpc.max_response_body_bytes=1024",
            "rpc.max_request_body_bytes=2048",
            "rpc.max_batch_requests=1",
            "rpc.max_logs=3",
            "rpc.call_timeout_ms=1",
            "rpc.eth_call_gas_cap=1000000",
            "rpc.max_queued_calls=1",
            "rpc.max_in_flight_per_connection=1",
            "rpc.write_timeout_ms=1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let tight = NodeConfig::load(None, Vec::new(), &sets).unwrap();
        let defaults = NodeConfig::load(None, Vec::new(), &[]).unwrap().rpc;
        let l1 = dev_l1_rpc(&tight).unwrap();
        assert_eq!(l1.addr, tight.dev_l1.addr);
        assert_eq!(l1.max_response_body_bytes, defaults.max_response_body_bytes);
        assert_eq!(l1.max_request_body_bytes, defaults.max_request_body_bytes);
        assert_eq!(l1.max_batch_requests, defaults.max_batch_requests);
        assert_eq!(l1.max_connections_per_ip, l1.max_connections);
        assert_eq!(l1.max_logs, defaults.max_logs);
        assert_eq!(l1.call_timeout_ms, defaults.call_timeout_ms);
        assert_eq!(l1.max_queued_calls, defaults.max_queued_calls);
        assert_eq!(l1.max_in_flight_per_connection, defaults.max_in_flight_per_connection);
        assert_eq!(l1.write_timeout_ms, defaults.write_timeout_ms);
        // What is not a limit follows the section.
        assert_eq!(l1.eth_call_gas_cap, 1_000_000);
        // The L2's own settings are untouched, and more generous ones carry over.
        assert_eq!(tight.rpc.max_response_body_bytes, 1024);
        let generous = ["rpc.max_response_body_bytes=100000000".to_string()];
        let generous = NodeConfig::load(None, Vec::new(), &generous).unwrap();
        assert_eq!(dev_l1_rpc(&generous).unwrap().max_response_body_bytes, 100_000_000);
    }
}
