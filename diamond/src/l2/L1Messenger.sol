// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title L2 system contract at `0x…8008`: messages from L2 to L1
/// @notice The node turns every `L1MessageSent` log of this address into the L2->L1 log
/// `{l2ShardId: 0, isService: true, txNumberInBatch, sender: 0x…8008, key: sender, value: hash}`
/// of the batch, which `MailboxFacet.proveL2MessageInclusion` proves on L1 given the message.
/// Only code at this address emits logs from it, so no other contract can forge a message.
/// @dev The node places this runtime code in the L2 genesis without running a constructor: it
/// has no constructor, no immutables and no storage.
contract L1Messenger {
    /// @notice `sender` sent `message` to L1.
    /// @param sender The caller of `sendToL1`; the key of the L2->L1 log.
    /// @param hash `keccak256(message)`; the value of the L2->L1 log.
    /// @param message The message, which L1 needs to prove inclusion.
    event L1MessageSent(address indexed sender, bytes32 indexed hash, bytes message);

    /// @notice Send `message` to L1 from `msg.sender`; L1 can prove it once the batch is executed.
    /// @param message The message.
    /// @return hash `keccak256(message)`.
    function sendToL1(bytes calldata message) external returns (bytes32 hash) {
        hash = keccak256(message);
        emit L1MessageSent(msg.sender, hash, message);
    }
}
