// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdminShared} from "./_Shared.t.sol";
import {IAdmin} from "../../../src/interfaces/IAdmin.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";

contract RolesTest is AdminShared {
    function test_TwoStepGovernorTransfer() public {
        address next = makeAddr("next governor");
        vm.expectEmit(address(chain));
        emit IAdmin.NewPendingGovernor(address(0), next);
        vm.prank(governor);
        chain.setPendingGovernor(next);
        vm.assertEq(chain.getGovernor(), governor, "not yet");
        vm.assertEq(chain.getPendingGovernor(), next, "pending");

        vm.expectEmit(address(chain));
        emit IAdmin.NewGovernor(governor, next);
        vm.prank(next);
        chain.acceptGovernor();
        vm.assertEq(chain.getGovernor(), next, "transferred");
        vm.assertEq(chain.getPendingGovernor(), address(0), "pending cleared");

        vm.expectRevert(notGovernor(governor));
        vm.prank(governor);
        chain.setPendingGovernor(governor);
    }

    /// An admin the old governor proposed cannot take the role once the governor has changed.
    function test_GovernorRotationClearsThePendingAdmin() public {
        address next = makeAddr("next governor");
        address proposed = makeAddr("admin proposed by the old governor");
        vm.startPrank(governor);
        chain.setPendingAdmin(proposed);
        chain.setPendingGovernor(next);
        vm.stopPrank();
        vm.expectEmit(address(chain));
        emit IAdmin.NewPendingAdmin(proposed, address(0));
        vm.prank(next);
        chain.acceptGovernor();
        vm.assertEq(chain.getPendingAdmin(), address(0), "pending admin cleared");
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotPendingRole.selector, proposed));
        vm.prank(proposed);
        chain.acceptAdmin();
        vm.assertEq(chain.getAdmin(), admin, "admin unchanged");
    }

    function test_RevertWhen_AcceptGovernorByOther() public {
        address next = makeAddr("next governor");
        vm.prank(governor);
        chain.setPendingGovernor(next);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotPendingRole.selector, stranger));
        vm.prank(stranger);
        chain.acceptGovernor();
    }

    function test_RevertWhen_AcceptGovernorWithNonePending() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotPendingRole.selector, address(0)));
        vm.prank(address(0));
        chain.acceptGovernor();
    }

    function test_RevertWhen_SetPendingGovernorByAdmin() public {
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.setPendingGovernor(admin);
    }

    function test_TwoStepAdminTransfer() public {
        address next = makeAddr("next admin");
        vm.prank(governor);
        chain.setPendingAdmin(next);
        vm.assertEq(chain.getPendingAdmin(), next, "pending");
        vm.expectEmit(address(chain));
        emit IAdmin.NewAdmin(admin, next);
        vm.prank(next);
        chain.acceptAdmin();
        vm.assertEq(chain.getAdmin(), next, "transferred");
        vm.assertEq(chain.getPendingAdmin(), address(0), "pending cleared");
    }

    function test_RevertWhen_SetPendingAdminByAdmin() public {
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.setPendingAdmin(stranger);
    }

    function test_RevertWhen_AcceptAdminByOther() public {
        vm.prank(governor);
        chain.setPendingAdmin(makeAddr("next admin"));
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotPendingRole.selector, stranger));
        vm.prank(stranger);
        chain.acceptAdmin();
    }

    function test_SetValidatorByGovernor() public {
        vm.expectEmit(address(chain));
        emit IAdmin.ValidatorStatusUpdate(stranger, true);
        vm.prank(governor);
        chain.setValidator(stranger, true);
        vm.assertTrue(chain.isValidator(stranger), "added by governor");
        vm.prank(governor);
        chain.setValidator(stranger, false);
        vm.assertFalse(chain.isValidator(stranger), "removed by governor");
    }

    /// The admin key alone cannot appoint a validator (who could then commit what it likes).
    function test_RevertWhen_SetValidatorByAdmin() public {
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.setValidator(admin, true);
        vm.assertFalse(chain.isValidator(admin), "not appointed");
    }

    function test_RevertWhen_SetValidatorByStranger() public {
        vm.expectRevert(notGovernor(stranger));
        vm.prank(stranger);
        chain.setValidator(stranger, true);
    }

    function test_RevertWhen_SetValidatorByValidator() public {
        vm.expectRevert(notGovernor(validator));
        vm.prank(validator);
        chain.setValidator(stranger, true);
    }

    function test_RevertWhen_SetZeroValidator() public {
        vm.expectRevert(IRollupErrors.ZeroAddress.selector);
        vm.prank(governor);
        chain.setValidator(address(0), true);
    }
}
