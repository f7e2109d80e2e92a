// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdminShared} from "./_Shared.t.sol";
import {IAdmin} from "../../../src/interfaces/IAdmin.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
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
        proposeAndWait(d);
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
        proposeAndWait(d);
        vm.prank(governor);
        chain.executeUpgrade(d);
        vm.assertEq(chain.getProtocolVersion(), 2, "upgraded while frozen");
    }

    function test_RevertWhen_UpgradeByAdmin() public {
        DiamondCutData memory d = replaceGetters(address(gettersFacet));
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.proposeUpgrade(d);
        proposeAndWait(d);
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.executeUpgrade(d);
    }

    /// No upgrade lands before `upgradeDelay` has passed since it was proposed.
    function test_RevertWhen_UpgradeBeforeItsDelay() public {
        DiamondCutData memory d = replaceGetters(address(new GettersV2()));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.UpgradeNotProposed.selector, keccak256(abi.encode(d)), 0));
        vm.prank(governor);
        chain.executeUpgrade(d);

        uint256 readyAt = block.timestamp + UPGRADE_DELAY;
        vm.expectEmit(address(chain));
        emit IAdmin.UpgradeProposed(keccak256(abi.encode(d)), readyAt, d);
        vm.prank(governor);
        chain.proposeUpgrade(d);
        (bytes32 cutHash, uint256 at) = chain.getProposedUpgrade();
        vm.assertEq(cutHash, keccak256(abi.encode(d)), "proposed hash");
        vm.assertEq(at, readyAt, "ready at");
        vm.assertEq(chain.getUpgradeDelay(), UPGRADE_DELAY, "delay");

        vm.warp(readyAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.UpgradeNotReady.selector, readyAt));
        vm.prank(governor);
        chain.executeUpgrade(d);
        vm.warp(readyAt);
        vm.prank(governor);
        chain.executeUpgrade(d);
        vm.assertEq(chain.getProtocolVersion(), 2, "executed once ready");
        (cutHash,) = chain.getProposedUpgrade();
        vm.assertEq(cutHash, bytes32(0), "proposal consumed");
    }

    /// Only the proposed cut can be executed, and a cancelled one not at all.
    function test_RevertWhen_ExecutingAnotherCutOrACancelledOne() public {
        DiamondCutData memory d = replaceGetters(address(new GettersV2()));
        DiamondCutData memory other = replaceGetters(address(gettersFacet));
        proposeAndWait(d);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.UpgradeNotProposed.selector, keccak256(abi.encode(other)), keccak256(abi.encode(d))
            )
        );
        vm.prank(governor);
        chain.executeUpgrade(other);

        vm.expectEmit(address(chain));
        emit IAdmin.UpgradeCancelled(keccak256(abi.encode(d)));
        vm.prank(governor);
        chain.cancelUpgrade();
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.UpgradeNotProposed.selector, keccak256(abi.encode(d)), 0));
        vm.prank(governor);
        chain.executeUpgrade(d);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.UpgradeNotProposed.selector, 0, 0));
        vm.prank(governor);
        chain.cancelUpgrade();
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.cancelUpgrade();
    }

    /// A new proposal replaces the last one and restarts the delay.
    function test_ReproposingRestartsTheDelay() public {
        DiamondCutData memory d = replaceGetters(address(new GettersV2()));
        vm.prank(governor);
        chain.proposeUpgrade(d);
        vm.warp(block.timestamp + UPGRADE_DELAY - 1);
        vm.prank(governor);
        chain.proposeUpgrade(d);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.UpgradeNotReady.selector, block.timestamp + UPGRADE_DELAY - 1));
        vm.prank(governor);
        chain.executeUpgrade(d);
    }
}
