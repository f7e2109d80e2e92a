// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../utils/Fixture.sol";
import {IRollupErrors} from "../../src/common/Errors.sol";

contract MailboxFuzzTest is Fixture {
    /// Any payment at or above the base cost plus value is accepted; one wei less is refused.
    function testFuzz_PaymentBoundary(uint256 gasPrice, uint256 gasLimit, uint256 value) public {
        gasPrice = bound(gasPrice, 0, 10_000 gwei);
        gasLimit = bound(gasLimit, 21_000, 72_000_000);
        value = bound(value, 0, 1_000_000 ether);
        vm.txGasPrice(gasPrice);
        uint256 required = chain.l2TransactionBaseCost(gasPrice, gasLimit, 800) + value;
        vm.deal(user, required);
        if (required > 0) {
            vm.expectRevert(abi.encodeWithSelector(IRollupErrors.MsgValueTooLow.selector, required, required - 1));
            vm.prank(user, user);
            chain.requestL2Transaction{value: required - 1}(user, value, "", gasLimit, 800, new bytes[](0), address(0));
        }
        vm.prank(user, user);
        chain.requestL2Transaction{value: required}(user, value, "", gasLimit, 800, new bytes[](0), address(0));
        vm.assertEq(address(chain).balance, required, "held");
    }

    /// The base cost never falls below the minimal L2 gas price times the gas limit.
    function testFuzz_BaseCostFloor(uint256 gasPrice, uint256 gasLimit) public view {
        gasPrice = bound(gasPrice, 0, 1_000_000 gwei);
        gasLimit = bound(gasLimit, 0, 80_000_000);
        vm.assertGe(chain.l2TransactionBaseCost(gasPrice, gasLimit, 800), 250_000_000 * gasLimit, "floor");
    }
}
