// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {MerkleHelper} from "../utils/MerkleHelper.sol";
import {L2LogsTree} from "../../src/libraries/L2LogsTree.sol";

/// @dev Exposes the library over calldata.
contract L2LogsTreeHarness {
    function root(bytes calldata logs) external pure returns (bytes32) {
        return L2LogsTree.root(logs);
    }

    function rootFromPath(bytes32[] calldata path, uint256 index, bytes32 leaf) external pure returns (bytes32) {
        return L2LogsTree.rootFromPath(path, index, leaf);
    }
}

contract L2LogsTreeFuzzTest is Test {
    L2LogsTreeHarness internal h = new L2LogsTreeHarness();

    /// The O(n) root equals the naive full tree, and every leaf's path leads back to it.
    function testFuzz_RootMatchesNaiveTree(uint256 seed, uint8 count, uint16 pick) public view {
        uint256 n = bound(count, 0, 40);
        bytes memory logs;
        for (uint256 i = 0; i < n; ++i) {
            logs = bytes.concat(
                logs,
                MerkleHelper.packLog(0, i % 2 == 0, uint16(i), address(uint160(uint256(keccak256(abi.encode(i, seed))))), keccak256(abi.encode(seed, i)), bytes32(i))
            );
        }
        bytes32[] memory leaves = MerkleHelper.leavesOf(logs);
        uint256 index = n == 0 ? 0 : bound(pick, 0, n - 1);
        (bytes32 naive, bytes32[] memory path) = MerkleHelper.rootAndPath(leaves, index);
        vm.assertEq(h.root(logs), naive, "root");
        if (n > 0) vm.assertEq(h.rootFromPath(path, index, leaves[index]), naive, "path");
    }
}
