// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L2Shared} from "./_Shared.t.sol";
import {L1Messenger} from "../../../src/l2/L1Messenger.sol";

contract L1MessengerTest is L2Shared {
    function test_SendToL1EmitsAndReturnsTheHash() public {
        bytes memory message = "hello L1";
        vm.expectEmit(MESSENGER);
        emit L1Messenger.L1MessageSent(l2Sender, keccak256(message), message);
        vm.prank(l2Sender);
        bytes32 hash = messenger.sendToL1(message);
        vm.assertEq(hash, keccak256(message), "returns keccak256(message)");
    }

    function test_SendEmptyMessage() public {
        vm.expectEmit(MESSENGER);
        emit L1Messenger.L1MessageSent(l2Sender, keccak256(""), "");
        vm.prank(l2Sender);
        vm.assertEq(messenger.sendToL1(""), keccak256(""), "hash of nothing");
    }

    /// Genesis gives it code and nothing else: it must not read or write storage.
    function test_SendToL1TouchesNoStorage() public {
        vm.record();
        messenger.sendToL1("hello L1");
        (bytes32[] memory reads, bytes32[] memory writes) = vm.accesses(MESSENGER);
        vm.assertEq(reads.length, 0, "no reads");
        vm.assertEq(writes.length, 0, "no writes");
    }
}
