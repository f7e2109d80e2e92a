// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {Fixture} from "../utils/Fixture.sol";
import {MerkleHelper} from "../utils/MerkleHelper.sol";
import {IRollupChain} from "../../src/interfaces/IRollupChain.sol";
import {IMailbox} from "../../src/interfaces/IMailbox.sol";
import {CommitBatchInfo, StoredBatchInfo} from "../../src/common/Types.sol";

/// @dev Drives deposits, commits (with priority ops and withdrawal logs), proofs, executes,
/// reverts, withdrawals and time, keeping ghost totals.
contract PipelineHandler is Fixture {
    bytes32[] internal requestHashes;
    /// @dev Priority ops included per batch number (kept in step with `batches`).
    uint256[] internal opsPerBatch;
    /// @dev Withdrawals waiting to be finalized: batch, message, amount.
    struct Withdrawal {
        uint256 batch;
        bytes message;
        uint256 amount;
    }

    Withdrawal[] internal withdrawals;

    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    /// @dev ETH promised to withdrawals in committed batches, not finalized yet.
    uint256 public ghostPromised;
    uint256 public ghostExecutedOps;
    uint256 public ghostCommits;
    bool public ghostHeadMovedOutsideExecute;
    bool public ghostCountersBroken;

    function init() external {
        setUp();
        opsPerBatch.push(0);
    }

    function chainRef() external view returns (IRollupChain) {
        return chain;
    }

    modifier observe(bool isExecute) {
        uint256 head = chain.getFirstUnprocessedPriorityTx();
        _;
        if (!isExecute && chain.getFirstUnprocessedPriorityTx() != head) ghostHeadMovedOutsideExecute = true;
        if (
            chain.getTotalBatchesExecuted() > chain.getTotalBatchesVerified()
                || chain.getTotalBatchesVerified() > chain.getTotalBatchesCommitted()
        ) ghostCountersBroken = true;
    }

    function request(uint256 amount) external observe(false) {
        amount = bound(amount, 0, 100 ether);
        uint256 before = address(chain).balance;
        requestHashes.push(deposit(user, amount));
        ghostDeposited += address(chain).balance - before;
    }

    function commit(uint256 opsSeed, uint256 withdrawSeed) external observe(false) {
        uint256 firstOp = chain.getFirstUncommittedPriorityTx();
        uint256 waiting = requestHashes.length - firstOp;
        uint256 ops = waiting == 0 ? 0 : bound(opsSeed, 0, waiting);
        bytes32[] memory hashes = new bytes32[](ops);
        for (uint256 i = 0; i < ops; ++i) {
            hashes[i] = requestHashes[firstOp + i];
        }
        CommitBatchInfo memory c = nextCommit(lastBatch());
        c.numberOfLayer1Txs = ops;
        c.priorityOperationsHash = rollingHash(hashes);
        uint256 free = address(chain).balance - ghostPromised;
        uint256 amount = free == 0 ? 0 : bound(withdrawSeed, 0, free);
        bytes memory message;
        if (amount > 0) {
            message = abi.encodePacked(IMailbox.finalizeEthWithdrawal.selector, user, amount);
            c.l2Logs = MerkleHelper.packLog(
                0, true, 0, address(0x8008), bytes32(uint256(uint160(address(0x800a)))), keccak256(message)
            );
        }
        c = withInfoRecord(c);
        CommitBatchInfo[] memory list = new CommitBatchInfo[](1);
        list[0] = c;
        vm.prank(validator);
        try chain.commitBatches(lastBatch(), list) {
            record(c);
            opsPerBatch.push(ops);
            ++ghostCommits;
            if (amount > 0) {
                withdrawals.push(Withdrawal(c.batchNumber, message, amount));
                ghostPromised += amount;
            }
        } catch {}
    }

    function prove(uint256 count) external observe(false) {
        uint256 verified = chain.getTotalBatchesVerified();
        uint256 committed = chain.getTotalBatchesCommitted();
        if (committed == verified) return;
        proveUpTo(verified + bound(count, 1, committed - verified));
    }

    function execute(uint256 count) external observe(true) {
        uint256 executed = chain.getTotalBatchesExecuted();
        uint256 verified = chain.getTotalBatchesVerified();
        if (verified == executed) return;
        uint256 to = executed + bound(count, 1, verified - executed);
        executeUpTo(to);
        for (uint256 b = executed + 1; b <= to; ++b) {
            ghostExecutedOps += opsPerBatch[b];
        }
    }

    function revertTo(uint256 seed) external observe(false) {
        uint256 executed = chain.getTotalBatchesExecuted();
        uint256 committed = chain.getTotalBatchesCommitted();
        uint256 to = bound(seed, executed, committed);
        vm.prank(validator);
        chain.revertBatches(to);
        while (batches.length > to + 1) {
            forget();
            opsPerBatch.pop();
        }
        // Withdrawals of reverted batches are no longer promised.
        uint256 i = withdrawals.length;
        while (i > 0) {
            --i;
            if (withdrawals[i].batch > to) {
                ghostPromised -= withdrawals[i].amount;
                withdrawals[i] = withdrawals[withdrawals.length - 1];
                withdrawals.pop();
            }
        }
    }

    function finalize(uint256 seed) external observe(false) {
        uint256 executed = chain.getTotalBatchesExecuted();
        for (uint256 k = 0; k < withdrawals.length; ++k) {
            uint256 i = (seed % withdrawals.length + k) % withdrawals.length;
            Withdrawal memory w = withdrawals[i];
            if (w.batch > executed) continue;
            bytes memory logs = MerkleHelper.packLog(
                0, true, 0, address(0x8008), bytes32(uint256(uint160(address(0x800a)))), keccak256(w.message)
            );
            (, bytes32[] memory path) = MerkleHelper.rootAndPath(MerkleHelper.leavesOf(logs), 0);
            chain.finalizeEthWithdrawal(w.batch, 0, 0, w.message, path);
            ghostWithdrawn += w.amount;
            ghostPromised -= w.amount;
            withdrawals[i] = withdrawals[withdrawals.length - 1];
            withdrawals.pop();
            return;
        }
    }

    function passTime(uint256 dt) external observe(false) {
        vm.warp(block.timestamp + bound(dt, 1, 2 hours));
    }
}

contract BatchPipelineInvariantTest is Test {
    PipelineHandler internal handler;
    IRollupChain internal chain;

    function setUp() public {
        handler = new PipelineHandler();
        handler.init();
        chain = handler.chainRef();
        targetContract(address(handler));
        bytes4[] memory sel = new bytes4[](7);
        sel[0] = PipelineHandler.request.selector;
        sel[1] = PipelineHandler.commit.selector;
        sel[2] = PipelineHandler.prove.selector;
        sel[3] = PipelineHandler.execute.selector;
        sel[4] = PipelineHandler.revertTo.selector;
        sel[5] = PipelineHandler.finalize.selector;
        sel[6] = PipelineHandler.passTime.selector;
        targetSelector(address(handler), sel);
    }

    /// The runs must really move batches and money, or the invariants above prove little.
    function afterInvariant() external view {
        vm.assertTrue(handler.ghostCommits() > 0, "some commits succeeded");
    }

    function invariant_CountersOrdered() public view {
        vm.assertLe(chain.getTotalBatchesExecuted(), chain.getTotalBatchesVerified(), "executed <= verified");
        vm.assertLe(chain.getTotalBatchesVerified(), chain.getTotalBatchesCommitted(), "verified <= committed");
        vm.assertFalse(handler.ghostCountersBroken(), "never broken between calls either");
    }

    /// The head only moves at execute, by exactly the executed batches' priority ops (whose
    /// rolling hashes the Executor checked against the queue).
    function invariant_PriorityHeadMovesOnlyAtExecute() public view {
        vm.assertFalse(handler.ghostHeadMovedOutsideExecute(), "head moved outside execute");
        vm.assertEq(chain.getFirstUnprocessedPriorityTx(), handler.ghostExecutedOps(), "head = executed ops");
        vm.assertLe(chain.getFirstUnprocessedPriorityTx(), chain.getFirstUncommittedPriorityTx(), "head <= committed");
        vm.assertLe(chain.getFirstUncommittedPriorityTx(), chain.getTotalPriorityTxs(), "committed <= tail");
    }

    function invariant_EthHeldCoversDepositsMinusWithdrawals() public view {
        vm.assertGe(handler.ghostDeposited(), handler.ghostWithdrawn(), "never more out than in");
        vm.assertEq(
            address(chain).balance, handler.ghostDeposited() - handler.ghostWithdrawn(), "held = deposits - withdrawals"
        );
    }
}
