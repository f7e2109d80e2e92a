// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeParams, PriorityOperation} from "./Types.sol";
import {IVerifier} from "../interfaces/IVerifier.sol";

/// @notice The priority (L1->L2) queue: operations `[head, tail)` are waiting to be executed.
/// @param data Operations by id; an entry is deleted when it is executed.
/// @param tail Id of the next operation to be added (= total requests ever made).
/// @param head Id of the oldest operation not executed yet.
struct PriorityQueue {
    mapping(uint256 => PriorityOperation) data;
    uint256 tail;
    uint256 head;
}

/// @notice State shared by every facet, at storage slot 0 of the diamond.
/// @dev Append-only: a field is never removed or reordered, only deprecated, so upgrades keep the layout.
/// @param governor Owns upgrades, freezing and parameters.
/// @param pendingGovernor Proposed governor until it accepts.
/// @param admin Manages validators and may unfreeze.
/// @param pendingAdmin Proposed admin until it accepts.
/// @param validators Addresses allowed to commit, prove, execute and revert batches.
/// @param verifier The proof verifier.
/// @param totalBatchesCommitted Number of the last committed batch.
/// @param totalBatchesVerified Number of the last proven batch.
/// @param totalBatchesExecuted Number of the last executed batch.
/// @param storedBatchHashes `keccak256(abi.encode(StoredBatchInfo))` per committed batch.
/// @param l2LogsRootHashes L2->L1 logs root per executed batch.
/// @param priorityQueue The L1->L2 queue.
/// @param priorityTxsInCommittedBatches Priority operations included in batches `1..n` (cumulative).
/// @param priorityTxMaxGasLimit Most L2 gas a priority request may ask for.
/// @param feeParams Fee parameters of L1->L2 requests.
/// @param isEthWithdrawalFinalized Replay protection of withdrawals, by batch and message index.
/// @param protocolVersion Version of the protocol (raised by upgrades).
/// @param l2ChainId Chain id of the L2.
/// @param executionDelay Seconds between a batch's commit and its earliest execute.
/// @param batchCommitTimestamps L1 time of each batch's commit, until it is executed.
/// @param priorityTxDeadline Seconds a priority request may wait before commits must include it.
/// @param deadlineCuts Queue indices of the first request queued after each shortening of the
/// deadline: expirations grow with the index except at these points, so forced inclusion checks
/// the oldest uncommitted request and each later cut.
/// @param upgradeDelay Seconds between proposing an upgrade and its earliest execution; changed
/// only by an upgrade.
/// @param proposedUpgradeHash `keccak256(abi.encode(DiamondCutData))` of the proposed upgrade (zero: none).
/// @param proposedUpgradeReadyAt Earliest execution time of the proposed upgrade.
struct AppStorage {
    address governor;
    address pendingGovernor;
    address admin;
    address pendingAdmin;
    mapping(address => bool) validators;
    IVerifier verifier;
    uint256 totalBatchesCommitted;
    uint256 totalBatchesVerified;
    uint256 totalBatchesExecuted;
    mapping(uint256 => bytes32) storedBatchHashes;
    mapping(uint256 => bytes32) l2LogsRootHashes;
    PriorityQueue priorityQueue;
    mapping(uint256 => uint256) priorityTxsInCommittedBatches;
    uint256 priorityTxMaxGasLimit;
    FeeParams feeParams;
    mapping(uint256 => mapping(uint256 => bool)) isEthWithdrawalFinalized;
    uint256 protocolVersion;
    uint256 l2ChainId;
    uint256 executionDelay;
    mapping(uint256 => uint256) batchCommitTimestamps;
    uint256 priorityTxDeadline;
    uint256[] deadlineCuts;
    uint256 upgradeDelay;
    bytes32 proposedUpgradeHash;
    uint256 proposedUpgradeReadyAt;
}
