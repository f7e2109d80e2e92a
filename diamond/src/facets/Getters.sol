// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {IGetters} from "../interfaces/IGetters.sol";
import {Diamond} from "../libraries/Diamond.sol";
import {PriorityQueueLib} from "../libraries/PriorityQueueLib.sol";
import {PriorityQueue} from "../common/Storage.sol";
import {Facet, FeeParams, PriorityOperation} from "../common/Types.sol";

/// @title Getters facet (not freezable)
contract GettersFacet is Base, IGetters {
    using PriorityQueueLib for PriorityQueue;

    /// @inheritdoc IGetters
    function getVerifier() external view returns (address) {
        return address(s.verifier);
    }

    /// @inheritdoc IGetters
    function getGovernor() external view returns (address) {
        return s.governor;
    }

    /// @inheritdoc IGetters
    function getPendingGovernor() external view returns (address) {
        return s.pendingGovernor;
    }

    /// @inheritdoc IGetters
    function getAdmin() external view returns (address) {
        return s.admin;
    }

    /// @inheritdoc IGetters
    function getPendingAdmin() external view returns (address) {
        return s.pendingAdmin;
    }

    /// @inheritdoc IGetters
    function isValidator(address account) external view returns (bool) {
        return s.validators[account];
    }

    /// @inheritdoc IGetters
    function getL2ChainId() external view returns (uint256) {
        return s.l2ChainId;
    }

    /// @inheritdoc IGetters
    function getProtocolVersion() external view returns (uint256) {
        return s.protocolVersion;
    }

    /// @inheritdoc IGetters
    function getTotalBatchesCommitted() external view returns (uint256) {
        return s.totalBatchesCommitted;
    }

    /// @inheritdoc IGetters
    function getTotalBatchesVerified() external view returns (uint256) {
        return s.totalBatchesVerified;
    }

    /// @inheritdoc IGetters
    function getTotalBatchesExecuted() external view returns (uint256) {
        return s.totalBatchesExecuted;
    }

    /// @inheritdoc IGetters
    function storedBatchHash(uint256 batchNumber) external view returns (bytes32) {
        return s.storedBatchHashes[batchNumber];
    }

    /// @inheritdoc IGetters
    function l2LogsRootHash(uint256 batchNumber) external view returns (bytes32) {
        return s.l2LogsRootHashes[batchNumber];
    }

    /// @inheritdoc IGetters
    function getBatchCommitTimestamp(uint256 batchNumber) external view returns (uint256) {
        return s.batchCommitTimestamps[batchNumber];
    }

    /// @inheritdoc IGetters
    function getTotalPriorityTxs() external view returns (uint256) {
        return s.priorityQueue.tail;
    }

    /// @inheritdoc IGetters
    function getFirstUnprocessedPriorityTx() external view returns (uint256) {
        return s.priorityQueue.head;
    }

    /// @inheritdoc IGetters
    function getFirstUncommittedPriorityTx() external view returns (uint256) {
        return s.priorityTxsInCommittedBatches[s.totalBatchesCommitted];
    }

    /// @inheritdoc IGetters
    function getPriorityQueueSize() external view returns (uint256) {
        return s.priorityQueue.size();
    }

    /// @inheritdoc IGetters
    function priorityQueueFrontOperation() external view returns (PriorityOperation memory) {
        return s.priorityQueue.front();
    }

    /// @inheritdoc IGetters
    function getPriorityOperation(uint256 id) external view returns (PriorityOperation memory) {
        return s.priorityQueue.data[id];
    }

    /// @inheritdoc IGetters
    function getPriorityTxMaxGasLimit() external view returns (uint256) {
        return s.priorityTxMaxGasLimit;
    }

    /// @inheritdoc IGetters
    function getFeeParams() external view returns (FeeParams memory) {
        return s.feeParams;
    }

    /// @inheritdoc IGetters
    function getExecutionDelay() external view returns (uint256) {
        return s.executionDelay;
    }

    /// @inheritdoc IGetters
    function getPriorityTxDeadline() external view returns (uint256) {
        return s.priorityTxDeadline;
    }

    /// @inheritdoc IGetters
    function getUpgradeDelay() external view returns (uint256) {
        return s.upgradeDelay;
    }

    /// @inheritdoc IGetters
    function getProposedUpgrade() external view returns (bytes32 cutHash, uint256 readyAt) {
        return (s.proposedUpgradeHash, s.proposedUpgradeReadyAt);
    }

    /// @inheritdoc IGetters
    function isDiamondStorageFrozen() external view returns (bool) {
        return Diamond.getDiamondStorage().isFrozen;
    }

    /// @inheritdoc IGetters
    function isEthWithdrawalFinalized(uint256 l2BatchNumber, uint256 l2MessageIndex) external view returns (bool) {
        return s.isEthWithdrawalFinalized[l2BatchNumber][l2MessageIndex];
    }

    /// @inheritdoc IGetters
    function facets() external view returns (Facet[] memory result) {
        Diamond.DiamondStorage storage ds = Diamond.getDiamondStorage();
        uint256 n = ds.facets.length;
        result = new Facet[](n);
        for (uint256 i = 0; i < n; ++i) {
            address facet = ds.facets[i];
            result[i] = Facet({addr: facet, selectors: ds.facetToSelectors[facet].selectors});
        }
    }

    /// @inheritdoc IGetters
    function facetFunctionSelectors(address facet) external view returns (bytes4[] memory) {
        return Diamond.getDiamondStorage().facetToSelectors[facet].selectors;
    }

    /// @inheritdoc IGetters
    function facetAddresses() external view returns (address[] memory) {
        return Diamond.getDiamondStorage().facets;
    }

    /// @inheritdoc IGetters
    function facetAddress(bytes4 selector) external view returns (address) {
        return Diamond.getDiamondStorage().selectorToFacet[selector].facetAddress;
    }

    /// @inheritdoc IGetters
    function isFunctionFreezable(bytes4 selector) external view returns (bool) {
        return Diamond.getDiamondStorage().selectorToFacet[selector].isFreezable;
    }

    /// @inheritdoc IGetters
    function isFacetFreezable(address facet) external view returns (bool) {
        Diamond.DiamondStorage storage ds = Diamond.getDiamondStorage();
        bytes4[] storage selectors = ds.facetToSelectors[facet].selectors;
        // A facet without selectors is not part of the diamond: it is not freezable.
        if (selectors.length == 0) return false;
        return ds.selectorToFacet[selectors[0]].isFreezable;
    }
}
