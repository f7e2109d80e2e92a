//! Building an L2 block: execute queued transactions on the state, produce Ethereum-shaped
//! receipts and header, and collect the block's net slot writes. Pure logic, no I/O: the sealer
//! persists the result with [`crate::store::ChainStore::commit_block`].
//!
//! Header fields: `stateRoot` is `keccak256` of the block's canonical slot writes (see
//! [`writes_hash`]) until the state tree's root takes its place; `mixHash` (prevrandao) is the
//! parent hash; there are no ommers, withdrawals or blobs. The block hash is the keccak of the RLP
//! header, as on Ethereum, so it is deterministic given the parent, transactions and time.

use crate::state::{
    execute_tx, ExecutionError, NewBytecodes, Overlay, SlotWrite, StateError, StateReader,
};
use crate::validation::ValidTx;
use alloy::consensus::proofs::{calculate_receipt_root, calculate_transaction_root};
use alloy::consensus::{
    Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction, TxEnvelope, TxReceipt, TxType,
    EMPTY_OMMER_ROOT_HASH,
};
use alloy::primitives::{keccak256, Address, Bloom, Bytes, B256, U256};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::result::{ExecutionResult, Output};
use revm::primitives::hardfork::SpecId;

/// Chain parameters block building needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// Chain id.
    pub chain_id: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Base fee per gas (a floor; constant for now).
    pub base_fee: u64,
    /// Fee account of the operator (coinbase).
    pub coinbase: Address,
}

/// The block to build on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInput {
    /// Its number.
    pub number: u64,
    /// Its timestamp (seconds).
    pub timestamp: u64,
    /// Hash of the parent block.
    pub parent_hash: B256,
}

/// An included transaction with its execution facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedTx {
    /// The transaction.
    pub tx: ValidTx,
    /// Its receipt.
    pub receipt: ReceiptEnvelope,
    /// Gas it used.
    pub gas_used: u64,
    /// The contract it created, if any.
    pub contract_address: Option<Address>,
}

/// A built block, ready to be persisted.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    /// The header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// Included transactions, in order.
    pub transactions: Vec<IncludedTx>,
    /// Transactions that cannot execute, with the reason (they leave the pool).
    pub dropped: Vec<(B256, String)>,
    /// Transactions that did not fit in the remaining block gas (they stay in the pool).
    pub deferred: Vec<ValidTx>,
    /// Net slot writes of the block, sorted by slot.
    pub writes: Vec<SlotWrite>,
    /// Bytecode first deployed in this block.
    pub bytecodes: NewBytecodes,
}

/// `keccak256` of the slot writes' canonical encodings ([`SlotWrite::encode_into`]), in order.
pub fn writes_hash(writes: &[SlotWrite]) -> B256 {
    let mut buf = Vec::with_capacity(writes.len() * SlotWrite::ENCODED_LEN);
    for w in writes {
        w.encode_into(&mut buf);
    }
    keccak256(buf)
}

/// revm's view of a validated transaction.
pub fn tx_env(tx: &ValidTx) -> TxEnv {
    let e = &tx.envelope;
    let (gas_price, priority) = match e {
        TxEnvelope::Eip1559(_) => (e.max_fee_per_gas(), e.max_priority_fee_per_gas()),
        _ => (e.max_fee_per_gas(), None),
    };
    TxEnv {
        tx_type: e.tx_type() as u8,
        caller: tx.sender,
        gas_limit: e.gas_limit(),
        gas_price,
        gas_priority_fee: priority,
        kind: e.kind(),
        value: e.value(),
        data: e.input().clone(),
        nonce: e.nonce(),
        chain_id: e.chain_id(),
        access_list: e.access_list().cloned().unwrap_or_default(),
        ..Default::default()
    }
}

fn receipt_for(
    ty: TxType,
    success: bool,
    cumulative_gas_used: u64,
    logs: Vec<alloy::primitives::Log>,
) -> ReceiptEnvelope {
    let receipt = Receipt { status: success.into(), cumulative_gas_used, logs };
    let with_bloom: ReceiptWithBloom<Receipt> = receipt.into();
    match ty {
        TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
        TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
        _ => ReceiptEnvelope::Eip1559(with_bloom),
    }
}

/// Executes `txs` in order on `base` and builds the block. A transaction that cannot execute
/// (nonce, funds, ...) is dropped with its reason; one that does not fit the remaining gas is
/// deferred. Reverted transactions are included with a failed receipt, as on Ethereum.
pub fn build_block<R: StateReader>(
    base: R,
    spec: &ChainSpec,
    input: BlockInput,
    txs: impl IntoIterator<Item = ValidTx>,
) -> Result<BuiltBlock, StateError> {
    let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
    cfg.chain_id = spec.chain_id;
    let env = BlockEnv {
        number: U256::from(input.number),
        beneficiary: spec.coinbase,
        timestamp: U256::from(input.timestamp),
        gas_limit: spec.gas_limit,
        basefee: spec.base_fee,
        prevrandao: Some(input.parent_hash),
        ..Default::default()
    };
    let mut overlay = Overlay::new(base);
    let mut included = Vec::new();
    let mut dropped = Vec::new();
    let mut deferred = Vec::new();
    let mut gas_used = 0u64;
    let mut bloom = Bloom::default();
    for tx in txs {
        if tx.envelope.gas_limit() > spec.gas_limit - gas_used {
            deferred.push(tx);
            continue;
        }
        let outcome = match execute_tx(&overlay, &cfg, &env, tx_env(&tx)) {
            Ok(o) => o,
            Err(ExecutionError::State(e)) => return Err(e),
            Err(other) => {
                dropped.push((tx.hash, other.to_string()));
                continue;
            }
        };
        overlay.apply(&outcome.writes, &outcome.bytecodes);
        let used = outcome.result.tx_gas_used();
        gas_used += used;
        let contract_address = match &outcome.result {
            ExecutionResult::Success { output: Output::Create(_, addr), .. } => *addr,
            _ => None,
        };
        let logs = outcome.result.logs().to_vec();
        let receipt =
            receipt_for(tx.envelope.tx_type(), outcome.result.is_success(), gas_used, logs);
        bloom.accrue_bloom(&receipt.bloom());
        included.push(IncludedTx { tx, receipt, gas_used: used, contract_address });
    }
    let writes = overlay.block_writes();
    let bytecodes = overlay.new_bytecodes()?;
    let envelopes: Vec<&TxEnvelope> = included.iter().map(|i| &i.tx.envelope).collect();
    let receipts: Vec<&ReceiptEnvelope> = included.iter().map(|i| &i.receipt).collect();
    let header = Header {
        parent_hash: input.parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: spec.coinbase,
        state_root: writes_hash(&writes),
        transactions_root: calculate_transaction_root(&envelopes),
        receipts_root: calculate_receipt_root(&receipts),
        logs_bloom: bloom,
        number: input.number,
        gas_limit: spec.gas_limit,
        gas_used,
        timestamp: input.timestamp,
        mix_hash: input.parent_hash,
        base_fee_per_gas: Some(spec.base_fee),
        extra_data: Bytes::new(),
        ..Default::default()
    };
    let hash = header.hash_slow();
    Ok(BuiltBlock { header, hash, transactions: included, dropped, deferred, writes, bytecodes })
}
