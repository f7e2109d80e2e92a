// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MailboxShared} from "./_Shared.t.sol";
import {IMailbox} from "../../../src/interfaces/IMailbox.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";

/// @dev A receiver that tries to finalize the same withdrawal again while receiving it.
contract ReentrantReceiver {
    IMailbox internal mailbox;
    bytes internal callData;
    bool public reentered;
    bytes public reentryError;

    function arm(IMailbox m, bytes calldata data) external {
        mailbox = m;
        callData = data;
    }

    receive() external payable {
        (bool ok, bytes memory err) = address(mailbox).call(callData);
        reentered = ok;
        reentryError = err;
    }
}

/// @dev A receiver that refuses ETH.
contract RejectingReceiver {
    receive() external payable {
        revert("no");
    }
}

contract FinalizeWithdrawalTest is MailboxShared {
    address internal receiver = makeAddr("receiver");

    function setUp() public override {
        super.setUp();
        deposit(user, 10 ether);
    }

    function withdrawBatch(address to, uint256 amount) internal returns (uint256 batch, bytes memory message, bytes memory logs) {
        message = withdrawalMessage(to, amount);
        logs = messageLog(1, BASE_TOKEN, message);
        batch = executeBatchWithLogs(logs);
    }

    function test_FinalizeSendsEthOnce() public {
        (uint256 batch, bytes memory message, bytes memory logs) = withdrawBatch(receiver, 3 ether);
        bytes32[] memory path = pathOf(logs, 0);
        uint256 held = address(chain).balance;
        vm.expectEmit(address(chain));
        emit IMailbox.EthWithdrawalFinalized(receiver, 3 ether);
        vm.prank(stranger);
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
        vm.assertEq(receiver.balance, 3 ether, "paid to the receiver, whoever calls");
        vm.assertEq(address(chain).balance, held - 3 ether, "diamond paid");
        vm.assertTrue(chain.isEthWithdrawalFinalized(batch, 0), "marked");

        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.WithdrawalAlreadyFinalized.selector, batch, 0));
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
    }

    function test_RevertWhen_ReentrantFinalize() public {
        ReentrantReceiver r = new ReentrantReceiver();
        (uint256 batch, bytes memory message, bytes memory logs) = withdrawBatch(address(r), 1 ether);
        bytes32[] memory path = pathOf(logs, 0);
        r.arm(IMailbox(address(chain)), abi.encodeCall(IMailbox.finalizeEthWithdrawal, (batch, 0, 1, message, path)));
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
        vm.assertFalse(r.reentered(), "second finalize refused");
        vm.assertEq(r.reentryError(), abi.encodeWithSelector(IRollupErrors.Reentrancy.selector), "by the guard");
        vm.assertEq(address(r).balance, 1 ether, "paid once");
    }

    function test_RevertWhen_MessageNotInBatch() public {
        (uint256 batch,, bytes memory logs) = withdrawBatch(receiver, 1 ether);
        bytes memory forged = withdrawalMessage(receiver, 2 ether);
        bytes32[] memory path = pathOf(logs, 0);
        vm.expectRevert(IRollupErrors.WithdrawalNotProven.selector);
        chain.finalizeEthWithdrawal(batch, 0, 1, forged, path);
    }

    function test_RevertWhen_WrongTxNumber() public {
        (uint256 batch, bytes memory message, bytes memory logs) = withdrawBatch(receiver, 1 ether);
        bytes32[] memory path = pathOf(logs, 0);
        vm.expectRevert(IRollupErrors.WithdrawalNotProven.selector);
        chain.finalizeEthWithdrawal(batch, 0, 2, message, path);
    }

    function test_RevertWhen_MessageFromOtherSender() public {
        bytes memory message = withdrawalMessage(receiver, 1 ether);
        bytes memory logs = messageLog(1, address(0xbad), message);
        uint256 batch = executeBatchWithLogs(logs);
        bytes32[] memory path = pathOf(logs, 0);
        vm.expectRevert(IRollupErrors.WithdrawalNotProven.selector);
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
    }

    function test_RevertWhen_MessageMalformed() public {
        (uint256 batch, bytes memory message, bytes memory logs) = withdrawBatch(receiver, 1 ether);
        bytes32[] memory path = pathOf(logs, 0);
        bytes memory wrongSelector = bytes.concat(bytes4(0x12345678), bytes20(receiver), bytes32(uint256(1 ether)));
        vm.expectRevert(IRollupErrors.InvalidWithdrawalMessage.selector);
        chain.finalizeEthWithdrawal(batch, 0, 1, wrongSelector, path);
        vm.expectRevert(IRollupErrors.InvalidWithdrawalMessage.selector);
        chain.finalizeEthWithdrawal(batch, 0, 1, bytes.concat(message, hex"00"), path);
    }

    function test_RevertWhen_TransferFails() public {
        RejectingReceiver r = new RejectingReceiver();
        (uint256 batch, bytes memory message, bytes memory logs) = withdrawBatch(address(r), 1 ether);
        bytes32[] memory path = pathOf(logs, 0);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.WithdrawalTransferFailed.selector, address(r), 1 ether));
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
        vm.assertFalse(chain.isEthWithdrawalFinalized(batch, 0), "still claimable");
    }

    function test_RevertWhen_WithdrawalBatchNotExecuted() public {
        bytes memory message = withdrawalMessage(receiver, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.BatchNotExecuted.selector, 1));
        chain.finalizeEthWithdrawal(1, 0, 1, message, new bytes32[](14));
    }
}
