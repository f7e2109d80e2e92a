// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice What a facet cut does to its selectors.
enum Action {
    Add,
    Replace,
    Remove
}

/// @notice One step of a diamond cut: a facet and the selectors to add, replace or remove.
/// @param facet The facet address; must be zero for `Remove`.
/// @param action What to do with `selectors`.
/// @param isFreezable Whether the selectors are blocked while the diamond is frozen.
/// @param selectors The function selectors concerned (never empty).
struct FacetCut {
    address facet;
    Action action;
    bool isFreezable;
    bytes4[] selectors;
}

/// @notice A whole diamond cut: the facet cuts, then an optional delegatecall to `initAddress`.
/// @param facetCuts The cuts, applied in order.
/// @param initAddress Contract to delegatecall after the cuts (zero for none).
/// @param initCalldata Calldata of that delegatecall (empty when `initAddress` is zero).
struct DiamondCutData {
    FacetCut[] facetCuts;
    address initAddress;
    bytes initCalldata;
}

/// @notice Where a selector is routed.
/// @param facetAddress The facet that implements the selector (zero if none).
/// @param selectorPosition Index of the selector in `FacetToSelectors.selectors`.
/// @param isFreezable Whether the selector is blocked while the diamond is frozen.
struct SelectorToFacet {
    address facetAddress;
    uint16 selectorPosition;
    bool isFreezable;
}

/// @notice The selectors of one facet.
/// @param selectors Every selector routed to the facet.
/// @param facetPosition Index of the facet in `DiamondStorage.facets`.
struct FacetToSelectors {
    bytes4[] selectors;
    uint16 facetPosition;
}

/// @notice A facet and its selectors, as returned by the EIP-2535 loupe.
/// @param addr The facet address.
/// @param selectors Its selectors.
struct Facet {
    address addr;
    bytes4[] selectors;
}

/// @notice How L1 pubdata is priced in `l2TransactionBaseCost`.
enum PubdataPricingMode {
    Rollup,
    Validium
}

/// @notice Fee parameters for L1->L2 transactions (Era's `FeeParams`).
/// @param pubdataPricingMode Rollup charges L1 gas per pubdata byte, Validium does not.
/// @param batchOverheadL1Gas L1 gas spent per batch, amortised over its gas and pubdata.
/// @param maxPubdataPerBatch Most pubdata bytes a batch may publish.
/// @param maxL2GasPerBatch Most L2 gas a batch may use.
/// @param priorityTxMaxPubdata Most pubdata one priority transaction may use.
/// @param minimalL2GasPrice Floor of the L2 gas price in wei.
struct FeeParams {
    PubdataPricingMode pubdataPricingMode;
    uint32 batchOverheadL1Gas;
    uint32 maxPubdataPerBatch;
    uint32 maxL2GasPerBatch;
    uint32 priorityTxMaxPubdata;
    uint64 minimalL2GasPrice;
}

/// @notice What L1 remembers of a batch; only `keccak256(abi.encode(info))` is stored.
/// @param batchNumber The batch number (genesis is 0).
/// @param batchHash The state commitment after the batch: Poseidon(tree root, next free index).
/// @param indexRepeatedStorageChanges The next free enumeration index of the state tree after the batch.
/// @param numberOfLayer1Txs How many priority operations the batch executed.
/// @param priorityOperationsHash Rolling hash of those operations' canonical hashes.
/// @param l2LogsTreeRoot Root of the batch's L2->L1 logs tree, computed on L1 from the published logs.
/// @param timestamp The batch timestamp (seconds).
/// @param stateDiffHash `keccak256(abi.encode(claims))` where `claims` is the `ChunkClaim[]` of the
/// chunks of the batch's canonical state-diff bytes, in chunk order (each claim's three words are
/// proof inputs; see docs/pubdata.md).
/// @param commitment Hash of everything `commitBatches` received for the batch.
struct StoredBatchInfo {
    uint64 batchNumber;
    bytes32 batchHash;
    uint64 indexRepeatedStorageChanges;
    uint256 numberOfLayer1Txs;
    bytes32 priorityOperationsHash;
    bytes32 l2LogsTreeRoot;
    uint256 timestamp;
    bytes32 stateDiffHash;
    bytes32 commitment;
}

/// @notice What the validator sends to commit one batch.
/// @param batchNumber Must be the last committed batch number + 1.
/// @param timestamp Batch timestamp: after the previous batch's, not in the future.
/// @param indexRepeatedStorageChanges The next free enumeration index after the batch.
/// @param newStateCommitment The state commitment after the batch (a BN254 field element).
/// @param numberOfLayer1Txs How many priority operations the batch executed, in queue order.
/// @param priorityOperationsHash Rolling hash of their canonical hashes (checked at execute).
/// @param stateDiff The canonical state-diff bytes (`docs/pubdata.md`), a whole number of 64-byte records.
/// @param l2Logs The batch's L2->L1 logs, 88 bytes each, packed.
/// @param publishedBytecodes Runtime bytecode that appears for the first time in the batch.
/// @param chunkRecords Records per proof chunk: the diff is cut into chunks of this many records (the
/// last may be shorter), each proven on its own; each chunk's `ChunkClaim` is a proof input.
/// @param chunkDigests The prover's Poseidon digest of each chunk's records, one per chunk in order,
/// each below the BN254 scalar field modulus. L1 does not recompute them (no Poseidon on L1): a
/// wrong digest only makes its chunk unprovable.
struct CommitBatchInfo {
    uint64 batchNumber;
    uint64 timestamp;
    uint64 indexRepeatedStorageChanges;
    bytes32 newStateCommitment;
    uint256 numberOfLayer1Txs;
    bytes32 priorityOperationsHash;
    bytes stateDiff;
    bytes l2Logs;
    bytes[] publishedBytecodes;
    uint64 chunkRecords;
    bytes32[] chunkDigests;
}

/// @notice What binds one state-diff chunk to its proof; L1 computes `point` and `evaluation` at
/// commit, and the three words are public inputs of the chunk's proof (docs/pubdata.md).
/// @param digest `d`: the prover's Poseidon digest of the chunk's records (from `chunkDigests`),
/// below the BN254 scalar field modulus `R`.
/// @param point `r = uint256(keccak256(abi.encodePacked(d, keccak256(chunkBytes)))) % R`: the
/// Fiat-Shamir point, fixed by the digest and the published bytes together.
/// @param evaluation `y = N + sum_{j=0}^{4N-1} limb_j * r^(j+1) mod R` for a chunk of `N` records,
/// the limbs being, record after record, the high and low 16 bytes of its key then of its value.
struct ChunkClaim {
    bytes32 digest;
    uint256 point;
    uint256 evaluation;
}

/// @notice The proof of one batch: one Groth16 proof per state-diff chunk, chained by commitments.
/// @param chunkClaims The claim of each chunk, in order (`keccak256(abi.encode(chunkClaims))` must
/// be the batch's `stateDiffHash`).
/// @param chunkCommitments The state commitments between chunks (`k - 1` of them for `k` chunks).
/// @param chunkProofs One proof per chunk, in the verifier's format; chunk `i` proves
/// `c_i -> c_{i+1}` with `c_0` the previous batch's commitment and `c_k` this batch's.
struct BatchProof {
    ChunkClaim[] chunkClaims;
    bytes32[] chunkCommitments;
    uint256[][] chunkProofs;
}

/// @notice A pending priority (L1->L2) operation.
/// @param canonicalTxHash `keccak256(abi.encode(L2CanonicalTransaction))`.
/// @param expirationTimestamp Deadline: every batch sealed after it must include the request.
/// @param layer2Tip Reserved, always 0.
struct PriorityOperation {
    bytes32 canonicalTxHash;
    uint64 expirationTimestamp;
    uint192 layer2Tip;
}

/// @notice An L2->L1 log, as the L2 emits it (88 bytes packed).
/// @param l2ShardId Always 0.
/// @param isService Whether the log comes from a system contract.
/// @param txNumberInBatch Index of the emitting transaction in its batch.
/// @param sender The L2 address that emitted the log.
/// @param key First word of the log.
/// @param value Second word of the log.
struct L2Log {
    uint8 l2ShardId;
    bool isService;
    uint16 txNumberInBatch;
    address sender;
    bytes32 key;
    bytes32 value;
}

/// @notice An arbitrary-length L2->L1 message, sent through the L1 messenger (0x8008).
/// @param txNumberInBatch Index of the sending transaction in its batch.
/// @param sender The L2 address that sent the message.
/// @param data The message.
struct L2Message {
    uint16 txNumberInBatch;
    address sender;
    bytes data;
}

/// @notice The L2 transaction a priority request becomes (Era's `L2CanonicalTransaction`).
/// @dev Field meanings for an L1->L2 request are in docs/contracts.md.
struct L2CanonicalTransaction {
    uint256 txType;
    uint256 from;
    uint256 to;
    uint256 gasLimit;
    uint256 gasPerPubdataByteLimit;
    uint256 maxFeePerGas;
    uint256 maxPriorityFeePerGas;
    uint256 paymaster;
    uint256 nonce;
    uint256 value;
    uint256[4] reserved;
    bytes data;
    bytes signature;
    uint256[] factoryDeps;
    bytes paymasterInput;
    bytes reservedDynamic;
}
