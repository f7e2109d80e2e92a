//! Admission rules for user transactions, with the error messages geth and reth users expect.
//!
//! [`validate_stateless`] runs the cheap checks first (size, envelope, type, chain id, fees, gas,
//! initcode) and recovers the sender last, since recovery costs far more than everything else.
//! [`validate_against_account`] then checks the sender's nonce, funds and that it is not a contract;
//! [`validate_queued_cost`] that the balance also covers what the sender already has pooled, and
//! [`validate_block_size`] that the transaction fits in a block at all.

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{Transaction, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};

/// Largest raw transaction accepted (geth's and reth's 128 KiB).
pub const MAX_TX_SIZE: usize = 128 * 1024;
/// Largest initcode (EIP-3860).
pub const MAX_INITCODE_SIZE: usize = 49_152;
/// Intrinsic gas of any transaction.
pub const TX_BASE_GAS: u64 = 21_000;
/// Extra intrinsic gas of a contract creation.
pub const TX_CREATE_GAS: u64 = 32_000;
/// Calldata byte costs (EIP-2028).
pub const TX_DATA_ZERO_GAS: u64 = 4;
/// Cost of a non-zero calldata byte.
pub const TX_DATA_NON_ZERO_GAS: u64 = 16;
/// Initcode cost per 32-byte word (EIP-3860).
pub const INITCODE_WORD_GAS: u64 = 2;
/// Access list costs (EIP-2930).
pub const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
/// Cost of one storage key in an access list.
pub const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
/// Calldata floor cost per token (EIP-7623, Prague).
pub const FLOOR_GAS_PER_TOKEN: u64 = 10;

/// Half the secp256k1 group order: signatures with a larger `s` are malleable (EIP-2).
const SECP256K1_HALF_N: U256 = U256::from_be_slice(&[
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// Admission limits, from the node's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationConfig {
    /// The chain id transactions must be signed for.
    pub chain_id: u64,
    /// Block gas limit: no transaction may ask for more.
    pub block_gas_limit: u64,
    /// Lowest `maxFeePerGas` (gas price for legacy) accepted, in wei.
    pub min_gas_price: u128,
    /// Highest total fee (`gasLimit * maxFeePerGas`) accepted, in wei (geth's `--rpc.txfeecap`, 1 ETH).
    pub tx_fee_cap: U256,
    /// How far ahead of the account nonce a transaction may be.
    pub nonce_window: u64,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            chain_id: 270,
            block_gas_limit: 30_000_000,
            min_gas_price: 0,
            tx_fee_cap: U256::from(10u64).pow(U256::from(18)),
            nonce_window: 64,
        }
    }
}

/// A transaction that passed the stateless checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTx {
    /// The decoded transaction.
    pub envelope: TxEnvelope,
    /// Its recovered sender.
    pub sender: Address,
    /// Its hash (keccak of the raw bytes).
    pub hash: B256,
    /// The raw EIP-2718 bytes, as received.
    pub raw: Bytes,
}

/// The sender's account as the pool sees it (pending state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountView {
    /// Next nonce the account may use.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Whether the account has code (then it cannot send transactions, EIP-3607).
    pub has_code: bool,
}

/// Why a transaction is refused. The messages are geth's, so wallets and tools recognise them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// Larger than [`MAX_TX_SIZE`].
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData {
        /// Raw size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a canonical EIP-2718 / RLP encoding (or trailing bytes).
    #[error("rlp: {0}")]
    Decode(String),
    /// A type the chain does not accept (EIP-4844 blobs, EIP-7702 authorizations, unknown types).
    #[error("transaction type not supported")]
    TypeNotSupported,
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Signed for another chain.
    #[error("invalid chain id for signer: have {have} want {want}")]
    WrongChainId {
        /// Chain id in the transaction.
        have: u64,
        /// Our chain id.
        want: u64,
    },
    /// High `s` or otherwise malformed signature values.
    #[error("invalid transaction v, r, s values")]
    InvalidSignature,
    /// The signature does not recover to an address.
    #[error("invalid sender")]
    InvalidSender,
    /// `maxPriorityFeePerGas > maxFeePerGas`.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Fee below the node's floor.
    #[error("transaction underpriced: gas fee cap {fee_cap}, minimum needed {minimum}")]
    Underpriced {
        /// The offered fee cap.
        fee_cap: u128,
        /// The floor.
        minimum: u128,
    },
    /// Total fee above the cap.
    #[error("tx fee ({fee} wei) exceeds the configured cap ({cap} wei)")]
    FeeCapExceeded {
        /// `gasLimit * maxFeePerGas`.
        fee: U256,
        /// The cap.
        cap: U256,
    },
    /// Gas limit above the block gas limit.
    #[error("exceeds block gas limit")]
    GasLimitExceedsBlock,
    /// Gas limit below the intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// The gas limit.
        gas: u64,
        /// The intrinsic gas.
        needed: u64,
    },
    /// Gas limit below the EIP-7623 calldata floor.
    #[error("insufficient gas for floor data gas cost: gas {gas}, minimum needed {needed}")]
    FloorDataGas {
        /// The gas limit.
        gas: u64,
        /// The floor.
        needed: u64,
    },
    /// Initcode larger than [`MAX_INITCODE_SIZE`].
    #[error("max initcode size exceeded: code size {size}, limit {limit}")]
    MaxInitCodeSize {
        /// Initcode size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Nonce already used.
    #[error("nonce too low: next nonce {next}, tx nonce {tx}")]
    NonceTooLow {
        /// The account's next nonce.
        next: u64,
        /// The transaction's nonce.
        tx: u64,
    },
    /// Nonce too far ahead of the account's.
    #[error("nonce too high: next nonce {next}, tx nonce {tx}")]
    NonceTooHigh {
        /// The account's next nonce.
        next: u64,
        /// The transaction's nonce.
        tx: u64,
    },
    /// Nonce 2^64 - 1 (EIP-2681).
    #[error("nonce has max value")]
    NonceMax,
    /// Balance below `value + gasLimit * maxFeePerGas`.
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {overshot}")]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// What the transaction may cost.
        cost: U256,
        /// The difference.
        overshot: U256,
    },
    /// Balance below the cost of the sender's pooled transactions plus this one (geth's check
    /// against the sender's whole queue, so the pool never holds what the sealer would drop).
    /// The overshot is computed for the message, not stored, to keep the error small.
    #[error("insufficient funds for gas * price + value: balance {balance}, queued cost {queued}, tx cost {cost}, overshot {}", overshot(.balance, .queued, .cost))]
    InsufficientFundsQueued {
        /// The sender's balance.
        balance: U256,
        /// What its pooled transactions may cost (without the one this replaces).
        queued: U256,
        /// What this transaction may cost.
        cost: U256,
    },
    /// Larger than a whole block may hold (the chain's `max_block_bytes`): it could never be
    /// included.
    #[error("oversized data: transaction size {size}, block size limit {limit}")]
    ExceedsBlockSize {
        /// Raw size.
        size: usize,
        /// The chain's most raw transaction bytes per block.
        limit: usize,
    },
    /// The sender has code (EIP-3607).
    #[error("sender not an eoa: address {0}")]
    SenderNotEoa(Address),
}

/// Intrinsic gas and EIP-7623 floor of a transaction.
pub fn intrinsic_gas(tx: &TxEnvelope) -> (u64, u64) {
    let input = tx.input();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = input.len() as u64 - zeros;
    let mut gas = TX_BASE_GAS + zeros * TX_DATA_ZERO_GAS + non_zeros * TX_DATA_NON_ZERO_GAS;
    if tx.kind() == TxKind::Create {
        gas += TX_CREATE_GAS + INITCODE_WORD_GAS * (input.len() as u64).div_ceil(32);
    }
    if let Some(list) = tx.access_list() {
        for item in list.iter() {
            gas += ACCESS_LIST_ADDRESS_GAS
                + ACCESS_LIST_STORAGE_KEY_GAS * item.storage_keys.len() as u64;
        }
    }
    let tokens = zeros + 4 * non_zeros;
    (gas, TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * tokens)
}

/// Decodes a raw transaction and applies every check that needs no state, sender recovery last.
pub fn validate_stateless(raw: &[u8], cfg: &ValidationConfig) -> Result<ValidTx, TxError> {
    if raw.len() > MAX_TX_SIZE {
        return Err(TxError::OversizedData { size: raw.len(), limit: MAX_TX_SIZE });
    }
    // Typed transactions start with their type byte; refuse unknown ones before decoding.
    if let Some(&first) = raw.first() {
        if first < 0x7f && !matches!(first, 0x01 | 0x02) {
            return Err(TxError::TypeNotSupported);
        }
    }
    let envelope =
        TxEnvelope::decode_2718_exact(raw).map_err(|e| TxError::Decode(e.to_string()))?;
    match &envelope {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
        _ => return Err(TxError::TypeNotSupported),
    }
    match envelope.chain_id() {
        None => return Err(TxError::Unprotected),
        Some(have) if have != cfg.chain_id => {
            return Err(TxError::WrongChainId { have, want: cfg.chain_id })
        }
        Some(_) => {}
    }
    let sig = envelope.signature();
    if sig.r().is_zero() || sig.s().is_zero() || sig.s() > SECP256K1_HALF_N {
        return Err(TxError::InvalidSignature);
    }
    if envelope.nonce() == u64::MAX {
        return Err(TxError::NonceMax);
    }
    let fee_cap = envelope.max_fee_per_gas();
    if let Some(tip) = envelope.max_priority_fee_per_gas() {
        if tip > fee_cap {
            return Err(TxError::TipAboveFeeCap);
        }
    }
    if fee_cap < cfg.min_gas_price {
        return Err(TxError::Underpriced { fee_cap, minimum: cfg.min_gas_price });
    }
    let gas = envelope.gas_limit();
    let fee = U256::from(gas) * U256::from(fee_cap);
    if fee > cfg.tx_fee_cap {
        return Err(TxError::FeeCapExceeded { fee, cap: cfg.tx_fee_cap });
    }
    if gas > cfg.block_gas_limit {
        return Err(TxError::GasLimitExceedsBlock);
    }
    if envelope.kind() == TxKind::Create && envelope.input().len() > MAX_INITCODE_SIZE {
        return Err(TxError::MaxInitCodeSize {
            size: envelope.input().len(),
            limit: MAX_INITCODE_SIZE,
        });
    }
    let (intrinsic, floor) = intrinsic_gas(&envelope);
    if gas < intrinsic {
        return Err(TxError::IntrinsicGasTooLow { gas, needed: intrinsic });
    }
    if gas < floor {
        return Err(TxError::FloorDataGas { gas, needed: floor });
    }
    let sender = envelope.recover_signer().map_err(|_| TxError::InvalidSender)?;
    let hash = *envelope.tx_hash();
    Ok(ValidTx { envelope, sender, hash, raw: Bytes::copy_from_slice(raw) })
}

/// Checks a stateless-valid transaction against its sender's (pending) account.
pub fn validate_against_account(
    tx: &ValidTx,
    account: &AccountView,
    cfg: &ValidationConfig,
) -> Result<(), TxError> {
    if account.has_code {
        return Err(TxError::SenderNotEoa(tx.sender));
    }
    let nonce = tx.envelope.nonce();
    if nonce < account.nonce {
        return Err(TxError::NonceTooLow { next: account.nonce, tx: nonce });
    }
    if nonce - account.nonce > cfg.nonce_window {
        return Err(TxError::NonceTooHigh { next: account.nonce, tx: nonce });
    }
    let cost = tx_cost(tx);
    if account.balance < cost {
        return Err(TxError::InsufficientFunds {
            balance: account.balance,
            cost,
            overshot: cost - account.balance,
        });
    }
    Ok(())
}

/// The most `tx` can take from its sender: `gasLimit * maxFeePerGas + value` (saturating: a
/// value near 2^256 must not wrap around to a small cost).
pub fn tx_cost(tx: &ValidTx) -> U256 {
    U256::from(tx.envelope.gas_limit())
        .saturating_mul(U256::from(tx.envelope.max_fee_per_gas()))
        .saturating_add(tx.envelope.value())
}

/// Checks that `balance` covers `queued` (what the sender's pooled transactions may cost, without
/// the one `tx` replaces: [`crate::sequencer::pool::Pool::queued_cost`]) plus `tx`'s own cost, as geth does.
pub fn validate_queued_cost(tx: &ValidTx, balance: U256, queued: U256) -> Result<(), TxError> {
    let cost = tx_cost(tx);
    if balance < queued.saturating_add(cost) {
        return Err(TxError::InsufficientFundsQueued { balance, queued, cost });
    }
    Ok(())
}

fn overshot(balance: &U256, queued: &U256, cost: &U256) -> U256 {
    queued.saturating_add(*cost).saturating_sub(*balance)
}

/// Checks that `tx` fits in a block of `max_block_bytes` raw transaction bytes.
pub fn validate_block_size(tx: &ValidTx, max_block_bytes: usize) -> Result<(), TxError> {
    if tx.raw.len() > max_block_bytes {
        return Err(TxError::ExceedsBlockSize { size: tx.raw.len(), limit: max_block_bytes });
    }
    Ok(())
}
