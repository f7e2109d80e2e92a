// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Diamond} from "./libraries/Diamond.sol";
import {DiamondCutData, SelectorToFacet} from "./common/Types.sol";
import {IRollupErrors} from "./common/Errors.sol";

/// @title The rollup's L1 entry point: an EIP-2535 diamond proxy
/// @notice Routes every call to the facet registered for its selector and refuses freezable
/// selectors while the diamond is frozen.
contract DiamondProxy {
    /// @notice Installs the facets and runs the init contract, in the deploying transaction.
    /// @param chainId Must equal the current chain id: the same deploy data gives a different
    /// proxy on every chain, and a deploy replayed on another chain fails.
    /// @param diamondCut The initial cut (facets, init contract and its calldata).
    /// @dev ETH sent with the deployment stays in the diamond: it backs the L2's genesis
    /// allocation (`rollupd deploy` locks exactly the allocation's sum), so L1 holds every wei
    /// the L2 has from block 0.
    constructor(uint256 chainId, DiamondCutData memory diamondCut) payable {
        if (chainId != block.chainid) revert IRollupErrors.WrongChainId(chainId, block.chainid);
        Diamond.diamondCut(diamondCut);
    }

    /// @notice Delegates the call to the facet of its selector.
    fallback() external payable {
        // 1..3 bytes cannot be a selector; 0 bytes maps to selector 0, which is never registered.
        if (msg.data.length > 0 && msg.data.length < 4) revert IRollupErrors.MalformedCalldata();
        Diamond.DiamondStorage storage ds = Diamond.getDiamondStorage();
        SelectorToFacet memory route = ds.selectorToFacet[msg.sig];
        address facet = route.facetAddress;
        if (facet == address(0)) revert IRollupErrors.FunctionDoesNotExist(msg.sig);
        if (ds.isFrozen && route.isFreezable) revert IRollupErrors.DiamondFrozen(msg.sig);
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), facet, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 { revert(0, returndatasize()) }
            default { return(0, returndatasize()) }
        }
    }
}
