// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../../utils/Fixture.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";

abstract contract AdminShared is Fixture {
    function notGovernor(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IRollupErrors.NotGovernor.selector, who);
    }

    function notGovernorOrAdmin(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IRollupErrors.NotGovernorOrAdmin.selector, who);
    }
}
