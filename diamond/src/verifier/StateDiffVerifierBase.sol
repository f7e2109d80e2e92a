// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerifier} from "../interfaces/IVerifier.sol";
import {IVerifierErrors} from "../common/Errors.sol";

/// @title Groth16 verification of the rollupd state-diff circuit (BN254)
/// @notice `proof` is `[capacity, A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y]`; `publicInputs` is
/// `[old commitment, new commitment, digest, point, evaluation]`. A derived contract supplies the
/// verifying key of each capacity (`_key`): as constants (`StateDiffVerifier`, generated) or as
/// data given at deployment (`StateDiffKeysVerifier`).
/// @dev Refuses any public input `>= r` and any proof coordinate `>= q` (so inputs cannot alias),
/// and reverts if a precompile call fails instead of returning `false` (a failed pairing call
/// would otherwise look like a rejected proof, and gas estimation could pick a limit where it fails).
abstract contract StateDiffVerifierBase is IVerifier, IVerifierErrors {
    /// @dev BN254 scalar field modulus.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev BN254 base field modulus.
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @inheritdoc IVerifier
    function verify(uint256[] calldata publicInputs, uint256[] calldata proof) external view returns (bool) {
        if (proof.length != 9) revert BadProofLength(proof.length);
        if (publicInputs.length != 5) revert BadInputCount(publicInputs.length);
        for (uint256 i = 0; i < 5; ++i) {
            if (publicInputs[i] >= R) revert InputNotInField(i);
        }
        for (uint256 i = 1; i < 9; ++i) {
            if (proof[i] >= Q) revert ProofNotInField(i);
        }
        (uint256[14] memory k, uint256[12] memory ic) = _key(proof[0]);

        // vk_x = IC0 + sum(input_i * IC_{i+1})
        uint256 x = ic[0];
        uint256 y = ic[1];
        for (uint256 i = 0; i < 5; ++i) {
            (uint256 px, uint256 py) = _call2(0x07, abi.encode(ic[2 + 2 * i], ic[3 + 2 * i], publicInputs[i]));
            (x, y) = _call2(0x06, abi.encode(x, y, px, py));
        }

        // e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1
        uint256[24] memory p;
        p[0] = proof[1];
        p[1] = proof[2] == 0 ? 0 : Q - proof[2];
        (p[2], p[3], p[4], p[5]) = (proof[3], proof[4], proof[5], proof[6]);
        (p[6], p[7]) = (k[0], k[1]);
        (p[8], p[9], p[10], p[11]) = (k[2], k[3], k[4], k[5]);
        (p[12], p[13]) = (x, y);
        (p[14], p[15], p[16], p[17]) = (k[6], k[7], k[8], k[9]);
        (p[18], p[19]) = (proof[7], proof[8]);
        (p[20], p[21], p[22], p[23]) = (k[10], k[11], k[12], k[13]);
        (bool ok, bytes memory out) = address(0x08).staticcall(abi.encodePacked(p));
        if (!ok || out.length != 32) revert PrecompileFailed(0x08);
        return abi.decode(out, (uint256)) == 1;
    }

    /// @dev The verifying key of `capacity`: alpha (2 words), beta, gamma, delta (4 each, G2
    /// imaginary part first), then the six `gamma_abc` points (2 each). Reverts with
    /// `UnsupportedCapacity` for a capacity without a key.
    function _key(uint256 capacity) internal view virtual returns (uint256[14] memory k, uint256[12] memory ic);

    function _call2(uint256 precompile, bytes memory input) private view returns (uint256, uint256) {
        (bool ok, bytes memory out) = address(uint160(precompile)).staticcall(input);
        if (!ok || out.length != 64) revert PrecompileFailed(precompile);
        return abi.decode(out, (uint256, uint256));
    }
}
