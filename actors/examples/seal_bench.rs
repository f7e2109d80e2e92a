//! The sealer's cost per transaction, without RPC, pool or settlement: builds and commits blocks
//! of ETH transfers on a real redb store, as the sealer does, and reports the median time per
//! transaction of each phase. For profiling (`perf record -g`) and for before/after figures in
//! `docs/perf.md`; not a test.
//!
//! ```sh
//! cargo run --release -p rollup-actors --example seal_bench -- [SENDERS] [BLOCKS] [FILLER]
//! ```
//! SENDERS accounts (default 1,000) each send one transfer per block, for BLOCKS blocks (default
//! 40); FILLER other funded accounts (default 100,000) make the state tables a realistic size.

#![allow(clippy::unwrap_used, missing_docs)]

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use rollup_actors::execution::block::{build_block_with, BlockInput, ChainSpec};
use rollup_actors::execution::validation::{validate_stateless, ValidTx, ValidationConfig};
use rollup_actors::state::{SlotKey, SlotWrite};
use rollup_actors::storage::chain::{BlockWriter, ChainStore, PoolWriter};
use std::time::Instant;

const GWEI: u128 = 1_000_000_000;
const SINK: Address = address!("0x4242424242424242424242424242424242424242");

fn arg(i: usize, default: usize) -> usize {
    std::env::args().nth(i).map_or(default, |a| a.parse().expect("a number"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let (senders, blocks, filler) = (arg(1, 1000), arg(2, 40), arg(3, 100_000));
    let dir = std::env::temp_dir().join(format!("seal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (store, _) = ChainStore::open(&dir.join("chain.redb")).unwrap();
    let keys: Vec<PrivateKeySigner> = (0..senders)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256((i as u64 + 1).to_be_bytes())).unwrap())
        .collect();
    let rich = B256::from(U256::from(10u64).pow(U256::from(21)));
    let mut genesis: Vec<SlotWrite> = keys
        .iter()
        .map(|k| SlotWrite { key: SlotKey::balance(k.address()), old: B256::ZERO, new: rich })
        .collect();
    genesis.extend((0..filler).map(|i| SlotWrite {
        key: SlotKey::balance(Address::from_word(keccak256((i as u64).to_le_bytes()))),
        old: B256::ZERO,
        new: rich,
    }));
    genesis.sort_by_key(|w| w.key);
    store.state().apply(&genesis, &[]).unwrap();

    let cfg = ValidationConfig::default();
    let signed: Vec<Vec<ValidTx>> = (0..blocks as u64)
        .map(|nonce| {
            keys.iter()
                .map(|k| {
                    let tx = TxEip1559 {
                        chain_id: cfg.chain_id,
                        nonce,
                        gas_limit: 21_000,
                        max_fee_per_gas: 2 * GWEI,
                        max_priority_fee_per_gas: GWEI,
                        to: TxKind::Call(SINK),
                        value: U256::from(1),
                        access_list: Default::default(),
                        input: Bytes::new(),
                    };
                    let sig = k.sign_hash_sync(&tx.signature_hash()).unwrap();
                    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
                    validate_stateless(&raw, &cfg).unwrap()
                })
                .collect()
        })
        .collect();
    let spec = ChainSpec {
        chain_id: cfg.chain_id,
        gas_limit: 1_000_000_000,
        base_fee: GWEI as u64,
        coinbase: address!("0x00000000000000000000000000000000000c0ffe"),
        settle: Some(rollup_actors::execution::block::SettleLimits::DEV),
    };

    // Its own thread, so that `perf report --comm sealer` leaves the signing out.
    std::thread::Builder::new()
        .name("sealer".into())
        .spawn(move || seal(&store, &spec, signed, senders))
        .unwrap()
        .join()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    println!("senders {senders} blocks {blocks} filler {filler}");
}

fn seal(store: &ChainStore, spec: &ChainSpec, signed: Vec<Vec<ValidTx>>, senders: usize) {
    let (mut build, mut commit) = (Vec::new(), Vec::new());
    let mut parent = B256::ZERO;
    for (i, txs) in signed.into_iter().enumerate() {
        let pooled: Vec<(B256, u64, Bytes)> =
            txs.iter().map(|t| (t.hash, 0, t.raw.clone())).collect();
        PoolWriter::of(store).pool_update(&pooled, &[]).unwrap();
        let removed: Vec<B256> = txs.iter().map(|t| t.hash).collect();
        let started = Instant::now();
        let snap = store.state().snapshot().unwrap();
        let input =
            BlockInput { number: i as u64 + 1, timestamp: 1 + i as u64, parent_hash: parent };
        let block = build_block_with(snap, spec, input, &[], txs).unwrap();
        let built = Instant::now();
        assert_eq!(block.transactions.len(), senders, "dropped: {:?}", block.dropped.first());
        BlockWriter::of(store).commit_block_and_pool(&block, &removed).unwrap();
        let done = Instant::now();
        parent = block.hash;
        let per_tx = |d: std::time::Duration| d.as_secs_f64() * 1e6 / senders as f64;
        build.push(per_tx(built - started));
        commit.push(per_tx(done - built));
    }
    let (b, c) = (median(build), median(commit));
    println!(
        "build {b:.1} us/tx, commit {c:.1} us/tx, total {:.1} us/tx ({:.0} tx/s)",
        b + c,
        1e6 / (b + c)
    );
}
