//! Deployment of the whole suite through the bindings: facets, init contract and the proxy with
//! its initial cut (Admin and Getters not freezable; Executor and Mailbox freezable) and genesis.

use crate::batch::BN254_SCALAR_FIELD;
use crate::bindings::{
    AdminFacet, DiamondInit, DiamondProxy, ExecutorFacet, GettersFacet, MailboxFacet,
};
use alloy::network::{Ethereum, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolInterface};
use serde::{Deserialize, Serialize};

/// Where the proof verifier comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifierSource {
    /// An `IVerifier` already deployed at this address.
    Existing(Address),
    /// Creation code of an `IVerifier` to deploy first.
    Bytecode(Bytes),
}

/// The genesis batch (batch 0) the diamond starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisConfig {
    /// State commitment of the genesis state (a BN254 field element).
    pub batch_hash: B256,
    /// Next free enumeration index of the genesis state tree.
    pub index_repeated_storage_changes: u64,
    /// Commitment of the genesis batch.
    pub commitment: B256,
    /// Timestamp of the genesis batch; batch 1 must be later.
    pub timestamp: u64,
    /// Wei sent with the proxy's deployment and kept by the diamond: the sum of the L2 genesis
    /// allocation, so L1 backs every wei on L2 from block 0 (zero for an empty genesis).
    #[serde(default)]
    pub locked_wei: U256,
}

/// Fee parameters of L1->L2 requests (Era's `FeeParams`); defaults are Era's deploy defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeParamsConfig {
    /// Rollup (true) charges L1 gas for pubdata; validium (false) does not.
    pub rollup: bool,
    /// L1 gas per batch, amortised over its gas and pubdata.
    pub batch_overhead_l1_gas: u32,
    /// Most pubdata bytes per batch.
    pub max_pubdata_per_batch: u32,
    /// Most L2 gas per batch.
    pub max_l2_gas_per_batch: u32,
    /// Most pubdata of one priority transaction.
    pub priority_tx_max_pubdata: u32,
    /// Floor of the L2 gas price, in wei.
    pub minimal_l2_gas_price: u64,
}

impl Default for FeeParamsConfig {
    fn default() -> Self {
        Self {
            rollup: true,
            batch_overhead_l1_gas: 1_000_000,
            max_pubdata_per_batch: 120_000,
            max_l2_gas_per_batch: 80_000_000,
            priority_tx_max_pubdata: 99_000,
            minimal_l2_gas_price: 250_000_000,
        }
    }
}

/// Everything [`deploy`] needs.
#[derive(Debug, Clone)]
pub struct DeployConfig {
    /// The proof verifier.
    pub verifier: VerifierSource,
    /// Governor: upgrades, freezing, parameters.
    pub governor: Address,
    /// Admin: validators, unfreezing.
    pub admin: Address,
    /// Validators: may commit, prove, execute and revert batches.
    pub validators: Vec<Address>,
    /// Chain id of the L2.
    pub l2_chain_id: u64,
    /// The genesis batch.
    pub genesis: GenesisConfig,
    /// Most L2 gas a priority request may ask for (at most 80,000,000).
    pub priority_tx_max_gas_limit: u64,
    /// Fee parameters of L1->L2 requests.
    pub fee_params: FeeParamsConfig,
    /// Seconds between a batch's commit and its earliest execute (at most 30 days).
    pub execution_delay: u64,
    /// Seconds a priority request may wait before commits must include it (1 hour to 30 days).
    pub priority_tx_deadline: u64,
    /// Initial protocol version.
    pub protocol_version: u64,
    /// Seconds between proposing an upgrade and its earliest execution (at most 30 days).
    pub upgrade_delay: u64,
}

impl DeployConfig {
    /// A configuration with Era-like defaults for the given roles and verifier.
    pub fn new(
        verifier: VerifierSource,
        governor: Address,
        admin: Address,
        validator: Address,
    ) -> Self {
        Self {
            verifier,
            governor,
            admin,
            validators: vec![validator],
            l2_chain_id: 270,
            genesis: GenesisConfig {
                batch_hash: B256::ZERO,
                index_repeated_storage_changes: 1,
                commitment: B256::ZERO,
                timestamp: 0,
                locked_wei: U256::ZERO,
            },
            priority_tx_max_gas_limit: 72_000_000,
            fee_params: FeeParamsConfig::default(),
            execution_delay: 0,
            priority_tx_deadline: 24 * 3600,
            protocol_version: 1,
            upgrade_delay: 0,
        }
    }

    /// Checks what the contracts would reject, so a bad config fails before any transaction.
    pub fn validate(&self) -> Result<(), DeployError> {
        let bad =
            |field: &'static str, reason: String| Err(DeployError::InvalidConfig { field, reason });
        if self.governor.is_zero() {
            return bad("governor", "must not be the zero address".into());
        }
        if self.admin.is_zero() {
            return bad("admin", "must not be the zero address".into());
        }
        if self.validators.iter().any(|v| v.is_zero()) {
            return bad("validators", "must not contain the zero address".into());
        }
        if let VerifierSource::Existing(a) = &self.verifier {
            if a.is_zero() {
                return bad("verifier", "must not be the zero address".into());
            }
        }
        if self.l2_chain_id == 0 {
            return bad("l2_chain_id", "must not be 0".into());
        }
        if U256::from_be_bytes(self.genesis.batch_hash.0) >= BN254_SCALAR_FIELD {
            return bad(
                "genesis.batch_hash",
                "must be below the BN254 scalar field modulus".into(),
            );
        }
        if self.priority_tx_max_gas_limit > 80_000_000 {
            return bad(
                "priority_tx_max_gas_limit",
                format!("{} > 80000000", self.priority_tx_max_gas_limit),
            );
        }
        if self.execution_delay > 30 * 24 * 3600 {
            return bad(
                "execution_delay",
                format!("{} s is more than 30 days", self.execution_delay),
            );
        }
        if self.upgrade_delay > 30 * 24 * 3600 {
            return bad("upgrade_delay", format!("{} s is more than 30 days", self.upgrade_delay));
        }
        if !(3600..=30 * 24 * 3600).contains(&self.priority_tx_deadline) {
            return bad(
                "priority_tx_deadline",
                format!("{} s is outside 1 hour ..= 30 days", self.priority_tx_deadline),
            );
        }
        let f = &self.fee_params;
        if f.max_pubdata_per_batch == 0
            || f.max_l2_gas_per_batch == 0
            || f.priority_tx_max_pubdata == 0
            || f.max_pubdata_per_batch < f.priority_tx_max_pubdata
        {
            return bad(
                "fee_params",
                "limits must be non-zero and max_pubdata_per_batch >= priority_tx_max_pubdata"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Addresses of a deployed suite; written by `rollupd deploy` as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// L1 chain id the suite lives on.
    pub l1_chain_id: u64,
    /// L2 chain id the suite settles.
    pub l2_chain_id: u64,
    /// The diamond proxy: bind `IRollupChain` here.
    pub diamond_proxy: Address,
    /// Admin facet.
    pub admin_facet: Address,
    /// Executor facet.
    pub executor_facet: Address,
    /// Mailbox facet.
    pub mailbox_facet: Address,
    /// Getters facet.
    pub getters_facet: Address,
    /// Init contract of the initial cut.
    pub diamond_init: Address,
    /// Proof verifier.
    pub verifier: Address,
    /// L1 block of the proxy deployment (where an event watcher starts).
    pub deployed_at_block: u64,
    /// The genesis batch.
    pub genesis: GenesisConfig,
}

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A configuration value the contracts would reject.
    #[error("invalid deploy config: {field}: {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A deployment transaction failed or reverted.
    #[error("deploying {contract} failed: {reason}")]
    Transaction {
        /// The contract being deployed.
        contract: &'static str,
        /// The decoded failure.
        reason: String,
    },
    /// The L1 node could not be queried.
    #[error("L1 RPC error: {0}")]
    Rpc(String),
}

/// The selectors of a facet: every function in its ABI.
pub fn facet_selectors<C: SolInterface>() -> Vec<[u8; 4]> {
    C::selectors().collect()
}

async fn deploy_code<P: Provider<Ethereum>>(
    provider: &P,
    contract: &'static str,
    code: Bytes,
    value: U256,
) -> Result<(Address, u64), DeployError> {
    let fail = |reason: String| DeployError::Transaction { contract, reason };
    let tx = TransactionRequest::default().with_deploy_code(code).with_value(value);
    let pending = provider.send_transaction(tx).await.map_err(|e| fail(e.to_string()))?;
    let receipt = pending.get_receipt().await.map_err(|e| fail(e.to_string()))?;
    if !receipt.status() {
        return Err(fail(format!("transaction {} reverted", receipt.transaction_hash)));
    }
    let address =
        receipt.contract_address.ok_or_else(|| fail("receipt has no contract address".into()))?;
    Ok((address, receipt.block_number.unwrap_or_default()))
}

/// Deploys the verifier (if given as bytecode), the four facets, the init contract and the proxy,
/// whose constructor installs the facets and runs the init contract with the genesis batch.
///
/// The provider must sign for the deployer; the deployer needs no role afterwards.
pub async fn deploy<P: Provider<Ethereum>>(
    provider: &P,
    config: &DeployConfig,
) -> Result<Deployment, DeployError> {
    config.validate()?;
    let l1_chain_id = provider.get_chain_id().await.map_err(|e| DeployError::Rpc(e.to_string()))?;

    let verifier = match &config.verifier {
        VerifierSource::Existing(a) => {
            let code =
                provider.get_code_at(*a).await.map_err(|e| DeployError::Rpc(e.to_string()))?;
            if code.is_empty() {
                return Err(DeployError::InvalidConfig {
                    field: "verifier",
                    reason: format!("{a} has no code on the L1 (deploy an IVerifier there first)"),
                });
            }
            *a
        }
        VerifierSource::Bytecode(code) => {
            deploy_code(provider, "verifier", code.clone(), U256::ZERO).await?.0
        }
    };
    let (admin_facet, _) =
        deploy_code(provider, "AdminFacet", AdminFacet::BYTECODE.clone(), U256::ZERO).await?;
    let (executor_facet, _) =
        deploy_code(provider, "ExecutorFacet", ExecutorFacet::BYTECODE.clone(), U256::ZERO).await?;
    let (mailbox_facet, _) =
        deploy_code(provider, "MailboxFacet", MailboxFacet::BYTECODE.clone(), U256::ZERO).await?;
    let (getters_facet, _) =
        deploy_code(provider, "GettersFacet", GettersFacet::BYTECODE.clone(), U256::ZERO).await?;
    let (diamond_init, _) =
        deploy_code(provider, "DiamondInit", DiamondInit::BYTECODE.clone(), U256::ZERO).await?;

    use DiamondProxy::{DiamondCutData, FacetCut};
    let cut = |facet: Address, freezable: bool, selectors: Vec<[u8; 4]>| FacetCut {
        facet,
        action: 0, // Action.Add
        isFreezable: freezable,
        selectors: selectors.into_iter().map(Into::into).collect(),
    };
    let init = DiamondInit::initializeCall { data: init_data(config, verifier) };
    let diamond_cut = DiamondCutData {
        facetCuts: vec![
            cut(admin_facet, false, facet_selectors::<AdminFacet::AdminFacetCalls>()),
            cut(getters_facet, false, facet_selectors::<GettersFacet::GettersFacetCalls>()),
            cut(executor_facet, true, facet_selectors::<ExecutorFacet::ExecutorFacetCalls>()),
            cut(mailbox_facet, true, facet_selectors::<MailboxFacet::MailboxFacetCalls>()),
        ],
        initAddress: diamond_init,
        initCalldata: init.abi_encode().into(),
    };
    let ctor =
        DiamondProxy::constructorCall { chainId: U256::from(l1_chain_id), diamondCut: diamond_cut };
    let mut code = DiamondProxy::BYTECODE.to_vec();
    code.extend_from_slice(&alloy::sol_types::SolConstructor::abi_encode(&ctor));
    let (diamond_proxy, deployed_at_block) =
        deploy_code(provider, "DiamondProxy", code.into(), config.genesis.locked_wei)
            .await
            .map_err(|e| match e {
                DeployError::Transaction { contract, reason } => DeployError::Transaction {
                    contract,
                    reason: format!(
                        "{reason} (the constructor runs the initial cut and DiamondInit)"
                    ),
                },
                other => other,
            })?;
    tracing::info!(
        target: "rollup::deploy",
        proxy = %diamond_proxy, l1_chain_id, block = deployed_at_block,
        "diamond deployed"
    );
    Ok(Deployment {
        l1_chain_id,
        l2_chain_id: config.l2_chain_id,
        diamond_proxy,
        admin_facet,
        executor_facet,
        mailbox_facet,
        getters_facet,
        diamond_init,
        verifier,
        deployed_at_block,
        genesis: config.genesis.clone(),
    })
}

fn init_data(config: &DeployConfig, verifier: Address) -> DiamondInit::InitializeData {
    let f = &config.fee_params;
    DiamondInit::InitializeData {
        verifier,
        governor: config.governor,
        admin: config.admin,
        validators: config.validators.clone(),
        l2ChainId: U256::from(config.l2_chain_id),
        genesisBatchHash: config.genesis.batch_hash,
        genesisIndexRepeatedStorageChanges: config.genesis.index_repeated_storage_changes,
        genesisBatchCommitment: config.genesis.commitment,
        genesisBatchTimestamp: U256::from(config.genesis.timestamp),
        priorityTxMaxGasLimit: U256::from(config.priority_tx_max_gas_limit),
        feeParams: DiamondInit::FeeParams {
            pubdataPricingMode: u8::from(!f.rollup),
            batchOverheadL1Gas: f.batch_overhead_l1_gas,
            maxPubdataPerBatch: f.max_pubdata_per_batch,
            maxL2GasPerBatch: f.max_l2_gas_per_batch,
            priorityTxMaxPubdata: f.priority_tx_max_pubdata,
            minimalL2GasPrice: f.minimal_l2_gas_price,
        },
        executionDelay: U256::from(config.execution_delay),
        priorityTxDeadline: U256::from(config.priority_tx_deadline),
        protocolVersion: U256::from(config.protocol_version),
        upgradeDelay: U256::from(config.upgrade_delay),
    }
}

/// The stored info of the genesis batch (what the first `commitBatches` must be given).
pub fn genesis_batch_info(
    genesis: &GenesisConfig,
) -> crate::bindings::IRollupChain::StoredBatchInfo {
    crate::bindings::IRollupChain::StoredBatchInfo {
        batchNumber: 0,
        batchHash: genesis.batch_hash,
        indexRepeatedStorageChanges: genesis.index_repeated_storage_changes,
        numberOfLayer1Txs: U256::ZERO,
        priorityOperationsHash: crate::batch::empty_rolling_hash(),
        l2LogsTreeRoot: B256::ZERO,
        timestamp: U256::from(genesis.timestamp),
        stateDiffHash: B256::ZERO,
        commitment: genesis.commitment,
    }
}
