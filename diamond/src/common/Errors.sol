// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Every custom error of the rollupd L1 suite
/// @notice Inherited by every facet and by the aggregated `IRollupChain`, so one ABI decodes them all.
interface IRollupErrors {
    // ---- roles ----
    /// @notice The caller is not the governor.
    error NotGovernor(address caller);
    /// @notice The caller is neither the governor nor the admin.
    error NotGovernorOrAdmin(address caller);
    /// @notice The caller is not the pending governor or pending admin it tries to become.
    error NotPendingRole(address caller);
    /// @notice The caller is not a validator.
    error NotValidator(address caller);
    /// @notice A role or dependency address is zero.
    error ZeroAddress();
    /// @notice A `nonReentrant` function was entered again.
    error Reentrancy();

    // ---- diamond ----
    /// @notice A facet cut has no selectors.
    error NoSelectorsForFacetCut();
    /// @notice A facet to add or replace with has no code.
    error FacetHasNoCode(address facet);
    /// @notice The selector is already routed to a facet.
    error SelectorAlreadyAdded(bytes4 selector);
    /// @notice The selector is not routed to any facet.
    error SelectorNotFound(bytes4 selector);
    /// @notice A `Remove` cut names a facet; it must name address zero.
    error RemoveFacetAddressNotZero(address facet);
    /// @notice A selector's freezability differs from the other selectors of its facet.
    error FreezabilityMismatch(bytes4 selector);
    /// @notice `initAddress` is zero but `initCalldata` is not empty.
    error NonEmptyCalldata();
    /// @notice The init delegatecall reverted without data.
    error DelegateCallFailed();
    /// @notice The init delegatecall did not return the magic value.
    error BadInitReturnValue(bytes returnData);
    /// @notice More than 65535 facets or selectors per facet.
    error TooManyPositions();
    /// @notice The proxy was deployed with a chain id other than the current one.
    error WrongChainId(uint256 expected, uint256 actual);
    /// @notice Calldata of 1 to 3 bytes cannot hold a selector.
    error MalformedCalldata();
    /// @notice No facet serves this selector.
    error FunctionDoesNotExist(bytes4 selector);
    /// @notice The selector is freezable and the diamond is frozen.
    error DiamondFrozen(bytes4 selector);
    /// @notice `freezeDiamond` on a frozen diamond.
    error DiamondAlreadyFrozen();
    /// @notice `unfreezeDiamond` on a diamond that is not frozen.
    error DiamondNotFrozen();

    // ---- parameters ----
    /// @notice `priorityTxMaxGasLimit` above `MAX_GAS_PER_TRANSACTION`.
    error PriorityTxMaxGasLimitTooHigh(uint256 value, uint256 max);
    /// @notice Fee parameters are inconsistent (pubdata or gas limits are zero or contradictory).
    error InvalidFeeParams();
    /// @notice An execution delay above `MAX_EXECUTION_DELAY`.
    error ExecutionDelayTooLong(uint256 value, uint256 max);
    /// @notice Lowering the execution delay outside an upgrade (which waits `upgradeDelay`).
    error ExecutionDelayDecrease(uint256 current, uint256 requested);
    /// @notice An upgrade delay above `MAX_UPGRADE_DELAY`.
    error UpgradeDelayTooLong(uint256 value, uint256 max);
    /// @notice `executeUpgrade` of a cut that is not the proposed one (or none is proposed).
    error UpgradeNotProposed(bytes32 cutHash, bytes32 proposedHash);
    /// @notice `executeUpgrade` before the proposal's delay has passed.
    error UpgradeNotReady(uint256 readyAt);
    /// @notice A priority deadline outside `[MIN_PRIORITY_TX_DEADLINE, MAX_PRIORITY_TX_DEADLINE]`.
    error PriorityTxDeadlineOutOfRange(uint256 value);
    /// @notice The L2 chain id is zero or does not fit an Ethereum chain id.
    error InvalidL2ChainId(uint256 value);

    // ---- executor ----
    /// @notice An empty batch list.
    error EmptyBatchList();
    /// @notice The stored batch info does not hash to what L1 stored.
    error BatchHashMismatch(uint256 batchNumber, bytes32 expected, bytes32 actual);
    /// @notice A batch number is not the next one.
    error NonSequentialBatch(uint256 expected, uint256 actual);
    /// @notice A batch timestamp is not after the previous batch's.
    error TimestampNotIncreasing(uint256 previous, uint256 current);
    /// @notice A batch timestamp is in the future.
    error TimestampInTheFuture(uint256 timestamp, uint256 blockTimestamp);
    /// @notice A value that must be a BN254 field element is not below the modulus.
    error NotAFieldElement(uint256 value);
    /// @notice The L2->L1 logs are not a whole number of 88-byte logs, or there are too many.
    error InvalidL2LogsLength(uint256 length);
    /// @notice Too many bytecodes (factory deps) in one L1->L2 request.
    error TooManyFactoryDeps(uint256 count);
    /// @notice A batch claims more priority operations than the queue holds after those of the
    /// batches committed before it.
    error NotEnoughPriorityOperations(uint256 claimed, uint256 available);
    /// @notice A committed batch sealed after a priority request's deadline leaves it out.
    error PriorityOperationDeadlinePassed(uint256 priorityOpId, uint256 deadline);
    /// @notice A priority request is past its deadline on L1 and this commit leaves it out with
    /// batches older than the catch-up window (the longer of 7 days and `priorityTxDeadline`).
    error PriorityOperationOverdue(uint256 priorityOpId, uint256 deadline, uint256 lastBatchTimestamp);
    /// @notice Proving more batches than are committed.
    error CantProveUncommittedBatch(uint256 batchNumber);
    /// @notice The number of proofs differs from the number of batches.
    error ProofCountMismatch(uint256 batches, uint256 proofs);
    /// @notice A chunk's proof of a batch does not verify.
    error InvalidChunkProof(uint256 batchNumber, uint256 chunk);
    /// @notice The state diff is not a whole number of 64-byte records.
    error StateDiffNotWholeRecords(uint256 length);
    /// @notice `chunkRecords` is zero while the state diff is not empty.
    error ZeroChunkRecords();
    /// @notice The first key of chunk `chunk` is not above the last key of the chunk before it.
    /// The proofs order keys within a chunk; L1 orders them across chunks.
    error ChunkKeysNotAscending(uint256 chunk);
    /// @notice A commit gives another number of chunk digests than its state diff has chunks.
    error ChunkDigestCountMismatch(uint256 expected, uint256 actual);
    /// @notice The chunk claims given with a proof are not the batch's committed ones.
    error ChunkClaimsMismatch(uint256 batchNumber);
    /// @notice A batch proof has the wrong number of commitments or proofs for its chunks.
    error ChunkCountMismatch(uint256 batchNumber, uint256 chunks, uint256 commitments, uint256 proofs);
    /// @notice A batch's state diff does not end with its batch-info record (`BATCH_INFO_KEY`).
    error MissingBatchInfoRecord(uint256 batchNumber);
    /// @notice The batch-info record's value is not the hash of what the batch claims.
    error BatchInfoMismatch(uint256 batchNumber, bytes32 expected, bytes32 actual);
    /// @notice Executing a batch that is not proven yet.
    error CantExecuteUnprovenBatch(uint256 batchNumber);
    /// @notice Executing a batch before the execution delay has passed.
    error ExecutionDelayNotPassed(uint256 batchNumber, uint256 executableAt);
    /// @notice The priority operations rolling hash does not match the queue.
    error PriorityOperationsRollingHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice Popping from an empty priority queue.
    error PriorityQueueEmpty();
    /// @notice Reverting below the executed batches.
    error CantRevertExecutedBatch(uint256 newLastBatch, uint256 totalBatchesExecuted);
    /// @notice Reverting to a batch beyond the committed ones.
    error RevertBeyondCommitted(uint256 newLastBatch, uint256 totalBatchesCommitted);

    // ---- mailbox ----
    /// @notice `msg.value` does not cover the base cost plus the L2 value.
    error MsgValueTooLow(uint256 required, uint256 provided);
    /// @notice The declared gas per pubdata byte is not the required one.
    error InvalidGasPerPubdata(uint256 value);
    /// @notice The L2 gas limit is above `priorityTxMaxGasLimit`.
    error TooMuchGas(uint256 gasLimit, uint256 max);
    /// @notice The L2 gas limit does not cover the intrinsic gas of the transaction at its worst
    /// (Prague with EIP-7623's calldata floor: 21,000 + 40 per calldata byte).
    error NotEnoughGas(uint256 gasLimit, uint256 min);
    /// @notice The L2 target is address zero: the L2 does not run contract creations from L1.
    error L2CreationNotSupported();
    /// @notice The L2 calldata is longer than an L2 transaction can carry.
    error CalldataTooLong(uint256 length, uint256 max);
    /// @notice Factory dependencies are not supported by the EVM L2 (deploy with initcode).
    error FactoryDepsNotSupported();
    /// @notice Proving against a batch that is not executed.
    error BatchNotExecuted(uint256 batchNumber);
    /// @notice A Merkle path whose length is not the logs tree height.
    error MerklePathLengthMismatch(uint256 length, uint256 expected);
    /// @notice A leaf index outside the logs tree.
    error MerkleIndexOutOfBounds(uint256 index);
    /// @notice A log that hashes to the default (empty) leaf.
    error DefaultLeafNotProvable();
    /// @notice The stored logs root is zero.
    error ZeroLogsRoot(uint256 batchNumber);
    /// @notice The withdrawal was already finalized.
    error WithdrawalAlreadyFinalized(uint256 batchNumber, uint256 messageIndex);
    /// @notice The withdrawal message is malformed.
    error InvalidWithdrawalMessage();
    /// @notice The withdrawal message is not included in the batch.
    error WithdrawalNotProven();
    /// @notice Sending the withdrawn ETH failed.
    error WithdrawalTransferFailed(address to, uint256 amount);
}

/// @title The errors of the Groth16 verifier (`verifier/StateDiffVerifierBase.sol`)
/// @notice Its reverts bubble up through `proveBatches` unchanged, so the Executor's interface, and
/// with it `IRollupChain`, inherits them too.
interface IVerifierErrors {
    /// @notice The proof names a capacity this verifier has no key for.
    error UnsupportedCapacity(uint256 capacity);
    /// @notice The proof is not nine words.
    error BadProofLength(uint256 length);
    /// @notice There are not five public inputs.
    error BadInputCount(uint256 count);
    /// @notice A public input is not below the scalar field modulus.
    error InputNotInField(uint256 index);
    /// @notice A proof coordinate is not below the base field modulus.
    error ProofNotInField(uint256 index);
    /// @notice A precompile call failed (a point not on the curve, or out of gas).
    error PrecompileFailed(uint256 precompile);
    /// @notice `verifyBatch` got no proof, or not one list of public inputs per proof.
    error BadBatchLength(uint256 inputLists, uint256 proofs);
}
