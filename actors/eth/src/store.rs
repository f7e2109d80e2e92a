//! The eth sender's tables, in the chain database (the sender is their only writer):
//! - `l1_txs`: nonce -> [`L1Tx`], written **before** the transaction is sent (with its raw signed
//!   bytes, so it can be sent again unchanged after a crash) and updated when it is replaced or
//!   confirmed;
//! - `l1_batch_status`: (batch, step) -> (transaction hash, confirmation time in unix ms);
//! - `l1_last_confirmed`: step -> the highest `last` batch of a confirmed transaction of that
//!   step, raised in the write that confirms it, so `safe`/`finalized` are one lookup.

use alloy::primitives::{Bytes, B256};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use rollup_events::L1Step;
use std::sync::Arc;

const L1_TXS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("l1_txs");
const L1_BATCH_STATUS: TableDefinition<'_, (u64, u8), &[u8]> =
    TableDefinition::new("l1_batch_status");
const L1_LAST_CONFIRMED: TableDefinition<'_, u8, u64> = TableDefinition::new("l1_last_confirmed");

/// Raises `step`'s last confirmed batch to `last` (never lowers it), inside `tx`.
fn raise_last_confirmed(
    tx: &redb::WriteTransaction,
    step: L1Step,
    last: u64,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(L1_LAST_CONFIRMED).map_err(err)?;
    let now = table.get(step_code(step)).map_err(err)?.map_or(0, |v| v.value());
    if last > now {
        table.insert(step_code(step), last).map_err(err)?;
    }
    Ok(())
}

/// Storage errors of the sender's tables.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("eth sender storage: {0}")]
    Storage(#[source] redb::Error),
    /// A stored row does not decode.
    #[error("eth sender storage: {0}")]
    Corrupt(String),
}

fn err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Storage(e.into())
}

/// Where an L1 transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    /// Recorded, maybe sent, not seen mined (with enough confirmations) yet.
    Pending,
    /// Mined, succeeded and confirmed.
    Confirmed,
    /// Mined and reverted: nothing moved on L1; the next plan starts again from L1's counters.
    Reverted,
    /// Its nonce was taken by a transaction the sender does not know: nothing of it is known to
    /// have happened on L1, and it counts for nothing.
    Dropped,
}

impl TxState {
    fn code(self) -> u8 {
        match self {
            TxState::Pending => 0,
            TxState::Confirmed => 1,
            TxState::Reverted => 2,
            TxState::Dropped => 3,
        }
    }

    fn of(code: u8) -> Option<Self> {
        Some(match code {
            0 => TxState::Pending,
            1 => TxState::Confirmed,
            2 => TxState::Reverted,
            3 => TxState::Dropped,
            _ => return None,
        })
    }
}

/// One L1 transaction of the sender (all replacements share its nonce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Tx {
    /// Its nonce.
    pub nonce: u64,
    /// What it does.
    pub step: L1Step,
    /// First batch it carries.
    pub first: u64,
    /// Last batch it carries.
    pub last: u64,
    /// Every hash sent with this nonce, newest last (replacements bump the fees).
    pub hashes: Vec<B256>,
    /// The newest signed transaction, EIP-2718 encoded.
    pub raw: Bytes,
    /// Its max fee per gas.
    pub max_fee: u128,
    /// Its max priority fee per gas.
    pub priority_fee: u128,
    /// Its gas limit.
    pub gas: u64,
    /// When the newest version was sent (unix ms).
    pub sent_at_ms: u64,
    /// Where it is.
    pub state: TxState,
    /// The hash that was mined, once confirmed.
    pub mined: Option<B256>,
}

fn step_code(s: L1Step) -> u8 {
    match s {
        L1Step::Commit => 0,
        L1Step::Prove => 1,
        L1Step::Execute => 2,
    }
}

fn step_of(c: u8) -> Option<L1Step> {
    Some(match c {
        0 => L1Step::Commit,
        1 => L1Step::Prove,
        2 => L1Step::Execute,
        _ => return None,
    })
}

impl L1Tx {
    fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(128 + self.raw.len());
        o.extend_from_slice(&self.nonce.to_be_bytes());
        o.push(step_code(self.step));
        o.extend_from_slice(&self.first.to_be_bytes());
        o.extend_from_slice(&self.last.to_be_bytes());
        o.extend_from_slice(&self.max_fee.to_be_bytes());
        o.extend_from_slice(&self.priority_fee.to_be_bytes());
        o.extend_from_slice(&self.gas.to_be_bytes());
        o.extend_from_slice(&self.sent_at_ms.to_be_bytes());
        o.push(self.state.code());
        o.extend_from_slice(self.mined.unwrap_or_default().as_slice());
        o.extend_from_slice(&(self.hashes.len() as u32).to_be_bytes());
        for h in &self.hashes {
            o.extend_from_slice(h.as_slice());
        }
        o.extend_from_slice(&self.raw);
        o
    }

    fn decode(b: &[u8]) -> Option<Self> {
        let mut r = b;
        let mut take = |n: usize| -> Option<&[u8]> {
            if r.len() < n {
                return None;
            }
            let (a, rest) = r.split_at(n);
            r = rest;
            Some(a)
        };
        let u64_ = |s: &[u8]| u64::from_be_bytes(s.try_into().unwrap_or_default());
        let u128_ = |s: &[u8]| u128::from_be_bytes(s.try_into().unwrap_or_default());
        let nonce = u64_(take(8)?);
        let step = step_of(take(1)?[0])?;
        let first = u64_(take(8)?);
        let last = u64_(take(8)?);
        let max_fee = u128_(take(16)?);
        let priority_fee = u128_(take(16)?);
        let gas = u64_(take(8)?);
        let sent_at_ms = u64_(take(8)?);
        let state = TxState::of(take(1)?[0])?;
        let mined = B256::from_slice(take(32)?);
        let n = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
        let mut hashes = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            hashes.push(B256::from_slice(take(32)?));
        }
        let raw = Bytes::copy_from_slice(r);
        Some(Self {
            nonce,
            step,
            first,
            last,
            hashes,
            raw,
            max_fee,
            priority_fee,
            gas,
            sent_at_ms,
            state,
            mined: (!mined.is_zero()).then_some(mined),
        })
    }
}

/// A batch's L1 step, as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepStatus {
    /// The L1 transaction.
    pub tx_hash: B256,
    /// When it was confirmed (unix ms).
    pub at_ms: u64,
}

/// The sender's tables, read-only (the RPC reads the L1 steps); the sender writes through its
/// [`SenderWriter`].
#[derive(Debug, Clone)]
pub struct SenderStore {
    db: Arc<Database>,
}

impl SenderStore {
    /// The tables in the chain database (created if missing): the read-only store, and their
    /// one writer, made this once (the composition root gives it to the eth sender).
    pub fn open(db: Arc<Database>) -> Result<(Self, SenderWriter), StoreError> {
        let tx = db.begin_write().map_err(err)?;
        tx.open_table(L1_TXS).map_err(err)?;
        tx.open_table(L1_BATCH_STATUS).map_err(err)?;
        // A database from before `l1_last_confirmed` (or with nothing confirmed yet): fill it
        // from `l1_txs`, once per open.
        if tx.open_table(L1_LAST_CONFIRMED).map_err(err)?.is_empty().map_err(err)? {
            let confirmed: Vec<(L1Step, u64)> = {
                let txs = tx.open_table(L1_TXS).map_err(err)?;
                let mut out = Vec::new();
                for row in txs.iter().map_err(err)? {
                    let (_, v) = row.map_err(err)?;
                    if let Some(t) = L1Tx::decode(v.value()) {
                        if t.state == TxState::Confirmed {
                            out.push((t.step, t.last));
                        }
                    }
                }
                out
            };
            for (step, last) in confirmed {
                raise_last_confirmed(&tx, step, last)?;
            }
        }
        tx.commit().map_err(err)?;
        let store = Self { db };
        Ok((store.clone(), SenderWriter(store)))
    }

    /// Every transaction not confirmed yet, by nonce.
    pub fn pending(&self) -> Result<Vec<L1Tx>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(L1_TXS).map_err(err)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(err)? {
            let (k, v) = row.map_err(err)?;
            let t = L1Tx::decode(v.value()).ok_or_else(|| {
                StoreError::Corrupt(format!("l1_txs: nonce {} does not decode", k.value()))
            })?;
            if t.state == TxState::Pending {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Transactions recorded and not confirmed.
    pub fn pending_count(&self) -> Result<usize, StoreError> {
        Ok(self.pending()?.len())
    }

    /// A batch's step, once confirmed on L1.
    pub fn status(&self, batch: u64, step: L1Step) -> Result<Option<StepStatus>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(L1_BATCH_STATUS).map_err(err)?;
        let Some(v) = table.get((batch, step_code(step))).map_err(err)? else { return Ok(None) };
        let v = v.value();
        if v.len() != 40 {
            return Err(StoreError::Corrupt(format!("l1_batch_status: batch {batch} is corrupt")));
        }
        Ok(Some(StepStatus {
            tx_hash: B256::from_slice(&v[..32]),
            at_ms: u64::from_be_bytes(v[32..].try_into().unwrap_or_default()),
        }))
    }

    /// The last batch whose `step` is confirmed (0 when none beyond genesis): the highest
    /// `last` of a confirmed transaction of that step. One B-tree lookup (O(log n) in a table
    /// of three rows) in `l1_last_confirmed`, kept in the same write as each confirmation; it
    /// was a scan of every L1 transaction ever sent, run by each `safe`/`finalized` call.
    pub fn last_confirmed(&self, step: L1Step) -> Result<u64, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(L1_LAST_CONFIRMED).map_err(err)?;
        Ok(table.get(step_code(step)).map_err(err)?.map_or(0, |v| v.value()))
    }
}

/// The eth sender's handle: the only writer of its tables.
#[derive(Debug, Clone)]
pub struct SenderWriter(SenderStore);

impl SenderWriter {
    /// What it reads.
    pub fn reader(&self) -> &SenderStore {
        &self.0
    }

    /// Records (or updates) a pending transaction, durably. Confirmations go through
    /// [`Self::confirm`], the other ends through [`Self::close`].
    pub fn put(&self, t: &L1Tx) -> Result<(), StoreError> {
        let tx = self.0.db.begin_write().map_err(err)?;
        tx.open_table(L1_TXS).map_err(err)?.insert(t.nonce, t.encode().as_slice()).map_err(err)?;
        if t.state == TxState::Confirmed {
            raise_last_confirmed(&tx, t.step, t.last)?;
        }
        tx.commit().map_err(err)
    }

    /// Ends `t` as reverted (mined as `mined`) or dropped: kept for the record, counted for
    /// nothing (no batch status, no `safe`/`finalized`).
    pub fn close(&self, t: &L1Tx, state: TxState, mined: Option<B256>) -> Result<(), StoreError> {
        debug_assert!(matches!(state, TxState::Reverted | TxState::Dropped));
        let mut done = t.clone();
        done.state = state;
        done.mined = mined;
        let tx = self.0.db.begin_write().map_err(err)?;
        tx.open_table(L1_TXS)
            .map_err(err)?
            .insert(t.nonce, done.encode().as_slice())
            .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Marks `t` confirmed (mined as `mined`) and records the step for each of its batches, in
    /// one transaction.
    pub fn confirm(&self, t: &L1Tx, mined: B256, at_ms: u64) -> Result<(), StoreError> {
        let mut done = t.clone();
        done.state = TxState::Confirmed;
        done.mined = Some(mined);
        let tx = self.0.db.begin_write().map_err(err)?;
        {
            tx.open_table(L1_TXS)
                .map_err(err)?
                .insert(t.nonce, done.encode().as_slice())
                .map_err(err)?;
            let mut status = tx.open_table(L1_BATCH_STATUS).map_err(err)?;
            let mut v = mined.to_vec();
            v.extend_from_slice(&at_ms.to_be_bytes());
            for b in t.first..=t.last {
                status.insert((b, step_code(t.step)), v.as_slice()).map_err(err)?;
            }
        }
        raise_last_confirmed(&tx, t.step, t.last)?;
        tx.commit().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_and_statuses_round_trip() {
        let db = Arc::new(
            Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .unwrap(),
        );
        let (s, w) = SenderStore::open(db).unwrap();
        let t = L1Tx {
            nonce: 4,
            step: L1Step::Prove,
            first: 2,
            last: 3,
            hashes: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
            raw: Bytes::from_static(&[2, 0xf8]),
            max_fee: 10,
            priority_fee: 1,
            gas: 500_000,
            sent_at_ms: 9,
            state: TxState::Pending,
            mined: None,
        };
        assert_eq!(L1Tx::decode(&t.encode()), Some(t.clone()));
        for state in [TxState::Confirmed, TxState::Reverted, TxState::Dropped] {
            let ended = state.with(t.clone());
            assert_eq!(L1Tx::decode(&ended.encode()), Some(ended));
        }
        w.put(&t).unwrap();
        assert_eq!(s.pending().unwrap(), vec![t.clone()]);
        w.confirm(&t, B256::repeat_byte(2), 77).unwrap();
        assert!(s.pending().unwrap().is_empty());
        assert_eq!(s.last_confirmed(L1Step::Prove).unwrap(), 3);
        assert_eq!(s.last_confirmed(L1Step::Commit).unwrap(), 0);
        let st = s.status(3, L1Step::Prove).unwrap().unwrap();
        assert_eq!((st.tx_hash, st.at_ms), (B256::repeat_byte(2), 77));
        assert!(s.status(4, L1Step::Prove).unwrap().is_none());
    }

    /// The answer `last_confirmed` gave when it scanned `l1_txs`.
    fn scanned(db: &Database, step: L1Step) -> u64 {
        let tx = db.begin_read().unwrap();
        let table = tx.open_table(L1_TXS).unwrap();
        let mut last = 0;
        for row in table.iter().unwrap() {
            let t = L1Tx::decode(row.unwrap().1.value()).unwrap();
            if t.step == step && t.state == TxState::Confirmed {
                last = last.max(t.last);
            }
        }
        last
    }

    #[test]
    fn last_confirmed_is_one_lookup_with_the_answers_of_the_scan() {
        let db = Arc::new(
            Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .unwrap(),
        );
        let (s, w) = SenderStore::open(db.clone()).unwrap();
        let tx = |nonce, step, first, last| L1Tx {
            nonce,
            step,
            first,
            last,
            hashes: vec![B256::repeat_byte(nonce as u8)],
            raw: Bytes::from_static(&[2]),
            max_fee: 1,
            priority_fee: 1,
            gas: 1,
            sent_at_ms: 1,
            state: TxState::Pending,
            mined: None,
        };
        let steps = [L1Step::Commit, L1Step::Prove, L1Step::Execute];
        let same = |s: &SenderStore| {
            for step in steps {
                assert_eq!(s.last_confirmed(step).unwrap(), scanned(&db, step), "{step:?}");
            }
        };
        same(&s);
        // Commits of 1..=2 and 3..=5 confirmed, of 6..=6 pending; 1..=2 executed; 1..=4 proven;
        // a prove of 5..=9 dropped (its nonce was taken) and one of 5..=6 reverted count for
        // nothing.
        let (c1, c2, c3) =
            (tx(0, L1Step::Commit, 1, 2), tx(1, L1Step::Commit, 3, 5), tx(4, L1Step::Commit, 6, 6));
        for t in [&c1, &c2, &c3] {
            w.put(t).unwrap();
        }
        same(&s);
        w.confirm(&c2, B256::ZERO, 1).unwrap();
        w.confirm(&c1, B256::ZERO, 1).unwrap();
        let e1 = tx(2, L1Step::Execute, 1, 2);
        w.put(&e1).unwrap();
        w.confirm(&e1, B256::ZERO, 1).unwrap();
        w.put(&TxState::Confirmed.with(tx(3, L1Step::Prove, 1, 4))).unwrap();
        w.close(&tx(5, L1Step::Prove, 5, 9), TxState::Dropped, None).unwrap();
        w.close(&tx(6, L1Step::Prove, 5, 6), TxState::Reverted, Some(B256::ZERO)).unwrap();
        same(&s);
        assert!(s.status(5, L1Step::Prove).unwrap().is_none());
        assert_eq!(steps.map(|st| s.last_confirmed(st).unwrap()), [5, 4, 2]);
        // Reopened, and opened as a database from before `l1_last_confirmed`: the same.
        let (s, _) = SenderStore::open(db.clone()).unwrap();
        same(&s);
        let w = db.begin_write().unwrap();
        w.delete_table(L1_LAST_CONFIRMED).unwrap();
        w.commit().unwrap();
        let (s, _) = SenderStore::open(db.clone()).unwrap();
        same(&s);
        assert_eq!(steps.map(|st| s.last_confirmed(st).unwrap()), [5, 4, 2]);
    }

    impl TxState {
        fn with(self, mut t: L1Tx) -> L1Tx {
            t.state = self;
            t
        }
    }
}
