//! revm on the flat state: a `DatabaseRef` adapter over any [`StateReader`], and the conversion of
//! revm's state changes back into slot writes, so every state change is a uniform slot write.

use super::{SlotKey, SlotWrite, StateError, StateReader};
use alloy::primitives::{Address, Bytes, B256, U256};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::context_interface::result::{EVMError, ExecutionResult, ResultAndState};
use revm::database_interface::{DatabaseRef, WrapDatabaseRef};
use revm::primitives::KECCAK_EMPTY;
use revm::state::{AccountInfo, Bytecode, EvmState};
use revm::{ExecuteEvm, MainBuilder, MainContext};

/// revm's view of the flat state: accounts are read from the balance, nonce and code-hash slots.
#[derive(Debug, Clone)]
pub struct FlatStateDb<R>(pub R);

fn word_to_u64(word: B256, what: &'static str) -> Result<u64, StateError> {
    let v = U256::from_be_bytes(word.0);
    u64::try_from(v)
        .map_err(|_| StateError::Corrupt { table: what, detail: format!("{v} does not fit a u64") })
}

impl<R: StateReader> DatabaseRef for FlatStateDb<R> {
    type Error = StateError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, StateError> {
        let balance = U256::from_be_bytes(self.0.slot(&SlotKey::balance(address))?.0);
        let nonce = word_to_u64(self.0.slot(&SlotKey::nonce(address))?, "nonce")?;
        let code_hash = self.0.slot(&SlotKey::code_hash(address))?;
        // An account with nothing in any of its slots does not exist (EIP-161 semantics).
        if balance.is_zero() && nonce == 0 && code_hash.is_zero() {
            return Ok(None);
        }
        let mut info = AccountInfo::from_balance(balance);
        info.nonce = nonce;
        info.code_hash = if code_hash.is_zero() { KECCAK_EMPTY } else { code_hash };
        // Code is fetched lazily through `code_by_hash_ref` when execution needs it.
        info.code = if code_hash.is_zero() { Some(Bytecode::default()) } else { None };
        Ok(Some(info))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, StateError> {
        if code_hash == KECCAK_EMPTY || code_hash.is_zero() {
            return Ok(Bytecode::default());
        }
        match self.0.bytecode(&code_hash)? {
            Some(code) => Ok(Bytecode::new_raw(code)),
            None => Err(StateError::Corrupt {
                table: "bytecodes",
                detail: format!("no bytecode for code hash {code_hash}"),
            }),
        }
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, StateError> {
        Ok(U256::from_be_bytes(self.0.slot(&SlotKey::storage(address, index))?.0))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, StateError> {
        // Unknown blocks hash to zero, as on Ethereum for blocks out of the 256-block window.
        Ok(self.0.block_hash(number)?.unwrap_or_default())
    }
}

/// Bytecode by keccak hash, sorted by hash.
pub type NewBytecodes = Vec<(B256, Bytes)>;

/// What executing one transaction produced.
#[derive(Debug, Clone)]
pub struct TxOutcome {
    /// revm's result: success (with logs and output), revert or halt, and gas used.
    pub result: ExecutionResult,
    /// The slot writes of the transaction (old values from the state it ran on), sorted by slot.
    pub writes: Vec<SlotWrite>,
    /// Bytecode deployed by the transaction, by hash.
    pub bytecodes: NewBytecodes,
}

/// Why a transaction could not be executed at all (as opposed to reverting).
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// The transaction is invalid against this state and block (nonce, funds, gas, ...).
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    /// The block environment is invalid.
    #[error("invalid block header: {0}")]
    InvalidHeader(String),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// Any other failure inside the EVM.
    #[error("evm: {0}")]
    Evm(String),
    /// Execution was stopped at its deadline ([`execute_tx_until`]).
    #[error("execution stopped at its deadline")]
    Deadline,
}

/// Stops execution once a deadline has passed: checked every [`Deadline::EVERY`] steps, so
/// it costs one clock read per few thousand instructions.
struct Deadline {
    at: std::time::Instant,
    steps: u32,
    passed: bool,
}

impl Deadline {
    const EVERY: u32 = 4096;

    /// Called before each instruction: halts it once the deadline has passed.
    fn tick<INTR: revm::interpreter::InterpreterTypes>(
        &mut self,
        interp: &mut revm::interpreter::Interpreter<INTR>,
    ) {
        self.steps = self.steps.wrapping_add(1);
        if self.steps % Self::EVERY == 0 && std::time::Instant::now() >= self.at {
            self.passed = true;
        }
        if self.passed {
            interp.halt(revm::interpreter::InstructionResult::FatalExternalError);
        }
    }
}

/// The accounts and storage slots a transaction touched, as geth's access-list tracer records
/// them: every `SLOAD`/`SSTORE` slot of the executing account, and every account named by
/// `BALANCE`, `EXTCODE*`, `SELFDESTRUCT` and the `CALL` family (minus `exclude`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Touched {
    /// Account -> storage slots, ordered.
    pub accounts: std::collections::BTreeMap<Address, std::collections::BTreeSet<B256>>,
    /// Accounts never listed (sender, recipient, precompiles).
    pub exclude: std::collections::HashSet<Address>,
}

impl Touched {
    fn account(&mut self, a: Address) {
        if !self.exclude.contains(&a) {
            self.accounts.entry(a).or_default();
        }
    }
}

/// What runs beside execution: the deadline, and optionally the access-list recorder.
struct Watch {
    deadline: Deadline,
    touched: Option<Touched>,
}

impl<CTX, INTR: revm::interpreter::InterpreterTypes> revm::Inspector<CTX, INTR> for Watch {
    fn step(&mut self, interp: &mut revm::interpreter::Interpreter<INTR>, _: &mut CTX) {
        use revm::bytecode::opcode;
        use revm::interpreter::interpreter_types::{InputsTr, Jumps, StackTr};
        self.deadline.tick(interp);
        let Some(t) = self.touched.as_mut() else { return };
        let stack = interp.stack.data();
        let word = |back: usize| stack.len().checked_sub(back + 1).map(|i| stack[i]);
        let address = |w: U256| Address::from_word(B256::from(w));
        match interp.bytecode.opcode() {
            opcode::SLOAD | opcode::SSTORE => {
                if let Some(slot) = word(0) {
                    let me = interp.input.target_address();
                    t.accounts.entry(me).or_default().insert(B256::from(slot));
                }
            }
            opcode::EXTCODECOPY
            | opcode::EXTCODEHASH
            | opcode::EXTCODESIZE
            | opcode::BALANCE
            | opcode::SELFDESTRUCT => {
                if let Some(w) = word(0) {
                    t.account(address(w));
                }
            }
            opcode::CALL | opcode::CALLCODE | opcode::DELEGATECALL | opcode::STATICCALL => {
                if let Some(w) = word(1) {
                    t.account(address(w));
                }
            }
            _ => {}
        }
    }
}

/// [`execute_tx`] that stops at `deadline` with [`ExecutionError::Deadline`], as geth aborts an
/// `eth_call` whose RPC timeout passed: a caller that gave up does not leave work running.
pub fn execute_tx_until<R: StateReader>(
    state: &R,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: TxEnv,
    deadline: std::time::Instant,
) -> Result<TxOutcome, ExecutionError> {
    execute_watched(state, cfg, block, tx, deadline, None).map(|(o, _)| o)
}

/// [`execute_tx_until`] that also records what the transaction touched (`eth_createAccessList`).
pub fn execute_tx_touching<R: StateReader>(
    state: &R,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: TxEnv,
    deadline: std::time::Instant,
    exclude: std::collections::HashSet<Address>,
) -> Result<(TxOutcome, Touched), ExecutionError> {
    let touched = Touched { exclude, ..Touched::default() };
    execute_watched(state, cfg, block, tx, deadline, Some(touched))
        .map(|(o, t)| (o, t.unwrap_or_default()))
}

fn execute_watched<R: StateReader>(
    state: &R,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: TxEnv,
    deadline: std::time::Instant,
    touched: Option<Touched>,
) -> Result<(TxOutcome, Option<Touched>), ExecutionError> {
    use revm::InspectEvm;
    if std::time::Instant::now() >= deadline {
        return Err(ExecutionError::Deadline);
    }
    let watch = Watch { deadline: Deadline { at: deadline, steps: 0, passed: false }, touched };
    let mut evm = context(state, cfg, block).build_mainnet_with_inspector(watch);
    let outcome = evm.inspect_tx(tx);
    if evm.inspector.deadline.passed {
        return Err(ExecutionError::Deadline);
    }
    let touched = evm.inspector.touched.take();
    let ResultAndState { result, state: changes } = outcome.map_err(evm_error)?;
    let (writes, bytecodes) = state_changes_to_writes(state, &changes)?;
    Ok((TxOutcome { result, writes, bytecodes }, touched))
}

fn evm_error(e: EVMError<StateError>) -> ExecutionError {
    match e {
        EVMError::Transaction(t) => ExecutionError::InvalidTransaction(t.to_string()),
        EVMError::Header(h) => ExecutionError::InvalidHeader(h.to_string()),
        EVMError::Database(d) => ExecutionError::State(d),
        other => ExecutionError::Evm(other.to_string()),
    }
}

/// Halts the outermost frame at its first instruction with out-of-gas.
struct HaltAtOnce;

impl<CTX, INTR: revm::interpreter::InterpreterTypes> revm::Inspector<CTX, INTR> for HaltAtOnce {
    fn step(&mut self, interp: &mut revm::interpreter::Interpreter<INTR>, _: &mut CTX) {
        interp.halt(revm::interpreter::InstructionResult::OutOfGas);
    }
}

/// Executes `tx` as a transaction that fails and pays for all its gas: everything the first
/// execution of it did is undone, its nonce and fee are taken as for an out-of-gas halt. This is
/// what a transaction gets when it would publish more than a batch can settle (the way Era
/// reverts a transaction that passes its pubdata limit).
pub fn execute_tx_failing<R: StateReader>(
    state: &R,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: TxEnv,
) -> Result<TxOutcome, ExecutionError> {
    use revm::InspectEvm;
    let mut evm = context(state, cfg, block).build_mainnet_with_inspector(HaltAtOnce);
    outcome(state, evm.inspect_tx(tx))
}

/// revm's result as slot writes against `state`.
fn outcome<R: StateReader>(
    state: &R,
    result: Result<ResultAndState, EVMError<StateError>>,
) -> Result<TxOutcome, ExecutionError> {
    let ResultAndState { result, state: changes } = result.map_err(evm_error)?;
    let (writes, bytecodes) = state_changes_to_writes(state, &changes)?;
    Ok(TxOutcome { result, writes, bytecodes })
}

/// The mainnet context that executes on `state` in `block` (every execution here builds its
/// EVM from it).
fn context<'a, R: StateReader>(
    state: &'a R,
    cfg: &CfgEnv,
    block: &BlockEnv,
) -> revm::handler::MainnetContext<WrapDatabaseRef<FlatStateDb<&'a R>>> {
    Context::mainnet()
        .with_db(WrapDatabaseRef(FlatStateDb(state)))
        .with_cfg(cfg.clone())
        .with_block(block.clone())
}

/// Executes `tx` on `state` in `block` and returns its outcome; `state` is not modified.
pub fn execute_tx<R: StateReader>(
    state: &R,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: TxEnv,
) -> Result<TxOutcome, ExecutionError> {
    let mut evm = context(state, cfg, block).build_mainnet();
    outcome(state, evm.transact(tx))
}

/// Turns revm's state changes into slot writes against `before` (the state the transaction ran
/// on), plus the bytecode it deployed. Unchanged slots produce no write.
pub fn state_changes_to_writes<R: StateReader>(
    before: &R,
    changes: &EvmState,
) -> Result<(Vec<SlotWrite>, NewBytecodes), StateError> {
    let mut writes = Vec::new();
    let mut bytecodes = Vec::new();
    let mut push = |key: SlotKey, new: B256| -> Result<(), StateError> {
        let old = before.slot(&key)?;
        if old != new {
            writes.push(SlotWrite { key, old, new });
        }
        Ok(())
    };
    for (address, account) in changes {
        if !account.is_touched() {
            continue;
        }
        // A contract created and destroyed in the same transaction leaves nothing behind.
        let destroyed = account.is_selfdestructed();
        let info = &account.info;
        let (balance, nonce, code_hash) = if destroyed {
            (U256::ZERO, 0, B256::ZERO)
        } else {
            let h = if info.code_hash == KECCAK_EMPTY { B256::ZERO } else { info.code_hash };
            (info.balance, info.nonce, h)
        };
        push(SlotKey::balance(*address), B256::from(balance))?;
        push(SlotKey::nonce(*address), B256::from(U256::from(nonce)))?;
        let old_code_hash = before.slot(&SlotKey::code_hash(*address))?;
        if code_hash != old_code_hash {
            push(SlotKey::code_hash(*address), code_hash)?;
            if !code_hash.is_zero() {
                if let Some(code) = &info.code {
                    bytecodes.push((code_hash, code.original_bytes()));
                }
            }
        }
        for (index, slot) in &account.storage {
            let new = if destroyed { U256::ZERO } else { slot.present_value };
            push(SlotKey::storage(*address, *index), B256::from(new))?;
        }
    }
    writes.sort_by_key(|w| w.key);
    bytecodes.sort_by_key(|(h, _)| *h);
    bytecodes.dedup_by_key(|(h, _)| *h);
    Ok((writes, bytecodes))
}
