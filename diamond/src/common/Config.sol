// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev BN254 scalar field modulus: every proof public input must be below it.
uint256 constant BN254_SCALAR_FIELD =
    21888242871839275222246405745257275088548364400416034343698204186575808495617;

/// @dev `keccak256("")`: the initial value of the priority operations rolling hash.
bytes32 constant EMPTY_STRING_KECCAK = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;

/// @dev Priority transaction type on L2 (as in Era).
uint256 constant PRIORITY_OPERATION_L2_TX_TYPE = 255;

/// @dev Gas per pubdata byte that L1->L2 requests must declare (Era's fixed value).
uint256 constant REQUIRED_L2_GAS_PRICE_PER_PUBDATA = 800;

/// @dev L1 gas per pubdata byte when the chain is a rollup.
uint256 constant L1_GAS_PER_PUBDATA_BYTE = 17;

/// @dev Upper bound for `priorityTxMaxGasLimit` (Era's `MAX_GAS_PER_TRANSACTION`).
uint256 constant MAX_GAS_PER_TRANSACTION = 80_000_000;

/// @dev Intrinsic gas of an L2 transaction.
uint256 constant L2_TX_INTRINSIC_GAS = 21_000;

/// @dev The most a calldata byte can add to the L2's intrinsic gas: the L2 runs Prague, whose
/// EIP-7623 floor charges 10 gas per token and counts a non-zero byte as 4 tokens (EIP-2028's
/// 16 per byte is below it).
uint256 constant L2_TX_MAX_GAS_PER_CALLDATA_BYTE = 40;

/// @dev Longest calldata of an L1->L2 request. The L2 refuses transactions over 128 KiB
/// encoded; this leaves room for the rest of the priority transaction's encoding.
uint256 constant MAX_L2_TX_CALLDATA_BYTES = 120_000;

/// @dev Height of the per-batch L2->L1 logs tree; Merkle proofs must have exactly this length.
uint256 constant L2_TO_L1_LOGS_TREE_HEIGHT = 14;

/// @dev Size of one packed L2->L1 log.
uint256 constant L2_TO_L1_LOG_SERIALIZE_SIZE = 88;

/// @dev Most L2->L1 logs one batch may publish (`2 ** L2_TO_L1_LOGS_TREE_HEIGHT`).
uint256 constant MAX_L2_TO_L1_LOGS = 16_384;

/// @dev `keccak256(new bytes(88))`: the leaf of an unused slot of the logs tree.
bytes32 constant L2_L1_LOGS_TREE_DEFAULT_LEAF_HASH = 0x72abee45b59e344af8a6e520241c4744aff26ed411f4c4b00f8af09adada43ba;

/// @dev L2 system addresses (Era's map).
address constant L2_BOOTLOADER_ADDRESS = address(0x8001);
address constant L2_TO_L1_MESSENGER_SYSTEM_CONTRACT_ADDR = address(0x8008);
address constant L2_BASE_TOKEN_SYSTEM_CONTRACT_ADDR = address(0x800a);

/// @dev How far a batch timestamp may run ahead of the L1 block time (clock skew between hosts).
uint256 constant COMMIT_TIMESTAMP_MAX_FUTURE_DRIFT = 15 minutes;

/// @dev Bounds of the forced-inclusion deadline of priority requests.
uint256 constant MIN_PRIORITY_TX_DEADLINE = 1 hours;
uint256 constant MAX_PRIORITY_TX_DEADLINE = 30 days;

/// @dev The shortest catch-up window of forced inclusion: batches sealed before a request's
/// deadline may still be committed without it for this long (or the deadline, if longer), so an
/// outage of the node or its L1 shorter than it never halts commits. Censorship of a request is
/// bounded by its deadline plus the window.
uint256 constant MIN_PRIORITY_CATCH_UP_WINDOW = 7 days;

/// @dev Upper bound of the commit -> execute delay.
uint256 constant MAX_EXECUTION_DELAY = 30 days;

/// @dev Most bytecodes (factory deps) one L1->L2 request may carry. A committed batch has no
/// count limit: it holds whole L2 blocks, and its calldata size bounds what it publishes.
uint256 constant MAX_NEW_FACTORY_DEPS = 32;

/// @dev Bytes per state-diff record: `derived key (32) ‖ value (32)` (docs/pubdata.md).
uint256 constant STATE_DIFF_RECORD_BYTES = 64;

/// @dev Derived key of the batch-info record, the last record of every committed batch's state
/// diff: the largest key, so it sorts last, and no `keccak256(address ‖ slot)` can equal it in
/// practice. Its value binds what L1 acts on to the proven diff (`docs/proof.md`).
bytes32 constant BATCH_INFO_KEY = bytes32(type(uint256).max);

/// @dev Upper bound of the delay between proposing and executing an upgrade.
uint256 constant MAX_UPGRADE_DELAY = 30 days;
