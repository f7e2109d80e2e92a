// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {Fixture} from "../utils/Fixture.sol";
import {ToyGroth16} from "../utils/ToyGroth16.sol";
import {StateDiffKeysVerifier} from "../../src/verifier/StateDiffKeysVerifier.sol";
import {BatchProof, StoredBatchInfo} from "../../src/common/Types.sol";

/// @notice Execution gas of the Groth16 verifier's calls (no intrinsic or calldata gas), recorded
/// in `snapshots/VerifierGasTest.json`: `verify` of one proof, and `verifyBatch` of 1, 2, 4 and 8
/// proofs of one circuit id and of 8 proofs of two ids, on the hand-made keys of `ToyGroth16`
/// (real pairings; the key words are read from the key store as in production). The cost of one
/// more proof of an id already in the batch must stay under 80k (a `verify` costs about 230k).
contract VerifierGasTest is Test {
    uint256 internal constant ID_A = 4;
    uint256 internal constant ID_B = 15;
    uint256 internal constant MAX_PER_EXTRA_PROOF = 80_000;

    StateDiffKeysVerifier internal v;

    function setUp() public {
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (ID_A, ID_B);
        uint256[] memory seeds = new uint256[](2);
        (seeds[0], seeds[1]) = (1, 2);
        v = ToyGroth16.deploy(ids, seeds);
    }

    /// @dev `n` valid proofs, of id A only, or of ids A and B in turn.
    function batchOf(uint256 n, bool twoIds) internal view returns (uint256[][] memory xs, uint256[][] memory ps) {
        xs = new uint256[][](n);
        ps = new uint256[][](n);
        for (uint256 i = 0; i < n; ++i) {
            xs[i] = ToyGroth16.inputs(i);
            bool b = twoIds && i % 2 == 1;
            ps[i] = ToyGroth16.proof(b ? ID_B : ID_A, b ? 2 : 1, xs[i], false);
        }
    }

    function batchGas(uint256 n, bool twoIds, string memory name) internal returns (uint256 gasUsed) {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(n, twoIds);
        bool ok = v.verifyBatch(xs, ps);
        gasUsed = vm.snapshotGasLastCall(name);
        vm.assertTrue(ok, "valid batch");
    }

    // Each test is its own transaction: the verifier and its key store are cold, as on L1.

    function test_Gas_Verify() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(1, false);
        bool ok = v.verify(xs[0], ps[0]);
        vm.snapshotGasLastCall("verify");
        vm.assertTrue(ok, "valid proof");
    }

    function test_Gas_VerifyBatch_1() public {
        batchGas(1, false, "verifyBatch_1");
    }

    function test_Gas_VerifyBatch_2() public {
        batchGas(2, false, "verifyBatch_2");
    }

    function test_Gas_VerifyBatch_4() public {
        batchGas(4, false, "verifyBatch_4");
    }

    function test_Gas_VerifyBatch_8() public {
        batchGas(8, false, "verifyBatch_8");
    }

    function test_Gas_VerifyBatch_8_TwoIds() public {
        batchGas(8, true, "verifyBatch_8_twoIds");
    }

    /// One more proof of an id already in the batch, after a first call has warmed the verifier
    /// and its key store (so that only the proofs differ between the calls compared).
    function test_Gas_PerExtraProof() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(1, false);
        v.verifyBatch(xs, ps);
        uint256 one = batchGas(1, false, "verifyBatch_1_warm");
        uint256 two = batchGas(2, false, "verifyBatch_2_warm");
        uint256 four = batchGas(4, false, "verifyBatch_4_warm");
        uint256 eight = batchGas(8, false, "verifyBatch_8_warm");
        uint256 perExtra = (eight - one) / 7;
        vm.snapshotValue("verifyBatch_perExtraProof", perExtra);
        vm.assertLe(two - one, MAX_PER_EXTRA_PROOF, "the second proof");
        vm.assertLe((four - two) / 2, MAX_PER_EXTRA_PROOF, "the third and fourth");
        vm.assertLe(perExtra, MAX_PER_EXTRA_PROOF, "on average from 1 to 8");
    }
}

/// @notice Execution gas of `proveBatches` with the Groth16 verifier (the keys of `ToyGroth16`, one
/// circuit id) in place of the test verifier, recorded in `snapshots/ProveGroth16GasTest.json`:
/// one batch of one chunk, one of four, and three of four in one call. What one more chunk costs
/// at the Executor, its collection and ABI encoding included.
contract ProveGroth16GasTest is Fixture {
    function run(uint256 batchCount, uint256 chunksPerBatch, string memory name) internal {
        diffRecords = CHUNK_RECORDS * chunksPerBatch - 1; // and the batch-info record
        commitMany(batchCount);
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(0, batchCount);
        uint256[][] memory xs = allChunkInputs(batches[0], list, proofs);
        uint256[] memory ids = new uint256[](1);
        ids[0] = 4;
        uint256[] memory seeds = new uint256[](1);
        seeds[0] = 1;
        vm.etch(address(verifier), address(ToyGroth16.deploy(ids, seeds)).code);
        uint256 at = 0;
        for (uint256 i = 0; i < batchCount; ++i) {
            vm.assertEq(proofs[i].chunkProofs.length, chunksPerBatch, "chunks per batch");
            for (uint256 c = 0; c < chunksPerBatch; ++c) {
                proofs[i].chunkProofs[c] = ToyGroth16.proof(4, 1, xs[at++], false);
            }
        }
        vm.prank(validator);
        chain.proveBatches(batches[0], list, proofs);
        vm.snapshotGasLastCall(name);
        vm.assertEq(chain.getTotalBatchesVerified(), batchCount, "proven");
    }

    function test_Gas_OneBatchOfOneChunk() public {
        run(1, 1, "proveBatches_1x1");
    }

    function test_Gas_OneBatchOfFourChunks() public {
        run(1, 4, "proveBatches_1x4");
    }

    function test_Gas_ThreeBatchesOfFourChunks() public {
        run(3, 4, "proveBatches_3x4");
    }
}
