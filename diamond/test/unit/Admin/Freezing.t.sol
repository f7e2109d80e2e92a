// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdminShared} from "./_Shared.t.sol";
import {IAdmin} from "../../../src/interfaces/IAdmin.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IMailbox} from "../../../src/interfaces/IMailbox.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {CommitBatchInfo} from "../../../src/common/Types.sol";

contract FreezingTest is AdminShared {
    function freeze() internal {
        vm.expectEmit(address(chain));
        emit IAdmin.Freeze();
        vm.prank(governor);
        chain.freezeDiamond();
    }

    function test_FreezeBlocksFreezableSelectorsOnly() public {
        freeze();
        vm.assertTrue(chain.isDiamondStorageFrozen(), "frozen");

        CommitBatchInfo[] memory list = new CommitBatchInfo[](1);
        list[0] = nextCommit(lastBatch());
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.DiamondFrozen.selector, IExecutor.commitBatches.selector));
        vm.prank(validator);
        chain.commitBatches(lastBatch(), list);

        vm.expectRevert(
            abi.encodeWithSelector(IRollupErrors.DiamondFrozen.selector, IMailbox.requestL2Transaction.selector)
        );
        chain.requestL2Transaction(user, 0, "", 300_000, 800, new bytes[](0), address(0));

        vm.expectRevert(
            abi.encodeWithSelector(IRollupErrors.DiamondFrozen.selector, IMailbox.l2TransactionBaseCost.selector)
        );
        chain.l2TransactionBaseCost(1, 1, 800);

        // Getters and Admin keep answering.
        vm.assertEq(chain.getGovernor(), governor, "getters answer");
        vm.prank(governor);
        chain.setValidator(stranger, true);
        vm.assertTrue(chain.isValidator(stranger), "admin works while frozen");
    }

    function test_UnfreezeRestoresAccess() public {
        freeze();
        vm.expectEmit(address(chain));
        emit IAdmin.Unfreeze();
        vm.prank(governor);
        chain.unfreezeDiamond();
        vm.assertFalse(chain.isDiamondStorageFrozen(), "unfrozen");
        commitOne(nextCommit(lastBatch()));
        vm.assertEq(chain.getTotalBatchesCommitted(), 1, "executor works again");
    }

    function test_RevertWhen_FreezeTwice() public {
        freeze();
        vm.expectRevert(IRollupErrors.DiamondAlreadyFrozen.selector);
        vm.prank(governor);
        chain.freezeDiamond();
    }

    function test_RevertWhen_UnfreezeNotFrozen() public {
        vm.expectRevert(IRollupErrors.DiamondNotFrozen.selector);
        vm.prank(governor);
        chain.unfreezeDiamond();
    }

    /// Either role can stop the chain at once.
    function test_FreezeByAdmin() public {
        vm.prank(admin);
        chain.freezeDiamond();
        vm.assertTrue(chain.isDiamondStorageFrozen(), "frozen by the admin");
    }

    function test_RevertWhen_FreezeByStranger() public {
        vm.expectRevert(notGovernorOrAdmin(stranger));
        vm.prank(stranger);
        chain.freezeDiamond();
    }

    /// The admin cannot lift a freeze, its own or the governor's.
    function test_RevertWhen_UnfreezeByAdmin() public {
        freeze();
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.unfreezeDiamond();
        vm.assertTrue(chain.isDiamondStorageFrozen(), "still frozen");
    }

    function test_RevertWhen_UnfreezeByStranger() public {
        freeze();
        vm.expectRevert(notGovernor(stranger));
        vm.prank(stranger);
        chain.unfreezeDiamond();
    }
}
