// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StateDiffKeysVerifier} from "../../src/verifier/StateDiffKeysVerifier.sol";

/// @title Hand-made Groth16 keys whose proofs can be written down without a prover
/// @notice The construction of `test/unit/Verifier/KeysVerifier.t.sol`, generalized to a key per
/// seed `s >= 1`: `alpha = s G1`, `beta = gamma = G2`, a real key's `delta`, and
/// `gamma_abc_j = (s + j) G1`. For any five inputs `x`, `vk_x = v G1` with
/// `v = s + sum_j (s + j + 1) x_j`, so `e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) = 1`
/// holds for `A = (s + v) G1, B = G2, C = 0`, and for `A = -(s + v) G1, B = -G2, C = 0`. It fails
/// for any other `A` or inputs with the same `B`, and for any `C != 0`: delta's discrete log is
/// unknown. Seed 1 is the key of `KeysVerifier.t.sol`.
library ToyGroth16 {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @dev The generator of G2, imaginary parts first (EIP-197).
    uint256 internal constant G2_X_IM = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_X_RE = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @dev The 26 words of the key of seed `s`.
    function keyWords(uint256 s) internal view returns (uint256[] memory w) {
        w = new uint256[](26);
        (w[0], w[1]) = g1Mul(s); // alpha = s G1
        (w[2], w[3], w[4], w[5]) = (G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE); // beta = G2
        (w[6], w[7], w[8], w[9]) = (G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE); // gamma = G2
        // delta: a real key's (capacity 1 of the generated verifier), neither +-gamma nor +-G2.
        w[10] = 0x0e7a1a1c853a0b3d883d14d96c75bcf2929e5e33b33a8a461ed77a66112f2300;
        w[11] = 0x299c91d25b23a2b88f71bc5083f50825383c79d394b1c897d207834cc1b37f17;
        w[12] = 0x0840553629645f8d65b62c7caa64f5d1d998bfa90b067265d48aabae0534a3a3;
        w[13] = 0x0dc5e730d41b77fd6a2c151ffb196b1462527d506c40e5c97ffaf61e59a5c145;
        for (uint256 j = 0; j < 6; ++j) {
            (w[14 + 2 * j], w[15 + 2 * j]) = g1Mul(s + j); // gamma_abc_j = (s + j) G1
        }
    }

    /// @dev A verifier holding the key of `seeds[i]` for circuit id `ids[i]` (ids ascending).
    function deploy(uint256[] memory ids, uint256[] memory seeds) internal returns (StateDiffKeysVerifier) {
        uint256[] memory words = new uint256[](26 * ids.length);
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256[] memory key = keyWords(seeds[i]);
            for (uint256 j = 0; j < 26; ++j) {
                words[26 * i + j] = key[j];
            }
        }
        return new StateDiffKeysVerifier(ids, words);
    }

    /// @dev Five arbitrary field elements, distinct per `tag`.
    function inputs(uint256 tag) internal pure returns (uint256[] memory x) {
        x = new uint256[](5);
        for (uint256 j = 0; j < 5; ++j) {
            x[j] = uint256(keccak256(abi.encode("toy input", tag, j))) % R;
        }
    }

    /// @dev The valid proof of `x` under the key of seed `s`, labelled with circuit id `id`:
    /// `[id, A, B, C = 0]`, with `B = G2`, or `B = -G2` (and `A` negated) when `negB`.
    function proof(uint256 id, uint256 s, uint256[] memory x, bool negB) internal view returns (uint256[] memory p) {
        uint256 a = s; // s + v, v = s + sum_j (s + j + 1) x_j
        a = addmod(a, s, R);
        for (uint256 j = 0; j < 5; ++j) {
            a = addmod(a, mulmod(s + j + 1, x[j], R), R);
        }
        p = new uint256[](9);
        p[0] = id;
        (p[1], p[2]) = g1Mul(negB ? R - a : a);
        (p[3], p[4]) = (G2_X_IM, G2_X_RE);
        (p[5], p[6]) = negB ? (Q - G2_Y_IM, Q - G2_Y_RE) : (G2_Y_IM, G2_Y_RE);
    }

    /// @dev `k G1`.
    function g1Mul(uint256 k) internal view returns (uint256 x, uint256 y) {
        (bool ok, bytes memory out) = address(0x07).staticcall(abi.encode(uint256(1), uint256(2), k));
        require(ok, "ecMul");
        (x, y) = abi.decode(out, (uint256, uint256));
    }

    /// @dev `(x1, y1) + (x2, y2)` on G1.
    function g1Add(uint256 x1, uint256 y1, uint256 x2, uint256 y2) internal view returns (uint256 x, uint256 y) {
        (bool ok, bytes memory out) = address(0x06).staticcall(abi.encode(x1, y1, x2, y2));
        require(ok, "ecAdd");
        (x, y) = abi.decode(out, (uint256, uint256));
    }

    /// @dev `-(x, y)` on G1.
    function g1Neg(uint256 x, uint256 y) internal pure returns (uint256, uint256) {
        return (x, y == 0 ? 0 : Q - y);
    }
}
