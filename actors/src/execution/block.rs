//! Building an L2 block: execute queued transactions on the state, produce Ethereum-shaped
//! receipts and header, and collect the block's net slot writes. Pure logic, no I/O: the sealer
//! persists the result with its block writer (`storage::chain::BlockWriter::commit_block`).
//!
//! Header fields: `stateRoot` is `keccak256` of the block's canonical slot writes (see
//! [`writes_hash`]) until the state tree's root takes its place; `mixHash` (prevrandao) is the
//! parent hash; there are no ommers, withdrawals or blobs. The block hash is the keccak of the RLP
//! header, as on Ethereum, so it is deterministic given the parent, transactions and time.

use crate::execution::priority::PriorityTx;
use crate::execution::validation::ValidTx;
use crate::state::{
    execute_tx, execute_tx_failing, ExecutionError, NewBytecodes, Overlay, SlotKey, SlotWrite,
    StateError, StateReader,
};
use alloy::consensus::proofs::{calculate_receipt_root, ordered_trie_root_with_encoder};
use alloy::consensus::{
    Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction, TxEnvelope, TxReceipt, TxType,
    EMPTY_OMMER_ROOT_HASH,
};
use alloy::primitives::{keccak256, Address, Bloom, Bytes, TxKind, B256, U256};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::result::{ExecutionResult, Output};
use revm::primitives::hardfork::SpecId;
use rollup_contracts::cost::{code_words, BatchShape, TxLimits};
use std::collections::{HashMap, HashSet};

/// Most L2->L1 messages one block may send: each is an 88-byte log in the commit calldata, and
/// a block is never split across batches. A transaction that alone sends more is included as
/// failed and pays for all its gas.
pub const MAX_BLOCK_MESSAGES: usize = 256;

/// Most priority transactions one block includes: `executeBatches` pops each on L1 (about 10k
/// gas), a block is never split across batches, and the batcher bounds them per batch
/// (`batcher.max_priority_ops`, at least this).
pub const MAX_BLOCK_PRIORITY_TXS: usize = 256;

/// What a block may publish: it must settle in one batch, whose commit, prove and execute
/// transactions each fit one L1 transaction's limits (`l1.max_tx_gas`,
/// `l1.max_tx_calldata_bytes`; the batcher seals by the same rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleLimits {
    /// Limits of one settlement transaction.
    pub tx: TxLimits,
    /// Records per proof chunk.
    pub chunk_records: usize,
}

impl SettleLimits {
    /// `rollupd dev`'s defaults: 120,000 calldata bytes, 10M gas, 15 records per chunk.
    pub const DEV: SettleLimits = SettleLimits {
        tx: TxLimits { max_calldata: 120_000, max_gas: 10_000_000 },
        chunk_records: 15,
    };

    /// Whether a batch of this shape (with its batch-info record) settles.
    fn settles(&self, mut shape: BatchShape) -> bool {
        shape.records += 1;
        shape.chunk_records = self.chunk_records;
        self.tx.oversized(&shape).is_none()
    }
}

/// Whether `shape` settles under `limits` (always, for a chain that does not settle).
fn settles(limits: &Option<SettleLimits>, shape: BatchShape) -> bool {
    limits.as_ref().is_none_or(|l| l.settles(shape))
}

/// What a block publishes so far: distinct slots written, L2->L1 messages, distinct new
/// bytecodes, priority operations.
#[derive(Debug, Default)]
struct BlockUse {
    keys: HashSet<SlotKey>,
    messages: usize,
    codes: HashMap<B256, usize>,
    priority: u64,
}

/// What one transaction publishes.
struct TxUse<'a> {
    writes: &'a [SlotWrite],
    messages: usize,
    bytecodes: &'a NewBytecodes,
    priority: bool,
}

impl TxUse<'_> {
    /// Whether the transaction alone fits a block (messages) and a batch (everything).
    fn fits_alone(&self, limits: &Option<SettleLimits>) -> bool {
        self.messages <= MAX_BLOCK_MESSAGES && settles(limits, self.alone())
    }

    /// The transaction alone in a batch.
    fn alone(&self) -> BatchShape {
        BatchShape {
            records: self.writes.len(),
            logs: self.messages,
            bytecodes: self.bytecodes.len(),
            bytecode_words: self.bytecodes.iter().map(|(_, c)| code_words(c.len())).sum(),
            priority_ops: u64::from(self.priority),
            ..BatchShape::default()
        }
    }
}

impl BlockUse {
    /// The block with `tx` added (an upper bound: a slot already written counts once).
    fn with(&self, tx: &TxUse<'_>) -> BatchShape {
        let new_keys = tx.writes.iter().filter(|w| !self.keys.contains(&w.key)).count();
        let mut words: usize = self.codes.values().sum();
        let mut count = self.codes.len();
        for (h, c) in tx.bytecodes {
            if !self.codes.contains_key(h) {
                words += code_words(c.len());
                count += 1;
            }
        }
        BatchShape {
            records: self.keys.len() + new_keys,
            logs: self.messages + tx.messages,
            bytecodes: count,
            bytecode_words: words,
            priority_ops: self.priority + u64::from(tx.priority),
            ..BatchShape::default()
        }
    }

    fn add(&mut self, tx: &TxUse<'_>) {
        self.keys.extend(tx.writes.iter().map(|w| w.key));
        self.messages += tx.messages;
        for (h, c) in tx.bytecodes {
            self.codes.insert(*h, code_words(c.len()));
        }
        self.priority += u64::from(tx.priority);
    }
}

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
    /// What a block may publish (it must settle in one batch); `None` for a chain that does not
    /// settle (the embedded dev L1).
    pub settle: Option<SettleLimits>,
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
    /// Its hash (for a priority transaction, the canonical hash L1 computed).
    pub hash: B256,
    /// The sender.
    pub sender: Address,
    /// The raw transaction (`0xff ‖ abi.encode(transaction)` for a priority transaction).
    pub raw: Bytes,
    /// The serial id of a priority transaction; `None` for a user transaction.
    pub priority: Option<u64>,
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
    /// Transactions that did not fit in the remaining block gas or message budget, and the later
    /// nonces of their senders (they stay in the pool for the next block).
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
/// deferred, and so is every later transaction of its sender (they need it first). Reverted
/// transactions are included with a failed receipt, as on Ethereum.
pub fn build_block<R: StateReader>(
    base: R,
    spec: &ChainSpec,
    input: BlockInput,
    txs: impl IntoIterator<Item = ValidTx>,
) -> Result<BuiltBlock, StateError> {
    build_block_with(base, spec, input, &[], txs)
}

/// Moves balance: adds `amount` to `who`, or takes up to `amount` from it. Returns what moved.
fn move_balance<R: StateReader>(
    overlay: &mut Overlay<R>,
    who: Address,
    amount: U256,
    add: bool,
) -> Result<U256, StateError> {
    let key = SlotKey::balance(who);
    let old = overlay.slot(&key)?;
    let before = U256::from_be_bytes(old.0);
    let (after, moved) = if add {
        let after = before.saturating_add(amount);
        (after, after - before)
    } else {
        let moved = before.min(amount);
        (before - moved, moved)
    };
    overlay.apply(&[SlotWrite { key, old, new: B256::from(after) }], &[]);
    Ok(moved)
}

/// ETH withdrawn to L1 leaves L2 circulation: the base token contract's balance is reduced by
/// the amount of each `Withdrawal` it logged (only code at its address can emit those). Any
/// other ETH sent to it stays there, in the supply.
fn burn_withdrawn<R: StateReader>(
    overlay: &mut Overlay<R>,
    logs: &[alloy::primitives::Log],
) -> Result<(), StateError> {
    let withdrawn = crate::execution::system::withdrawn(logs);
    if withdrawn.is_zero() {
        return Ok(());
    }
    move_balance(overlay, crate::execution::system::BASE_TOKEN_CONTRACT, withdrawn, false)?;
    Ok(())
}

/// What one priority transaction did.
struct PriorityOutcome {
    success: bool,
    gas_used: u64,
    logs: Vec<alloy::primitives::Log>,
    /// Its net slot writes and new bytecodes (fee and refund moves included).
    writes: Vec<SlotWrite>,
    bytecodes: NewBytecodes,
    messages: usize,
}

/// Slot writes a priority transaction makes beyond its call: the fee and the refund.
const PRIORITY_FEE_WRITES: usize = 4;

/// Executes one priority transaction on `overlay` by the rules of docs/bridge.md:
/// - `to_mint` is minted to `from`, and `gas_limit × gas_price` is taken from it before the call
///   (L1 priced the gas, whatever the block's base fee); `from`'s nonce does not change.
/// - success: the operator (coinbase) gets `gas_used × gas_price`, the refund recipient the
///   unused gas; `from` keeps `to_mint - value - gas_limit × gas_price`.
/// - failure (revert, halt, or a call the L2 cannot run at all, which uses no gas): the call's
///   effects are undone, the operator gets `gas_used × gas_price` and the refund recipient the
///   rest of `to_mint`; `from` ends where it started.
///
/// - a call that alone would publish more than one batch can settle (slot writes, L2->L1
///   messages, bytecodes; `spec.settle`) fails and pays for all its gas, as a user transaction
///   does.
///
/// Returns `None`, changing nothing, if the call succeeds but sends more L2->L1 messages than
/// `messages_left`, or its writes do not fit what the block has left, and `must_include` is
/// false (the block is not empty: it goes in the next one). Everything happens on a scratch
/// overlay applied at the end, so a refused or failed call leaves no trace but its fee and
/// refund.
#[allow(clippy::too_many_arguments)]
fn execute_priority<R: StateReader>(
    overlay: &mut Overlay<R>,
    cfg: &CfgEnv,
    env: &BlockEnv,
    op: &PriorityTx,
    messages_left: usize,
    must_include: bool,
    block: &BlockUse,
    settle: &Option<SettleLimits>,
) -> Result<Option<PriorityOutcome>, StateError> {
    let mut scratch = Overlay::new(&*overlay);
    let price = U256::from(op.gas_price);
    move_balance(&mut scratch, op.from, op.to_mint, true)?;
    let prepaid =
        move_balance(&mut scratch, op.from, U256::from(op.gas_limit).saturating_mul(price), false)?;
    let mut cfg = cfg.clone();
    cfg.disable_nonce_check = true;
    cfg.disable_base_fee = true;
    cfg.disable_eip3607 = true;
    let tx = TxEnv {
        tx_type: 0,
        caller: op.from,
        gas_limit: op.gas_limit,
        gas_price: 0,
        kind: TxKind::Call(op.to),
        value: op.value,
        data: op.data.clone(),
        chain_id: None,
        ..Default::default()
    };
    let result = if op.gas_limit > env.gas_limit {
        Err(ExecutionError::InvalidTransaction("gas limit above the block gas limit".into()))
    } else {
        execute_tx(&scratch, &cfg, env, tx)
    };
    let (success, gas_used, logs) = match result {
        Ok(outcome) => {
            let sent = crate::execution::system::messages_in(0, outcome.result.logs()).count();
            let mut padded = outcome.writes.clone();
            padded.extend((0..PRIORITY_FEE_WRITES).map(|i| SlotWrite {
                key: SlotKey::balance(Address::with_last_byte(i as u8)),
                old: B256::ZERO,
                new: B256::ZERO,
            }));
            let used = TxUse {
                writes: &padded,
                messages: sent,
                bytecodes: &outcome.bytecodes,
                priority: true,
            };
            let alone = used.fits_alone(settle);
            let success = outcome.result.is_success();
            let room = sent <= messages_left && settles(settle, block.with(&used));
            if success && alone && !must_include && !room {
                return Ok(None);
            }
            // A call that alone sends more L2->L1 messages than a block allows, or publishes more
            // than a batch settles, fails; it pays for all its gas.
            if success && !alone && !must_include {
                // Failing, it still writes its fee and refund: they must fit what is left.
                let fee_only = TxUse {
                    writes: &padded[outcome.writes.len()..],
                    messages: 0,
                    bytecodes: &Vec::new(),
                    priority: true,
                };
                if !settles(settle, block.with(&fee_only)) {
                    return Ok(None);
                }
            }
            if success && !alone {
                tracing::warn!(target: "rollup::sealer", serial = op.serial, tx = %op.hash, writes = outcome.writes.len(), messages = sent, bytecodes = outcome.bytecodes.len(), "priority transaction publishes more than one batch can settle; included as failed");
                (false, op.gas_limit, Vec::new())
            } else {
                let success = success && sent <= messages_left;
                if success {
                    // revm counts the call in the caller's nonce; a priority transaction does not.
                    let nonce = SlotKey::nonce(op.from);
                    let writes: Vec<SlotWrite> = outcome
                        .writes
                        .iter()
                        .map(|w| {
                            if w.key != nonce {
                                return *w;
                            }
                            let n = U256::from_be_bytes(w.new.0).saturating_sub(U256::from(1));
                            SlotWrite { new: B256::from(n), ..*w }
                        })
                        .collect();
                    scratch.apply(&writes, &outcome.bytecodes);
                    burn_withdrawn(&mut scratch, outcome.result.logs())?;
                }
                let logs = if success { outcome.result.logs().to_vec() } else { Vec::new() };
                (success, outcome.result.tx_gas_used(), logs)
            }
        }
        Err(ExecutionError::State(e)) => return Err(e),
        Err(other) => {
            tracing::warn!(target: "rollup::sealer", serial = op.serial, tx = %op.hash, reason = %other, "priority transaction cannot execute; included as failed");
            (false, 0, Vec::new())
        }
    };
    let fee = U256::from(gas_used).saturating_mul(price).min(prepaid);
    move_balance(&mut scratch, env.beneficiary, fee, true)?;
    move_balance(&mut scratch, op.refund_recipient, prepaid - fee, true)?;
    if !success {
        // The rest of the mint goes to the refund recipient: `from` ends where it started.
        let rest = move_balance(&mut scratch, op.from, op.to_mint.saturating_sub(prepaid), false)?;
        move_balance(&mut scratch, op.refund_recipient, rest, true)?;
    }
    let writes = scratch.block_writes();
    let bytecodes = scratch.new_bytecodes()?;
    overlay.apply(&writes, &bytecodes);
    let messages = crate::execution::system::messages_in(0, &logs).count();
    Ok(Some(PriorityOutcome { success, gas_used, logs, writes, bytecodes, messages }))
}

/// [`build_block`] with priority transactions: they come first, in the order given (by serial
/// id), and are never dropped; they stop only where the next one's gas limit does not fit what
/// the block has left (the first always goes in).
pub fn build_block_with<R: StateReader>(
    base: R,
    spec: &ChainSpec,
    input: BlockInput,
    priority: &[PriorityTx],
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
    let mut messages = 0usize;
    let mut block = BlockUse::default();
    for op in priority {
        let fits = op.gas_limit <= spec.gas_limit - gas_used || op.gas_limit > spec.gas_limit;
        if !fits && !included.is_empty() {
            break;
        }
        let left = MAX_BLOCK_MESSAGES - messages;
        let first = included.is_empty();
        let Some(out) =
            execute_priority(&mut overlay, &cfg, &env, op, left, first, &block, &spec.settle)?
        else {
            // What it publishes does not fit what the block has left: it opens the next block.
            break;
        };
        messages += out.messages;
        block.add(&TxUse {
            writes: &out.writes,
            messages: out.messages,
            bytecodes: &out.bytecodes,
            priority: true,
        });
        gas_used += out.gas_used;
        let receipt = receipt_for(TxType::Eip1559, out.success, gas_used, out.logs);
        bloom.accrue_bloom(&receipt.bloom());
        included.push(IncludedTx {
            hash: op.hash,
            sender: op.from,
            raw: op.raw.clone(),
            priority: Some(op.serial),
            receipt,
            gas_used: out.gas_used,
            contract_address: None,
        });
    }
    // Senders with a deferred transaction: their later nonces cannot execute before it, and
    // would be dropped as "nonce too high" (and leave the pool) if tried.
    let mut waiting: HashSet<Address> = HashSet::new();
    // Senders with a dropped transaction: their later nonces now follow a gap. They stay in the
    // pool (queued, as geth keeps them) rather than be dropped too; the block does not try them.
    let mut gapped: HashSet<Address> = HashSet::new();
    for tx in txs {
        if !gapped.is_empty() && gapped.contains(&tx.sender) {
            continue;
        }
        if (!waiting.is_empty() && waiting.contains(&tx.sender))
            || tx.envelope.gas_limit() > spec.gas_limit.saturating_sub(gas_used)
        {
            waiting.insert(tx.sender);
            deferred.push(tx);
            continue;
        }
        let outcome = match execute_tx(&overlay, &cfg, &env, tx_env(&tx)) {
            Ok(o) => o,
            Err(ExecutionError::State(e)) => return Err(e),
            Err(other) => {
                // A nonce already used leaves no gap; any other failure does.
                let stale = matches!(&other, ExecutionError::InvalidTransaction(m)
                    if m.starts_with("nonce ") && m.contains(" too low"));
                if !stale {
                    gapped.insert(tx.sender);
                }
                dropped.push((tx.hash, other.to_string()));
                continue;
            }
        };
        let sent = crate::execution::system::messages_in(0, outcome.result.logs()).count();
        let used = TxUse {
            writes: &outcome.writes,
            messages: sent,
            bytecodes: &outcome.bytecodes,
            priority: false,
        };
        let (outcome, sent) = if !used.fits_alone(&spec.settle) {
            // It alone would publish more than one batch can settle: it fails and pays for all
            // its gas, as Era reverts a transaction past its pubdata limit.
            tracing::debug!(target: "rollup::sealer", tx = %tx.hash, writes = outcome.writes.len(), messages = sent, bytecodes = outcome.bytecodes.len(), "transaction publishes more than one batch can settle; included as failed");
            let failed = match execute_tx_failing(&overlay, &cfg, &env, tx_env(&tx)) {
                Ok(o) => o,
                Err(ExecutionError::State(e)) => return Err(e),
                Err(other) => {
                    gapped.insert(tx.sender);
                    dropped.push((tx.hash, other.to_string()));
                    continue;
                }
            };
            // Its few writes (nonce, fee) must still fit what the block has left.
            let used = TxUse {
                writes: &failed.writes,
                messages: 0,
                bytecodes: &failed.bytecodes,
                priority: false,
            };
            if !included.is_empty() && !settles(&spec.settle, block.with(&used)) {
                waiting.insert(tx.sender);
                deferred.push(tx);
                continue;
            }
            // Halted at its first instruction: no logs, no messages.
            (failed, 0)
        } else if messages + sent > MAX_BLOCK_MESSAGES || !settles(&spec.settle, block.with(&used))
        {
            waiting.insert(tx.sender);
            deferred.push(tx);
            continue;
        } else {
            (outcome, sent)
        };
        messages += sent;
        block.add(&TxUse {
            writes: &outcome.writes,
            messages: sent,
            bytecodes: &outcome.bytecodes,
            priority: false,
        });
        overlay.apply(&outcome.writes, &outcome.bytecodes);
        burn_withdrawn(&mut overlay, outcome.result.logs())?;
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
        included.push(IncludedTx {
            hash: tx.hash,
            sender: tx.sender,
            raw: tx.raw,
            priority: None,
            receipt,
            gas_used: used,
            contract_address,
        });
    }
    let writes = overlay.block_writes();
    let bytecodes = overlay.new_bytecodes()?;
    let receipts: Vec<&ReceiptEnvelope> = included.iter().map(|i| &i.receipt).collect();
    let header = Header {
        parent_hash: input.parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: spec.coinbase,
        state_root: writes_hash(&writes),
        // The raw bytes are each transaction's EIP-2718 encoding (`0xff ‖ ...` for priority).
        transactions_root: ordered_trie_root_with_encoder(&included, |t, buf| {
            buf.extend_from_slice(&t.raw)
        }),
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
