//! `eth_call` and `eth_estimateGas`: execute a call request on a block's state without
//! committing anything, with optional state overrides, and report reverts as geth does
//! (code 3, "execution reverted: <reason>", revert data in `data`).

use super::{rpc_err, RpcResult};
use alloy::primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy::rpc::types::state::StateOverride;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{Panic, Revert, SolError};
use jsonrpsee::types::ErrorObjectOwned;
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::result::{ExecutionResult, HaltReason, OutOfGasError};
use revm::primitives::hardfork::SpecId;
use rollup_actors::state::{
    execute_tx_touching, execute_tx_until, ExecutionError, SlotKey, StateError, StateReader,
};
use std::collections::{HashMap, HashSet};

/// A state with call-time overrides on top.
pub(crate) struct Overridden<R> {
    base: R,
    slots: HashMap<SlotKey, B256>,
    code: HashMap<B256, Bytes>,
    replaced_storage: HashSet<Address>,
}

impl<R: StateReader> Overridden<R> {
    pub(crate) fn new(base: R, overrides: Option<StateOverride>) -> Self {
        let mut s = Self {
            base,
            slots: HashMap::new(),
            code: HashMap::new(),
            replaced_storage: HashSet::new(),
        };
        for (address, o) in overrides.into_iter().flatten() {
            if let Some(b) = o.balance {
                s.slots.insert(SlotKey::balance(address), B256::from(b));
            }
            if let Some(n) = o.nonce {
                s.slots.insert(SlotKey::nonce(address), B256::from(U256::from(n)));
            }
            if let Some(code) = o.code {
                let hash = if code.is_empty() { B256::ZERO } else { keccak256(&code) };
                s.slots.insert(SlotKey::code_hash(address), hash);
                s.code.insert(hash, code);
            }
            if let Some(state) = o.state {
                s.replaced_storage.insert(address);
                for (k, v) in state {
                    s.slots.insert(SlotKey::storage(address, k.into()), v);
                }
            }
            if let Some(diff) = o.state_diff {
                for (k, v) in diff {
                    s.slots.insert(SlotKey::storage(address, k.into()), v);
                }
            }
        }
        s
    }
}

impl<R: StateReader> StateReader for Overridden<R> {
    fn slot(&self, key: &SlotKey) -> Result<B256, StateError> {
        if let Some(v) = self.slots.get(key) {
            return Ok(*v);
        }
        if self.replaced_storage.contains(&key.address) {
            return Ok(B256::ZERO);
        }
        self.base.slot(key)
    }

    fn bytecode(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        match self.code.get(hash) {
            Some(c) => Ok(Some(c.clone())),
            None => self.base.bytecode(hash),
        }
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        self.base.block_hash(number)
    }
}

/// The block a call runs in.
#[derive(Debug, Clone)]
pub(crate) struct CallBlock {
    pub(crate) chain_id: u64,
    pub(crate) number: u64,
    pub(crate) timestamp: u64,
    pub(crate) gas_limit: u64,
    pub(crate) coinbase: Address,
    pub(crate) prevrandao: B256,
    /// When the RPC call's time is up: execution (and `eth_estimateGas`'s search) stops there,
    /// so a call the client was told timed out keeps no core busy.
    pub(crate) deadline: std::time::Instant,
}

fn env(block: &CallBlock) -> (CfgEnv, BlockEnv) {
    let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
    cfg.chain_id = block.chain_id;
    // As geth's eth_call: no nonce check, callers may be contracts, fees only if a price is given.
    cfg.disable_nonce_check = true;
    cfg.disable_eip3607 = true;
    cfg.disable_base_fee = true;
    let b = BlockEnv {
        number: U256::from(block.number),
        beneficiary: block.coinbase,
        timestamp: U256::from(block.timestamp),
        gas_limit: u64::MAX,
        basefee: 0,
        prevrandao: Some(block.prevrandao),
        ..Default::default()
    };
    (cfg, b)
}

fn tx_env(req: &TransactionRequest, gas: u64, chain_id: u64) -> TxEnv {
    let price = req.gas_price.or(req.max_fee_per_gas).unwrap_or_default();
    TxEnv {
        tx_type: if req.max_fee_per_gas.is_some() { 2 } else { 0 },
        caller: req.from.unwrap_or_default(),
        gas_limit: gas,
        gas_price: price,
        gas_priority_fee: req.max_priority_fee_per_gas.filter(|_| req.max_fee_per_gas.is_some()),
        kind: req.to.unwrap_or(TxKind::Create),
        value: req.value.unwrap_or_default(),
        data: req.input.input().cloned().unwrap_or_default(),
        nonce: 0,
        chain_id: Some(chain_id),
        access_list: req.access_list.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// geth's message and data for a failed execution.
pub(crate) fn failure(result: &ExecutionResult) -> Option<ErrorObjectOwned> {
    match result {
        ExecutionResult::Success { .. } => None,
        ExecutionResult::Revert { output, .. } => {
            let reason = Revert::abi_decode(output)
                .map(|r| r.reason)
                .or_else(|_| Panic::abi_decode(output).map(|p| panic_message(p.code)))
                .ok();
            let msg = match reason {
                Some(r) => format!("execution reverted: {r}"),
                None => "execution reverted".to_string(),
            };
            Some(ErrorObjectOwned::owned(3, msg, Some(output.clone())))
        }
        ExecutionResult::Halt { reason, .. } => Some(rpc_err(-32000, halt_message(reason))),
    }
}

fn halt_message(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic)
        | HaltReason::OutOfGas(OutOfGasError::MemoryLimit)
        | HaltReason::OutOfGas(OutOfGasError::Memory)
        | HaltReason::OutOfGas(OutOfGasError::Precompile)
        | HaltReason::OutOfGas(OutOfGasError::InvalidOperand)
        | HaltReason::OutOfGas(OutOfGasError::ReentrancySentry) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack limit reached 1024".into(),
        HaltReason::CallTooDeep => "max call depth exceeded".into(),
        HaltReason::CreateContractSizeLimit => "max code size exceeded".into(),
        HaltReason::CreateInitCodeSizeLimit => "max initcode size exceeded".into(),
        HaltReason::InvalidJump => "invalid jump destination".into(),
        HaltReason::StateChangeDuringStaticCall | HaltReason::CallNotAllowedInsideStatic => {
            "write protection".into()
        }
        HaltReason::OutOfFunds | HaltReason::OverflowPayment => {
            "insufficient balance for transfer".into()
        }
        HaltReason::CreateCollision => "contract address collision".into(),
        HaltReason::CreateContractStartingWithEF => "invalid code: must not begin with 0xef".into(),
        HaltReason::NonceOverflow => "nonce uint64 overflow".into(),
        HaltReason::OutOfOffset => "return data out of bounds".into(),
        HaltReason::PrecompileError | HaltReason::PrecompileErrorWithContext(_) => {
            "precompile failed".into()
        }
        HaltReason::NotActivated => "invalid opcode".into(),
        // Never a debug string: a future halt reason reads as geth's generic failure.
        #[allow(unreachable_patterns)]
        _ => "execution halted".into(),
    }
}

/// geth's words for a Solidity `Panic(uint256)` code.
fn panic_message(code: U256) -> String {
    let known = match u64::try_from(code) {
        Ok(0x00) => "generic panic",
        Ok(0x01) => "assert(false)",
        Ok(0x11) => "arithmetic underflow or overflow",
        Ok(0x12) => "division or modulo by zero",
        Ok(0x21) => "enum overflow",
        Ok(0x22) => "invalid encoded storage byte array accessed",
        Ok(0x31) => "out-of-bounds array access; popping on an empty array",
        Ok(0x32) => "out-of-bounds access of an array or bytesN",
        Ok(0x41) => "out of memory",
        Ok(0x51) => "uninitialized function",
        _ => return format!("unknown panic code: {code:#x}"),
    };
    known.to_string()
}

/// Refuses what geth refuses in a call request before running it: `input` and `data` that
/// differ, `gasPrice` beside EIP-1559 fees, and an override with both `state` and `stateDiff`.
pub(crate) fn check_request(
    req: &TransactionRequest,
    overrides: Option<&StateOverride>,
) -> RpcResult<()> {
    if let (Some(input), Some(data)) = (&req.input.input, &req.input.data) {
        if input != data {
            return Err(rpc_err(
                -32000,
                "both \"data\" and \"input\" are set and not equal. Please use \"input\" to pass transaction call data",
            ));
        }
    }
    if req.gas_price.is_some()
        && (req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some())
    {
        return Err(rpc_err(
            -32000,
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
        ));
    }
    for (address, o) in overrides.into_iter().flatten() {
        if o.state.is_some() && o.state_diff.is_some() {
            return Err(rpc_err(
                -32000,
                format!("account {address} has both 'state' and 'stateDiff'"),
            ));
        }
    }
    Ok(())
}

fn exec_error(e: ExecutionError) -> ErrorObjectOwned {
    match e {
        ExecutionError::InvalidTransaction(m) => {
            let lower = m.to_lowercase();
            if lower.contains("lack of funds") || lower.contains("insufficient") {
                rpc_err(-32000, format!("insufficient funds for gas * price + value: {m}"))
            } else {
                rpc_err(-32000, m)
            }
        }
        ExecutionError::Deadline => rpc_err(-32000, "execution aborted (timeout)"),
        other => rpc_err(-32000, other.to_string()),
    }
}

fn run<R: StateReader>(
    state: &R,
    block: &CallBlock,
    req: &TransactionRequest,
    gas: u64,
) -> RpcResult<ExecutionResult> {
    let (cfg, benv) = env(block);
    execute_tx_until(state, &cfg, &benv, tx_env(req, gas, block.chain_id), block.deadline)
        .map(|o| o.result)
        .map_err(exec_error)
}

/// `eth_call`: the call's output, or geth's error.
pub(crate) fn call<R: StateReader>(
    state: &R,
    block: &CallBlock,
    req: &TransactionRequest,
    gas_cap: u64,
) -> RpcResult<Bytes> {
    let gas = req.gas.unwrap_or(gas_cap).min(gas_cap);
    let result = run(state, block, req, gas)?;
    if let Some(err) = failure(&result) {
        return Err(err);
    }
    Ok(result.output().cloned().unwrap_or_default())
}

/// Intrinsic gas of a plain transfer.
const TRANSFER_GAS: u64 = 21_000;

fn state_err(e: StateError) -> ErrorObjectOwned {
    rpc_err(-32000, e.to_string())
}

/// The most gas the sender can pay for at the request's fee cap, as geth computes it:
/// `(balance - value) / fee cap`; unlimited without a fee.
fn allowance<R: StateReader>(state: &R, req: &TransactionRequest) -> RpcResult<Option<u64>> {
    let fee_cap = req.max_fee_per_gas.or(req.gas_price).unwrap_or_default();
    if fee_cap == 0 {
        return Ok(None);
    }
    let from = req.from.unwrap_or_default();
    let balance = U256::from_be_bytes(state.slot(&SlotKey::balance(from)).map_err(state_err)?.0);
    let value = req.value.unwrap_or_default();
    if value > balance {
        return Err(rpc_err(-32000, "insufficient funds for transfer"));
    }
    Ok(Some(((balance - value) / U256::from(fee_cap)).saturating_to::<u64>()))
}

/// Whether the request is a plain ETH transfer: no input, to an account without code.
fn plain_transfer<R: StateReader>(state: &R, req: &TransactionRequest) -> RpcResult<bool> {
    let (Some(TxKind::Call(to)), true) = (req.to, req.input.input().is_none_or(|d| d.is_empty()))
    else {
        return Ok(false);
    };
    let code = state.slot(&SlotKey::code_hash(to)).map_err(state_err)?;
    Ok(code == B256::ZERO || code == alloy::primitives::KECCAK256_EMPTY)
}

/// `eth_estimateGas`: the smallest gas limit (within 1.5%, as geth) with which the call
/// succeeds; the call's own error if it fails at the cap. As geth: the cap is also what the
/// sender's balance pays for at the request's fee cap, and a plain transfer is exactly 21,000.
pub(crate) fn estimate<R: StateReader>(
    state: &R,
    block: &CallBlock,
    req: &TransactionRequest,
    gas_cap: u64,
) -> RpcResult<u64> {
    let mut hi = req.gas.unwrap_or(block.gas_limit).min(gas_cap).min(block.gas_limit);
    if let Some(allowance) = allowance(state, req)? {
        hi = hi.min(allowance);
    }
    if plain_transfer(state, req)? && hi >= TRANSFER_GAS {
        let r = run(state, block, req, TRANSFER_GAS)?;
        return match failure(&r) {
            None => Ok(TRANSFER_GAS),
            Some(err) => Err(err),
        };
    }
    if hi < TRANSFER_GAS {
        return Err(rpc_err(-32000, format!("gas required exceeds allowance ({hi})")));
    }
    let first = run(state, block, req, hi)?;
    if let ExecutionResult::Halt { reason: HaltReason::OutOfGas(_), .. } = first {
        return Err(rpc_err(-32000, format!("gas required exceeds allowance ({hi})")));
    }
    if let Some(err) = failure(&first) {
        return Err(err);
    }
    let used = first.tx_gas_used();
    let mut lo = used.saturating_sub(1).max(20_999);
    // Most calls succeed with what they used plus the 63/64 reserve; try that first.
    let optimistic = ((used + 2_300) * 64 / 63).min(hi);
    if optimistic > lo {
        if failure(&run(state, block, req, optimistic)?).is_none() {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while hi - lo > 1 && (hi - lo) * 1000 / hi > 15 {
        let mid = lo + (hi - lo) / 2;
        match run(state, block, req, mid) {
            Ok(r) if failure(&r).is_none() => hi = mid,
            // Out of time: stop searching, say why.
            Err(e) if std::time::Instant::now() >= block.deadline => return Err(e),
            _ => lo = mid,
        }
    }
    Ok(hi)
}

/// `eth_createAccessList`, as geth answers it: run the call recording the accounts and slots it
/// touches (never the sender, the recipient's own account entry, or a precompile), run it again
/// with that list until the list stops changing, and report `{accessList, gasUsed}` (plus
/// `error` if the call fails).
pub(crate) fn create_access_list<R: StateReader>(
    state: &R,
    block: &CallBlock,
    req: &TransactionRequest,
    gas_cap: u64,
) -> RpcResult<serde_json::Value> {
    use alloy::eips::eip2930::{AccessList, AccessListItem};
    let gas = req.gas.unwrap_or(gas_cap).min(gas_cap);
    let from = req.from.unwrap_or_default();
    // Prague's precompiles are 0x01..=0x11.
    let mut exclude: HashSet<Address> = (1u8..=0x11).map(Address::with_last_byte).collect();
    exclude.insert(from);
    match req.to {
        Some(TxKind::Call(to)) => exclude.insert(to),
        _ => {
            let nonce = state.slot(&SlotKey::nonce(from)).map_err(state_err)?;
            exclude.insert(from.create(U256::from_be_bytes(nonce.0).saturating_to()))
        }
    };
    let (cfg, benv) = env(block);
    let mut list = req.access_list.clone().unwrap_or_default();
    // geth stops when the list is stable; a call whose reads depend on the list itself could
    // change it each time, so the rounds are bounded.
    for _ in 0..8 {
        let mut with_list = req.clone();
        with_list.access_list = Some(list.clone());
        let (outcome, touched) = execute_tx_touching(
            state,
            &cfg,
            &benv,
            tx_env(&with_list, gas, block.chain_id),
            block.deadline,
            exclude.clone(),
        )
        .map_err(exec_error)?;
        let found = AccessList(
            touched
                .accounts
                .into_iter()
                .map(|(address, keys)| AccessListItem {
                    address,
                    storage_keys: keys.into_iter().collect(),
                })
                .collect(),
        );
        if found == list {
            let mut answer = serde_json::json!({
                "accessList": list,
                "gasUsed": alloy::primitives::U64::from(outcome.result.tx_gas_used()),
            });
            if let Some(err) = failure(&outcome.result) {
                answer["error"] = serde_json::json!(err.message());
            }
            return Ok(answer);
        }
        list = found;
    }
    Err(rpc_err(-32000, "access list did not settle after 8 rounds"))
}
