// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    L2_L1_LOGS_TREE_DEFAULT_LEAF_HASH,
    L2_TO_L1_LOGS_TREE_HEIGHT,
    L2_TO_L1_LOG_SERIALIZE_SIZE,
    MAX_L2_TO_L1_LOGS
} from "../common/Config.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title The per-batch L2->L1 logs tree
/// @notice A keccak binary tree of height 14 whose leaves are `keccak256(packed 88-byte log)`,
/// logs in emission order from leaf 0, unused leaves set to `keccak256(new bytes(88))`, and inner
/// nodes `keccak256(left ‖ right)`. Leaves (88-byte preimages) and nodes (64-byte preimages) cannot
/// collide, and proofs must have exactly the tree height, so a node cannot pass for a leaf.
library L2LogsTree {
    /// @notice Root of the tree over `logs` (88-byte packed logs, concatenated).
    /// @dev Costs O(n + height) hashes: the empty right side uses precomputed empty subtrees.
    function root(bytes calldata logs) internal pure returns (bytes32) {
        if (logs.length % L2_TO_L1_LOG_SERIALIZE_SIZE != 0) revert IRollupErrors.InvalidL2LogsLength(logs.length);
        uint256 n = logs.length / L2_TO_L1_LOG_SERIALIZE_SIZE;
        if (n > MAX_L2_TO_L1_LOGS) revert IRollupErrors.InvalidL2LogsLength(logs.length);

        bytes32[] memory level = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            level[i] = keccak256(logs[i * L2_TO_L1_LOG_SERIALIZE_SIZE:(i + 1) * L2_TO_L1_LOG_SERIALIZE_SIZE]);
        }
        bytes32 empty = L2_L1_LOGS_TREE_DEFAULT_LEAF_HASH;
        uint256 width = n;
        for (uint256 h = 0; h < L2_TO_L1_LOGS_TREE_HEIGHT; ++h) {
            uint256 parents = (width + 1) / 2;
            for (uint256 i = 0; i < parents; ++i) {
                bytes32 left = level[2 * i];
                bytes32 right = 2 * i + 1 < width ? level[2 * i + 1] : empty;
                level[i] = _hashPair(left, right);
            }
            width = parents;
            empty = _hashPair(empty, empty);
        }
        // With no logs, `level` is empty and the root is the empty subtree of full height.
        return width == 0 ? empty : level[0];
    }

    /// @notice Root obtained by walking `path` up from `leaf` at `index`.
    /// @dev Reverts unless `path` has exactly the tree height and `index` fits in it.
    function rootFromPath(bytes32[] calldata path, uint256 index, bytes32 leaf) internal pure returns (bytes32) {
        if (path.length != L2_TO_L1_LOGS_TREE_HEIGHT) {
            revert IRollupErrors.MerklePathLengthMismatch(path.length, L2_TO_L1_LOGS_TREE_HEIGHT);
        }
        if (index >= MAX_L2_TO_L1_LOGS) revert IRollupErrors.MerkleIndexOutOfBounds(index);
        bytes32 node = leaf;
        for (uint256 i = 0; i < L2_TO_L1_LOGS_TREE_HEIGHT; ++i) {
            node = (index & 1) == 0 ? _hashPair(node, path[i]) : _hashPair(path[i], node);
            index >>= 1;
        }
        return node;
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }
}
