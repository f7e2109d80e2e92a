// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {IMailbox} from "../interfaces/IMailbox.sol";
import {PriorityQueueLib} from "../libraries/PriorityQueueLib.sol";
import {L2LogsTree} from "../libraries/L2LogsTree.sol";
import {AddressAliasHelper} from "../libraries/AddressAliasHelper.sol";
import {PriorityQueue} from "../common/Storage.sol";
import {
    FeeParams, L2CanonicalTransaction, L2Log, L2Message, PriorityOperation, PubdataPricingMode
} from "../common/Types.sol";
import {
    L1_GAS_PER_PUBDATA_BYTE,
    L2_BASE_TOKEN_SYSTEM_CONTRACT_ADDR,
    L2_L1_LOGS_TREE_DEFAULT_LEAF_HASH,
    L2_TO_L1_MESSENGER_SYSTEM_CONTRACT_ADDR,
    L2_TX_INTRINSIC_GAS,
    L2_TX_MAX_GAS_PER_CALLDATA_BYTE,
    MAX_L2_TX_CALLDATA_BYTES,
    PRIORITY_OPERATION_L2_TX_TYPE,
    REQUIRED_L2_GAS_PRICE_PER_PUBDATA
} from "../common/Config.sol";

/// @title Mailbox facet (freezable; open to anyone)
contract MailboxFacet is Base, IMailbox {
    using PriorityQueueLib for PriorityQueue;

    /// @dev `selector (4) ‖ receiver (20) ‖ amount (32)`.
    uint256 private constant _WITHDRAWAL_MESSAGE_LENGTH = 56;

    /// @inheritdoc IMailbox
    function requestL2Transaction(
        address contractL2,
        uint256 l2Value,
        bytes calldata l2Calldata,
        uint256 l2GasLimit,
        uint256 l2GasPerPubdataByteLimit,
        bytes[] calldata factoryDeps,
        address refundRecipient
    ) external payable nonReentrant returns (bytes32 canonicalTxHash) {
        if (factoryDeps.length != 0) revert FactoryDepsNotSupported();
        uint256 l2GasPrice = _checkRequest(contractL2, l2Value, l2Calldata.length, l2GasLimit, l2GasPerPubdataByteLimit);
        L2CanonicalTransaction memory l2Tx =
            _canonicalTransaction(contractL2, l2Value, l2GasLimit, l2GasPrice, refundRecipient);
        l2Tx.data = l2Calldata;
        canonicalTxHash = _enqueue(l2Tx);
    }

    /// @dev Checks that the L2 can include the request, and its payment; returns the L2 gas price
    /// it pays. A queued request must be included before its deadline, so one the L2 refuses
    /// would halt the chain.
    function _checkRequest(
        address contractL2,
        uint256 l2Value,
        uint256 calldataLength,
        uint256 l2GasLimit,
        uint256 gasPerPubdata
    ) private view returns (uint256 l2GasPrice) {
        if (contractL2 == address(0)) revert L2CreationNotSupported();
        if (calldataLength > MAX_L2_TX_CALLDATA_BYTES) {
            revert CalldataTooLong(calldataLength, MAX_L2_TX_CALLDATA_BYTES);
        }
        if (gasPerPubdata != REQUIRED_L2_GAS_PRICE_PER_PUBDATA) revert InvalidGasPerPubdata(gasPerPubdata);
        if (l2GasLimit > s.priorityTxMaxGasLimit) revert TooMuchGas(l2GasLimit, s.priorityTxMaxGasLimit);
        // Worst case of Prague's calldata pricing: the L2 can never fail the intrinsic-gas check.
        uint256 minGas = L2_TX_INTRINSIC_GAS + calldataLength * L2_TX_MAX_GAS_PER_CALLDATA_BYTE;
        if (l2GasLimit < minGas) revert NotEnoughGas(l2GasLimit, minGas);
        l2GasPrice = _deriveL2GasPrice(tx.gasprice, gasPerPubdata);
        uint256 required = l2GasPrice * l2GasLimit + l2Value;
        if (msg.value < required) revert MsgValueTooLow(required, msg.value);
    }

    /// @dev Queues `l2Tx` with its deadline and announces it.
    function _enqueue(L2CanonicalTransaction memory l2Tx) private returns (bytes32 canonicalTxHash) {
        canonicalTxHash = keccak256(abi.encode(l2Tx));
        uint64 expiration = uint64(block.timestamp + s.priorityTxDeadline);
        s.priorityQueue.pushBack(
            PriorityOperation({canonicalTxHash: canonicalTxHash, expirationTimestamp: expiration, layer2Tip: 0})
        );
        emit NewPriorityRequest(l2Tx.nonce, canonicalTxHash, expiration, l2Tx, new bytes[](0));
    }

    /// @dev The L2 transaction of a request made by `msg.sender`, without its calldata.
    function _canonicalTransaction(
        address contractL2,
        uint256 l2Value,
        uint256 l2GasLimit,
        uint256 l2GasPrice,
        address refundRecipient
    ) private view returns (L2CanonicalTransaction memory l2Tx) {
        // A contract on L1 does not own the same address on L2 (EOAs do).
        address sender = msg.sender == tx.origin ? msg.sender : AddressAliasHelper.applyL1ToL2Alias(msg.sender);
        address refund = refundRecipient == address(0) ? sender : refundRecipient;
        if (refund.code.length > 0) refund = AddressAliasHelper.applyL1ToL2Alias(refund);

        l2Tx.txType = PRIORITY_OPERATION_L2_TX_TYPE;
        l2Tx.from = uint256(uint160(sender));
        l2Tx.to = uint256(uint160(contractL2));
        l2Tx.gasLimit = l2GasLimit;
        l2Tx.gasPerPubdataByteLimit = REQUIRED_L2_GAS_PRICE_PER_PUBDATA;
        l2Tx.maxFeePerGas = l2GasPrice;
        l2Tx.nonce = s.priorityQueue.tail;
        l2Tx.value = l2Value;
        l2Tx.reserved = [msg.value, uint256(uint160(refund)), 0, 0];
    }

    /// @inheritdoc IMailbox
    function l2TransactionBaseCost(uint256 gasPrice, uint256 l2GasLimit, uint256 l2GasPerPubdataByteLimit)
        public
        view
        returns (uint256)
    {
        return _deriveL2GasPrice(gasPrice, l2GasPerPubdataByteLimit) * l2GasLimit;
    }

    /// @inheritdoc IMailbox
    function proveL2MessageInclusion(
        uint256 batchNumber,
        uint256 index,
        L2Message calldata message,
        bytes32[] calldata proof
    ) public view returns (bool) {
        return _proveL2LogInclusion(batchNumber, index, _messageToLog(message), proof);
    }

    /// @inheritdoc IMailbox
    function proveL2LogInclusion(uint256 batchNumber, uint256 index, L2Log calldata log, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _proveL2LogInclusion(batchNumber, index, log, proof);
    }

    /// @inheritdoc IMailbox
    function finalizeEthWithdrawal(
        uint256 l2BatchNumber,
        uint256 l2MessageIndex,
        uint16 l2TxNumberInBatch,
        bytes calldata message,
        bytes32[] calldata merkleProof
    ) external nonReentrant {
        if (s.isEthWithdrawalFinalized[l2BatchNumber][l2MessageIndex]) {
            revert WithdrawalAlreadyFinalized(l2BatchNumber, l2MessageIndex);
        }
        if (message.length != _WITHDRAWAL_MESSAGE_LENGTH || bytes4(message[0:4]) != this.finalizeEthWithdrawal.selector)
        {
            revert InvalidWithdrawalMessage();
        }
        address receiver = address(bytes20(message[4:24]));
        uint256 amount = uint256(bytes32(message[24:56]));

        L2Message memory l2Message =
            L2Message({txNumberInBatch: l2TxNumberInBatch, sender: L2_BASE_TOKEN_SYSTEM_CONTRACT_ADDR, data: message});
        if (!_proveL2LogInclusion(l2BatchNumber, l2MessageIndex, _messageToLog(l2Message), merkleProof)) {
            revert WithdrawalNotProven();
        }
        // Marked before the transfer: a reentering receiver finds it finalized.
        s.isEthWithdrawalFinalized[l2BatchNumber][l2MessageIndex] = true;
        (bool ok,) = receiver.call{value: amount}("");
        if (!ok) revert WithdrawalTransferFailed(receiver, amount);
        emit EthWithdrawalFinalized(receiver, amount, l2BatchNumber, l2MessageIndex);
    }

    function _proveL2LogInclusion(uint256 batchNumber, uint256 index, L2Log memory log, bytes32[] calldata proof)
        private
        view
        returns (bool)
    {
        if (batchNumber == 0 || batchNumber > s.totalBatchesExecuted) revert BatchNotExecuted(batchNumber);
        bytes32 root = s.l2LogsRootHashes[batchNumber];
        if (root == bytes32(0)) revert ZeroLogsRoot(batchNumber);
        bytes32 leaf = keccak256(
            abi.encodePacked(log.l2ShardId, log.isService, log.txNumberInBatch, log.sender, log.key, log.value)
        );
        if (leaf == L2_L1_LOGS_TREE_DEFAULT_LEAF_HASH) revert DefaultLeafNotProvable();
        return L2LogsTree.rootFromPath(proof, index, leaf) == root;
    }

    /// @dev A message is proven as the log the L1 messenger emits for it.
    function _messageToLog(L2Message memory message) private pure returns (L2Log memory) {
        return L2Log({
            l2ShardId: 0,
            isService: true,
            txNumberInBatch: message.txNumberInBatch,
            sender: L2_TO_L1_MESSENGER_SYSTEM_CONTRACT_ADDR,
            key: bytes32(uint256(uint160(message.sender))),
            value: keccak256(message.data)
        });
    }

    /// @dev Era's L2 gas price: the larger of the execution price and what covers pubdata.
    function _deriveL2GasPrice(uint256 l1GasPrice, uint256 gasPerPubdata) private view returns (uint256) {
        if (gasPerPubdata == 0) revert InvalidGasPerPubdata(gasPerPubdata);
        FeeParams memory fp = s.feeParams;
        uint256 pubdataPrice = fp.pubdataPricingMode == PubdataPricingMode.Rollup ? L1_GAS_PER_PUBDATA_BYTE * l1GasPrice : 0;
        uint256 batchOverhead = uint256(fp.batchOverheadL1Gas) * l1GasPrice;
        uint256 fullPubdataPrice = pubdataPrice + batchOverhead / fp.maxPubdataPerBatch;
        uint256 l2GasPrice = fp.minimalL2GasPrice + batchOverhead / fp.maxL2GasPerBatch;
        uint256 minL2GasPriceForPubdata = (fullPubdataPrice + gasPerPubdata - 1) / gasPerPubdata;
        return l2GasPrice > minL2GasPriceForPubdata ? l2GasPrice : minL2GasPriceForPubdata;
    }
}
