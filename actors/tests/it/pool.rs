//! The pool's rules on real signed transactions.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use rollup_actors::execution::validation::{validate_stateless, ValidTx, ValidationConfig};
use rollup_actors::sequencer::pool::{Added, Pool, PoolConfig, PoolError};

const GWEI: u128 = 1_000_000_000;

fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(i + 1)).unwrap()
}

fn tx(signer: u8, nonce: u64, fee_cap: u128, tip: u128) -> ValidTx {
    tx_with(signer, nonce, fee_cap, tip, 0)
}

/// [`tx`] carrying `data` bytes of calldata (with the gas they need, EIP-7623's floor).
fn tx_with(signer: u8, nonce: u64, fee_cap: u128, tip: u128, data: usize) -> ValidTx {
    let t = TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 21_000 + 40 * data as u64,
        max_fee_per_gas: fee_cap * GWEI,
        max_priority_fee_per_gas: tip * GWEI,
        to: TxKind::Call(address!("0x0000000000000000000000000000000000000b0b")),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::from(vec![1u8; data]),
    };
    let sig = key(signer).sign_hash_sync(&t.signature_hash()).unwrap();
    let raw = TxEnvelope::from(t.into_signed(sig)).encoded_2718();
    validate_stateless(&raw, &ValidationConfig::default()).unwrap()
}

fn addr(i: u8) -> Address {
    key(i).address()
}

#[test]
fn duplicates_and_used_nonces_are_refused() {
    let mut pool = Pool::new(PoolConfig::default());
    let t = tx(0, 3, 10, 1);
    assert_eq!(pool.add(t.clone(), 3, 0), Ok(Added::New));
    assert_eq!(pool.add(t, 3, 0), Err(PoolError::AlreadyKnown));
    assert_eq!(PoolError::AlreadyKnown.to_string(), "already known");
    assert_eq!(pool.add(tx(0, 2, 10, 1), 3, 0), Err(PoolError::NonceTooLow { next: 3, tx: 2 }));
}

#[test]
fn replacement_needs_ten_percent_on_fee_cap_and_tip() {
    let mut pool = Pool::new(PoolConfig::default());
    let first = tx(0, 0, 100, 10);
    pool.add(first.clone(), 0, 0).unwrap();
    // 9% more on both: refused; 10% on the cap only: refused; 10% on both: replaces.
    assert_eq!(pool.add(tx(0, 0, 109, 11), 0, 0), Err(PoolError::ReplacementUnderpriced));
    assert_eq!(pool.add(tx(0, 0, 110, 10), 0, 0), Err(PoolError::ReplacementUnderpriced));
    let better = tx(0, 0, 110, 11);
    assert_eq!(pool.add(better.clone(), 0, 0), Ok(Added::Replaced(first.hash)));
    assert_eq!(pool.len(), 1);
    assert!(!pool.contains(&first.hash));
    assert_eq!(pool.get(&better.hash), Some(&better));
    assert_eq!(
        PoolError::ReplacementUnderpriced.to_string(),
        "replacement transaction underpriced"
    );
}

#[test]
fn per_account_limit() {
    let mut pool = Pool::new(PoolConfig { max_per_account: 2, ..Default::default() });
    pool.add(tx(0, 0, 10, 1), 0, 0).unwrap();
    pool.add(tx(0, 1, 10, 1), 0, 0).unwrap();
    assert_eq!(pool.add(tx(0, 2, 10, 1), 0, 0), Err(PoolError::AccountLimit { limit: 2 }));
    // A replacement is not a new slot.
    assert!(matches!(pool.add(tx(0, 1, 20, 2), 0, 0), Ok(Added::Replaced(_))));
    // Other senders are unaffected.
    assert_eq!(pool.add(tx(1, 0, 10, 1), 0, 0), Ok(Added::New));
}

/// geth's pending/queued split: future-nonce transactions fill their own quota and never keep
/// the sender's next executable transaction out.
#[test]
fn future_transactions_never_lock_out_the_executable_one() {
    let mut pool = Pool::new(PoolConfig {
        max_per_account: 2,
        max_queued_per_account: 3,
        ..Default::default()
    });
    // Account nonce 0: nonces 5, 6, 7 wait behind a gap.
    for n in 5..8 {
        assert_eq!(pool.add(tx(0, n, 10, 1), 0, 0), Ok(Added::New));
    }
    assert_eq!(pool.add(tx(0, 9, 10, 1), 0, 0), Err(PoolError::QueueLimit { limit: 3 }));
    assert_eq!(
        PoolError::QueueLimit { limit: 3 }.to_string(),
        "account limit exceeded: 3 queued (future-nonce) transactions per sender"
    );
    // The executable nonces are still welcome, up to their own limit.
    assert_eq!(pool.add(tx(0, 0, 10, 1), 0, 0), Ok(Added::New));
    assert_eq!(pool.add(tx(0, 1, 10, 1), 0, 0), Ok(Added::New));
    assert_eq!(pool.add(tx(0, 2, 10, 1), 0, 0), Err(PoolError::AccountLimit { limit: 2 }));
    assert_eq!(pool.pending_nonce(key(0).address(), 0), 2);
    // Once the executable ones are included (account nonce 2), 2 is executable again.
    pool.remove_below(key(0).address(), 2);
    assert_eq!(pool.add(tx(0, 2, 10, 1), 2, 0), Ok(Added::New));
}

/// The pool is bounded in bytes, not only in count: a sender's share, and the whole pool, where
/// a full pool evicts as by count (a cheaper highest nonce, for an executable transaction only).
#[test]
fn the_pool_is_bounded_in_bytes_per_sender_and_in_all() {
    let big = |signer, nonce, tip| tx_with(signer, nonce, 100, tip, 100_000);
    let one = big(0, 0, 1).raw.len();
    let mut pool = Pool::new(PoolConfig {
        max_bytes_per_account: 2 * one + 200,
        max_bytes: 3 * one + 200,
        ..Default::default()
    });
    // Future nonces count too: two fit the share, the third does not.
    assert_eq!(pool.add(big(0, 5, 1), 0, 0), Ok(Added::New));
    assert_eq!(pool.add(big(0, 6, 1), 0, 0), Ok(Added::New));
    let limit = 2 * one + 200;
    assert_eq!(pool.add(big(0, 7, 1), 0, 0), Err(PoolError::AccountBytes { limit }));
    assert_eq!(
        PoolError::AccountBytes { limit: 7 }.to_string(),
        "account limit exceeded: 7 bytes of pooled transactions per sender"
    );
    // Small transactions still fit beside them.
    assert_eq!(pool.add(tx(0, 0, 10, 1), 0, 0), Ok(Added::New));
    assert_eq!(pool.bytes(), 2 * one + tx(0, 0, 10, 1).raw.len());
    // The pool's own budget: a third big one from another sender fits, a fourth evicts a
    // cheaper highest nonce (sender 0's nonce 6), and a future one is refused.
    let b0 = big(1, 0, 2);
    assert_eq!(pool.add(b0.clone(), 0, 0), Ok(Added::New));
    let c0 = big(2, 0, 5);
    assert_eq!(pool.add(c0, 0, 0), Ok(Added::Evicted(vec![big(0, 6, 1).hash])));
    assert_eq!(pool.add(big(3, 3, 90), 0, 0), Err(PoolError::PoolFull));
    assert!(pool.bytes() <= 3 * one + 200, "{} bytes pooled", pool.bytes());
    // A sender's future transactions make way for its next executable one by bytes too.
    let share =
        Pool::new(PoolConfig { max_bytes_per_account: 2 * one + 200, ..Default::default() });
    let mut share = share;
    share.add(big(5, 3, 1), 0, 0).unwrap();
    share.add(big(5, 4, 1), 0, 0).unwrap();
    let next = big(5, 0, 1);
    let gone = share.displace_future(&next, 0, U256::MAX);
    assert_eq!(gone.iter().map(|(t, _)| t.hash).collect::<Vec<_>>(), vec![big(5, 4, 1).hash]);
    assert_eq!(share.add(next, 0, 0), Ok(Added::New));
    // Removal gives the bytes back.
    pool.remove(&b0.hash);
    pool.remove_below(addr(0), 100);
    assert_eq!(pool.bytes(), big(2, 0, 5).raw.len());
}

/// Future transactions count against the balance, so a sender cannot hold pool space it could
/// never pay for; but they make way for its next executable transaction, highest nonce first.
#[test]
fn future_transactions_count_against_the_balance_and_make_way_for_the_executable_one() {
    use rollup_actors::execution::validation::tx_cost;
    let mut pool = Pool::new(PoolConfig::default());
    let futures: Vec<ValidTx> = (5..8).map(|n| tx(0, n, 10, 1)).collect();
    for t in &futures {
        pool.add(t.clone(), 0, 0).unwrap();
    }
    let next = tx(0, 0, 10, 1);
    let cost = tx_cost(&next);
    assert_eq!(pool.queued_cost(&next, 0), cost * U256::from(3), "future ones are counted");
    // A balance for two transactions: the next one displaces the two highest future ones.
    let balance = cost * U256::from(2);
    let gone = pool.displace_future(&next, 0, balance);
    let hashes: Vec<B256> = gone.iter().map(|(t, _)| t.hash).collect();
    assert_eq!(hashes, vec![futures[2].hash, futures[1].hash]);
    assert_eq!(pool.queued_cost(&next, 0) + cost, balance);
    // Refused after all: they are put back.
    pool.restore(gone);
    assert_eq!(pool.queued_cost(&next, 0), cost * U256::from(3));
    assert_eq!(pool.len(), 3);
    // A future transaction displaces nothing, nor does one that cannot pay even alone.
    assert!(pool.displace_future(&tx(0, 9, 10, 1), 0, U256::ZERO).is_empty());
    assert!(pool.displace_future(&next, 0, cost - U256::from(1)).is_empty());
    assert!(pool.contains(&futures[0].hash));
}

/// A full pool that cannot free enough by evicting cheaper transactions evicts none of them.
#[test]
fn an_eviction_that_cannot_make_room_removes_nothing() {
    let big = |signer, nonce, tip, data| tx_with(signer, nonce, 100, tip, data);
    let one = big(0, 0, 1, 50_000).raw.len();
    let mut pool = Pool::new(PoolConfig { max_bytes: 2 * one + 100, ..Default::default() });
    let cheap = big(0, 0, 1, 50_000);
    let dear = big(1, 0, 9, 50_000);
    pool.add(cheap.clone(), 0, 0).unwrap();
    pool.add(dear.clone(), 0, 0).unwrap();
    // Needs two of them gone, and only one pays less.
    assert_eq!(pool.add(big(2, 0, 5, 100_000), 0, 0), Err(PoolError::PoolFull));
    assert!(pool.contains(&cheap.hash) && pool.contains(&dear.hash));
    assert_eq!(pool.bytes(), cheap.raw.len() + dear.raw.len());
}

#[test]
fn full_pool_evicts_only_a_cheaper_highest_nonce() {
    let mut pool = Pool::new(PoolConfig { max_total: 3, ..Default::default() });
    let a0 = tx(0, 0, 10, 1);
    let a1 = tx(0, 1, 10, 1);
    let b0 = tx(1, 0, 10, 5);
    for t in [&a0, &a1, &b0] {
        pool.add(t.clone(), 0, 0).unwrap();
    }
    // Richer than A's last transaction: A's nonce 1 (its highest) goes, never nonce 0.
    let c0 = tx(2, 0, 10, 3);
    assert_eq!(pool.add(c0.clone(), 0, 0), Ok(Added::Evicted(vec![a1.hash])));
    assert!(pool.contains(&a0.hash), "no gap left behind");
    // Nothing cheaper than this: refused.
    assert_eq!(pool.add(tx(3, 0, 10, 1), 0, 0), Err(PoolError::PoolFull));
    // A future nonce is refused when full, whatever it pays.
    assert_eq!(pool.add(tx(4, 5, 100, 50), 0, 0), Err(PoolError::PoolFull));
    assert_eq!(pool.len(), 3);
}

#[test]
fn best_orders_by_tip_and_keeps_each_senders_nonce_order() {
    let mut pool = Pool::new(PoolConfig::default());
    let a = [tx(0, 0, 10, 1), tx(0, 1, 10, 9)];
    let b = [tx(1, 0, 10, 5)];
    let gapped = tx(2, 1, 200, 100); // nonce 0 missing: not executable
    for t in a.iter().chain(b.iter()).chain([&gapped]) {
        pool.add(t.clone(), 0, 0).unwrap();
    }
    let best: Vec<B256> = pool.best(10, |_| 0).into_iter().map(|t| t.hash).collect();
    // B's head pays 5 > A's head 1; A's nonce 1 (tip 9) only after its nonce 0.
    assert_eq!(best, vec![b[0].hash, a[0].hash, a[1].hash]);
    assert_eq!(pool.best(2, |_| 0).len(), 2, "limit respected");
    assert_eq!(pool.pending_nonce(addr(0), 0), 2);
    assert_eq!(pool.pending_nonce(addr(2), 0), 0, "a gap stops the pending nonce");
}

#[test]
fn included_and_expired_transactions_leave() {
    let mut pool = Pool::new(PoolConfig { lifetime_secs: 100, ..Default::default() });
    let a: Vec<ValidTx> = (0..3).map(|n| tx(0, n, 10, 1)).collect();
    for t in &a {
        pool.add(t.clone(), 0, 0).unwrap();
    }
    assert_eq!(pool.remove_below(addr(0), 1), vec![a[0].hash]);
    assert_eq!(pool.len(), 2);
    // B's transactions arrive later; at t=150 only A's (t=0) expire, with all later nonces.
    let b0 = tx(1, 0, 10, 1);
    pool.add(b0.clone(), 0, 120).unwrap();
    let mut expired = pool.expire(150);
    expired.sort();
    let mut want = vec![a[1].hash, a[2].hash];
    want.sort();
    assert_eq!(expired, want);
    assert!(pool.contains(&b0.hash));
    assert_eq!(pool.remove(&b0.hash).map(|t| t.hash), Some(b0.hash));
    assert!(pool.is_empty());
}

fn sized(signer: u8, nonce: u64, tip: u128, data: usize) -> ValidTx {
    let t = TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 21_000 + 40 * data as u64,
        max_fee_per_gas: 100 * GWEI,
        max_priority_fee_per_gas: tip * GWEI,
        to: TxKind::Call(address!("0x0000000000000000000000000000000000000b0b")),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::from(vec![1u8; data]),
    };
    let sig = key(signer).sign_hash_sync(&t.signature_hash()).unwrap();
    let raw = TxEnvelope::from(t.into_signed(sig)).encoded_2718();
    validate_stateless(&raw, &ValidationConfig::default()).unwrap()
}

#[test]
fn best_within_skips_what_does_not_fit_but_never_an_earlier_nonce() {
    let mut pool = Pool::new(PoolConfig::default());
    let a0 = sized(0, 0, 5, 0);
    let b0 = sized(1, 0, 4, 800);
    let b1 = sized(1, 1, 9, 0); // the best tip, behind b0
    let c0 = sized(2, 0, 3, 0);
    for t in [&a0, &b0, &b1, &c0] {
        pool.add(t.clone(), 0, 0).unwrap();
    }
    let hashes = |s: &rollup_actors::sequencer::pool::Selection| -> Vec<B256> {
        s.txs.iter().map(|t| t.hash).collect()
    };
    let budget = a0.raw.len() + b0.raw.len() - 1;
    let picked = pool.best_within(10, budget, |_| 0);
    assert_eq!(hashes(&picked), vec![a0.hash, c0.hash]);
    assert!(picked.left_out);
    // Everything fits: nothing left out.
    let all = pool.best_within(10, usize::MAX, |_| 0);
    assert_eq!(hashes(&all), vec![a0.hash, b0.hash, b1.hash, c0.hash]);
    assert!(!all.left_out);
    // The count limit leaves some out too; an exact fit does not.
    assert!(pool.best_within(3, usize::MAX, |_| 0).left_out);
    assert!(!pool.best_within(4, usize::MAX, |_| 0).left_out);
    assert_eq!(pool.best(10, |_| 0), all.txs);
}

#[test]
fn queued_cost_follows_adds_replacements_and_removals() {
    let mut pool = Pool::new(PoolConfig { lifetime_secs: 100, ..Default::default() });
    let cost = |t: &ValidTx| rollup_actors::execution::validation::tx_cost(t);
    let a: Vec<ValidTx> = (0..3).map(|n| tx(0, n, 10, 1)).collect();
    for t in &a {
        pool.add(t.clone(), 0, 0).unwrap();
    }
    let all = cost(&a[0]) + cost(&a[1]) + cost(&a[2]);
    let next = tx(0, 3, 10, 1);
    assert_eq!(pool.queued_cost(&next, 0), all);
    // A replacement counts instead of the one it replaces.
    let better = tx(0, 1, 20, 2);
    assert_eq!(pool.queued_cost(&better, 0), all - cost(&a[1]));
    pool.add(better.clone(), 0, 0).unwrap();
    let all = all - cost(&a[1]) + cost(&better);
    assert_eq!(pool.queued_cost(&next, 0), all);
    // Included but not yet removed (below the account nonce): already paid.
    assert_eq!(pool.queued_cost(&next, 1), all - cost(&a[0]));
    pool.remove_below(addr(0), 1);
    assert_eq!(pool.queued_cost(&next, 1), all - cost(&a[0]));
    pool.remove(&a[2].hash);
    assert_eq!(pool.queued_cost(&next, 1), cost(&better));
    pool.expire(1_000);
    assert!(pool.is_empty());
    assert_eq!(pool.queued_cost(&next, 0), U256::ZERO);
    // Other senders count apart.
    pool.add(tx(1, 0, 10, 1), 0, 0).unwrap();
    assert_eq!(pool.queued_cost(&next, 0), U256::ZERO);
    // Future transactions (after a gap) are counted too; a dear one queued at nonce 5 makes way
    // for the executable nonce 1 when the balance cannot pay for both.
    let dear = tx(1, 5, 40_000, 1);
    pool.add(dear.clone(), 0, 0).unwrap();
    let second = tx(1, 1, 10, 1);
    let first = cost(&tx(1, 0, 10, 1));
    assert_eq!(pool.queued_cost(&second, 0), first + cost(&dear));
    let gone = pool.displace_future(&second, 0, first + cost(&second));
    assert_eq!(gone.iter().map(|(t, _)| t.hash).collect::<Vec<_>>(), vec![dear.hash]);
    assert_eq!(pool.queued_cost(&second, 0), first);
}
