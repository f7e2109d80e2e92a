//! The contracts the bench sends transactions to, as committed creation bytecode
//! (`bench/contracts/`, built with the pinned solc-js; the README there has the command), and
//! the calldata of their calls.

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolValue};

alloy::sol! {
    /// The ERC-20 calls the bench makes.
    interface IBenchToken {
        /// Moves `value` of the caller's tokens to `to`.
        function transfer(address to, uint256 value) external returns (bool);
    }
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
}
