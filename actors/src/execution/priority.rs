//! Priority operations: the L1->L2 requests the Mailbox queued, as the L2 executes them
//! (docs/bridge.md). Pure types: the tables the eth watcher writes them to are in
//! `storage::priority`.

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::sol_types::SolValue;
use rollup_contracts::bindings::IRollupChain::L2CanonicalTransaction;

/// The EIP-2718 type byte of priority transactions (Era's `0xff`).
pub const PRIORITY_TX_TYPE: u8 = 0xff;

/// An L1->L2 request, as the L2 executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityTx {
    /// Serial id in the L1 priority queue (the transaction's `nonce` field).
    pub serial: u64,
    /// `keccak256(abi.encode(transaction))`: the hash L1 computed, and the L2 hash.
    pub hash: B256,
    /// Deadline on L1 (unix seconds): a commit that leaves the request out after it reverts.
    pub expiration: u64,
    /// The L1 block whose `NewPriorityRequest` event carried it.
    pub l1_block: u64,
    /// The L2 sender (the L1 sender, aliased if it was a contract).
    pub from: Address,
    /// The L2 target.
    pub to: Address,
    /// Gas limit of the L2 call.
    pub gas_limit: u64,
    /// Price per gas it paid on L1.
    pub gas_price: u128,
    /// Value passed to the L2 call.
    pub value: U256,
    /// Calldata of the L2 call.
    pub data: Bytes,
    /// ETH minted on L2 for it: everything the request paid on L1.
    pub to_mint: U256,
    /// Who gets the refund.
    pub refund_recipient: Address,
    /// `0xff ‖ abi.encode(transaction)`: the stored raw transaction.
    pub raw: Bytes,
}

/// Why an event or a stored row is not a priority transaction.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PriorityError {
    /// The event's hash is not the transaction's.
    #[error("request {serial}: hash {claimed} is not keccak(abi.encode(tx)) = {computed}")]
    HashMismatch {
        /// Serial id.
        serial: u64,
        /// The event's hash.
        claimed: B256,
        /// The computed one.
        computed: B256,
    },
    /// A field is out of range.
    #[error("request {serial}: {what}")]
    Malformed {
        /// Serial id (or the event's txId).
        serial: u64,
        /// What is wrong.
        what: String,
    },
}

fn address_of(v: U256, serial: u64, what: &str) -> Result<Address, PriorityError> {
    if v > U256::from_be_slice(&[0xff; 20]) {
        return Err(PriorityError::Malformed { serial, what: format!("{what} is not an address") });
    }
    Ok(Address::from_word(B256::from(v)))
}

impl PriorityTx {
    /// A request from its L1 event fields, checked: the hash must be the transaction's.
    pub fn from_event(
        tx_id: U256,
        hash: B256,
        expiration: u64,
        tx: &L2CanonicalTransaction,
        l1_block: u64,
    ) -> Result<Self, PriorityError> {
        let encoded = tx.abi_encode();
        let serial = u64::try_from(tx_id).map_err(|_| PriorityError::Malformed {
            serial: u64::MAX,
            what: format!("serial id {tx_id} does not fit 64 bits"),
        })?;
        let computed = keccak256(&encoded);
        if computed != hash {
            return Err(PriorityError::HashMismatch { serial, claimed: hash, computed });
        }
        Self::from_parts(serial, hash, expiration, l1_block, tx, &encoded)
    }

    fn from_parts(
        serial: u64,
        hash: B256,
        expiration: u64,
        l1_block: u64,
        tx: &L2CanonicalTransaction,
        encoded: &[u8],
    ) -> Result<Self, PriorityError> {
        let bad = |what: &str| PriorityError::Malformed { serial, what: what.into() };
        if tx.txType != U256::from(PRIORITY_TX_TYPE) {
            return Err(bad("type is not 255"));
        }
        if tx.nonce != U256::from(serial) {
            return Err(bad("nonce is not the serial id"));
        }
        let mut raw = Vec::with_capacity(1 + encoded.len());
        raw.push(PRIORITY_TX_TYPE);
        raw.extend_from_slice(encoded);
        Ok(Self {
            serial,
            hash,
            expiration,
            l1_block,
            from: address_of(tx.from, serial, "from")?,
            to: address_of(tx.to, serial, "to")?,
            // L1 caps the gas limit far below 2^64 (and a larger one is simply not executable).
            gas_limit: u64::try_from(tx.gasLimit).unwrap_or(u64::MAX),
            gas_price: u128::try_from(tx.maxFeePerGas).map_err(|_| bad("gas price"))?,
            value: tx.value,
            data: tx.data.clone(),
            to_mint: tx.reserved[0],
            refund_recipient: address_of(tx.reserved[1], serial, "refund recipient")?,
            raw: Bytes::from(raw),
        })
    }

    /// Decodes a stored raw priority transaction (`0xff ‖ abi.encode(transaction)`).
    pub fn decode_raw(raw: &[u8]) -> Result<Self, PriorityError> {
        let bad = |what: String| PriorityError::Malformed { serial: u64::MAX, what };
        let Some((&PRIORITY_TX_TYPE, encoded)) = raw.split_first() else {
            return Err(bad("not a 0xff transaction".into()));
        };
        let tx = L2CanonicalTransaction::abi_decode(encoded).map_err(|e| bad(e.to_string()))?;
        let serial = u64::try_from(tx.nonce).map_err(|_| bad("serial id".into()))?;
        Self::from_parts(serial, keccak256(encoded), 0, 0, &tx, encoded)
    }
}

/// Whether a stored raw transaction is a priority transaction.
pub fn is_priority_raw(raw: &[u8]) -> bool {
    raw.first() == Some(&PRIORITY_TX_TYPE)
}
