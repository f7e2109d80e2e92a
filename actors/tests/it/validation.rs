//! Every admission rule, with its geth error, on real signed transactions.

use alloy::consensus::{SignableTransaction, Signed, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::eips::eip2930::{AccessList, AccessListItem};
use alloy::primitives::{address, keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use rollup_actors::execution::validation::{
    intrinsic_gas, validate_against_account, validate_stateless, AccountView, TxError,
    ValidationConfig, MAX_TX_SIZE,
};

const GWEI: u128 = 1_000_000_000;
const TO: Address = address!("0x0000000000000000000000000000000000000b0b");

fn signer() -> PrivateKeySigner {
    rollup_test_utils::signer(0)
}

fn sign<T>(tx: T) -> Vec<u8>
where
    T: SignableTransaction<Signature>,
    Signed<T>: Into<TxEnvelope>,
{
    let sig = signer().sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into().encoded_2718()
}

fn eip1559() -> TxEip1559 {
    TxEip1559 {
        chain_id: 270,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(TO),
        value: U256::from(1),
        access_list: AccessList::default(),
        input: Bytes::new(),
    }
}

fn legacy() -> TxLegacy {
    TxLegacy {
        chain_id: Some(270),
        nonce: 0,
        gas_price: 2 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(TO),
        value: U256::from(1),
        input: Bytes::new(),
    }
}

fn check(raw: &[u8]) -> Result<rollup_actors::execution::validation::ValidTx, TxError> {
    validate_stateless(raw, &ValidationConfig::default())
}

#[test]
fn supported_types_pass_and_recover_the_sender() {
    let tx2930 = TxEip2930 {
        chain_id: 270,
        nonce: 0,
        gas_price: 2 * GWEI,
        gas_limit: 21_000 + 2_400 + 1_900,
        to: TxKind::Call(TO),
        value: U256::ZERO,
        access_list: AccessList(vec![AccessListItem {
            address: TO,
            storage_keys: vec![B256::ZERO],
        }]),
        input: Bytes::new(),
    };
    for raw in [sign(eip1559()), sign(legacy()), sign(tx2930)] {
        let ok = check(&raw).unwrap();
        assert_eq!(ok.sender, signer().address());
        assert_eq!(ok.hash, keccak256(&raw));
        assert_eq!(ok.raw.as_ref(), raw.as_slice());
    }
}

#[test]
fn malformed_encodings_are_rlp_errors() {
    let mut trailing = sign(eip1559());
    trailing.push(0);
    for raw in [trailing, vec![], vec![0xc0], vec![0xf8, 0xff], vec![0x02, 0xc0], vec![0x02]] {
        assert!(matches!(check(&raw), Err(TxError::Decode(_))), "{raw:?}: {:?}", check(&raw));
    }
    let err = check(&[0xc0]).unwrap_err().to_string();
    assert!(err.starts_with("rlp: "), "{err}");
}

#[test]
fn oversized_transactions_are_refused_before_decoding() {
    let raw = vec![0x02; MAX_TX_SIZE + 1];
    assert_eq!(
        check(&raw),
        Err(TxError::OversizedData { size: MAX_TX_SIZE + 1, limit: MAX_TX_SIZE })
    );
    assert!(check(&raw).unwrap_err().to_string().starts_with("oversized data"));
}

#[test]
fn blob_7702_and_unknown_types_are_not_supported() {
    for ty in [0x03u8, 0x04, 0x05, 0x7e] {
        let mut raw = sign(eip1559());
        raw[0] = ty;
        assert_eq!(check(&raw), Err(TxError::TypeNotSupported), "type {ty:#x}");
    }
    assert_eq!(TxError::TypeNotSupported.to_string(), "transaction type not supported");
}

#[test]
fn replay_protection_and_chain_id() {
    let mut pre155 = legacy();
    pre155.chain_id = None;
    assert_eq!(check(&sign(pre155)), Err(TxError::Unprotected));
    let mut other = eip1559();
    other.chain_id = 1;
    let err = check(&sign(other)).unwrap_err();
    assert_eq!(err, TxError::WrongChainId { have: 1, want: 270 });
    assert_eq!(err.to_string(), "invalid chain id for signer: have 1 want 270");
    let mut other = legacy();
    other.chain_id = Some(9);
    assert_eq!(check(&sign(other)), Err(TxError::WrongChainId { have: 9, want: 270 }));
}

#[test]
fn high_s_signatures_are_refused() {
    let tx = eip1559();
    let sig = signer().sign_hash_sync(&tx.signature_hash()).unwrap();
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let high = Signature::new(sig.r(), n - sig.s(), !sig.v());
    let raw = TxEnvelope::from(tx.into_signed(high)).encoded_2718();
    assert_eq!(check(&raw), Err(TxError::InvalidSignature));
    assert_eq!(TxError::InvalidSignature.to_string(), "invalid transaction v, r, s values");
}

#[test]
fn fee_rules() {
    let mut tx = eip1559();
    tx.max_priority_fee_per_gas = tx.max_fee_per_gas + 1;
    assert_eq!(check(&sign(tx)), Err(TxError::TipAboveFeeCap));

    let cfg = ValidationConfig { min_gas_price: GWEI, ..Default::default() };
    let mut tx = eip1559();
    tx.max_fee_per_gas = GWEI - 1;
    tx.max_priority_fee_per_gas = 0;
    assert_eq!(
        validate_stateless(&sign(tx), &cfg),
        Err(TxError::Underpriced { fee_cap: GWEI - 1, minimum: GWEI })
    );
    let mut at_floor = eip1559();
    at_floor.max_fee_per_gas = GWEI;
    at_floor.max_priority_fee_per_gas = 0;
    assert!(validate_stateless(&sign(at_floor), &cfg).is_ok());

    let mut expensive = eip1559();
    expensive.gas_limit = 10_000_000;
    expensive.max_fee_per_gas = 100 * GWEI + 1;
    assert!(matches!(check(&sign(expensive)), Err(TxError::FeeCapExceeded { .. })));
}

#[test]
fn gas_limit_rules_at_their_boundaries() {
    let cfg = ValidationConfig { block_gas_limit: 1_000_000, ..Default::default() };
    let mut tx = eip1559();
    tx.gas_limit = 1_000_001;
    assert_eq!(validate_stateless(&sign(tx), &cfg), Err(TxError::GasLimitExceedsBlock));

    // Intrinsic 21,000 + 16 (non-zero byte) + 4 (zero byte) = 21,020; the EIP-7623 floor,
    // 21,000 + 10 * (1 + 4 * 1) = 21,050, is higher and is checked after it.
    let mut tx = eip1559();
    tx.input = Bytes::from(vec![1, 0]);
    tx.gas_limit = 21_019;
    assert_eq!(
        check(&sign(tx.clone())),
        Err(TxError::IntrinsicGasTooLow { gas: 21_019, needed: 21_020 })
    );
    tx.gas_limit = 21_049;
    assert_eq!(
        check(&sign(tx.clone())),
        Err(TxError::FloorDataGas { gas: 21_049, needed: 21_050 })
    );
    tx.gas_limit = 21_050;
    assert!(check(&sign(tx)).is_ok());

    // EIP-7623: 1,000 non-zero bytes cost 37,000 intrinsic but 61,000 floor.
    let mut tx = eip1559();
    tx.input = Bytes::from(vec![1u8; 1000]);
    tx.gas_limit = 60_999;
    assert_eq!(
        check(&sign(tx.clone())),
        Err(TxError::FloorDataGas { gas: 60_999, needed: 61_000 })
    );
    tx.gas_limit = 61_000;
    assert!(check(&sign(tx)).is_ok());
}

#[test]
fn initcode_size_limit() {
    let mut tx = eip1559();
    tx.to = TxKind::Create;
    tx.input = Bytes::from(vec![1u8; 49_152]);
    tx.gas_limit = 2_100_000;
    tx.max_fee_per_gas = GWEI;
    tx.max_priority_fee_per_gas = 0;
    let env = TxEnvelope::from(tx.clone().into_signed(Signature::test_signature()));
    let (intrinsic, floor) = intrinsic_gas(&env);
    assert_eq!(intrinsic, 21_000 + 32_000 + 16 * 49_152 + 2 * 1_536);
    assert_eq!(floor, 21_000 + 10 * 4 * 49_152);
    assert!(check(&sign(tx.clone())).is_ok());
    tx.input = Bytes::from(vec![1u8; 49_153]);
    assert_eq!(check(&sign(tx)), Err(TxError::MaxInitCodeSize { size: 49_153, limit: 49_152 }));
}

#[test]
fn nonce_max_is_refused() {
    let mut tx = eip1559();
    tx.nonce = u64::MAX;
    assert_eq!(check(&sign(tx)), Err(TxError::NonceMax));
}

#[test]
fn account_rules() {
    let cfg = ValidationConfig::default();
    let mut tx = eip1559();
    tx.nonce = 5;
    let valid = check(&sign(tx)).unwrap();
    let cost = U256::from(21_000u128 * 2 * GWEI) + U256::from(1);
    let rich = AccountView { nonce: 5, balance: cost, has_code: false };
    assert_eq!(validate_against_account(&valid, &rich, &cfg), Ok(()), "exact funds suffice");

    let low = AccountView { nonce: 6, ..rich };
    let err = validate_against_account(&valid, &low, &cfg).unwrap_err();
    assert_eq!(err.to_string(), "nonce too low: next nonce 6, tx nonce 5");

    let far = AccountView { nonce: 0, ..rich };
    let window = ValidationConfig { nonce_window: 4, ..cfg.clone() };
    assert_eq!(
        validate_against_account(&valid, &far, &window),
        Err(TxError::NonceTooHigh { next: 0, tx: 5 })
    );
    let edge = ValidationConfig { nonce_window: 5, ..cfg.clone() };
    assert_eq!(validate_against_account(&valid, &far, &edge), Ok(()));

    let poor = AccountView { balance: cost - U256::from(1), ..rich };
    let err = validate_against_account(&valid, &poor, &cfg).unwrap_err();
    assert!(err.to_string().starts_with("insufficient funds for gas * price + value"), "{err}");
    assert!(
        matches!(err, TxError::InsufficientFunds { overshot, .. } if overshot == U256::from(1))
    );

    // A value near 2^256 does not wrap the cost around to something the balance covers.
    let mut huge = eip1559();
    huge.nonce = 5;
    huge.value = U256::MAX - U256::from(1);
    let huge = check(&sign(huge)).unwrap();
    assert!(matches!(
        validate_against_account(&huge, &rich, &cfg),
        Err(TxError::InsufficientFunds { cost, .. }) if cost == U256::MAX
    ));

    let contract = AccountView { has_code: true, ..rich };
    assert_eq!(
        validate_against_account(&valid, &contract, &cfg),
        Err(TxError::SenderNotEoa(signer().address()))
    );
}
