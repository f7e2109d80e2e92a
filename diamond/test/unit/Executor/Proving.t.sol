// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IRollupErrors, IVerifierErrors} from "../../../src/common/Errors.sol";
import {StateDiffVerifier} from "../../../src/verifier/StateDiffVerifier.sol";
import {BatchProof, CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";

contract ProvingTest is ExecutorShared {
    function setUp() public override {
        super.setUp();
        commitMany(3);
    }

    function prove(uint256 from, StoredBatchInfo[] memory list, BatchProof[] memory proofs) internal {
        vm.prank(validator);
        chain.proveBatches(batches[from], list, proofs);
    }

    function test_ProveBatches() public {
        vm.expectEmit(address(chain));
        emit IExecutor.BlocksVerification(0, 3);
        proveUpTo(3);
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "verified");
    }

    function test_ChunksAreCutEveryChunkRecords() public view {
        // Two records and the batch-info record, two per chunk: the first chunk is 128 bytes,
        // the second 64 (the record alone).
        bytes memory diff = nextCommit(batches[0]).stateDiff;
        vm.assertEq(diff.length, 192, "three records");
        bytes memory first = slice(diff, 0, 128);
        bytes memory second = slice(diff, 128, 64);
        vm.assertEq(bytes32(slice(second, 0, 32)), INFO_KEY, "the batch-info record is last");
        vm.assertEq(chunkHashes[1].length, 2, "two chunks");
        vm.assertEq(chunkHashes[1][0], sha256(first), "first chunk");
        vm.assertEq(chunkHashes[1][1], sha256(second), "second chunk");
        vm.assertEq(batches[1].stateDiffHash, keccak256(abi.encodePacked(sha256(first), sha256(second))), "stored");
    }

    function test_VerifierGetsChainedChunkInputs() public {
        // The test verifier accepts only the proof of the exact inputs, so passing means the
        // Executor handed it (old, mid, hi128, lo128) for chunk 0 and (mid, new, ...) for chunk 1.
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        vm.assertEq(
            proofs[0].chunkProofs[0][0],
            uint256(keccak256(abi.encode(chunkInputs(batches[0].batchHash, midCommitment(1, 0), chunkHashes[1][0])))),
            "chunk 0 proves old -> mid"
        );
        prove(0, list, proofs);
        vm.assertEq(chain.getTotalBatchesVerified(), 1, "proved with those inputs");
    }

    /// The real verifier's own error reaches the caller unchanged (`IRollupChain` declares it).
    function test_RevertWhen_VerifierRejectsWithItsOwnError() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        vm.etch(address(verifier), type(StateDiffVerifier).runtimeCode);
        uint256[] memory proof = new uint256[](9);
        proof[0] = 2; // the generated verifier has keys for capacities 1, 4 and 16
        proofs[0].chunkProofs[0] = proof;
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.UnsupportedCapacity.selector, 2));
        prove(0, list, proofs);
    }

    function test_ProveInTwoSteps() public {
        proveUpTo(1);
        proveUpTo(3);
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "verified");
    }

    function test_ProveBatchWithOneChunk() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = diffOf(4, 1);
        commitOne(c);
        proveUpTo(4);
        vm.assertEq(chain.getTotalBatchesVerified(), 4, "verified");
    }

    /// A batch that changes no account still has its batch-info record, so it is proven like
    /// any other: without a chunk proof it does not pass.
    function test_BatchWithoutStateChangeNeedsAProof() public {
        proveUpTo(3);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = "";
        commitOne(c);
        vm.assertEq(chunkHashes[4].length, 1, "one chunk: the record");
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(3, 4);
        BatchProof[] memory none = new BatchProof[](1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkHashesMismatch.selector, 4));
        prove(3, list, none);
        none[0].chunkDiffHashes = proofs[0].chunkDiffHashes;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkCountMismatch.selector, 4, 1, 0, 0));
        prove(3, list, none);
        prove(3, list, proofs);
        vm.assertEq(chain.getTotalBatchesVerified(), 4, "verified with its proof");
    }

    function test_RevertWhen_ChunkProofInvalid() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 2);
        proofs[1].chunkProofs[1][0] ^= 1;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 2, 1));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ProofForOtherInputs() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        // A proof of batch 2's first chunk does not prove batch 1's.
        proofs[0].chunkProofs[0] =
            verifier.proofFor(chunkInputs(batches[1].batchHash, midCommitment(2, 0), chunkHashes[2][0]));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 1, 0));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ChunksSwapped() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        (proofs[0].chunkDiffHashes[0], proofs[0].chunkDiffHashes[1]) =
            (proofs[0].chunkDiffHashes[1], proofs[0].chunkDiffHashes[0]);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkHashesMismatch.selector, 1));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ChainBrokenBetweenChunks() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        // Chunk 0 now ends at another commitment than the one chunk 1 starts from.
        bytes32 other = bytes32(uint256(42));
        proofs[0].chunkCommitments[0] = other;
        proofs[0].chunkProofs[0] = verifier.proofFor(chunkInputs(batches[0].batchHash, other, chunkHashes[1][0]));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 1, 1));
        prove(0, list, proofs);
    }

    function test_RevertWhen_IntermediateCommitmentNotAFieldElement() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        proofs[0].chunkCommitments[0] = bytes32(type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotAFieldElement.selector, type(uint256).max));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ChunkCountMismatch() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        uint256[][] memory one = new uint256[][](1);
        one[0] = proofs[0].chunkProofs[0];
        proofs[0].chunkProofs = one;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkCountMismatch.selector, 1, 2, 1, 1));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ProveByNonValidator() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotValidator.selector, stranger));
        vm.prank(stranger);
        chain.proveBatches(batches[0], list, proofs);
    }

    function test_RevertWhen_ProofCountMismatch() public {
        (StoredBatchInfo[] memory list,) = proofsFor(0, 2);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ProofCountMismatch.selector, 2, 1));
        prove(0, list, new BatchProof[](1));
    }

    function test_RevertWhen_ProveEmptyList() public {
        vm.expectRevert(IRollupErrors.EmptyBatchList.selector);
        prove(0, new StoredBatchInfo[](0), new BatchProof[](0));
    }

    function test_RevertWhen_PrevBatchIsNotLastVerified() public {
        proveUpTo(1);
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(1, 2);
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
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        list[0].stateDiffHash = keccak256(abi.encodePacked(proofs[0].chunkDiffHashes[0]));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.BatchHashMismatch.selector, 1, keccak256(abi.encode(batches[1])), keccak256(abi.encode(list[0]))
            )
        );
        prove(0, list, proofs);
    }

    function test_RevertWhen_ProvingBeyondCommitted() public {
        proveUpTo(3);
        StoredBatchInfo[] memory list = new StoredBatchInfo[](1);
        list[0] = batches[3];
        BatchProof[] memory proofs = new BatchProof[](1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.CantProveUncommittedBatch.selector, 4));
        prove(3, list, proofs);
    }
}
