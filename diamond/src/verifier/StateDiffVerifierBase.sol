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
/// `verifyBatch` checks many proofs with one pairing call (a random linear combination).
abstract contract StateDiffVerifierBase is IVerifier, IVerifierErrors {
    /// @dev BN254 scalar field modulus.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev BN254 base field modulus.
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @dev What `verifyBatch` sums over the proofs of one circuit id `g`, with the proofs'
    /// weights `rho_i`: `sum = S_g = sum rho_i`, `folded[j] = sum rho_i * input_{i,j}` (both mod `r`),
    /// `(cx, cy) = sum rho_i * C_i`; and the id's key.
    struct Group {
        uint256[14] k;
        uint256[12] ic;
        uint256 sum;
        uint256[5] folded;
        uint256 cx;
        uint256 cy;
    }

    /// @inheritdoc IVerifier
    function verify(uint256[] calldata publicInputs, uint256[] calldata proof) external view returns (bool) {
        _checkWords(publicInputs, proof);
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

    /// @inheritdoc IVerifier
    /// @dev Standard Groth16 batch verification. Proof `i` is valid when
    /// `E_i = e(-A_i, B_i) e(alpha, beta) e(vk_x_i, gamma) e(C_i, delta)` is 1 (what `verify`
    /// checks). With weights `rho_0 = 1` and `rho_i = keccak256(seed ‖ i) mod r` for `i >= 1`,
    /// `seed = keccak256(abi.encode(publicInputs, proofs))`, one pairing call checks
    /// `prod_i E_i^rho_i = 1`, grouping by circuit id `g` the terms that share a key:
    /// `prod_i e(-rho_i A_i, B_i) * prod_g e(S_g alpha, beta) e(vk_x_g, gamma) e(Cacc_g, delta)`,
    /// `S_g = sum rho_i`, `vk_x_g = S_g IC_0 + sum_j (sum rho_i input_{i,j}) IC_{j+1}`,
    /// `Cacc_g = sum rho_i C_i` (sums over the proofs of `g`). That is `n + 3 * groups` pairs.
    ///
    /// Soundness: every A_i and C_i has passed an ecMul, ecAdd or pairing precompile, so it is on
    /// G1, which has cofactor 1 (order `r`); the pairing precompile checks that every B_i is in
    /// the order-`r` subgroup of G2. So bilinearity makes the product exactly `prod_i E_i^rho_i`,
    /// and the inputs (below `r`, checked) fold mod `r` without changing any E_i. Write
    /// `E_i = e(G1, G2)^e_i` with `e_i` in Z_r: the check holds iff `sum_i rho_i e_i = 0 mod r`.
    /// If only proof 0 is invalid the sum is `e_0 != 0` and the check fails. If some proof
    /// `k >= 1` is invalid (`e_k != 0`), then for any values of the other weights exactly one
    /// `rho_k` in Z_r passes (Schwartz-Zippel on a degree-1 polynomial), and `rho_k` is a hash of
    /// everything, derived after the proofs and inputs are fixed: probability `1/r < 2^-253` per
    /// batch tried (keccak modelled as a random oracle). A weight of 0 (probability `1/r`) is
    /// used as is; it is that one root when `e_k != 0`, and harmless otherwise. The weights are
    /// what stops errors from cancelling: with all weights 1, `C_1 + X` and `C_2 - X` would pass.
    ///
    /// Per proof, the checks and errors of `verify` (an index is within that proof); every range
    /// and length check comes before the first key lookup (`UnsupportedCapacity`).
    /// Gas (test/gas/Verifier.gas.t.sol): one proof costs what `verify` does; each further proof
    /// of an id already in the batch about 55k (one pairing pair, two ecMul, one ecAdd), the
    /// first one 12k more (`S_g != 1` then costs two ecMul); each further id about 170k.
    function verifyBatch(uint256[][] calldata publicInputs, uint256[][] calldata proofs) external view returns (bool) {
        uint256 n = proofs.length;
        if (n == 0 || publicInputs.length != n) revert BadBatchLength(publicInputs.length, n);

        // Each proof's own checks, and its group: the index of its circuit id in `ids` (a batch
        // holds few ids; a linear search is cheaper than anything else here).
        uint256[] memory ids = new uint256[](n);
        uint256[] memory groupOf = new uint256[](n);
        uint256 groupCount = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256[] calldata proof = proofs[i];
            _checkWords(publicInputs[i], proof);
            uint256 id = proof[0];
            uint256 g = 0;
            while (g < groupCount && ids[g] != id) {
                ++g;
            }
            if (g == groupCount) {
                ids[g] = id;
                ++groupCount;
            }
            groupOf[i] = g;
        }
        Group[] memory groups = new Group[](groupCount);
        for (uint256 g = 0; g < groupCount; ++g) {
            (groups[g].k, groups[g].ic) = _key(ids[g]);
        }

        // Pairs 0..n-1: (-rho_i A_i, B_i), the groups' sums on the way; then three per group.
        bytes32 seed = keccak256(abi.encode(publicInputs, proofs));
        uint256[] memory pairs = new uint256[](6 * (n + 3 * groupCount));
        for (uint256 i = 0; i < n; ++i) {
            uint256 rho = i == 0 ? 1 : uint256(keccak256(abi.encodePacked(seed, i))) % R;
            _addProof(groups[groupOf[i]], publicInputs[i], proofs[i], rho, pairs, 6 * i);
        }
        for (uint256 g = 0; g < groupCount; ++g) {
            _addGroup(groups[g], pairs, 6 * (n + 3 * g));
        }
        return _pairing(pairs);
    }

    /// @dev Adds proof `(inputs, proof)` with weight `rho` to its group's sums, and writes its
    /// pair `(-rho A, B)` at word `at` of `pairs`.
    function _addProof(
        Group memory grp,
        uint256[] calldata inputs,
        uint256[] calldata proof,
        uint256 rho,
        uint256[] memory pairs,
        uint256 at
    ) private view {
        grp.sum = addmod(grp.sum, rho, R);
        for (uint256 j = 0; j < 5; ++j) {
            grp.folded[j] = addmod(grp.folded[j], mulmod(rho, inputs[j], R), R);
        }
        if (rho == 1) {
            (pairs[at], pairs[at + 1]) = (proof[1], proof[2] == 0 ? 0 : Q - proof[2]);
            (grp.cx, grp.cy) = _ecAdd(grp.cx, grp.cy, proof[7], proof[8]);
        } else {
            // -rho A = (r - rho) A: one ecMul, no negation.
            (pairs[at], pairs[at + 1]) = _ecMul(proof[1], proof[2], R - rho);
            (uint256 cx, uint256 cy) = _ecMul(proof[7], proof[8], rho);
            (grp.cx, grp.cy) = _ecAdd(grp.cx, grp.cy, cx, cy);
        }
        (pairs[at + 2], pairs[at + 3], pairs[at + 4], pairs[at + 5]) = (proof[3], proof[4], proof[5], proof[6]);
    }

    /// @dev Writes a group's three pairs at word `at` of `pairs`: `(S alpha, beta)`,
    /// `(vk_x, gamma)` with `vk_x = S IC_0 + sum_j folded_j IC_{j+1}`, and `(Cacc, delta)`.
    function _addGroup(Group memory grp, uint256[] memory pairs, uint256 at) private view {
        uint256[14] memory k = grp.k;
        uint256[12] memory ic = grp.ic;
        uint256 sum = grp.sum;
        // S = 1 (the group of proof 0, when it holds no other proof) needs no ecMul.
        (uint256 x, uint256 y) = sum == 1 ? (ic[0], ic[1]) : _ecMul(ic[0], ic[1], sum);
        for (uint256 j = 0; j < 5; ++j) {
            (uint256 px, uint256 py) = _ecMul(ic[2 + 2 * j], ic[3 + 2 * j], grp.folded[j]);
            (x, y) = _ecAdd(x, y, px, py);
        }
        (pairs[at], pairs[at + 1]) = sum == 1 ? (k[0], k[1]) : _ecMul(k[0], k[1], sum);
        (pairs[at + 2], pairs[at + 3], pairs[at + 4], pairs[at + 5]) = (k[2], k[3], k[4], k[5]);
        (pairs[at + 6], pairs[at + 7]) = (x, y);
        (pairs[at + 8], pairs[at + 9], pairs[at + 10], pairs[at + 11]) = (k[6], k[7], k[8], k[9]);
        (pairs[at + 12], pairs[at + 13]) = (grp.cx, grp.cy);
        (pairs[at + 14], pairs[at + 15], pairs[at + 16], pairs[at + 17]) = (k[10], k[11], k[12], k[13]);
    }

    /// @dev The checks of one proof's words before any key lookup: nine proof words, five
    /// inputs, each input below `r`, each coordinate below `q`.
    function _checkWords(uint256[] calldata publicInputs, uint256[] calldata proof) private pure {
        if (proof.length != 9) revert BadProofLength(proof.length);
        if (publicInputs.length != 5) revert BadInputCount(publicInputs.length);
        for (uint256 i = 0; i < 5; ++i) {
            if (publicInputs[i] >= R) revert InputNotInField(i);
        }
        for (uint256 i = 1; i < 9; ++i) {
            if (proof[i] >= Q) revert ProofNotInField(i);
        }
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

    // `verifyBatch`'s precompile calls work in the memory past the free memory pointer, as
    // scratch space: `_call2`'s allocations would grow memory by about eight words per call. Each
    // checks the output's size, in a statement after the call (Yul evaluates arguments right to
    // left), as a missing precompile would succeed with no output.

    /// @dev `s * (x, y)` on G1 (ecMul, 0x07).
    function _ecMul(uint256 x, uint256 y, uint256 s) private view returns (uint256 rx, uint256 ry) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x)
            mstore(add(m, 0x20), y)
            mstore(add(m, 0x40), s)
            ok := staticcall(gas(), 0x07, m, 0x60, m, 0x40)
            ok := and(ok, eq(returndatasize(), 0x40))
            rx := mload(m)
            ry := mload(add(m, 0x20))
        }
        if (!ok) revert PrecompileFailed(0x07);
    }

    /// @dev `(x1, y1) + (x2, y2)` on G1 (ecAdd, 0x06).
    function _ecAdd(uint256 x1, uint256 y1, uint256 x2, uint256 y2) private view returns (uint256 rx, uint256 ry) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x1)
            mstore(add(m, 0x20), y1)
            mstore(add(m, 0x40), x2)
            mstore(add(m, 0x60), y2)
            ok := staticcall(gas(), 0x06, m, 0x80, m, 0x40)
            ok := and(ok, eq(returndatasize(), 0x40))
            rx := mload(m)
            ry := mload(add(m, 0x20))
        }
        if (!ok) revert PrecompileFailed(0x06);
    }

    /// @dev Whether the pairs in `words` (six words each: a G1 point, then a G2 point) pair to 1
    /// (pairing check, 0x08).
    function _pairing(uint256[] memory words) private view returns (bool) {
        bool ok;
        uint256 out;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, add(words, 0x20), mul(mload(words), 0x20), 0, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            out := mload(0)
        }
        if (!ok) revert PrecompileFailed(0x08);
        return out == 1;
    }
}
