// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../../utils/Test.sol";

/// @notice The Rust bindings are generated from `IRollupChain`'s ABI: every error the diamond can
/// revert with must be declared there, or a revert reaches users as hex.
contract RollupChainAbiTest is Test {
    /// @dev The names of the errors declared in the ABI of `out/<file>/<name>.json`.
    function errorNames(string memory file, string memory name) internal view returns (string[] memory) {
        string memory json = vm.readFile(string.concat("out/", file, "/", name, ".json"));
        return abi.decode(vm.parseJson(json, "$.abi[?(@.type == 'error')].name"), (string[]));
    }

    function declares(string[] memory names, string memory wanted) internal pure returns (bool) {
        for (uint256 i = 0; i < names.length; ++i) {
            if (keccak256(bytes(names[i])) == keccak256(bytes(wanted))) return true;
        }
        return false;
    }

    /// A verifier's revert bubbles up through `proveBatches` unchanged.
    function test_RollupChainDeclaresVerifierErrors() public view {
        string[] memory names = errorNames("IRollupChain.sol", "IRollupChain");
        string[6] memory verifierErrors = [
            "UnsupportedCapacity",
            "BadProofLength",
            "BadInputCount",
            "InputNotInField",
            "ProofNotInField",
            "PrecompileFailed"
        ];
        for (uint256 i = 0; i < verifierErrors.length; ++i) {
            vm.assertTrue(declares(names, verifierErrors[i]), verifierErrors[i]);
        }
    }
}
