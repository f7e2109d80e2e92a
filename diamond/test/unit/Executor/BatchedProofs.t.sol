// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {ToyGroth16} from "../../utils/ToyGroth16.sol";
import {IVerifier} from "../../../src/interfaces/IVerifier.sol";
import {IRollupErrors, IVerifierErrors} from "../../../src/common/Errors.sol";
import {BatchProof, StoredBatchInfo} from "../../../src/common/Types.sol";

/// @notice A verifier whose batch check rejects what its single checks accept (the test
/// verifier's rule for `verify`).
contract BatchRejectingVerifier {
    function verify(uint256[] calldata publicInputs, uint256[] calldata proof) external pure returns (bool) {
        return proof.length == 1 && proof[0] == uint256(keccak256(abi.encode(publicInputs)));
    }

    function verifyBatch(uint256[][] calldata, uint256[][] calldata) external pure returns (bool) {
        return false;
    }
}

/// @notice A verifier from before `verifyBatch` (the test verifier's rule for `verify`).
contract SingleProofVerifier {
    function verify(uint256[] calldata publicInputs, uint256[] calldata proof) external pure returns (bool) {
        return proof.length == 1 && proof[0] == uint256(keccak256(abi.encode(publicInputs)));
    }
}

/// @notice `proveBatches` checks every chunk proof of every batch of the call with one
/// `verifyBatch` call; only when that rejects does it check the chunks one by one, to name the
/// first invalid one.
contract BatchedProofsTest is ExecutorShared {
    uint256 internal constant TOY_ID_A = 4;
    uint256 internal constant TOY_ID_B = 3 + (1 << 16);

    function setUp() public override {
        super.setUp();
        diffRecords = 5; // and the batch-info record: three chunks of two records per batch
        commitMany(3);
    }

    function prove(StoredBatchInfo[] memory list, BatchProof[] memory proofs) internal {
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);
    }

    /// @dev The inputs and proofs of every chunk of `proofs` (batches 1 to `list.length`), in order.
    function flatten(StoredBatchInfo[] memory list, BatchProof[] memory proofs)
        internal
        view
        returns (uint256[][] memory xs, uint256[][] memory ps)
    {
        xs = allChunkInputs(batches[0], list, proofs);
        ps = new uint256[][](xs.length);
        uint256 at = 0;
        for (uint256 i = 0; i < proofs.length; ++i) {
            for (uint256 c = 0; c < proofs[i].chunkProofs.length; ++c) {
                ps[at++] = proofs[i].chunkProofs[c];
            }
        }
    }

    function test_OneVerifyBatchCallForAllChunks() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 3);
        (uint256[][] memory xs, uint256[][] memory ps) = flatten(list, proofs);
        vm.assertEq(xs.length, 9, "three batches of three chunks");
        vm.expectCall(address(verifier), abi.encodeCall(IVerifier.verifyBatch, (xs, ps)), 1);
        vm.expectCall(address(verifier), abi.encodeWithSelector(IVerifier.verify.selector), 0);
        prove(list, proofs);
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "verified");
    }

    /// An invalid chunk proof of the first, the middle or the last batch, first, middle or last
    /// in its batch, is named by batch and chunk.
    function test_RevertWhen_OneChunkProofInvalid() public {
        for (uint256 b = 1; b <= 3; ++b) {
            for (uint256 c = 0; c < 3; ++c) {
                (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 3);
                proofs[b - 1].chunkProofs[c][0] ^= 1;
                vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, b, c));
                prove(list, proofs);
            }
        }
    }

    function test_RevertWhen_TwoChunkProofsInvalid_TheFirstIsNamed() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 3);
        proofs[2].chunkProofs[0][0] ^= 1;
        proofs[1].chunkProofs[2][0] ^= 1;
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 2, 2));
        prove(list, proofs);
    }

    /// Claims and commitment chains are checked for every batch before any proof.
    function test_RevertWhen_LaterBatchClaimsWrong_BeforeProofs() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 3);
        proofs[0].chunkProofs[1][0] ^= 1;
        (proofs[2].chunkClaims[0], proofs[2].chunkClaims[1]) = (proofs[2].chunkClaims[1], proofs[2].chunkClaims[0]);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkClaimsMismatch.selector, 3));
        prove(list, proofs);
    }

    /// A verifier whose batch check rejects while every single check accepts is not trusted:
    /// the call reverts, naming its first chunk.
    function test_RevertWhen_VerifierDisagreesWithItself() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 3);
        vm.etch(address(verifier), type(BatchRejectingVerifier).runtimeCode);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 1, 0));
        prove(list, proofs);
    }

    /// A verifier without `verifyBatch` cannot prove anything: upgrade the verifier with the facet.
    function test_RevertWhen_VerifierHasNoVerifyBatch() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, 3);
        vm.etch(address(verifier), type(SingleProofVerifier).runtimeCode);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 1, 0));
        prove(list, proofs);
    }

    // ---- the Groth16 verifier, with the hand-made keys of `ToyGroth16` ----

    /// @dev Puts a `StateDiffKeysVerifier` with keys of seeds 1 and 2 (ids A and B) where the
    /// test verifier was, and returns proofs of batches 1 to 3 that it accepts: ids A and B in
    /// turn, every other proof with `B = -G2`.
    function toyProofs() internal returns (StoredBatchInfo[] memory list, BatchProof[] memory proofs) {
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (TOY_ID_A, TOY_ID_B);
        uint256[] memory seeds = new uint256[](2);
        (seeds[0], seeds[1]) = (1, 2);
        (list, proofs) = proofsFor(0, 3); // the claims and commitments; the proofs are replaced
        vm.etch(address(verifier), address(ToyGroth16.deploy(ids, seeds)).code);
        (uint256[][] memory xs,) = flatten(list, proofs);
        uint256 at = 0;
        for (uint256 i = 0; i < 3; ++i) {
            for (uint256 c = 0; c < 3; ++c) {
                bool b = at % 2 == 1;
                proofs[i].chunkProofs[c] = ToyGroth16.proof(b ? TOY_ID_B : TOY_ID_A, b ? 2 : 1, xs[at], at % 4 < 2);
                ++at;
            }
        }
    }

    function test_ProveWithTheGroth16Verifier() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = toyProofs();
        vm.expectCall(address(verifier), abi.encodeWithSelector(IVerifier.verify.selector), 0);
        prove(list, proofs);
        vm.assertEq(chain.getTotalBatchesVerified(), 3, "nine chunk proofs of two ids in one pairing check");
    }

    function test_RevertWhen_Groth16ChunkProofInvalid() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = toyProofs();
        (proofs[1].chunkProofs[1][7], proofs[1].chunkProofs[1][8]) = (1, 2); // C = G1
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidChunkProof.selector, 2, 1));
        prove(list, proofs);
    }

    /// A malformed proof after valid ones reverts with the verifier's own error, as before.
    function test_RevertWhen_Groth16ChunkProofMalformed() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = toyProofs();
        proofs[1].chunkProofs[1][0] = 5;
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.UnsupportedCapacity.selector, 5));
        prove(list, proofs);
    }

    /// A point off the curve makes the batch check's precompile fail and burn the gas it was
    /// given: its `PrecompileFailed` is passed on at once. Searching the chunks one by one with
    /// what gas is left would fail for lack of gas at the first, valid, chunk (a pairing given
    /// too little gas fails too: `PrecompileFailed(8)`).
    function test_RevertWhen_Groth16PointOffTheCurve() public {
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = toyProofs();
        (proofs[1].chunkProofs[1][1], proofs[1].chunkProofs[1][2]) = (1, 3); // A off the curve
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.PrecompileFailed.selector, 0x07));
        vm.prank(validator);
        chain.proveBatches{gas: 5_000_000}(batches[0], list, proofs);
    }
}
