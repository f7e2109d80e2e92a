// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {IExecutor} from "../interfaces/IExecutor.sol";
import {IVerifier} from "../interfaces/IVerifier.sol";
import {PriorityQueueLib} from "../libraries/PriorityQueueLib.sol";
import {L2LogsTree} from "../libraries/L2LogsTree.sol";
import {PriorityQueue} from "../common/Storage.sol";
import {BatchProof, ChunkClaim, CommitBatchInfo, PriorityOperation, StoredBatchInfo} from "../common/Types.sol";
import {
    BATCH_INFO_KEY,
    BN254_SCALAR_FIELD,
    COMMIT_TIMESTAMP_MAX_FUTURE_DRIFT,
    EMPTY_STRING_KECCAK,
    MIN_PRIORITY_CATCH_UP_WINDOW,
    STATE_DIFF_RECORD_BYTES
} from "../common/Config.sol";

/// @title Executor facet (freezable; validators only)
/// @notice Batches move through three counters, `executed <= verified <= committed`. Only the hash
/// of each batch's `StoredBatchInfo` is stored; every call re-supplies the struct.
contract ExecutorFacet is Base, IExecutor {
    using PriorityQueueLib for PriorityQueue;

    /// @dev The chunks of a `proveBatches` call, in order across its batches: each one's five
    /// public inputs and its proof; `count` of them filled so far.
    struct Chunks {
        uint256[][] inputs;
        uint256[][] proofs;
        uint256 count;
    }

    /// @inheritdoc IExecutor
    function commitBatches(StoredBatchInfo calldata lastCommittedBatchData, CommitBatchInfo[] calldata newBatchesData)
        external
        nonReentrant
        onlyValidator
    {
        uint256 n = newBatchesData.length;
        if (n == 0) revert EmptyBatchList();
        uint256 committed = s.totalBatchesCommitted;
        _checkStored(committed, lastCommittedBatchData);

        StoredBatchInfo memory prev = lastCommittedBatchData;
        uint256 priorityTxs = s.priorityTxsInCommittedBatches[committed];
        uint256 available = s.priorityQueue.tail;
        for (uint256 i = 0; i < n; ++i) {
            prev = _commitOneBatch(prev, newBatchesData[i]);
            uint256 batchNumber = prev.batchNumber;
            // Compared with what is left, not summed first: a claim near 2^256 would overflow.
            // `priorityTxs <= available` holds on entry and after every batch.
            uint256 claimed = prev.numberOfLayer1Txs;
            if (claimed > available - priorityTxs) {
                revert NotEnoughPriorityOperations(claimed, available - priorityTxs);
            }
            priorityTxs += claimed;
            s.priorityTxsInCommittedBatches[batchNumber] = priorityTxs;
            s.storedBatchHashes[batchNumber] = _hash(prev);
            // Recorded whatever the delay is now: a delay raised later still applies to it.
            s.batchCommitTimestamps[batchNumber] = block.timestamp;
            emit BlockCommit(batchNumber, prev.batchHash, prev.commitment);
        }
        s.totalBatchesCommitted = committed + n;

        // Forced inclusion, judged by batch time after the whole call so that a backlog can
        // always be committed: the last committed batch may not be sealed after the deadline of a
        // request still left out, and once that deadline has passed on L1 it must be within the
        // catch-up window of the L1's time (the longer of 7 days and the deadline). Censorship is
        // thus bounded by the deadline plus the window, and batches sealed less than a window ago
        // always commit. Expirations grow with the queue index except where the deadline was
        // shortened, so the earliest among the requests left is the oldest one or the first
        // after a cut.
        if (priorityTxs < available) {
            uint256 lastTimestamp = prev.timestamp;
            _checkDeadline(priorityTxs, lastTimestamp);
            uint256[] storage cuts = s.deadlineCuts;
            for (uint256 i = cuts.length; i > 0; --i) {
                uint256 cut = cuts[i - 1];
                if (cut <= priorityTxs) break;
                if (cut < available) _checkDeadline(cut, lastTimestamp);
            }
        }
    }

    /// @dev Reverts if the request at queue index `index`, left out by committed batches up to
    /// one with timestamp `lastTimestamp`, is overdue.
    function _checkDeadline(uint256 index, uint256 lastTimestamp) private view {
        uint256 deadline = s.priorityQueue.data[index].expirationTimestamp;
        if (deadline < lastTimestamp) revert PriorityOperationDeadlinePassed(index, deadline);
        if (deadline >= block.timestamp) return;
        uint256 window = s.priorityTxDeadline;
        if (window < MIN_PRIORITY_CATCH_UP_WINDOW) window = MIN_PRIORITY_CATCH_UP_WINDOW;
        if (lastTimestamp + window < block.timestamp) {
            revert PriorityOperationOverdue(index, deadline, lastTimestamp);
        }
    }

    /// @inheritdoc IExecutor
    function proveBatches(
        StoredBatchInfo calldata prevBatch,
        StoredBatchInfo[] calldata committedBatches,
        BatchProof[] calldata proofs
    ) external nonReentrant onlyValidator {
        uint256 n = committedBatches.length;
        if (n == 0) revert EmptyBatchList();
        if (proofs.length != n) revert ProofCountMismatch(n, proofs.length);
        uint256 verified = s.totalBatchesVerified;
        uint256 committed = s.totalBatchesCommitted;
        _checkStored(verified, prevBatch);

        // The inputs and proofs of every chunk of every batch (one per claim: `_collectChunks`
        // refuses a batch with another number of proofs), checked by one `verifyBatch` call
        // after every batch's claims and commitment chain.
        Chunks memory chunks;
        {
            uint256 total = 0;
            for (uint256 i = 0; i < n; ++i) {
                total += proofs[i].chunkClaims.length;
            }
            chunks.inputs = new uint256[][](total);
            chunks.proofs = new uint256[][](total);
        }
        bytes32 oldCommitment = prevBatch.batchHash;
        for (uint256 i = 0; i < n; ++i) {
            uint256 batchNumber = verified + i + 1;
            if (batchNumber > committed) revert CantProveUncommittedBatch(batchNumber);
            StoredBatchInfo calldata batch = committedBatches[i];
            _checkStored(batchNumber, batch);
            _collectChunks(batchNumber, oldCommitment, batch, proofs[i], chunks);
            oldCommitment = batch.batchHash;
        }
        // A revert (a malformed proof) counts as a rejection here: the search below then reverts
        // with the error of the first chunk that fails on its own, as one `verify` per chunk did.
        // Except `PrecompileFailed`, passed on as is: a precompile that fails (a point off the
        // curve) burns all the gas it was given, so the search could only run out of gas.
        bool valid = false;
        try s.verifier.verifyBatch(chunks.inputs, chunks.proofs) returns (bool ok) {
            valid = ok;
        } catch (bytes memory reason) {
            if (reason.length >= 4 && bytes4(reason) == PrecompileFailed.selector) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        }
        if (!valid) _revertAtInvalidChunk(verified + 1, proofs, chunks);
        s.totalBatchesVerified = verified + n;
        emit BlocksVerification(verified, verified + n);
    }

    /// @dev Checks one batch's chunk claims and the chain of commitments between its chunks, and
    /// appends each chunk's public inputs and proof to `chunks`. Chunk `c` proves
    /// `c_c -> c_{c+1}` for the chunk whose claim is `chunkClaims[c]`, with `c_0 = oldCommitment`
    /// and `c_k = batch.batchHash`; the claims are the ones L1 computed at commit (their hash is
    /// the stored `stateDiffHash`), so each is below the field modulus.
    function _collectChunks(
        uint256 batchNumber,
        bytes32 oldCommitment,
        StoredBatchInfo calldata batch,
        BatchProof calldata proof,
        Chunks memory chunks
    ) private pure {
        uint256 k = proof.chunkClaims.length;
        if (keccak256(abi.encode(proof.chunkClaims)) != batch.stateDiffHash) {
            revert ChunkClaimsMismatch(batchNumber);
        }
        // Every committed diff holds at least its batch-info record, so `k >= 1`: no batch
        // reaches execute without the verifier having been called.
        if (k == 0 || proof.chunkCommitments.length != k - 1 || proof.chunkProofs.length != k) {
            revert ChunkCountMismatch(batchNumber, k, proof.chunkCommitments.length, proof.chunkProofs.length);
        }
        bytes32 from = oldCommitment;
        uint256 at = chunks.count;
        for (uint256 c = 0; c < k; ++c) {
            bytes32 to = c + 1 == k ? batch.batchHash : proof.chunkCommitments[c];
            ChunkClaim calldata claim = proof.chunkClaims[c];
            uint256[] memory inputs = new uint256[](5);
            inputs[0] = _fieldElement(uint256(from));
            inputs[1] = _fieldElement(uint256(to));
            inputs[2] = uint256(claim.digest);
            inputs[3] = claim.point;
            inputs[4] = claim.evaluation;
            chunks.inputs[at + c] = inputs;
            chunks.proofs[at + c] = proof.chunkProofs[c];
            from = to;
        }
        chunks.count = at + k;
    }

    /// @dev Runs only when `verifyBatch` rejected the call's chunks: checks them one by one with
    /// `verify`, in order, and reverts `InvalidChunkProof` at the first one it rejects. A verifier
    /// that reverts (a malformed proof) rejects with its own named error, bubbled up.
    function _revertAtInvalidChunk(uint256 firstBatch, BatchProof[] calldata proofs, Chunks memory chunks)
        private
        view
    {
        IVerifier verifier = s.verifier;
        uint256 at = 0;
        for (uint256 i = 0; i < proofs.length; ++i) {
            uint256 k = proofs[i].chunkClaims.length;
            for (uint256 c = 0; c < k; ++c) {
                if (!verifier.verify(chunks.inputs[at], chunks.proofs[at])) {
                    revert InvalidChunkProof(firstBatch + i, c);
                }
                ++at;
            }
        }
        // Every chunk verifies on its own, yet the batch did not: a verifier whose two checks
        // disagree (or whose `verifyBatch` reverts for another reason). Refuse rather than trust
        // either, blaming the call's first chunk.
        revert InvalidChunkProof(firstBatch, 0);
    }

    /// @inheritdoc IExecutor
    function executeBatches(StoredBatchInfo[] calldata batchesData) external nonReentrant onlyValidator {
        uint256 n = batchesData.length;
        if (n == 0) revert EmptyBatchList();
        uint256 executed = s.totalBatchesExecuted;
        uint256 verified = s.totalBatchesVerified;
        uint256 delay = s.executionDelay;
        for (uint256 i = 0; i < n; ++i) {
            StoredBatchInfo calldata batch = batchesData[i];
            uint256 batchNumber = executed + i + 1;
            if (batch.batchNumber != batchNumber) revert NonSequentialBatch(batchNumber, batch.batchNumber);
            if (batchNumber > verified) revert CantExecuteUnprovenBatch(batchNumber);
            _checkStored(batchNumber, batch);
            if (delay != 0) {
                uint256 committedAt = s.batchCommitTimestamps[batchNumber];
                if (block.timestamp < committedAt + delay) {
                    revert ExecutionDelayNotPassed(batchNumber, committedAt + delay);
                }
            }
            bytes32 rolling = _popPriorityOperations(batch.numberOfLayer1Txs);
            if (rolling != batch.priorityOperationsHash) {
                revert PriorityOperationsRollingHashMismatch(batch.priorityOperationsHash, rolling);
            }
            s.l2LogsRootHashes[batchNumber] = batch.l2LogsTreeRoot;
            delete s.batchCommitTimestamps[batchNumber];
            emit BlockExecution(batchNumber, batch.batchHash, batch.commitment);
        }
        s.totalBatchesExecuted = executed + n;
    }

    /// @inheritdoc IExecutor
    function revertBatches(uint256 newLastBatch) external nonReentrant onlyValidator {
        uint256 committed = s.totalBatchesCommitted;
        uint256 executed = s.totalBatchesExecuted;
        if (newLastBatch < executed) revert CantRevertExecutedBatch(newLastBatch, executed);
        if (newLastBatch > committed) revert RevertBeyondCommitted(newLastBatch, committed);
        // Forget the reverted batches so no getter reports a batch that no longer exists.
        for (uint256 b = newLastBatch + 1; b <= committed; ++b) {
            delete s.storedBatchHashes[b];
            delete s.priorityTxsInCommittedBatches[b];
            delete s.batchCommitTimestamps[b];
        }
        if (newLastBatch < s.totalBatchesVerified) s.totalBatchesVerified = newLastBatch;
        s.totalBatchesCommitted = newLastBatch;
        emit BlocksRevert(newLastBatch, s.totalBatchesVerified, executed);
    }

    /// @dev Checks one new batch against its predecessor and returns its stored info.
    function _commitOneBatch(StoredBatchInfo memory prev, CommitBatchInfo calldata b)
        private
        view
        returns (StoredBatchInfo memory)
    {
        if (b.batchNumber != prev.batchNumber + 1) revert NonSequentialBatch(prev.batchNumber + 1, b.batchNumber);
        if (b.timestamp <= prev.timestamp) revert TimestampNotIncreasing(prev.timestamp, b.timestamp);
        if (b.timestamp > block.timestamp + COMMIT_TIMESTAMP_MAX_FUTURE_DRIFT) {
            revert TimestampInTheFuture(b.timestamp, block.timestamp);
        }
        // Checked here, not only at prove: a commitment outside the field could never be proven.
        _fieldElement(uint256(b.newStateCommitment));

        bytes32 stateDiffHash = _chunkClaims(b.stateDiff, b.chunkRecords, b.chunkDigests);
        bytes32 logsRoot = L2LogsTree.root(b.l2Logs);
        bytes32 bytecodesHash = _bytecodesHash(b.publishedBytecodes);
        _checkBatchInfoRecord(b, logsRoot, bytecodesHash);
        bytes32 commitment = keccak256(
            abi.encode(
                b.batchNumber,
                b.timestamp,
                b.indexRepeatedStorageChanges,
                b.newStateCommitment,
                b.numberOfLayer1Txs,
                b.priorityOperationsHash,
                stateDiffHash,
                logsRoot,
                bytecodesHash
            )
        );
        return StoredBatchInfo({
            batchNumber: b.batchNumber,
            batchHash: b.newStateCommitment,
            indexRepeatedStorageChanges: b.indexRepeatedStorageChanges,
            numberOfLayer1Txs: b.numberOfLayer1Txs,
            priorityOperationsHash: b.priorityOperationsHash,
            l2LogsTreeRoot: logsRoot,
            timestamp: b.timestamp,
            stateDiffHash: stateDiffHash,
            commitment: commitment
        });
    }

    /// @dev The diff's last record must be `(BATCH_INFO_KEY, batchInfoHash)`. The record is part
    /// of the proven diff (its chunk's claim is a proof input), so the logs root, priority
    /// operations and bytecodes L1 keeps for the batch are bound to the proven state transition,
    /// not to the validator's word. It also makes every diff non-empty: every batch is proven.
    function _checkBatchInfoRecord(CommitBatchInfo calldata b, bytes32 logsRoot, bytes32 bytecodesHash) private pure {
        uint256 len = b.stateDiff.length;
        if (len < STATE_DIFF_RECORD_BYTES || bytes32(b.stateDiff[len - 64:len - 32]) != BATCH_INFO_KEY) {
            revert MissingBatchInfoRecord(b.batchNumber);
        }
        bytes32 expected = keccak256(
            abi.encode(
                b.batchNumber, b.timestamp, b.numberOfLayer1Txs, b.priorityOperationsHash, logsRoot, bytecodesHash
            )
        );
        bytes32 actual = bytes32(b.stateDiff[len - 32:len]);
        if (actual != expected) revert BatchInfoMismatch(b.batchNumber, expected, actual);
    }

    /// @dev `keccak256(abi.encode(claims))`, the claims of the diff cut into chunks of
    /// `chunkRecords` 64-byte records (the last may be shorter), one per chunk in order: chunk `i`'s
    /// digest `d_i = digests[i]` (checked below the field modulus; L1 cannot recompute it), its
    /// point `r_i = keccak256(d_i ‖ keccak256(chunk_i)) mod R` and its evaluation `y_i`
    /// (`_evaluation`). The point depends on the digest and on the published bytes, so a proof that
    /// the records behind `d_i` evaluate to `y_i` at `r_i` shows that they are the published ones.
    /// Each chunk's proof shows its keys strictly ascending; the first key of each chunk must be
    /// above the last key of the chunk before, so the whole diff is sorted (without this,
    /// `[K->1] || [K->2]` in two one-record chunks would write one key twice, a diff the node's
    /// decoder refuses).
    function _chunkClaims(bytes calldata diff, uint64 chunkRecords, bytes32[] calldata digests)
        private
        pure
        returns (bytes32)
    {
        uint256 len = diff.length;
        if (len % STATE_DIFF_RECORD_BYTES != 0) revert StateDiffNotWholeRecords(len);
        if (chunkRecords == 0) revert ZeroChunkRecords();
        uint256 chunkBytes = uint256(chunkRecords) * STATE_DIFF_RECORD_BYTES;
        uint256 k = (len + chunkBytes - 1) / chunkBytes;
        if (digests.length != k) revert ChunkDigestCountMismatch(k, digests.length);
        ChunkClaim[] memory claims = new ChunkClaim[](k);
        for (uint256 c = 0; c < k; ++c) {
            uint256 start = c * chunkBytes;
            uint256 end = start + chunkBytes < len ? start + chunkBytes : len;
            if (c > 0 && uint256(bytes32(diff[start:start + 32])) <= uint256(bytes32(diff[start - 64:start - 32]))) {
                revert ChunkKeysNotAscending(c);
            }
            bytes calldata chunk = diff[start:end];
            bytes32 digest = bytes32(_fieldElement(uint256(digests[c])));
            uint256 point = uint256(keccak256(abi.encodePacked(digest, keccak256(chunk)))) % BN254_SCALAR_FIELD;
            claims[c] = ChunkClaim({digest: digest, point: point, evaluation: _evaluation(chunk, point)});
        }
        return keccak256(abi.encode(claims));
    }

    /// @dev `y = N + sum_{j=0}^{4N-1} limb_j * r^(j+1) mod R` for a chunk of `N` whole records,
    /// the limbs being, record after record, key_hi, key_lo, value_hi, value_lo: the high and low
    /// 16 bytes (big-endian) of the record's key and value, each below 2^128.
    /// Computed by Horner's rule from the last limb: `acc = (acc + limb_j) * r` for `j = 4N-1..0`
    /// leaves `acc = sum limb_j * r^(j+1)`. In assembly, reading each record's two calldata words
    /// in place: about 360 gas per record, against about 1,300 for the same loop in Solidity
    /// (calldata slices and checked arithmetic).
    function _evaluation(bytes calldata chunk, uint256 r) private pure returns (uint256 y) {
        assembly ("memory-safe") {
            let low128 := 0xffffffffffffffffffffffffffffffff
            let acc := 0
            // From the chunk's last record down to its first, 64 bytes at a time (the caller
            // checked that the diff, hence the chunk, is whole records).
            for { let p := add(chunk.offset, chunk.length) } gt(p, chunk.offset) {} {
                p := sub(p, 64)
                let key := calldataload(p)
                let value := calldataload(add(p, 32))
                // `acc < R < 2^254` and a limb is below 2^128, so `add` cannot overflow; the
                // `mulmod` reduces. Limbs in reverse order: value_lo, value_hi, key_lo, key_hi.
                acc := mulmod(add(acc, and(value, low128)), r, BN254_SCALAR_FIELD)
                acc := mulmod(add(acc, shr(128, value)), r, BN254_SCALAR_FIELD)
                acc := mulmod(add(acc, and(key, low128)), r, BN254_SCALAR_FIELD)
                acc := mulmod(add(acc, shr(128, key)), r, BN254_SCALAR_FIELD)
            }
            // Plus N, the number of records.
            y := addmod(acc, div(chunk.length, 64), BN254_SCALAR_FIELD)
        }
    }

    function _popPriorityOperations(uint256 count) private returns (bytes32 rolling) {
        rolling = EMPTY_STRING_KECCAK;
        for (uint256 i = 0; i < count; ++i) {
            PriorityOperation memory op = s.priorityQueue.popFront();
            rolling = keccak256(abi.encode(rolling, op.canonicalTxHash));
        }
    }

    function _checkStored(uint256 batchNumber, StoredBatchInfo memory info) private view {
        bytes32 expected = s.storedBatchHashes[batchNumber];
        bytes32 actual = _hash(info);
        if (expected != actual) revert BatchHashMismatch(batchNumber, expected, actual);
    }

    function _hash(StoredBatchInfo memory info) private pure returns (bytes32) {
        return keccak256(abi.encode(info));
    }

    function _bytecodesHash(bytes[] calldata bytecodes) private pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](bytecodes.length);
        for (uint256 i = 0; i < bytecodes.length; ++i) {
            hashes[i] = keccak256(bytecodes[i]);
        }
        return keccak256(abi.encodePacked(hashes));
    }

    function _fieldElement(uint256 value) private pure returns (uint256) {
        if (value >= BN254_SCALAR_FIELD) revert NotAFieldElement(value);
        return value;
    }
}
