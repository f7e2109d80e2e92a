// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../../utils/Test.sol";
import {L1Messenger} from "../../../src/l2/L1Messenger.sol";
import {L2BaseToken} from "../../../src/l2/L2BaseToken.sol";

/// @dev The L2 system contracts at their addresses, as the node's genesis places them: runtime code
/// only, no constructor run (`type(C).runtimeCode` does not compile for a contract with immutables).
abstract contract L2Shared is Test {
    address internal constant MESSENGER = address(0x8008);
    address internal constant BASE_TOKEN = address(0x800a);

    L1Messenger internal messenger = L1Messenger(MESSENGER);
    L2BaseToken internal baseToken = L2BaseToken(BASE_TOKEN);

    address internal l2Sender = address(0xa11ce);
    address internal l1Receiver = address(0xb0b);

    function setUp() public virtual {
        vm.etch(MESSENGER, type(L1Messenger).runtimeCode);
        vm.etch(BASE_TOKEN, type(L2BaseToken).runtimeCode);
    }
}
