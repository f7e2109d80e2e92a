//! Typed decoding of reverts from the diamond.

use crate::bindings::IRollupChain::IRollupChainErrors;

/// Decodes the revert data in `err` into one of the suite's custom errors, if it is one.
pub fn decode_revert(err: &alloy::contract::Error) -> Option<IRollupChainErrors> {
    err.as_decoded_interface_error::<IRollupChainErrors>()
}

/// A human description of a contract call error: the custom error with its fields when the
/// revert is one of ours (`NotValidator(NotValidator { caller: 0x… })`), otherwise the error itself.
pub fn describe_error(err: &alloy::contract::Error) -> String {
    match decode_revert(err) {
        // The Debug form names the error and its fields, which is what an operator needs.
        Some(decoded) => format!("reverted with {decoded:?}"),
        None => err.to_string(),
    }
}
