// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PriorityQueue} from "../common/Storage.sol";
import {PriorityOperation} from "../common/Types.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title FIFO queue of priority operations; the id of an operation is its position
library PriorityQueueLib {
    /// @notice Number of operations waiting.
    function size(PriorityQueue storage q) internal view returns (uint256) {
        return q.tail - q.head;
    }

    /// @notice Append `op`; returns its id.
    function pushBack(PriorityQueue storage q, PriorityOperation memory op) internal returns (uint256 id) {
        id = q.tail;
        q.data[id] = op;
        q.tail = id + 1;
    }

    /// @notice The oldest operation.
    function front(PriorityQueue storage q) internal view returns (PriorityOperation memory) {
        if (q.head == q.tail) revert IRollupErrors.PriorityQueueEmpty();
        return q.data[q.head];
    }

    /// @notice Remove and return the oldest operation.
    function popFront(PriorityQueue storage q) internal returns (PriorityOperation memory op) {
        uint256 head = q.head;
        if (head == q.tail) revert IRollupErrors.PriorityQueueEmpty();
        op = q.data[head];
        delete q.data[head];
        q.head = head + 1;
    }
}
