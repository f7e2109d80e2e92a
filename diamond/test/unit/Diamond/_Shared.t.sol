// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../../utils/Fixture.sol";
import {Action, DiamondCutData, FacetCut} from "../../../src/common/Types.sol";

/// @dev A facet with two functions, for cut tests.
contract DummyFacetA {
    function a1() external pure returns (uint256) {
        return 1;
    }

    function a2() external pure returns (uint256) {
        return 2;
    }
}

/// @dev A replacement for DummyFacetA's functions.
contract DummyFacetB {
    function a1() external pure returns (uint256) {
        return 10;
    }

    function a2() external pure returns (uint256) {
        return 20;
    }
}

/// @dev Init contracts with good and bad return values.
contract GoodInit {
    bytes32 internal constant MAGIC = 0x33774e659306e47509050e97cb651e731180a42d458212294d30751925c551a2;
    uint256 internal constant MARK_SLOT = 0xdead;

    function init(uint256 value) external returns (bytes32) {
        assembly {
            sstore(0xdead, value)
        }
        return MAGIC;
    }
}

contract WrongMagicInit {
    function init() external pure returns (bytes32) {
        return keccak256("not the magic");
    }
}

contract ShortReturnInit {
    function init() external pure returns (uint8) {
        return 1;
    }
}

contract RevertingInit {
    error InitFailed(uint256 code);

    function init() external pure returns (bytes32) {
        revert InitFailed(7);
    }

    function initNoData() external pure returns (bytes32) {
        revert();
    }
}

abstract contract DiamondShared is Fixture {
    DummyFacetA internal facetA;
    DummyFacetB internal facetB;

    function setUp() public virtual override {
        super.setUp();
        facetA = new DummyFacetA();
        facetB = new DummyFacetB();
    }

    function dummySelectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](2);
        s[0] = DummyFacetA.a1.selector;
        s[1] = DummyFacetA.a2.selector;
    }

    function one(FacetCut memory c) internal pure returns (DiamondCutData memory d) {
        FacetCut[] memory cuts = new FacetCut[](1);
        cuts[0] = c;
        d = DiamondCutData({facetCuts: cuts, initAddress: address(0), initCalldata: ""});
    }

    function upgrade(DiamondCutData memory d) internal {
        proposeAndWait(d);
        vm.prank(governor);
        chain.executeUpgrade(d);
    }

    /// @dev Proposes `d`, waits out the delay and expects its execution to revert with `err`.
    function upgradeReverts(DiamondCutData memory d, bytes memory err) internal {
        proposeAndWait(d);
        vm.expectRevert(err);
        vm.prank(governor);
        chain.executeUpgrade(d);
    }

    function upgradeReverts(DiamondCutData memory d, bytes4 err) internal {
        upgradeReverts(d, abi.encodeWithSelector(err));
    }
}
