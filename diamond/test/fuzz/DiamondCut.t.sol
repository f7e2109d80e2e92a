// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DiamondShared, DummyFacetA} from "../unit/Diamond/_Shared.t.sol";
import {Action, FacetCut} from "../../src/common/Types.sol";
import {IRollupErrors} from "../../src/common/Errors.sol";

contract DiamondCutFuzzTest is DiamondShared {
    /// Any selector not already routed can be added and then removed, leaving the loupe as before.
    function testFuzz_AddThenRemoveRestoresLoupe(bytes4 selector, bool freezable) public {
        vm.assume(chain.facetAddress(selector) == address(0));
        uint256 facetsBefore = chain.facetAddresses().length;
        bytes4[] memory one_ = new bytes4[](1);
        one_[0] = selector;
        upgrade(one(FacetCut(address(facetA), Action.Add, freezable, one_)));
        vm.assertEq(chain.facetAddress(selector), address(facetA), "added");
        vm.assertEq(chain.isFunctionFreezable(selector), freezable, "freezability");
        upgrade(one(FacetCut(address(0), Action.Remove, false, one_)));
        vm.assertEq(chain.facetAddress(selector), address(0), "removed");
        vm.assertEq(chain.facetAddresses().length, facetsBefore, "facet list restored");
    }

    /// Adding a selector that is already routed always reverts.
    function testFuzz_RevertWhen_AddRoutedSelector(uint256 pick) public {
        bytes4[] memory existing = chain.facetFunctionSelectors(address(gettersFacet));
        bytes4 selector = existing[bound(pick, 0, existing.length - 1)];
        bytes4[] memory one_ = new bytes4[](1);
        one_[0] = selector;
        upgradeReverts(
            one(FacetCut(address(facetA), Action.Add, false, one_)),
            abi.encodeWithSelector(IRollupErrors.SelectorAlreadyAdded.selector, selector)
        );
    }
}
