// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IRollupErrors, IVerifierErrors} from "../../../src/common/Errors.sol";
import {StateDiffVerifier} from "../../../src/verifier/StateDiffVerifier.sol";
import {BatchProof, ChunkClaim, CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";

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
        ChunkClaim[] memory claims = chunkClaims[1];
        vm.assertEq(claims.length, 2, "two chunks");
        vm.assertEq(claims[0].digest, testDigest(1, 0), "first chunk's digest");
        vm.assertEq(claims[1].digest, testDigest(1, 1), "second chunk's digest");
        vm.assertEq(claims[0].point, uint256(keccak256(bytes.concat(testDigest(1, 0), keccak256(first)))) % R, "first point");
        vm.assertEq(claims[1].point, uint256(keccak256(bytes.concat(testDigest(1, 1), keccak256(second)))) % R, "second point");
        vm.assertEq(batches[1].stateDiffHash, keccak256(abi.encode(claims)), "stored");
    }

    /// The Executor hands the verifier exactly the spec's five inputs per chunk,
    /// `[c_from, c_to, digest, point, evaluation]`: the test verifier accepts only the proof of
    /// the exact inputs, so a proof built here from them, by hand, passes.
    function test_VerifierGetsTheFiveInputsOfTheSpec() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        bytes memory diff = nextCommit(batches[0]).stateDiff;
        bytes32[2] memory chunkHashes = [keccak256(slice(diff, 0, 128)), keccak256(slice(diff, 128, 64))];
        bytes32[3] memory commitments = [batches[0].batchHash, midCommitment(1, 0), batches[1].batchHash];
        for (uint256 c = 0; c < 2; ++c) {
            uint256[] memory inputs = new uint256[](5);
            inputs[0] = uint256(commitments[c]);
            inputs[1] = uint256(commitments[c + 1]);
            inputs[2] = uint256(testDigest(1, c));
            inputs[3] = uint256(keccak256(abi.encodePacked(testDigest(1, c), chunkHashes[c]))) % R;
            inputs[4] = proofs[0].chunkClaims[c].evaluation; // checked by hand in Committing.t.sol
            proofs[0].chunkProofs[c] = verifier.proofFor(inputs);
        }
        prove(0, list, proofs);
        vm.assertEq(chain.getTotalBatchesVerified(), 1, "proved with those inputs");
    }

    /// The real verifier's own error reaches the caller unchanged (`IRollupChain` declares it).
    function test_RevertWhen_VerifierRejectsWithItsOwnError() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        vm.etch(address(verifier), type(StateDiffVerifier).runtimeCode);
        uint256[] memory proof = new uint256[](9);
        proof[0] = 2; // the generated verifier has keys for circuits 1, 3, 15 and r15
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
        vm.assertEq(chunkClaims[4].length, 1, "one chunk: the record");
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(3, 4);
        BatchProof[] memory none = new BatchProof[](1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 4));
        prove(3, list, none);
        none[0].chunkClaims = proofs[0].chunkClaims;
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
            verifier.proofFor(chunkInputs(batches[1].batchHash, midCommitment(2, 0), chunkClaims[2][0]));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 1, 0));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ChunksSwapped() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        (proofs[0].chunkClaims[0], proofs[0].chunkClaims[1]) = (proofs[0].chunkClaims[1], proofs[0].chunkClaims[0]);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 1));
        prove(0, list, proofs);
    }

    /// Changing any one word of any chunk's claim is refused, even with a proof that verifies
    /// for the changed claim: only the claims L1 computed at commit are proof inputs.
    function test_RevertWhen_ClaimTampered() public {
        for (uint256 c = 0; c < 2; ++c) {
            for (uint256 field = 0; field < 3; ++field) {
                (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
                ChunkClaim memory claim = proofs[0].chunkClaims[c];
                if (field == 0) claim.digest = bytes32(uint256(claim.digest) ^ 1);
                if (field == 1) claim.point ^= 1;
                if (field == 2) claim.evaluation ^= 1;
                bytes32 from = c == 0 ? batches[0].batchHash : midCommitment(1, 0);
                bytes32 to = c == 0 ? midCommitment(1, 0) : batches[1].batchHash;
                proofs[0].chunkProofs[c] = verifier.proofFor(chunkInputs(from, to, claim));
                vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 1));
                prove(0, list, proofs);
            }
        }
    }

    /// Dropping or adding a claim is refused too (the claims' count is hashed with them).
    function test_RevertWhen_ClaimDroppedOrAdded() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        ChunkClaim[] memory all = proofs[0].chunkClaims;
        ChunkClaim[] memory fewer = new ChunkClaim[](1);
        fewer[0] = all[0];
        proofs[0].chunkClaims = fewer;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 1));
        prove(0, list, proofs);
        ChunkClaim[] memory more = new ChunkClaim[](3);
        (more[0], more[1], more[2]) = (all[0], all[1], all[1]);
        proofs[0].chunkClaims = more;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 1));
        prove(0, list, proofs);
    }

    function test_RevertWhen_ChainBrokenBetweenChunks() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 1);
        // Chunk 0 now ends at another commitment than the one chunk 1 starts from.
        bytes32 other = bytes32(uint256(42));
        proofs[0].chunkCommitments[0] = other;
        proofs[0].chunkProofs[0] = verifier.proofFor(chunkInputs(batches[0].batchHash, other, chunkClaims[1][0]));
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
        ChunkClaim[] memory first = new ChunkClaim[](1);
        first[0] = proofs[0].chunkClaims[0];
        list[0].stateDiffHash = keccak256(abi.encode(first));
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
