// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {Fixture} from "../utils/Fixture.sol";
import {DummyFacetA, DummyFacetB} from "../unit/Diamond/_Shared.t.sol";
import {IRollupChain} from "../../src/interfaces/IRollupChain.sol";
import {Action, DiamondCutData, Facet, FacetCut} from "../../src/common/Types.sol";

/// @dev Random diamond cuts over a pool of 16 selectors and 3 facets, as the governor.
contract CutHandler is Fixture {
    address[3] internal pool;
    uint256 public cutsApplied;

    function init() external {
        setUp();
        pool[0] = address(new DummyFacetA());
        pool[1] = address(new DummyFacetB());
        pool[2] = address(new DummyFacetA());
    }

    function chainRef() external view returns (IRollupChain) {
        return chain;
    }

    function selectorAt(uint256 i) public pure returns (bytes4) {
        return bytes4(keccak256(abi.encode("pool selector", i % 16)));
    }

    function _apply(FacetCut memory c) internal {
        FacetCut[] memory cuts = new FacetCut[](1);
        cuts[0] = c;
        DiamondCutData memory d = DiamondCutData(cuts, address(0), "");
        vm.prank(governor);
        chain.proposeUpgrade(d);
        vm.warp(block.timestamp + chain.getUpgradeDelay());
        vm.prank(governor);
        try chain.executeUpgrade(d) {
            ++cutsApplied;
        } catch {}
    }

    function _freezabilityFor(address facet, bool wanted) internal view returns (bool) {
        return chain.facetFunctionSelectors(facet).length > 0 ? chain.isFacetFreezable(facet) : wanted;
    }

    function add(uint256 facetSeed, uint256 selSeed, uint256 count, bool freezable) external {
        address facet = pool[facetSeed % 3];
        count = bound(count, 1, 4);
        bytes4[] memory sel = new bytes4[](count);
        for (uint256 i = 0; i < count; ++i) {
            sel[i] = selectorAt(selSeed % 16 + i);
        }
        _apply(FacetCut(facet, Action.Add, _freezabilityFor(facet, freezable), sel));
    }

    function replace(uint256 facetSeed, uint256 selSeed, bool freezable) external {
        address facet = pool[facetSeed % 3];
        bytes4[] memory sel = new bytes4[](1);
        sel[0] = selectorAt(selSeed);
        _apply(FacetCut(facet, Action.Replace, _freezabilityFor(facet, freezable), sel));
    }

    function remove(uint256 selSeed, uint256 count) external {
        count = bound(count, 1, 3);
        bytes4[] memory sel = new bytes4[](count);
        for (uint256 i = 0; i < count; ++i) {
            sel[i] = selectorAt(selSeed % 16 + i);
        }
        _apply(FacetCut(address(0), Action.Remove, false, sel));
    }
}

contract DiamondBijectionInvariantTest is Test {
    CutHandler internal handler;
    IRollupChain internal chain;

    function setUp() public {
        handler = new CutHandler();
        handler.init();
        chain = handler.chainRef();
        targetContract(address(handler));
        bytes4[] memory sel = new bytes4[](3);
        sel[0] = CutHandler.add.selector;
        sel[1] = CutHandler.replace.selector;
        sel[2] = CutHandler.remove.selector;
        targetSelector(address(handler), sel);
    }

    /// selectorToFacet and facetToSelectors describe the same routing, facets are unique and
    /// non-empty, and all selectors of a facet share one freezability.
    function invariant_SelectorBookkeepingIsABijection() public view {
        Facet[] memory fs = chain.facets();
        uint256 total;
        for (uint256 i = 0; i < fs.length; ++i) {
            vm.assertTrue(fs[i].selectors.length > 0, "no empty facet listed");
            for (uint256 k = 0; k < i; ++k) {
                vm.assertTrue(fs[k].addr != fs[i].addr, "facet listed once");
            }
            bool freezable = chain.isFunctionFreezable(fs[i].selectors[0]);
            for (uint256 j = 0; j < fs[i].selectors.length; ++j) {
                vm.assertEq(chain.facetAddress(fs[i].selectors[j]), fs[i].addr, "selector routes to its facet");
                vm.assertEq(chain.isFunctionFreezable(fs[i].selectors[j]), freezable, "one freezability per facet");
            }
            total += fs[i].selectors.length;
        }
        // Every pool selector that routes somewhere is listed under that facet (no orphans).
        uint256 routedPool;
        for (uint256 p = 0; p < 16; ++p) {
            address f = chain.facetAddress(handler.selectorAt(p));
            if (f == address(0)) continue;
            ++routedPool;
            bytes4[] memory listed = chain.facetFunctionSelectors(f);
            bool found;
            for (uint256 j = 0; j < listed.length; ++j) {
                if (listed[j] == handler.selectorAt(p)) found = true;
            }
            vm.assertTrue(found, "routed selector listed under its facet");
        }
        vm.assertEq(total, 57 + routedPool, "selector count = suite selectors + routed pool selectors");
    }
}
