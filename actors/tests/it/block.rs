//! Building blocks on the flat state and committing them with their receipts and writes.

use alloy::consensus::proofs::calculate_transaction_root;
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use rollup_actors::execution::block::{build_block, writes_hash, BlockInput, ChainSpec};
use rollup_actors::execution::validation::{validate_stateless, ValidTx, ValidationConfig};
use rollup_actors::state::{SlotKey, SlotWrite, StateReader};
use rollup_actors::storage::chain::{BlockWriter, ChainStore, StoreError};

const GWEI: u128 = 1_000_000_000;
const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");
const COINBASE: Address = address!("0x00000000000000000000000000000000000c0ffe");

fn signer() -> PrivateKeySigner {
    rollup_test_utils::signer(1)
}

fn spec(gas_limit: u64) -> ChainSpec {
    ChainSpec {
        chain_id: 270,
        gas_limit,
        base_fee: GWEI as u64,
        coinbase: COINBASE,
        settle: Some(rollup_actors::execution::block::SettleLimits::DEV),
    }
}

fn signed(nonce: u64, to: TxKind, input: Vec<u8>, gas: u64) -> ValidTx {
    let tx = TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to,
        value: if to.is_call() { U256::from(10u64).pow(U256::from(18)) } else { U256::ZERO },
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let sig = signer().sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    validate_stateless(&raw, &ValidationConfig::default()).unwrap()
}

fn funded_store(dir: &tempfile::TempDir) -> ChainStore {
    let (store, _) = ChainStore::open(&dir.path().join("chain.redb")).unwrap();
    let rich = U256::from(100u64) * U256::from(10u64).pow(U256::from(18));
    store
        .state()
        .apply(
            &[SlotWrite {
                key: SlotKey::balance(signer().address()),
                old: B256::ZERO,
                new: B256::from(rich),
            }],
            &[],
        )
        .unwrap();
    store
}

fn input(number: u64, parent: B256) -> BlockInput {
    BlockInput { number, timestamp: 1_700_000_000 + number, parent_hash: parent }
}

#[test]
fn block_with_transfers_has_receipts_roots_and_a_deterministic_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    let txs = vec![
        signed(0, TxKind::Call(BOB), vec![], 21_000),
        signed(1, TxKind::Call(BOB), vec![], 21_000),
        signed(1, TxKind::Call(BOB), vec![], 22_000), // nonce 1 again: too low, cannot execute
        signed(2, TxKind::Call(BOB), vec![], 21_000),
    ];
    let snap = store.state().snapshot().unwrap();
    let block = build_block(&snap, &spec(30_000_000), input(1, B256::ZERO), txs.clone()).unwrap();
    assert_eq!(block.transactions.len(), 3, "a used nonce leaves no gap: {:?}", block.dropped);
    assert_eq!(block.dropped.len(), 1);
    assert_eq!(block.dropped[0].0, txs[2].hash);
    assert!(block.dropped[0].1.to_lowercase().contains("nonce"), "{}", block.dropped[0].1);
    let cumulative: Vec<u64> =
        block.transactions.iter().map(|t| t.receipt.cumulative_gas_used()).collect();
    assert_eq!(cumulative, vec![21_000, 42_000, 63_000]);
    assert_eq!(block.header.gas_used, 63_000);
    let envelopes: Vec<&TxEnvelope> = txs
        .iter()
        .filter(|t| block.transactions.iter().any(|i| i.hash == t.hash))
        .map(|t| &t.envelope)
        .collect();
    assert_eq!(block.header.transactions_root, calculate_transaction_root(&envelopes));
    assert_eq!(block.header.state_root, writes_hash(&block.writes));
    assert_eq!(block.hash, block.header.hash_slow());

    let again = build_block(&snap, &spec(30_000_000), input(1, B256::ZERO), txs).unwrap();
    assert_eq!(again.hash, block.hash, "same parent, transactions and time give the same hash");

    BlockWriter::of(&store).commit_block(&block).unwrap();
    assert_eq!(store.head().unwrap(), Some((1, block.hash)));
    assert_eq!(store.block_number(block.hash).unwrap(), Some(1));
    assert_eq!(store.header(1).unwrap().unwrap().hash_slow(), block.hash);
    assert_eq!(
        store.block_tx_hashes(1).unwrap(),
        block.transactions.iter().map(|t| t.hash).collect::<Vec<_>>()
    );
    assert_eq!(store.block_writes(1).unwrap(), block.writes);
    let stored = store.transaction(block.transactions[1].hash).unwrap().unwrap();
    assert_eq!(
        (stored.block, stored.index, stored.sender, stored.gas_used),
        (1, 1, signer().address(), 21_000)
    );
    assert_eq!(stored.receipt, block.transactions[1].receipt);
    assert_eq!(stored.raw, block.transactions[1].raw);
    assert!(store.transaction(block.dropped[0].0).unwrap().is_none(), "dropped tx not stored");
    let bob = store.state().snapshot().unwrap().slot(&SlotKey::balance(BOB)).unwrap();
    assert_eq!(
        U256::from_be_bytes(bob.0),
        U256::from(3u64) * U256::from(10u64).pow(U256::from(18))
    );
}

#[test]
fn gas_limit_defers_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    let txs: Vec<ValidTx> = (0..3).map(|n| signed(n, TxKind::Call(BOB), vec![], 21_000)).collect();
    let snap = store.state().snapshot().unwrap();
    let block = build_block(&snap, &spec(50_000), input(1, B256::ZERO), txs.clone()).unwrap();
    assert_eq!(block.transactions.len(), 2);
    assert_eq!(block.deferred, vec![txs[2].clone()]);
    assert!(block.dropped.is_empty());
}

/// A deferred transaction keeps its sender's later nonces in the pool: they would fail as "nonce
/// too high" if tried, and a dropped transaction leaves the pool for good.
#[test]
fn a_deferred_transaction_defers_its_senders_later_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    // Gas limit 70,000: nonce 0 (21,000) fits; nonce 1 asks for 60,000 of the 49,000 left;
    // nonce 2 (21,000) would fit the gas, but cannot run before nonce 1.
    let txs = vec![
        signed(0, TxKind::Call(BOB), vec![], 21_000),
        signed(1, TxKind::Call(BOB), vec![], 60_000),
        signed(2, TxKind::Call(BOB), vec![], 21_000),
    ];
    let snap = store.state().snapshot().unwrap();
    let block = build_block(&snap, &spec(70_000), input(1, B256::ZERO), txs.clone()).unwrap();
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(block.transactions[0].hash, txs[0].hash);
    assert!(block.dropped.is_empty(), "nothing dropped: {:?}", block.dropped);
    assert_eq!(block.deferred, vec![txs[1].clone(), txs[2].clone()]);

    // Next block: both go in, in nonce order.
    BlockWriter::of(&store).commit_block(&block).unwrap();
    let snap = store.state().snapshot().unwrap();
    let next = build_block(&snap, &spec(100_000), input(2, block.hash), block.deferred).unwrap();
    let hashes: Vec<B256> = next.transactions.iter().map(|t| t.hash).collect();
    assert_eq!(hashes, vec![txs[1].hash, txs[2].hash]);
}

#[test]
fn a_dropped_transaction_leaves_its_senders_later_nonces_in_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    // Nonce 1 sends more than the sender holds: it cannot run and is dropped. Nonce 2 now
    // follows a gap; it was dropped as "nonce too high" too, and left the pool for good.
    let mut broke = TxEip1559 {
        chain_id: 270,
        nonce: 1,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(BOB),
        value: U256::from(10u64).pow(U256::from(21)),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = signer().sign_hash_sync(&broke.signature_hash()).unwrap();
    let raw = TxEnvelope::from(std::mem::take(&mut broke).into_signed(sig)).encoded_2718();
    let broke = validate_stateless(&raw, &ValidationConfig::default()).unwrap();
    let txs = vec![
        signed(0, TxKind::Call(BOB), vec![], 21_000),
        broke.clone(),
        signed(2, TxKind::Call(BOB), vec![], 21_000),
    ];
    let snap = store.state().snapshot().unwrap();
    let block = build_block(&snap, &spec(30_000_000), input(1, B256::ZERO), txs.clone()).unwrap();
    assert_eq!(block.transactions.len(), 1);
    let dropped: Vec<B256> = block.dropped.iter().map(|(h, _)| *h).collect();
    assert_eq!(dropped, vec![broke.hash], "only the one that cannot run: {:?}", block.dropped);
    assert!(block.deferred.is_empty(), "not deferred either (the block is not full)");
}

#[test]
fn commits_must_extend_the_head_and_repeats_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    let snap = store.state().snapshot().unwrap();
    let b1 = build_block(
        &snap,
        &spec(30_000_000),
        input(1, B256::ZERO),
        vec![signed(0, TxKind::Call(BOB), vec![], 21_000)],
    )
    .unwrap();
    BlockWriter::of(&store).commit_block(&b1).unwrap();
    BlockWriter::of(&store).commit_block(&b1).unwrap();
    assert_eq!(store.head().unwrap(), Some((1, b1.hash)), "a repeated commit changes nothing");

    let snap = store.state().snapshot().unwrap();
    let wrong_parent =
        build_block(&snap, &spec(30_000_000), input(2, B256::repeat_byte(1)), vec![]).unwrap();
    assert!(matches!(
        BlockWriter::of(&store).commit_block(&wrong_parent),
        Err(StoreError::NotNext { number: 2, .. })
    ));
    let skipped = build_block(&snap, &spec(30_000_000), input(3, b1.hash), vec![]).unwrap();
    assert!(matches!(
        BlockWriter::of(&store).commit_block(&skipped),
        Err(StoreError::NotNext { number: 3, .. })
    ));
    assert_eq!(store.head().unwrap(), Some((1, b1.hash)));
}

#[test]
fn reopened_store_continues_the_chain_and_blockhash_sees_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    let reader_code = alloy::primitives::hex!("60014060005260206000f3"); // return blockhash(1)
                                                                         // Init code that returns `reader_code` as runtime.
    let mut init = alloy::primitives::hex!("600b600c600039600b6000f3").to_vec();
    init.extend_from_slice(&reader_code);
    let b1_hash = {
        let store = funded_store(&dir);
        let snap = store.state().snapshot().unwrap();
        let b1 = build_block(
            &snap,
            &spec(30_000_000),
            input(1, B256::ZERO),
            vec![signed(0, TxKind::Create, init, 200_000)],
        )
        .unwrap();
        let created = b1.transactions[0].contract_address.expect("contract created");
        assert_eq!(created, signer().address().create(0));
        assert_eq!(
            b1.bytecodes,
            vec![(keccak256(reader_code), Bytes::copy_from_slice(&reader_code))]
        );
        BlockWriter::of(&store).commit_block(&b1).unwrap();
        b1.hash
    };
    let (store, _) = ChainStore::open(&dir.path().join("chain.redb")).unwrap();
    assert_eq!(store.head().unwrap(), Some((1, b1_hash)), "head survives a restart");
    let contract = signer().address().create(0);
    let call = signed(1, TxKind::Call(contract), vec![], 100_000);
    let snap = store.state().snapshot().unwrap();
    let b2 = build_block(&snap, &spec(30_000_000), input(2, b1_hash), vec![call]).unwrap();
    assert!(b2.transactions[0].receipt.status());
    BlockWriter::of(&store).commit_block(&b2).unwrap();
    assert_eq!(store.head().unwrap().unwrap().0, 2);
    assert_eq!(store.state().snapshot().unwrap().block_hash(1).unwrap(), Some(b1_hash));
}

#[test]
fn logs_reach_receipts_and_bloom() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    let topic = B256::repeat_byte(0xab);
    // Init code: LOG1(0, 0, topic); STOP.
    let mut init = vec![0x7f];
    init.extend_from_slice(topic.as_slice());
    init.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xa1, 0x00]);
    let snap = store.state().snapshot().unwrap();
    let b = build_block(
        &snap,
        &spec(30_000_000),
        input(1, B256::ZERO),
        vec![signed(0, TxKind::Create, init, 100_000)],
    )
    .unwrap();
    let receipt = &b.transactions[0].receipt;
    let created = signer().address().create(0);
    assert_eq!(receipt.logs().len(), 1);
    assert_eq!(receipt.logs()[0].address, created);
    assert_eq!(receipt.logs()[0].topics(), &[topic]);
    assert!(b
        .header
        .logs_bloom
        .contains_input(alloy::primitives::BloomInput::Raw(created.as_slice())));
    assert!(b
        .header
        .logs_bloom
        .contains_input(alloy::primitives::BloomInput::Raw(topic.as_slice())));
}

/// Initcode that writes `n` fresh storage slots (keys `n..=1`, value 1) and deploys no code.
fn fresh_slots_initcode(n: u16) -> Vec<u8> {
    let [hi, lo] = n.to_be_bytes();
    vec![
        0x61, hi, lo,   // PUSH2 n
        0x5b, // JUMPDEST (3)
        0x60, 0x01, 0x81, 0x55, // sstore(i, 1)
        0x60, 0x01, 0x90, 0x03, // i - 1
        0x80, 0x60, 0x03, 0x57, // loop while i != 0
        0x00,
    ]
}

/// Initcode deploying 24,576 bytes of code that starts with `first` (so every `first` gives a
/// distinct bytecode).
fn big_code_initcode(first: u8) -> Vec<u8> {
    vec![0x60, first, 0x60, 0x00, 0x53, 0x61, 0x60, 0x00, 0x60, 0x00, 0xf3]
}

/// A transaction that alone writes more slots than one batch can settle is included as failed
/// and pays for all its gas; its writes are gone. One that fits goes through. With the default
/// limits a batch settles about 1,770 records (the commit's 120,000 calldata bytes and the
/// prove's 10M gas run out together, since proofs are checked in one batched pairing), ~40M gas
/// of fresh slots; 3M gas of L1 transaction here (about 28 proof chunks of 15 records) keeps the
/// test small.
#[test]
fn a_transaction_writing_more_than_a_batch_settles_fails_and_pays_all_its_gas() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    let snap = store.state().snapshot().unwrap();
    let gas = 20_000_000;
    let txs = vec![
        signed(0, TxKind::Create, fresh_slots_initcode(700), gas),
        signed(1, TxKind::Create, fresh_slots_initcode(300), gas),
    ];
    let tight = rollup_actors::execution::block::SettleLimits {
        tx: rollup_contracts::cost::TxLimits { max_calldata: 120_000, max_gas: 3_000_000 },
        chunk_records: 15,
    };
    let spec = ChainSpec { settle: Some(tight), ..spec(60_000_000) };
    let block = build_block(&snap, &spec, input(1, B256::ZERO), txs).unwrap();
    assert!(block.dropped.is_empty(), "{:?}", block.dropped);
    assert_eq!(block.transactions.len(), 2);
    let big = &block.transactions[0];
    assert!(!big.receipt.status(), "the 700-slot transaction fails");
    assert_eq!(big.gas_used, gas, "and pays for all its gas");
    assert!(block.transactions[1].receipt.status(), "the 300-slot transaction succeeds");
    let second = signer().address().create(1);
    let slots: Vec<&SlotWrite> = block.writes.iter().filter(|w| w.key.address == second).collect();
    assert_eq!(slots.len(), 300, "the second one's slots are written");
    let first = signer().address().create(0);
    assert!(block.writes.iter().all(|w| w.key.address != first), "none of the first one's");
    let nonce = snap_nonce(&block.writes, signer().address());
    assert_eq!(nonce, 2, "both nonces used");
}

/// Six different 24 KB contracts deployed together would need a 148 KB commit: the block takes
/// four (their bytecodes fit one commit of 120,000 bytes) and defers the other two.
#[test]
fn a_block_holds_only_the_bytecodes_one_commit_can_carry() {
    let dir = tempfile::tempdir().unwrap();
    let store = funded_store(&dir);
    let snap = store.state().snapshot().unwrap();
    let txs: Vec<ValidTx> = (0..6u8)
        .map(|i| signed(u64::from(i), TxKind::Create, big_code_initcode(0x60 + i), 6_000_000))
        .collect();
    let block = build_block(&snap, &spec(100_000_000), input(1, B256::ZERO), txs).unwrap();
    assert!(block.dropped.is_empty(), "{:?}", block.dropped);
    assert_eq!(block.transactions.len(), 4, "four bytecodes fit one commit");
    assert!(block.transactions.iter().all(|t| t.receipt.status()));
    assert_eq!(block.bytecodes.len(), 4);
    assert_eq!(block.deferred.len(), 2, "the other two wait for the next block");
}

fn snap_nonce(writes: &[SlotWrite], who: Address) -> u64 {
    writes
        .iter()
        .find(|w| w.key == SlotKey::nonce(who))
        .map(|w| U256::from_be_bytes(w.new.0).to::<u64>())
        .unwrap_or_default()
}
