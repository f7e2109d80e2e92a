// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BatchProof, CommitBatchInfo, StoredBatchInfo} from "../common/Types.sol";
import {IRollupErrors, IVerifierErrors} from "../common/Errors.sol";

/// @title Executor facet: the commit -> prove -> execute pipeline of batches (freezable, validators only)
interface IExecutor is IRollupErrors, IVerifierErrors {
    /// @notice A batch was committed.
    event BlockCommit(uint256 indexed batchNumber, bytes32 indexed batchHash, bytes32 indexed commitment);
    /// @notice Batches `(previousLastVerifiedBatch, currentLastVerifiedBatch]` were proven.
    event BlocksVerification(uint256 indexed previousLastVerifiedBatch, uint256 indexed currentLastVerifiedBatch);
    /// @notice A batch was executed.
    event BlockExecution(uint256 indexed batchNumber, bytes32 indexed batchHash, bytes32 indexed commitment);
    /// @notice Unexecuted batches were reverted; the counters after the revert.
    event BlocksRevert(uint256 totalBatchesCommitted, uint256 totalBatchesVerified, uint256 totalBatchesExecuted);

    /// @notice Commit one or more consecutive batches.
    /// @param lastCommittedBatchData The stored info of the last committed batch.
    /// @param newBatchesData The new batches, in order.
    function commitBatches(StoredBatchInfo calldata lastCommittedBatchData, CommitBatchInfo[] calldata newBatchesData)
        external;

    /// @notice Prove one or more consecutive committed batches. A batch's state diff is cut into
    /// chunks at commit; each chunk has its own Groth16 proof, and the proofs chain the state
    /// commitments from the previous batch's to this batch's.
    /// @dev The chunk proofs of all batches of the call are checked with one
    /// `IVerifier.verifyBatch`; only when it rejects are they checked one by one with `verify`,
    /// to revert `InvalidChunkProof` at the first invalid chunk. A malformed proof reverts with
    /// the verifier's own error (`IVerifierErrors`), bubbled up.
    /// @param prevBatch The stored info of the last proven batch.
    /// @param committedBatches The batches to prove, in order.
    /// @param proofs One `BatchProof` per batch: chunk claims, intermediate commitments, chunk proofs.
    function proveBatches(
        StoredBatchInfo calldata prevBatch,
        StoredBatchInfo[] calldata committedBatches,
        BatchProof[] calldata proofs
    ) external;

    /// @notice Execute one or more consecutive proven batches: consume their priority operations
    /// and make their L2->L1 logs provable.
    /// @param batchesData The stored infos, in order.
    function executeBatches(StoredBatchInfo[] calldata batchesData) external;

    /// @notice Drop every committed batch after `newLastBatch`; executed batches stay.
    /// @param newLastBatch The last batch to keep.
    function revertBatches(uint256 newLastBatch) external;
}
