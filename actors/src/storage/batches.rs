//! L1 batches in the chain database: what the batcher sealed and what the tree writer computed.
//!
//! Tables (one writer each):
//! - `batches` (batcher): batch number -> [`SealedBatch`]. Batch 0 is genesis (block 0).
//! - `batch_blocks` (batcher): last L2 block of a batch -> batch number, to find a block's batch.
//! - `published_bytecodes` (batcher): code hash -> the batch that first published it.
//! - `batch_tree` (tree writer): batch number -> [`TreeResult`].
//!
//! A batch row is written in one transaction with its `batch_blocks` and `published_bytecodes`
//! rows, and only then announced. Cursors are the last rows of these tables.

use crate::state::StateError;
use crate::storage::chain::{ChainStore, StoreError};
use alloy::primitives::{Bytes, B256};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::sync::Arc;

const BATCHES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("batches");
const BATCH_BLOCKS: TableDefinition<'_, u64, u64> = TableDefinition::new("batch_blocks");
const PUBLISHED: TableDefinition<'_, [u8; 32], u64> = TableDefinition::new("published_bytecodes");
const BATCH_TREE: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("batch_tree");
/// Block -> transactions before it in its batch (Era's `l1BatchTxIndex` of its first
/// transaction); written with the batch. Batches sealed by older versions have no rows.
const BLOCK_TX_OFFSETS: TableDefinition<'_, u64, u64> = TableDefinition::new("block_tx_offsets");

/// A sealed L1 batch: whole L2 blocks and the pubdata published for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBatch {
    /// The batch number (0 is genesis).
    pub number: u64,
    /// First L2 block.
    pub first_block: u64,
    /// Last L2 block.
    pub last_block: u64,
    /// Batch timestamp (seconds): its last block's, and above the previous batch's.
    pub timestamp: u64,
    /// User and priority transactions in the batch.
    pub tx_count: u32,
    /// Records per proof chunk of [`Self::state_diff`].
    pub chunk_records: u64,
    /// The canonical state diff (`docs/pubdata.md`).
    pub state_diff: Bytes,
    /// Packed L2->L1 logs (88 bytes each).
    pub l2_logs: Bytes,
    /// Bytecodes published for the first time in this batch.
    pub bytecodes: Vec<Bytes>,
    /// When the batcher sealed it (unix milliseconds).
    pub sealed_at_ms: u64,
    /// Priority transactions in the batch (`numberOfLayer1Txs`).
    pub priority_ops: u64,
    /// Rolling hash of their canonical hashes (`priorityOperationsHash`).
    pub priority_hash: B256,
}

impl SealedBatch {
    /// Records in the state diff.
    pub fn records(&self) -> usize {
        self.state_diff.len() / rollup_tree::RECORD_BYTES
    }

    /// What settling it depends on (its L1 cost, `rollup_contracts::cost`).
    pub fn shape(&self) -> rollup_contracts::cost::BatchShape {
        use rollup_contracts::cost::{code_words, BatchShape};
        BatchShape {
            records: self.records(),
            chunk_records: usize::try_from(self.chunk_records).unwrap_or(usize::MAX),
            logs: self.l2_logs.len() / rollup_contracts::batch::L2_TO_L1_LOG_SERIALIZE_SIZE,
            bytecodes: self.bytecodes.len(),
            bytecode_words: self.bytecodes.iter().map(|c| code_words(c.len())).sum(),
            priority_ops: self.priority_ops,
        }
    }

    /// Number of proof chunks.
    pub fn chunks(&self) -> usize {
        let per = usize::try_from(self.chunk_records).unwrap_or(usize::MAX).max(1);
        self.records().div_ceil(per)
    }

    /// Records of chunk `i`, as `(derived key, value)` pairs.
    pub fn chunk(&self, i: usize) -> Vec<(B256, B256)> {
        let per = usize::try_from(self.chunk_records).unwrap_or(usize::MAX).max(1);
        let rec = rollup_tree::RECORD_BYTES;
        self.state_diff
            .chunks(rec)
            .skip(i * per)
            .take(per)
            .map(|r| (B256::from_slice(&r[..32]), B256::from_slice(&r[32..])))
            .collect()
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.state_diff.len() + self.l2_logs.len());
        for v in [self.number, self.first_block, self.last_block, self.timestamp] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.tx_count.to_be_bytes());
        out.extend_from_slice(&self.chunk_records.to_be_bytes());
        out.extend_from_slice(&self.sealed_at_ms.to_be_bytes());
        let mut bytes = |b: &[u8]| {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        };
        bytes(&self.state_diff);
        bytes(&self.l2_logs);
        out.extend_from_slice(&(self.bytecodes.len() as u32).to_be_bytes());
        for code in &self.bytecodes {
            out.extend_from_slice(&(code.len() as u32).to_be_bytes());
            out.extend_from_slice(code);
        }
        out.extend_from_slice(&self.priority_ops.to_be_bytes());
        out.extend_from_slice(self.priority_hash.as_slice());
        out
    }

    fn decode(raw: &[u8]) -> Option<Self> {
        let mut r = Reader(raw);
        let number = r.u64()?;
        let first_block = r.u64()?;
        let last_block = r.u64()?;
        let timestamp = r.u64()?;
        let tx_count = r.u32()?;
        let chunk_records = r.u64()?;
        let sealed_at_ms = r.u64()?;
        let state_diff = r.bytes()?;
        let l2_logs = r.bytes()?;
        let n = r.u32()?;
        let mut bytecodes = Vec::with_capacity(n.min(1024) as usize);
        for _ in 0..n {
            bytecodes.push(r.bytes()?);
        }
        // Batches sealed before priority operations existed end here: they had none.
        let (priority_ops, priority_hash) = if r.0.is_empty() {
            (0, rollup_contracts::batch::empty_rolling_hash())
        } else {
            (r.u64()?, B256::from_slice(r.take(32)?))
        };
        r.0.is_empty().then_some(Self {
            number,
            first_block,
            last_block,
            timestamp,
            tx_count,
            chunk_records,
            state_diff,
            l2_logs,
            bytecodes,
            sealed_at_ms,
            priority_ops,
            priority_hash,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<Bytes> {
        let n = self.u32()? as usize;
        Some(Bytes::copy_from_slice(self.take(n)?))
    }
}

/// What applying a batch to the state tree gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeResult {
    /// The tree version before the batch (its first chunk leads to `base_version + 1`).
    pub base_version: u64,
    /// The commitment after each chunk, in order (the last is the batch's).
    pub chunk_commitments: Vec<B256>,
    /// The state commitment after the batch.
    pub commitment: B256,
    /// The next free enumeration index after the batch.
    pub next_free: u64,
}

impl TreeResult {
    /// The tree version after the batch.
    pub fn last_version(&self) -> u64 {
        self.base_version + self.chunk_commitments.len() as u64
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(52 + 32 * self.chunk_commitments.len());
        out.extend_from_slice(&self.base_version.to_be_bytes());
        out.extend_from_slice(&self.next_free.to_be_bytes());
        out.extend_from_slice(self.commitment.as_slice());
        out.extend_from_slice(&(self.chunk_commitments.len() as u32).to_be_bytes());
        for c in &self.chunk_commitments {
            out.extend_from_slice(c.as_slice());
        }
        out
    }

    fn decode(raw: &[u8]) -> Option<Self> {
        let mut r = Reader(raw);
        let base_version = r.u64()?;
        let next_free = r.u64()?;
        let commitment = B256::from_slice(r.take(32)?);
        let n = r.u32()?;
        let mut chunk_commitments = Vec::with_capacity(n.min(1 << 16) as usize);
        for _ in 0..n {
            chunk_commitments.push(B256::from_slice(r.take(32)?));
        }
        r.0.is_empty().then_some(Self { base_version, chunk_commitments, commitment, next_free })
    }
}

fn corrupt(table: &'static str, detail: String) -> StoreError {
    StoreError::State(StateError::Corrupt { table, detail })
}

/// The batch tables of one chain database, read-only: the batcher writes through its
/// [`BatchWriter`], the tree writer through its [`TreeResultWriter`].
#[derive(Debug, Clone)]
pub struct BatchStore {
    db: Arc<Database>,
}

/// The writers of the batch tables, made once when they are opened ([`BatchStore::open`]).
#[derive(Debug, Clone)]
pub struct BatchWriters {
    /// Sealed batches (the batcher's).
    pub batches: BatchWriter,
    /// Tree results (the tree writer's).
    pub tree_results: TreeResultWriter,
}

impl BatchStore {
    /// The batch tables inside the chain's database (created if missing): the read-only store,
    /// and the writers of its tables, made this once.
    pub fn open(chain: &ChainStore) -> Result<(Self, BatchWriters), StoreError> {
        let db = chain.database().clone();
        let tx = db.begin_write()?;
        tx.open_table(BATCHES)?;
        tx.open_table(BATCH_BLOCKS)?;
        tx.open_table(PUBLISHED)?;
        tx.open_table(BATCH_TREE)?;
        tx.open_table(BLOCK_TX_OFFSETS)?;
        tx.commit()?;
        let store = Self { db };
        let writers = BatchWriters {
            batches: BatchWriter(store.clone()),
            tree_results: TreeResultWriter(store.clone()),
        };
        Ok((store, writers))
    }

    /// The last sealed batch's number (`None` before genesis is batched).
    pub fn last_sealed(&self) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BATCHES)?.last()?.map(|(k, _)| k.value()))
    }

    /// A sealed batch.
    pub fn batch(&self, number: u64) -> Result<Option<SealedBatch>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BATCHES)?;
        let Some(raw) = table.get(number)? else { return Ok(None) };
        SealedBatch::decode(raw.value())
            .map(Some)
            .ok_or_else(|| corrupt("batches", format!("batch {number}")))
    }

    /// Whether bytecode `hash` was published by an earlier batch.
    pub fn is_published(&self, hash: &B256) -> Result<bool, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(PUBLISHED)?.get(hash.0)?.is_some())
    }

    /// The batch that holds L2 block `block`, if it is batched.
    pub fn batch_of_block(&self, block: u64) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BATCH_BLOCKS)?;
        let found = table.range(block..)?.next().transpose()?;
        Ok(found.map(|(_, b)| b.value()))
    }

    /// The last block of the last sealed batch.
    pub fn last_batched_block(&self) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BATCH_BLOCKS)?.last()?.map(|(k, _)| k.value()))
    }

    /// How many transactions of its batch come before block `block`, if the batch recorded it.
    pub fn block_tx_offset(&self, block: u64) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BLOCK_TX_OFFSETS)?.get(block)?.map(|v| v.value()))
    }

    /// The last batch the tree writer applied.
    pub fn last_applied(&self) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(BATCH_TREE)?.last()?.map(|(k, _)| k.value()))
    }

    /// What the tree writer recorded for a batch.
    pub fn tree_result(&self, number: u64) -> Result<Option<TreeResult>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BATCH_TREE)?;
        let Some(raw) = table.get(number)? else { return Ok(None) };
        TreeResult::decode(raw.value())
            .map(Some)
            .ok_or_else(|| corrupt("batch_tree", format!("batch {number}")))
    }

    /// The batch whose chunks cover tree version `version` (the first batch at or after `from`
    /// whose last version is at or above it). Last versions grow with the batch number, so this
    /// is a binary search: the exchange asks on every pull, however long the chain.
    pub fn batch_of_version(&self, version: u64, from: u64) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BATCH_TREE)?;
        let last_version = |n: u64| -> Result<u64, StoreError> {
            let raw =
                table.get(n)?.ok_or_else(|| corrupt("batch_tree", format!("batch {n} missing")))?;
            TreeResult::decode(raw.value())
                .map(|r| r.last_version())
                .ok_or_else(|| corrupt("batch_tree", format!("batch {n}")))
        };
        let Some(last) = table.last()?.map(|(k, _)| k.value()) else { return Ok(None) };
        if from > last || last_version(last)? < version {
            return Ok(None);
        }
        let (mut lo, mut hi) = (from, last);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if last_version(mid)? >= version {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(Some(lo))
    }
}

/// The batcher's handle: seals batches (the `batches`, `batch_blocks` and `published_bytecodes`
/// tables).
#[derive(Debug, Clone)]
pub struct BatchWriter(BatchStore);

impl BatchWriter {
    /// Another batch writer of `store`, for tests (the node's is made once by
    /// [`BatchStore::open`]).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn of(store: &BatchStore) -> Self {
        Self(store.clone())
    }

    /// What it reads.
    pub fn reader(&self) -> &BatchStore {
        &self.0
    }

    /// Stores a sealed batch with its block index, each block's transaction offset in it
    /// (`tx_offsets`: block, transactions before it) and first-published bytecodes, in one
    /// transaction. Storing the same batch again is a no-op; any other batch must be the next.
    pub fn put_batch(
        &self,
        batch: &SealedBatch,
        code_hashes: &[B256],
        tx_offsets: &[(u64, u64)],
    ) -> Result<(), StoreError> {
        let tx = self.0.db.begin_write()?;
        {
            let mut batches = tx.open_table(BATCHES)?;
            if let Some(existing) = batches.get(batch.number)? {
                if existing.value() == batch.encode().as_slice() {
                    return Ok(());
                }
                return Err(corrupt("batches", format!("batch {} sealed twice", batch.number)));
            }
            let last = batches.last()?.map(|(k, _)| k.value());
            let expected = last.map_or(0, |l| l + 1);
            if batch.number != expected {
                return Err(corrupt(
                    "batches",
                    format!("batch {} after {last:?}: not the next", batch.number),
                ));
            }
            batches.insert(batch.number, batch.encode().as_slice())?;
            tx.open_table(BATCH_BLOCKS)?.insert(batch.last_block, batch.number)?;
            let mut offsets = tx.open_table(BLOCK_TX_OFFSETS)?;
            for (block, before) in tx_offsets {
                offsets.insert(block, before)?;
            }
            let mut published = tx.open_table(PUBLISHED)?;
            for h in code_hashes {
                if published.get(h.0)?.is_none() {
                    published.insert(h.0, batch.number)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// The tree writer's handle: records tree results (the `batch_tree` table).
#[derive(Debug, Clone)]
pub struct TreeResultWriter(BatchStore);

impl TreeResultWriter {
    /// Another tree result writer of `store`, for tests (the node's is made once by
    /// [`BatchStore::open`]).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn of(store: &BatchStore) -> Self {
        Self(store.clone())
    }

    /// What it reads.
    pub fn reader(&self) -> &BatchStore {
        &self.0
    }

    /// Records a batch's tree result (the tree writer's step). The same result again is a no-op.
    pub fn put_tree_result(&self, number: u64, result: &TreeResult) -> Result<(), StoreError> {
        let tx = self.0.db.begin_write()?;
        {
            let mut table = tx.open_table(BATCH_TREE)?;
            if let Some(existing) = table.get(number)? {
                if existing.value() == result.encode().as_slice() {
                    return Ok(());
                }
                return Err(corrupt("batch_tree", format!("batch {number} applied twice")));
            }
            table.insert(number, result.encode().as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_and_tree_result_round_trip() {
        let b = SealedBatch {
            number: 3,
            first_block: 10,
            last_block: 12,
            timestamp: 99,
            tx_count: 7,
            chunk_records: 2,
            state_diff: Bytes::from(vec![7u8; 64 * 3]),
            l2_logs: Bytes::new(),
            bytecodes: vec![Bytes::from_static(&[0x60, 0x00]), Bytes::new()],
            sealed_at_ms: 5,
            priority_ops: 2,
            priority_hash: B256::repeat_byte(9),
        };
        assert_eq!(SealedBatch::decode(&b.encode()), Some(b.clone()));
        assert_eq!((b.records(), b.chunks(), b.chunk(1).len()), (3, 2, 1));
        assert!(SealedBatch::decode(&b.encode()[1..]).is_none());
        let t = TreeResult {
            base_version: 4,
            chunk_commitments: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
            commitment: B256::repeat_byte(2),
            next_free: 9,
        };
        assert_eq!(TreeResult::decode(&t.encode()), Some(t.clone()));
        assert_eq!(t.last_version(), 6);
    }

    #[test]
    fn the_batch_of_a_tree_version_is_found_by_binary_search() {
        let db = Arc::new(
            Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .unwrap(),
        );
        let tx = db.begin_write().unwrap();
        tx.open_table(BATCH_TREE).unwrap();
        tx.commit().unwrap();
        let store = BatchStore { db };
        assert_eq!(store.batch_of_version(1, 1).unwrap(), None);
        // Batch 0: version 1; batch 1: 2..=4; batch 2: no chunk (4); batch 3: 5..=5.
        let mut base = 0;
        for (n, chunks) in [(0u64, 1usize), (1, 3), (2, 0), (3, 1)] {
            let r = TreeResult {
                base_version: base,
                chunk_commitments: vec![B256::ZERO; chunks],
                commitment: B256::ZERO,
                next_free: 1,
            };
            base = r.last_version();
            TreeResultWriter::of(&store).put_tree_result(n, &r).unwrap();
        }
        let found: Vec<_> = (1..=6).map(|v| store.batch_of_version(v, 1).unwrap()).collect();
        assert_eq!(found, vec![Some(1), Some(1), Some(1), Some(1), Some(3), None]);
        assert_eq!(store.batch_of_version(1, 0).unwrap(), Some(0));
    }
}
