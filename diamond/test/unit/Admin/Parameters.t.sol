// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdminShared} from "./_Shared.t.sol";
import {IAdmin} from "../../../src/interfaces/IAdmin.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {FeeParams, PubdataPricingMode} from "../../../src/common/Types.sol";

contract ParametersTest is AdminShared {
    function test_SetPriorityTxMaxGasLimit() public {
        vm.expectEmit(address(chain));
        emit IAdmin.NewPriorityTxMaxGasLimit(72_000_000, 80_000_000);
        vm.prank(governor);
        chain.setPriorityTxMaxGasLimit(80_000_000);
        vm.assertEq(chain.getPriorityTxMaxGasLimit(), 80_000_000, "set at the bound");
    }

    function test_RevertWhen_PriorityTxMaxGasLimitTooHigh() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRollupErrors.PriorityTxMaxGasLimitTooHigh.selector, 80_000_001, 80_000_000)
        );
        vm.prank(governor);
        chain.setPriorityTxMaxGasLimit(80_000_001);
    }

    function test_RevertWhen_SetPriorityTxMaxGasLimitByAdmin() public {
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.setPriorityTxMaxGasLimit(1);
    }

    function test_ChangeFeeParams() public {
        FeeParams memory p = defaultFeeParams();
        p.pubdataPricingMode = PubdataPricingMode.Validium;
        p.minimalL2GasPrice = 1;
        vm.prank(governor);
        chain.changeFeeParams(p);
        FeeParams memory got = chain.getFeeParams();
        vm.assertTrue(got.pubdataPricingMode == PubdataPricingMode.Validium, "mode");
        vm.assertEq(got.minimalL2GasPrice, 1, "min gas price");
    }

    function test_RevertWhen_FeeParamsInconsistent() public {
        FeeParams memory p = defaultFeeParams();
        p.priorityTxMaxPubdata = p.maxPubdataPerBatch + 1;
        vm.expectRevert(IRollupErrors.InvalidFeeParams.selector);
        vm.prank(governor);
        chain.changeFeeParams(p);
        p = defaultFeeParams();
        p.maxL2GasPerBatch = 0;
        vm.expectRevert(IRollupErrors.InvalidFeeParams.selector);
        vm.prank(governor);
        chain.changeFeeParams(p);
    }

    function test_RevertWhen_ChangeFeeParamsByStranger() public {
        FeeParams memory p = defaultFeeParams();
        vm.expectRevert(notGovernor(stranger));
        vm.prank(stranger);
        chain.changeFeeParams(p);
    }

    function test_SetExecutionDelay() public {
        vm.expectEmit(address(chain));
        emit IAdmin.NewExecutionDelay(0, 30 days);
        vm.prank(governor);
        chain.setExecutionDelay(30 days);
        vm.assertEq(chain.getExecutionDelay(), 30 days, "delay");
    }

    function test_RevertWhen_ExecutionDelayTooLong() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ExecutionDelayTooLong.selector, 30 days + 1, 30 days));
        vm.prank(governor);
        chain.setExecutionDelay(30 days + 1);
    }

    /// Shortening the window in which a bad batch can be frozen takes an upgrade (timelocked).
    function test_RevertWhen_ExecutionDelayLowered() public {
        vm.prank(governor);
        chain.setExecutionDelay(3 hours);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ExecutionDelayDecrease.selector, 3 hours, 3 hours - 1));
        vm.prank(governor);
        chain.setExecutionDelay(3 hours - 1);
        vm.prank(governor);
        chain.setExecutionDelay(3 hours);
        vm.assertEq(chain.getExecutionDelay(), 3 hours, "unchanged by an equal value");
    }

    function test_RevertWhen_SetExecutionDelayByAdmin() public {
        vm.expectRevert(notGovernor(admin));
        vm.prank(admin);
        chain.setExecutionDelay(1);
    }

    function test_SetPriorityTxDeadlineBounds() public {
        vm.startPrank(governor);
        chain.setPriorityTxDeadline(1 hours);
        vm.assertEq(chain.getPriorityTxDeadline(), 1 hours, "min");
        chain.setPriorityTxDeadline(30 days);
        vm.assertEq(chain.getPriorityTxDeadline(), 30 days, "max");
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.PriorityTxDeadlineOutOfRange.selector, 1 hours - 1));
        chain.setPriorityTxDeadline(1 hours - 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.PriorityTxDeadlineOutOfRange.selector, 30 days + 1));
        chain.setPriorityTxDeadline(30 days + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_SetPriorityTxDeadlineByStranger() public {
        vm.expectRevert(notGovernor(stranger));
        vm.prank(stranger);
        chain.setPriorityTxDeadline(1 days);
    }
}
