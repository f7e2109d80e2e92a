// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {StoredBatchInfo} from "../../../src/common/Types.sol";

contract ProvingTest is ExecutorShared {
    function setUp() public override {
        super.setUp();
        commitMany(3);
    }

    function test_ProveBatches() public {
        vm.expectEmit(address(chain));
        emit IExecutor.BlocksVerification(0, 3);
        proveUpTo(3);
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "verified");
    }

    function test_VerifierGetsCommitmentsAndSplitDiffHash() public {
        // The test verifier accepts only the proof of the exact inputs, so passing means
        // the Executor handed it (old, new, hi128, lo128) of batch 1.
        uint256[] memory inputs = publicInputs(batches[0], batches[1]);
        vm.assertEq(inputs[2], uint256(sha256(abi.encodePacked("diff", uint64(1)))) >> 128, "hi limb");
        proveUpTo(1);
        vm.assertEq(chain.getTotalBatchesVerified(), 1, "proved with those inputs");
    }

    function test_ProveInTwoSteps() public {
        proveUpTo(1);
        proveUpTo(3);
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "verified");
    }

    function test_RevertWhen_ProofInvalid() public {
        (StoredBatchInfo[] memory list, uint256[][] memory proofs) = proofsFor(0, 2);
        proofs[1][0] ^= 1;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidProof.selector, 2));
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);
    }

    function test_RevertWhen_ProofForOtherInputs() public {
        (StoredBatchInfo[] memory list, uint256[][] memory proofs) = proofsFor(0, 1);
        // A proof of batch 2's transition does not prove batch 1.
        proofs[0] = verifier.proofFor(publicInputs(batches[1], batches[2]));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidProof.selector, 1));
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);
    }

    function test_RevertWhen_ProveByNonValidator() public {
        (StoredBatchInfo[] memory list, uint256[][] memory proofs) = proofsFor(0, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotValidator.selector, stranger));
        vm.prank(stranger);
        chain.proveBatches(batches[0], list, proofs);
    }

    function test_RevertWhen_ProofCountMismatch() public {
        (StoredBatchInfo[] memory list,) = proofsFor(0, 2);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ProofCountMismatch.selector, 2, 1));
        vm.prank(validator);
        chain.proveBatches(batches[0], list, new uint256[][](1));
    }

    function test_RevertWhen_ProveEmptyList() public {
        vm.expectRevert(IRollupErrors.EmptyBatchList.selector);
        vm.prank(validator);
        chain.proveBatches(batches[0], new StoredBatchInfo[](0), new uint256[][](0));
    }

    function test_RevertWhen_PrevBatchIsNotLastVerified() public {
        proveUpTo(1);
        (StoredBatchInfo[] memory list, uint256[][] memory proofs) = proofsFor(1, 2);
        StoredBatchInfo memory wrongPrev = batches[0];
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.BatchHashMismatch.selector,
                1,
                keccak256(abi.encode(batches[1])),
                keccak256(abi.encode(wrongPrev))
            )
        );
        vm.prank(validator);
        chain.proveBatches(wrongPrev, list, proofs);
    }

    function test_RevertWhen_BatchDataTampered() public {
        (StoredBatchInfo[] memory list, uint256[][] memory proofs) = proofsFor(0, 1);
        list[0].stateDiffHash = bytes32(uint256(1));
        proofs[0] = verifier.proofFor(publicInputs(batches[0], list[0]));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.BatchHashMismatch.selector, 1, keccak256(abi.encode(batches[1])), keccak256(abi.encode(list[0]))
            )
        );
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);
    }

    function test_RevertWhen_ProvingBeyondCommitted() public {
        proveUpTo(3);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[3];
        uint256[][] memory proofs = new uint256[][](1);
        proofs[0] = verifier.proofFor(publicInputs(batches[3], batches[3]));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.CantProveUncommittedBatch.selector, 4));
        vm.prank(validator);
        chain.proveBatches(batches[3], list, proofs);
    }
}
