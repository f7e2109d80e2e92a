// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerifier} from "../interfaces/IVerifier.sol";
import {StateDiffVerifierBase} from "./StateDiffVerifierBase.sol";

/// @title Groth16 verifier of the state-diff circuit for verifying keys given at deployment
/// @notice What `rollupd deploy --keys DIR` deploys: the same checks as the generated
/// `StateDiffVerifier`, with the keys read from a data contract written once by the constructor,
/// so deploying a new key set needs no compiler. `verificationKeyHash()` is computed exactly as the
/// generated contract's `VK_HASH`: keccak256 over every (capacity, 26 key words), ascending.
contract StateDiffKeysVerifier is StateDiffVerifierBase {
    /// @dev Words per key: alpha (2), beta, gamma, delta (4 each), six gamma_abc points (2 each).
    uint256 private constant KEY_WORDS = 26;
    /// @dev Bytes per stored entry: the capacity word and its key words.
    uint256 private constant ENTRY_BYTES = 32 * (1 + KEY_WORDS);

    /// @dev The generator of G2, imaginary parts first (EIP-197).
    uint256 private constant G2_X_IM = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant G2_X_RE = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant G2_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 private constant G2_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @notice The data contract holding `0x00 ‖ (capacity ‖ key words)*`.
    address public immutable KEY_STORE;
    /// @notice keccak256 over every (capacity, key words), ascending by capacity.
    bytes32 public immutable VK_HASH;

    /// @notice The keys given to the constructor are malformed.
    /// @param reason What is wrong.
    error BadKeys(string reason);

    /// @param capacities Circuit ids (the capacity, plus 2^16 for a circuit of repeated writes only),
    /// strictly ascending, none zero.
    /// @param keyWords 26 words per capacity, in the order of `capacities`, each below `Q`.
    constructor(uint256[] memory capacities, uint256[] memory keyWords) {
        uint256 n = capacities.length;
        if (n == 0) revert BadKeys("no capacity");
        if (keyWords.length != n * KEY_WORDS) revert BadKeys("not 26 key words per capacity");
        bytes memory entries;
        for (uint256 i = 0; i < n; ++i) {
            if (capacities[i] == 0 || (i > 0 && capacities[i] <= capacities[i - 1])) {
                revert BadKeys("capacities must be non-zero and strictly ascending");
            }
            entries = abi.encodePacked(entries, capacities[i]);
            uint256[KEY_WORDS] memory key;
            for (uint256 j = 0; j < KEY_WORDS; ++j) {
                uint256 w = keyWords[i * KEY_WORDS + j];
                if (w >= Q) revert BadKeys("key word not below the base field modulus");
                key[j] = w;
                entries = abi.encodePacked(entries, w);
            }
            _checkKey(key);
        }
        VK_HASH = keccak256(entries);
        // The store's code starts with STOP, so calling it does nothing.
        bytes memory code = abi.encodePacked(bytes1(0x00), entries);
        if (code.length > 24_576) revert BadKeys("too many capacities for one data contract");
        // Init code (14 bytes): CODECOPY(0, 14, len); RETURN(0, len).
        bytes memory init = abi.encodePacked(
            bytes1(0x61), uint16(code.length), hex"600e600039", bytes1(0x61), uint16(code.length), hex"6000f3", code
        );
        address store;
        assembly {
            store := create(0, add(init, 32), mload(init))
        }
        if (store == address(0) || store.code.length != code.length) revert BadKeys("storing the keys failed");
        KEY_STORE = store;
    }

    /// @dev Refuses a key that is malformed or lets anyone prove anything (the Rust side,
    /// `keys::check_verifying_key`, refuses the same): a point off the curve or, for G2, outside
    /// its subgroup (the ecAdd and pairing precompiles fail on them); alpha, beta, gamma or delta
    /// the identity; `delta == +-gamma` (a forged `C` then passes the pairing check); `delta` the
    /// generator of G2 or its negation (no phase-2 contribution). `gamma` may be the generator, as snarkjs
    /// ceremonies leave it.
    function _checkKey(uint256[KEY_WORDS] memory k) private view {
        // alpha (words 0-1) and the six gamma_abc points (14-25) on G1.
        for (uint256 p = 0; p < 7; ++p) {
            uint256 at = p == 0 ? 0 : 12 + 2 * p;
            (bool ok,) = address(0x06).staticcall(abi.encode(k[at], k[at + 1], uint256(0), uint256(0)));
            if (!ok) revert BadKeys("a G1 point is not on the curve");
        }
        if (k[0] == 0 && k[1] == 0) revert BadKeys("alpha is the identity");
        // beta (2-5), gamma (6-9), delta (10-13) on G2, each paired with the G1 generator.
        bytes memory pairs;
        for (uint256 p = 0; p < 3; ++p) {
            uint256 at = 2 + 4 * p;
            if ((k[at] | k[at + 1] | k[at + 2] | k[at + 3]) == 0) revert BadKeys("a G2 key point is the identity");
            pairs = abi.encodePacked(pairs, uint256(1), uint256(2), k[at], k[at + 1], k[at + 2], k[at + 3]);
        }
        (bool paired,) = address(0x08).staticcall(pairs);
        if (!paired) revert BadKeys("a G2 point is not on the curve or not in its subgroup");
        // delta = +-gamma: e(vk_x, gamma) e(C, delta) then collapses and C = vk_x verifies.
        if (k[6] == k[10] && k[7] == k[11] && (k[8] == k[12] && k[9] == k[13] || _neg(k[8]) == k[12] && _neg(k[9]) == k[13])) {
            revert BadKeys("delta equals gamma or -gamma");
        }
        if (k[10] == G2_X_IM && k[11] == G2_X_RE && (k[12] == G2_Y_IM && k[13] == G2_Y_RE || k[12] == _neg(G2_Y_IM) && k[13] == _neg(G2_Y_RE))) {
            revert BadKeys("delta is the generator of G2 or its negation");
        }
    }

    /// @dev `-a` in the base field, for `a < Q`.
    function _neg(uint256 a) private pure returns (uint256) {
        return a == 0 ? 0 : Q - a;
    }

    /// @inheritdoc IVerifier
    function verificationKeyHash() external view returns (bytes32) {
        return VK_HASH;
    }

    function _key(uint256 capacity) internal view override returns (uint256[14] memory k, uint256[12] memory ic) {
        bytes memory data = KEY_STORE.code;
        uint256 n = (data.length - 1) / ENTRY_BYTES;
        for (uint256 i = 0; i < n; ++i) {
            uint256 at = 1 + i * ENTRY_BYTES;
            if (_word(data, at) != capacity) continue;
            for (uint256 j = 0; j < 14; ++j) {
                k[j] = _word(data, at + 32 * (1 + j));
            }
            for (uint256 j = 0; j < 12; ++j) {
                ic[j] = _word(data, at + 32 * (15 + j));
            }
            return (k, ic);
        }
        revert UnsupportedCapacity(capacity);
    }

    /// @dev The 32-byte word of `data` at byte offset `at`.
    function _word(bytes memory data, uint256 at) private pure returns (uint256 w) {
        assembly {
            w := mload(add(add(data, 32), at))
        }
    }
}
