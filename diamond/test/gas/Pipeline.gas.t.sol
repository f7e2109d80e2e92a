// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "../utils/Fixture.sol";
import {BatchProof, CommitBatchInfo, StoredBatchInfo} from "../../src/common/Types.sol";

/// @notice Execution gas of the proxy call (no intrinsic or calldata gas) of commit, prove and
/// execute for one and for ten batches per call, recorded in `snapshots/PipelineGasTest.json`. Each batch carries a 1 KiB state diff (15
/// records and the batch-info record, in 4 proof chunks) and 4 L2->L1 logs; proofs go to the test verifier, so "prove" excludes
/// the Groth16 pairings (docs/contracts.md has the measured cost of those).
contract PipelineGasTest is Fixture {
    function batchesOf(uint256 k) internal view returns (CommitBatchInfo[] memory list) {
        list = new CommitBatchInfo[](k);
        StoredBatchInfo memory prev = lastBatch();
        for (uint256 i = 0; i < k; ++i) {
            list[i] = nextCommit(prev);
            list[i].stateDiff = diffOf(i + 1, 15);
            list[i].chunkRecords = 4;
            list[i].l2Logs = new bytes(88 * 4);
            list[i].l2Logs[0] = 0x01;
            list[i] = withInfoRecord(list[i]);
            prev = storedInfo(list[i]);
        }
    }

    function run(uint256 k, string memory suffix) internal {
        CommitBatchInfo[] memory list = batchesOf(k);
        StoredBatchInfo memory prev = lastBatch();
        vm.prank(validator);
        chain.commitBatches(prev, list);
        vm.snapshotGasLastCall(string.concat("commitBatches_", suffix));
        for (uint256 i = 0; i < k; ++i) {
            record(list[i]);
        }

        (StoredBatchInfo[] memory toProve, BatchProof[] memory proofs) = proofsFor(0, k);
        vm.prank(validator);
        chain.proveBatches(batches[0], toProve, proofs);
        vm.snapshotGasLastCall(string.concat("proveBatches_", suffix));

        vm.prank(validator);
        chain.executeBatches(toProve);
        vm.snapshotGasLastCall(string.concat("executeBatches_", suffix));
        vm.assertEq(chain.getTotalBatchesExecuted(), k, "all executed");
    }

    function test_Gas_OneBatch() public {
        run(1, "1");
    }

    function test_Gas_TenBatches() public {
        run(10, "10");
    }
}
