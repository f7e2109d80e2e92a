//! The contracts the bench sends transactions to, as committed creation bytecode
//! (`bench/contracts/`, built with the pinned solc-js; the README there has the command), and
//! the calldata of their calls; and the bridge's calls, as `docs/bridge.md` describes them:
//! the Diamond's Mailbox on L1 (deposits) and the base token system contract on L2
//! (withdrawals), from the contract suite's bindings (`rollup-contracts`, generated from the
//! committed artifacts).

use alloy::primitives::{address, Address, Bytes, B256, U256};
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use rollup_contracts::bindings::{L2BaseToken, MailboxFacet};

alloy::sol! {
    /// The ERC-20 calls the bench makes.
    interface IBenchToken {
        /// Moves `value` of the caller's tokens to `to`.
        function transfer(address to, uint256 value) external returns (bool);
    }
}

/// The base token system contract on L2, whose `withdraw` sends ETH to L1.
pub(crate) const BASE_TOKEN: Address = address!("0x000000000000000000000000000000000000800a");

/// Gas per pubdata byte every request declares (the Mailbox accepts only 800).
pub(crate) const GAS_PER_PUBDATA: u64 = 800;

/// Calldata of `requestL2Transaction`: `l2_value` wei to `to` on L2, no calldata, L2 gas
/// limit `l2_gas`, refunds to the sender.
pub(crate) fn deposit_calldata(to: Address, l2_value: U256, l2_gas: u64) -> Bytes {
    MailboxFacet::requestL2TransactionCall {
        contractL2: to,
        l2Value: l2_value,
        l2Calldata: Bytes::new(),
        l2GasLimit: U256::from(l2_gas),
        l2GasPerPubdataByteLimit: U256::from(GAS_PER_PUBDATA),
        factoryDeps: vec![],
        refundRecipient: Address::ZERO,
    }
    .abi_encode()
    .into()
}

/// Calldata of `l2TransactionBaseCost(gas_price, l2_gas, 800)`.
pub(crate) fn base_cost_calldata(gas_price: u128, l2_gas: u64) -> Bytes {
    MailboxFacet::l2TransactionBaseCostCall {
        gasPrice: U256::from(gas_price),
        l2GasLimit: U256::from(l2_gas),
        l2GasPerPubdataByteLimit: U256::from(GAS_PER_PUBDATA),
    }
    .abi_encode()
    .into()
}

/// Calldata of `withdraw(l1_receiver)`.
pub(crate) fn withdraw_calldata(l1_receiver: Address) -> Bytes {
    L2BaseToken::withdrawCall { l1Receiver: l1_receiver }.abi_encode().into()
}

/// Topic 0 of `NewPriorityRequest`.
pub(crate) const NEW_PRIORITY_REQUEST: B256 = MailboxFacet::NewPriorityRequest::SIGNATURE_HASH;

/// The L2 hash in a `NewPriorityRequest` log's data (its second word).
pub(crate) fn priority_tx_hash(data: &[u8]) -> Option<B256> {
    data.get(32..64).map(B256::from_slice)
}

/// Creation bytecode of `BenchToken` (constructor argument: the supply, minted to the deployer).
const BENCH_TOKEN_HEX: &str = include_str!("../contracts/BenchToken.hex");
/// Creation bytecode of `BenchProbe` (no constructor argument).
const BENCH_PROBE_HEX: &str = include_str!("../contracts/BenchProbe.hex");

/// Tokens minted to the funder: far more than any run hands out.
pub(crate) const TOKEN_SUPPLY: U256 = U256::from_limbs([0, 0, 0, 1 << 60]);

fn decode(hex: &str) -> Bytes {
    // The files are written by the contracts test from solc's output: well-formed hex.
    alloy::hex::decode(hex.trim()).map(Bytes::from).unwrap_or_default()
}

/// Initcode deploying `BenchToken` with `supply` minted to the sender.
pub(crate) fn token_initcode(supply: U256) -> Bytes {
    let mut code = decode(BENCH_TOKEN_HEX).to_vec();
    code.extend_from_slice(&supply.abi_encode());
    code.into()
}

/// Initcode deploying `BenchProbe`.
pub(crate) fn probe_initcode() -> Bytes {
    decode(BENCH_PROBE_HEX)
}

/// Calldata of `transfer(to, value)`.
pub(crate) fn transfer_calldata(to: Address, value: U256) -> Bytes {
    IBenchToken::transferCall { to, value }.abi_encode().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_is_embedded() {
        assert!(token_initcode(U256::from(1)).len() > 1000);
        assert!(!probe_initcode().is_empty());
        assert_eq!(
            &transfer_calldata(Address::ZERO, U256::from(1))[..4],
            &[0xa9, 0x05, 0x9c, 0xbb]
        );
    }

    #[test]
    fn bridge_calls_match_the_diamond() {
        // Selectors and topic as the Diamond's sources declare them.
        let sel = |sig: &str| alloy::primitives::keccak256(sig)[..4].to_vec();
        assert_eq!(
            deposit_calldata(Address::ZERO, U256::from(1), 21_000)[..4].to_vec(),
            sel("requestL2Transaction(address,uint256,bytes,uint256,uint256,bytes[],address)")
        );
        assert_eq!(
            base_cost_calldata(1, 1)[..4].to_vec(),
            sel("l2TransactionBaseCost(uint256,uint256,uint256)")
        );
        assert_eq!(withdraw_calldata(Address::ZERO)[..4].to_vec(), sel("withdraw(address)"));
        assert_eq!(
            NEW_PRIORITY_REQUEST,
            alloy::primitives::keccak256(
                "NewPriorityRequest(uint256,bytes32,uint64,(uint256,uint256,uint256,uint256,\
                 uint256,uint256,uint256,uint256,uint256,uint256,uint256[4],bytes,bytes,\
                 uint256[],bytes,bytes),bytes[])"
            )
        );
    }
}
