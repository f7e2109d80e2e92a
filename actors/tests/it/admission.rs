//! Admission and block filling through the running pool and sealer (L1 mode, sealing on
//! demand): what the pool accepts can be included, and a block cut short by its byte limit is
//! followed at once by the next.

use crate::actors::{
    config, ether, start_custom, submit_tx, supervise, wait_included, Sup, TestChain,
};
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, Address, Bytes, TxKind, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use rollup_actors::execution::validation::{validate_stateless, ValidTx, ValidationConfig};
use rollup_actors::sequencer::chain::ChainConfig;
use rollup_supervision::ChildSpec;
use std::sync::atomic::Ordering;

const TO: Address = address!("0x0000000000000000000000000000000000000b0b");

fn signer(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&alloy::primitives::B256::repeat_byte(0x40 + i)).unwrap()
}

/// A transfer from `signer(from)` with `data` bytes of (non-zero) calldata.
struct Tx {
    from: u8,
    nonce: u64,
    value: U256,
    fee_cap: u128,
    tip: u128,
    data: usize,
}

impl Tx {
    fn new(from: u8, nonce: u64) -> Self {
        Self { from, nonce, value: U256::from(1), fee_cap: 10, tip: 1, data: 0 }
    }

    fn build(self) -> ValidTx {
        // Enough gas for the EIP-7623 calldata floor (10 gas per token, 4 tokens a byte).
        let gas_limit = 21_000 + 40 * self.data as u64;
        let t = TxEip1559 {
            chain_id: 270,
            nonce: self.nonce,
            gas_limit,
            max_fee_per_gas: self.fee_cap,
            max_priority_fee_per_gas: self.tip,
            to: TxKind::Call(TO),
            value: self.value,
            access_list: Default::default(),
            input: Bytes::from(vec![1u8; self.data]),
        };
        let sig = signer(self.from).sign_hash_sync(&t.signature_hash()).unwrap();
        let raw = TxEnvelope::from(t.into_signed(sig)).encoded_2718();
        validate_stateless(&raw, &ValidationConfig { min_gas_price: 1, ..Default::default() })
            .unwrap()
    }
}

/// L1 mode (a block as soon as the pool wakes the sealer), blocks of at most 1,000 raw bytes.
fn small_blocks() -> ChainConfig {
    ChainConfig { block_time_ms: 0, max_block_bytes: 1_000, ..config() }
}

/// A chain whose senders 0..4 hold one ether each, with a running pool and no sealer yet: what
/// is submitted stays pooled until the returned sealer spec is started.
async fn pool_only(dir: &tempfile::TempDir, cfg: ChainConfig) -> (TestChain, Sup, ChildSpec) {
    let alloc: Vec<(Address, U256)> = (0..4).map(|i| (signer(i).address(), ether())).collect();
    let (chain, sup) = start_custom(dir, cfg, 5, &alloc, |chain| vec![chain.pool_spec()]).await;
    let sealer = chain.sealer_spec();
    (chain, sup, sealer)
}

async fn submit(chain: &TestChain, tx: ValidTx) -> Result<(), String> {
    submit_tx(chain, tx).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_larger_than_a_block_is_refused_at_admission() {
    let dir = tempfile::tempdir().unwrap();
    let alloc = [(signer(0).address(), ether())];
    let (chain, _sup) = start_custom(&dir, small_blocks(), 5, &alloc, |chain| {
        vec![chain.pool_spec(), chain.sealer_spec()]
    })
    .await;
    let big = Tx { data: 1_500, ..Tx::new(0, 0) }.build();
    let size = big.raw.len();
    assert!(size > 1_000 && size < rollup_actors::execution::validation::MAX_TX_SIZE);
    assert_eq!(
        submit(&chain, big).await,
        Err(format!("oversized data: transaction size {size}, block size limit 1000")),
        "no block could ever hold it"
    );
    // The sender's nonce 0 is still free, and a transaction that fits is sealed.
    let small = Tx::new(0, 0).build();
    let hash = small.hash;
    submit(&chain, small).await.unwrap();
    assert_eq!(wait_included(&chain, hash).await, 1);
}

/// Before: the pool cut the block at 1,000 bytes and said nothing, so in L1 mode the rest waited
/// for another submission.
#[tokio::test(flavor = "multi_thread")]
async fn a_byte_limited_block_is_followed_at_once_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _pool, sealer) = pool_only(&dir, small_blocks()).await;
    // About 400 bytes each: two fit in a block.
    let txs: Vec<ValidTx> = (0..6).map(|n| Tx { data: 300, ..Tx::new(0, n) }.build()).collect();
    assert!(txs.iter().all(|t| t.raw.len() > 334 && t.raw.len() <= 500));
    for t in &txs {
        submit(&chain, t.clone()).await.unwrap();
    }
    // One wake-up only: the sealer's own at start.
    let _sealer = supervise(&chain, vec![sealer]).await;
    let mut blocks = Vec::new();
    for t in &txs {
        blocks.push(wait_included(&chain, t.hash).await);
    }
    assert_eq!(blocks, vec![1, 1, 2, 2, 3, 3]);
}

/// The pool skips a transaction that does not fit what the block has left and fills it with
/// smaller ones of other senders, but never takes a sender's later nonce without the earlier.
#[tokio::test(flavor = "multi_thread")]
async fn take_skips_what_does_not_fit_and_keeps_each_senders_order() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _pool, sealer) = pool_only(&dir, small_blocks()).await;
    let a0 = Tx { tip: 5, ..Tx::new(0, 0) }.build();
    let b0 = Tx { tip: 4, data: 800, ..Tx::new(1, 0) }.build();
    // The best tip of all, but it cannot run before b0.
    let b1 = Tx { tip: 9, ..Tx::new(1, 1) }.build();
    let c0 = Tx { tip: 3, ..Tx::new(2, 0) }.build();
    let sizes = (a0.raw.len(), b0.raw.len(), b1.raw.len(), c0.raw.len());
    assert!(sizes.0 + sizes.1 > 1_000 && sizes.1 <= 1_000, "{sizes:?}");
    assert!(b0.raw.len() + b1.raw.len() > 1_000);
    for t in [&a0, &b0, &b1, &c0] {
        submit(&chain, t.clone()).await.unwrap();
    }
    let _sealer = supervise(&chain, vec![sealer]).await;
    assert_eq!(wait_included(&chain, a0.hash).await, 1);
    assert_eq!(wait_included(&chain, c0.hash).await, 1, "c0 fills the room b0 does not fit");
    assert_eq!(wait_included(&chain, b0.hash).await, 2);
    assert_eq!(wait_included(&chain, b1.hash).await, 3, "b1 only after b0");
    assert_eq!(chain.metrics.txs_dropped.load(Ordering::Relaxed), 0);
}

/// geth's rule: the sender's balance must cover its pooled transactions' cost plus the new one
/// (minus the one it replaces), so the pool never holds what the sealer would drop.
#[tokio::test(flavor = "multi_thread")]
async fn admission_counts_the_senders_pooled_transactions_against_its_balance() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _pool, sealer) = pool_only(&dir, small_blocks()).await;
    let eth = |tenths: u64| ether() / U256::from(10) * U256::from(tenths);
    let gas = |fee_cap: u64| U256::from(21_000 * fee_cap);
    let first = Tx { value: eth(6), ..Tx::new(0, 0) }.build();
    submit(&chain, first.clone()).await.unwrap();
    // 0.6 + 0.6 ether (and gas) > 1 ether.
    let second = Tx { value: eth(6), ..Tx::new(0, 1) }.build();
    let (queued, cost) = (eth(6) + gas(10), eth(6) + gas(10));
    assert_eq!(
        submit(&chain, second.clone()).await,
        Err(format!(
            "insufficient funds for gas * price + value: balance {}, queued cost {queued}, tx cost {cost}, overshot {}",
            ether(),
            queued + cost - ether()
        ))
    );
    // A future nonce counts too.
    let later = Tx { value: eth(6), ..Tx::new(0, 5) }.build();
    assert!(submit(&chain, later).await.unwrap_err().contains("queued cost"));
    // A replacement counts instead of the one it replaces: 0.3 + 0.6 ether fits.
    let cheaper = Tx { value: eth(3), fee_cap: 11, tip: 2, ..Tx::new(0, 0) }.build();
    submit(&chain, cheaper.clone()).await.unwrap();
    submit(&chain, second.clone()).await.unwrap();
    let third = Tx { value: eth(2), ..Tx::new(0, 2) }.build();
    assert!(submit(&chain, third).await.unwrap_err().contains("queued cost"));

    // What was admitted is included; nothing is dropped.
    let _sealer = supervise(&chain, vec![sealer]).await;
    assert_eq!(wait_included(&chain, cheaper.hash).await, 1);
    assert_eq!(wait_included(&chain, second.hash).await, 1);
    assert_eq!(chain.metrics.txs_dropped.load(Ordering::Relaxed), 0);
    assert!(chain.account(signer(0).address()).unwrap().balance < eth(1));
}
