// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L2CanonicalTransaction, L2Log, L2Message} from "../common/Types.sol";
import {IRollupErrors} from "../common/Errors.sol";

/// @title Mailbox facet: L1->L2 requests and L2->L1 messages (freezable, open to anyone)
interface IMailbox is IRollupErrors {
    /// @notice A priority request was queued; carries the whole transaction for the sequencer.
    event NewPriorityRequest(
        uint256 txId,
        bytes32 txHash,
        uint64 expirationTimestamp,
        L2CanonicalTransaction transaction,
        bytes[] factoryDeps
    );
    /// @notice ETH withdrawn from L2 was released on L1: the withdrawal message at leaf
    /// `l2MessageIndex` of batch `l2BatchNumber` (the key of `isEthWithdrawalFinalized`).
    event EthWithdrawalFinalized(address indexed to, uint256 amount, uint256 l2BatchNumber, uint256 l2MessageIndex);

    /// @notice Queue an L2 transaction (a deposit when `l2Value`/`msg.value` carry ETH).
    /// @dev `msg.value` must cover `l2TransactionBaseCost(tx.gasprice, ...) + l2Value`; all of it is
    /// minted on L2 to the sender, which is aliased when the caller is a contract.
    /// Every request accepted can be included by the L2 (Prague): the target is not address zero
    /// (`L2CreationNotSupported`), the calldata is at most 120,000 bytes (`CalldataTooLong`) and
    /// the gas limit covers the worst-case intrinsic gas (`NotEnoughGas`).
    /// @param contractL2 The L2 target; not address zero (no contract creation from L1).
    /// @param l2Value ETH passed to the L2 call.
    /// @param l2Calldata The L2 calldata, at most 120,000 bytes.
    /// @param l2GasLimit L2 gas limit; at least 21,000 + 40 per calldata byte (EIP-7623's floor
    /// for non-zero bytes) and at most `priorityTxMaxGasLimit`.
    /// @param l2GasPerPubdataByteLimit Must be 800.
    /// @param factoryDeps Must be empty (the L2 is an EVM: deploy with initcode).
    /// @param refundRecipient Receives L2 refunds; defaults to the sender, aliased if a contract.
    /// @return canonicalTxHash `keccak256(abi.encode(transaction))`.
    function requestL2Transaction(
        address contractL2,
        uint256 l2Value,
        bytes calldata l2Calldata,
        uint256 l2GasLimit,
        uint256 l2GasPerPubdataByteLimit,
        bytes[] calldata factoryDeps,
        address refundRecipient
    ) external payable returns (bytes32 canonicalTxHash);

    /// @notice The ETH an L1->L2 request pays on top of its L2 value.
    /// @param gasPrice The L1 gas price.
    /// @param l2GasLimit The L2 gas limit.
    /// @param l2GasPerPubdataByteLimit Gas per pubdata byte (800).
    /// @return The base cost in wei.
    function l2TransactionBaseCost(uint256 gasPrice, uint256 l2GasLimit, uint256 l2GasPerPubdataByteLimit)
        external
        view
        returns (uint256);

    /// @notice Whether `message` was sent from L2 in executed batch `batchNumber`.
    /// @dev Reverts on a malformed proof (wrong length, index out of range, unexecuted batch).
    /// @param batchNumber The batch.
    /// @param index The log's leaf index in the batch's logs tree.
    /// @param message The message.
    /// @param proof The Merkle path, exactly 14 hashes.
    /// @return True if included.
    function proveL2MessageInclusion(
        uint256 batchNumber,
        uint256 index,
        L2Message calldata message,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice Whether `log` was emitted in executed batch `batchNumber`.
    /// @dev Same revert rules as `proveL2MessageInclusion`.
    /// @param batchNumber The batch.
    /// @param index The log's leaf index.
    /// @param log The log.
    /// @param proof The Merkle path, exactly 14 hashes.
    /// @return True if included.
    function proveL2LogInclusion(uint256 batchNumber, uint256 index, L2Log calldata log, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Release ETH withdrawn on L2, once per message.
    /// @param l2BatchNumber The batch of the withdrawal.
    /// @param l2MessageIndex The message's leaf index in that batch's logs tree.
    /// @param l2TxNumberInBatch The withdrawing transaction's index in the batch.
    /// @param message `finalizeEthWithdrawal.selector ‖ receiver (20 bytes) ‖ amount (32 bytes)`.
    /// @param merkleProof The Merkle path, exactly 14 hashes.
    function finalizeEthWithdrawal(
        uint256 l2BatchNumber,
        uint256 l2MessageIndex,
        uint16 l2TxNumberInBatch,
        bytes calldata message,
        bytes32[] calldata merkleProof
    ) external;
}
