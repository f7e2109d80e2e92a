//! The flat state under revm: transfers, deployment, storage, reverts, BLOCKHASH, persistence.

use alloy::primitives::{address, hex, keccak256, Address, Bytes, TxKind, B256, U256};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::result::ExecutionResult;
use revm::primitives::hardfork::SpecId;
use rollup_actors::state::{
    execute_tx, ExecutionError, Overlay, SlotKey, SlotWrite, StateReader, StateStore, BASE_TOKEN,
};

const GWEI: u128 = 1_000_000_000;
const ALICE: Address = address!("0x00000000000000000000000000000000000a11ce");
const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");
const COINBASE: Address = address!("0x00000000000000000000000000000000000c0ffe");

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn cfg() -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
    cfg.chain_id = 270;
    cfg
}

fn block(number: u64) -> BlockEnv {
    BlockEnv {
        number: U256::from(number),
        beneficiary: COINBASE,
        timestamp: U256::from(1_700_000_000 + number),
        gas_limit: 30_000_000,
        basefee: GWEI as u64,
        prevrandao: Some(B256::ZERO),
        ..Default::default()
    }
}

fn tx(from: Address, to: TxKind, value: U256, nonce: u64, data: &[u8], gas: u64) -> TxEnv {
    TxEnv {
        tx_type: 2,
        caller: from,
        gas_limit: gas,
        gas_price: 2 * GWEI,
        gas_priority_fee: Some(GWEI),
        kind: to,
        value,
        data: Bytes::copy_from_slice(data),
        nonce,
        chain_id: Some(270),
        ..Default::default()
    }
}

fn store_with(dir: &tempfile::TempDir, funded: &[(Address, U256)]) -> StateStore {
    let store = StateStore::open(&dir.path().join("state.redb")).unwrap();
    let writes: Vec<SlotWrite> = funded
        .iter()
        .map(|(a, v)| SlotWrite { key: SlotKey::balance(*a), old: B256::ZERO, new: B256::from(*v) })
        .collect();
    store.apply(&writes, &[]).unwrap();
    store
}

fn balance(r: &impl StateReader, a: Address) -> U256 {
    U256::from_be_bytes(r.slot(&SlotKey::balance(a)).unwrap().0)
}

#[test]
fn derived_key_is_keccak_of_padded_address_and_key() {
    let k = SlotKey::balance(ALICE);
    assert_eq!(k.address, BASE_TOKEN);
    let mut pre = vec![0u8; 12];
    pre.extend_from_slice(BASE_TOKEN.as_slice());
    pre.extend_from_slice(&[0u8; 12]);
    pre.extend_from_slice(ALICE.as_slice());
    assert_eq!(k.derived_key(), keccak256(&pre));
    assert_ne!(SlotKey::nonce(ALICE).derived_key(), k.derived_key(), "system addresses separate");
}

#[test]
fn transfer_becomes_balance_and_nonce_slot_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, &[(ALICE, eth(10))]);
    let snap = store.snapshot().unwrap();
    let out =
        execute_tx(&snap, &cfg(), &block(1), tx(ALICE, TxKind::Call(BOB), eth(1), 0, &[], 21_000))
            .unwrap();
    assert!(out.result.is_success());
    assert_eq!(out.result.tx_gas_used(), 21_000);

    let find = |k: SlotKey| out.writes.iter().find(|w| w.key == k).copied();
    let fee_total = U256::from(21_000u128 * 2 * GWEI);
    let a = find(SlotKey::balance(ALICE)).unwrap();
    assert_eq!((a.old, a.new), (B256::from(eth(10)), B256::from(eth(10) - eth(1) - fee_total)));
    assert_eq!(find(SlotKey::nonce(ALICE)).unwrap().new, B256::from(U256::from(1)));
    assert_eq!(find(SlotKey::balance(BOB)).unwrap().new, B256::from(eth(1)));
    // The coinbase receives the priority fee; the base fee is burned.
    let tip = U256::from(21_000u128 * GWEI);
    assert_eq!(find(SlotKey::balance(COINBASE)).unwrap().new, B256::from(tip));
    assert_eq!(
        out.writes.len(),
        4,
        "balance A, nonce A, balance B, balance coinbase: {:#?}",
        out.writes
    );
}

/// Init code: stores 42 at slot 0, returns a runtime that returns sload(0).
fn init_code() -> Vec<u8> {
    let runtime = hex!("60005460005260206000f3");
    let mut init = hex!("602a600055600b6011600039600b6000f3").to_vec();
    init.extend_from_slice(&runtime);
    init
}

#[test]
fn deploy_writes_code_hash_bytecode_and_storage_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, &[(ALICE, eth(10))]);
    let runtime = hex!("60005460005260206000f3");
    let contract = ALICE.create(0);

    let out = {
        let snap = store.snapshot().unwrap();
        let out = execute_tx(
            &snap,
            &cfg(),
            &block(1),
            tx(ALICE, TxKind::Create, U256::ZERO, 0, &init_code(), 200_000),
        )
        .unwrap();
        assert!(out.result.is_success(), "{:?}", out.result);
        out
    };
    assert!(out.writes.contains(&SlotWrite {
        key: SlotKey::code_hash(contract),
        old: B256::ZERO,
        new: keccak256(runtime)
    }));
    assert!(out.writes.contains(&SlotWrite {
        key: SlotKey::storage(contract, U256::ZERO),
        old: B256::ZERO,
        new: B256::from(U256::from(42))
    }));
    assert!(out.writes.contains(&SlotWrite {
        key: SlotKey::nonce(contract),
        old: B256::ZERO,
        new: B256::from(U256::from(1))
    }));
    assert_eq!(out.bytecodes, vec![(keccak256(runtime), Bytes::copy_from_slice(&runtime))]);

    store.apply(&out.writes, &out.bytecodes).unwrap();
    drop(store);
    // Reopen from disk and call the contract: it reads its storage through the adapter.
    let store = StateStore::open(&dir.path().join("state.redb")).unwrap();
    let snap = store.snapshot().unwrap();
    let call = execute_tx(
        &snap,
        &cfg(),
        &block(2),
        tx(ALICE, TxKind::Call(contract), U256::ZERO, 1, &[], 50_000),
    )
    .unwrap();
    match call.result {
        ExecutionResult::Success { output, .. } => {
            assert_eq!(output.into_data().as_ref(), B256::from(U256::from(42)).as_slice())
        }
        other => panic!("call failed: {other:?}"),
    }
}

#[test]
fn overlay_keeps_first_old_and_last_new_per_slot() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, &[(ALICE, eth(10))]);
    let mut overlay = Overlay::new(store.snapshot().unwrap());
    for nonce in 0..3 {
        let out = execute_tx(
            &overlay,
            &cfg(),
            &block(1),
            tx(ALICE, TxKind::Call(BOB), eth(1), nonce, &[], 21_000),
        )
        .unwrap();
        assert!(out.result.is_success());
        overlay.apply(&out.writes, &out.bytecodes);
    }
    let writes = overlay.block_writes();
    let bob = writes.iter().find(|w| w.key == SlotKey::balance(BOB)).unwrap();
    assert_eq!((bob.old, bob.new), (B256::ZERO, B256::from(eth(3))));
    let nonce = writes.iter().find(|w| w.key == SlotKey::nonce(ALICE)).unwrap();
    assert_eq!(nonce.new, B256::from(U256::from(3)));
    assert_eq!(
        writes.iter().filter(|w| w.key == SlotKey::balance(ALICE)).count(),
        1,
        "one net write per slot"
    );

    // Money is conserved up to the burned base fee.
    store.apply(&writes, &overlay.new_bytecodes().unwrap()).unwrap();
    let snap = store.snapshot().unwrap();
    let burned = U256::from(3 * 21_000u128 * GWEI);
    assert_eq!(
        balance(&snap, ALICE) + balance(&snap, BOB) + balance(&snap, COINBASE) + burned,
        eth(10)
    );
}

#[test]
fn reverted_call_only_charges_gas() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, &[(ALICE, eth(10))]);
    let reverter = address!("0x000000000000000000000000000000000000dead");
    let code = hex!("60006000fd"); // REVERT(0, 0)
    store
        .apply(
            &[SlotWrite {
                key: SlotKey::code_hash(reverter),
                old: B256::ZERO,
                new: keccak256(code),
            }],
            &[(keccak256(code), Bytes::copy_from_slice(&code))],
        )
        .unwrap();
    let snap = store.snapshot().unwrap();
    let out = execute_tx(
        &snap,
        &cfg(),
        &block(1),
        tx(ALICE, TxKind::Call(reverter), eth(1), 0, &[], 50_000),
    )
    .unwrap();
    assert!(matches!(out.result, ExecutionResult::Revert { .. }));
    let touched: Vec<SlotKey> = out.writes.iter().map(|w| w.key).collect();
    assert!(!touched.contains(&SlotKey::balance(reverter)), "value not transferred");
    assert!(touched.contains(&SlotKey::nonce(ALICE)));
    assert!(touched.contains(&SlotKey::balance(ALICE)));
}

#[test]
fn blockhash_reads_recorded_block_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, &[(ALICE, eth(10))]);
    let reader = address!("0x000000000000000000000000000000000000beef");
    let code = hex!("60014060005260206000f3"); // return blockhash(1)
    let h1 = keccak256(b"block 1");
    let tx_w = store.database().begin_write().unwrap();
    StateStore::apply_in(
        &tx_w,
        &[SlotWrite { key: SlotKey::code_hash(reader), old: B256::ZERO, new: keccak256(code) }],
        &[(keccak256(code), Bytes::copy_from_slice(&code))],
    )
    .unwrap();
    StateStore::record_block_hash_in(&tx_w, 1, h1).unwrap();
    tx_w.commit().unwrap();
    let snap = store.snapshot().unwrap();
    let out = execute_tx(
        &snap,
        &cfg(),
        &block(2),
        tx(ALICE, TxKind::Call(reader), U256::ZERO, 0, &[], 50_000),
    )
    .unwrap();
    match out.result {
        ExecutionResult::Success { output, .. } => {
            assert_eq!(output.into_data().as_ref(), h1.as_slice())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_transactions_are_errors_not_reverts() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, &[(ALICE, eth(1))]);
    let snap = store.snapshot().unwrap();
    let cases = [
        (tx(ALICE, TxKind::Call(BOB), U256::ZERO, 5, &[], 21_000), "nonce"),
        (tx(ALICE, TxKind::Call(BOB), eth(2), 0, &[], 21_000), "funds"),
        (tx(ALICE, TxKind::Call(BOB), U256::ZERO, 0, &[], 20_999), "gas"),
        (tx(BOB, TxKind::Call(ALICE), U256::from(1), 0, &[], 21_000), "funds"),
    ];
    for (t, word) in cases {
        match execute_tx(&snap, &cfg(), &block(1), t) {
            Err(ExecutionError::InvalidTransaction(msg)) => {
                assert!(msg.to_lowercase().contains(word), "{msg:?} should mention {word}")
            }
            other => panic!("expected an invalid transaction ({word}), got {other:?}"),
        }
    }
}
