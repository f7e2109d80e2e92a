//! The transaction pool: its bookkeeping as plain data (here), and the [`actor`] that wraps it
//! (admission against committed state, the persisted `pool` table).
//!
//! Invariants:
//! - one transaction per (sender, nonce); a replacement must raise both the fee cap and the tip by
//!   at least [`PoolConfig::price_bump_percent`];
//! - executable and future transactions are counted apart, as geth's pending/queued split: a
//!   sender has at most [`PoolConfig::max_per_account`] *executable* transactions (the run of
//!   nonces from its account nonce) and [`PoolConfig::max_queued_per_account`] *future* ones
//!   (after a gap), so future transactions can never lock out the next executable one;
//! - at most [`PoolConfig::max_total`] transactions and [`PoolConfig::max_bytes`] raw bytes in
//!   all, and [`PoolConfig::max_bytes_per_account`] per sender; when full, only a sender's
//!   *highest* nonce is ever evicted, so eviction never leaves an account with a gap it cannot
//!   fill;
//! - a transaction older than [`PoolConfig::lifetime_secs`] expires together with every later nonce
//!   of its sender (they could not execute without it);
//! - admission counts the worst-case cost ([`tx_cost`]) of all the sender's pooled transactions,
//!   future ones (after a gap) included, against its balance, so a sender cannot hold pool space
//!   it could never pay for; an executable transaction that does not fit only because of future
//!   ones displaces them, highest nonce first ([`Pool::displace_future`]), so they can never keep
//!   the next executable transaction out.

pub mod actor;

use crate::execution::validation::{tx_cost, ValidTx};
use alloy::consensus::Transaction;
use alloy::primitives::{Address, B256, U256};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// Most transactions one admission may evict from a full pool (a large transaction does not
/// push out thousands of small ones).
pub const MAX_EVICTIONS: usize = 64;

/// Pool limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most executable transactions per sender (geth: 16 pending slots per account).
    pub max_per_account: usize,
    /// Most future-nonce (queued) transactions per sender (geth: 64).
    pub max_queued_per_account: usize,
    /// Most transactions in the pool.
    pub max_total: usize,
    /// Most raw transaction bytes in the pool (geth: about 192 MiB in 32 KiB slots).
    pub max_bytes: usize,
    /// Most raw transaction bytes one sender may have pooled.
    pub max_bytes_per_account: usize,
    /// Fee bump a replacement needs, in percent.
    pub price_bump_percent: u128,
    /// Seconds a transaction may wait before it expires.
    pub lifetime_secs: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_per_account: 16,
            max_queued_per_account: 64,
            max_total: 10_000,
            max_bytes: 128 << 20,
            max_bytes_per_account: 2 << 20,
            price_bump_percent: 10,
            lifetime_secs: 3 * 3600,
        }
    }
}

/// Why the pool refused a transaction (geth's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The same transaction is already pooled.
    #[error("already known")]
    AlreadyKnown,
    /// A replacement without the required fee bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The sender has too many executable pooled transactions.
    #[error("account limit exceeded: {limit} pooled transactions per sender")]
    AccountLimit {
        /// The per-account limit.
        limit: usize,
    },
    /// The sender has too many future-nonce (queued) transactions.
    #[error("account limit exceeded: {limit} queued (future-nonce) transactions per sender")]
    QueueLimit {
        /// The per-account limit of queued transactions.
        limit: usize,
    },
    /// The sender's pooled transactions would pass its byte share.
    #[error("account limit exceeded: {limit} bytes of pooled transactions per sender")]
    AccountBytes {
        /// The per-account byte limit.
        limit: usize,
    },
    /// The pool is full and nothing cheaper can be evicted without leaving a gap.
    #[error("txpool is full")]
    PoolFull,
    /// The nonce is already used by the sender's account.
    #[error("nonce too low: next nonce {next}, tx nonce {tx}")]
    NonceTooLow {
        /// The account's next nonce.
        next: u64,
        /// The transaction's nonce.
        tx: u64,
    },
}

/// What adding a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// It is new.
    New,
    /// It replaced the transaction with this hash.
    Replaced(B256),
    /// It is new and evicted these transactions to make room.
    Evicted(Vec<B256>),
}

#[derive(Debug, Clone)]
struct Entry {
    tx: ValidTx,
    received_at: u64,
}

fn fee_cap(tx: &ValidTx) -> u128 {
    tx.envelope.max_fee_per_gas()
}

fn tip(tx: &ValidTx) -> u128 {
    tx.envelope.max_priority_fee_per_gas().unwrap_or_else(|| tx.envelope.max_fee_per_gas())
}

/// What [`Pool::best_within`] hands out for a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Executable transactions, in the order to run them.
    pub txs: Vec<ValidTx>,
    /// Whether executable transactions were left out by the count or byte limit (they wait for
    /// the next block, which should follow at once).
    pub left_out: bool,
}

/// Pooled transactions by sender and nonce.
#[derive(Debug, Default)]
pub struct Pool {
    config: PoolConfig,
    by_sender: HashMap<Address, BTreeMap<u64, Entry>>,
    by_hash: HashMap<B256, (Address, u64)>,
    /// Raw bytes of every pooled transaction.
    bytes: usize,
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self { config, ..Default::default() }
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Raw bytes of the pooled transactions.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Whether `hash` is pooled.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<&ValidTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce).map(|e| &e.tx)
    }

    /// The next nonce `sender` would use, counting its pooled transactions from `account_nonce`
    /// (for `eth_getTransactionCount(pending)`).
    pub fn pending_nonce(&self, sender: Address, account_nonce: u64) -> u64 {
        let mut next = account_nonce;
        if let Some(txs) = self.by_sender.get(&sender) {
            while txs.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Adds `tx` (already validated) for a sender whose account nonce is `account_nonce`.
    pub fn add(&mut self, tx: ValidTx, account_nonce: u64, now: u64) -> Result<Added, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.envelope.nonce();
        if nonce < account_nonce {
            return Err(PoolError::NonceTooLow { next: account_nonce, tx: nonce });
        }
        let sender = tx.sender;
        let bump = 100 + self.config.price_bump_percent;
        if let Some(old) = self.by_sender.get(&sender).and_then(|t| t.get(&nonce)) {
            let enough = fee_cap(&tx) * 100 >= fee_cap(&old.tx) * bump
                && tip(&tx) * 100 >= tip(&old.tx) * bump;
            if !enough {
                return Err(PoolError::ReplacementUnderpriced);
            }
            let old_hash = old.tx.hash;
            let old_len = old.tx.raw.len();
            let others = self.sender_bytes(sender) - old_len;
            if others + tx.raw.len() > self.config.max_bytes_per_account {
                return Err(PoolError::AccountBytes { limit: self.config.max_bytes_per_account });
            }
            if self.bytes - old_len + tx.raw.len() > self.config.max_bytes {
                return Err(PoolError::PoolFull);
            }
            self.remove(&old_hash);
            self.insert(tx, now);
            return Ok(Added::Replaced(old_hash));
        }
        // Executable: the next nonce after the sender's run from its account nonce. Anything later
        // waits behind a gap (queued); the two are limited apart.
        let next = self.pending_nonce(sender, account_nonce);
        let executable = (next - account_nonce) as usize;
        let queued = self.by_sender.get(&sender).map_or(0, BTreeMap::len) - executable;
        if nonce == next {
            if executable >= self.config.max_per_account {
                return Err(PoolError::AccountLimit { limit: self.config.max_per_account });
            }
        } else if queued >= self.config.max_queued_per_account {
            return Err(PoolError::QueueLimit { limit: self.config.max_queued_per_account });
        }
        if self.sender_bytes(sender) + tx.raw.len() > self.config.max_bytes_per_account {
            return Err(PoolError::AccountBytes { limit: self.config.max_bytes_per_account });
        }
        let count_over = (self.len() + 1).saturating_sub(self.config.max_total);
        let bytes_over = (self.bytes + tx.raw.len()).saturating_sub(self.config.max_bytes);
        let mut evicted = Vec::new();
        if count_over > 0 || bytes_over > 0 {
            // A full pool takes only transactions that are executable now, never future ones.
            if nonce != next {
                return Err(PoolError::PoolFull);
            }
            evicted = self.victims(&tx, count_over, bytes_over).ok_or(PoolError::PoolFull)?;
            for h in &evicted {
                self.remove(h);
            }
        }
        self.insert(tx, now);
        Ok(if evicted.is_empty() { Added::New } else { Added::Evicted(evicted) })
    }

    /// What to evict for `tx` in a full pool: other senders' highest nonces (then their next
    /// highest), cheapest tip first and only tips below `tx`'s, until `count` transactions and
    /// `bytes` bytes are freed; `None` (nothing is removed) if that cannot be done within
    /// [`MAX_EVICTIONS`].
    fn victims(&self, tx: &ValidTx, count: usize, bytes: usize) -> Option<Vec<B256>> {
        use std::cmp::Reverse;
        let tops = |sender: &Address, below: Option<u64>| {
            let txs = &self.by_sender[sender];
            let e = match below {
                Some(n) => txs.range(..n).next_back(),
                None => txs.iter().next_back(),
            };
            e.filter(|(_, e)| tip(&e.tx) < tip(tx))
                .map(|(n, e)| (Reverse(tip(&e.tx)), *sender, *n, e.tx.hash, e.tx.raw.len()))
        };
        let mut heap: BinaryHeap<_> = self
            .by_sender
            .keys()
            .filter(|s| **s != tx.sender)
            .filter_map(|s| tops(s, None))
            .collect();
        let (mut freed, mut freed_bytes, mut out) = (0, 0, Vec::new());
        while freed < count || freed_bytes < bytes {
            if out.len() >= MAX_EVICTIONS {
                return None;
            }
            let (_, sender, nonce, hash, len) = heap.pop()?;
            out.push(hash);
            freed += 1;
            freed_bytes += len;
            heap.extend(tops(&sender, Some(nonce)));
        }
        Some(out)
    }

    /// Raw bytes `sender` has pooled (at most `max_per_account + max_queued_per_account`
    /// entries are read).
    fn sender_bytes(&self, sender: Address) -> usize {
        self.by_sender.get(&sender).map_or(0, |txs| txs.values().map(|e| e.tx.raw.len()).sum())
    }

    fn insert(&mut self, tx: ValidTx, now: u64) {
        let (sender, nonce) = (tx.sender, tx.envelope.nonce());
        self.bytes += tx.raw.len();
        self.by_hash.insert(tx.hash, (sender, nonce));
        self.by_sender.entry(sender).or_default().insert(nonce, Entry { tx, received_at: now });
    }

    /// What `tx`'s sender already has pooled against its balance: the cost of all its pooled
    /// transactions from `account_nonce` on, future ones (after a gap) included (geth counts only
    /// its pending ones, which let a sender hold queue space for almost nothing), without the
    /// one `tx` would replace. Transactions below the account nonce are already paid for
    /// (included in a block the pool has not heard of yet).
    pub fn queued_cost(&self, tx: &ValidTx, account_nonce: u64) -> U256 {
        let Some(txs) = self.by_sender.get(&tx.sender) else { return U256::ZERO };
        let replaced = tx.envelope.nonce();
        txs.range(account_nonce..)
            .filter(|(&nonce, _)| nonce != replaced)
            .fold(U256::ZERO, |cost, (_, e)| cost.saturating_add(tx_cost(&e.tx)))
    }

    /// Makes room for `tx` when it is its sender's next executable transaction, or replaces one
    /// of its executable run: removes the sender's future transactions (after its gap),
    /// highest nonce first, while the pooled cost with `tx`'s passes `balance` or the sender's
    /// bytes with `tx` pass [`PoolConfig::max_bytes_per_account`]. Future transactions cannot
    /// keep the next executable one out. Nothing is removed unless `tx` then fits; the removed
    /// ones are returned with their arrival time, for [`Pool::restore`] if `tx` is refused after
    /// all.
    pub fn displace_future(
        &mut self,
        tx: &ValidTx,
        account_nonce: u64,
        balance: U256,
    ) -> Vec<(ValidTx, u64)> {
        let sender = tx.sender;
        let next = self.pending_nonce(sender, account_nonce);
        let nonce = tx.envelope.nonce();
        let Some(txs) = self.by_sender.get(&sender) else { return Vec::new() };
        if nonce > next || nonce < account_nonce {
            return Vec::new();
        }
        // The executable run, without the one `tx` replaces: what must stay.
        let (mut cost, mut bytes) = (tx_cost(tx), tx.raw.len());
        for (&n, e) in txs.range(account_nonce..next) {
            if n != nonce {
                cost = cost.saturating_add(tx_cost(&e.tx));
                bytes += e.tx.raw.len();
            }
        }
        if balance < cost || bytes > self.config.max_bytes_per_account {
            return Vec::new();
        }
        // Then as many future ones as fit, lowest nonce first; the rest go.
        let mut go = Vec::new();
        let mut keep = true;
        for (_, e) in txs.range(next + 1..) {
            let (c, b) = (cost.saturating_add(tx_cost(&e.tx)), bytes + e.tx.raw.len());
            keep &= c <= balance && b <= self.config.max_bytes_per_account;
            if keep {
                (cost, bytes) = (c, b);
            } else {
                go.push(e.tx.hash);
            }
        }
        go.iter()
            .rev()
            .filter_map(|h| {
                let received_at = self.received_at(h)?;
                Some((self.remove(h)?, received_at))
            })
            .collect()
    }

    /// Puts back what [`Pool::displace_future`] removed.
    pub fn restore(&mut self, txs: Vec<(ValidTx, u64)>) {
        for (tx, received_at) in txs {
            self.insert(tx, received_at);
        }
    }

    fn received_at(&self, hash: &B256) -> Option<u64> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce).map(|e| e.received_at)
    }

    /// Senders with pooled transactions.
    pub fn senders(&self) -> impl Iterator<Item = Address> + '_ {
        self.by_sender.keys().copied()
    }

    /// Removes one transaction (e.g. dropped by the sealer). Returns it if it was pooled.
    pub fn remove(&mut self, hash: &B256) -> Option<ValidTx> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let txs = self.by_sender.get_mut(&sender)?;
        let entry = txs.remove(&nonce);
        if txs.is_empty() {
            self.by_sender.remove(&sender);
        }
        let tx = entry.map(|e| e.tx)?;
        self.bytes -= tx.raw.len();
        Some(tx)
    }

    /// Forgets `sender`'s transactions below its new account nonce (included or superseded).
    pub fn remove_below(&mut self, sender: Address, account_nonce: u64) -> Vec<B256> {
        let Some(txs) = self.by_sender.get_mut(&sender) else { return vec![] };
        let keep = txs.split_off(&account_nonce);
        let gone: Vec<ValidTx> = std::mem::replace(txs, keep).into_values().map(|e| e.tx).collect();
        if txs.is_empty() {
            self.by_sender.remove(&sender);
        }
        self.bytes -= gone.iter().map(|t| t.raw.len()).sum::<usize>();
        let gone: Vec<B256> = gone.into_iter().map(|t| t.hash).collect();
        for h in &gone {
            self.by_hash.remove(h);
        }
        gone
    }

    /// Expires transactions received more than the lifetime before `now`, with every later nonce
    /// of the same sender. Returns the removed hashes.
    pub fn expire(&mut self, now: u64) -> Vec<B256> {
        let lifetime = self.config.lifetime_secs;
        let mut removed = Vec::new();
        let senders: Vec<Address> = self.by_sender.keys().copied().collect();
        for sender in senders {
            let Some(txs) = self.by_sender.get(&sender) else { continue };
            let first_expired = txs
                .iter()
                .find(|(_, e)| now.saturating_sub(e.received_at) > lifetime)
                .map(|(n, _)| *n);
            if let Some(n) = first_expired {
                let hashes: Vec<B256> = txs.range(n..).map(|(_, e)| e.tx.hash).collect();
                for h in hashes {
                    self.remove(&h);
                    removed.push(h);
                }
            }
        }
        removed
    }

    /// Up to `limit` executable transactions, best tip first, each sender's in nonce order starting
    /// at its account nonce (`account_nonce(sender)`); a sender with a gap contributes up to it.
    pub fn best(&self, limit: usize, account_nonce: impl Fn(Address) -> u64) -> Vec<ValidTx> {
        self.best_within(limit, usize::MAX, account_nonce).txs
    }

    /// [`Self::best`] within `max_bytes` of raw transactions too. A transaction that does not fit
    /// the bytes left is skipped with the rest of its sender's (a later nonce never goes without
    /// an earlier one), and smaller ones of other senders still fill the block.
    pub fn best_within(
        &self,
        limit: usize,
        max_bytes: usize,
        account_nonce: impl Fn(Address) -> u64,
    ) -> Selection {
        // Heap of each sender's next executable transaction, by (tip, earlier arrival first).
        let mut heap = BinaryHeap::new();
        let mut cursors = HashMap::new();
        for (sender, txs) in &self.by_sender {
            let next = account_nonce(*sender);
            if let Some(e) = txs.get(&next) {
                heap.push((tip(&e.tx), std::cmp::Reverse(e.received_at), *sender));
                cursors.insert(*sender, next);
            }
        }
        let mut out = Vec::new();
        let mut bytes_left = max_bytes;
        let mut left_out = false;
        while let Some((_, _, sender)) = heap.pop() {
            if out.len() >= limit {
                left_out = true;
                break;
            }
            let nonce = cursors[&sender];
            let txs = &self.by_sender[&sender];
            let tx = &txs[&nonce].tx;
            if tx.raw.len() > bytes_left {
                left_out = true;
                continue;
            }
            bytes_left -= tx.raw.len();
            out.push(tx.clone());
            if let Some(e) = txs.get(&(nonce + 1)) {
                cursors.insert(sender, nonce + 1);
                heap.push((tip(&e.tx), std::cmp::Reverse(e.received_at), sender));
            }
        }
        Selection { txs: out, left_out }
    }
}
