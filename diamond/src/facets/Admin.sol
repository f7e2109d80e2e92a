// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {IAdmin} from "../interfaces/IAdmin.sol";
import {Diamond} from "../libraries/Diamond.sol";
import {DiamondCutData, FeeParams} from "../common/Types.sol";
import {IRollupErrors} from "../common/Errors.sol";
import {
    MAX_EXECUTION_DELAY,
    MAX_GAS_PER_TRANSACTION,
    MAX_PRIORITY_TX_DEADLINE,
    MIN_PRIORITY_TX_DEADLINE
} from "../common/Config.sol";

/// @title Admin facet (not freezable, so the governor can always upgrade and unfreeze)
contract AdminFacet is Base, IAdmin {
    /// @inheritdoc IAdmin
    function setPendingGovernor(address newPendingGovernor) external onlyGovernor {
        address old = s.pendingGovernor;
        s.pendingGovernor = newPendingGovernor;
        emit NewPendingGovernor(old, newPendingGovernor);
    }

    /// @inheritdoc IAdmin
    function acceptGovernor() external {
        address pending = s.pendingGovernor;
        if (msg.sender != pending || pending == address(0)) revert NotPendingRole(msg.sender);
        address old = s.governor;
        s.governor = pending;
        delete s.pendingGovernor;
        emit NewPendingGovernor(pending, address(0));
        // An admin the old governor proposed is not the new governor's choice.
        address pendingAdmin = s.pendingAdmin;
        if (pendingAdmin != address(0)) {
            delete s.pendingAdmin;
            emit NewPendingAdmin(pendingAdmin, address(0));
        }
        emit NewGovernor(old, pending);
    }

    /// @inheritdoc IAdmin
    function setPendingAdmin(address newPendingAdmin) external onlyGovernor {
        address old = s.pendingAdmin;
        s.pendingAdmin = newPendingAdmin;
        emit NewPendingAdmin(old, newPendingAdmin);
    }

    /// @inheritdoc IAdmin
    function acceptAdmin() external {
        address pending = s.pendingAdmin;
        if (msg.sender != pending || pending == address(0)) revert NotPendingRole(msg.sender);
        address old = s.admin;
        s.admin = pending;
        delete s.pendingAdmin;
        emit NewPendingAdmin(pending, address(0));
        emit NewAdmin(old, pending);
    }

    /// @inheritdoc IAdmin
    function setValidator(address validator, bool active) external onlyGovernor {
        if (validator == address(0)) revert ZeroAddress();
        s.validators[validator] = active;
        emit ValidatorStatusUpdate(validator, active);
    }

    /// @inheritdoc IAdmin
    function setPriorityTxMaxGasLimit(uint256 newPriorityTxMaxGasLimit) external onlyGovernor {
        if (newPriorityTxMaxGasLimit > MAX_GAS_PER_TRANSACTION) {
            revert PriorityTxMaxGasLimitTooHigh(newPriorityTxMaxGasLimit, MAX_GAS_PER_TRANSACTION);
        }
        uint256 old = s.priorityTxMaxGasLimit;
        s.priorityTxMaxGasLimit = newPriorityTxMaxGasLimit;
        emit NewPriorityTxMaxGasLimit(old, newPriorityTxMaxGasLimit);
    }

    /// @inheritdoc IAdmin
    function changeFeeParams(FeeParams calldata newFeeParams) external onlyGovernor {
        validateFeeParams(newFeeParams);
        FeeParams memory old = s.feeParams;
        s.feeParams = newFeeParams;
        emit NewFeeParams(old, newFeeParams);
    }

    /// @inheritdoc IAdmin
    function setExecutionDelay(uint256 newExecutionDelay) external onlyGovernor {
        if (newExecutionDelay > MAX_EXECUTION_DELAY) revert ExecutionDelayTooLong(newExecutionDelay, MAX_EXECUTION_DELAY);
        uint256 old = s.executionDelay;
        // The delay is the window in which a bad batch can be caught and frozen: shortening it
        // at once would let a governor key execute a batch nobody had time to check.
        if (newExecutionDelay < old) revert ExecutionDelayDecrease(old, newExecutionDelay);
        s.executionDelay = newExecutionDelay;
        emit NewExecutionDelay(old, newExecutionDelay);
    }

    /// @inheritdoc IAdmin
    function setPriorityTxDeadline(uint256 newPriorityTxDeadline) external onlyGovernor {
        if (newPriorityTxDeadline < MIN_PRIORITY_TX_DEADLINE || newPriorityTxDeadline > MAX_PRIORITY_TX_DEADLINE) {
            revert PriorityTxDeadlineOutOfRange(newPriorityTxDeadline);
        }
        uint256 old = s.priorityTxDeadline;
        s.priorityTxDeadline = newPriorityTxDeadline;
        // A shorter deadline lets a later request expire before an earlier one: remember where.
        if (newPriorityTxDeadline < old) s.deadlineCuts.push(s.priorityQueue.tail);
        emit NewPriorityTxDeadline(old, newPriorityTxDeadline);
    }

    /// @inheritdoc IAdmin
    function proposeUpgrade(DiamondCutData calldata diamondCut) external onlyGovernor {
        bytes32 cutHash = keccak256(abi.encode(diamondCut));
        uint256 readyAt = block.timestamp + s.upgradeDelay;
        s.proposedUpgradeHash = cutHash;
        s.proposedUpgradeReadyAt = readyAt;
        emit UpgradeProposed(cutHash, readyAt, diamondCut);
    }

    /// @inheritdoc IAdmin
    function cancelUpgrade() external onlyGovernor {
        bytes32 cutHash = s.proposedUpgradeHash;
        if (cutHash == bytes32(0)) revert UpgradeNotProposed(bytes32(0), bytes32(0));
        delete s.proposedUpgradeHash;
        delete s.proposedUpgradeReadyAt;
        emit UpgradeCancelled(cutHash);
    }

    /// @inheritdoc IAdmin
    function executeUpgrade(DiamondCutData calldata diamondCut) external onlyGovernor {
        bytes32 cutHash = keccak256(abi.encode(diamondCut));
        bytes32 proposed = s.proposedUpgradeHash;
        if (proposed == bytes32(0) || cutHash != proposed) revert UpgradeNotProposed(cutHash, proposed);
        uint256 readyAt = s.proposedUpgradeReadyAt;
        if (block.timestamp < readyAt) revert UpgradeNotReady(readyAt);
        // Cleared first: the init contract may propose the next upgrade.
        delete s.proposedUpgradeHash;
        delete s.proposedUpgradeReadyAt;
        Diamond.diamondCut(diamondCut);
        emit ExecuteUpgrade(diamondCut);
    }

    /// @inheritdoc IAdmin
    function freezeDiamond() external onlyGovernorOrAdmin {
        Diamond.DiamondStorage storage ds = Diamond.getDiamondStorage();
        if (ds.isFrozen) revert DiamondAlreadyFrozen();
        ds.isFrozen = true;
        emit Freeze();
    }

    /// @inheritdoc IAdmin
    function unfreezeDiamond() external onlyGovernor {
        Diamond.DiamondStorage storage ds = Diamond.getDiamondStorage();
        if (!ds.isFrozen) revert DiamondNotFrozen();
        ds.isFrozen = false;
        emit Unfreeze();
    }
}

/// @notice Reverts `InvalidFeeParams` unless every limit is non-zero and one priority
/// transaction's pubdata fits in a batch. Shared by the Admin facet and DiamondInit.
function validateFeeParams(FeeParams memory p) pure {
    if (
        p.maxPubdataPerBatch == 0 || p.maxL2GasPerBatch == 0 || p.priorityTxMaxPubdata == 0
            || p.maxPubdataPerBatch < p.priorityTxMaxPubdata
    ) revert IRollupErrors.InvalidFeeParams();
}
