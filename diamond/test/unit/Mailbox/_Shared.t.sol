// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../../utils/Fixture.sol";
import {MerkleHelper} from "../../utils/MerkleHelper.sol";
import {IMailbox} from "../../../src/interfaces/IMailbox.sol";
import {CommitBatchInfo, L2Log, L2Message} from "../../../src/common/Types.sol";

abstract contract MailboxShared is Fixture {
    address internal constant MESSENGER = address(0x8008);
    address internal constant BASE_TOKEN = address(0x800a);

    /// @dev The L1 messenger's log for a message from `sender`.
    function messageLog(uint16 txNum, address sender, bytes memory data) internal pure returns (bytes memory) {
        return MerkleHelper.packLog(0, true, txNum, MESSENGER, bytes32(uint256(uint160(sender))), keccak256(data));
    }

    function withdrawalMessage(address receiver, uint256 amount) internal pure returns (bytes memory) {
        return abi.encodePacked(IMailbox.finalizeEthWithdrawal.selector, receiver, amount);
    }

    /// @dev Commits, proves and executes one batch carrying `logs`; returns its number.
    function executeBatchWithLogs(bytes memory logs) internal returns (uint256 batchNumber) {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.l2Logs = logs;
        commitOne(c);
        batchNumber = c.batchNumber;
        proveUpTo(batchNumber);
        executeUpTo(batchNumber);
    }

    function pathOf(bytes memory logs, uint256 index) internal pure returns (bytes32[] memory path) {
        (, path) = MerkleHelper.rootAndPath(MerkleHelper.leavesOf(logs), index);
    }
}
