// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Action, DiamondCutData, FacetCut, FacetToSelectors, SelectorToFacet} from "../common/Types.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title EIP-2535 diamond storage and cuts, with per-selector freezability
/// @notice Invariants kept by every cut: `selectorToFacet` and `facetToSelectors` describe the
/// same routing (a bijection); `facets` lists each facet with at least one selector exactly once;
/// all selectors of a facet share one freezability.
library Diamond {
    /// @dev `keccak256("diamond.standard.diamond.storage") - 1` (same slot as Era's diamond).
    bytes32 internal constant DIAMOND_STORAGE_POSITION =
        0xc8fcad8db84d3cc18b4c41d551ea0ee66dd599cde068d998e57d5e09332c131b;

    /// @dev `keccak256("diamond.zksync.init") - 1`: what an init contract must return.
    bytes32 internal constant DIAMOND_INIT_SUCCESS_RETURN_VALUE =
        0x33774e659306e47509050e97cb651e731180a42d458212294d30751925c551a2;

    /// @notice Emitted once per cut, after the init call.
    event DiamondCut(FacetCut[] facetCuts, address initAddress, bytes initCalldata);

    /// @notice Routing state of the diamond.
    /// @param selectorToFacet Where each selector goes.
    /// @param facetToSelectors The selectors of each facet.
    /// @param facets Every facet with at least one selector.
    /// @param isFrozen Whether freezable selectors are blocked.
    struct DiamondStorage {
        mapping(bytes4 => SelectorToFacet) selectorToFacet;
        mapping(address => FacetToSelectors) facetToSelectors;
        address[] facets;
        bool isFrozen;
    }

    /// @notice The diamond storage of the current contract.
    function getDiamondStorage() internal pure returns (DiamondStorage storage ds) {
        bytes32 position = DIAMOND_STORAGE_POSITION;
        assembly {
            ds.slot := position
        }
    }

    /// @notice Apply `cut`: every facet cut in order, then the init delegatecall.
    function diamondCut(DiamondCutData memory cut) internal {
        FacetCut[] memory facetCuts = cut.facetCuts;
        uint256 n = facetCuts.length;
        for (uint256 i = 0; i < n; ++i) {
            FacetCut memory fc = facetCuts[i];
            if (fc.selectors.length == 0) revert IRollupErrors.NoSelectorsForFacetCut();
            if (fc.action == Action.Add) {
                _addFunctions(fc.facet, fc.selectors, fc.isFreezable);
            } else if (fc.action == Action.Replace) {
                _replaceFunctions(fc.facet, fc.selectors, fc.isFreezable);
            } else {
                // The enum has three members: anything else fails ABI decoding before we get here.
                _removeFunctions(fc.facet, fc.selectors);
            }
        }
        _initializeDiamondCut(cut.initAddress, cut.initCalldata);
        emit DiamondCut(facetCuts, cut.initAddress, cut.initCalldata);
    }

    function _addFunctions(address facet, bytes4[] memory selectors, bool isFreezable) private {
        DiamondStorage storage ds = getDiamondStorage();
        if (facet.code.length == 0) revert IRollupErrors.FacetHasNoCode(facet);
        _saveFacetIfNew(facet);
        uint256 n = selectors.length;
        for (uint256 i = 0; i < n; ++i) {
            bytes4 selector = selectors[i];
            if (ds.selectorToFacet[selector].facetAddress != address(0)) {
                revert IRollupErrors.SelectorAlreadyAdded(selector);
            }
            _addOneFunction(facet, selector, isFreezable);
        }
    }

    function _replaceFunctions(address facet, bytes4[] memory selectors, bool isFreezable) private {
        DiamondStorage storage ds = getDiamondStorage();
        if (facet.code.length == 0) revert IRollupErrors.FacetHasNoCode(facet);
        uint256 n = selectors.length;
        for (uint256 i = 0; i < n; ++i) {
            bytes4 selector = selectors[i];
            address oldFacet = ds.selectorToFacet[selector].facetAddress;
            if (oldFacet == address(0)) revert IRollupErrors.SelectorNotFound(selector);
            _removeOneFunction(oldFacet, selector);
            // Saved after the removal: if the facet was the old one and lost its last selector,
            // it was just dropped from `facets` and must come back.
            _saveFacetIfNew(facet);
            _addOneFunction(facet, selector, isFreezable);
        }
    }

    function _removeFunctions(address facet, bytes4[] memory selectors) private {
        DiamondStorage storage ds = getDiamondStorage();
        if (facet != address(0)) revert IRollupErrors.RemoveFacetAddressNotZero(facet);
        uint256 n = selectors.length;
        for (uint256 i = 0; i < n; ++i) {
            bytes4 selector = selectors[i];
            address oldFacet = ds.selectorToFacet[selector].facetAddress;
            if (oldFacet == address(0)) revert IRollupErrors.SelectorNotFound(selector);
            _removeOneFunction(oldFacet, selector);
        }
    }

    function _saveFacetIfNew(address facet) private {
        DiamondStorage storage ds = getDiamondStorage();
        if (ds.facetToSelectors[facet].selectors.length == 0) {
            ds.facetToSelectors[facet].facetPosition = _toUint16(ds.facets.length);
            ds.facets.push(facet);
        }
    }

    function _addOneFunction(address facet, bytes4 selector, bool isFreezable) private {
        DiamondStorage storage ds = getDiamondStorage();
        bytes4[] storage facetSelectors = ds.facetToSelectors[facet].selectors;
        if (facetSelectors.length > 0) {
            // One freezability per facet: a facet is either reachable while frozen or not.
            if (ds.selectorToFacet[facetSelectors[0]].isFreezable != isFreezable) {
                revert IRollupErrors.FreezabilityMismatch(selector);
            }
        }
        ds.selectorToFacet[selector] = SelectorToFacet({
            facetAddress: facet,
            selectorPosition: _toUint16(facetSelectors.length),
            isFreezable: isFreezable
        });
        facetSelectors.push(selector);
    }

    function _removeOneFunction(address facet, bytes4 selector) private {
        DiamondStorage storage ds = getDiamondStorage();
        bytes4[] storage facetSelectors = ds.facetToSelectors[facet].selectors;
        uint256 position = ds.selectorToFacet[selector].selectorPosition;
        uint256 last = facetSelectors.length - 1;
        if (position != last) {
            bytes4 moved = facetSelectors[last];
            facetSelectors[position] = moved;
            ds.selectorToFacet[moved].selectorPosition = uint16(position);
        }
        facetSelectors.pop();
        delete ds.selectorToFacet[selector];
        if (last == 0) _removeFacet(facet);
    }

    function _removeFacet(address facet) private {
        DiamondStorage storage ds = getDiamondStorage();
        uint256 position = ds.facetToSelectors[facet].facetPosition;
        uint256 last = ds.facets.length - 1;
        if (position != last) {
            address moved = ds.facets[last];
            ds.facets[position] = moved;
            ds.facetToSelectors[moved].facetPosition = uint16(position);
        }
        ds.facets.pop();
        delete ds.facetToSelectors[facet];
    }

    function _initializeDiamondCut(address init, bytes memory data) private {
        if (init == address(0)) {
            if (data.length != 0) revert IRollupErrors.NonEmptyCalldata();
            return;
        }
        (bool ok, bytes memory ret) = init.delegatecall(data);
        if (!ok) {
            if (ret.length == 0) revert IRollupErrors.DelegateCallFailed();
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        // The magic value also proves `init` has code: a call to an empty account returns nothing.
        if (ret.length != 32 || abi.decode(ret, (bytes32)) != DIAMOND_INIT_SUCCESS_RETURN_VALUE) {
            revert IRollupErrors.BadInitReturnValue(ret);
        }
    }

    function _toUint16(uint256 value) private pure returns (uint16) {
        if (value > type(uint16).max) revert IRollupErrors.TooManyPositions();
        return uint16(value);
    }
}
