// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DiamondCutData, FeeParams} from "../common/Types.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title Admin facet: roles, parameters, upgrades and freezing (never freezable)
interface IAdmin is IRollupErrors {
    /// @notice A validator was added or removed.
    event ValidatorStatusUpdate(address indexed validator, bool isActive);
    /// @notice A governor transfer was proposed (or cleared on accept, with `newPendingGovernor` zero).
    event NewPendingGovernor(address indexed oldPendingGovernor, address indexed newPendingGovernor);
    /// @notice The governor changed.
    event NewGovernor(address indexed oldGovernor, address indexed newGovernor);
    /// @notice An admin transfer was proposed (or cleared on accept).
    event NewPendingAdmin(address indexed oldPendingAdmin, address indexed newPendingAdmin);
    /// @notice The admin changed.
    event NewAdmin(address indexed oldAdmin, address indexed newAdmin);
    /// @notice The priority transaction gas cap changed.
    event NewPriorityTxMaxGasLimit(uint256 oldPriorityTxMaxGasLimit, uint256 newPriorityTxMaxGasLimit);
    /// @notice The fee parameters changed.
    event NewFeeParams(FeeParams oldFeeParams, FeeParams newFeeParams);
    /// @notice The commit -> execute delay changed.
    event NewExecutionDelay(uint256 oldExecutionDelay, uint256 newExecutionDelay);
    /// @notice The forced-inclusion deadline of priority requests changed.
    event NewPriorityTxDeadline(uint256 oldPriorityTxDeadline, uint256 newPriorityTxDeadline);
    /// @notice An upgrade was proposed; it can be executed from `readyAt` on.
    event UpgradeProposed(bytes32 indexed cutHash, uint256 readyAt, DiamondCutData diamondCut);
    /// @notice The proposed upgrade was withdrawn.
    event UpgradeCancelled(bytes32 indexed cutHash);
    /// @notice An upgrade (diamond cut + init) was executed.
    event ExecuteUpgrade(DiamondCutData diamondCut);
    /// @notice The diamond was frozen.
    event Freeze();
    /// @notice The diamond was unfrozen.
    event Unfreeze();

    /// @notice Propose a new governor; it takes office when it calls `acceptGovernor`.
    /// @dev Governor only. Zero cancels a pending proposal.
    /// @param newPendingGovernor The proposed governor.
    function setPendingGovernor(address newPendingGovernor) external;

    /// @notice Become governor. Pending governor only.
    function acceptGovernor() external;

    /// @notice Propose a new admin; it takes office when it calls `acceptAdmin`.
    /// @dev Governor only. Zero cancels a pending proposal.
    /// @param newPendingAdmin The proposed admin.
    function setPendingAdmin(address newPendingAdmin) external;

    /// @notice Become admin. Pending admin only.
    function acceptAdmin() external;

    /// @notice Add or remove a validator. Governor only.
    /// @param validator The address.
    /// @param active Whether it may commit, prove, execute and revert batches.
    function setValidator(address validator, bool active) external;

    /// @notice Set the most L2 gas a priority request may ask for. Governor only.
    /// @param newPriorityTxMaxGasLimit At most `MAX_GAS_PER_TRANSACTION` (80,000,000).
    function setPriorityTxMaxGasLimit(uint256 newPriorityTxMaxGasLimit) external;

    /// @notice Replace the fee parameters of L1->L2 requests. Governor only.
    /// @param newFeeParams Non-zero limits, with `maxPubdataPerBatch >= priorityTxMaxPubdata`.
    function changeFeeParams(FeeParams calldata newFeeParams) external;

    /// @notice Raise the delay between a batch's commit and its earliest execute. Governor only.
    /// @dev Applies to every batch not executed yet. Lowering it is refused
    /// (`ExecutionDelayDecrease`): that takes an upgrade, which waits `upgradeDelay`.
    /// @param newExecutionDelay Seconds, at least the current delay and at most 30 days.
    function setExecutionDelay(uint256 newExecutionDelay) external;

    /// @notice Set how long a priority request may wait before commits must include it. Governor only.
    /// @dev Applies to requests made after the change.
    /// @param newPriorityTxDeadline Seconds, from 1 hour to 30 days.
    function setPriorityTxDeadline(uint256 newPriorityTxDeadline) external;

    /// @notice Propose an upgrade; it can be executed `upgradeDelay` seconds from now. Governor only.
    /// @dev One proposal at a time: a new one replaces the last and restarts the delay.
    /// @param diamondCut The cut (and its init call) to execute later.
    function proposeUpgrade(DiamondCutData calldata diamondCut) external;

    /// @notice Withdraw the proposed upgrade. Governor only.
    function cancelUpgrade() external;

    /// @notice Apply the proposed diamond cut and run its init contract, once its delay has
    /// passed. Governor only; works while frozen.
    /// @param diamondCut The cut; must equal the proposed one.
    function executeUpgrade(DiamondCutData calldata diamondCut) external;

    /// @notice Block every freezable selector (Executor, Mailbox). Governor or admin, so either
    /// can stop the chain at once when something is wrong.
    function freezeDiamond() external;

    /// @notice Unblock the freezable selectors. Governor only: the admin cannot lift a freeze.
    function unfreezeDiamond() external;
}
