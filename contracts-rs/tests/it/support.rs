//! A real anvil with the suite deployed, and role-bound providers.

use alloy::network::EthereumWallet;
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use rollup_contracts::batch::{empty_rolling_hash, stored_batch_info};
use rollup_contracts::bindings::IRollupChain::{
    self, BatchProof, CommitBatchInfo, StoredBatchInfo,
};
use rollup_contracts::deploy::VerifierSource;
use rollup_contracts::{deploy, DeployConfig, Deployment};

sol!(
    /// TEST DOUBLE of the Groth16 verifier (diamond/test/utils/TestVerifier.sol): accepts exactly
    /// `[keccak256(abi.encode(publicInputs))]`. Bound here only, never in the library.
    #[sol(rpc)]
    TestVerifier,
    "tests/artifacts/TestVerifier.json"
);

/// Spawns anvil, or returns `None` (with a clear message) when it is not installed.
/// In CI (`CI` set) a missing anvil is a failure, never a skip.
pub(crate) fn spawn_anvil() -> Option<AnvilInstance> {
    let path = rollup_test_utils::anvil_path_or_skip()?;
    Some(Anvil::new().path(path).chain_id(9u64).spawn())
}

/// A provider that signs with anvil key `i`.
pub(crate) fn provider_for(anvil: &AnvilInstance, i: usize) -> DynProvider {
    let key = B256::from_slice(&anvil.keys()[i].to_bytes());
    let signer = PrivateKeySigner::from_bytes(&key).expect("anvil key");
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// anvil with the suite deployed (test verifier) and a provider per role.
pub(crate) struct TestChain {
    pub(crate) anvil: AnvilInstance,
    pub(crate) deployment: Deployment,
    pub(crate) deployer: DynProvider,
    pub(crate) governor: DynProvider,
    pub(crate) admin: DynProvider,
    pub(crate) validator: DynProvider,
    pub(crate) user: DynProvider,
    pub(crate) stranger: DynProvider,
}

impl TestChain {
    pub(crate) async fn start() -> Option<Self> {
        let anvil = spawn_anvil()?;
        let deployer = provider_for(&anvil, 0);
        let addr = |i: usize| anvil.addresses()[i];
        let config = DeployConfig::new(
            VerifierSource::Bytecode(TestVerifier::BYTECODE.clone()),
            addr(1),
            addr(2),
            addr(3),
        );
        let deployment = deploy(&deployer, &config).await.expect("deploy");
        Some(Self {
            governor: provider_for(&anvil, 1),
            admin: provider_for(&anvil, 2),
            validator: provider_for(&anvil, 3),
            user: provider_for(&anvil, 4),
            stranger: provider_for(&anvil, 5),
            deployer,
            deployment,
            anvil,
        })
    }

    pub(crate) fn address(&self, i: usize) -> Address {
        self.anvil.addresses()[i]
    }

    pub(crate) fn chain(
        &self,
        provider: &DynProvider,
    ) -> IRollupChain::IRollupChainInstance<DynProvider> {
        IRollupChain::new(self.deployment.diamond_proxy, provider.clone())
    }

    pub(crate) async fn latest_timestamp(&self) -> u64 {
        let block = self.deployer.get_block_number().await.expect("block number");
        self.deployer
            .get_block_by_number(block.into())
            .await
            .expect("block")
            .expect("block exists")
            .header
            .timestamp
    }
}

/// A plain deposit request to `to` of `amount` on L2, paying `value` at a pinned (legacy) gas
/// price, which is what the Mailbox prices the base cost from.
pub(crate) fn deposit_request(
    chain: &IRollupChain::IRollupChainInstance<DynProvider>,
    to: Address,
    amount: U256,
    value: U256,
    gas_price: u128,
) -> alloy::contract::SolCallBuilder<&DynProvider, IRollupChain::requestL2TransactionCall> {
    chain
        .requestL2Transaction(
            to,
            amount,
            alloy::primitives::Bytes::new(),
            U256::from(DEPOSIT_GAS_LIMIT),
            U256::from(800),
            vec![],
            Address::ZERO,
        )
        .value(value)
        .gas_price(gas_price)
}

/// A gas price to pin (twice the node's) and the base cost of a test deposit at that price.
pub(crate) async fn deposit_price(
    provider: &DynProvider,
    chain: &IRollupChain::IRollupChainInstance<DynProvider>,
) -> (u128, U256) {
    let gas_price = provider.get_gas_price().await.unwrap() * 2;
    let cost = chain
        .l2TransactionBaseCost(
            U256::from(gas_price),
            U256::from(DEPOSIT_GAS_LIMIT),
            U256::from(800),
        )
        .call()
        .await
        .unwrap();
    (gas_price, cost)
}

/// L2 gas limit of the deposits the tests make.
pub(crate) const DEPOSIT_GAS_LIMIT: u64 = 300_000;

/// Records per proof chunk in the test batches.
pub(crate) const TEST_CHUNK_RECORDS: u64 = 4;

/// A batch after `prev` with a 1 KiB state diff (16 records, 4 chunks) and `logs` (packed), no
/// priority operations.
pub(crate) fn next_commit(
    prev: &StoredBatchInfo,
    timestamp: u64,
    logs: Vec<u8>,
) -> CommitBatchInfo {
    let n = prev.batchNumber + 1;
    let diff = ascending_diff(n, 16);
    with_info_record(CommitBatchInfo {
        batchNumber: n,
        timestamp,
        indexRepeatedStorageChanges: prev.indexRepeatedStorageChanges + 2,
        newStateCommitment: B256::from(U256::from(0x5eed_0000u64 + n)),
        numberOfLayer1Txs: U256::ZERO,
        priorityOperationsHash: empty_rolling_hash(),
        stateDiff: diff.into(),
        l2Logs: logs.into(),
        publishedBytecodes: vec![],
        chunkRecords: TEST_CHUNK_RECORDS,
        chunkDigests: vec![],
    })
}

/// A diff of `records` records with ascending keys (`n << 128` plus 1, 2, ...; L1 checks the
/// order across chunks) and varied values.
pub(crate) fn ascending_diff(n: u64, records: usize) -> Vec<u8> {
    (0..records as u64)
        .flat_map(|i| {
            let key: U256 = (U256::from(n) << 128usize) + U256::from(i + 1);
            let value = (0..32u64).map(move |j| ((i * 32 + j) as u8).wrapping_mul(n as u8 | 1));
            key.to_be_bytes::<32>().into_iter().chain(value).collect::<Vec<u8>>()
        })
        .collect()
}

/// `c` with its batch-info record as the diff's last record (replacing one already there) and a
/// test digest per chunk: call it again after changing a field the record binds or the cut.
pub(crate) fn with_info_record(mut c: CommitBatchInfo) -> CommitBatchInfo {
    use rollup_contracts::batch::{BatchClaims, BATCH_INFO_KEY, STATE_DIFF_RECORD_BYTES};
    let mut diff = c.stateDiff.to_vec();
    if let Some(at) = diff.len().checked_sub(STATE_DIFF_RECORD_BYTES) {
        if diff[at..at + 32] == BATCH_INFO_KEY[..] {
            diff.truncate(at);
        }
    }
    let (key, value) = BatchClaims::of(&c).expect("valid logs").record();
    diff.extend_from_slice(key.as_slice());
    diff.extend_from_slice(value.as_slice());
    c.stateDiff = diff.into();
    c.chunkDigests = test_digests(&c);
    c
}

/// One test digest per chunk of `c`'s diff: field elements L1 takes as they are (it cannot
/// recompute a Poseidon digest; only a proof can show it).
pub(crate) fn test_digests(c: &CommitBatchInfo) -> Vec<B256> {
    let size = usize::try_from(c.chunkRecords).unwrap_or(usize::MAX).max(1).saturating_mul(64);
    (0..c.stateDiff.len().div_ceil(size))
        .map(|i| {
            let mut h = alloy::primitives::keccak256(format!("digest {} {i}", c.batchNumber));
            h.0[0] = 0;
            h
        })
        .collect()
}

/// `k` consecutive commits after `prev` and their stored infos (computed in Rust).
pub(crate) fn commits_after(
    prev: &StoredBatchInfo,
    k: usize,
    timestamp: u64,
) -> (Vec<CommitBatchInfo>, Vec<StoredBatchInfo>) {
    let mut commits = Vec::new();
    let mut stored = Vec::new();
    let mut last = prev.clone();
    for i in 0..k {
        let c = next_commit(&last, timestamp + i as u64, vec![]);
        last = stored_batch_info(&c).expect("valid commit");
        commits.push(c);
        stored.push(last.clone());
    }
    (commits, stored)
}

/// The test verifier's proof words for one chunk's inputs.
pub(crate) fn test_chunk_proof(
    from: B256,
    to: B256,
    claim: &rollup_contracts::bindings::IRollupChain::ChunkClaim,
) -> Vec<U256> {
    use alloy::sol_types::SolValue;
    let inputs = rollup_contracts::batch::chunk_public_inputs(from, to, claim).to_vec();
    vec![U256::from_be_bytes(alloy::primitives::keccak256(inputs.abi_encode()).0)]
}

/// A test commitment between chunks `i` and `i + 1` of `batch` (a field element).
pub(crate) fn mid_commitment(batch: u64, i: usize) -> B256 {
    let mut h = alloy::primitives::keccak256(format!("mid {batch} {i}"));
    h.0[0] = 0;
    h
}

/// The test verifier's proof of `commit` (stored as `batch`) on top of `prev`.
pub(crate) fn test_proof(
    prev: &StoredBatchInfo,
    commit: &CommitBatchInfo,
    batch: &StoredBatchInfo,
) -> BatchProof {
    let claims = rollup_contracts::batch::chunk_claims(
        &commit.stateDiff,
        commit.chunkRecords,
        &commit.chunkDigests,
    )
    .expect("whole records, one digest per chunk");
    let k = claims.len();
    let mut from = prev.batchHash;
    let mut chunks = Vec::new();
    for (i, claim) in claims.iter().enumerate() {
        let to = if i + 1 == k { batch.batchHash } else { mid_commitment(batch.batchNumber, i) };
        chunks.push((to, test_chunk_proof(from, to, claim)));
        from = to;
    }
    rollup_contracts::batch::batch_proof(claims, chunks)
}
