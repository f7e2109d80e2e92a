// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MailboxShared} from "./_Shared.t.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {BatchProof, CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";

/// The audit's drain: one validator key commits a batch that claims the pending deposits and
/// carries one forged withdrawal of the diamond's whole balance, "proves" it without a proof,
/// executes it and finalizes the withdrawal. Each way in is now closed, and the diamond keeps
/// its balance.
contract DrainTest is MailboxShared {
    address internal thief = makeAddr("thief");
    bytes32 internal depositHash;
    uint256 internal held;

    function setUp() public override {
        super.setUp();
        depositHash = deposit(user, 10 ether);
        held = address(chain).balance;
    }

    /// The forged batch: the pending deposit claimed (never credited on L2) and a withdrawal of
    /// everything the diamond holds.
    function forged() internal view returns (CommitBatchInfo memory c) {
        c = nextCommit(lastBatch());
        bytes32[] memory ops = new bytes32[](1);
        ops[0] = depositHash;
        c.numberOfLayer1Txs = 1;
        c.priorityOperationsHash = rollingHash(ops);
        c.l2Logs = messageLog(0, BASE_TOKEN, withdrawalMessage(thief, held));
        c.stateDiff = "";
        c.chunkDigests = new bytes32[](0); // no chunk, no digest
        c.newStateCommitment = lastBatch().batchHash;
    }

    function commitRaw(CommitBatchInfo memory c) internal {
        CommitBatchInfo[] memory list = new CommitBatchInfo[](1);
        list[0] = c;
        vm.prank(validator);
        chain.commitBatches(lastBatch(), list);
    }

    /// The empty diff of the PoC is refused at commit: there is nothing to prove it with.
    function test_RevertWhen_ForgedBatchHasAnEmptyDiff() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.MissingBatchInfoRecord.selector, 1));
        commitRaw(forged());
    }

    /// A record made for the forged logs does not cover other logs claimed at commit, and a
    /// record made for no logs does not cover the forged ones.
    function test_RevertWhen_InfoRecordDoesNotBindTheLogs() public {
        CommitBatchInfo memory c = withInfoRecord(forged());
        bytes32 recorded = batchInfoHash(c);
        c.l2Logs = "";
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.BatchInfoMismatch.selector, 1, batchInfoHash(c), recorded));
        commitRaw(c);

        c = withInfoRecord(c); // a record for no logs
        recorded = batchInfoHash(c);
        c.l2Logs = forged().l2Logs;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.BatchInfoMismatch.selector, 1, batchInfoHash(c), recorded));
        commitRaw(c);
    }

    /// With its record, the forged batch commits, but no proof-less "proof" moves it further,
    /// and nothing can be executed or finalized.
    function test_ForgedBatchCannotBeProvenWithoutAProof() public {
        StoredBatchInfo memory info = commitOne(forged());
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = info;
        BatchProof[] memory proofs = new BatchProof[](1);

        // The PoC's empty proof: no chunk claims, no proofs.
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 1));
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);

        // The right chunk claims but no chunk proof.
        proofs[0].chunkClaims = chunkClaims[1];
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkCountMismatch.selector, 1, 1, 0, 0));
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);

        // A proof the verifier rejects.
        proofs[0].chunkProofs = new uint256[][](1);
        proofs[0].chunkProofs[0] = new uint256[](1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 1, 0));
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);

        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.CantExecuteUnprovenBatch.selector, 1));
        vm.prank(validator);
        chain.executeBatches(list);

        bytes32[] memory path = pathOf(messageLog(0, BASE_TOKEN, withdrawalMessage(thief, held)), 0);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.BatchNotExecuted.selector, 1));
        chain.finalizeEthWithdrawal(1, 0, 0, withdrawalMessage(thief, held), path);
        vm.assertEq(address(chain).balance, held, "the diamond keeps its balance");
        vm.assertEq(thief.balance, 0, "the thief gets nothing");
    }

    /// What the proof does not cover (execution): a validator able to prove a forged diff is
    /// caught by the execution delay. The batch is frozen before it can execute.
    function test_ExecutionDelayLetsTheAdminFreezeAProvenForgery() public {
        vm.prank(governor);
        chain.setExecutionDelay(3 hours);
        commitOne(forged());
        proveUpTo(1);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[1];
        vm.expectRevert(
            abi.encodeWithSelector(IRollupErrors.ExecutionDelayNotPassed.selector, 1, block.timestamp + 3 hours)
        );
        vm.prank(validator);
        chain.executeBatches(list);

        vm.prank(admin);
        chain.freezeDiamond();
        vm.warp(block.timestamp + 3 hours);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.DiamondFrozen.selector, chain.executeBatches.selector));
        vm.prank(validator);
        chain.executeBatches(list);
        vm.assertEq(address(chain).balance, held, "the diamond keeps its balance");
    }
}
