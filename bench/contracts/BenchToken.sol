// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title BenchToken
/// @notice The ERC-20 of rollup-bench's `erc20` scenario: the bench deploys it from the funder,
/// gives every load account a share, and each account then sends `transfer(sink, 1)`.
/// @dev Minimal on purpose (no allowance tricks, no hooks), so a transfer costs what a plain
/// ERC-20 transfer costs. Built into `BenchToken.hex` by the pinned solc-js; see
/// `bench/contracts/README.md` for the command and the test that keeps the two in step.
contract BenchToken {
    string public constant name = "Bench";
    string public constant symbol = "BNCH";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice Mints `supply` to the deployer.
    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    /// @notice Moves `value` from the caller to `to`.
    function transfer(address to, uint256 value) external returns (bool) {
        uint256 have = balanceOf[msg.sender];
        require(have >= value, "balance too low");
        unchecked {
            balanceOf[msg.sender] = have - value;
        }
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    /// @notice Lets `spender` move up to `value` of the caller's tokens.
    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Moves `value` from `from` to `to` within the caller's allowance.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= value, "allowance too low");
        uint256 have = balanceOf[from];
        require(have >= value, "balance too low");
        unchecked {
            allowance[from][msg.sender] = allowed - value;
            balanceOf[from] = have - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }
}
