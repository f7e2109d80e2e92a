// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L2Shared} from "./_Shared.t.sol";
import {L1Messenger} from "../../../src/l2/L1Messenger.sol";
import {L2BaseToken} from "../../../src/l2/L2BaseToken.sol";

contract L2BaseTokenTest is L2Shared {
    /// @dev The message `MailboxFacet.finalizeEthWithdrawal` parses, spelled out independently.
    function expectedMessage(address receiver, uint256 amount) internal pure returns (bytes memory) {
        bytes4 selector = bytes4(keccak256("finalizeEthWithdrawal(uint256,uint256,uint16,bytes,bytes32[])"));
        return bytes.concat(selector, bytes20(receiver), bytes32(amount));
    }

    function test_WithdrawSendsTheMessageAndKeepsTheEth() public {
        vm.deal(l2Sender, 5 ether);
        bytes memory message = expectedMessage(l1Receiver, 2 ether);
        vm.assertEq(message.length, 56, "selector 4 + receiver 20 + amount 32");
        vm.expectEmit(MESSENGER);
        emit L1Messenger.L1MessageSent(BASE_TOKEN, keccak256(message), message);
        vm.expectEmit(BASE_TOKEN);
        emit L2BaseToken.Withdrawal(l2Sender, l1Receiver, 2 ether);
        vm.prank(l2Sender);
        baseToken.withdraw{value: 2 ether}(l1Receiver);
        vm.assertEq(BASE_TOKEN.balance, 2 ether, "held by 0x800a until the node burns it");
        vm.assertEq(l2Sender.balance, 3 ether, "taken from the sender");
    }

    function test_WithdrawTouchesNoStorage() public {
        vm.deal(l2Sender, 1 ether);
        vm.record();
        vm.prank(l2Sender);
        baseToken.withdraw{value: 1 ether}(l1Receiver);
        (bytes32[] memory reads, bytes32[] memory writes) = vm.accesses(BASE_TOKEN);
        vm.assertEq(reads.length + writes.length, 0, "base token storage untouched");
        (reads, writes) = vm.accesses(MESSENGER);
        vm.assertEq(reads.length + writes.length, 0, "messenger storage untouched");
    }

    function test_BalanceOfIsTheNativeBalance() public {
        vm.deal(l2Sender, 7 ether);
        vm.assertEq(baseToken.balanceOf(l2Sender), 7 ether, "native balance");
        vm.assertEq(baseToken.balanceOf(address(0xdead)), 0, "empty account");
    }

    function test_RevertWhen_WithdrawingNothing() public {
        vm.expectRevert(abi.encodeWithSelector(L2BaseToken.ZeroWithdrawalAmount.selector));
        vm.prank(l2Sender);
        baseToken.withdraw(l1Receiver);
    }

    /// No receive or fallback: ETH sent by mistake is refused, not burned.
    function test_RevertWhen_PlainTransfer() public {
        vm.deal(l2Sender, 1 ether);
        vm.prank(l2Sender);
        (bool ok,) = BASE_TOKEN.call{value: 1 ether}("");
        vm.assertFalse(ok, "plain transfer refused");
        vm.prank(l2Sender);
        (ok,) = BASE_TOKEN.call{value: 1 ether}(hex"12345678");
        vm.assertFalse(ok, "unknown selector refused");
        vm.assertEq(BASE_TOKEN.balance, 0, "nothing kept");
    }

    /// A genesis without the messenger must not take ETH for a message it cannot send.
    function test_RevertWhen_MessengerMissing() public {
        vm.etch(MESSENGER, "");
        vm.deal(l2Sender, 1 ether);
        vm.expectRevert();
        vm.prank(l2Sender);
        baseToken.withdraw{value: 1 ether}(l1Receiver);
    }
}
