//! Priority (L1->L2) transactions in blocks: what is minted to whom, what is refunded, and that
//! whatever L1 accepted is included, as a failed transaction if it must be (docs/bridge.md).

use alloy::primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy::sol_types::SolValue;
use rollup_actors::execution::block::{build_block_with, BlockInput, BuiltBlock, ChainSpec};
use rollup_actors::execution::priority::{PriorityError, PriorityTx};
use rollup_actors::l1::bindings::IRollupChain::L2CanonicalTransaction;
use rollup_actors::state::{SlotKey, SlotWrite, StateReader};
use rollup_actors::storage::chain::{BlockWriter, ChainStore};

const GWEI: u64 = 1_000_000_000;
const FROM: Address = address!("0x00000000000000000000000000000000000f00d1");
const TO: Address = address!("0x0000000000000000000000000000000000000b0b");
const REFUND: Address = address!("0x000000000000000000000000000000000000beef");
const COINBASE: Address = address!("0x00000000000000000000000000000000000c0ffe");
/// Runtime code that always reverts: `PUSH1 0 DUP1 REVERT`.
const REVERTER: Address = address!("0x00000000000000000000000000000000000000e1");
/// Runtime code that emits `LOG1(0, 0, 0xab..ab)` and stops.
const LOGGER: Address = address!("0x00000000000000000000000000000000000000e2");
/// Runtime code that calls the messenger's `sendToL1("")` as many times as its first calldata
/// word says.
const SPAMMER: Address = address!("0x00000000000000000000000000000000000000e3");
/// Runtime code that writes as many fresh slots (value 1) as its first calldata word says.
const SLOTTER: Address = address!("0x00000000000000000000000000000000000000e4");

fn spec() -> ChainSpec {
    ChainSpec {
        chain_id: 270,
        gas_limit: 30_000_000,
        base_fee: GWEI,
        coinbase: COINBASE,
        settle: Some(rollup_actors::execution::block::SettleLimits::DEV),
    }
}

fn canonical(
    serial: u64,
    to: Address,
    gas: u64,
    price: u64,
    value: U256,
    mint: U256,
) -> L2CanonicalTransaction {
    L2CanonicalTransaction {
        txType: U256::from(255),
        from: U256::from_be_slice(FROM.as_slice()),
        to: U256::from_be_slice(to.as_slice()),
        gasLimit: U256::from(gas),
        gasPerPubdataByteLimit: U256::from(800),
        maxFeePerGas: U256::from(price),
        maxPriorityFeePerGas: U256::ZERO,
        paymaster: U256::ZERO,
        nonce: U256::from(serial),
        value,
        reserved: [mint, U256::from_be_slice(REFUND.as_slice()), U256::ZERO, U256::ZERO],
        data: Bytes::new(),
        signature: Bytes::new(),
        factoryDeps: vec![],
        paymasterInput: Bytes::new(),
        reservedDynamic: Bytes::new(),
    }
}

fn op(tx: &L2CanonicalTransaction) -> PriorityTx {
    PriorityTx::from_event(tx.nonce, keccak256(tx.abi_encode()), 2_000_000_000, tx, 7).unwrap()
}

fn store_with_code(dir: &tempfile::TempDir) -> ChainStore {
    let (store, _) = ChainStore::open(&dir.path().join("chain.redb")).unwrap();
    let (mut writes, mut codes) = rollup_actors::execution::system::genesis_writes();
    let mut logger = vec![0x7f];
    logger.extend_from_slice(&[0xab; 32]);
    logger.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xa1, 0x00]);
    let spammer = alloy::primitives::hex!(
        "6362f84b2460e01b60005260206004526000355b80156100325760006000604460006000"
        "6180085af1506001900361001356" "5b00"
    )
    .to_vec();
    let slotter = vec![
        0x60, 0x00, 0x35, 0x5b, 0x60, 0x01, 0x81, 0x55, 0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x03,
        0x57, 0x00,
    ];
    for (at, code) in [
        (REVERTER, vec![0x60, 0x00, 0x80, 0xfd]),
        (LOGGER, logger),
        (SPAMMER, spammer),
        (SLOTTER, slotter),
    ] {
        let hash = keccak256(&code);
        writes.push(SlotWrite { key: SlotKey::code_hash(at), old: B256::ZERO, new: hash });
        codes.push((hash, Bytes::from(code)));
    }
    writes.sort_by_key(|w| w.key);
    codes.sort_by_key(|(h, _)| *h);
    store.state().apply(&writes, &codes).unwrap();
    store
}

fn balance(store: &ChainStore, block: &BuiltBlock, who: Address) -> U256 {
    // The block's writes over the store's state (the block is not committed here).
    let key = SlotKey::balance(who);
    match block.writes.iter().find(|w| w.key == key) {
        Some(w) => U256::from_be_bytes(w.new.0),
        None => U256::from_be_bytes(store.state().snapshot().unwrap().slot(&key).unwrap().0),
    }
}

fn build(store: &ChainStore, ops: &[PriorityTx]) -> BuiltBlock {
    let snap = store.state().snapshot().unwrap();
    let input = BlockInput { number: 1, timestamp: 1_700_000_001, parent_hash: B256::ZERO };
    build_block_with(&snap, &spec(), input, ops, Vec::new()).unwrap()
}

#[test]
fn a_deposit_credits_exactly_its_value_and_pays_gas_to_the_operator_and_refunds_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let (gas, price) = (100_000u64, 2 * GWEI);
    let value = U256::from(10u64).pow(U256::from(18));
    let extra = U256::from(5u64);
    let mint = value + U256::from(gas * price) + extra;
    let deposit = op(&canonical(0, TO, gas, price, value, mint));
    let block = build(&store, std::slice::from_ref(&deposit));

    assert_eq!(block.transactions.len(), 1);
    let t = &block.transactions[0];
    assert_eq!((t.hash, t.priority, t.sender), (deposit.hash, Some(0), FROM));
    assert!(t.receipt.status());
    assert_eq!(t.gas_used, 21_000);
    assert_eq!(t.raw, deposit.raw);
    assert_eq!(t.raw[0], 0xff);
    assert_eq!(balance(&store, &block, TO), value, "the recipient gets exactly the value");
    let fee = U256::from(21_000 * price);
    assert_eq!(balance(&store, &block, COINBASE), fee, "the operator gets the gas used");
    assert_eq!(balance(&store, &block, REFUND), U256::from((gas - 21_000) * price), "unused gas");
    assert_eq!(
        balance(&store, &block, FROM),
        extra,
        "the sender keeps what it paid above the cost"
    );
    let nonce = SlotKey::nonce(FROM);
    assert!(block.writes.iter().all(|w| w.key != nonce), "a priority tx leaves the nonce alone");
    assert_eq!(block.header.gas_used, 21_000);
}

#[test]
fn a_failing_call_is_included_as_failed_and_refunds_all_but_the_fee() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let (gas, price) = (100_000u64, 3 * GWEI);
    let value = U256::from(1_000u64);
    let mint = value + U256::from(gas * price) + U256::from(77u64);
    let failing = op(&canonical(0, REVERTER, gas, price, value, mint));
    let block = build(&store, &[failing]);

    let t = &block.transactions[0];
    assert!(!t.receipt.status(), "included as failed");
    assert!(t.gas_used > 21_000 && t.gas_used < gas, "{}", t.gas_used);
    let fee = U256::from(t.gas_used) * U256::from(price);
    assert_eq!(balance(&store, &block, COINBASE), fee);
    assert_eq!(balance(&store, &block, REFUND), mint - fee, "everything but the fee");
    assert_eq!(balance(&store, &block, FROM), U256::ZERO, "the sender ends where it started");
    assert_eq!(balance(&store, &block, REVERTER), U256::ZERO, "the value did not move");
}

#[test]
fn requests_the_l2_cannot_run_are_included_as_failed_with_everything_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let mint = U256::from(10u64).pow(U256::from(17));
    // Below the intrinsic gas, and above the block gas limit: both still included, in order.
    let too_little = op(&canonical(0, TO, 20_000, GWEI, U256::ZERO, mint));
    let too_much = op(&canonical(1, TO, 40_000_000, GWEI, U256::ZERO, mint));
    let block = build(&store, &[too_little, too_much]);
    assert_eq!(block.transactions.len(), 2);
    for t in &block.transactions {
        assert!(!t.receipt.status());
        assert_eq!(t.gas_used, 0);
    }
    assert_eq!(block.transactions[1].priority, Some(1));
    assert_eq!(balance(&store, &block, REFUND), mint * U256::from(2));
    assert_eq!(balance(&store, &block, COINBASE), U256::ZERO);
}

#[test]
fn a_price_below_the_base_fee_still_runs_and_pays_its_own_price() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let (gas, price) = (50_000u64, 1u64); // the block's base fee is 1 gwei
    let mint = U256::from(gas * price);
    let block = build(&store, &[op(&canonical(0, LOGGER, gas, price, U256::ZERO, mint))]);
    let t = &block.transactions[0];
    assert!(t.receipt.status());
    assert_eq!(t.receipt.logs().len(), 1, "its logs reach the receipt");
    assert_eq!(t.receipt.logs()[0].address, LOGGER);
    assert_eq!(balance(&store, &block, COINBASE), U256::from(t.gas_used));
}

#[test]
fn priority_transactions_come_first_and_the_store_records_how_far_the_l2_got() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let mint = U256::from(10u64).pow(U256::from(18));
    let ops: Vec<PriorityTx> =
        (0..3).map(|i| op(&canonical(i, TO, 30_000, GWEI, U256::from(i), mint))).collect();
    let block = build(&store, &ops);
    let serials: Vec<Option<u64>> = block.transactions.iter().map(|t| t.priority).collect();
    assert_eq!(serials, vec![Some(0), Some(1), Some(2)]);
    assert_eq!(store.next_priority().unwrap(), 0);
    // Only requests the watcher stored can be committed, and only in serial order.
    assert!(matches!(
        BlockWriter::of(&store).commit_block(&block),
        Err(rollup_actors::storage::chain::StoreError::PriorityChanged { serial: 0, number: 1 })
    ));
    let p = rollup_actors::storage::priority::PriorityWriter::of(&store);
    p.record_scan(&ops, (7, B256::repeat_byte(7)), 8, None).unwrap();
    BlockWriter::of(&store).commit_block(&block).unwrap();
    assert_eq!(store.next_priority().unwrap(), 3);
    assert_eq!(store.block_priority_count(1).unwrap(), 3);
    let stored = store.transaction(ops[1].hash).unwrap().unwrap();
    assert_eq!(PriorityTx::decode_raw(&stored.raw).unwrap().hash, ops[1].hash);
    assert_eq!(stored.index, 1);
}

#[test]
fn an_event_whose_hash_is_not_the_transactions_is_refused() {
    let tx = canonical(4, TO, 30_000, GWEI, U256::ZERO, U256::ZERO);
    let err = PriorityTx::from_event(tx.nonce, B256::repeat_byte(1), 0, &tx, 1).unwrap_err();
    assert!(matches!(err, PriorityError::HashMismatch { serial: 4, .. }), "{err}");
    let mut wrong_type = tx.clone();
    wrong_type.txType = U256::from(2);
    let hash = keccak256(wrong_type.abi_encode());
    assert!(PriorityTx::from_event(wrong_type.nonce, hash, 0, &wrong_type, 1).is_err());
    assert!(PriorityTx::decode_raw(&[0x02, 0x00]).is_err());
}

#[test]
fn a_withdrawal_leaves_l2_circulation_and_sends_the_message_finalize_expects() {
    use alloy::sol_types::SolCall;
    use rollup_actors::execution::system::{BASE_TOKEN_CONTRACT, L1_MESSENGER};
    use rollup_actors::l1::bindings::{IRollupChain, L2BaseToken};
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let receiver = address!("0x00000000000000000000000000000000000e1e1e");
    let (gas, price) = (200_000u64, GWEI);
    let amount = U256::from(123_456_789u64);
    let mint = amount + U256::from(gas * price);
    let mut tx = canonical(0, BASE_TOKEN_CONTRACT, gas, price, amount, mint);
    tx.data = L2BaseToken::withdrawCall { l1Receiver: receiver }.abi_encode().into();
    let block = build(&store, &[op(&tx)]);
    let t = &block.transactions[0];
    assert!(t.receipt.status(), "{:?}", t.receipt);
    assert_eq!(balance(&store, &block, BASE_TOKEN_CONTRACT), U256::ZERO, "the value is burned");
    let refunded = U256::from(gas - t.gas_used) * U256::from(price);
    let fee = U256::from(t.gas_used) * U256::from(price);
    assert_eq!(balance(&store, &block, REFUND) + balance(&store, &block, COINBASE), refunded + fee);
    assert_eq!(balance(&store, &block, FROM), U256::ZERO);

    let w = op(&tx);
    rollup_actors::storage::priority::PriorityWriter::of(&store)
        .record_scan(&[w], (7, B256::ZERO), 8, None)
        .unwrap();
    BlockWriter::of(&store).commit_block(&block).unwrap();
    let messages = store.block_messages(1).unwrap();
    assert_eq!(messages.len(), 1);
    let mut message = IRollupChain::finalizeEthWithdrawalCall::SELECTOR.to_vec();
    message.extend_from_slice(receiver.as_slice());
    message.extend_from_slice(&amount.to_be_bytes::<32>());
    assert_eq!(messages[0].sender, BASE_TOKEN_CONTRACT, "the base token sends it");
    assert_eq!(messages[0].hash, keccak256(&message));
    assert_eq!(messages[0].tx_index, 0);
    // Only the messenger's own logs count: the base token's `Withdrawal` log is not a message.
    assert!(t.receipt.logs().iter().any(|l| l.address == L1_MESSENGER));
    assert_eq!(t.receipt.logs().len(), 2);
}

#[test]
fn the_watcher_tables_are_idempotent_by_serial_and_a_rewind_forgets_only_unincluded_requests() {
    use rollup_actors::storage::priority::{PriorityWriter, RewindError};
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let w = PriorityWriter::of(&store);
    let p = w.reader();
    let mint = U256::from(10u64).pow(U256::from(18));
    let at = |serial: u64, l1_block: u64| {
        let mut o = op(&canonical(serial, TO, 30_000, GWEI, U256::ZERO, mint));
        o.l1_block = l1_block;
        o
    };
    assert_eq!((p.next_serial().unwrap(), p.next_block().unwrap()), (0, None));
    assert_eq!(
        w.record_scan(&[at(0, 10), at(1, 11)], (11, B256::repeat_byte(11)), 12, None).unwrap(),
        2
    );
    // The same events read again (a restart, an overlapping range) add nothing.
    assert_eq!(w.record_scan(&[at(1, 11)], (11, B256::repeat_byte(11)), 12, None).unwrap(), 0);
    assert_eq!(w.record_scan(&[at(2, 13)], (13, B256::repeat_byte(13)), 14, None).unwrap(), 1);
    assert_eq!(p.range(0, 10).unwrap().iter().map(|o| o.serial).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(p.scanned_hash(11).unwrap(), Some(B256::repeat_byte(11)));
    assert_eq!(p.scanned().unwrap()[0], (13, B256::repeat_byte(13)), "newest first");

    // The L2 includes requests 0 and 1.
    let stored = p.range(0, 2).unwrap();
    BlockWriter::of(&store).commit_block(&build(&store, &stored)).unwrap();
    assert_eq!(store.next_priority().unwrap(), 2);
    // Block 13 was replaced: request 2 (not included) is forgotten, blocks after 11 rescanned.
    assert_eq!(w.rewind(11).unwrap(), 1);
    assert_eq!((p.next_serial().unwrap(), p.next_block().unwrap()), (2, Some(12)));
    assert_eq!(p.scanned_hash(13).unwrap(), None);
    // Block 11 replaced after the L2 included request 1 from it: refused, nothing forgotten.
    let err = w.rewind(10).unwrap_err();
    assert!(matches!(err, RewindError::Included { serial: 1, l1_block: 11 }), "{err}");
    assert_eq!(p.next_serial().unwrap(), 2);
    // A gap stops the range where the L2 must wait.
    w.record_scan(&[at(4, 20)], (20, B256::repeat_byte(20)), 21, None).unwrap();
    assert_eq!(p.range(0, 10).unwrap().len(), 2);
}

#[test]
fn a_request_whose_messages_do_not_fit_waits_for_the_next_block_and_one_that_never_fits_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let mint = U256::from(10u64).pow(U256::from(18));
    let spam = |serial: u64, n: u64| {
        let mut tx = canonical(serial, SPAMMER, 3_000_000, GWEI, U256::ZERO, mint);
        tx.data = B256::from(U256::from(n)).to_vec().into();
        op(&tx)
    };
    let max = rollup_actors::execution::block::MAX_BLOCK_MESSAGES as u64;
    // 200 + 100 messages do not fit one block: the second request opens the next one.
    let block = build(&store, &[spam(0, 200), spam(1, 100)]);
    assert_eq!(block.transactions.len(), 1);
    assert!(block.transactions[0].receipt.status());
    assert_eq!(block.transactions[0].receipt.logs().len(), 200);
    let next = build(&store, &[spam(1, 100)]);
    assert!(next.transactions[0].receipt.status(), "alone it fits");
    // More than a block allows, even alone: included as failed, refunded, no messages.
    let block = build(&store, &[spam(0, max + 1)]);
    let t = &block.transactions[0];
    assert!(!t.receipt.status());
    assert!(t.receipt.logs().is_empty());
    let fee = U256::from(t.gas_used) * U256::from(GWEI);
    assert_eq!(balance(&store, &block, REFUND), mint - fee);
}

/// A request whose call alone writes more slots than one batch can settle fails on L2 and pays
/// for all its gas: nobody can force, from L1, a block that cannot settle. One that fits goes
/// through. (The default limits take about 1,770 records since proofs share one pairing check;
/// a 3M-gas L1 transaction limit, about 28 chunks of 15 records, keeps the test small.)
#[test]
fn a_request_writing_more_than_a_batch_settles_fails_and_pays_all_its_gas() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_code(&dir);
    let mint = U256::from(10u64).pow(U256::from(18));
    let gas = 20_000_000u64;
    let write = |serial: u64, n: u64| {
        let mut tx = canonical(serial, SLOTTER, gas, GWEI, U256::ZERO, mint);
        tx.data = B256::from(U256::from(n)).to_vec().into();
        op(&tx)
    };
    let tight = rollup_actors::execution::block::SettleLimits {
        tx: rollup_contracts::cost::TxLimits { max_calldata: 120_000, max_gas: 3_000_000 },
        chunk_records: 15,
    };
    let build = |store: &ChainStore, ops: &[PriorityTx]| {
        let snap = store.state().snapshot().unwrap();
        let input = BlockInput { number: 1, timestamp: 1_700_000_001, parent_hash: B256::ZERO };
        let spec = ChainSpec { settle: Some(tight), ..spec() };
        build_block_with(&snap, &spec, input, ops, Vec::new()).unwrap()
    };
    let block = build(&store, &[write(0, 700)]);
    let t = &block.transactions[0];
    assert!(!t.receipt.status(), "700 slots: failed");
    assert_eq!(t.gas_used, gas, "and all its gas paid");
    assert!(block.writes.iter().all(|w| w.key.address != SLOTTER), "none of its slots written");
    let fee = U256::from(gas) * U256::from(GWEI);
    assert_eq!(balance(&store, &block, REFUND), mint - fee, "the rest refunded");
    let block = build(&store, &[write(0, 300)]);
    assert!(block.transactions[0].receipt.status(), "300 slots fit");
    assert_eq!(block.writes.iter().filter(|w| w.key.address == SLOTTER).count(), 300);
}
