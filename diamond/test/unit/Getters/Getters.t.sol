// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../../utils/Fixture.sol";
import {IGetters} from "../../../src/interfaces/IGetters.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IMailbox} from "../../../src/interfaces/IMailbox.sol";
import {IAdmin} from "../../../src/interfaces/IAdmin.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {Facet, FeeParams} from "../../../src/common/Types.sol";

contract GettersTest is Fixture {
    function test_LoupeListsEveryFacetAndSelector() public view {
        Facet[] memory fs = chain.facets();
        vm.assertEq(fs.length, 4, "four facets");
        vm.assertEq(fs[0].addr, address(adminFacet), "admin first");
        vm.assertEq(fs[0].selectors.length, 14, "admin selectors");
        vm.assertEq(fs[1].selectors.length, 34, "getters selectors");
        vm.assertEq(fs[2].selectors.length, 4, "executor selectors");
        vm.assertEq(fs[3].selectors.length, 5, "mailbox selectors");
        address[] memory addrs = chain.facetAddresses();
        for (uint256 i = 0; i < fs.length; ++i) {
            vm.assertEq(addrs[i], fs[i].addr, "facetAddresses matches facets");
            bytes4[] memory sel = chain.facetFunctionSelectors(fs[i].addr);
            vm.assertEq(sel.length, fs[i].selectors.length, "facetFunctionSelectors matches");
            for (uint256 j = 0; j < sel.length; ++j) {
                vm.assertEq(chain.facetAddress(sel[j]), fs[i].addr, "facetAddress routes back");
            }
        }
    }

    function test_Freezability() public view {
        vm.assertFalse(chain.isFacetFreezable(address(adminFacet)), "admin");
        vm.assertFalse(chain.isFacetFreezable(address(gettersFacet)), "getters");
        vm.assertTrue(chain.isFacetFreezable(address(executorFacet)), "executor");
        vm.assertTrue(chain.isFacetFreezable(address(mailboxFacet)), "mailbox");
        vm.assertTrue(chain.isFunctionFreezable(IExecutor.commitBatches.selector), "commit");
        vm.assertTrue(chain.isFunctionFreezable(IMailbox.finalizeEthWithdrawal.selector), "withdraw");
        vm.assertFalse(chain.isFunctionFreezable(IAdmin.unfreezeDiamond.selector), "unfreeze");
        vm.assertFalse(chain.isFunctionFreezable(bytes4(0xdeadbeef)), "unknown selector");
        vm.assertFalse(chain.isFacetFreezable(address(0xdead)), "unknown facet");
        vm.assertEq(chain.facetAddress(bytes4(0xdeadbeef)), address(0), "unknown selector has no facet");
    }

    function test_ParametersAndCounters() public {
        vm.assertEq(chain.getPriorityTxMaxGasLimit(), 72_000_000, "gas limit");
        FeeParams memory p = chain.getFeeParams();
        vm.assertEq(p.maxPubdataPerBatch, 120_000, "fee params");
        vm.assertEq(chain.getExecutionDelay(), 0, "delay");
        vm.assertFalse(chain.isDiamondStorageFrozen(), "not frozen");
        vm.assertEq(chain.getPendingGovernor(), address(0), "no pending governor");
        vm.assertEq(chain.getPendingAdmin(), address(0), "no pending admin");
        vm.assertFalse(chain.isValidator(stranger), "stranger not validator");
        vm.assertEq(chain.getPriorityQueueSize(), 0, "empty queue");
        vm.assertEq(chain.storedBatchHash(1), bytes32(0), "unknown batch");
        vm.assertEq(chain.l2LogsRootHash(0), bytes32(0), "genesis has no logs root");
        vm.assertFalse(chain.isEthWithdrawalFinalized(1, 0), "nothing finalized");
        deposit(user, 1);
        vm.assertEq(chain.getPriorityQueueSize(), 1, "one queued");
        vm.assertEq(chain.getTotalPriorityTxs(), 1, "tail");
        vm.assertEq(chain.getFirstUnprocessedPriorityTx(), 0, "head");
        vm.assertEq(chain.getFirstUncommittedPriorityTx(), 0, "not committed");
    }

    function test_RevertWhen_FrontOfEmptyQueue() public {
        vm.expectRevert(IRollupErrors.PriorityQueueEmpty.selector);
        chain.priorityQueueFrontOperation();
    }
}
