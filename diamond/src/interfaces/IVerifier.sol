// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A proof verifier the Executor calls from `proveBatches`
/// @notice For one state-diff chunk the five public inputs are, in order: old state commitment,
/// new state commitment, and the chunk's `ChunkClaim` (digest, point, evaluation). Each is below
/// the BN254 scalar field modulus (the Executor checks the commitments before calling and computed
/// the claim at commit).
interface IVerifier {
    /// @notice Whether `proof` proves the statement with these public inputs.
    /// @dev May revert instead of returning false; the Executor treats both as rejection.
    /// @param publicInputs The public inputs, as field elements.
    /// @param proof The proof words (format defined by the verifier, see docs/proof.md).
    /// @return True if the proof is valid.
    function verify(uint256[] calldata publicInputs, uint256[] calldata proof) external view returns (bool);

    /// @notice Whether every one of several proofs is valid: `proofs[i]` of `publicInputs[i]`,
    /// each exactly as `verify` takes them. The Executor checks all chunk proofs of one
    /// `proveBatches` call with it, at a fraction of the cost of one `verify` per proof.
    /// @dev Like `verify`, may revert instead of returning false: where `verify` would revert on
    /// one of the proofs, and when the lists are empty or differ in length. A batched check may
    /// be probabilistic, accepting an invalid proof with a negligible probability (below 2^-250
    /// for `StateDiffVerifierBase`).
    /// @param publicInputs One list of public inputs per proof.
    /// @param proofs The proofs, in the order of `publicInputs`.
    /// @return True if every proof is valid.
    function verifyBatch(uint256[][] calldata publicInputs, uint256[][] calldata proofs) external view returns (bool);

    /// @notice A hash identifying the verifying key(s) this verifier checks against.
    /// @return The key hash.
    function verificationKeyHash() external view returns (bytes32);
}
