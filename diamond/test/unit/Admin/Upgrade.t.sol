// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdminShared} from "./_Shared.t.sol";
import {IAdmin} from "../../../src/interfaces/IAdmin.sol";
import {IGetters} from "../../../src/interfaces/IGetters.sol";
import {Action, DiamondCutData, FacetCut} from "../../../src/common/Types.sol";

/// @dev A facet that takes over the protocol version getter, to see the swap.
contract GettersV2 {
    function getProtocolVersion() external pure returns (uint256) {
        return 2;
    }
}

contract UpgradeTest is AdminShared {
    function replaceGetters(address facet) internal pure returns (DiamondCutData memory d) {
        FacetCut[] memory cuts = new FacetCut[](1);
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = IGetters.getProtocolVersion.selector;
        cuts[0] = FacetCut(facet, Action.Replace, false, selectors);
        d = DiamondCutData({facetCuts: cuts, initAddress: address(0), initCalldata: ""});
    }

    function test_ExecuteUpgradeReplacesFacet() public {
        GettersV2 v2 = new GettersV2();
        DiamondCutData memory d = replaceGetters(address(v2));
        vm.expectEmit(address(chain));
        emit IAdmin.ExecuteUpgrade(d);
        vm.prank(governor);
        chain.executeUpgrade(d);
        vm.assertEq(chain.getProtocolVersion(), 2, "new facet answers");
        vm.assertEq(chain.facetAddress(IGetters.getProtocolVersion.selector), address(v2), "loupe updated");
        vm.assertEq(chain.facetAddress(IGetters.getGovernor.selector), address(gettersFacet), "others stay");
        vm.assertEq(chain.getGovernor(), governor, "storage kept");
    }

    function test_UpgradeWorksWhileFrozen() public {
        vm.prank(governor);
        chain.freezeDiamond();
        GettersV2 v2 = new GettersV2();
        DiamondCutData memory d = replaceGetters(address(v2));
        vm.prank(governor);
        chain.executeUpgrade(d);
        vm.assertEq(chain.getProtocolVersion(), 2, "upgraded while frozen");
    }

    function test_RevertWhen_UpgradeByAdmin() public {
        DiamondCutData memory d = replaceGetters(address(gettersFacet));
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.executeUpgrade(d);
    }
}
