//! `rollupd deploy`: deploys the L1 suite through `rollup-contracts` and writes the addresses.

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use rollup_contracts::deploy::{DeployConfig, GenesisConfig, VerifierSource};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `rollupd deploy`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// JSON-RPC URL of the L1 (http or https).
    #[arg(long, value_name = "URL")]
    l1_rpc: reqwest_url::Url,
    /// Deployer private key (hex). Prefer the environment variable to keep it out of `ps`.
    #[arg(long, env = "ROLLUPD_DEPLOYER_KEY", hide_env_values = true, value_name = "HEX")]
    private_key: PrivateKeySigner,
    /// Address of a deployed IVerifier (the Groth16 verifier). It must have code.
    #[arg(
        long,
        value_name = "ADDRESS",
        conflicts_with_all = ["dev", "keys"],
        required_unless_present_any = ["dev", "keys"]
    )]
    verifier: Option<Address>,
    /// Deploy the Groth16 verifier of the keys in DIR (`state_diff_<capacity>.key` files from
    /// `rollupd prover setup` or a ceremony): the node's provers must use the same directory.
    #[arg(long, value_name = "DIR", conflicts_with = "dev")]
    keys: Option<PathBuf>,
    /// Deploy the Groth16 verifier of the INSECURE dev keys (public seed: anyone can forge proofs).
    #[arg(long)]
    dev: bool,
    /// The node's config: the genesis commitment is computed from the L2 genesis it describes.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Governor (upgrades, freezing, parameters). Defaults to the deployer.
    #[arg(long, value_name = "ADDRESS")]
    governor: Option<Address>,
    /// Admin (validators, unfreezing). Defaults to the governor.
    #[arg(long, value_name = "ADDRESS")]
    admin: Option<Address>,
    /// Validator allowed to commit, prove and execute; repeat for several. Defaults to the deployer.
    #[arg(long = "validator", value_name = "ADDRESS")]
    validators: Vec<Address>,
    /// Chain id of the L2.
    #[arg(long, default_value_t = 270, value_parser = clap::value_parser!(u64).range(1..))]
    l2_chain_id: u64,
    /// State commitment of the genesis state (a BN254 field element, 32-byte hex). Default: the
    /// tree commitment of the L2 genesis (`rollupd run` starts from an empty genesis).
    #[arg(long, value_name = "HEX")]
    genesis_batch_hash: Option<B256>,
    /// Commitment of the genesis batch (32-byte hex).
    #[arg(long, default_value_t = B256::ZERO, value_name = "HEX")]
    genesis_commitment: B256,
    /// Next free enumeration index of the genesis state tree. Default: the L2 genesis tree's.
    #[arg(long)]
    genesis_index: Option<u64>,
    /// Timestamp of the genesis batch (seconds); batch 1 must be later.
    #[arg(long, default_value_t = 0)]
    genesis_timestamp: u64,
    /// Seconds a priority request may wait before commits must include it (3600..=2592000).
    #[arg(long, default_value_t = 86_400)]
    priority_tx_deadline: u64,
    /// Seconds between a batch's commit and its earliest execute (at most 2592000): the window in
    /// which a bad batch can be seen and the diamond frozen. Default: 10800 (3 hours); 0 with
    /// `--dev`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=2_592_000))]
    execution_delay: Option<u64>,
    /// Seconds between proposing an upgrade and its earliest execution (at most 2592000).
    /// Default: 259200 (3 days); 0 with `--dev`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=2_592_000))]
    upgrade_delay: Option<u64>,
    /// Most L2 gas one priority request may ask for (at most 80000000).
    #[arg(long, default_value_t = 72_000_000)]
    priority_tx_max_gas_limit: u64,
    /// Where to write the deployment JSON.
    #[arg(long, default_value = "deployment.json", value_name = "FILE")]
    out: PathBuf,
    /// Overwrite `--out` if it exists (its addresses are otherwise kept safe).
    #[arg(long)]
    force: bool,
    /// Seconds to wait for the L1 to answer before giving up.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

/// Default commit -> execute delay of a production deployment (seconds).
const PRODUCTION_EXECUTION_DELAY: u64 = 3 * 3600;
/// Default upgrade delay of a production deployment (seconds).
const PRODUCTION_UPGRADE_DELAY: u64 = 3 * 24 * 3600;

/// Init code of `StateDiffKeysVerifier` for the keys in `dir` (the circuits the node proves
/// with), and the key hash it will report.
fn keys_verifier(dir: &std::path::Path) -> anyhow::Result<(alloy::primitives::Bytes, B256)> {
    use rollup_contracts::bindings::StateDiffKeysVerifier;
    use rollup_prover::{keys::DEV_SHAPES, solidity};
    let keys = rollup_prover::keys::KeySet::load(dir, &DEV_SHAPES)
        .with_context(|| format!("--keys {}: loading the key files", dir.display()))?;
    let vks = keys.verifying_keys();
    let (capacities, key_words) = solidity::keys_constructor(&vks);
    let args = StateDiffKeysVerifier::constructorCall { capacities, keyWords: key_words };
    let mut init = StateDiffKeysVerifier::BYTECODE.to_vec();
    init.extend_from_slice(&alloy::sol_types::SolConstructor::abi_encode(&args));
    Ok((init.into(), solidity::vk_hash(&vks)))
}

/// Keeps every request the Mailbox accepts includable by the L2 the config describes: no
/// request asks for more gas than an L2 block has, and L1's price floor is the L2 base fee.
pub(crate) fn align_with_l2(config: &mut DeployConfig, block_gas_limit: u64, base_fee: u64) {
    if config.priority_tx_max_gas_limit > block_gas_limit {
        eprintln!(
            "priority requests limited to {block_gas_limit} gas (l2.block_gas_limit), not {}",
            config.priority_tx_max_gas_limit
        );
        config.priority_tx_max_gas_limit = block_gas_limit;
    }
    let floor = &mut config.fee_params.minimal_l2_gas_price;
    *floor = (*floor).max(base_fee);
}

/// Re-export of the URL type alloy's HTTP transport takes, for clap parsing.
mod reqwest_url {
    pub(crate) use alloy::transports::http::reqwest::Url;
}

pub(crate) async fn run(args: DeployArgs) -> anyhow::Result<()> {
    if !matches!(args.l1_rpc.scheme(), "http" | "https") {
        bail!("--l1-rpc must be an http:// or https:// URL, got {}", args.l1_rpc);
    }
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists: it may hold a live deployment's addresses; pass --force to overwrite",
            args.out.display()
        );
    }
    // Checked before any transaction: failing to write after deploying would lose the addresses.
    let dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("the directory of --out ({}) does not exist", dir.display());
    }
    let deployer = args.private_key.address();
    let governor = args.governor.unwrap_or(deployer);
    let admin = args.admin.unwrap_or(governor);
    let validators =
        if args.validators.is_empty() { vec![deployer] } else { args.validators.clone() };
    // The key hash the deployed verifier must report (none for an existing verifier).
    let (verifier, expected_vk_hash) = match (args.verifier, &args.keys) {
        (Some(a), _) => (VerifierSource::Existing(a), None),
        (None, Some(dir)) => {
            let (init, hash) = keys_verifier(dir)?;
            eprintln!(
                "deploying the verifier of the keys in {} (verification key hash {hash})",
                dir.display()
            );
            (VerifierSource::Bytecode(init), Some(hash))
        }
        (None, None) => {
            eprintln!(
                "WARNING: --dev deploys the verifier of the INSECURE dev proving keys; their seed is public and anyone can forge proofs. Never use it for value."
            );
            (
                VerifierSource::Bytecode(
                    rollup_contracts::bindings::StateDiffVerifier::BYTECODE.clone(),
                ),
                None,
            )
        }
    };
    let mut l2_chain_id = args.l2_chain_id;
    let mut alloc = Vec::new();
    let mut l2_limits = None;
    if let Some(path) = &args.config {
        let node = crate::config::NodeConfig::load(Some(path), std::env::vars(), &[])?;
        l2_chain_id = node.l2.chain_id;
        alloc = node.l2.genesis_alloc()?;
        l2_limits = Some((node.l2.block_gas_limit, node.l2.base_fee));
    }
    // The L2 genesis `rollupd run` starts from: `l2.genesis_alloc` of the config (empty without
    // one: value then arrives by deposits). Its sum is locked in the Diamond.
    let genesis = crate::settlement::genesis_config(&alloc)?;
    if !genesis.locked_wei.is_zero() {
        eprintln!(
            "locking {} wei in the Diamond: the L2 genesis allocation of {} account(s)",
            genesis.locked_wei,
            alloc.len()
        );
    }
    let mut config = DeployConfig::new(verifier, governor, admin, deployer);
    config.validators = validators;
    config.l2_chain_id = l2_chain_id;
    config.genesis = GenesisConfig {
        batch_hash: args.genesis_batch_hash.unwrap_or(genesis.batch_hash),
        index_repeated_storage_changes: args
            .genesis_index
            .unwrap_or(genesis.index_repeated_storage_changes),
        commitment: args.genesis_commitment,
        timestamp: args.genesis_timestamp,
        locked_wei: genesis.locked_wei,
    };
    config.priority_tx_deadline = args.priority_tx_deadline;
    let (execution_delay, upgrade_delay) =
        if args.dev { (0, 0) } else { (PRODUCTION_EXECUTION_DELAY, PRODUCTION_UPGRADE_DELAY) };
    config.execution_delay = args.execution_delay.unwrap_or(execution_delay);
    config.upgrade_delay = args.upgrade_delay.unwrap_or(upgrade_delay);
    config.priority_tx_max_gas_limit = args.priority_tx_max_gas_limit;
    if let Some((gas_limit, base_fee)) = l2_limits {
        align_with_l2(&mut config, gas_limit, base_fee);
    }
    config.validate()?;

    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(args.private_key))
        .connect_http(args.l1_rpc.clone());
    let timeout = Duration::from_secs(args.timeout);
    let l1_chain_id = tokio::time::timeout(timeout, provider.get_chain_id())
        .await
        .with_context(|| format!("L1 at {} did not answer within {}s", args.l1_rpc, args.timeout))?
        .with_context(|| format!("cannot reach the L1 at {}", args.l1_rpc))?;
    tracing::info!(target: "rollup::deploy", l1_chain_id, %deployer, %governor, %admin, "deploying the L1 suite");

    let deployment =
        tokio::time::timeout(timeout * 10, rollup_contracts::deploy(&provider, &config))
            .await
            .context("deployment timed out")??;
    if let Some(want) = expected_vk_hash {
        let got = rollup_contracts::bindings::IVerifier::new(deployment.verifier, &provider)
            .verificationKeyHash()
            .call()
            .await
            .context("reading the deployed verifier's key hash")?;
        if got != want {
            bail!("the deployed verifier reports key hash {got}, the keys hash to {want}");
        }
    }
    let json = serde_json::to_string_pretty(&deployment).context("serialising the deployment")?;
    if let Err(err) = std::fs::write(&args.out, json.clone() + "\n") {
        // The suite is live on L1: never lose its addresses.
        println!("{json}");
        bail!(
            "deployed, but writing {} failed ({err}); the addresses are printed above",
            args.out.display()
        );
    }
    println!("Diamond proxy  {}", deployment.diamond_proxy);
    println!("verifier       {}", deployment.verifier);
    println!("L1 chain id    {l1_chain_id}");
    println!("L1 block       {} (eth_watcher.from_block)", deployment.deployed_at_block);
    println!("addresses in   {}", args.out.display());
    Ok(())
}
