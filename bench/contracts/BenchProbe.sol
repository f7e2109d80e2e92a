// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title BenchProbe
/// @notice The contract of rollup-bench's `deploy` scenario: every transaction of that kind
/// deploys a fresh copy, so each one writes new code and a new storage slot.
/// @dev Built into `BenchProbe.hex` by the pinned solc-js; see `bench/contracts/README.md`.
contract BenchProbe {
    /// @notice Set at deployment, so a deployment writes storage as well as code.
    uint256 public value;

    constructor() {
        value = 1;
    }

    /// @notice Adds one to `value`.
    function bump() external {
        value += 1;
    }
}
