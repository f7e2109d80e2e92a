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
//! - at most [`PoolConfig::max_total`] in all; when full, only a sender's *highest* nonce is ever
//!   evicted, so eviction never leaves an account with a gap it cannot fill;
//! - a transaction older than [`PoolConfig::lifetime_secs`] expires together with every later nonce
//!   of its sender (they could not execute without it);
//! - admission counts, as geth does, the worst-case cost ([`tx_cost`]) of the sender's
//!   *executable* pooled transactions against its balance; future ones (after a gap) are not
//!   counted, so they cannot keep the next executable transaction out.

pub mod actor;

use crate::execution::validation::{tx_cost, ValidTx};
use alloy::consensus::Transaction;
use alloy::primitives::{Address, B256, U256};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// Pool limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most executable transactions per sender (geth: 16 pending slots per account).
    pub max_per_account: usize,
    /// Most future-nonce (queued) transactions per sender (geth: 64).
    pub max_queued_per_account: usize,
    /// Most transactions in the pool.
    pub max_total: usize,
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
        let mut evicted = Vec::new();
        if self.len() >= self.config.max_total {
            // A full pool takes only transactions that are executable now, never future ones.
            if nonce != next {
                return Err(PoolError::PoolFull);
            }
            // The cheapest highest-nonce transaction of another sender, if cheaper than `tx`.
            let victim = self
                .by_sender
                .iter()
                .filter(|(s, _)| **s != sender)
                .filter_map(|(_, txs)| txs.values().next_back())
                .filter(|e| tip(&e.tx) < tip(&tx))
                .min_by_key(|e| tip(&e.tx))
                .map(|e| e.tx.hash);
            match victim {
                Some(h) => {
                    self.remove(&h);
                    evicted.push(h);
                }
                None => return Err(PoolError::PoolFull),
            }
        }
        self.insert(tx, now);
        Ok(if evicted.is_empty() { Added::New } else { Added::Evicted(evicted) })
    }

    fn insert(&mut self, tx: ValidTx, now: u64) {
        let (sender, nonce) = (tx.sender, tx.envelope.nonce());
        self.by_hash.insert(tx.hash, (sender, nonce));
        self.by_sender.entry(sender).or_default().insert(nonce, Entry { tx, received_at: now });
    }

    /// What `tx`'s sender already has pooled against its balance (geth's "queued cost"): the
    /// cost of its executable pooled transactions, the run of nonces from `account_nonce`,
    /// without the one `tx` would replace. Transactions below the account nonce are already
    /// paid for (included in a block the pool has not heard of yet); future ones, after a gap,
    /// are not counted, as geth counts only its pending ones. At most
    /// [`PoolConfig::max_per_account`] entries are read.
    pub fn queued_cost(&self, tx: &ValidTx, account_nonce: u64) -> U256 {
        let Some(txs) = self.by_sender.get(&tx.sender) else { return U256::ZERO };
        let replaced = tx.envelope.nonce();
        let mut cost = U256::ZERO;
        for (expected, (&nonce, e)) in (account_nonce..).zip(txs.range(account_nonce..)) {
            if nonce != expected {
                break;
            }
            if nonce != replaced {
                cost = cost.saturating_add(tx_cost(&e.tx));
            }
        }
        cost
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
        entry.map(|e| e.tx)
    }

    /// Forgets `sender`'s transactions below its new account nonce (included or superseded).
    pub fn remove_below(&mut self, sender: Address, account_nonce: u64) -> Vec<B256> {
        let Some(txs) = self.by_sender.get_mut(&sender) else { return vec![] };
        let keep = txs.split_off(&account_nonce);
        let gone: Vec<ValidTx> = std::mem::replace(txs, keep).into_values().map(|e| e.tx).collect();
        if txs.is_empty() {
            self.by_sender.remove(&sender);
        }
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
