// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MailboxShared} from "./_Shared.t.sol";
import {IMailbox} from "../../../src/interfaces/IMailbox.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {L2CanonicalTransaction, PriorityOperation} from "../../../src/common/Types.sol";
import {VmLog} from "../../utils/Test.sol";

/// @dev Calls the Mailbox from a contract, to exercise sender aliasing.
contract L1Caller {
    function request(IMailbox mailbox, address refund) external payable returns (bytes32) {
        return mailbox.requestL2Transaction{value: msg.value}(address(0xbeef), 0, "", 300_000, 800, new bytes[](0), refund);
    }
}

contract RequestL2TransactionTest is MailboxShared {
    uint256 internal constant GAS = 300_000;

    function setUp() public override {
        super.setUp();
        vm.txGasPrice(20 gwei);
    }

    function baseCost() internal view returns (uint256) {
        return chain.l2TransactionBaseCost(20 gwei, GAS, 800);
    }

    function lastRequest() internal returns (L2CanonicalTransaction memory l2Tx, bytes32 txHash, uint256 txId) {
        VmLog[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == IMailbox.NewPriorityRequest.selector) {
                uint64 expiration;
                bytes[] memory deps;
                (txId, txHash, expiration, l2Tx, deps) =
                    abi.decode(logs[i].data, (uint256, bytes32, uint64, L2CanonicalTransaction, bytes[]));
            }
        }
    }

    function test_DepositQueuesCanonicalTransaction() public {
        uint256 cost = baseCost();
        vm.deal(user, cost + 1 ether);
        vm.recordLogs();
        vm.prank(user, user);
        bytes32 returned = chain.requestL2Transaction{value: cost + 1 ether}(
            stranger, 1 ether, hex"c0ffee", GAS, 800, new bytes[](0), address(0)
        );
        (L2CanonicalTransaction memory l2Tx, bytes32 txHash, uint256 txId) = lastRequest();
        vm.assertEq(txId, 0, "first id");
        vm.assertEq(txHash, returned, "hash returned");
        vm.assertEq(txHash, keccak256(abi.encode(l2Tx)), "canonical hash of the event's transaction");
        vm.assertEq(l2Tx.txType, 255, "priority type");
        vm.assertEq(l2Tx.from, uint256(uint160(user)), "EOA not aliased");
        vm.assertEq(l2Tx.to, uint256(uint160(stranger)), "target");
        vm.assertEq(l2Tx.value, 1 ether, "l2 value");
        vm.assertEq(l2Tx.reserved[0], cost + 1 ether, "all of msg.value minted");
        vm.assertEq(l2Tx.reserved[1], uint256(uint160(user)), "refund to sender");
        vm.assertEq(l2Tx.data, hex"c0ffee", "calldata");
        vm.assertEq(l2Tx.maxFeePerGas * GAS, cost, "gas price times limit is the base cost");
        PriorityOperation memory op = chain.priorityQueueFrontOperation();
        vm.assertEq(op.canonicalTxHash, txHash, "queued");
        vm.assertEq(op.expirationTimestamp, block.timestamp + DEADLINE, "deadline");
        vm.assertEq(chain.getTotalPriorityTxs(), 1, "tail");
        vm.assertEq(address(chain).balance, cost + 1 ether, "ETH held by the diamond");
    }

    function test_ContractSenderIsAliased() public {
        L1Caller caller = new L1Caller();
        uint256 cost = baseCost();
        vm.deal(address(this), cost);
        vm.recordLogs();
        caller.request{value: cost}(IMailbox(address(chain)), address(0));
        (L2CanonicalTransaction memory l2Tx,,) = lastRequest();
        uint160 alias_ = uint160(address(caller)) + uint160(0x1111000000000000000000000000000000001111);
        vm.assertEq(l2Tx.from, uint256(alias_), "sender aliased");
        vm.assertEq(l2Tx.reserved[1], uint256(alias_), "default refund is the aliased sender");
    }

    function test_RefundRecipientWithCodeIsAliased() public {
        L1Caller caller = new L1Caller();
        uint256 cost = baseCost();
        vm.deal(user, cost);
        vm.recordLogs();
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost}(address(1), 0, "", GAS, 800, new bytes[](0), address(caller));
        (L2CanonicalTransaction memory l2Tx,,) = lastRequest();
        uint160 alias_ = uint160(address(caller)) + uint160(0x1111000000000000000000000000000000001111);
        vm.assertEq(l2Tx.reserved[1], uint256(alias_), "contract refund recipient aliased");
    }

    function test_IdsIncrease() public {
        deposit(user, 1);
        deposit(user, 2);
        vm.assertEq(chain.getTotalPriorityTxs(), 2, "two requests");
        vm.assertEq(chain.getPriorityOperation(1).expirationTimestamp, block.timestamp + DEADLINE, "second queued");
    }

    function test_RevertWhen_UnderPaid() public {
        uint256 cost = baseCost();
        vm.deal(user, cost + 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.MsgValueTooLow.selector, cost + 1 ether, cost + 1 ether - 1));
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost + 1 ether - 1}(user, 1 ether, "", GAS, 800, new bytes[](0), address(0));
    }

    function test_RevertWhen_WrongGasPerPubdata() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidGasPerPubdata.selector, 799));
        chain.requestL2Transaction(user, 0, "", GAS, 799, new bytes[](0), address(0));
    }

    function test_RevertWhen_TooMuchGas() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.TooMuchGas.selector, 72_000_001, 72_000_000));
        chain.requestL2Transaction(user, 0, "", 72_000_001, 800, new bytes[](0), address(0));
    }

    /// @dev Gives `user` exactly the base cost of a request with `gasLimit` and no L2 value.
    function fund(uint256 gasLimit) internal returns (uint256 cost) {
        cost = chain.l2TransactionBaseCost(20 gwei, gasLimit, 800);
        vm.deal(user, cost);
    }

    /// Prague's intrinsic gas with EIP-7623's floor is at most 21,000 + 40 per byte (4 tokens of
    /// 10 gas per non-zero byte), above EIP-2028's 16: a request between the two could never run.
    function test_RevertWhen_GasBelowIntrinsicFloor() public {
        uint256 cost = fund(21_159);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotEnoughGas.selector, 21_159, 21_160));
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost}(user, 0, hex"01020304", 21_159, 800, new bytes[](0), address(0));
    }

    function test_AcceptsExactMinimumGas() public {
        uint256 cost = fund(21_160);
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost}(user, 0, hex"01020304", 21_160, 800, new bytes[](0), address(0));
        vm.assertEq(chain.getTotalPriorityTxs(), 1, "queued");
    }

    function test_AcceptsLongestCalldataAtItsMinimumGas() public {
        uint256 gasLimit = 21_000 + 40 * 120_000;
        uint256 cost = fund(gasLimit);
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost}(user, 0, new bytes(120_000), gasLimit, 800, new bytes[](0), address(0));
        vm.assertEq(chain.getTotalPriorityTxs(), 1, "queued");
    }

    function test_RevertWhen_TargetIsZeroAddress() public {
        uint256 cost = fund(GAS);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.L2CreationNotSupported.selector));
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost}(address(0), 0, hex"6000", GAS, 800, new bytes[](0), address(0));
    }

    function test_RevertWhen_CalldataTooLong() public {
        uint256 gasLimit = 21_000 + 40 * 120_001;
        uint256 cost = fund(gasLimit);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.CalldataTooLong.selector, 120_001, 120_000));
        vm.prank(user, user);
        chain.requestL2Transaction{value: cost}(user, 0, new bytes(120_001), gasLimit, 800, new bytes[](0), address(0));
    }

    function test_RevertWhen_FactoryDepsGiven() public {
        vm.expectRevert(IRollupErrors.FactoryDepsNotSupported.selector);
        chain.requestL2Transaction(user, 0, "", GAS, 800, new bytes[](1), address(0));
    }

    function test_BaseCostFollowsEraFormula() public view {
        // Rollup mode, 20 gwei: pubdata price 17 * 20 gwei = 340 gwei, overhead 1e6 * 20 gwei;
        // full pubdata price = 340 gwei + 2e16 / 120000; per gas = ceil(that / 800);
        // execution price = 0.25 gwei + 2e16 / 8e7. The larger of the two, times the gas limit.
        uint256 overhead = 1_000_000 * 20 gwei;
        uint256 fullPubdata = 17 * 20 gwei + overhead / 120_000;
        uint256 pubdataPerGas = (fullPubdata + 799) / 800;
        uint256 exec = 250_000_000 + overhead / 80_000_000;
        uint256 price = exec > pubdataPerGas ? exec : pubdataPerGas;
        vm.assertEq(chain.l2TransactionBaseCost(20 gwei, GAS, 800), price * GAS, "formula");
    }

    function test_RevertWhen_BaseCostWithZeroGasPerPubdata() public {
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.InvalidGasPerPubdata.selector, 0));
        chain.l2TransactionBaseCost(1 gwei, GAS, 0);
    }
}
