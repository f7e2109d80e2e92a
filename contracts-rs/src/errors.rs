//! Typed decoding of reverts from the diamond.

use crate::bindings::{IRollupChain::IRollupChainErrors, StateDiffVerifier};

/// Decodes the revert data in `err` into one of the suite's custom errors, if it is one.
pub fn decode_revert(err: &alloy::contract::Error) -> Option<IRollupChainErrors> {
    err.as_decoded_interface_error::<IRollupChainErrors>()
}

/// A human description of a contract call error: the custom error with its fields when the
/// revert is one of ours (`NotValidator(NotValidator { caller: 0x… })`), otherwise the error itself.
pub fn describe_error(err: &alloy::contract::Error) -> String {
    // The Debug form names the error and its fields, which is what an operator needs. A
    // verifier's revert bubbles up through `proveBatches` unchanged.
    if let Some(decoded) = decode_revert(err) {
        return format!("reverted with {decoded:?}");
    }
    match err.as_decoded_interface_error::<StateDiffVerifier::StateDiffVerifierErrors>() {
        Some(decoded) => format!("verifier reverted with {decoded:?}"),
        None => err.to_string(),
    }
}
