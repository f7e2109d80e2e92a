// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Facet, FeeParams, PriorityOperation} from "../common/Types.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title Getters facet: read-only views of every counter, role and parameter, and the EIP-2535 loupe
/// @notice Never freezable. No function here writes state or reverts except where noted.
interface IGetters is IRollupErrors {
    /// @notice The proof verifier.
    function getVerifier() external view returns (address);
    /// @notice The governor.
    function getGovernor() external view returns (address);
    /// @notice The proposed governor (zero if none).
    function getPendingGovernor() external view returns (address);
    /// @notice The admin.
    function getAdmin() external view returns (address);
    /// @notice The proposed admin (zero if none).
    function getPendingAdmin() external view returns (address);
    /// @notice Whether `account` is a validator.
    function isValidator(address account) external view returns (bool);
    /// @notice The L2 chain id.
    function getL2ChainId() external view returns (uint256);
    /// @notice The protocol version.
    function getProtocolVersion() external view returns (uint256);

    /// @notice Number of the last committed batch.
    function getTotalBatchesCommitted() external view returns (uint256);
    /// @notice Number of the last proven batch.
    function getTotalBatchesVerified() external view returns (uint256);
    /// @notice Number of the last executed batch.
    function getTotalBatchesExecuted() external view returns (uint256);
    /// @notice `keccak256(abi.encode(StoredBatchInfo))` of a committed batch (zero if none).
    function storedBatchHash(uint256 batchNumber) external view returns (bytes32);
    /// @notice L2->L1 logs root of an executed batch (zero if not executed).
    function l2LogsRootHash(uint256 batchNumber) external view returns (bytes32);
    /// @notice L1 time of a batch's commit, kept only while an execution delay is set (else zero).
    function getBatchCommitTimestamp(uint256 batchNumber) external view returns (uint256);

    /// @notice Priority requests ever made (the id the next one gets).
    function getTotalPriorityTxs() external view returns (uint256);
    /// @notice Id of the oldest priority request not yet executed.
    function getFirstUnprocessedPriorityTx() external view returns (uint256);
    /// @notice Id of the oldest priority request not yet in a committed batch.
    function getFirstUncommittedPriorityTx() external view returns (uint256);
    /// @notice Priority requests waiting to be executed.
    function getPriorityQueueSize() external view returns (uint256);
    /// @notice The oldest unexecuted priority request. Reverts `PriorityQueueEmpty` if none.
    function priorityQueueFrontOperation() external view returns (PriorityOperation memory);
    /// @notice A priority request not yet executed, by id (zeroes once executed or if unknown).
    function getPriorityOperation(uint256 id) external view returns (PriorityOperation memory);

    /// @notice Most L2 gas a priority request may ask for.
    function getPriorityTxMaxGasLimit() external view returns (uint256);
    /// @notice Fee parameters of L1->L2 requests.
    function getFeeParams() external view returns (FeeParams memory);
    /// @notice Seconds between a batch's commit and its earliest execute.
    function getExecutionDelay() external view returns (uint256);
    /// @notice Seconds a priority request may wait before commits must include it.
    function getPriorityTxDeadline() external view returns (uint256);

    /// @notice Seconds between proposing an upgrade and its earliest execution.
    function getUpgradeDelay() external view returns (uint256);

    /// @notice The proposed upgrade: the hash of its `abi.encode(DiamondCutData)` (zero: none)
    /// and the earliest time it can be executed.
    function getProposedUpgrade() external view returns (bytes32 cutHash, uint256 readyAt);

    /// @notice Whether the diamond is frozen.
    function isDiamondStorageFrozen() external view returns (bool);
    /// @notice Whether a withdrawal (batch, message index) was finalized.
    function isEthWithdrawalFinalized(uint256 l2BatchNumber, uint256 l2MessageIndex) external view returns (bool);

    /// @notice Every facet and its selectors (EIP-2535).
    function facets() external view returns (Facet[] memory);
    /// @notice The selectors of `facet` (EIP-2535).
    function facetFunctionSelectors(address facet) external view returns (bytes4[] memory);
    /// @notice Every facet address (EIP-2535).
    function facetAddresses() external view returns (address[] memory);
    /// @notice The facet of `selector`, zero if none (EIP-2535).
    function facetAddress(bytes4 selector) external view returns (address);
    /// @notice Whether `selector` is blocked while frozen (false if unknown).
    function isFunctionFreezable(bytes4 selector) external view returns (bool);
    /// @notice Whether `facet`'s selectors are blocked while frozen (false if it has none).
    function isFacetFreezable(address facet) external view returns (bool);
}
