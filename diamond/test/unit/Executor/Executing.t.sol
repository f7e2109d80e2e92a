// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";

contract ExecutingTest is ExecutorShared {
    function test_ExecuteBatches() public {
        commitMany(3);
        proveUpTo(3);
        vm.expectEmit(address(chain));
        emit IExecutor.BlockExecution(1, batches[1].batchHash, batches[1].commitment);
        executeUpTo(3);
        vm.assertEq(chain.getTotalBatchesExecuted(), 3, "executed");
        vm.assertEq(chain.l2LogsRootHash(3), batches[3].l2LogsTreeRoot, "logs root stored at execute");
    }

    function test_ExecuteConsumesPriorityOps() public {
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = deposit(user, 1 ether);
        hashes[1] = deposit(stranger, 2 ether);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 2;
        c.priorityOperationsHash = rollingHash(hashes);
        commitOne(c);
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 2, "both included in a committed batch");
        proveUpTo(1);
        vm.assertEq(chain.getFirstUnprocessedPriorityTx(), 0, "head moves only at execute");
        executeUpTo(1);
        vm.assertEq(chain.getFirstUnprocessedPriorityTx(), 2, "head moved");
        vm.assertEq(chain.getPriorityQueueSize(), 0, "queue empty");
    }

    function test_RevertWhen_PriorityRollingHashWrong() public {
        deposit(user, 1 ether);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 1;
        c.priorityOperationsHash = keccak256("wrong");
        commitOne(c);
        proveUpTo(1);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[1];
        bytes32[] memory actual = new bytes32[](1);
        actual[0] = chain.priorityQueueFrontOperation().canonicalTxHash;
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.PriorityOperationsRollingHashMismatch.selector, keccak256("wrong"), rollingHash(actual)
            )
        );
        vm.prank(validator);
        chain.executeBatches(list);
    }

    function test_RevertWhen_ExecuteBeyondVerified() public {
        commitMany(2);
        proveUpTo(1);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](2);
        list[0] = batches[1];
        list[1] = batches[2];
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.CantExecuteUnprovenBatch.selector, 2));
        vm.prank(validator);
        chain.executeBatches(list);
    }

    function test_RevertWhen_ExecuteOutOfOrder() public {
        commitMany(2);
        proveUpTo(2);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[2];
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NonSequentialBatch.selector, 1, 2));
        vm.prank(validator);
        chain.executeBatches(list);
    }

    function test_RevertWhen_ExecuteTamperedBatch() public {
        commitMany(1);
        proveUpTo(1);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[1];
        list[0].l2LogsTreeRoot = keccak256("forged root");
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.BatchHashMismatch.selector, 1, keccak256(abi.encode(batches[1])), keccak256(abi.encode(list[0]))
            )
        );
        vm.prank(validator);
        chain.executeBatches(list);
    }

    function test_RevertWhen_ExecuteByNonValidator() public {
        commitMany(1);
        proveUpTo(1);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[1];
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotValidator.selector, admin));
        vm.prank(admin);
        chain.executeBatches(list);
    }

    function test_RevertWhen_ExecuteEmptyList() public {
        vm.expectRevert(IRollupErrors.EmptyBatchList.selector);
        vm.prank(validator);
        chain.executeBatches(new StoredBatchInfo[](0));
    }

    /// Executes batch 1 (committed at `committedAt`, proven): refused one second before
    /// `committedAt + 1 hours`, accepted at it.
    function executeOnlyAfterOneHour(uint256 committedAt) internal {
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[1];
        vm.warp(committedAt + 1 hours - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupErrors.ExecutionDelayNotPassed.selector, 1, committedAt + 1 hours)
        );
        vm.prank(validator);
        chain.executeBatches(list);
        vm.warp(committedAt + 1 hours);
        vm.prank(validator);
        chain.executeBatches(list);
        vm.assertEq(chain.getTotalBatchesExecuted(), 1, "executed after the delay");
        vm.assertEq(chain.getBatchCommitTimestamp(1), 0, "commit time freed");
    }

    /// A delay raised after a batch was committed still applies to it (commit times are always
    /// recorded, as Era's ValidatorTimelock records them).
    function test_RaisedExecutionDelayAppliesToCommittedBatches() public {
        commitMany(1);
        uint256 committedAt = block.timestamp;
        vm.assertEq(chain.getBatchCommitTimestamp(1), committedAt, "recorded without a delay");
        proveUpTo(1);
        vm.prank(governor);
        chain.setExecutionDelay(1 hours);
        executeOnlyAfterOneHour(committedAt);
    }

    function test_ExecutionDelay() public {
        vm.prank(governor);
        chain.setExecutionDelay(1 hours);
        commitMany(1);
        uint256 committedAt = block.timestamp;
        vm.assertEq(chain.getBatchCommitTimestamp(1), committedAt, "commit time recorded");
        proveUpTo(1);
        executeOnlyAfterOneHour(committedAt);
    }
}
