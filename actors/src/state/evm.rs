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
}

/// Executes `tx` on `state` in `block` and returns its outcome; `state` is not modified.
pub fn execute_tx<R: StateReader>(
    state: &R,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: TxEnv,
) -> Result<TxOutcome, ExecutionError> {
    let mut evm = Context::mainnet()
        .with_db(WrapDatabaseRef(FlatStateDb(state)))
        .with_cfg(cfg.clone())
        .with_block(block.clone())
        .build_mainnet();
    let ResultAndState { result, state: changes } = evm.transact(tx).map_err(|e| match e {
        EVMError::Transaction(t) => ExecutionError::InvalidTransaction(t.to_string()),
        EVMError::Header(h) => ExecutionError::InvalidHeader(h.to_string()),
        EVMError::Database(d) => ExecutionError::State(d),
        other => ExecutionError::Evm(other.to_string()),
    })?;
    let (writes, bytecodes) = state_changes_to_writes(state, &changes)?;
    Ok(TxOutcome { result, writes, bytecodes })
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
