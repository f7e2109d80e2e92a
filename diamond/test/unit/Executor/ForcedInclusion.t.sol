// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {CommitBatchInfo} from "../../../src/common/Types.sol";

contract ForcedInclusionTest is ExecutorShared {
    function test_CommitWithoutExpiredRequestReverts() public {
        deposit(user, 1 ether);
        uint256 deadline = block.timestamp + DEADLINE;
        vm.assertEq(chain.priorityQueueFrontOperation().expirationTimestamp, deadline, "deadline recorded");
        vm.warp(deadline + 1);
        expectCommitRevert(
            nextCommit(lastBatch()),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 0, deadline)
        );
    }

    function test_CommitWithoutRequestBeforeDeadlineSucceeds() public {
        deposit(user, 1 ether);
        vm.warp(block.timestamp + DEADLINE);
        commitOne(nextCommit(lastBatch()));
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 0, "still waiting, at its deadline");
    }

    function test_CommitIncludingExpiredRequestSucceeds() public {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = deposit(user, 1 ether);
        vm.warp(block.timestamp + DEADLINE + 1);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 1;
        c.priorityOperationsHash = rollingHash(hashes);
        commitOne(c);
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 1, "included");
    }

    /// After the governor shortens the deadline, a later request can expire before the oldest
    /// one: a commit that leaves it out past its deadline must revert, although the oldest
    /// request is not overdue.
    function test_CommitSkippingALaterRequestPastAShortenedDeadlineReverts() public {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = deposit(user, 1 ether); // index 0: expires after DEADLINE (1 day)
        vm.prank(governor);
        chain.setPriorityTxDeadline(1 hours);
        deposit(user, 1 ether); // index 1: expires after 1 hour
        uint256 second = block.timestamp + 1 hours;
        vm.warp(second + 1);
        expectCommitRevert(
            nextCommit(lastBatch()),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 1, second)
        );
        // Including the first alone still leaves the overdue second out.
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 1;
        c.priorityOperationsHash = rollingHash(hashes);
        expectCommitRevert(
            c, abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 1, second)
        );
    }

    function test_RevertedInclusionCountsAgain() public {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = deposit(user, 1 ether);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 1;
        c.priorityOperationsHash = rollingHash(hashes);
        commitOne(c);
        vm.prank(validator);
        chain.revertBatches(0);
        forget();
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 0, "back in the waiting set");
        vm.warp(block.timestamp + DEADLINE + 1);
        expectCommitRevert(
            nextCommit(lastBatch()),
            abi.encodeWithSelector(
                IRollupErrors.PriorityOperationDeadlinePassed.selector, 0, block.timestamp - 1
            )
        );
    }
}
