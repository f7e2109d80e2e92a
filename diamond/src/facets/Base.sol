// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AppStorage} from "../common/Storage.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title Shared storage and modifiers of every facet
/// @dev `s` is the only state variable of any facet, so it sits at slot 0 of the diamond.
abstract contract Base is IRollupErrors {
    AppStorage internal s;

    /// @dev Transient slot of the reentrancy lock: `keccak256("ReentrancyGuard") - 1`.
    /// Transient storage needs no initialisation and is cleared after each transaction.
    bytes32 private constant _REENTRANCY_SLOT = 0x8e94fed44239eb2314ab7a406345e6c5a8f0ccedf3b600de3d004e672c33abf4;

    modifier onlyGovernor() {
        if (msg.sender != s.governor) revert NotGovernor(msg.sender);
        _;
    }

    modifier onlyGovernorOrAdmin() {
        if (msg.sender != s.governor && msg.sender != s.admin) revert NotGovernorOrAdmin(msg.sender);
        _;
    }

    modifier onlyValidator() {
        if (!s.validators[msg.sender]) revert NotValidator(msg.sender);
        _;
    }

    modifier nonReentrant() {
        bytes32 slot = _REENTRANCY_SLOT;
        uint256 entered;
        assembly {
            entered := tload(slot)
        }
        if (entered != 0) revert Reentrancy();
        assembly {
            tstore(slot, 1)
        }
        _;
        assembly {
            tstore(slot, 0)
        }
    }
}
