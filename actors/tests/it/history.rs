//! What the chain store keeps of past blocks: the state of the last 128 blocks (as geth) and
//! each block's RLP size.

use alloy::consensus::{Block, BlockBody, SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use rollup_actors::execution::block::{build_block, BlockInput, ChainSpec};
use rollup_actors::execution::validation::{validate_stateless, ValidationConfig};
use rollup_actors::state::{SlotKey, SlotWrite, StateReader};
use rollup_actors::storage::chain::{
    block_rlp_size, BlockWriter, ChainStore, HistoryError, STATE_HISTORY,
};

const GWEI: u128 = 1_000_000_000;
const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");

fn signer() -> PrivateKeySigner {
    rollup_test_utils::signer(1)
}

fn spec() -> ChainSpec {
    ChainSpec {
        chain_id: 270,
        gas_limit: 30_000_000,
        base_fee: GWEI as u64,
        coinbase: address!("0x00000000000000000000000000000000000c0ffe"),
        settle: Some(rollup_actors::execution::block::SettleLimits::DEV),
    }
}

fn eip1559(nonce: u64, input: usize) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(BOB),
        value: U256::from(nonce + 1),
        access_list: Default::default(),
        input: Bytes::from(vec![1u8; input]),
    };
    let sig = signer().sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

fn legacy(nonce: u64) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(270),
        nonce,
        gas_price: 2 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(BOB),
        value: U256::from(nonce + 1),
        input: Bytes::new(),
    };
    let sig = signer().sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

fn funded_store(dir: &tempfile::TempDir) -> ChainStore {
    let (store, _) = ChainStore::open(&dir.path().join("chain.redb")).unwrap();
    let rich = U256::from(100u64) * U256::from(10u64).pow(U256::from(18));
    let write = SlotWrite {
        key: SlotKey::balance(signer().address()),
        old: B256::ZERO,
        new: B256::from(rich),
    };
    store.state().apply(&[write], &[]).unwrap();
    store
}

/// Seals blocks 1..=n, block i holding `txs(i)`; returns the head hash.
fn seal(store: &ChainStore, n: u64, mut nonce: u64, per_block: usize) -> (B256, u64) {
    let mut parent = store.head().unwrap().map_or(B256::ZERO, |(_, h)| h);
    let first = store.head().unwrap().map_or(1, |(h, _)| h + 1);
    for number in first..first + n {
        let txs: Vec<_> = (0..per_block)
            .map(|i| {
                let raw = if i % 2 == 0 { eip1559(nonce, i * 40) } else { legacy(nonce) };
                nonce += 1;
                validate_stateless(&raw, &ValidationConfig::default()).unwrap()
            })
            .collect();
        let snap = store.state().snapshot().unwrap();
        let input = BlockInput { number, timestamp: 1_700_000_000 + number, parent_hash: parent };
        let block = build_block(&snap, &spec(), input, txs).unwrap();
        assert_eq!(block.transactions.len(), per_block, "block {number} takes them all");
        BlockWriter::of(store).commit_block(&block).unwrap();
        parent = block.hash;
    }
    (parent, nonce)
}

#[test]
fn the_state_of_the_last_128_blocks_is_kept_and_older_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    seal(&store, STATE_HISTORY + 2, 0, 1);
    let head = store.head().unwrap().unwrap().0;
    // The head and the 127 blocks before it: BOB's balance there is the sum of the transfers.
    let oldest = head - (STATE_HISTORY - 1);
    let state = store.state_at(oldest).unwrap();
    let expected = U256::from(oldest * (oldest + 1) / 2);
    let balance = U256::from_be_bytes(state.slot(&SlotKey::balance(BOB)).unwrap().0);
    assert_eq!(balance, expected, "block {oldest}");
    let too_old = store.state_at(oldest - 1).err().unwrap();
    assert!(matches!(too_old, HistoryError::Pruned { .. }), "{too_old}");
    assert!(too_old.to_string().contains("keeps the state of the last 128 blocks"), "{too_old}");
}

#[test]
fn each_block_records_its_whole_rlp_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    seal(&store, 3, 0, 5);
    for number in 1..=3 {
        let header = store.header(number).unwrap().unwrap();
        let txs: Vec<TxEnvelope> = store
            .block_tx_hashes(number)
            .unwrap()
            .into_iter()
            .map(|h| {
                let raw = store.transaction(h).unwrap().unwrap().raw;
                alloy::eips::eip2718::Decodable2718::decode_2718(&mut raw.as_ref()).unwrap()
            })
            .collect();
        let raws: Vec<Vec<u8>> = txs.iter().map(|t| t.encoded_2718()).collect();
        let block = Block {
            header,
            body: BlockBody { transactions: txs, ommers: vec![], withdrawals: None },
        };
        let want = alloy::rlp::Encodable::length(&block) as u64;
        assert_eq!(store.block_size(number).unwrap(), Some(want), "block {number}");
        let header_len = alloy::rlp::Encodable::length(&block.header);
        assert_eq!(block_rlp_size(header_len, raws.iter().map(|r| r.as_slice())), want);
    }
}
