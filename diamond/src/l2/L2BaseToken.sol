// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L1Messenger} from "./L1Messenger.sol";
import {IMailbox} from "../interfaces/IMailbox.sol";
import {L2_TO_L1_MESSENGER_SYSTEM_CONTRACT_ADDR} from "../common/Config.sol";

/// @title L2 system contract at `0x…800a`: the base token (ETH) and its withdrawal to L1
/// @notice Balances are the accounts' native balances. `withdraw` keeps the ETH sent and tells L1,
/// through the messenger at `0x…8008`, to release as much from the Diamond; the node burns the
/// ETH this contract holds, so withdrawn ETH leaves the L2 supply.
/// @dev The node places this runtime code in the L2 genesis without running a constructor: it
/// has no constructor, no immutables and no storage (the node's flat state keeps every account's
/// balance in slots of this address). No `receive` or `fallback`: a plain ETH transfer reverts,
/// so nobody burns ETH by mistake.
contract L2BaseToken {
    /// @notice `withdraw` was called without ETH.
    error ZeroWithdrawalAmount();

    /// @notice `amount` ETH of `l2Sender` is withdrawn to `l1Receiver`, claimable on L1 with
    /// `finalizeEthWithdrawal` once the batch is executed.
    /// @param l2Sender The caller of `withdraw`.
    /// @param l1Receiver Who receives the ETH on L1.
    /// @param amount The ETH withdrawn, in wei.
    event Withdrawal(address indexed l2Sender, address indexed l1Receiver, uint256 amount);

    /// @notice Withdraw `msg.value` to `l1Receiver` on L1.
    /// @dev Sends L1 the 56-byte message `finalizeEthWithdrawal.selector ‖ l1Receiver ‖ amount`
    /// that `MailboxFacet.finalizeEthWithdrawal` parses.
    /// @param l1Receiver Who receives the ETH on L1.
    function withdraw(address l1Receiver) external payable {
        if (msg.value == 0) revert ZeroWithdrawalAmount();
        L1Messenger(L2_TO_L1_MESSENGER_SYSTEM_CONTRACT_ADDR).sendToL1(
            abi.encodePacked(IMailbox.finalizeEthWithdrawal.selector, l1Receiver, msg.value)
        );
        emit Withdrawal(msg.sender, l1Receiver, msg.value);
    }

    /// @notice The base token balance of `account`: its native balance.
    /// @param account The account.
    /// @return Its balance in wei.
    function balanceOf(address account) external view returns (uint256) {
        return account.balance;
    }
}
