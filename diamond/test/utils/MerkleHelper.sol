// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Merkle builder for tests, written apart from the contracts' L2LogsTree
/// @notice Same tree (height 14, default leaf for unused slots), built level by level.
library MerkleHelper {
    bytes32 internal constant DEFAULT_LEAF = keccak256(new bytes(88));
    uint256 internal constant HEIGHT = 14;

    function packLog(uint8 shard, bool isService, uint16 txNum, address sender, bytes32 key, bytes32 value)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(shard, isService, txNum, sender, key, value);
    }

    /// @notice Root of the tree over `leaves` and the path of leaf `index`.
    /// @dev Pads the leaves to the next power of two, hashes those levels fully, then climbs
    /// with the hash of an empty subtree as the right sibling.
    function rootAndPath(bytes32[] memory leaves, uint256 index)
        internal
        pure
        returns (bytes32 root, bytes32[] memory path)
    {
        uint256 width = 1;
        while (width < leaves.length) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < width; ++i) {
            level[i] = i < leaves.length ? leaves[i] : DEFAULT_LEAF;
        }
        bytes32 empty = DEFAULT_LEAF;
        path = new bytes32[](HEIGHT);
        for (uint256 h = 0; h < HEIGHT; ++h) {
            uint256 sibling = index ^ 1;
            path[h] = sibling < width ? level[sibling] : empty;
            if (width == 1) {
                level[0] = keccak256(abi.encodePacked(level[0], empty));
            } else {
                width /= 2;
                for (uint256 i = 0; i < width; ++i) {
                    level[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
                }
            }
            empty = keccak256(abi.encodePacked(empty, empty));
            index /= 2;
        }
        root = level[0];
    }

    /// @notice Root of a tree with no logs: the default leaf hashed up 14 levels.
    function emptyRoot() internal pure returns (bytes32 node) {
        node = DEFAULT_LEAF;
        for (uint256 h = 0; h < HEIGHT; ++h) {
            node = keccak256(abi.encodePacked(node, node));
        }
    }

    /// @notice The leaf hashes of packed 88-byte logs.
    function leavesOf(bytes memory logs) internal pure returns (bytes32[] memory leaves) {
        uint256 n = logs.length / 88;
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 h;
            assembly {
                h := keccak256(add(add(logs, 0x20), mul(i, 88)), 88)
            }
            leaves[i] = h;
        }
    }
}
