//! L2 system contracts at Era's addresses (docs/bridge.md):
//! - `0x…8008` L1 messenger: `sendToL1(bytes)`; each `L1MessageSent` log it emits becomes an
//!   L2->L1 log of the batch. Only code at that address can emit such a log.
//! - `0x…800a` base token: `withdraw(address)` payable sends the message `finalizeEthWithdrawal`
//!   expects. The amount of each `Withdrawal` it logs leaves L2 circulation: the block builder
//!   takes it from the contract's balance after the transaction ([`withdrawn`]).
//!
//! Their runtime code (from `rollup-contracts`' artifacts) is part of the L2 genesis.

use crate::state::{SlotKey, SlotWrite, BASE_TOKEN};
use alloy::primitives::{address, keccak256, Address, Bytes, Log, B256};
use alloy::sol_types::SolEvent;
use rollup_contracts::bindings::{L1Messenger, L2BaseToken};

/// The L1 messenger.
pub const L1_MESSENGER: Address = address!("0x0000000000000000000000000000000000008008");
/// The base token (its balance slots hold every account's ETH).
pub const BASE_TOKEN_CONTRACT: Address = BASE_TOKEN;

/// The system contracts of the L2 genesis: (address, runtime code).
pub fn genesis_code() -> Vec<(Address, Bytes)> {
    vec![
        (L1_MESSENGER, L1Messenger::DEPLOYED_BYTECODE.clone()),
        (BASE_TOKEN_CONTRACT, L2BaseToken::DEPLOYED_BYTECODE.clone()),
    ]
}

/// The genesis slot writes and bytecodes that place [`genesis_code`].
pub fn genesis_writes() -> (Vec<SlotWrite>, Vec<(B256, Bytes)>) {
    let mut writes = Vec::new();
    let mut codes = Vec::new();
    for (at, code) in genesis_code() {
        let hash = keccak256(&code);
        writes.push(SlotWrite { key: SlotKey::code_hash(at), old: B256::ZERO, new: hash });
        codes.push((hash, code));
    }
    codes.sort_by_key(|(h, _)| *h);
    (writes, codes)
}

/// An L2->L1 message as the batch publishes it: the log `{isService: true, sender: 0x…8008,
/// key: sender, value: keccak(message)}` of transaction `tx_index` (in its block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2ToL1Message {
    /// Index of the transaction in its block.
    pub tx_index: u32,
    /// Who called `sendToL1` (the log's key).
    pub sender: Address,
    /// `keccak256(message)` (the log's value).
    pub hash: B256,
}

/// The messages among a transaction's logs: the messenger's `L1MessageSent` events.
pub fn messages_in(tx_index: u32, logs: &[Log]) -> impl Iterator<Item = L2ToL1Message> + '_ {
    logs.iter().filter_map(move |l| {
        let topics = l.topics();
        if l.address != L1_MESSENGER
            || topics.len() != 3
            || topics[0] != L1Messenger::L1MessageSent::SIGNATURE_HASH
        {
            return None;
        }
        Some(L2ToL1Message { tx_index, sender: Address::from_word(topics[1]), hash: topics[2] })
    })
}

/// The ETH a transaction withdrew to L1: the sum of the base token contract's `Withdrawal` logs.
pub fn withdrawn(logs: &[Log]) -> alloy::primitives::U256 {
    logs.iter()
        .filter(|l| {
            l.address == BASE_TOKEN_CONTRACT
                && l.topics().first() == Some(&L2BaseToken::Withdrawal::SIGNATURE_HASH)
                && l.data.data.len() == 32
        })
        .fold(alloy::primitives::U256::ZERO, |acc, l| {
            acc.saturating_add(alloy::primitives::U256::from_be_slice(&l.data.data))
        })
}
