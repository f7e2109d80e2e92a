//! Building and signing transactions, and the pre-signing phase.
//!
//! Every load transaction is signed before the measured window opens, so during the window the
//! bench only sends bytes it already holds: its own CPU stays out of the node's way. Each
//! account gets a fixed list of consecutive-nonce transactions; each is kept as its hash, its
//! kind and the finished JSON-RPC request object (`eth_sendRawTransaction` with the raw bytes
//! in hex), whose `id` is the transaction's position in the list.
//!
//! Signatures come from libsecp256k1 (alloy's `secp256k1` backend), on every core (rayon).

use crate::cli::{Kind, Scenario};
use alloy::consensus::crypto::secp256k1::sign_message;
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use anyhow::Context;
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Fee and chain parameters shared by every transaction of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fees {
    /// The endpoint's chain id.
    pub(crate) chain_id: u64,
    /// `maxFeePerGas`: fixed for the whole run, so it leaves room for the base fee to rise.
    pub(crate) max_fee: u128,
    /// `maxPriorityFeePerGas`.
    pub(crate) tip: u128,
}

/// A key the bench signs with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    /// The secret scalar.
    pub(crate) secret: B256,
    /// Its address.
    pub(crate) address: Address,
}

/// The call a transaction makes, without nonce, fees or signature.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Recipient, or contract creation.
    pub(crate) to: TxKind,
    /// Wei sent along.
    pub(crate) value: U256,
    /// Calldata or initcode.
    pub(crate) input: Bytes,
    /// Gas limit.
    pub(crate) gas: u64,
}

/// A signed transaction: its hash and its EIP-2718 encoding.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// Transaction hash.
    pub(crate) hash: B256,
    /// EIP-2718 bytes, as `eth_sendRawTransaction` takes them.
    pub(crate) raw: Bytes,
}

/// Signs `call` from `key` at `nonce` as an EIP-1559 transaction.
pub(crate) fn sign(key: &Key, fees: Fees, nonce: u64, call: &Call) -> anyhow::Result<Signed> {
    let tx = TxEip1559 {
        chain_id: fees.chain_id,
        nonce,
        gas_limit: call.gas,
        max_fee_per_gas: fees.max_fee,
        max_priority_fee_per_gas: fees.tip,
        to: call.to,
        value: call.value,
        input: call.input.clone(),
        access_list: Default::default(),
    };
    let sig = sign_message(key.secret, tx.signature_hash()).context("signing")?;
    let env = TxEnvelope::from(tx.into_signed(sig));
    Ok(Signed { hash: *env.tx_hash(), raw: env.encoded_2718().into() })
}

/// How a kind's transactions are priced, hence signed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pricing {
    /// EIP-1559 (the L2 kinds).
    Eip1559(Fees),
    /// Legacy with EIP-155 replay protection at a fixed gas price (deposits: the Mailbox prices
    /// a request's L2 gas from `tx.gasprice`, which a legacy transaction pins).
    Legacy {
        /// The chain the transaction is for.
        chain_id: u64,
        /// Its gas price.
        gas_price: u128,
    },
}

/// Signs `call` from `key` at `nonce`, priced as `pricing` says.
pub(crate) fn sign_priced(
    key: &Key,
    pricing: Pricing,
    nonce: u64,
    call: &Call,
) -> anyhow::Result<Signed> {
    let (chain_id, gas_price) = match pricing {
        Pricing::Eip1559(fees) => return sign(key, fees, nonce, call),
        Pricing::Legacy { chain_id, gas_price } => (chain_id, gas_price),
    };
    let tx = TxLegacy {
        chain_id: Some(chain_id),
        nonce,
        gas_price,
        gas_limit: call.gas,
        to: call.to,
        value: call.value,
        input: call.input.clone(),
    };
    let sig = sign_message(key.secret, tx.signature_hash()).context("signing")?;
    let env = TxEnvelope::from(tx.into_signed(sig));
    Ok(Signed { hash: *env.tx_hash(), raw: env.encoded_2718().into() })
}

/// One pre-signed load transaction.
#[derive(Debug)]
pub(crate) struct Presigned {
    /// Transaction hash, to recognise it in a block.
    pub(crate) hash: B256,
    /// What it does.
    pub(crate) kind: Kind,
    /// The whole `eth_sendRawTransaction` request object; its id is the position in the plan.
    pub(crate) request: Box<str>,
}

/// One account's pre-signed transactions on one chain, nonces `first_nonce..`: its L2
/// transactions, or its deposits (sent to the L1, with the account's L1 nonces).
#[derive(Debug)]
pub(crate) struct Plan {
    /// The signing account.
    pub(crate) key: Key,
    /// Whether these go to the L1 (deposits).
    pub(crate) l1: bool,
    /// Whether this plan running out counts its account as run out (one plan per account
    /// does: the L2 one if the account has one).
    pub(crate) counts_ran_out: bool,
    /// Nonce of `txs[0]`.
    pub(crate) first_nonce: u64,
    /// Consecutive nonces.
    pub(crate) txs: Vec<Presigned>,
}

/// What the signing phase did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignStats {
    /// Transactions signed.
    pub(crate) count: u64,
    /// Wall time of the phase.
    pub(crate) elapsed: Duration,
    /// Threads that signed.
    pub(crate) threads: usize,
}

/// The receiver of `sender`'s `i`-th `fresh` transfer: an address nobody used (the load
/// accounts are new each run), so every such transfer creates an account.
pub(crate) fn fresh_receiver(sender: &Address, i: u64) -> Address {
    let mut preimage = [0u8; 28];
    preimage[..20].copy_from_slice(sender.as_slice());
    preimage[20..].copy_from_slice(&i.to_be_bytes());
    Address::from_slice(&alloy::primitives::keccak256(preimage)[12..])
}

/// Signs `per_account` transactions for each of `keys`, choosing each one's kind from
/// `scenario` and its call and pricing from `tx_of`. L2 nonces start from each account's
/// `nonce`; deposits take the account's L1 nonces from 0 (the load accounts are fresh). An
/// account gets one plan per chain it sends to: its L2 plan first. `signed` counts the
/// signatures made so far, for a progress line.
pub(crate) fn presign(
    keys: &[(Key, u64)],
    per_account: usize,
    scenario: &Scenario,
    tx_of: impl Fn(Kind) -> (Call, Pricing) + Sync,
    signed: &std::sync::atomic::AtomicU64,
) -> anyhow::Result<(Vec<Plan>, SignStats)> {
    let started = Instant::now();
    // Indexed by `Kind::index`; only the kinds the scenario uses.
    let txs: Vec<Option<(Call, Pricing)>> =
        Kind::ALL.iter().map(|&k| scenario.uses(k).then(|| tx_of(k))).collect();
    let total = keys.len() * per_account;
    // One flat index space, so a run with fewer accounts than cores still uses every core.
    let flat: Vec<Presigned> = (0..total)
        .into_par_iter()
        .map(|g| {
            let (account, i) = (g / per_account, g % per_account);
            let (key, first_nonce) = &keys[account];
            let kind = scenario.kind_at(account, i);
            let (call, pricing) =
                txs[kind.index()].as_ref().context("a kind the scenario does not use")?;
            let l1_before = scenario.l1_before(account, i);
            // The position in its plan: the request's id and the offset of its nonce.
            let pos = if kind.on_l1() { l1_before } else { i - l1_before };
            let nonce = if kind.on_l1() { pos as u64 } else { first_nonce + pos as u64 };
            let fresh;
            let call = if kind == Kind::Fresh {
                fresh = Call { to: TxKind::Call(fresh_receiver(&key.address, nonce)), ..call.clone() };
                &fresh
            } else {
                call
            };
            let tx = sign_priced(key, *pricing, nonce, call)?;
            signed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let request = format!(
                r#"{{"jsonrpc":"2.0","id":{pos},"method":"eth_sendRawTransaction","params":["{}"]}}"#,
                tx.raw
            );
            Ok(Presigned { hash: tx.hash, kind, request: request.into_boxed_str() })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut flat = flat.into_iter();
    let mut plans = Vec::with_capacity(keys.len());
    for (key, first_nonce) in keys {
        let (l1, l2): (Vec<Presigned>, Vec<Presigned>) =
            flat.by_ref().take(per_account).partition(|p| p.kind.on_l1());
        let has_l2 = !l2.is_empty();
        if has_l2 {
            plans.push(Plan {
                key: *key,
                l1: false,
                counts_ran_out: true,
                first_nonce: *first_nonce,
                txs: l2,
            });
        }
        if !l1.is_empty() {
            plans.push(Plan {
                key: *key,
                l1: true,
                counts_ran_out: !has_l2,
                first_nonce: 0,
                txs: l1,
            });
        }
    }
    let stats = SignStats {
        count: total as u64,
        elapsed: started.elapsed(),
        threads: rayon::current_num_threads(),
    };
    Ok((plans, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::consensus::transaction::SignerRecoverable;
    use alloy::eips::eip2718::Decodable2718;

    /// A key from a repeated byte, and the fees every test signs with.
    fn key_and_fees(byte: u8) -> (Key, Fees) {
        let secret = B256::repeat_byte(byte);
        let signer = alloy::signers::local::PrivateKeySigner::from_bytes(&secret).unwrap();
        (Key { secret, address: signer.address() }, Fees { chain_id: 270, max_fee: 300, tip: 1 })
    }

    #[test]
    fn presigned_transactions_recover_to_their_account() {
        let (key, fees) = key_and_fees(0x11);
        let call = |_| Call {
            to: TxKind::Call(Address::repeat_byte(0x42)),
            value: U256::from(1),
            input: Bytes::new(),
            gas: 21_000,
        };
        let tx_of = |_| (call(()), Pricing::Eip1559(fees));
        let (plans, stats) =
            presign(&[(key, 5)], 3, &"eth".parse().unwrap(), tx_of, &Default::default()).unwrap();
        assert_eq!(stats.count, 3);
        let txs = &plans[0].txs;
        assert_eq!(txs.len(), 3);
        for (i, p) in txs.iter().enumerate() {
            let req: serde_json::Value = serde_json::from_str(&p.request).unwrap();
            assert_eq!(req["id"], i);
            let raw: Bytes = req["params"][0].as_str().unwrap().parse().unwrap();
            let env = TxEnvelope::decode_2718_exact(&raw).unwrap();
            assert_eq!(env.recover_signer().unwrap(), key.address);
            assert_eq!(alloy::consensus::Transaction::nonce(&env), 5 + i as u64);
            assert_eq!(*env.tx_hash(), p.hash);
        }
    }

    #[test]
    fn deposits_get_their_own_plan_with_l1_nonces() {
        let (key, fees) = key_and_fees(0x22);
        let call = Call {
            to: TxKind::Call(Address::repeat_byte(0x42)),
            value: U256::from(1),
            input: Bytes::new(),
            gas: 21_000,
        };
        let tx_of = |k: Kind| {
            let pricing = if k.on_l1() {
                Pricing::Legacy { chain_id: 9, gas_price: 7 }
            } else {
                Pricing::Eip1559(fees)
            };
            (call.clone(), pricing)
        };
        let scenario = "mix:eth=1,deposit=1".parse().unwrap();
        let (plans, _) = presign(&[(key, 4)], 10, &scenario, tx_of, &Default::default()).unwrap();
        assert_eq!(plans.len(), 2);
        assert!(!plans[0].l1 && plans[0].counts_ran_out && plans[0].first_nonce == 4);
        assert!(plans[1].l1 && !plans[1].counts_ran_out && plans[1].first_nonce == 0);
        for plan in &plans {
            assert_eq!(plan.txs.len(), 5);
            for (i, p) in plan.txs.iter().enumerate() {
                let req: serde_json::Value = serde_json::from_str(&p.request).unwrap();
                assert_eq!(req["id"], i);
                let raw: Bytes = req["params"][0].as_str().unwrap().parse().unwrap();
                let env = TxEnvelope::decode_2718_exact(&raw).unwrap();
                assert_eq!(env.recover_signer().unwrap(), key.address);
                assert_eq!(alloy::consensus::Transaction::nonce(&env), plan.first_nonce + i as u64);
                assert_eq!(env.is_legacy(), plan.l1);
                let chain = if plan.l1 { 9 } else { 270 };
                assert_eq!(alloy::consensus::Transaction::chain_id(&env), Some(chain));
            }
        }
    }

    #[test]
    fn fresh_transfers_go_to_a_new_address_each() {
        let (key, fees) = key_and_fees(0x33);
        let call =
            Call { to: TxKind::Create, value: U256::from(1), input: Bytes::new(), gas: 21_000 };
        let tx_of = |_| (call.clone(), Pricing::Eip1559(fees));
        let signed = std::sync::atomic::AtomicU64::new(0);
        let (plans, _) =
            presign(&[(key, 2)], 50, &"fresh".parse().unwrap(), tx_of, &signed).unwrap();
        assert_eq!(signed.load(std::sync::atomic::Ordering::Relaxed), 50, "the progress counter");
        let mut receivers = std::collections::HashSet::new();
        for (i, p) in plans[0].txs.iter().enumerate() {
            let req: serde_json::Value = serde_json::from_str(&p.request).unwrap();
            let raw: Bytes = req["params"][0].as_str().unwrap().parse().unwrap();
            let env = TxEnvelope::decode_2718_exact(&raw).unwrap();
            let to = alloy::consensus::Transaction::to(&env).unwrap();
            assert_eq!(to, fresh_receiver(&key.address, 2 + i as u64));
            assert!(receivers.insert(to), "receiver {i} is new");
        }
        assert_ne!(fresh_receiver(&key.address, 0), fresh_receiver(&Address::ZERO, 0));
    }
}
