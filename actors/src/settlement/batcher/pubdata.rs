//! Building a batch's pubdata from its blocks' slot writes: the **net** writes (a slot that goes
//! 0 -> 5 -> 0 inside the batch publishes nothing), keyed by derived key in canonical order, and
//! the bytecodes that appear for the first time. Pure logic; the batcher reads blocks from redb.

use super::criteria::Totals;
use crate::state::{SlotKey, SlotWrite, ACCOUNT_CODE_STORAGE};
use alloy::primitives::B256;
use rollup_tree::{DiffError, StateDiff, RECORD_BYTES};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Bytes of one published L2->L1 log.
const LOG_BYTES: usize = rollup_contracts::batch::L2_TO_L1_LOG_SERIALIZE_SIZE;

/// Whether a write sets an account's code hash (a bytecode to publish).
fn is_code(key: &SlotKey, value: &B256) -> bool {
    key.address == ACCOUNT_CODE_STORAGE && !value.is_zero()
}

/// An open batch: the blocks added so far and their net writes.
#[derive(Debug, Default)]
pub struct BatchBuilder {
    first_block: Option<u64>,
    last_block: u64,
    last_timestamp: u64,
    blocks: usize,
    txs: u32,
    /// slot -> (value before the batch, value after the last write).
    net: BTreeMap<SlotKey, (B256, B256)>,
    l2_logs: usize,
    opened: Option<Instant>,
    /// Timestamp (seconds) of the first block: the age survives a restart, which opens the batch
    /// again from its blocks.
    first_timestamp: u64,
    /// Canonical hashes of the priority transactions, in serial order.
    priority: Vec<B256>,
    /// The batch's L2->L1 logs, packed (88 bytes each).
    logs: Vec<u8>,
    /// Size in words of each code hash the batch may publish (see [`Self::note_code`]).
    code_words: BTreeMap<B256, usize>,
    /// Each block added, with the transactions before it.
    tx_offsets: Vec<(u64, u64)>,
}

/// A closed batch's content, before it gets its number and timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchContent {
    /// First L2 block.
    pub first_block: u64,
    /// Last L2 block.
    pub last_block: u64,
    /// Timestamp of the last block.
    pub last_timestamp: u64,
    /// Transactions.
    pub tx_count: u32,
    /// The canonical state diff.
    pub diff: StateDiff,
    /// Code hashes the batch sets (candidates for publication).
    pub code_hashes: Vec<B256>,
    /// Priority transactions in the batch.
    pub priority_ops: u64,
    /// Rolling hash of their canonical hashes, as `executeBatches` checks it.
    pub priority_hash: B256,
    /// The packed L2->L1 logs.
    pub l2_logs: Vec<u8>,
    /// Each block with the number of the batch's transactions before it.
    pub tx_offsets: Vec<(u64, u64)>,
}

impl BatchBuilder {
    /// Timestamp of the last block added (0 for an empty batch).
    pub fn last_timestamp(&self) -> u64 {
        self.last_timestamp
    }

    /// Whether no block was added yet.
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// The next block the batch expects (after `last_batched`, for an empty batch).
    pub fn next_block(&self, last_batched: u64) -> u64 {
        if self.is_empty() {
            last_batched + 1
        } else {
            self.last_block + 1
        }
    }

    /// The distinct code hashes the batch sets.
    fn codes(&self) -> BTreeSet<B256> {
        self.net
            .iter()
            .filter(|(k, (old, new))| is_code(k, new) && old != new)
            .map(|(_, (_, new))| *new)
            .collect()
    }

    /// Words of these codes (a code whose size was not noted counts as none).
    fn words<'a>(&self, codes: impl IntoIterator<Item = &'a B256>) -> usize {
        codes.into_iter().map(|h| self.code_words.get(h).copied().unwrap_or(0)).sum()
    }

    /// The code hashes `writes` set whose size is not noted yet: the batcher looks them up and
    /// calls [`Self::note_code`] before asking for [`Self::totals_with`].
    pub fn unsized_codes(&self, writes: &[SlotWrite]) -> Vec<B256> {
        let mut out: Vec<B256> = writes
            .iter()
            .filter(|w| is_code(&w.key, &w.new) && !self.code_words.contains_key(&w.new))
            .map(|w| w.new)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Notes the size of a bytecode the batch may publish.
    pub fn note_code(&mut self, hash: B256, len: usize) {
        self.code_words.insert(hash, rollup_contracts::cost::code_words(len));
    }

    /// The batch's size now.
    pub fn totals(&self) -> Totals {
        let writes = self.net.values().filter(|(old, new)| old != new).count();
        let codes = self.codes();
        let code_words = self.words(&codes);
        Totals {
            writes,
            pubdata_bytes: writes * RECORD_BYTES + self.l2_logs * LOG_BYTES + code_words * 32,
            l2_logs: self.l2_logs,
            blocks: self.blocks,
            age: self.age(),
            bytecodes: codes.len(),
            code_words,
            txs: self.txs as usize,
            priority_ops: self.priority.len(),
            provers_behind: false,
        }
    }

    /// The size with a block of `txs` transactions, `writes` and `l2_logs` added. State-diff
    /// records are exact (a slot already written in the batch adds no record, and one written
    /// back to its value before the batch removes one); bytecodes are an upper bound.
    pub fn totals_with(
        &self,
        txs: usize,
        priority: usize,
        writes: &[SlotWrite],
        l2_logs: usize,
    ) -> Totals {
        let t = self.totals();
        let records = self.records_with(t.writes, writes);
        // Distinct codes: a block that deploys one contract many times publishes it once.
        let mut codes = self.codes();
        codes.extend(writes.iter().filter(|w| is_code(&w.key, &w.new)).map(|w| w.new));
        let code_words = self.words(&codes);
        Totals {
            writes: records,
            pubdata_bytes: t.pubdata_bytes - t.code_words * 32 - t.writes * RECORD_BYTES
                + records * RECORD_BYTES
                + l2_logs * LOG_BYTES
                + code_words * 32,
            l2_logs: t.l2_logs + l2_logs,
            blocks: t.blocks + 1,
            age: t.age,
            bytecodes: codes.len(),
            code_words,
            txs: t.txs + txs,
            priority_ops: t.priority_ops + priority,
            provers_behind: t.provers_behind,
        }
    }

    /// The number of net writes (of `records` now) once `writes` are added, as
    /// [`Self::add_block`] would leave them.
    fn records_with(&self, records: usize, writes: &[SlotWrite]) -> usize {
        let mut touched: BTreeMap<&SlotKey, (B256, B256)> = BTreeMap::new();
        for w in writes {
            touched.entry(&w.key).and_modify(|e| e.1 = w.new).or_insert_with(|| {
                (self.net.get(&w.key).map_or(w.old, |(before, _)| *before), w.new)
            });
        }
        touched.iter().fold(records, |n, (key, (before, after))| {
            let was = self.net.get(*key).is_some_and(|(b, a)| b != a);
            n + usize::from(before != after) - usize::from(was)
        })
    }

    /// How long the batch has been open: since it was opened in this process, or, if longer
    /// (a restart opened it again from its blocks), since its first block, less the second that
    /// block timestamps round away. Without the second term a node restarted more often than
    /// `max_age` never sealed by age.
    fn age(&self) -> Duration {
        let Some(opened) = self.opened else { return Duration::ZERO };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let since_first = now_ms.saturating_sub(self.first_timestamp.saturating_add(1) * 1000);
        opened.elapsed().max(Duration::from_millis(since_first))
    }

    /// Adds block `number` with its transactions and slot writes.
    pub fn add_block(&mut self, number: u64, timestamp: u64, txs: u32, writes: &[SlotWrite]) {
        if self.first_block.is_none() {
            self.first_block = Some(number);
            self.opened = Some(Instant::now());
            self.first_timestamp = timestamp;
        }
        self.last_block = number;
        self.last_timestamp = timestamp;
        self.blocks += 1;
        self.tx_offsets.push((number, u64::from(self.txs)));
        self.txs += txs;
        for w in writes {
            self.net.entry(w.key).and_modify(|e| e.1 = w.new).or_insert((w.old, w.new));
        }
    }

    /// Adds the canonical hashes of the priority transactions a block starts with (call it
    /// with the block's [`Self::add_block`]).
    pub fn add_priority(&mut self, hashes: &[B256]) {
        self.priority.extend_from_slice(hashes);
    }

    /// Adds the L2->L1 messages of the next block (call it before that block's
    /// [`Self::add_block`]: a log's `txNumberInBatch` counts the transactions before its block).
    pub fn add_messages(&mut self, messages: &[crate::execution::system::L2ToL1Message]) {
        use rollup_contracts::bindings::IRollupChain::L2Log;
        for m in messages {
            let log = L2Log {
                l2ShardId: 0,
                isService: true,
                txNumberInBatch: (self.txs + m.tx_index) as u16,
                sender: crate::execution::system::L1_MESSENGER,
                key: m.sender.into_word(),
                value: m.hash,
            };
            self.logs.extend_from_slice(&rollup_contracts::batch::pack_log(&log));
            self.l2_logs += 1;
        }
    }

    /// Closes the batch: its canonical net diff and the code hashes it sets.
    pub fn finish(self) -> Result<Option<BatchContent>, DiffError> {
        let Some(first_block) = self.first_block else { return Ok(None) };
        let mut code_hashes = Vec::new();
        let mut records = Vec::with_capacity(self.net.len());
        for (key, (old, new)) in &self.net {
            if old == new {
                continue;
            }
            if is_code(key, new) {
                code_hashes.push(*new);
            }
            records.push((key.derived_key(), *new));
        }
        code_hashes.sort();
        code_hashes.dedup();
        Ok(Some(BatchContent {
            first_block,
            last_block: self.last_block,
            last_timestamp: self.last_timestamp,
            tx_count: self.txs,
            diff: StateDiff::new(records)?,
            code_hashes,
            l2_logs: self.logs,
            tx_offsets: self.tx_offsets,
            priority_ops: self.priority.len() as u64,
            priority_hash: self
                .priority
                .iter()
                .fold(rollup_contracts::batch::empty_rolling_hash(), |h, op| {
                    rollup_contracts::batch::roll_priority_hash(h, *op)
                }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, U256};

    fn w(slot: u64, old: u64, new: u64) -> SlotWrite {
        SlotWrite {
            key: SlotKey::storage(
                address!("0x00000000000000000000000000000000000000aa"),
                U256::from(slot),
            ),
            old: B256::from(U256::from(old)),
            new: B256::from(U256::from(new)),
        }
    }

    /// A batch opened again after a restart keeps its age: the blocks' time counts.
    #[test]
    fn a_batch_opened_again_from_old_blocks_is_as_old_as_its_first_block() {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let mut old = BatchBuilder::default();
        old.add_block(1, now - 100, 1, &[w(1, 0, 5)]);
        let age = old.totals().age;
        assert!(age >= Duration::from_secs(98) && age <= Duration::from_secs(100), "{age:?}");
        let mut fresh = BatchBuilder::default();
        fresh.add_block(1, now, 1, &[w(1, 0, 5)]);
        assert!(fresh.totals().age < Duration::from_secs(1), "a new block's batch is new");
    }

    #[test]
    fn a_slot_that_returns_to_its_old_value_publishes_nothing() {
        let mut b = BatchBuilder::default();
        b.add_block(1, 10, 1, &[w(1, 0, 5), w(2, 0, 7)]);
        b.add_block(2, 11, 1, &[w(1, 5, 0), w(2, 7, 8)]);
        assert_eq!(b.totals().writes, 1);
        let c = b.finish().unwrap().unwrap();
        assert_eq!((c.first_block, c.last_block, c.tx_count), (1, 2, 2));
        assert_eq!(c.diff.writes(), &[(w(2, 0, 0).key.derived_key(), B256::from(U256::from(8)))]);
    }

    /// The size with the next block is what adding it gives: a block rewriting the batch's slots
    /// adds no record (counting its writes said 200 more here, and every busy block sealed a
    /// batch by the L1 cost rule), one writing a slot back removes one.
    #[test]
    fn the_size_with_a_block_counts_each_slot_once() {
        let mut b = BatchBuilder::default();
        let first: Vec<SlotWrite> = (0..100).map(|i| w(i, 0, 1)).collect();
        b.add_block(1, 10, 100, &first);
        let again: Vec<SlotWrite> =
            (0..100).flat_map(|i| [w(i, 1, 2), w(i, 2, 3)]).chain([w(500, 0, 9)]).collect();
        let with = b.totals_with(100, 0, &again, 0);
        assert_eq!(with.writes, 101);
        assert_eq!(with.pubdata_bytes, 101 * RECORD_BYTES);
        let back = [w(0, 1, 0), w(1, 1, 4), w(1, 4, 0), w(600, 0, 0), w(601, 0, 7), w(601, 7, 0)];
        assert_eq!(b.totals_with(1, 0, &back, 0).writes, 98);
        for block in [&again[..], &back[..]] {
            let mut added = BatchBuilder::default();
            added.add_block(1, 10, 100, &first);
            let predicted = added.totals_with(1, 0, block, 0);
            added.add_block(2, 11, 1, block);
            assert_eq!(predicted.writes, added.totals().writes, "exactly what adding it gives");
            assert_eq!(predicted.pubdata_bytes, added.totals().pubdata_bytes);
        }
    }

    #[test]
    fn records_are_in_derived_key_order_and_code_hashes_are_collected() {
        let mut b = BatchBuilder::default();
        let code = SlotWrite {
            key: SlotKey::code_hash(address!("0x00000000000000000000000000000000000000bb")),
            old: B256::ZERO,
            new: B256::repeat_byte(0xc0),
        };
        b.add_block(1, 10, 1, &[w(3, 0, 1), w(4, 0, 1), w(5, 0, 1), code]);
        let c = b.finish().unwrap().unwrap();
        let keys: Vec<B256> = c.diff.writes().iter().map(|(k, _)| *k).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(c.code_hashes, vec![B256::repeat_byte(0xc0)]);
    }

    #[test]
    fn bytecodes_count_distinct_code_hashes_set() {
        let code = |a: u8, h: u8| SlotWrite {
            key: SlotKey::code_hash(alloy::primitives::Address::repeat_byte(a)),
            old: B256::ZERO,
            new: B256::repeat_byte(h),
        };
        let mut b = BatchBuilder::default();
        // Two contracts with the same code publish it once.
        b.add_block(1, 10, 2, &[code(1, 0xc0), code(2, 0xc0), w(1, 0, 1)]);
        assert_eq!(b.totals().bytecodes, 1);
        assert_eq!(b.totals_with(1, 0, &[code(3, 0xc1)], 0).bytecodes, 2);
        // A block deploying the batch's code again, and one new code forty times: two in all
        // (counting each deployment said 42, past the default limit of 32).
        let mut again = vec![code(4, 0xc0)];
        again.extend((10..50).map(|a| code(a, 0xc2)));
        assert_eq!(b.totals_with(41, 0, &again, 0).bytecodes, 2);
    }

    #[test]
    fn an_empty_builder_closes_to_nothing() {
        assert_eq!(BatchBuilder::default().finish().unwrap(), None);
    }
}
