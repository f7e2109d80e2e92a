// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../../utils/Test.sol";
import {IVerifierErrors} from "../../../src/common/Errors.sol";
import {StateDiffKeysVerifier} from "../../../src/verifier/StateDiffKeysVerifier.sol";
import {StateDiffVerifier} from "../../../src/verifier/StateDiffVerifier.sol";
import {ToyGroth16} from "../../utils/ToyGroth16.sol";

/// @notice The Groth16 verifier with five public inputs and six `gamma_abc` points, on a key whose
/// proof can be written down without a prover: `gamma_abc_i = (i + 1) G1`, `A = alpha`,
/// `B = beta`, `C = 0`. The pairing check `e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) = 1`
/// then holds exactly when `vk_x = (1 + sum_i (i + 2) x_i) G1` is the identity, so it tests that
/// every one of the five inputs meets its own point. (The keys of the real circuit, and the
/// degenerate keys the constructor refuses, are tested in Rust: prover-actor/tests/it/verifier.rs.)
contract KeysVerifierTest is Test {
    uint256 internal constant R = ToyGroth16.R;
    uint256 internal constant Q = ToyGroth16.Q;
    uint256 internal constant G2_X_IM = ToyGroth16.G2_X_IM;
    uint256 internal constant G2_X_RE = ToyGroth16.G2_X_RE;
    uint256 internal constant G2_Y_IM = ToyGroth16.G2_Y_IM;
    uint256 internal constant G2_Y_RE = ToyGroth16.G2_Y_RE;
    uint256 internal constant CAPACITY = 4;

    /// @dev The 26 words of the test key: `ToyGroth16`'s seed 1 (`alpha = G1`, `beta = gamma =
    /// G2` as snarkjs leaves gamma, a real key's delta, `gamma_abc_i = (i + 1) G1`).
    function keyWords() internal view returns (uint256[] memory) {
        return ToyGroth16.keyWords(1);
    }

    function deploy(uint256[] memory words) internal returns (StateDiffKeysVerifier) {
        uint256[] memory capacities = new uint256[](1);
        capacities[0] = CAPACITY;
        return new StateDiffKeysVerifier(capacities, words);
    }

    /// @dev Five inputs with `1 + 2 x_0 + 3 x_1 + 4 x_2 + 5 x_3 + 6 x_4 = 0 mod R`.
    function inputs() internal pure returns (uint256[] memory x) {
        x = new uint256[](5);
        (x[0], x[1], x[2], x[3]) = (1, 2, 3, 4); // 1 + 2 + 6 + 12 + 20 = 41
        uint256 inv6 = R - (R - 1) / 6; // R = 1 mod 6
        x[4] = mulmod(R - 41, inv6, R);
    }

    /// @dev `[capacity, A = alpha, B = beta, C = 0]`.
    function proof() internal pure returns (uint256[] memory p) {
        p = new uint256[](9);
        (p[0], p[1], p[2]) = (CAPACITY, 1, 2);
        (p[3], p[4], p[5], p[6]) = (G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE);
    }

    function test_VerifiesFiveInputsEachAgainstItsOwnPoint() public {
        StateDiffKeysVerifier v = deploy(keyWords());
        uint256[] memory x = inputs();
        vm.assertEq(mulmod(6, R - (R - 1) / 6, R), 1, "the inverse of 6");
        vm.assertTrue(v.verify(x, proof()), "the proof of these five inputs verifies");
        for (uint256 i = 0; i < 5; ++i) {
            uint256[] memory bad = inputs();
            bad[i] = addmod(bad[i], 1, R);
            vm.assertFalse(v.verify(bad, proof()), "another input i does not");
        }
        // Swapping two inputs moves them to other points.
        (x[0], x[4]) = (x[4], x[0]);
        vm.assertFalse(v.verify(x, proof()), "inputs are not interchangeable");
    }

    function test_RevertWhen_NotFiveInputs() public {
        StateDiffKeysVerifier v = deploy(keyWords());
        uint256[] memory four = new uint256[](4);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadInputCount.selector, 4));
        v.verify(four, proof());
        uint256[] memory six = new uint256[](6);
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadInputCount.selector, 6));
        v.verify(six, proof());
        // The generated verifier shares the check.
        StateDiffVerifier generated = new StateDiffVerifier();
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.BadInputCount.selector, 4));
        generated.verify(four, proof());
    }

    function test_RevertWhen_FifthInputNotInField() public {
        StateDiffKeysVerifier v = deploy(keyWords());
        uint256[] memory x = inputs();
        x[4] = R;
        vm.expectRevert(abi.encodeWithSelector(IVerifierErrors.InputNotInField.selector, 4));
        v.verify(x, proof());
    }

    function test_RevertWhen_NotTwentySixKeyWords() public {
        uint256[] memory words = keyWords();
        uint256[] memory short = new uint256[](25);
        uint256[] memory long = new uint256[](27);
        for (uint256 i = 0; i < 25; ++i) {
            (short[i], long[i]) = (words[i], words[i]);
        }
        (long[25], long[26]) = (words[25], 0);
        bytes memory err =
            abi.encodeWithSelector(StateDiffKeysVerifier.BadKeys.selector, "not 26 key words per capacity");
        vm.expectRevert(err);
        deploy(short);
        vm.expectRevert(err);
        deploy(long);
    }

    /// The sixth `gamma_abc` point (words 24-25) is checked on the curve like the others.
    function test_RevertWhen_SixthInputPointOffTheCurve() public {
        bytes memory err =
            abi.encodeWithSelector(StateDiffKeysVerifier.BadKeys.selector, "a G1 point is not on the curve");
        for (uint256 at = 24; at < 26; ++at) {
            uint256[] memory words = keyWords();
            words[at] ^= 1;
            vm.expectRevert(err);
            deploy(words);
        }
    }

    function test_KeyHashCoversTheTwentySixWords() public {
        StateDiffKeysVerifier v = deploy(keyWords());
        vm.assertEq(
            v.verificationKeyHash(), keccak256(abi.encodePacked(CAPACITY, keyWords())), "keccak(capacity, 26 words)"
        );
        vm.assertEq(v.KEY_STORE().code.length, 1 + 32 * 27, "STOP, then the capacity and its 26 words");
    }
}
