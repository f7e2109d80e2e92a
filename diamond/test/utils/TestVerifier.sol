// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerifier} from "../../src/interfaces/IVerifier.sol";
import {IVerifierErrors} from "../../src/common/Errors.sol";

/// @title TEST DOUBLE of the Groth16 verifier; lives under test/ only and is never deployed by rollupd
/// @notice Accepts exactly the proof `[uint256(keccak256(abi.encode(publicInputs)))]`, so tests
/// can build valid proofs and also check which public inputs the Executor passes.
contract TestVerifier is IVerifier {
    /// @inheritdoc IVerifier
    function verify(uint256[] calldata publicInputs, uint256[] calldata proof) external pure returns (bool) {
        return proof.length == 1 && proof[0] == uint256(keccak256(abi.encode(publicInputs)));
    }

    /// @inheritdoc IVerifier
    /// @dev True iff `verify` accepts every proof; reverts like the real verifier when the lists
    /// are empty or differ in length.
    function verifyBatch(uint256[][] calldata publicInputs, uint256[][] calldata proofs) external pure returns (bool) {
        uint256 n = proofs.length;
        if (n == 0 || publicInputs.length != n) revert IVerifierErrors.BadBatchLength(publicInputs.length, n);
        for (uint256 i = 0; i < n; ++i) {
            uint256[] calldata proof = proofs[i];
            if (proof.length != 1 || proof[0] != uint256(keccak256(abi.encode(publicInputs[i])))) return false;
        }
        return true;
    }

    /// @inheritdoc IVerifier
    function verificationKeyHash() external pure returns (bytes32) {
        return keccak256("rollupd test verifier");
    }

    /// @notice The proof this double accepts for `publicInputs`.
    function proofFor(uint256[] memory publicInputs) external pure returns (uint256[] memory proof) {
        proof = new uint256[](1);
        proof[0] = uint256(keccak256(abi.encode(publicInputs)));
    }
}
