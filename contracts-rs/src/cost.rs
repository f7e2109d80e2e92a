//! What a settlement transaction costs on L1: its exact calldata size (ABI encoding of
//! `commitBatches`, `proveBatches`, `executeBatches`) and an upper bound of its gas.
//!
//! The batcher seals batches so that each one alone fits every step's limits, and the eth
//! sender's planner packs batches into transactions while they fit (`docs/operations.md`,
//! "Settlement limits"). The gas figures are upper bounds measured on anvil and revm with the
//! real verifier (`contracts-rs/tests/it/cost.rs` checks them against mined transactions); the
//! sender still estimates every transaction before it signs it.

/// L1 gas of a transaction with no calldata and no execution.
pub const TX_BASE_GAS: u64 = 21_000;
/// L1 gas per calldata byte, standard pricing, counted as if every byte were non-zero.
pub const CALLDATA_GAS_PER_BYTE: u64 = 16;
/// L1 gas per calldata byte at EIP-7623's floor (10 per token, 4 tokens per non-zero byte): a
/// transaction pays `max(standard calldata + execution, floor)`.
pub const CALLDATA_FLOOR_GAS_PER_BYTE: u64 = 40;
/// Execution gas of `commitBatches` per batch, beyond its bytes: three storage slots written
/// (stored hash, priority count, commit time), the event, the hashing of its head.
pub const COMMIT_BATCH_GAS: u64 = 90_000;
/// Execution gas per state-diff record at commit: its four limbs in the chunk's evaluation
/// (a `mulmod` and an `addmod` each) and its share of the chunk's keccak.
pub const COMMIT_RECORD_GAS: u64 = 400;
/// Execution gas per proof chunk at commit: the point's keccak, the claim and its share of the
/// claims' hash.
pub const COMMIT_CHUNK_GAS: u64 = 2_500;
/// Execution gas per L2->L1 log at commit: its leaf and its share of the logs tree.
pub const COMMIT_LOG_GAS: u64 = 400;
/// Execution gas per bytecode word at commit (its keccak and copy).
pub const COMMIT_CODE_WORD_GAS: u64 = 12;
/// Execution gas of `proveBatches` per batch, beyond its chunks.
pub const PROVE_BATCH_GAS: u64 = 20_000;
/// Execution gas per proof chunk: its share of the call's one batched Groth16 check (a pairing
/// pair, two scalar multiplications, its inputs folded in), about 54k from the third proof of a
/// circuit on and 67k for the second (forge, `Verifier.gas.t.sol`), with a margin.
pub const PROVE_CHUNK_GAS: u64 = 70_000;
/// Execution gas of the batched check itself, once per `proveBatches` call: the pairing's base,
/// the first circuit's three fixed pairs and its folded inputs (one proof: about 245k in all,
/// with its `PROVE_CHUNK_GAS`), with a margin.
pub const PROVE_CHECK_GAS: u64 = 200_000;
/// Execution gas of each further circuit (verifying key) among a call's proofs: three more
/// pairs and six more scalar multiplications, about 168k.
pub const PROVE_CIRCUIT_GAS: u64 = 175_000;
/// Circuits whose proofs one call may mix: the node's provers prove with the dev shapes'
/// circuits (general 1, 3, 15 and repeated-only 15; `rollup_prover::keys::DEV_SHAPES`).
pub const PROVE_CIRCUITS: usize = 4;
/// Execution gas of `executeBatches` per batch.
pub const EXECUTE_BATCH_GAS: u64 = 40_000;
/// Execution gas per priority operation popped at execute.
pub const EXECUTE_OP_GAS: u64 = 12_000;
/// Fixed gas of any settlement call beyond its batches (dispatch, counters, the reentrancy lock).
pub const CALL_GAS: u64 = 40_000;

/// ABI head of one `StoredBatchInfo` (nine static words).
const STORED_INFO_BYTES: usize = 9 * 32;

fn padded(len: usize) -> usize {
    len.div_ceil(32) * 32
}

/// Words of a bytecode of `len` bytes, as its ABI encoding pads it.
pub fn code_words(len: usize) -> usize {
    len.div_ceil(32)
}

/// What settling a batch depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchShape {
    /// State-diff records, the batch-info record included.
    pub records: usize,
    /// Records per proof chunk.
    pub chunk_records: usize,
    /// L2->L1 logs.
    pub logs: usize,
    /// Published bytecodes.
    pub bytecodes: usize,
    /// Their total length in 32-byte words (each rounded up).
    pub bytecode_words: usize,
    /// Priority operations.
    pub priority_ops: u64,
}

impl BatchShape {
    /// Proof chunks.
    pub fn chunks(&self) -> usize {
        self.records.div_ceil(self.chunk_records.max(1))
    }

    /// Bytes of this batch's `CommitBatchInfo` in a `commitBatches` call: its offset word, eleven
    /// head words, then the state diff, the logs, the bytecodes and the chunk digests, each
    /// length-prefixed and padded to words.
    pub fn commit_bytes(&self) -> usize {
        let codes = self.bytecodes * 64 + self.bytecode_words * 32;
        32 + 11 * 32
            + (32 + self.records * 64)
            + (32 + padded(self.logs * 88))
            + 32
            + codes
            + (32 + self.chunks() * 32)
    }

    /// Bytes of this batch in a `proveBatches` call: its stored info, its proof's offset and
    /// three arrays (chunk claims of three words, the commitments between chunks, one nine-word
    /// proof each).
    pub fn prove_bytes(&self) -> usize {
        let k = self.chunks();
        STORED_INFO_BYTES
            + 32
            + 3 * 32
            + (32 + k * 3 * 32)
            + (32 + k.saturating_sub(1) * 32)
            + (32 + k * (32 + 32 + 9 * 32))
    }

    /// Bytes of this batch in an `executeBatches` call.
    pub fn execute_bytes(&self) -> usize {
        STORED_INFO_BYTES
    }

    /// Execution gas of committing it (calldata not included).
    pub fn commit_gas(&self) -> u64 {
        let words = self.bytecode_words;
        COMMIT_BATCH_GAS
            + self.records as u64 * COMMIT_RECORD_GAS
            + self.chunks() as u64 * COMMIT_CHUNK_GAS
            + self.logs as u64 * COMMIT_LOG_GAS
            + words as u64 * COMMIT_CODE_WORD_GAS
    }

    /// Execution gas of proving it.
    pub fn prove_gas(&self) -> u64 {
        PROVE_BATCH_GAS + self.chunks() as u64 * PROVE_CHUNK_GAS
    }

    /// Execution gas of executing it.
    pub fn execute_gas(&self) -> u64 {
        EXECUTE_BATCH_GAS + self.priority_ops * EXECUTE_OP_GAS
    }
}

/// One of the three settlement calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `commitBatches`.
    Commit,
    /// `proveBatches`.
    Prove,
    /// `executeBatches`.
    Execute,
}

/// Size and gas of one settlement transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxCost {
    /// Calldata bytes.
    pub calldata: usize,
    /// Upper bound of its gas (intrinsic, calldata and execution).
    pub gas: u64,
}

/// The cost of one `call` carrying `batches`, in order.
pub fn tx_cost<'a>(call: Call, batches: impl IntoIterator<Item = &'a BatchShape>) -> TxCost {
    // Selector, the previous batch's stored info (commit, prove), the array offsets and lengths.
    let (mut calldata, mut exec) = match call {
        Call::Commit => (4 + STORED_INFO_BYTES + 32 + 32, CALL_GAS),
        Call::Prove => (4 + STORED_INFO_BYTES + 2 * 32 + 2 * 32, CALL_GAS + PROVE_CHECK_GAS),
        Call::Execute => (4 + 32 + 32, CALL_GAS),
    };
    let mut chunks = 0;
    for b in batches {
        chunks += b.chunks();
        let (bytes, gas) = match call {
            Call::Commit => (b.commit_bytes(), b.commit_gas()),
            Call::Prove => (b.prove_bytes(), b.prove_gas()),
            Call::Execute => (b.execute_bytes(), b.execute_gas()),
        };
        calldata += bytes;
        exec += gas;
    }
    if call == Call::Prove {
        // Worst case: every further chunk up to the circuit count brings a new circuit.
        let circuits = chunks.clamp(1, PROVE_CIRCUITS) as u64;
        exec += (circuits - 1) * PROVE_CIRCUIT_GAS;
    }
    let bytes = calldata as u64;
    let gas = TX_BASE_GAS
        + (bytes * CALLDATA_GAS_PER_BYTE + exec).max(bytes * CALLDATA_FLOOR_GAS_PER_BYTE);
    TxCost { calldata, gas }
}

/// The limits of one settlement transaction (`[l1]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLimits {
    /// Most calldata bytes.
    pub max_calldata: usize,
    /// Most gas.
    pub max_gas: u64,
}

impl TxLimits {
    /// Whether `cost` fits.
    pub fn fits(&self, cost: TxCost) -> bool {
        cost.calldata <= self.max_calldata && cost.gas <= self.max_gas
    }

    /// The first step a batch of this shape could not settle in alone, with its cost.
    pub fn oversized(&self, batch: &BatchShape) -> Option<(Call, TxCost)> {
        [Call::Commit, Call::Prove, Call::Execute]
            .into_iter()
            .map(|c| (c, tx_cost(c, [batch])))
            .find(|(_, cost)| !self.fits(*cost))
    }
}
