//! Seal criteria: small rules that decide when the batcher closes a batch. One rule per file,
//! each with its own unit test (zksync-era's `seal_criteria` is the model).
//!
//! A batch holds whole L2 blocks. Before a block is added, [`seal_before`] asks whether the batch
//! must be closed first because the block would push it past a size limit; after each block and
//! on a timer, [`seal_now`] asks whether the batch is complete. A block that alone passes a size
//! limit still gets a batch of its own (a batch is never empty, and a block is never split).

mod age;
mod blocks;
mod bytecodes;
mod l1_cost;
mod l2_logs;
mod priority_ops;
mod pubdata;
mod txs;
mod writes;

use std::time::Duration;

/// The batcher's limits (`[batcher]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most state-diff records (net slot writes) per batch.
    pub max_writes: usize,
    /// Most pubdata bytes per batch (state diff, logs, bytecodes): what the commit transaction
    /// carries as calldata, so it must fit the L1's transaction size and block gas limits.
    pub max_pubdata_bytes: usize,
    /// Most L2->L1 logs per batch (the contract allows 16,384; one L1 transaction fits far fewer).
    pub max_l2_logs: usize,
    /// Most L2 blocks per batch.
    pub max_blocks: usize,
    /// Longest time a batch stays open after its first block while the provers keep up.
    pub max_age: Duration,
    /// Longest time a batch stays open while sealed chunks wait for a prover: sealing it
    /// earlier would not prove it sooner, and a longer batch publishes and proves each busy
    /// slot once.
    pub max_age_behind: Duration,
    /// Most bytecodes a batch publishes, unless one block alone has more.
    pub max_bytecodes: usize,
    /// Most priority operations (L1->L2 requests) per batch.
    pub max_priority_ops: usize,
    /// Limits of one settlement transaction: each batch must commit, prove and execute alone
    /// within them (`l1.max_tx_gas`, `l1.max_tx_calldata_bytes`).
    pub l1: rollup_contracts::cost::TxLimits,
    /// Records per proof chunk (how many proofs a batch needs).
    pub chunk_records: usize,
}

/// The size of an open batch (or of one with the next block added).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// State-diff records.
    pub writes: usize,
    /// Pubdata bytes: state diff, logs and bytecodes.
    pub pubdata_bytes: usize,
    /// L2->L1 logs.
    pub l2_logs: usize,
    /// L2 blocks.
    pub blocks: usize,
    /// Time since the first block was added.
    pub age: Duration,
    /// Distinct code hashes the batch sets (an upper bound of the bytecodes it publishes).
    pub bytecodes: usize,
    /// Their total size in 32-byte words.
    pub code_words: usize,
    /// Transactions.
    pub txs: usize,
    /// Priority operations.
    pub priority_ops: usize,
    /// Whether chunks of sealed batches are waiting for a prover (not a size: what the age
    /// rule asks of the provers).
    pub provers_behind: bool,
}

/// One seal rule.
pub(crate) trait SealCriterion {
    /// Its name, in logs and metrics.
    fn name(&self) -> &'static str;

    /// Whether `next` (the batch with the next block added) is over a limit, so the batch must
    /// be sealed before that block.
    fn over(&self, _limits: &Limits, _next: &Totals) -> bool {
        false
    }

    /// Whether `current` is complete and must be sealed now.
    fn complete(&self, _limits: &Limits, _current: &Totals) -> bool {
        false
    }
}

const CRITERIA: [&dyn SealCriterion; 9] = [
    &txs::Txs,
    &priority_ops::PriorityOps,
    &writes::Writes,
    &pubdata::Pubdata,
    &l2_logs::L2Logs,
    &bytecodes::Bytecodes,
    &l1_cost::L1Cost,
    &blocks::Blocks,
    &age::Age,
];

/// The rule that forbids adding a block to a non-empty batch of size `current`, if any.
pub fn seal_before(limits: &Limits, current: &Totals, next: &Totals) -> Option<&'static str> {
    if current.blocks == 0 {
        return None;
    }
    CRITERIA.iter().find(|c| c.over(limits, next)).map(|c| c.name())
}

/// The rule that says a non-empty batch of size `current` is complete, if any.
pub fn seal_now(limits: &Limits, current: &Totals) -> Option<&'static str> {
    if current.blocks == 0 {
        return None;
    }
    CRITERIA.iter().find(|c| c.complete(limits, current)).map(|c| c.name())
}

#[cfg(test)]
pub(crate) fn limits() -> Limits {
    Limits {
        max_writes: 100,
        max_pubdata_bytes: 10_000,
        max_l2_logs: 10,
        max_blocks: 5,
        max_age: Duration::from_secs(1),
        max_age_behind: Duration::from_secs(10),
        max_bytecodes: 32,
        max_priority_ops: 8,
        l1: rollup_contracts::cost::TxLimits { max_calldata: 120_000, max_gas: 30_000_000 },
        chunk_records: 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_batch_is_never_sealed_and_always_takes_a_block() {
        let huge = Totals {
            writes: 1 << 20,
            blocks: 1,
            age: Duration::from_secs(99),
            ..Totals::default()
        };
        assert_eq!(seal_before(&limits(), &Totals::default(), &huge), None);
        assert_eq!(
            seal_now(&limits(), &Totals { age: Duration::from_secs(99), ..Totals::default() }),
            None
        );
        let one = Totals { blocks: 1, writes: 1, ..Totals::default() };
        assert_eq!(seal_before(&limits(), &one, &huge), Some("writes"));
    }
}
