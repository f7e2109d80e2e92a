// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";

contract RevertingTest is ExecutorShared {
    function setUp() public override {
        super.setUp();
        commitMany(5);
        proveUpTo(3);
        executeUpTo(1);
    }

    function test_RevertBatchesLowersCountersAndForgetsHashes() public {
        vm.expectEmit(address(chain));
        emit IExecutor.BlocksRevert(2, 2, 1);
        vm.prank(validator);
        chain.revertBatches(2);
        vm.assertEq(chain.getTotalBatchesCommitted(), 2, "committed");
        vm.assertEq(chain.getTotalBatchesVerified(), 2, "verified lowered");
        vm.assertEq(chain.getTotalBatchesExecuted(), 1, "executed kept");
        vm.assertEq(chain.storedBatchHash(3), bytes32(0), "reverted hash cleared");
        vm.assertEq(chain.storedBatchHash(2), keccak256(abi.encode(batches[2])), "kept hash");
    }

    function test_RecommitAfterRevert() public {
        vm.prank(validator);
        chain.revertBatches(4);
        forget();
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = diffOf(99, 1);
        commitOne(c);
        vm.assertEq(chain.getTotalBatchesCommitted(), 5, "recommitted");
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "verified untouched above new last");
    }

    function test_RevertToExecutedIsAllowed() public {
        vm.prank(validator);
        chain.revertBatches(1);
        vm.assertEq(chain.getTotalBatchesCommitted(), 1, "down to executed");
    }

    function test_RevertWhen_BelowExecuted() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.CantRevertExecutedBatch.selector, 0, 1));
        vm.prank(validator);
        chain.revertBatches(0);
    }

    function test_RevertWhen_BeyondCommitted() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.RevertBeyondCommitted.selector, 6, 5));
        vm.prank(validator);
        chain.revertBatches(6);
    }

    function test_RevertWhen_RevertByNonValidator() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotValidator.selector, governor));
        vm.prank(governor);
        chain.revertBatches(2);
    }
}
