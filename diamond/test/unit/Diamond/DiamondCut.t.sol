// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    DiamondShared, DummyFacetA, DummyFacetB, GoodInit, WrongMagicInit, ShortReturnInit, RevertingInit
} from "./_Shared.t.sol";
import {Action, DiamondCutData, FacetCut} from "../../../src/common/Types.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";

contract DiamondCutTest is DiamondShared {
    function test_AddRoutesSelectors() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        vm.assertEq(DummyFacetA(address(chain)).a1(), 1, "a1 routed");
        vm.assertEq(DummyFacetA(address(chain)).a2(), 2, "a2 routed");
        vm.assertEq(chain.facetAddress(DummyFacetA.a1.selector), address(facetA), "loupe");
        vm.assertEq(chain.facetAddresses().length, 5, "facet appended");
    }

    function test_ReplaceMovesSelectorsAndDropsEmptyFacet() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        upgrade(one(FacetCut(address(facetB), Action.Replace, false, dummySelectors())));
        vm.assertEq(DummyFacetA(address(chain)).a1(), 10, "replaced");
        vm.assertEq(chain.facetFunctionSelectors(address(facetA)).length, 0, "old facet empty");
        address[] memory addrs = chain.facetAddresses();
        vm.assertEq(addrs.length, 5, "old facet removed, new one added");
        for (uint256 i = 0; i < addrs.length; ++i) {
            vm.assertTrue(addrs[i] != address(facetA), "facetA gone");
        }
    }

    function test_ReplaceWithSameFacetKeepsIt() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        upgrade(one(FacetCut(address(facetA), Action.Replace, false, dummySelectors())));
        vm.assertEq(DummyFacetA(address(chain)).a2(), 2, "still routed");
        vm.assertEq(chain.facetFunctionSelectors(address(facetA)).length, 2, "both selectors");
        vm.assertEq(chain.facetAddresses().length, 5, "listed once");
    }

    function test_RemoveSwapsAndPops() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        bytes4[] memory first = new bytes4[](1);
        first[0] = DummyFacetA.a1.selector;
        upgrade(one(FacetCut(address(0), Action.Remove, false, first)));
        bytes4[] memory left = chain.facetFunctionSelectors(address(facetA));
        vm.assertEq(left.length, 1, "one left");
        vm.assertEq(bytes32(left[0]), bytes32(DummyFacetA.a2.selector), "a2 moved to slot 0");
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.FunctionDoesNotExist.selector, DummyFacetA.a1.selector));
        DummyFacetA(address(chain)).a1();
        vm.assertEq(DummyFacetA(address(chain)).a2(), 2, "a2 still routed");
    }

    function test_RemovingLastSelectorRemovesFacet() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        upgrade(one(FacetCut(address(0), Action.Remove, false, dummySelectors())));
        vm.assertEq(chain.facetAddresses().length, 4, "facet removed");
        vm.assertFalse(chain.isFacetFreezable(address(facetA)), "unknown facet not freezable");
    }

    function test_RevertWhen_CutHasNoSelectors() public {
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, new bytes4[](0)));
        upgradeReverts(d, IRollupErrors.NoSelectorsForFacetCut.selector);
    }

    function test_RevertWhen_AddFacetWithoutCode() public {
        address empty = makeAddr("no code");
        DiamondCutData memory d = one(FacetCut(empty, Action.Add, false, dummySelectors()));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.FacetHasNoCode.selector, empty));
    }

    function test_RevertWhen_AddExistingSelector() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        DiamondCutData memory d = one(FacetCut(address(facetB), Action.Add, false, dummySelectors()));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.SelectorAlreadyAdded.selector, DummyFacetA.a1.selector));
    }

    function test_RevertWhen_AddDuplicateSelectorInOneCut() public {
        bytes4[] memory dup = new bytes4[](2);
        dup[0] = DummyFacetA.a1.selector;
        dup[1] = DummyFacetA.a1.selector;
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dup));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.SelectorAlreadyAdded.selector, DummyFacetA.a1.selector));
    }

    function test_RevertWhen_ReplaceMissingSelector() public {
        DiamondCutData memory d = one(FacetCut(address(facetB), Action.Replace, false, dummySelectors()));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.SelectorNotFound.selector, DummyFacetA.a1.selector));
    }

    function test_RevertWhen_ReplaceWithFacetWithoutCode() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        address empty = makeAddr("no code");
        DiamondCutData memory d = one(FacetCut(empty, Action.Replace, false, dummySelectors()));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.FacetHasNoCode.selector, empty));
    }

    function test_RevertWhen_RemoveNamesAFacet() public {
        upgrade(one(FacetCut(address(facetA), Action.Add, false, dummySelectors())));
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Remove, false, dummySelectors()));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.RemoveFacetAddressNotZero.selector, address(facetA)));
    }

    function test_RevertWhen_RemoveMissingSelector() public {
        DiamondCutData memory d = one(FacetCut(address(0), Action.Remove, false, dummySelectors()));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.SelectorNotFound.selector, DummyFacetA.a1.selector));
    }

    function test_RevertWhen_FreezabilityDiffersWithinFacet() public {
        bytes4[] memory first = new bytes4[](1);
        first[0] = DummyFacetA.a1.selector;
        bytes4[] memory second = new bytes4[](1);
        second[0] = DummyFacetA.a2.selector;
        upgrade(one(FacetCut(address(facetA), Action.Add, false, first)));
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, true, second));
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.FreezabilityMismatch.selector, DummyFacetA.a2.selector));
    }

    function test_InitRunsWithMagicValue() public {
        GoodInit init = new GoodInit();
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initAddress = address(init);
        d.initCalldata = abi.encodeCall(GoodInit.init, (42));
        upgrade(d);
        vm.assertEq(uint256(vm.load(address(chain), bytes32(uint256(0xdead)))), 42, "init wrote proxy storage");
    }

    function test_RevertWhen_InitReturnsWrongMagic() public {
        WrongMagicInit init = new WrongMagicInit();
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initAddress = address(init);
        d.initCalldata = abi.encodeCall(WrongMagicInit.init, ());
        upgradeReverts(d, 
            abi.encodeWithSelector(IRollupErrors.BadInitReturnValue.selector, abi.encode(keccak256("not the magic")))
        );
    }

    function test_RevertWhen_InitReturnsShortData() public {
        ShortReturnInit init = new ShortReturnInit();
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initAddress = address(init);
        d.initCalldata = abi.encodeCall(ShortReturnInit.init, ());
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.BadInitReturnValue.selector, abi.encode(uint8(1))));
    }

    function test_RevertWhen_InitAddressHasNoCode() public {
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initAddress = makeAddr("no code");
        d.initCalldata = hex"12345678";
        upgradeReverts(d, abi.encodeWithSelector(IRollupErrors.BadInitReturnValue.selector, bytes("")));
    }

    function test_RevertWhen_InitRevertsBubblesReason() public {
        RevertingInit init = new RevertingInit();
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initAddress = address(init);
        d.initCalldata = abi.encodeCall(RevertingInit.init, ());
        upgradeReverts(d, abi.encodeWithSelector(RevertingInit.InitFailed.selector, 7));
    }

    function test_RevertWhen_InitRevertsWithoutData() public {
        RevertingInit init = new RevertingInit();
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initAddress = address(init);
        d.initCalldata = abi.encodeCall(RevertingInit.initNoData, ());
        upgradeReverts(d, IRollupErrors.DelegateCallFailed.selector);
    }

    function test_RevertWhen_NoInitButCalldata() public {
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        d.initCalldata = hex"01";
        upgradeReverts(d, IRollupErrors.NonEmptyCalldata.selector);
    }

    function test_CutEmitsDiamondCut() public {
        DiamondCutData memory d = one(FacetCut(address(facetA), Action.Add, false, dummySelectors()));
        proposeAndWait(d);
        vm.expectEmit(address(chain));
        emit DiamondCut(d.facetCuts, address(0), "");
        vm.prank(governor);
        chain.executeUpgrade(d);
    }

    event DiamondCut(FacetCut[] facetCuts, address initAddress, bytes initCalldata);
}
