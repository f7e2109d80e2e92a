//! Node configuration: `config/dev.toml` (embedded) as defaults, then a TOML file, then
//! `ROLLUPD_<SECTION>__<KEY>` environment variables, then `--set section.key=value` flags. Every
//! layer is merged as TOML and the result is parsed once with unknown keys refused, then checked
//! by [`NodeConfig::validate`].
//!
//! Environment variables whose name ends in `_KEY` or `_TOKEN` (e.g. `ROLLUPD_DEPLOYER_KEY`,
//! `ROLLUPD_PROVER_TOKEN`) are secrets read by the commands that need them, never configuration;
//! so is `ROLLUPD_FAULTS` (crash tests).

use alloy::primitives::{Address, U256};
use anyhow::{bail, Context};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The embedded defaults.
pub(crate) const DEFAULTS: &str = include_str!("../../config/dev.toml");

/// What `rollupd run` changes in the embedded defaults (before its config file): a production
/// node bounds its proving backlog by default.
pub(crate) const RUN_DEFAULTS: &str = "[eth_sender]\nmax_finality_secs = 3600\n";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeConfig {
    /// Where databases and the deployment file live.
    pub(crate) data_dir: PathBuf,
    pub(crate) l2: L2Config,
    pub(crate) pool: PoolSection,
    pub(crate) rpc: RpcConfig,
    pub(crate) metrics: MetricsConfig,
    pub(crate) supervisor: SupervisorConfig,
    pub(crate) l1: L1Config,
    pub(crate) dev_l1: DevL1Config,
    pub(crate) batcher: BatcherSection,
    pub(crate) prover: ProverSection,
    pub(crate) eth_sender: EthSenderSection,
    pub(crate) eth_watcher: EthWatcherSection,
}

/// `[eth_watcher]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EthWatcherSection {
    pub(crate) from_block: u64,
    pub(crate) poll_ms: u64,
    pub(crate) max_blocks_per_scan: u64,
}

/// Longest a batch may stay open: half of the shortest priority deadline L1 allows (1 hour).
const MAX_BATCH_AGE_MS: u64 = 30 * 60 * 1000;

/// `[batcher]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatcherSection {
    pub(crate) max_writes: usize,
    pub(crate) max_pubdata_bytes: usize,
    pub(crate) max_l2_logs: usize,
    pub(crate) max_blocks: usize,
    pub(crate) max_age_ms: u64,
    pub(crate) max_age_behind_ms: u64,
    pub(crate) max_bytecodes: usize,
    pub(crate) max_priority_ops: usize,
    pub(crate) chunk_records: u64,
}

/// `[prover]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProverSection {
    pub(crate) gateway_addr: String,
    pub(crate) token_file: String,
    pub(crate) local_workers: usize,
    pub(crate) keys_dir: String,
    pub(crate) dev_keys: bool,
    pub(crate) lease_ms: u64,
}

/// `[eth_sender]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EthSenderSection {
    pub(crate) enabled: bool,
    pub(crate) operator_key_file: String,
    pub(crate) max_batches_per_tx: usize,
    pub(crate) resend_after_ms: u64,
    pub(crate) fee_bump_percent: u64,
    pub(crate) poll_ms: u64,
    pub(crate) max_uncommitted_batches: u64,
    pub(crate) max_unproven_writes: u64,
    pub(crate) max_finality_secs: u64,
}

/// `[l2]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct L2Config {
    pub(crate) chain_id: u64,
    pub(crate) block_time_ms: u64,
    pub(crate) block_gas_limit: u64,
    pub(crate) base_fee: u64,
    pub(crate) max_block_txs: usize,
    pub(crate) max_block_bytes: usize,
    pub(crate) fee_account: Address,
    /// `rollupd run` / `rollupd deploy`: balances of the L2 genesis, `"0xADDRESS" = "WEI"`
    /// (decimal or 0x-hex strings). The deployment locks their sum in the Diamond. `rollupd
    /// dev` funds the ten dev accounts instead.
    #[serde(default)]
    pub(crate) genesis_alloc: std::collections::BTreeMap<String, String>,
}

/// The sum of a genesis allocation, refusing one that overflows 256 bits.
pub(crate) fn alloc_sum(alloc: &[(Address, U256)]) -> anyhow::Result<U256> {
    alloc
        .iter()
        .try_fold(U256::ZERO, |acc, (_, v)| acc.checked_add(*v))
        .context("the genesis allocation's sum overflows 256 bits")
}

impl L2Config {
    /// The parsed `genesis_alloc`, ascending by address.
    pub(crate) fn genesis_alloc(&self) -> anyhow::Result<Vec<(Address, U256)>> {
        let mut out = Vec::with_capacity(self.genesis_alloc.len());
        for (a, v) in &self.genesis_alloc {
            let address: Address = a.trim().parse().map_err(|_| {
                anyhow::anyhow!("l2.genesis_alloc: `{a}` is not a 20-byte hex address")
            })?;
            let v = v.trim();
            let (digits, radix) = v.strip_prefix("0x").map_or((v, 10), |h| (h, 16));
            let wei = Some(digits)
                .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
                .and_then(|d| U256::from_str_radix(d, radix as u64).ok())
                .ok_or_else(|| {
                anyhow::anyhow!(
                    "l2.genesis_alloc: the balance of {address} (`{v}`) is not a decimal or 0x-hex wei amount below 2^256"
                )
            })?;
            out.push((address, wei));
        }
        out.sort_by_key(|(a, _)| *a);
        if let Some(w) = out.windows(2).find(|w| w[0].0 == w[1].0) {
            bail!("l2.genesis_alloc names {} twice", w[0].0);
        }
        alloc_sum(&out)?;
        Ok(out)
    }
}

/// `[pool]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolSection {
    pub(crate) max_per_account: usize,
    pub(crate) max_queued_per_account: usize,
    pub(crate) max_total: usize,
    /// Raw transaction bytes in the pool.
    pub(crate) max_bytes: usize,
    /// Raw transaction bytes one sender may have pooled.
    pub(crate) max_bytes_per_account: usize,
    pub(crate) price_bump_percent: u64,
    pub(crate) lifetime_secs: u64,
    pub(crate) nonce_window: u64,
    pub(crate) tx_fee_cap: U256,
}

/// `[rpc]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RpcConfig {
    pub(crate) addr: SocketAddr,
    pub(crate) max_request_body_bytes: u32,
    pub(crate) max_response_body_bytes: u32,
    pub(crate) max_batch_requests: u32,
    pub(crate) max_connections: u32,
    pub(crate) max_connections_per_ip: u32,
    pub(crate) call_timeout_ms: u64,
    pub(crate) eth_call_gas_cap: u64,
    pub(crate) max_logs_block_range: u64,
    pub(crate) max_logs: usize,
    pub(crate) cors_origins: Vec<String>,
    pub(crate) read_timeout_ms: u64,
    pub(crate) filter_timeout_secs: u64,
    /// How often a WebSocket peer is pinged.
    pub(crate) ws_ping_interval_ms: u64,
    /// A WebSocket peer whose last pong is older than this at two checks is closed.
    pub(crate) ws_inactive_limit_ms: u64,
    /// Once the server has bytes for a client, the time the client has to take all of them.
    pub(crate) write_timeout_ms: u64,
    /// Threads that run calls' reads and executions, apart from the sequencer's.
    pub(crate) exec_threads: u32,
    /// Calls that may wait for an execution thread; more are refused (`-32005`).
    pub(crate) max_queued_calls: u32,
    /// Calls one connection may have unanswered (a batch counts one); more are refused.
    pub(crate) max_in_flight_per_connection: u32,
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsConfig {
    pub(crate) addr: String,
}

/// `[supervisor]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupervisorConfig {
    pub(crate) max_restarts: u32,
    pub(crate) restart_window_secs: u64,
}

/// `[l1]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct L1Config {
    pub(crate) rpc_url: String,
    pub(crate) chain_id: u64,
    pub(crate) diamond: String,
    pub(crate) confirmations: u64,
    pub(crate) max_tx_gas: u64,
    pub(crate) max_tx_calldata_bytes: usize,
}

impl L1Config {
    /// The limits of one settlement transaction.
    pub(crate) fn tx_limits(&self) -> rollup_contracts::cost::TxLimits {
        rollup_contracts::cost::TxLimits {
            max_calldata: self.max_tx_calldata_bytes,
            max_gas: self.max_tx_gas,
        }
    }
}

/// `[dev_l1]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevL1Config {
    pub(crate) addr: SocketAddr,
    pub(crate) chain_id: u64,
    pub(crate) block_gas_limit: u64,
    pub(crate) base_fee: u64,
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Parses a scalar given as text: a TOML value if it is one (`100`, `true`, `"x"`), else a string.
/// `ROLLUPD_*` variables that are not configuration: secrets (`*_KEY`, `*_TOKEN`, read by the
/// commands that need them) and `ROLLUPD_FAULTS` (crash-test fault points).
fn is_not_config(rest: &str) -> bool {
    rest == "KEY"
        || rest == "TOKEN"
        || rest.ends_with("_KEY")
        || rest.ends_with("_TOKEN")
        || rest == "FAULTS"
}

fn scalar(text: &str) -> toml::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn set_path(
    table: &mut toml::Table,
    path: &[String],
    value: toml::Value,
    origin: &str,
) -> anyhow::Result<()> {
    let (last, parents) = path.split_last().context("empty key")?;
    let mut t = table;
    for p in parents {
        let entry = t.entry(p.clone()).or_insert_with(|| toml::Value::Table(Default::default()));
        t = match entry {
            toml::Value::Table(t) => t,
            _ => bail!("{origin}: `{p}` is not a section"),
        };
    }
    t.insert(last.clone(), value);
    Ok(())
}

impl NodeConfig {
    /// Loads the layers described in the module docs.
    pub(crate) fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
        sets: &[String],
    ) -> anyhow::Result<Self> {
        Self::load_over(None, file, env, sets)
    }

    /// [`Self::load`], with `defaults` (TOML, e.g. [`RUN_DEFAULTS`]) merged over the embedded
    /// defaults first.
    pub(crate) fn load_over(
        defaults: Option<&str>,
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
        sets: &[String],
    ) -> anyhow::Result<Self> {
        let mut table: toml::Table = DEFAULTS.parse().context("embedded defaults")?;
        if let Some(over) = defaults {
            merge(&mut table, over.parse().context("command defaults")?);
        }
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config {}", path.display()))?;
            let over: toml::Table =
                text.parse().with_context(|| format!("parsing config {}", path.display()))?;
            merge(&mut table, over);
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("ROLLUPD_") else { continue };
            if is_not_config(rest) {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, scalar(&value), &format!("environment variable {name}"))?;
        }
        for s in sets {
            let (key, value) = s
                .split_once('=')
                .with_context(|| format!("--set {s}: expected section.key=value"))?;
            let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
            set_path(&mut table, &path, scalar(value.trim()), &format!("--set {s}"))?;
        }
        let config: NodeConfig =
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
                anyhow::anyhow!("invalid configuration: {}", e.message())
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Start-up checks of values the types do not rule out.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        let l2 = &self.l2;
        if l2.chain_id == 0 {
            bail!("l2.chain_id must not be 0");
        }
        if l2.block_time_ms == 0 || l2.block_time_ms > 60_000 {
            bail!("l2.block_time_ms must be within 1..=60000, got {}", l2.block_time_ms);
        }
        if l2.block_gas_limit < 21_000 {
            bail!("l2.block_gas_limit must be at least 21000, got {}", l2.block_gas_limit);
        }
        if l2.max_block_txs == 0 || l2.max_block_bytes < 1024 {
            bail!("l2.max_block_txs must be > 0 and l2.max_block_bytes >= 1024");
        }
        // L1 numbers a batch's transactions with 16 bits; a block is never split across batches.
        if l2.max_block_txs > 65_536 {
            bail!("l2.max_block_txs must be at most 65536 (a batch's transactions are numbered with 16 bits on L1), got {}", l2.max_block_txs);
        }
        l2.genesis_alloc()?;
        if self.pool.max_per_account == 0 || self.pool.max_total < self.pool.max_per_account {
            bail!("pool.max_per_account must be > 0 and <= pool.max_total");
        }
        if self.pool.max_queued_per_account == 0
            || self.pool.max_total < self.pool.max_queued_per_account
        {
            bail!("pool.max_queued_per_account must be > 0 and <= pool.max_total");
        }
        let max_tx = rollup_actors::execution::validation::MAX_TX_SIZE;
        if self.pool.max_bytes_per_account < max_tx
            || self.pool.max_bytes < self.pool.max_bytes_per_account
        {
            bail!(
                "pool.max_bytes_per_account must be at least one largest transaction ({max_tx} bytes) and pool.max_bytes at least pool.max_bytes_per_account"
            );
        }
        if self.pool.nonce_window == 0 || self.pool.price_bump_percent == 0 {
            bail!("pool.nonce_window and pool.price_bump_percent must be > 0");
        }
        let rpc = &self.rpc;
        if rpc.max_request_body_bytes < 1024 || rpc.max_response_body_bytes < 1024 {
            bail!("rpc body limits must be at least 1024 bytes");
        }
        if rpc.max_batch_requests == 0 || rpc.max_connections == 0 || rpc.call_timeout_ms == 0 {
            bail!(
                "rpc.max_batch_requests, rpc.max_connections and rpc.call_timeout_ms must be > 0"
            );
        }
        if rpc.eth_call_gas_cap < 21_000 || rpc.max_logs_block_range == 0 || rpc.max_logs == 0 {
            bail!("rpc.eth_call_gas_cap must be >= 21000; rpc.max_logs_block_range and rpc.max_logs > 0");
        }
        if rpc.max_connections_per_ip == 0 {
            bail!("rpc.max_connections_per_ip must be > 0");
        }
        if rpc.read_timeout_ms == 0 || rpc.read_timeout_ms > 600_000 {
            bail!("rpc.read_timeout_ms must be within 1..=600000, got {}", rpc.read_timeout_ms);
        }
        if rpc.write_timeout_ms == 0 || rpc.write_timeout_ms > 600_000 {
            bail!("rpc.write_timeout_ms must be within 1..=600000, got {}", rpc.write_timeout_ms);
        }
        if rpc.exec_threads == 0 || rpc.exec_threads > 256 {
            bail!("rpc.exec_threads must be within 1..=256, got {}", rpc.exec_threads);
        }
        if rpc.max_queued_calls == 0 || rpc.max_in_flight_per_connection == 0 {
            bail!("rpc.max_queued_calls and rpc.max_in_flight_per_connection must be > 0");
        }
        if rpc.filter_timeout_secs == 0 || rpc.filter_timeout_secs > 86_400 {
            bail!(
                "rpc.filter_timeout_secs must be within 1..=86400, got {}",
                rpc.filter_timeout_secs
            );
        }
        if rpc.ws_ping_interval_ms == 0 || rpc.ws_ping_interval_ms > 600_000 {
            bail!(
                "rpc.ws_ping_interval_ms must be within 1..=600000, got {}",
                rpc.ws_ping_interval_ms
            );
        }
        if rpc.ws_inactive_limit_ms <= rpc.ws_ping_interval_ms
            || rpc.ws_inactive_limit_ms > 3_600_000
        {
            bail!(
                "rpc.ws_inactive_limit_ms must be above rpc.ws_ping_interval_ms ({}) and at most 3600000, got {}",
                rpc.ws_ping_interval_ms,
                rpc.ws_inactive_limit_ms
            );
        }
        for o in &rpc.cors_origins {
            let ok = o == "*"
                || (o.starts_with("http://") || o.starts_with("https://"))
                    && !o.ends_with('/')
                    && o.is_ascii()
                    && !o.contains(|c: char| c.is_whitespace() || c == ',');
            if !ok {
                bail!("rpc.cors_origins: `{o}` is not \"*\" or an origin like https://app.example.org");
            }
        }
        if !self.metrics.addr.is_empty() {
            self.metrics.addr.parse::<SocketAddr>().with_context(|| {
                format!("metrics.addr `{}` is not host:port", self.metrics.addr)
            })?;
        }
        if self.supervisor.restart_window_secs == 0 {
            bail!("supervisor.restart_window_secs must be > 0");
        }
        if self.dev_l1.chain_id == 0 || self.dev_l1.chain_id == l2.chain_id {
            bail!("dev_l1.chain_id must be non-zero and differ from l2.chain_id");
        }
        if self.dev_l1.block_gas_limit < 21_000 {
            bail!("dev_l1.block_gas_limit must be at least 21000");
        }
        let b = &self.batcher;
        if b.max_writes == 0 || b.max_blocks == 0 || b.max_age_ms == 0 || b.max_l2_logs == 0 {
            bail!("batcher.max_writes, batcher.max_blocks, batcher.max_l2_logs and batcher.max_age_ms must be > 0");
        }
        if b.max_l2_logs > 16_384 {
            bail!(
                "batcher.max_l2_logs must be at most 16384 (the L1 logs tree), got {}",
                b.max_l2_logs
            );
        }
        if b.max_pubdata_bytes < 64 {
            bail!("batcher.max_pubdata_bytes must be at least 64 (one record)");
        }
        if b.max_bytecodes == 0 {
            bail!("batcher.max_bytecodes must be > 0");
        }
        if b.chunk_records == 0 {
            bail!("batcher.chunk_records must be > 0");
        }
        // Provers load keys for these circuits only; a longer chunk fits no general circuit
        // (a chunk may hold initial writes), and a batch committed with it could never be proven.
        let largest = rollup_prover::keys::DEV_SHAPES
            .iter()
            .filter(|s| !s.repeated_only)
            .map(|s| s.capacity)
            .max()
            .unwrap_or(0);
        if b.chunk_records > largest as u64 {
            bail!(
                "batcher.chunk_records ({}) is above the largest circuit capacity provers have keys for ({largest}): no proof could cover such a chunk",
                b.chunk_records
            );
        }
        let per_block = rollup_actors::execution::block::MAX_BLOCK_PRIORITY_TXS;
        if b.max_priority_ops < per_block {
            bail!(
                "batcher.max_priority_ops must be at least {per_block} (one block's priority transactions), got {}",
                b.max_priority_ops
            );
        }
        if !self.prover.gateway_addr.is_empty() {
            self.prover.gateway_addr.parse::<SocketAddr>().with_context(|| {
                format!("prover.gateway_addr `{}` is not host:port", self.prover.gateway_addr)
            })?;
        }
        if self.prover.lease_ms < 100 {
            bail!("prover.lease_ms must be at least 100");
        }
        let e = &self.eth_sender;
        if e.max_batches_per_tx == 0 {
            bail!("eth_sender.max_batches_per_tx must be > 0");
        }
        // The smallest batch the batcher can be forced to seal must settle: one proof chunk and
        // one block's priority transactions.
        let smallest = rollup_contracts::cost::BatchShape {
            records: b.chunk_records as usize,
            chunk_records: b.chunk_records as usize,
            priority_ops: per_block as u64,
            ..Default::default()
        };
        if let Some((call, cost)) = self.l1.tx_limits().oversized(&smallest) {
            bail!(
                "l1.max_tx_gas ({}) and l1.max_tx_calldata_bytes ({}) are too small: a batch of one proof chunk of {} records and {per_block} priority transactions needs {} gas and {} calldata bytes to {call:?}",
                self.l1.max_tx_gas,
                self.l1.max_tx_calldata_bytes,
                b.chunk_records,
                cost.gas,
                cost.calldata
            );
        }
        if self.l1.max_tx_calldata_bytes > 131_072 {
            bail!(
                "l1.max_tx_calldata_bytes must be at most 131072 (geth refuses larger transactions), got {}",
                self.l1.max_tx_calldata_bytes
            );
        }
        if e.fee_bump_percent < 10 {
            bail!("eth_sender.fee_bump_percent must be at least 10 (geth refuses smaller replacements)");
        }
        if e.poll_ms == 0 || e.resend_after_ms == 0 {
            bail!("eth_sender.poll_ms and eth_sender.resend_after_ms must be > 0");
        }
        let w = &self.eth_watcher;
        if w.poll_ms == 0 || !(1..=100_000).contains(&w.max_blocks_per_scan) {
            bail!("eth_watcher.poll_ms must be > 0 and eth_watcher.max_blocks_per_scan within 1..=100000");
        }
        // A priority request must be in a committed batch before its deadline (at least an hour
        // on L1): a batch must never stay open for a large part of it.
        if b.max_age_ms > MAX_BATCH_AGE_MS || b.max_age_behind_ms > MAX_BATCH_AGE_MS {
            bail!(
                "batcher.max_age_ms and batcher.max_age_behind_ms must be at most {MAX_BATCH_AGE_MS} (half of L1's shortest priority deadline), got {} and {}",
                b.max_age_ms,
                b.max_age_behind_ms
            );
        }
        if b.max_age_behind_ms < b.max_age_ms {
            bail!(
                "batcher.max_age_behind_ms ({}) must be at least batcher.max_age_ms ({}): it is how long a batch may stay open while provers are behind",
                b.max_age_behind_ms,
                b.max_age_ms
            );
        }
        Ok(())
    }

    /// The chain configuration of the L2.
    pub(crate) fn l2_chain(&self) -> rollup_actors::sequencer::chain::ChainConfig {
        let l2 = &self.l2;
        rollup_actors::sequencer::chain::ChainConfig {
            spec: rollup_actors::execution::block::ChainSpec {
                chain_id: l2.chain_id,
                gas_limit: l2.block_gas_limit,
                base_fee: l2.base_fee,
                coinbase: l2.fee_account,
                settle: Some(rollup_actors::execution::block::SettleLimits {
                    tx: self.l1.tx_limits(),
                    chunk_records: self.batcher.chunk_records as usize,
                }),
            },
            validation: self.validation(l2.chain_id, l2.block_gas_limit, l2.base_fee),
            pool: self.pool_config(),
            block_time_ms: l2.block_time_ms,
            max_block_txs: l2.max_block_txs,
            max_block_bytes: l2.max_block_bytes,
            name: "l2".into(),
            system_contracts: true,
        }
    }

    /// The chain configuration of the embedded dev L1 (instant sealing).
    pub(crate) fn dev_l1_chain(&self) -> rollup_actors::sequencer::chain::ChainConfig {
        let l1 = &self.dev_l1;
        rollup_actors::sequencer::chain::ChainConfig {
            spec: rollup_actors::execution::block::ChainSpec {
                chain_id: l1.chain_id,
                gas_limit: l1.block_gas_limit,
                base_fee: l1.base_fee,
                coinbase: Address::ZERO,
                settle: None,
            },
            validation: self.validation(l1.chain_id, l1.block_gas_limit, l1.base_fee),
            pool: self.pool_config(),
            block_time_ms: 0,
            max_block_txs: self.l2.max_block_txs,
            max_block_bytes: self.l2.max_block_bytes,
            name: "l1".into(),
            system_contracts: false,
        }
    }

    fn validation(
        &self,
        chain_id: u64,
        gas_limit: u64,
        base_fee: u64,
    ) -> rollup_actors::execution::validation::ValidationConfig {
        rollup_actors::execution::validation::ValidationConfig {
            chain_id,
            block_gas_limit: gas_limit,
            min_gas_price: base_fee as u128,
            tx_fee_cap: self.pool.tx_fee_cap,
            nonce_window: self.pool.nonce_window,
        }
    }

    fn pool_config(&self) -> rollup_actors::sequencer::pool::PoolConfig {
        rollup_actors::sequencer::pool::PoolConfig {
            max_per_account: self.pool.max_per_account,
            max_queued_per_account: self.pool.max_queued_per_account,
            max_total: self.pool.max_total,
            max_bytes: self.pool.max_bytes,
            max_bytes_per_account: self.pool.max_bytes_per_account,
            price_bump_percent: u128::from(self.pool.price_bump_percent),
            lifetime_secs: self.pool.lifetime_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn defaults_parse_and_validate() {
        let c = NodeConfig::load(None, vec![], &[]).unwrap();
        assert_eq!(c.l2.chain_id, 270);
        assert_eq!(c.dev_l1.chain_id, 9);
        assert_eq!(c.rpc.addr.port(), 3050);
        assert_eq!(c.l2.block_time_ms, 250);
    }

    /// `rollupd run` bounds finality by default, `rollupd dev` does not; a file or flag still
    /// sets it either way.
    #[test]
    fn run_bounds_finality_by_default_and_dev_does_not() {
        let dev = NodeConfig::load(None, vec![], &[]).unwrap();
        assert_eq!(dev.eth_sender.max_finality_secs, 0);
        let run = NodeConfig::load_over(Some(RUN_DEFAULTS), None, vec![], &[]).unwrap();
        assert_eq!(run.eth_sender.max_finality_secs, 3600);
        let off = ["eth_sender.max_finality_secs=0".to_string()];
        let run_off = NodeConfig::load_over(Some(RUN_DEFAULTS), None, vec![], &off).unwrap();
        assert_eq!(run_off.eth_sender.max_finality_secs, 0);
        let env = env(&[("ROLLUPD_ETH_SENDER__MAX_FINALITY_SECS", "-5")]);
        let err = NodeConfig::load_over(Some(RUN_DEFAULTS), None, env, &[]).unwrap_err();
        assert!(err.to_string().contains("invalid"), "{err}");
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("rollupd-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "[l2]\nblock_time_ms = 100\nchain_id = 300\n").unwrap();
        let c = NodeConfig::load(
            Some(&file),
            env(&[
                ("ROLLUPD_L2__BLOCK_TIME_MS", "50"),
                ("ROLLUPD_DEPLOYER_KEY", "0xsecret"),
                ("ROLLUPD_OPERATOR_KEY", "0xsecret"),
                ("ROLLUPD_PROVER_TOKEN", "secret"),
                ("ROLLUPD_FAULTS", "eth_sender=panic"),
            ]),
            &["l2.block_time_ms=20".into()],
        )
        .unwrap();
        assert_eq!(c.l2.chain_id, 300, "file");
        assert_eq!(c.l2.block_time_ms, 20, "--set wins over env and file");
        let c = NodeConfig::load(Some(&file), env(&[("ROLLUPD_L2__BLOCK_TIME_MS", "50")]), &[])
            .unwrap();
        assert_eq!(c.l2.block_time_ms, 50, "env wins over file");
    }

    #[test]
    fn bad_input_is_refused_with_the_key_named() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
        let cases: &[Case<'_>] = &[
            (&[("ROLLUPD_L2__BLOK_TIME_MS", "1")], &[], "unknown field `blok_time_ms`"),
            (&[("ROLLUPD_NOPE", "1")], &[], "unknown field `nope`"),
            (&[], &["l2.block_time_ms=0"], "l2.block_time_ms must be within"),
            (&[], &["l2.block_time_ms=-5"], "invalid"),
            (&[], &["l2.block_time_ms=fast"], "invalid"),
            (&[], &["l2.chain_id=0"], "l2.chain_id must not be 0"),
            (&[], &["l2.fee_account=0x12"], "invalid"),
            (&[], &["rpc.addr=nowhere"], "invalid"),
            (&[], &["metrics.addr=nowhere"], "metrics.addr"),
            (&[], &["dev_l1.chain_id=270"], "differ from l2.chain_id"),
            (&[], &["pool.max_per_account=0"], "pool.max_per_account"),
            (&[], &["rpc.max_connections_per_ip=0"], "rpc.max_connections_per_ip"),
            (&[], &["pool.max_bytes_per_account=1000"], "pool.max_bytes_per_account must be"),
            (&[], &["pool.max_bytes=200000"], "pool.max_bytes at least"),
            (&[], &["pool.max_bytes=-1"], "invalid"),
            (&[], &["rpc.max_connections_per_ip=-1"], "invalid value"),
            (&[], &["rpc.ws_ping_interval_ms=0"], "rpc.ws_ping_interval_ms must be within"),
            (&[], &["rpc.ws_inactive_limit_ms=30000"], "rpc.ws_inactive_limit_ms must be above"),
            (&[], &["rpc.ws_inactive_limit_ms=3600001"], "rpc.ws_inactive_limit_ms must be above"),
            (&[], &["rpc.write_timeout_ms=0"], "rpc.write_timeout_ms must be within"),
            (&[], &["rpc.write_timeout_ms=600001"], "rpc.write_timeout_ms must be within"),
            (&[], &["rpc.exec_threads=0"], "rpc.exec_threads must be within"),
            (&[], &["rpc.exec_threads=257"], "rpc.exec_threads must be within"),
            (&[], &["rpc.exec_threads=two"], "invalid"),
            (&[], &["rpc.max_queued_calls=0"], "rpc.max_queued_calls"),
            (&[], &["rpc.max_queued_calls=-1"], "invalid value"),
            (&[], &["rpc.max_in_flight_per_connection=0"], "rpc.max_in_flight_per_connection"),
            (&[], &["rpc.cors_origins=[\"app.example.org\"]"], "rpc.cors_origins"),
            (&[], &["rpc.cors_origins=[\"https://a.org/\"]"], "rpc.cors_origins"),
            (&[], &["rpc.cors_origins=\"*\""], "invalid type"),
            (&[], &["eth_watcher.poll_ms=0"], "eth_watcher.poll_ms"),
            (&[], &["batcher.max_priority_ops=255"], "batcher.max_priority_ops"),
            (&[], &["l2.max_block_txs=65537"], "numbered with 16 bits"),
            (&[], &["eth_watcher.max_blocks_per_scan=0"], "eth_watcher.max_blocks_per_scan"),
            (&[], &["eth_watcher.from_block=-1"], "invalid"),
            (&[], &["batcher.max_age_ms=1800001"], "half of L1's shortest priority deadline"),
            (
                &[],
                &["batcher.max_age_behind_ms=1800001"],
                "half of L1's shortest priority deadline",
            ),
            (&[], &["batcher.max_age_behind_ms=999"], "must be at least batcher.max_age_ms (1000)"),
            (&[], &["batcher.max_age_behind_ms=-1"], "invalid"),
            (
                &[],
                &["batcher.chunk_records=16"],
                "above the largest circuit capacity provers have keys for (15)",
            ),
            (&[], &["batcher.chunk_records=0"], "batcher.chunk_records must be > 0"),
            (&[], &["l1.max_tx_gas=300000"], "l1.max_tx_gas (300000) and l1.max_tx_calldata_bytes"),
            (&[], &["l1.max_tx_calldata_bytes=1000"], "are too small"),
            (&[], &["l1.max_tx_calldata_bytes=131073"], "at most 131072"),
            (&[], &["eth_sender.max_gas=1"], "unknown field `max_gas`"),
            (&[], &["l2"], "expected section.key=value"),
            (&[], &["l2.chain_id.x=1"], "not a section"),
        ];
        for (e, sets, want) in cases {
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            let err = NodeConfig::load(None, env(e), &sets).unwrap_err();
            let msg = format!("{err:#}");
            assert!(msg.contains(want), "{e:?} {sets:?}: `{msg}` lacks `{want}`");
        }
    }

    #[test]
    fn genesis_alloc_is_parsed_and_bad_entries_are_refused() {
        let dir = std::env::temp_dir().join(format!("rollupd-cfg3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("alloc.toml");
        let load = |alloc: &str| {
            std::fs::write(&file, format!("[l2.genesis_alloc]\n{alloc}\n")).unwrap();
            NodeConfig::load(Some(&file), vec![], &[])
        };
        let c = load(concat!(
            "\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\" = \"1000000000000000000\"\n",
            "\"0x000000000000000000000000000000000000dead\" = \"0x10\""
        ))
        .unwrap();
        let alloc = c.l2.genesis_alloc().unwrap();
        assert_eq!(alloc.len(), 2);
        assert_eq!(alloc[0].1, U256::from(16), "hex amount, sorted by address");
        assert_eq!(alloc[1].1, U256::from(10u64.pow(18)));
        let max = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        for (alloc, want) in [
            ("\"0x12\" = \"1\"", "not a 20-byte hex address"),
            ("\"0x000000000000000000000000000000000000dead\" = \"-1\"", "not a decimal or 0x-hex"),
            ("\"0x000000000000000000000000000000000000dead\" = \"1e18\"", "not a decimal or 0x-hex"),
            ("\"0x000000000000000000000000000000000000dead\" = \"0x\"", "not a decimal or 0x-hex"),
            ("\"0x000000000000000000000000000000000000dead\" = \"\"", "not a decimal or 0x-hex"),
            ("\"0x000000000000000000000000000000000000dead\" = 5", "invalid type"),
            (
                &format!("\"0x000000000000000000000000000000000000dead\" = \"{max}1\""),
                "below 2^256",
            ),
            (
                &format!("\"0x000000000000000000000000000000000000dead\" = \"{max}\"\n\"0x000000000000000000000000000000000000beef\" = \"1\""),
                "overflows 256 bits",
            ),
            (
                "\"0x000000000000000000000000000000000000dead\" = \"1\"\n\"0x000000000000000000000000000000000000DEAD\" = \"1\"",
                "twice",
            ),
        ] {
            let err = load(alloc).unwrap_err();
            let msg = format!("{err:#}");
            assert!(msg.contains(want), "{alloc}: `{msg}` lacks `{want}`");
        }
    }

    #[test]
    fn missing_or_malformed_file_is_an_error() {
        let err = NodeConfig::load(Some(std::path::Path::new("/nonexistent/x.toml")), vec![], &[])
            .unwrap_err();
        assert!(format!("{err:#}").contains("reading config"));
        let dir = std::env::temp_dir().join(format!("rollupd-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.toml");
        std::fs::write(&file, "[l2\n").unwrap();
        let err = NodeConfig::load(Some(&file), vec![], &[]).unwrap_err();
        assert!(format!("{err:#}").contains("parsing config"));
    }
}
