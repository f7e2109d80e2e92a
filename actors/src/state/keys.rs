//! Slot keys of the flat state and their derived keys.

use alloy::primitives::{address, keccak256, Address, B256, U256};

/// Holds every account's ETH balance (Era's base token system contract).
pub const BASE_TOKEN: Address = address!("0x000000000000000000000000000000000000800a");
/// Holds every account's nonce (Era's nonce holder).
pub const NONCE_HOLDER: Address = address!("0x0000000000000000000000000000000000008003");
/// Holds every account's code hash (Era's account code storage).
pub const ACCOUNT_CODE_STORAGE: Address = address!("0x0000000000000000000000000000000000008002");

/// One slot of the flat state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotKey {
    /// The address the slot belongs to.
    pub address: Address,
    /// The key within that address.
    pub key: B256,
}

impl SlotKey {
    /// The slot holding `account`'s ETH balance.
    pub fn balance(account: Address) -> Self {
        Self { address: BASE_TOKEN, key: account.into_word() }
    }

    /// The slot holding `account`'s nonce.
    pub fn nonce(account: Address) -> Self {
        Self { address: NONCE_HOLDER, key: account.into_word() }
    }

    /// The slot holding `account`'s code hash (zero if it has no code).
    pub fn code_hash(account: Address) -> Self {
        Self { address: ACCOUNT_CODE_STORAGE, key: account.into_word() }
    }

    /// Contract storage slot `index` of `account`.
    pub fn storage(account: Address, index: U256) -> Self {
        Self { address: account, key: B256::from(index) }
    }

    /// `keccak256(address left-padded to 32 bytes ‖ key)`: the key the state tree indexes.
    pub fn derived_key(&self) -> B256 {
        let mut buf = [0u8; 64];
        buf[12..32].copy_from_slice(self.address.as_slice());
        buf[32..].copy_from_slice(self.key.as_slice());
        keccak256(buf)
    }

    /// The 52-byte storage form: address then key.
    pub(crate) fn to_bytes(self) -> [u8; 52] {
        let mut out = [0u8; 52];
        out[..20].copy_from_slice(self.address.as_slice());
        out[20..].copy_from_slice(self.key.as_slice());
        out
    }
}

/// A change of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotWrite {
    /// The slot.
    pub key: SlotKey,
    /// Its value before.
    pub old: B256,
    /// Its value after.
    pub new: B256,
}

impl SlotWrite {
    /// Size of the canonical encoding.
    pub const ENCODED_LEN: usize = 116;

    /// Appends the canonical encoding `address (20) ‖ key (32) ‖ old (32) ‖ new (32)`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.key.address.as_slice());
        out.extend_from_slice(self.key.key.as_slice());
        out.extend_from_slice(self.old.as_slice());
        out.extend_from_slice(self.new.as_slice());
    }

    /// Decodes a sequence of canonical encodings; `None` if the length is not a multiple.
    pub fn decode_all(bytes: &[u8]) -> Option<Vec<Self>> {
        if bytes.len() % Self::ENCODED_LEN != 0 {
            return None;
        }
        Some(
            bytes
                .chunks(Self::ENCODED_LEN)
                .map(|c| SlotWrite {
                    key: SlotKey {
                        address: Address::from_slice(&c[..20]),
                        key: B256::from_slice(&c[20..52]),
                    },
                    old: B256::from_slice(&c[52..84]),
                    new: B256::from_slice(&c[84..116]),
                })
                .collect(),
        )
    }
}
