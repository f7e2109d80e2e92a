// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";

/// Forced inclusion is judged by batch time, after each commit: the last committed batch may not
/// be sealed after the deadline of a request still left out, and once that deadline has passed on
/// L1 it must be within the catch-up window (the longer of 7 days and the deadline) of the L1's
/// time. A backlog sealed before a deadline always commits, and censorship is bounded.
contract ForcedInclusionTest is ExecutorShared {
    /// A commit info for the batch after the last one, sealed at `timestamp`.
    function batchAt(uint256 timestamp) internal view returns (CommitBatchInfo memory c) {
        c = nextCommit(lastBatch());
        c.timestamp = uint64(timestamp);
    }

    /// `c` claiming the requests whose hashes are `hashes`.
    function including(CommitBatchInfo memory c, bytes32[] memory hashes)
        internal
        pure
        returns (CommitBatchInfo memory)
    {
        c.numberOfLayer1Txs = hashes.length;
        c.priorityOperationsHash = rollingHash(hashes);
        return c;
    }

    function one(bytes32 h) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](1);
        hashes[0] = h;
    }

    function test_BatchSealedAfterTheDeadlineMustIncludeTheRequest() public {
        deposit(user, 1 ether);
        uint256 deadline = block.timestamp + DEADLINE;
        vm.assertEq(chain.priorityQueueFrontOperation().expirationTimestamp, deadline, "deadline recorded");
        vm.warp(deadline + 1);
        expectCommitRevert(
            batchAt(deadline + 1),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 0, deadline)
        );
    }

    function test_BatchSealedAtTheDeadlineMayLeaveItOut() public {
        deposit(user, 1 ether);
        uint256 deadline = block.timestamp + DEADLINE;
        vm.warp(deadline);
        commitOne(batchAt(deadline));
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 0, "still waiting, at its deadline");
    }

    function test_CommitIncludingExpiredRequestSucceeds() public {
        bytes32 h = deposit(user, 1 ether);
        vm.warp(block.timestamp + DEADLINE + 1);
        commitOne(including(batchAt(block.timestamp), one(h)));
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 1, "included");
    }

    /// The halt this rule removes: a request's deadline passes during an outage while more than
    /// one commit's worth of batches sealed before it waits. Each commit of that backlog leaves the
    /// request out and still lands; the batch that includes it lands after them.
    function test_ABacklogSealedBeforeTheDeadlineCommitsAfterIt() public {
        vm.warp(block.timestamp + 1000);
        uint256 crashed = block.timestamp;
        vm.warp(crashed + 10);
        bytes32 h = deposit(user, 1 ether);
        // Back four days later: the deadline passed three days ago; three commits of old batches.
        vm.warp(crashed + 10 + DEADLINE + 3 days);
        for (uint256 i = 1; i <= 3; ++i) {
            commitOne(batchAt(crashed - 10 + i));
        }
        vm.assertEq(chain.getTotalBatchesCommitted(), 3, "the backlog is committed");
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 0, "left out by batches older than it");
        commitOne(including(batchAt(block.timestamp), one(h)));
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 1, "then included");
    }

    /// Without a request past its deadline, batches of any age commit: an outage longer than
    /// the window with nothing forced on the node halts nothing.
    function test_OldBatchesCommitWhenNoRequestIsOverdue() public {
        uint256 sealedAt = block.timestamp;
        vm.warp(block.timestamp + 100 days);
        commitOne(batchAt(sealedAt));
        deposit(user, 1 ether);
        commitOne(batchAt(sealedAt + 1));
        vm.assertEq(chain.getTotalBatchesCommitted(), 2, "both committed");
    }

    function test_BatchesOlderThanTheWindowCannotLeaveAnOverdueRequestOut() public {
        deposit(user, 1 ether);
        uint256 sealedAt = block.timestamp + 5;
        uint256 deadline = block.timestamp + DEADLINE;
        vm.warp(sealedAt + 7 days + 1);
        expectCommitRevert(
            batchAt(sealedAt),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationOverdue.selector, 0, deadline, sealedAt)
        );
        // A batch at the window's edge still may.
        commitOne(batchAt(sealedAt + 1));
    }

    /// A deadline longer than 7 days is the window.
    function test_TheWindowIsTheDeadlineWhenLonger() public {
        vm.prank(governor);
        chain.setPriorityTxDeadline(10 days);
        deposit(user, 1 ether);
        uint256 sealedAt = block.timestamp + 5;
        uint256 deadline = block.timestamp + 10 days;
        vm.warp(sealedAt + 10 days);
        commitOne(batchAt(sealedAt));
        vm.warp(block.timestamp + 2);
        expectCommitRevert(
            batchAt(sealedAt + 1),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationOverdue.selector, 0, deadline, sealedAt + 1)
        );
    }

    /// Censorship is bounded: once the L1 is a window past the request's deadline, no batch time
    /// the L1 accepts lets a commit leave the request out.
    function testFuzz_NoCommitLeavesARequestOutPastItsDeadlineAndTheWindow(uint256 late, uint256 sealedAt) public {
        deposit(user, 1 ether);
        uint256 deadline = block.timestamp + DEADLINE;
        late = bound(late, 1, 365 days);
        vm.warp(deadline + 7 days + late);
        // Any timestamp `commitBatches` would otherwise take: after the last batch, at most 15
        // minutes ahead of the L1.
        sealedAt = bound(sealedAt, lastBatch().timestamp + 1, block.timestamp + 15 minutes);
        CommitBatchInfo[] memory list = single(withInfoRecord(batchAt(sealedAt)));
        StoredBatchInfo memory last = lastBatch();
        vm.prank(validator);
        (bool ok, bytes memory err) =
            address(chain).call(abi.encodeCall(chain.commitBatches, (last, list)));
        vm.assertFalse(ok, "a commit leaving the request out landed");
        bytes4 selector = bytes4(err);
        vm.assertTrue(
            selector == IRollupErrors.PriorityOperationDeadlinePassed.selector
                || selector == IRollupErrors.PriorityOperationOverdue.selector,
            "refused for the request"
        );
    }

    /// After the governor shortens the deadline, a later request can expire before the oldest
    /// one: a batch sealed past the later deadline must include it, although the oldest request
    /// is not overdue.
    function test_ABatchSkippingALaterRequestPastAShortenedDeadlineReverts() public {
        bytes32 first = deposit(user, 1 ether); // index 0: expires after DEADLINE (1 day)
        vm.prank(governor);
        chain.setPriorityTxDeadline(1 hours);
        deposit(user, 1 ether); // index 1: expires after 1 hour
        uint256 second = block.timestamp + 1 hours;
        vm.warp(second + 1);
        expectCommitRevert(
            batchAt(second + 1),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 1, second)
        );
        // Including the first alone still leaves the overdue second out.
        expectCommitRevert(
            including(batchAt(second + 1), one(first)),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 1, second)
        );
    }

    /// A request after a shortened deadline is judged by the window too, although the oldest
    /// request is included.
    function test_ARequestAfterACutIsOverdueOutsideTheWindow() public {
        bytes32 first = deposit(user, 1 ether);
        vm.prank(governor);
        chain.setPriorityTxDeadline(1 hours);
        deposit(user, 1 ether);
        uint256 second = block.timestamp + 1 hours;
        uint256 sealedAt = block.timestamp + 10;
        vm.warp(sealedAt + 7 days + 1);
        expectCommitRevert(
            including(batchAt(sealedAt), one(first)),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationOverdue.selector, 1, second, sealedAt)
        );
    }

    /// The rule holds after the whole commit: batches sealed after the deadline may leave the
    /// request out when a later batch of the same call includes it.
    function test_OneCallMayIncludeTheRequestInItsLastBatch() public {
        bytes32 h = deposit(user, 1 ether);
        vm.warp(block.timestamp + DEADLINE + 100);
        CommitBatchInfo[] memory list = new CommitBatchInfo[](3);
        StoredBatchInfo memory prev = lastBatch();
        for (uint256 i = 0; i < 3; ++i) {
            CommitBatchInfo memory c = nextCommit(prev);
            c.timestamp = uint64(block.timestamp - 3 + i);
            if (i == 2) c = including(c, one(h));
            list[i] = withInfoRecord(c);
            prev = storedInfo(list[i]);
        }
        vm.prank(validator);
        chain.commitBatches(lastBatch(), list);
        for (uint256 i = 0; i < 3; ++i) {
            record(list[i]);
        }
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 1, "included by the last batch");
    }

    function test_RevertedInclusionCountsAgain() public {
        bytes32 h = deposit(user, 1 ether);
        uint256 deadline = block.timestamp + DEADLINE;
        commitOne(including(nextCommit(lastBatch()), one(h)));
        vm.prank(validator);
        chain.revertBatches(0);
        forget();
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 0, "back in the waiting set");
        vm.warp(deadline + 1);
        expectCommitRevert(
            batchAt(deadline + 1),
            abi.encodeWithSelector(IRollupErrors.PriorityOperationDeadlinePassed.selector, 0, deadline)
        );
    }
}
