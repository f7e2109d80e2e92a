// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MailboxShared} from "./_Shared.t.sol";
import {MerkleHelper} from "../../utils/MerkleHelper.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {L2Log, L2Message} from "../../../src/common/Types.sol";

contract L2LogProofsTest is MailboxShared {
    bytes internal logs;
    uint256 internal batch;
    address internal l2Sender = address(0x1234);

    function setUp() public override {
        super.setUp();
        logs = bytes.concat(
            MerkleHelper.packLog(0, true, 0, address(0x8001), keccak256("tx0"), bytes32(uint256(1))),
            messageLog(2, l2Sender, "hello L1"),
            MerkleHelper.packLog(0, false, 5, address(0xabc), bytes32(uint256(7)), bytes32(uint256(8)))
        );
        batch = executeBatchWithLogs(logs);
    }

    function test_ProveLogInclusion() public view {
        L2Log memory log = L2Log(0, false, 5, address(0xabc), bytes32(uint256(7)), bytes32(uint256(8)));
        vm.assertTrue(chain.proveL2LogInclusion(batch, 2, log, pathOf(logs, 2)), "included");
        log.value = bytes32(uint256(9));
        vm.assertFalse(chain.proveL2LogInclusion(batch, 2, log, pathOf(logs, 2)), "other value not included");
    }

    function test_ProveMessageInclusion() public view {
        L2Message memory m = L2Message(2, l2Sender, "hello L1");
        vm.assertTrue(chain.proveL2MessageInclusion(batch, 1, m, pathOf(logs, 1)), "included");
        m.data = "hello L2";
        vm.assertFalse(chain.proveL2MessageInclusion(batch, 1, m, pathOf(logs, 1)), "other data");
    }

    function test_WrongIndexIsNotIncluded() public view {
        L2Message memory m = L2Message(2, l2Sender, "hello L1");
        vm.assertFalse(chain.proveL2MessageInclusion(batch, 0, m, pathOf(logs, 1)), "wrong index");
    }

    function test_RevertWhen_PathTooShortOrLong() public {
        L2Message memory m = L2Message(2, l2Sender, "hello L1");
        bytes32[] memory path = pathOf(logs, 1);
        bytes32[] memory short = new bytes32[](13);
        for (uint256 i = 0; i < 13; ++i) {
            short[i] = path[i];
        }
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.MerklePathLengthMismatch.selector, 13, 14));
        chain.proveL2MessageInclusion(batch, 1, m, short);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.MerklePathLengthMismatch.selector, 15, 14));
        chain.proveL2MessageInclusion(batch, 1, m, new bytes32[](15));
    }

    function test_RevertWhen_IndexOutOfTree() public {
        L2Message memory m = L2Message(2, l2Sender, "hello L1");
        bytes32[] memory path = pathOf(logs, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.MerkleIndexOutOfBounds.selector, 16_384 + 1));
        chain.proveL2MessageInclusion(batch, 16_384 + 1, m, path);
    }

    function test_RevertWhen_BatchNotExecuted() public {
        L2Message memory m = L2Message(2, l2Sender, "hello L1");
        bytes32[] memory path = pathOf(logs, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.BatchNotExecuted.selector, batch + 1));
        chain.proveL2MessageInclusion(batch + 1, 1, m, path);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.BatchNotExecuted.selector, 0));
        chain.proveL2MessageInclusion(0, 1, m, path);
    }

    function test_RevertWhen_DefaultLeaf() public {
        L2Log memory empty = L2Log(0, false, 0, address(0), bytes32(0), bytes32(0));
        bytes32[] memory path = pathOf(logs, 5);
        vm.expectRevert(IRollupErrors.DefaultLeafNotProvable.selector);
        chain.proveL2LogInclusion(batch, 5, empty, path);
    }

    function test_RevertWhen_StoredRootIsZero() public {
        // Only reachable if a root was never stored; forge's store cheat simulates it.
        bytes32 slot = keccak256(abi.encode(batch, uint256(10)));
        vm.assertEq(vm.load(address(chain), slot), batches[batch].l2LogsTreeRoot, "slot of l2LogsRootHashes[batch]");
        vmStore(address(chain), slot, bytes32(0));
        L2Message memory m = L2Message(2, l2Sender, "hello L1");
        bytes32[] memory path = pathOf(logs, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ZeroLogsRoot.selector, batch));
        chain.proveL2MessageInclusion(batch, 1, m, path);
    }

    function vmStore(address target, bytes32 slot, bytes32 value) internal {
        (bool ok,) = address(vm).call(abi.encodeWithSignature("store(address,bytes32,bytes32)", target, slot, value));
        vm.assertTrue(ok, "store cheat");
    }
}
