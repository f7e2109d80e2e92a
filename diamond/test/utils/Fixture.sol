// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./Test.sol";
import {TestVerifier} from "./TestVerifier.sol";
import {MerkleHelper} from "./MerkleHelper.sol";
import {DiamondProxy} from "../../src/DiamondProxy.sol";
import {DiamondInit, InitializeData} from "../../src/DiamondInit.sol";
import {AdminFacet} from "../../src/facets/Admin.sol";
import {ExecutorFacet} from "../../src/facets/Executor.sol";
import {MailboxFacet} from "../../src/facets/Mailbox.sol";
import {GettersFacet} from "../../src/facets/Getters.sol";
import {IRollupChain} from "../../src/interfaces/IRollupChain.sol";
import {IAdmin} from "../../src/interfaces/IAdmin.sol";
import {IExecutor} from "../../src/interfaces/IExecutor.sol";
import {IMailbox} from "../../src/interfaces/IMailbox.sol";
import {IGetters} from "../../src/interfaces/IGetters.sol";
import {IVerifier} from "../../src/interfaces/IVerifier.sol";
import {
    Action,
    BatchProof,
    ChunkClaim,
    CommitBatchInfo,
    DiamondCutData,
    FacetCut,
    FeeParams,
    L2CanonicalTransaction,
    PubdataPricingMode,
    StoredBatchInfo
} from "../../src/common/Types.sol";

/// @title Deploys the whole suite behind a proxy and drives batches through it
abstract contract Fixture is Test {
    address internal governor = makeAddr("governor");
    address internal admin = makeAddr("admin");
    address internal validator = makeAddr("validator");
    address internal stranger = makeAddr("stranger");
    address internal user = makeAddr("user");

    uint256 internal constant L2_CHAIN_ID = 270;
    bytes32 internal constant GENESIS_COMMITMENT = bytes32(uint256(0x1234));
    bytes32 internal constant GENESIS_STATE = bytes32(uint256(0xabcdef));
    uint256 internal constant GENESIS_TIMESTAMP = 1_000;
    uint256 internal constant DEADLINE = 1 days;
    uint256 internal constant UPGRADE_DELAY = 3 days;
    bytes32 internal constant INFO_KEY = bytes32(type(uint256).max);
    bytes32 internal constant EMPTY_KECCAK = keccak256("");
    /// @dev BN254 scalar field modulus (written out, not imported: the twins are independent).
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    IRollupChain internal chain;
    TestVerifier internal verifier;
    AdminFacet internal adminFacet;
    ExecutorFacet internal executorFacet;
    MailboxFacet internal mailboxFacet;
    GettersFacet internal gettersFacet;
    DiamondInit internal diamondInit;

    /// @dev Stored infos of every committed batch, by number (index 0 = genesis).
    StoredBatchInfo[] internal batches;
    /// @dev The claims of the state-diff chunks of every committed batch, by number (kept in step
    /// with `batches` by `record` and `forget`).
    ChunkClaim[][] internal chunkClaims;
    /// @dev Records per state-diff chunk in `nextCommit`.
    uint64 internal constant CHUNK_RECORDS = 2;
    /// @dev Records in the state diff of `nextCommit` before its batch-info record (3 in all: two
    /// chunks, the second shorter).
    uint256 internal diffRecords = 2;

    function makeAddr(string memory name) internal returns (address a) {
        a = address(uint160(uint256(keccak256(bytes(name)))));
        vm.label(a, name);
    }

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        verifier = new TestVerifier();
        adminFacet = new AdminFacet();
        executorFacet = new ExecutorFacet();
        mailboxFacet = new MailboxFacet();
        gettersFacet = new GettersFacet();
        diamondInit = new DiamondInit();
        DiamondCutData memory cut = DiamondCutData({
            facetCuts: facetCuts(),
            initAddress: address(diamondInit),
            initCalldata: abi.encodeCall(DiamondInit.initialize, (initData()))
        });
        chain = IRollupChain(address(new DiamondProxy(block.chainid, cut)));
        batches.push(genesisInfo());
        chunkClaims.push();
    }

    /// @dev Remembers a committed batch (its stored info and chunk claims).
    function record(CommitBatchInfo memory c) internal returns (StoredBatchInfo memory info) {
        info = storedInfo(c);
        batches.push(info);
        ChunkClaim[] memory claims = chunkClaimsOf(c);
        ChunkClaim[] storage stored = chunkClaims.push();
        for (uint256 i = 0; i < claims.length; ++i) {
            stored.push(claims[i]);
        }
    }

    /// @dev Forgets the last committed batch (after a revert).
    function forget() internal {
        batches.pop();
        chunkClaims.pop();
    }

    function defaultFeeParams() internal pure returns (FeeParams memory) {
        return FeeParams({
            pubdataPricingMode: PubdataPricingMode.Rollup,
            batchOverheadL1Gas: 1_000_000,
            maxPubdataPerBatch: 120_000,
            maxL2GasPerBatch: 80_000_000,
            priorityTxMaxPubdata: 99_000,
            minimalL2GasPrice: 250_000_000
        });
    }

    function initData() internal view returns (InitializeData memory d) {
        address[] memory validators = new address[](1);
        validators[0] = validator;
        d = InitializeData({
            verifier: IVerifier(address(verifier)),
            governor: governor,
            admin: admin,
            validators: validators,
            l2ChainId: L2_CHAIN_ID,
            genesisBatchHash: GENESIS_STATE,
            genesisIndexRepeatedStorageChanges: 1,
            genesisBatchCommitment: GENESIS_COMMITMENT,
            genesisBatchTimestamp: GENESIS_TIMESTAMP,
            priorityTxMaxGasLimit: 72_000_000,
            feeParams: defaultFeeParams(),
            executionDelay: 0,
            priorityTxDeadline: DEADLINE,
            protocolVersion: 1,
            upgradeDelay: UPGRADE_DELAY
        });
    }

    function genesisInfo() internal pure returns (StoredBatchInfo memory) {
        return StoredBatchInfo({
            batchNumber: 0,
            batchHash: GENESIS_STATE,
            indexRepeatedStorageChanges: 1,
            numberOfLayer1Txs: 0,
            priorityOperationsHash: EMPTY_KECCAK,
            l2LogsTreeRoot: bytes32(0),
            timestamp: GENESIS_TIMESTAMP,
            stateDiffHash: bytes32(0),
            commitment: GENESIS_COMMITMENT
        });
    }

    // ---- selectors ----

    function adminSelectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](14);
        s[12] = IAdmin.proposeUpgrade.selector;
        s[13] = IAdmin.cancelUpgrade.selector;
        s[0] = IAdmin.setPendingGovernor.selector;
        s[1] = IAdmin.acceptGovernor.selector;
        s[2] = IAdmin.setPendingAdmin.selector;
        s[3] = IAdmin.acceptAdmin.selector;
        s[4] = IAdmin.setValidator.selector;
        s[5] = IAdmin.setPriorityTxMaxGasLimit.selector;
        s[6] = IAdmin.changeFeeParams.selector;
        s[7] = IAdmin.setExecutionDelay.selector;
        s[8] = IAdmin.setPriorityTxDeadline.selector;
        s[9] = IAdmin.executeUpgrade.selector;
        s[10] = IAdmin.freezeDiamond.selector;
        s[11] = IAdmin.unfreezeDiamond.selector;
    }

    function executorSelectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](4);
        s[0] = IExecutor.commitBatches.selector;
        s[1] = IExecutor.proveBatches.selector;
        s[2] = IExecutor.executeBatches.selector;
        s[3] = IExecutor.revertBatches.selector;
    }

    function mailboxSelectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](5);
        s[0] = IMailbox.requestL2Transaction.selector;
        s[1] = IMailbox.l2TransactionBaseCost.selector;
        s[2] = IMailbox.proveL2MessageInclusion.selector;
        s[3] = IMailbox.proveL2LogInclusion.selector;
        s[4] = IMailbox.finalizeEthWithdrawal.selector;
    }

    function gettersSelectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](34);
        s[32] = IGetters.getUpgradeDelay.selector;
        s[33] = IGetters.getProposedUpgrade.selector;
        s[0] = IGetters.getVerifier.selector;
        s[1] = IGetters.getGovernor.selector;
        s[2] = IGetters.getPendingGovernor.selector;
        s[3] = IGetters.getAdmin.selector;
        s[4] = IGetters.getPendingAdmin.selector;
        s[5] = IGetters.isValidator.selector;
        s[6] = IGetters.getL2ChainId.selector;
        s[7] = IGetters.getProtocolVersion.selector;
        s[8] = IGetters.getTotalBatchesCommitted.selector;
        s[9] = IGetters.getTotalBatchesVerified.selector;
        s[10] = IGetters.getTotalBatchesExecuted.selector;
        s[11] = IGetters.storedBatchHash.selector;
        s[12] = IGetters.l2LogsRootHash.selector;
        s[13] = IGetters.getBatchCommitTimestamp.selector;
        s[14] = IGetters.getTotalPriorityTxs.selector;
        s[15] = IGetters.getFirstUnprocessedPriorityTx.selector;
        s[16] = IGetters.getFirstUncommittedPriorityTx.selector;
        s[17] = IGetters.getPriorityQueueSize.selector;
        s[18] = IGetters.priorityQueueFrontOperation.selector;
        s[19] = IGetters.getPriorityOperation.selector;
        s[20] = IGetters.getPriorityTxMaxGasLimit.selector;
        s[21] = IGetters.getFeeParams.selector;
        s[22] = IGetters.getExecutionDelay.selector;
        s[23] = IGetters.getPriorityTxDeadline.selector;
        s[24] = IGetters.isDiamondStorageFrozen.selector;
        s[25] = IGetters.isEthWithdrawalFinalized.selector;
        s[26] = IGetters.facets.selector;
        s[27] = IGetters.facetFunctionSelectors.selector;
        s[28] = IGetters.facetAddresses.selector;
        s[29] = IGetters.facetAddress.selector;
        s[30] = IGetters.isFunctionFreezable.selector;
        s[31] = IGetters.isFacetFreezable.selector;
    }

    function facetCuts() internal view returns (FacetCut[] memory cuts) {
        cuts = new FacetCut[](4);
        cuts[0] = FacetCut(address(adminFacet), Action.Add, false, adminSelectors());
        cuts[1] = FacetCut(address(gettersFacet), Action.Add, false, gettersSelectors());
        cuts[2] = FacetCut(address(executorFacet), Action.Add, true, executorSelectors());
        cuts[3] = FacetCut(address(mailboxFacet), Action.Add, true, mailboxSelectors());
    }

    /// @dev Proposes the upgrade `d` as the governor and waits until it can be executed.
    function proposeAndWait(DiamondCutData memory d) internal {
        vm.prank(governor);
        chain.proposeUpgrade(d);
        vm.warp(block.timestamp + UPGRADE_DELAY);
    }

    // ---- batches ----

    /// @dev A commit info for the batch after `prev` with a distinct state and diff.
    function nextCommit(StoredBatchInfo memory prev) internal view returns (CommitBatchInfo memory c) {
        uint64 n = prev.batchNumber + 1;
        c.batchNumber = n;
        c.timestamp = uint64(prev.timestamp + 1 > block.timestamp ? prev.timestamp + 1 : block.timestamp - 100 + n);
        c.indexRepeatedStorageChanges = prev.indexRepeatedStorageChanges + 2;
        c.newStateCommitment = bytes32(uint256(keccak256(abi.encode("state", n))) >> 8);
        c.priorityOperationsHash = EMPTY_KECCAK;
        c.stateDiff = diffOf(n, diffRecords);
        c.chunkRecords = CHUNK_RECORDS;
        c.l2Logs = "";
        c.publishedBytecodes = new bytes[](0);
        c = withInfoRecord(c);
    }

    /// @dev `c` with its batch-info record as the diff's last record, replacing one already
    /// there, and with one test digest per chunk of the resulting diff: call it after changing
    /// any field the record binds, the diff or `chunkRecords`.
    function withInfoRecord(CommitBatchInfo memory c) internal pure returns (CommitBatchInfo memory) {
        bytes memory diff = c.stateDiff;
        uint256 len = diff.length;
        if (len >= 64 && bytes32(slice(diff, len - 64, 32)) == INFO_KEY) diff = slice(diff, 0, len - 64);
        c.stateDiff = bytes.concat(diff, INFO_KEY, batchInfoHash(c));
        c.chunkDigests = testDigests(c.batchNumber, chunkCount(c.stateDiff.length, c.chunkRecords));
        return c;
    }

    /// @dev How many chunks a diff of `len` bytes has when cut every `chunkRecords` records (0 for
    /// no records per chunk, which the Executor refuses).
    function chunkCount(uint256 len, uint64 chunkRecords) internal pure returns (uint256) {
        if (chunkRecords == 0) return 0;
        uint256 size = uint256(chunkRecords) * 64;
        return (len + size - 1) / size;
    }

    /// @dev Deterministic stand-ins for the prover's Poseidon digests of `k` chunks of batch `n`
    /// (L1 does not recompute them, so any field elements do).
    function testDigests(uint256 n, uint256 k) internal pure returns (bytes32[] memory digests) {
        digests = new bytes32[](k);
        for (uint256 c = 0; c < k; ++c) {
            digests[c] = testDigest(n, c);
        }
    }

    /// @dev The test digest of chunk `c` of batch `n`: a field element (below 2^248).
    function testDigest(uint256 n, uint256 c) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode("digest", n, c))) >> 8);
    }

    /// @dev The value of `c`'s batch-info record (an independent twin of the Executor's).
    function batchInfoHash(CommitBatchInfo memory c) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                c.batchNumber,
                c.timestamp,
                c.numberOfLayer1Txs,
                c.priorityOperationsHash,
                logsRootOf(c.l2Logs),
                bytecodesHashOf(c.publishedBytecodes)
            )
        );
    }

    function slice(bytes memory b, uint256 start, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        for (uint256 i = 0; i < len; ++i) {
            out[i] = b[start + i];
        }
    }

    function logsRootOf(bytes memory l2Logs) internal pure returns (bytes32 logsRoot) {
        logsRoot = MerkleHelper.emptyRoot();
        // The full naive tree costs 16k words of memory: only build it when there are logs.
        if (l2Logs.length > 0) (logsRoot,) = MerkleHelper.rootAndPath(MerkleHelper.leavesOf(l2Logs), 0);
    }

    function bytecodesHashOf(bytes[] memory codes) internal pure returns (bytes32) {
        bytes32[] memory codeHashes = new bytes32[](codes.length);
        for (uint256 i = 0; i < codeHashes.length; ++i) {
            codeHashes[i] = keccak256(codes[i]);
        }
        return keccak256(abi.encodePacked(codeHashes));
    }

    /// @dev A canonical state diff of `records` records, distinct per batch `n`: keys ascend.
    function diffOf(uint256 n, uint256 records) internal pure returns (bytes memory diff) {
        for (uint256 i = 0; i < records; ++i) {
            diff = bytes.concat(diff, bytes32((n << 128) + i + 1), keccak256(abi.encode("value", n, i)));
        }
    }

    /// @dev The claims of `c`'s chunks, cut every `c.chunkRecords` records, with `c.chunkDigests`
    /// (an independent twin of the Executor's, in plain Solidity: the cut byte by byte and the
    /// evaluation with powers of the point computed forward; see `claimOf`).
    function chunkClaimsOf(CommitBatchInfo memory c) internal pure returns (ChunkClaim[] memory claims) {
        bytes memory diff = c.stateDiff;
        if (diff.length == 0) return new ChunkClaim[](0);
        uint256 size = uint256(c.chunkRecords) * 64;
        claims = new ChunkClaim[]((diff.length + size - 1) / size);
        for (uint256 i = 0; i < claims.length; ++i) {
            uint256 len = diff.length - i * size < size ? diff.length - i * size : size;
            claims[i] = claimOf(c.chunkDigests[i], slice(diff, i * size, len));
        }
    }

    /// @dev The claim of one chunk (whole 64-byte records) with digest `digest`, straight from the
    /// spec: `r = keccak256(digest ‖ keccak256(chunk)) mod R`, `y = N + sum_j limb_j * r^(j+1)`.
    function claimOf(bytes32 digest, bytes memory chunk) internal pure returns (ChunkClaim memory) {
        uint256 r = uint256(keccak256(abi.encodePacked(digest, keccak256(chunk)))) % R;
        uint256 y = chunk.length / 64;
        uint256 power = r; // r^(j+1)
        // Every 32-byte word (a key or a value) gives two limbs, high then low.
        for (uint256 w = 0; w < chunk.length / 32; ++w) {
            uint256 word = uint256(bytes32(slice(chunk, 32 * w, 32)));
            uint256[2] memory limbs = [word >> 128, word & type(uint128).max];
            for (uint256 h = 0; h < 2; ++h) {
                y = addmod(y, mulmod(limbs[h], power, R), R);
                power = mulmod(power, r, R);
            }
        }
        return ChunkClaim({digest: digest, point: r, evaluation: y});
    }

    /// @dev What the Executor stores for `c` (recomputed independently of the facet).
    function storedInfo(CommitBatchInfo memory c) internal pure returns (StoredBatchInfo memory) {
        bytes32 logsRoot = logsRootOf(c.l2Logs);
        bytes32 diffHash = keccak256(abi.encode(chunkClaimsOf(c)));
        bytes32 commitment = keccak256(
            abi.encode(
                c.batchNumber,
                c.timestamp,
                c.indexRepeatedStorageChanges,
                c.newStateCommitment,
                c.numberOfLayer1Txs,
                c.priorityOperationsHash,
                diffHash,
                logsRoot,
                bytecodesHashOf(c.publishedBytecodes)
            )
        );
        return StoredBatchInfo({
            batchNumber: c.batchNumber,
            batchHash: c.newStateCommitment,
            indexRepeatedStorageChanges: c.indexRepeatedStorageChanges,
            numberOfLayer1Txs: c.numberOfLayer1Txs,
            priorityOperationsHash: c.priorityOperationsHash,
            l2LogsTreeRoot: logsRoot,
            timestamp: c.timestamp,
            stateDiffHash: diffHash,
            commitment: commitment
        });
    }

    function lastBatch() internal view returns (StoredBatchInfo memory) {
        return batches[batches.length - 1];
    }

    function commitOne(CommitBatchInfo memory c) internal returns (StoredBatchInfo memory info) {
        CommitBatchInfo[] memory list = new CommitBatchInfo[](1);
        c = withInfoRecord(c);
        list[0] = c;
        vm.prank(validator);
        chain.commitBatches(lastBatch(), list);
        info = record(c);
    }

    /// @dev Commits `k` empty batches in one call.
    function commitMany(uint256 k) internal {
        CommitBatchInfo[] memory list = new CommitBatchInfo[](k);
        StoredBatchInfo memory prev = lastBatch();
        for (uint256 i = 0; i < k; ++i) {
            list[i] = nextCommit(prev);
            prev = storedInfo(list[i]);
        }
        vm.prank(validator);
        chain.commitBatches(lastBatch(), list);
        for (uint256 i = 0; i < k; ++i) {
            record(list[i]);
        }
    }

    /// @dev The five public inputs of a chunk proof: commitments `from -> to` and the chunk's
    /// claim (digest, point, evaluation).
    function chunkInputs(bytes32 from, bytes32 to, ChunkClaim memory claim)
        internal
        pure
        returns (uint256[] memory inputs)
    {
        inputs = new uint256[](5);
        inputs[0] = uint256(from);
        inputs[1] = uint256(to);
        inputs[2] = uint256(claim.digest);
        inputs[3] = claim.point;
        inputs[4] = claim.evaluation;
    }

    /// @dev The public inputs of every chunk of `proofs` (of the batches `list`, on top of
    /// `prev`), in order across the batches: what `proveBatches` hands to `verifyBatch`.
    function allChunkInputs(StoredBatchInfo memory prev, StoredBatchInfo[] memory list, BatchProof[] memory proofs)
        internal
        pure
        returns (uint256[][] memory xs)
    {
        uint256 total = 0;
        for (uint256 i = 0; i < proofs.length; ++i) {
            total += proofs[i].chunkClaims.length;
        }
        xs = new uint256[][](total);
        uint256 at = 0;
        bytes32 from = prev.batchHash;
        for (uint256 i = 0; i < proofs.length; ++i) {
            uint256 k = proofs[i].chunkClaims.length;
            for (uint256 c = 0; c < k; ++c) {
                bytes32 to = c + 1 == k ? list[i].batchHash : proofs[i].chunkCommitments[c];
                xs[at++] = chunkInputs(from, to, proofs[i].chunkClaims[c]);
                from = to;
            }
        }
    }

    /// @dev A test commitment between chunks `c` and `c + 1` of batch `n` (a field element).
    function midCommitment(uint256 n, uint256 c) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode("mid", n, c))) >> 8);
    }

    /// @dev A valid test proof of batch `number` (stored info `b`) on top of `prev`.
    function batchProof(StoredBatchInfo memory prev, StoredBatchInfo memory b)
        internal
        view
        returns (BatchProof memory p)
    {
        ChunkClaim[] memory claims = chunkClaims[b.batchNumber];
        uint256 k = claims.length;
        p.chunkClaims = claims;
        p.chunkCommitments = new bytes32[](k == 0 ? 0 : k - 1);
        p.chunkProofs = new uint256[][](k);
        bytes32 from = prev.batchHash;
        for (uint256 c = 0; c < k; ++c) {
            bytes32 to = c + 1 == k ? b.batchHash : midCommitment(b.batchNumber, c);
            if (c + 1 < k) p.chunkCommitments[c] = to;
            p.chunkProofs[c] = verifier.proofFor(chunkInputs(from, to, claims[c]));
            from = to;
        }
    }

    /// @dev Batches `(from, to]` and their valid test proofs.
    function proofsFor(uint256 from, uint256 to)
        internal
        view
        returns (StoredBatchInfo[] memory list, BatchProof[] memory proofs)
    {
        list = new StoredBatchInfo[](to - from);
        proofs = new BatchProof[](to - from);
        for (uint256 i = 0; i < to - from; ++i) {
            list[i] = batches[from + i + 1];
            proofs[i] = batchProof(batches[from + i], list[i]);
        }
    }

    function proveUpTo(uint256 to) internal {
        uint256 from = chain.getTotalBatchesVerified();
        (StoredBatchInfo[] memory list, BatchProof[] memory proofs) = proofsFor(from, to);
        vm.prank(validator);
        chain.proveBatches(batches[from], list, proofs);
    }

    function executeUpTo(uint256 to) internal {
        uint256 from = chain.getTotalBatchesExecuted();
        StoredBatchInfo[] memory list = new StoredBatchInfo[](to - from);
        for (uint256 i = 0; i < to - from; ++i) {
            list[i] = batches[from + i + 1];
        }
        vm.prank(validator);
        chain.executeBatches(list);
    }

    // ---- priority requests ----

    /// @dev A deposit of `amount` to `to` from `user` (an EOA: origin == sender).
    function deposit(address to, uint256 amount) internal returns (bytes32 txHash) {
        uint256 gasLimit = 300_000;
        uint256 cost = chain.l2TransactionBaseCost(tx.gasprice, gasLimit, 800);
        vm.deal(user, user.balance + cost + amount);
        vm.prank(user, user);
        txHash = chain.requestL2Transaction{value: cost + amount}(to, amount, "", gasLimit, 800, new bytes[](0), address(0));
    }

    function rollingHash(bytes32[] memory hashes) internal pure returns (bytes32 h) {
        h = keccak256("");
        for (uint256 i = 0; i < hashes.length; ++i) {
            h = keccak256(abi.encode(h, hashes[i]));
        }
    }
}
