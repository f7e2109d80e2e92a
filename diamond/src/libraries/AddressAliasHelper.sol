// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title L1 -> L2 address aliasing for contract callers
/// @notice A contract on L1 and an account with the same address on L2 are different owners, so
/// requests from L1 contracts act on L2 from `address + 0x1111000000000000000000000000000000001111`
/// (mod 2^160), the offset Era and Arbitrum use.
library AddressAliasHelper {
    uint160 internal constant OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The L2 alias of an L1 contract address.
    function applyL1ToL2Alias(address l1Address) internal pure returns (address l2Address) {
        unchecked {
            l2Address = address(uint160(l1Address) + OFFSET);
        }
    }

    /// @notice The L1 address behind an L2 alias.
    function undoL1ToL2Alias(address l2Address) internal pure returns (address l1Address) {
        unchecked {
            l1Address = address(uint160(l2Address) - OFFSET);
        }
    }
}
