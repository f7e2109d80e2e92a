// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../../utils/Test.sol";
import {ToyGroth16} from "../../utils/ToyGroth16.sol";
import {IVerifierErrors} from "../../../src/common/Errors.sol";
import {StateDiffKeysVerifier} from "../../../src/verifier/StateDiffKeysVerifier.sol";
import {StateDiffVerifier} from "../../../src/verifier/StateDiffVerifier.sol";

/// @notice `verifyBatch` (one pairing call for many proofs, weighted by Fiat-Shamir `rho_i`) on
/// two hand-made keys (`ToyGroth16`) whose proofs a real pairing verifies: it accepts exactly when
/// `verify` accepts every proof, reverts where `verify` reverts, and weighs the proofs so that
/// errors of two invalid proofs do not cancel.
contract BatchVerifyingTest is Test {
    uint256 internal constant R = ToyGroth16.R;
    uint256 internal constant Q = ToyGroth16.Q;
    /// @dev Two circuit ids (ascending), with the keys of seeds 1 and 2.
    uint256 internal constant ID_A = 4;
    uint256 internal constant ID_B = 3 + (1 << 16);
    uint256 internal constant SEED_A = 1;
    uint256 internal constant SEED_B = 2;

    /// @dev What `tamper` changes in a valid proof.
    enum Tamper {
        A,
        C,
        Input
    }

    StateDiffKeysVerifier internal v;

    function setUp() public {
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (ID_A, ID_B);
        uint256[] memory seeds = new uint256[](2);
        (seeds[0], seeds[1]) = (SEED_A, SEED_B);
        v = ToyGroth16.deploy(ids, seeds);
    }

    /// @dev `n` valid proofs with distinct inputs: of id A only, or, when `mixed`, of ids A and B
    /// in an order where neither id's proofs are all adjacent (A B B A B A ...); every third
    /// proof uses `B = -G2`.
    function batchOf(uint256 n, bool mixed) internal view returns (uint256[][] memory xs, uint256[][] memory ps) {
        xs = new uint256[][](n);
        ps = new uint256[][](n);
        for (uint256 i = 0; i < n; ++i) {
            xs[i] = ToyGroth16.inputs(i);
            bool b = mixed && (i % 3 == 1 || i % 5 == 2);
            ps[i] = ToyGroth16.proof(b ? ID_B : ID_A, b ? SEED_B : SEED_A, xs[i], i % 3 == 2);
        }
    }

    /// @dev Makes proof `i` invalid (it stays well-formed: points on the curve, words in range).
    function tamper(uint256[][] memory xs, uint256[][] memory ps, uint256 i, Tamper kind) internal view {
        if (kind == Tamper.A) {
            (ps[i][1], ps[i][2]) = ToyGroth16.g1Add(ps[i][1], ps[i][2], 1, 2); // A + G1
        } else if (kind == Tamper.C) {
            (ps[i][7], ps[i][8]) = (1, 2); // C = G1
        } else {
            xs[i][3] = addmod(xs[i][3], 1, R);
        }
    }

    function allVerify(uint256[][] memory xs, uint256[][] memory ps) internal view returns (bool) {
        for (uint256 i = 0; i < ps.length; ++i) {
            if (!v.verify(xs[i], ps[i])) return false;
        }
        return true;
    }

    // ---- valid batches ----

    function test_AcceptsOneProof() public view {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(1, false);
        vm.assertTrue(v.verify(xs[0], ps[0]), "verify accepts it");
        vm.assertTrue(v.verifyBatch(xs, ps), "so does verifyBatch");
    }

    function test_AcceptsTwoProofs() public view {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(2, false);
        vm.assertTrue(v.verifyBatch(xs, ps), "two proofs of one id");
    }

    function test_AcceptsSeveralProofsOfOneId() public view {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(7, false);
        vm.assertTrue(allVerify(xs, ps), "each verifies");
        vm.assertTrue(v.verifyBatch(xs, ps), "seven proofs of one id");
    }

    function test_AcceptsTwoIdsMixed() public view {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(7, true);
        vm.assertEq(ps[0][0], ID_A, "A first");
        vm.assertEq(ps[1][0], ID_B, "then B");
        vm.assertEq(ps[3][0], ID_A, "then A again");
        vm.assertTrue(allVerify(xs, ps), "each verifies");
        vm.assertTrue(v.verifyBatch(xs, ps), "seven proofs of two ids, interleaved");
        // A batch whose first proof (weight 1) is of id B and that holds one proof of id A.
        (uint256[][] memory two, uint256[][] memory twoProofs) = batchOf(2, true);
        (two[0], two[1]) = (two[1], two[0]);
        (twoProofs[0], twoProofs[1]) = (twoProofs[1], twoProofs[0]);
        vm.assertTrue(v.verifyBatch(two, twoProofs), "B then A");
    }

    function test_AcceptsTheSameProofTwice() public view {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(2, false);
        (xs[1], ps[1]) = (xs[0], ps[0]);
        vm.assertTrue(v.verifyBatch(xs, ps), "a repeated valid proof");
    }

    // ---- invalid proofs among valid ones ----

    /// One invalid proof, first, in the middle or last, with its A, its C or one of its inputs
    /// changed, among valid proofs of one or of two ids: the batch is rejected.
    function test_RejectsOneInvalidProofAnywhere() public view {
        uint256[3] memory positions = [uint256(0), 3, 6];
        for (uint256 m = 0; m < 2; ++m) {
            for (uint256 p = 0; p < 3; ++p) {
                for (uint256 kind = 0; kind < 3; ++kind) {
                    (uint256[][] memory xs, uint256[][] memory ps) = batchOf(7, m == 1);
                    tamper(xs, ps, positions[p], Tamper(kind));
                    vm.assertFalse(v.verify(xs[positions[p]], ps[positions[p]]), "the tampered proof is invalid");
                    vm.assertFalse(v.verifyBatch(xs, ps), "so is the batch");
                }
            }
        }
    }

    /// A proof of key A labelled with key B's id is checked against key B, and fails; so does a
    /// batch holding it.
    function test_RejectsProofUnderAnotherKeysId() public view {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(5, true);
        uint256[] memory mislabelled = ToyGroth16.proof(ID_B, SEED_A, xs[2], false);
        vm.assertTrue(v.verify(xs[2], ToyGroth16.proof(ID_A, SEED_A, xs[2], false)), "valid under its own id");
        vm.assertFalse(v.verify(xs[2], mislabelled), "not under the other");
        ps[2] = mislabelled;
        vm.assertFalse(v.verifyBatch(xs, ps), "nor in a batch");
    }

    /// Two invalid proofs whose errors cancel in an unweighted sum: `C_i = X` and `C_j = -X`
    /// (both proofs are valid with `C = 0`). Summed without weights, `e(X, delta) e(-X, delta) = 1`
    /// and the pairing accepts (checked here with the precompile); with the weights `rho_i` the
    /// errors become `e(X, delta)^(rho_i - rho_j)`, which is not 1.
    function test_RejectsErrorsThatCancelWithoutWeights() public view {
        (uint256 xx, uint256 xy) = ToyGroth16.g1Mul(12345);
        uint256[2][2] memory pairsAt = [[uint256(1), 3], [uint256(0), 2]]; // with and without proof 0 (weight 1)
        for (uint256 t = 0; t < 2; ++t) {
            (uint256[][] memory xs, uint256[][] memory ps) = batchOf(4, false);
            (uint256 i, uint256 j) = (pairsAt[t][0], pairsAt[t][1]);
            (ps[i][7], ps[i][8]) = (xx, xy);
            (ps[j][7], ps[j][8]) = ToyGroth16.g1Neg(xx, xy);
            vm.assertFalse(v.verify(xs[i], ps[i]), "proof i is invalid");
            vm.assertFalse(v.verify(xs[j], ps[j]), "proof j is invalid");
            vm.assertTrue(unweightedCheck(xs, ps), "an unweighted sum would accept them");
            vm.assertFalse(v.verifyBatch(xs, ps), "the weighted one does not");
        }
    }

    /// @dev The batch check with every weight 1, for proofs of id A: the pairs `(-A_i, B_i)`,
    /// `(n alpha, beta)`, `(sum vk_x_i, gamma)`, `(sum C_i, delta)`.
    function unweightedCheck(uint256[][] memory xs, uint256[][] memory ps) internal view returns (bool) {
        uint256 n = ps.length;
        bytes memory input;
        uint256 vSum = 0; // sum of the scalars of the vk_x_i (multiples of G1)
        (uint256 cx, uint256 cy) = (0, 0);
        for (uint256 i = 0; i < n; ++i) {
            input = bytes.concat(input, negatedPair(ps[i]));
            vSum = addmod(vSum, vkScalar(xs[i]), R);
            (cx, cy) = ToyGroth16.g1Add(cx, cy, ps[i][7], ps[i][8]);
        }
        uint256[] memory key = ToyGroth16.keyWords(SEED_A);
        (uint256 alx, uint256 aly) = ToyGroth16.g1Mul(n * SEED_A);
        (uint256 vx, uint256 vy) = ToyGroth16.g1Mul(vSum);
        input = bytes.concat(
            input,
            abi.encode(alx, aly, key[2], key[3], key[4], key[5]),
            abi.encode(vx, vy, key[6], key[7], key[8], key[9]),
            abi.encode(cx, cy, key[10], key[11], key[12], key[13])
        );
        (bool ok, bytes memory out) = address(0x08).staticcall(input);
        require(ok, "pairing");
        return abi.decode(out, (uint256)) == 1;
    }

    /// @dev `(-A, B)` of proof `p`, as pairing input.
    function negatedPair(uint256[] memory p) internal pure returns (bytes memory) {
        (uint256 ax, uint256 ay) = ToyGroth16.g1Neg(p[1], p[2]);
        return abi.encode(ax, ay, p[3], p[4], p[5], p[6]);
    }

    /// @dev `v` with `vk_x = v G1` under key A: `SEED_A + sum_j (SEED_A + j + 1) x_j`.
    function vkScalar(uint256[] memory x) internal pure returns (uint256 scalar) {
        scalar = SEED_A;
        for (uint256 j = 0; j < 5; ++j) {
            scalar = addmod(scalar, mulmod(SEED_A + j + 1, x[j], R), R);
        }
    }

    /// Whatever proofs are tampered with, in a batch of one or two ids, `verifyBatch` says what
    /// `verify` says of all of them together.
    function testFuzz_AgreesWithVerify(uint256 salt, uint8 count, uint8 badMask, bool mixed) public view {
        uint256 n = bound(count, 1, 6);
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(n, mixed);
        for (uint256 i = 0; i < n; ++i) {
            if ((badMask >> i) & 1 == 1) tamper(xs, ps, i, Tamper(uint256(keccak256(abi.encode(salt, i))) % 3));
        }
        vm.assertEq(v.verifyBatch(xs, ps), allVerify(xs, ps), "verifyBatch == all verify");
    }

    // ---- malformed batches: named reverts ----

    function test_RevertWhen_BatchEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadBatchLength.selector, 0, 0));
        v.verifyBatch(new uint256[][](0), new uint256[][](0));
    }

    function test_RevertWhen_ListLengthsDiffer() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(3, false);
        uint256[][] memory two = new uint256[][](2);
        (two[0], two[1]) = (xs[0], xs[1]);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadBatchLength.selector, 2, 3));
        v.verifyBatch(two, ps);
        (two[0], two[1]) = (ps[0], ps[1]);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadBatchLength.selector, 3, 2));
        v.verifyBatch(xs, two);
    }

    function test_RevertWhen_InputNotInField() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(3, false);
        xs[2][3] = R;
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.InputNotInField.selector, 3));
        v.verifyBatch(xs, ps);
    }

    function test_RevertWhen_CoordinateNotInField() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(3, false);
        ps[1][7] = Q;
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.ProofNotInField.selector, 7));
        v.verifyBatch(xs, ps);
    }

    function test_RevertWhen_UnknownId() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(3, true);
        ps[2][0] = 5;
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.UnsupportedCapacity.selector, 5));
        v.verifyBatch(xs, ps);
    }

    function test_RevertWhen_ProofOrInputsWrongLength() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(3, false);
        ps[1] = new uint256[](8);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadProofLength.selector, 8));
        v.verifyBatch(xs, ps);
        (xs, ps) = batchOf(3, false);
        xs[2] = new uint256[](4);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadInputCount.selector, 4));
        v.verifyBatch(xs, ps);
    }

    /// A point off the curve makes a precompile fail, which reverts rather than rejects: ecMul
    /// for the A of a proof with a weight, the pairing for proof 0's A (weight 1, no ecMul),
    /// ecAdd for proof 0's C.
    function test_RevertWhen_PointNotOnTheCurve() public {
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(3, false);
        (ps[1][1], ps[1][2]) = (1, 3);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.PrecompileFailed.selector, 0x07));
        v.verifyBatch(xs, ps);
        (xs, ps) = batchOf(3, false);
        (ps[0][1], ps[0][2]) = (1, 3);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.PrecompileFailed.selector, 0x08));
        v.verifyBatch(xs, ps);
        (xs, ps) = batchOf(3, false);
        (ps[0][7], ps[0][8]) = (1, 3);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.PrecompileFailed.selector, 0x06));
        v.verifyBatch(xs, ps);
    }

    /// The generated verifier has the same `verifyBatch` (from `StateDiffVerifierBase`).
    function test_GeneratedVerifierSharesTheBatchChecks() public {
        StateDiffVerifier generated = new StateDiffVerifier();
        (uint256[][] memory xs, uint256[][] memory ps) = batchOf(2, false);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.UnsupportedCapacity.selector, ID_A));
        generated.verifyBatch(xs, ps);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadBatchLength.selector, 0, 0));
        generated.verifyBatch(new uint256[][](0), new uint256[][](0));
    }
}
