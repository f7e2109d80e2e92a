// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./facets/Base.sol";
import {validateFeeParams} from "./facets/Admin.sol";
import {Diamond} from "./libraries/Diamond.sol";
import {IVerifier} from "./interfaces/IVerifier.sol";
import {FeeParams, StoredBatchInfo} from "./common/Types.sol";
import {
    EMPTY_STRING_KECCAK,
    BN254_SCALAR_FIELD,
    MAX_EXECUTION_DELAY,
    MAX_GAS_PER_TRANSACTION,
    MAX_PRIORITY_TX_DEADLINE,
    MAX_UPGRADE_DELAY,
    MIN_PRIORITY_TX_DEADLINE
} from "./common/Config.sol";

/// @notice Everything the diamond needs at genesis.
/// @param verifier The proof verifier.
/// @param governor The governor.
/// @param admin The admin.
/// @param validators The initial validators.
/// @param l2ChainId Chain id of the L2.
/// @param genesisBatchHash State commitment of the genesis state (a BN254 field element).
/// @param genesisIndexRepeatedStorageChanges Next free enumeration index of the genesis tree.
/// @param genesisBatchCommitment Commitment of the genesis batch.
/// @param genesisBatchTimestamp Timestamp of the genesis batch (batch 1 must be later).
/// @param priorityTxMaxGasLimit Most L2 gas a priority request may ask for.
/// @param feeParams Fee parameters of L1->L2 requests.
/// @param executionDelay Seconds between a batch's commit and its earliest execute.
/// @param priorityTxDeadline Seconds a priority request may wait before commits must include it.
/// @param protocolVersion The initial protocol version.
/// @param upgradeDelay Seconds between proposing an upgrade and its earliest execution.
struct InitializeData {
    IVerifier verifier;
    address governor;
    address admin;
    address[] validators;
    uint256 l2ChainId;
    bytes32 genesisBatchHash;
    uint64 genesisIndexRepeatedStorageChanges;
    bytes32 genesisBatchCommitment;
    uint256 genesisBatchTimestamp;
    uint256 priorityTxMaxGasLimit;
    FeeParams feeParams;
    uint256 executionDelay;
    uint256 priorityTxDeadline;
    uint256 protocolVersion;
    uint256 upgradeDelay;
}

/// @title Genesis initialisation of the diamond, delegatecalled by the proxy's initial cut
contract DiamondInit is Base {
    /// @notice Set roles, verifier, limits, fee parameters and the genesis batch.
    /// @param data The genesis configuration.
    /// @return The diamond init magic value.
    /// @dev Payable: the proxy's constructor delegatecalls it with the ETH that backs the L2
    /// genesis allocation, which stays in the proxy.
    function initialize(InitializeData calldata data) external payable returns (bytes32) {
        if (address(data.verifier) == address(0) || data.governor == address(0) || data.admin == address(0)) {
            revert ZeroAddress();
        }
        if (data.l2ChainId == 0 || data.l2ChainId > type(uint64).max) revert InvalidL2ChainId(data.l2ChainId);
        if (uint256(data.genesisBatchHash) >= BN254_SCALAR_FIELD) revert NotAFieldElement(uint256(data.genesisBatchHash));
        if (data.priorityTxMaxGasLimit > MAX_GAS_PER_TRANSACTION) {
            revert PriorityTxMaxGasLimitTooHigh(data.priorityTxMaxGasLimit, MAX_GAS_PER_TRANSACTION);
        }
        if (data.executionDelay > MAX_EXECUTION_DELAY) revert ExecutionDelayTooLong(data.executionDelay, MAX_EXECUTION_DELAY);
        if (data.priorityTxDeadline < MIN_PRIORITY_TX_DEADLINE || data.priorityTxDeadline > MAX_PRIORITY_TX_DEADLINE) {
            revert PriorityTxDeadlineOutOfRange(data.priorityTxDeadline);
        }
        if (data.upgradeDelay > MAX_UPGRADE_DELAY) revert UpgradeDelayTooLong(data.upgradeDelay, MAX_UPGRADE_DELAY);
        validateFeeParams(data.feeParams);

        s.verifier = data.verifier;
        s.governor = data.governor;
        s.admin = data.admin;
        for (uint256 i = 0; i < data.validators.length; ++i) {
            if (data.validators[i] == address(0)) revert ZeroAddress();
            s.validators[data.validators[i]] = true;
        }
        s.l2ChainId = data.l2ChainId;
        s.priorityTxMaxGasLimit = data.priorityTxMaxGasLimit;
        s.feeParams = data.feeParams;
        s.executionDelay = data.executionDelay;
        s.priorityTxDeadline = data.priorityTxDeadline;
        s.protocolVersion = data.protocolVersion;
        s.upgradeDelay = data.upgradeDelay;
        s.storedBatchHashes[0] = keccak256(abi.encode(genesisBatchInfo(data)));
        return Diamond.DIAMOND_INIT_SUCCESS_RETURN_VALUE;
    }

    /// @notice The stored info of batch 0 for `data` (what `commitBatches` must be given first).
    function genesisBatchInfo(InitializeData calldata data) public pure returns (StoredBatchInfo memory) {
        return StoredBatchInfo({
            batchNumber: 0,
            batchHash: data.genesisBatchHash,
            indexRepeatedStorageChanges: data.genesisIndexRepeatedStorageChanges,
            numberOfLayer1Txs: 0,
            priorityOperationsHash: EMPTY_STRING_KECCAK,
            l2LogsTreeRoot: bytes32(0),
            timestamp: data.genesisBatchTimestamp,
            stateDiffHash: bytes32(0),
            commitment: data.genesisBatchCommitment
        });
    }
}
