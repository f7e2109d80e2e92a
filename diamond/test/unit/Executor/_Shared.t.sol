// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../../utils/Fixture.sol";
import {CommitBatchInfo} from "../../../src/common/Types.sol";

abstract contract ExecutorShared is Fixture {
    function single(CommitBatchInfo memory c) internal pure returns (CommitBatchInfo[] memory list) {
        list = new CommitBatchInfo[](1);
        list[0] = c;
    }

    /// @dev Expects committing `c` (with its batch-info record made for its final fields) to
    /// revert with `err`.
    function expectCommitRevert(CommitBatchInfo memory c, bytes memory err) internal {
        CommitBatchInfo[] memory list = single(withInfoRecord(c));
        vm.expectRevert(err);
        vm.prank(validator);
        chain.commitBatches(lastBatch(), list);
    }
}
