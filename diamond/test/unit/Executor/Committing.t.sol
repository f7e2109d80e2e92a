// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutorShared} from "./_Shared.t.sol";
import {IExecutor} from "../../../src/interfaces/IExecutor.sol";
import {IRollupErrors} from "../../../src/common/Errors.sol";
import {ChunkClaim, CommitBatchInfo, StoredBatchInfo} from "../../../src/common/Types.sol";
import {MerkleHelper} from "../../utils/MerkleHelper.sol";

contract CommittingTest is ExecutorShared {
    function test_CommitOneBatch() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        StoredBatchInfo memory expected = storedInfo(c);
        vm.expectEmit(address(chain));
        emit IExecutor.BlockCommit(1, expected.batchHash, expected.commitment);
        commitOne(c);
        vm.assertEq(chain.getTotalBatchesCommitted(), 1, "committed");
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(expected)), "stored hash");
        vm.assertEq(expected.stateDiffHash, keccak256(abi.encode(chunkClaimsOf(c))), "hash of the chunk claims is stored");
    }

    function test_RevertWhen_StateDiffNotWholeRecords() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = bytes.concat(c.stateDiff, hex"01");
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.StateDiffNotWholeRecords.selector, 3 * 64 + 1));
        vm.prank(validator);
        chain.commitBatches(lastBatch(), single(c));
    }

    function test_RevertWhen_ZeroChunkRecords() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.chunkRecords = 0;
        vm.expectRevert(IRollupErrors.ZeroChunkRecords.selector);
        vm.prank(validator);
        chain.commitBatches(lastBatch(), single(c));
    }

    /// @dev The circuit review's low: keys are ordered by the proofs only inside a chunk, so a
    /// validator could commit `[K->1] || [K->2]` as two one-record chunks and L1 would execute a
    /// diff the node's decoder refuses. Each chunk's first key must be above the previous last.
    function test_RevertWhen_ChunkKeysNotAscending() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        bytes32 k = bytes32(uint256(7));
        c.stateDiff = bytes.concat(k, bytes32(uint256(1)), k, bytes32(uint256(2)));
        c.chunkRecords = 1;
        c = withInfoRecord(c);
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.ChunkKeysNotAscending.selector, 1));
        // Equal at the first boundary, with two-record chunks.
        c.stateDiff = bytes.concat(k, bytes32(0), bytes32(uint256(8)), bytes32(0), bytes32(uint256(8)), bytes32(0));
        c.chunkRecords = 2;
        c = withInfoRecord(c);
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.ChunkKeysNotAscending.selector, 1));
        // Strictly descending at the second boundary (chunks [7, 8], [9, 10], [3, info]).
        c.stateDiff = bytes.concat(
            bytes.concat(k, bytes32(0), bytes32(uint256(8)), bytes32(0)),
            bytes.concat(bytes32(uint256(9)), bytes32(0), bytes32(uint256(10)), bytes32(0)),
            bytes.concat(bytes32(uint256(3)), bytes32(0))
        );
        c = withInfoRecord(c);
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.ChunkKeysNotAscending.selector, 2));
        // The same keys ascending commit.
        c.stateDiff = bytes.concat(k, bytes32(0), bytes32(uint256(8)), bytes32(0), bytes32(uint256(9)), bytes32(0));
        c = withInfoRecord(c);
        commitOne(c);
    }

    function testFuzz_ChunkClaimsMatchTheTwin(uint8 records, uint8 chunkRecords) public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = diffOf(1, bound(records, 0, 40));
        c.chunkRecords = uint64(bound(chunkRecords, 1, 50));
        StoredBatchInfo memory info = commitOne(c);
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(info)), "facet and twin agree");
    }

    /// Any key, value and digest: the limbs reach `2^128 - 1`, the digest `R - 1`.
    function testFuzz_ChunkClaimOfAnyRecordMatchesTheTwin(uint256 key, bytes32 value, uint256 digest) public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = bytes.concat(bytes32(bound(key, 0, type(uint256).max - 1)), value);
        c.chunkRecords = 1;
        c = withInfoRecord(c);
        c.chunkDigests[0] = bytes32(bound(digest, 0, R - 1));
        commitRaw(c);
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(storedInfo(c))), "facet and twin agree");
    }

    /// The largest limbs and digest, deterministically (the Executor's `add` before `mulmod` must
    /// not overflow).
    function test_ChunkClaimOfTheLargestWordsMatchesTheTwin() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.stateDiff = bytes.concat(bytes32(type(uint256).max - 1), bytes32(type(uint256).max));
        c.chunkRecords = 2;
        c = withInfoRecord(c);
        c.chunkDigests[0] = bytes32(R - 1);
        commitRaw(c);
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(storedInfo(c))), "facet and twin agree");
    }

    /// One record `key = 1, value = 2` alone in its chunk: the limbs are `0, 1, 0, 2`, so
    /// `y = 1 + 0 r + 1 r^2 + 0 r^3 + 2 r^4`, with `r = keccak256(digest ‖ keccak256(key ‖ value)) mod R`.
    function test_ChunkClaimOfOneRecordByHand() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        bytes memory chunk = bytes.concat(bytes32(uint256(1)), bytes32(uint256(2)));
        c.stateDiff = chunk;
        c.chunkRecords = 1; // the batch-info record is chunk 1
        c = withInfoRecord(c);
        uint256 r = uint256(keccak256(bytes.concat(testDigest(1, 0), keccak256(chunk)))) % R;
        uint256 y = addmod(1 + mulmod(r, r, R), mulmod(2, pow(r, 4), R), R);
        expectHandClaim(c, ChunkClaim(testDigest(1, 0), r, y));
    }

    /// Two records with four distinct limbs each, `key_i = a·2^128 + b`, `value_i = c·2^128 + d`:
    /// `y = 2 + 1 r + 2 r^2 + ... + 8 r^8` (limb order and `N`).
    function test_ChunkClaimOfTwoRecordsByHand() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        bytes memory chunk = bytes.concat(
            bytes32((uint256(1) << 128) | 2),
            bytes32((uint256(3) << 128) | 4),
            bytes32((uint256(5) << 128) | 6),
            bytes32((uint256(7) << 128) | 8)
        );
        c.stateDiff = chunk;
        c.chunkRecords = 2;
        c = withInfoRecord(c);
        uint256 r = uint256(keccak256(bytes.concat(testDigest(1, 0), keccak256(chunk)))) % R;
        uint256 y = 2;
        for (uint256 j = 1; j <= 8; ++j) {
            y = addmod(y, mulmod(j, pow(r, j), R), R);
        }
        expectHandClaim(c, ChunkClaim(testDigest(1, 0), r, y));
    }

    /// Commits `c` and checks that its first chunk's claim is `hand`, and that the Executor
    /// stored the hash of the claims with it (the rest of the claims from the twin).
    function expectHandClaim(CommitBatchInfo memory c, ChunkClaim memory hand) internal {
        ChunkClaim[] memory claims = chunkClaimsOf(c);
        vm.assertEq(claims[0].digest, hand.digest, "digest");
        vm.assertEq(claims[0].point, hand.point, "point");
        vm.assertEq(claims[0].evaluation, hand.evaluation, "evaluation");
        claims[0] = hand;
        StoredBatchInfo memory info = storedInfo(c);
        vm.assertEq(info.stateDiffHash, keccak256(abi.encode(claims)), "stateDiffHash = keccak256(abi.encode(claims))");
        commitRaw(c);
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(info)), "stored by the Executor");
    }

    /// `b^e mod R` by repeated multiplication (small `e`).
    function pow(uint256 b, uint256 e) internal pure returns (uint256 p) {
        p = 1;
        for (uint256 i = 0; i < e; ++i) {
            p = mulmod(p, b, R);
        }
    }

    /// Commits `c` as is (no new batch-info record or digests).
    function commitRaw(CommitBatchInfo memory c) internal {
        vm.prank(validator);
        chain.commitBatches(lastBatch(), single(c));
    }

    /// One digest per chunk: too few, none and too many are refused by name.
    function test_RevertWhen_ChunkDigestCountMismatch() public {
        CommitBatchInfo memory c = withInfoRecord(nextCommit(lastBatch()));
        vm.assertEq(c.chunkDigests.length, 2, "two chunks");
        bytes32[] memory all = c.chunkDigests;
        uint256[3] memory counts = [uint256(1), 0, 3];
        for (uint256 i = 0; i < counts.length; ++i) {
            c.chunkDigests = testDigests(1, counts[i]);
            vm.expectRevert(abi.encodeWithSelector(IRollupErrors.ChunkDigestCountMismatch.selector, 2, counts[i]));
            commitRaw(c);
        }
        c.chunkDigests = all;
        commitRaw(c);
        vm.assertEq(chain.getTotalBatchesCommitted(), 1, "committed with one digest per chunk");
    }

    /// A digest must be a field element (it is a proof input); `R - 1` is one.
    function test_RevertWhen_ChunkDigestNotAFieldElement() public {
        CommitBatchInfo memory c = withInfoRecord(nextCommit(lastBatch()));
        c.chunkDigests[1] = bytes32(R);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotAFieldElement.selector, R));
        commitRaw(c);
        c.chunkDigests[1] = bytes32(type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotAFieldElement.selector, type(uint256).max));
        commitRaw(c);
        c.chunkDigests[1] = bytes32(R - 1);
        commitRaw(c);
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(storedInfo(c))), "facet and twin agree");
    }

    function test_CommitTenBatchesInOneCall() public {
        commitMany(10);
        vm.assertEq(chain.getTotalBatchesCommitted(), 10, "ten committed");
        for (uint256 i = 1; i <= 10; ++i) {
            vm.assertEq(chain.storedBatchHash(i), keccak256(abi.encode(batches[i])), "hash chain");
        }
    }

    function test_CommitWithLogsStoresTheirRoot() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.l2Logs = bytes.concat(
            MerkleHelper.packLog(0, true, 0, address(0x8008), bytes32(uint256(1)), bytes32(uint256(2))),
            MerkleHelper.packLog(0, true, 3, address(0x8008), bytes32(uint256(3)), bytes32(uint256(4)))
        );
        StoredBatchInfo memory info = commitOne(c);
        (bytes32 root,) = MerkleHelper.rootAndPath(MerkleHelper.leavesOf(c.l2Logs), 0);
        vm.assertEq(info.l2LogsTreeRoot, root, "root of the published logs");
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(info)), "on-chain root agrees with naive tree");
    }

    function test_RevertWhen_CommitByNonValidator() public {
        CommitBatchInfo[] memory list = single(nextCommit(lastBatch()));
        StoredBatchInfo memory prev = lastBatch();
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotValidator.selector, stranger));
        vm.prank(stranger);
        chain.commitBatches(prev, list);
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NotValidator.selector, governor));
        vm.prank(governor);
        chain.commitBatches(prev, list);
    }

    function test_RevertWhen_CommitEmptyList() public {
        StoredBatchInfo memory prev = lastBatch();
        vm.expectRevert(IRollupErrors.EmptyBatchList.selector);
        vm.prank(validator);
        chain.commitBatches(prev, new CommitBatchInfo[](0));
    }

    function test_RevertWhen_PreviousBatchHashWrong() public {
        StoredBatchInfo memory prev = lastBatch();
        prev.commitment = bytes32(uint256(1));
        CommitBatchInfo[] memory list = single(nextCommit(lastBatch()));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.BatchHashMismatch.selector,
                0,
                keccak256(abi.encode(lastBatch())),
                keccak256(abi.encode(prev))
            )
        );
        vm.prank(validator);
        chain.commitBatches(prev, list);
    }

    function test_RevertWhen_BatchNumberSkips() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.batchNumber = 2;
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.NonSequentialBatch.selector, 1, 2));
    }

    function test_RevertWhen_BatchRecommitted() public {
        commitOne(nextCommit(lastBatch()));
        CommitBatchInfo memory again = nextCommit(batches[0]);
        CommitBatchInfo[] memory list = single(again);
        StoredBatchInfo memory genesis = batches[0];
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupErrors.BatchHashMismatch.selector,
                1,
                keccak256(abi.encode(batches[1])),
                keccak256(abi.encode(genesis))
            )
        );
        vm.prank(validator);
        chain.commitBatches(genesis, list);
    }

    function test_RevertWhen_SecondBatchOutOfOrderInOneCall() public {
        CommitBatchInfo[] memory list = new CommitBatchInfo[](2);
        list[0] = nextCommit(lastBatch());
        list[1] = nextCommit(storedInfo(list[0]));
        list[1].batchNumber = 3;
        StoredBatchInfo memory prev = lastBatch();
        vm.expectRevert(abi.encodeWithSelector(IRollupErrors.NonSequentialBatch.selector, 2, 3));
        vm.prank(validator);
        chain.commitBatches(prev, list);
    }

    function test_RevertWhen_TimestampNotIncreasing() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.timestamp = uint64(GENESIS_TIMESTAMP);
        expectCommitRevert(
            c, abi.encodeWithSelector(IRollupErrors.TimestampNotIncreasing.selector, GENESIS_TIMESTAMP, GENESIS_TIMESTAMP)
        );
    }

    function test_RevertWhen_TimestampInTheFuture() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.timestamp = uint64(block.timestamp + 15 minutes + 1);
        expectCommitRevert(
            c, abi.encodeWithSelector(IRollupErrors.TimestampInTheFuture.selector, c.timestamp, block.timestamp)
        );
    }

    function test_TimestampAtDriftBoundIsAccepted() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.timestamp = uint64(block.timestamp + 15 minutes);
        commitOne(c);
        vm.assertEq(chain.getTotalBatchesCommitted(), 1, "accepted at the bound");
    }

    function test_RevertWhen_StateCommitmentNotAFieldElement() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        uint256 r = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
        c.newStateCommitment = bytes32(r);
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.NotAFieldElement.selector, r));
    }

    function test_RevertWhen_LogsNotMultipleOf88() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.l2Logs = new bytes(89);
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.InvalidL2LogsLength.selector, 89));
    }

    function test_RevertWhen_TooManyLogs() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.l2Logs = new bytes(88 * 16_385);
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.InvalidL2LogsLength.selector, 88 * 16_385));
    }

    /// A batch may publish more bytecodes than one L1 request may carry: one L2 block can deploy
    /// many contracts, and a batch holds whole blocks. Calldata (the batcher's pubdata limit)
    /// bounds it.
    function test_CommitABatchPublishingManyBytecodes() public {
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.publishedBytecodes = new bytes[](40);
        for (uint256 i = 0; i < 40; ++i) {
            c.publishedBytecodes[i] = abi.encodePacked(hex"60", uint8(i), hex"00");
        }
        StoredBatchInfo memory info = commitOne(c);
        vm.assertEq(chain.storedBatchHash(1), keccak256(abi.encode(info)), "facet and twin agree");
    }

    function test_RevertWhen_ClaimsMorePriorityOpsThanQueued() public {
        deposit(user, 1 ether);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 2;
        expectCommitRevert(c, abi.encodeWithSelector(IRollupErrors.NotEnoughPriorityOperations.selector, 2, 1));
    }

    /// A count near 2^256 must be refused by name, not wrap the running total (a panic).
    function test_RevertWhen_PriorityOpsCountOverflows() public {
        deposit(user, 1 ether);
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = 1;
        commitOne(c);
        CommitBatchInfo memory next = nextCommit(lastBatch());
        next.numberOfLayer1Txs = type(uint256).max;
        expectCommitRevert(
            next, abi.encodeWithSelector(IRollupErrors.NotEnoughPriorityOperations.selector, type(uint256).max, 0)
        );
    }
}
