// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DiamondShared} from "./_Shared.t.sol";
import {DiamondProxy} from "../../../src/DiamondProxy.sol";
import {DiamondInit, InitializeData} from "../../../src/DiamondInit.sol";
import {IVerifier} from "../../../src/interfaces/IVerifier.sol";
import {DiamondCutData, FeeParams} from "../../../src/common/Types.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";

contract ProxyTest is DiamondShared {
    function cutWith(InitializeData memory d) internal view returns (DiamondCutData memory) {
        return DiamondCutData({
            facetCuts: facetCuts(),
            initAddress: address(diamondInit),
            initCalldata: abi.encodeCall(DiamondInit.initialize, (d))
        });
    }

    function test_RevertWhen_DeployedForAnotherChain() public {
        DiamondCutData memory cut = cutWith(initData());
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.WrongChainId.selector, block.chainid + 1, block.chainid));
        new DiamondProxy(block.chainid + 1, cut);
    }

    function test_DeploymentLocksTheGenesisAllocationsEther() public {
        DiamondCutData memory cut = cutWith(initData());
        vm.deal(address(this), 8 ether);
        DiamondProxy proxy = new DiamondProxy{value: 7 ether}(block.chainid, cut);
        vm.assertEq(address(proxy).balance, 7 ether, "the ETH stays in the diamond");
        // Plain ETH after deployment is still refused (deposits go through the Mailbox).
        (bool ok,) = address(proxy).call{value: 1}("");
        vm.assertFalse(ok, "plain ether refused");
    }

    function test_RevertWhen_CalldataShorterThanSelector() public {
        for (uint256 len = 1; len < 4; ++len) {
            (bool ok, bytes memory ret) = address(chain).call(new bytes(len));
            vm.assertFalse(ok, "1-3 bytes refused");
            vm.assertEq(ret, abi.encodeWithSelector(IRollupErrors.MalformedCalldata.selector), "MalformedCalldata");
        }
    }

    function test_RevertWhen_EmptyCalldataOrPlainEther() public {
        vm.deal(user, 1 ether);
        vm.prank(user);
        (bool ok, bytes memory ret) = address(chain).call{value: 1 ether}("");
        vm.assertFalse(ok, "plain ether refused");
        vm.assertEq(
            ret, abi.encodeWithSelector(IRollupErrors.FunctionDoesNotExist.selector, bytes4(0)), "selector 0 unknown"
        );
    }

    function test_RevertWhen_UnknownSelector() public {
        (bool ok, bytes memory ret) = address(chain).call(abi.encodeWithSelector(bytes4(0xdeadbeef)));
        vm.assertFalse(ok, "unknown refused");
        vm.assertEq(ret, abi.encodeWithSelector(IRollupErrors.FunctionDoesNotExist.selector, bytes4(0xdeadbeef)), "err");
    }

    function test_GenesisIsInitialized() public view {
        vm.assertEq(chain.getGovernor(), governor, "governor");
        vm.assertEq(chain.getAdmin(), admin, "admin");
        vm.assertTrue(chain.isValidator(validator), "validator");
        vm.assertEq(chain.getVerifier(), address(verifier), "verifier");
        vm.assertEq(chain.getL2ChainId(), L2_CHAIN_ID, "chain id");
        vm.assertEq(chain.storedBatchHash(0), keccak256(abi.encode(genesisInfo())), "genesis batch");
        vm.assertEq(chain.getPriorityTxDeadline(), DEADLINE, "deadline");
        vm.assertEq(chain.getProtocolVersion(), 1, "protocol version");
        vm.assertEq(chain.getTotalBatchesCommitted(), 0, "no batches");
    }

    function expectInitRevert(InitializeData memory d, bytes memory err) internal {
        DiamondCutData memory cut = cutWith(d);
        vm.expectRevert(err);
        new DiamondProxy(block.chainid, cut);
    }

    function test_RevertWhen_InitZeroVerifier() public {
        InitializeData memory d = initData();
        d.verifier = IVerifier(address(0));
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.ZeroAddress.selector));
    }

    function test_RevertWhen_InitZeroGovernorOrAdmin() public {
        InitializeData memory d = initData();
        d.governor = address(0);
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.ZeroAddress.selector));
        d = initData();
        d.admin = address(0);
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.ZeroAddress.selector));
    }

    function test_RevertWhen_InitZeroValidator() public {
        InitializeData memory d = initData();
        d.validators[0] = address(0);
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.ZeroAddress.selector));
    }

    function test_RevertWhen_InitBadChainId() public {
        InitializeData memory d = initData();
        d.l2ChainId = 0;
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.InvalidL2ChainId.selector, 0));
        d.l2ChainId = uint256(type(uint64).max) + 1;
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.InvalidL2ChainId.selector, d.l2ChainId));
    }

    function test_RevertWhen_InitGenesisNotAFieldElement() public {
        InitializeData memory d = initData();
        d.genesisBatchHash = bytes32(type(uint256).max);
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.NotAFieldElement.selector, type(uint256).max));
    }

    function test_RevertWhen_InitLimitsOutOfRange() public {
        InitializeData memory d = initData();
        d.priorityTxMaxGasLimit = 80_000_001;
        expectInitRevert(
            d, abi.encodeWithSelector(IRollupErrors.PriorityTxMaxGasLimitTooHigh.selector, 80_000_001, 80_000_000)
        );
        d = initData();
        d.executionDelay = 31 days;
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.ExecutionDelayTooLong.selector, 31 days, 30 days));
        d = initData();
        d.priorityTxDeadline = 59 minutes;
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.PriorityTxDeadlineOutOfRange.selector, 59 minutes));
        d = initData();
        d.feeParams.maxPubdataPerBatch = 0;
        expectInitRevert(d, abi.encodeWithSelector(IRollupErrors.InvalidFeeParams.selector));
    }

    function test_InitOnImplementationDoesNotTouchProxy() public {
        // Calling the init contract directly only writes its own storage.
        diamondInit.initialize(initData());
        vm.assertEq(chain.getGovernor(), governor, "proxy unchanged");
    }
}
