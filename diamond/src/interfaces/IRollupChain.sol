// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAdmin} from "./IAdmin.sol";
import {IExecutor} from "./IExecutor.sol";
import {IMailbox} from "./IMailbox.sol";
import {IGetters} from "./IGetters.sol";
import {FacetCut} from "../common/Types.sol";

/// @title Every facet of the rollup diamond in one interface
/// @notice Bind this at the proxy address to reach every function, event and error.
interface IRollupChain is IAdmin, IExecutor, IMailbox, IGetters {
    /// @notice Emitted by every diamond cut (from the `Diamond` library), after the init call.
    event DiamondCut(FacetCut[] facetCuts, address initAddress, bytes initCalldata);
}
