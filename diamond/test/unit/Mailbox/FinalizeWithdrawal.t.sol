// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MailboxShared} from "./_Shared.t.sol";
import {IMailbox} from "../../../src/interfaces/IMailbox.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {L1Messenger} from "../../../src/l2/L1Messenger.sol";
import {L2BaseToken} from "../../../src/l2/L2BaseToken.sol";
import {MerkleHelper} from "../../utils/MerkleHelper.sol";
import {VmLog} from "../../utils/Test.sol";

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
        emit IMailbox.EthWithdrawalFinalized(receiver, 3 ether, batch, 0);
        vm.prank(stranger);
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
        vm.assertEq(receiver.balance, 3 ether, "paid to the receiver, whoever calls");
        vm.assertEq(address(chain).balance, held - 3 ether, "diamond paid");
        vm.assertTrue(chain.isEthWithdrawalFinalized(batch, 0), "marked");

        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.WithdrawalAlreadyFinalized.selector, batch, 0));
        chain.finalizeEthWithdrawal(batch, 0, 1, message, path);
    }

    /// The L2 half with the L1 half: `L2BaseToken.withdraw` on the genesis code, its messenger log
    /// turned into the L2->L1 log as the node does, then finalized on L1.
    function test_FinalizeWithdrawalSentByL2BaseToken() public {
        vm.etch(MESSENGER, type(L1Messenger).runtimeCode);
        vm.etch(BASE_TOKEN, type(L2BaseToken).runtimeCode);
        address l2Sender = makeAddr("l2Sender");
        vm.deal(l2Sender, 2 ether);
        vm.recordLogs();
        vm.prank(l2Sender);
        L2BaseToken(BASE_TOKEN).withdraw{value: 2 ether}(receiver);

        VmLog[] memory recorded = vm.getRecordedLogs();
        bytes memory logs;
        bytes memory message;
        for (uint256 i = 0; i < recorded.length; ++i) {
            if (recorded[i].emitter == MESSENGER && recorded[i].topics[0] == L1Messenger.L1MessageSent.selector) {
                vm.assertEq(logs.length, 0, "one message");
                logs = MerkleHelper.packLog(0, true, 1, MESSENGER, recorded[i].topics[1], recorded[i].topics[2]);
                message = abi.decode(recorded[i].data, (bytes));
            }
        }
        uint256 batch = executeBatchWithLogs(logs);
        chain.finalizeEthWithdrawal(batch, 0, 1, message, pathOf(logs, 0));
        vm.assertEq(receiver.balance, 2 ether, "paid on L1");
        vm.assertTrue(chain.isEthWithdrawalFinalized(batch, 0), "marked");
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
