//! The life of one L1 transaction: signed, recorded, sent, followed until it is confirmed,
//! replaced with bumped fees while it is stuck, and closed as reverted or dropped when it fails.
//!
//! Nothing here decides *what* to send (that is [`super::plan`]); a failure here never stops the
//! sender for good: the next plan is always rebuilt from L1's counters.

use super::{now_ms, EthSenderArgs};
use crate::error::{fatal, transient, L1Error};
use crate::store::{L1Tx, TxState};
use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::{NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Bytes, B256};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use rollup_events::{fault::Point, Event, L1Step};
use std::sync::atomic::Ordering;

/// How a followed transaction ended, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Not mined yet, or not confirmed deep enough.
    Waiting,
    /// Confirmed: its step moved on L1.
    Confirmed,
    /// Mined and reverted, or its nonce was taken: nothing moved; plan again from L1.
    Failed {
        /// Whether it ran out of gas (all its gas used).
        out_of_gas: bool,
    },
}

impl EthSenderArgs {
    /// Signs a call to the Diamond.
    pub(crate) async fn sign(
        &self,
        nonce: u64,
        data: &Bytes,
        gas: u64,
        max_fee: u128,
        priority_fee: u128,
    ) -> Result<(B256, Bytes), L1Error> {
        let req = TransactionRequest::default()
            .with_from(self.operator)
            .with_to(self.config.diamond)
            .with_input(data.clone())
            .with_nonce(nonce)
            .with_chain_id(self.config.chain_id)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority_fee);
        let envelope: TxEnvelope = req.build(&self.wallet).await.map_err(fatal)?;
        Ok((*envelope.tx_hash(), envelope.encoded_2718().into()))
    }

    /// Sends a recorded transaction. One L1 refuses for good (too little gas for its calldata,
    /// too large, over the block gas limit) is closed as dropped, so the next plan is built
    /// afresh instead of re-sending the same bytes for ever.
    pub(crate) async fn send_raw(&self, t: &L1Tx) -> Result<(), L1Error> {
        match self.provider.send_raw_transaction(&t.raw).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let msg = e.to_string();
                // Sent before (a crash between send and record update, or a re-send at start).
                if msg.contains("already known") || msg.contains("AlreadyKnown") {
                    return Ok(());
                }
                if refused_for_good(&msg) {
                    tracing::error!(target: "rollup::eth_sender", nonce = t.nonce, step = t.step.name(), first = t.first, last = t.last, error = %msg, "L1 refuses this transaction for good; planning again");
                    self.store.close(t, TxState::Dropped, None).map_err(fatal)?;
                    self.metrics.dropped_txs.fetch_add(1, Ordering::Relaxed);
                }
                Err(transient(msg))
            }
        }
    }

    /// Signs, records and sends a new transaction of `step` for batches `first..=last`.
    /// Recorded before it is sent: a crash from there on re-sends these exact bytes.
    pub(crate) async fn send_new(
        &self,
        (step, first, last): (L1Step, u64, u64),
        data: Bytes,
        gas: u64,
    ) -> Result<(), L1Error> {
        let nonce = self
            .provider
            .get_transaction_count(self.operator)
            .pending()
            .await
            .map_err(transient)?;
        self.metrics.nonce.store(nonce, Ordering::Relaxed);
        let est = self.provider.estimate_eip1559_fees().await.map_err(transient)?;
        let (hash, raw) =
            self.sign(nonce, &data, gas, est.max_fee_per_gas, est.max_priority_fee_per_gas).await?;
        let record = L1Tx {
            nonce,
            step,
            first,
            last,
            hashes: vec![hash],
            raw: raw.clone(),
            max_fee: est.max_fee_per_gas,
            priority_fee: est.max_priority_fee_per_gas,
            gas,
            sent_at_ms: now_ms(),
            state: TxState::Pending,
            mined: None,
        };
        self.store.put(&record).map_err(fatal)?;
        self.events.fault(Point::L1TxRecorded);
        tracing::info!(target: "rollup::eth_sender", step = step.name(), first, last, nonce, tx = %hash, gas, "sending");
        self.send_raw(&record).await?;
        self.events.fault(Point::L1TxSent);
        Ok(())
    }

    /// The mined receipt of one of `t`'s hashes, if any.
    async fn mined(&self, t: &L1Tx) -> Result<Option<(B256, TransactionReceipt)>, L1Error> {
        for h in t.hashes.iter().rev() {
            if let Some(r) = self.provider.get_transaction_receipt(*h).await.map_err(transient)? {
                return Ok(Some((*h, r)));
            }
        }
        Ok(None)
    }

    /// Follows the pending transaction `t`: confirmed, failed, still waiting (re-sent so L1 has
    /// it), or replaced with bumped fees when stuck.
    pub(crate) async fn follow(&self, t: &L1Tx) -> Result<Outcome, L1Error> {
        let mut found = self.mined(t).await?;
        if found.is_none() {
            let latest =
                self.provider.get_transaction_count(self.operator).await.map_err(transient)?;
            if latest > t.nonce {
                // The nonce is used. It may be by ours, mined since the look above: look again
                // before concluding that a transaction we do not know took it.
                found = self.mined(t).await?;
                if found.is_none() {
                    tracing::warn!(target: "rollup::eth_sender", nonce = t.nonce, step = t.step.name(), first = t.first, last = t.last, "nonce taken by a transaction this node did not send (is the operator key used elsewhere?); the step is planned again from L1's counters");
                    self.store.close(t, TxState::Dropped, None).map_err(fatal)?;
                    self.metrics.dropped_txs.fetch_add(1, Ordering::Relaxed);
                    return Ok(Outcome::Failed { out_of_gas: false });
                }
            }
        }
        if let Some((h, receipt)) = found {
            let mined_in = receipt.block_number.unwrap_or_default();
            let head = self.provider.get_block_number().await.map_err(transient)?;
            if head < mined_in + self.config.confirmations {
                return Ok(Outcome::Waiting);
            }
            if !receipt.status() {
                // A call that runs out of gas inside a sub-call (the verifier) reverts with the
                // 1/64 it kept: most of its gas used means it probably ran out.
                let out_of_gas = receipt.gas_used.saturating_mul(10) >= t.gas.saturating_mul(9);
                tracing::error!(
                    target: "rollup::eth_sender",
                    step = t.step.name(), first = t.first, last = t.last, tx = %h,
                    gas_used = receipt.gas_used, gas_limit = t.gas, out_of_gas,
                    "L1 reverted a settlement transaction; planning again from L1's counters"
                );
                self.store.close(t, TxState::Reverted, Some(h)).map_err(fatal)?;
                self.metrics.reverted_txs.fetch_add(1, Ordering::Relaxed);
                return Ok(Outcome::Failed { out_of_gas });
            }
            let now = now_ms();
            self.store.confirm(t, h, now).map_err(fatal)?;
            let i = t.step as usize;
            for b in t.first..=t.last {
                if let Ok(Some(batch)) = self.batches.batch(b) {
                    self.metrics.step_latency_ms_total[i]
                        .fetch_add(now.saturating_sub(batch.sealed_at_ms), Ordering::Relaxed);
                    self.metrics.step_latency_count[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            tracing::info!(target: "rollup::eth_sender", step = t.step.name(), first = t.first, last = t.last, tx = %h, nonce = t.nonce, "confirmed on L1");
            self.events.publish(Event::L1Confirmed { step: t.step, last: t.last });
            return Ok(Outcome::Confirmed);
        }
        if now_ms().saturating_sub(t.sent_at_ms) < self.config.resend_after.as_millis() as u64 {
            // Make sure L1 has it (after a restart it may not).
            self.send_raw(t).await?;
            return Ok(Outcome::Waiting);
        }
        self.replace(t).await?;
        Ok(Outcome::Waiting)
    }

    /// Replaces a stuck transaction with the same nonce and bumped fees (geth wants +10% on both
    /// caps).
    async fn replace(&self, t: &L1Tx) -> Result<(), L1Error> {
        let bump = |v: u128| v + v * u128::from(self.config.fee_bump_percent.max(10)) / 100 + 1;
        let est = self.provider.estimate_eip1559_fees().await.map_err(transient)?;
        // A fee spike shows in the next block's base fee before it shows in the history the
        // estimate reads: cover twice the pending block's base fee too.
        let pending_base = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Pending)
            .await
            .ok()
            .flatten()
            .and_then(|b| b.header.base_fee_per_gas)
            .map_or(0, u128::from);
        let priority_fee = bump(t.priority_fee).max(est.max_priority_fee_per_gas);
        let max_fee = bump(t.max_fee).max(est.max_fee_per_gas).max(2 * pending_base + priority_fee);
        let data = call_data(&t.raw)?;
        let (hash, raw) = self.sign(t.nonce, &data, t.gas, max_fee, priority_fee).await?;
        let mut next = t.clone();
        next.hashes.push(hash);
        next.raw = raw.clone();
        next.max_fee = max_fee;
        next.priority_fee = priority_fee;
        next.sent_at_ms = now_ms();
        self.store.put(&next).map_err(fatal)?;
        self.metrics.replacements.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "rollup::eth_sender", nonce = t.nonce, tx = %hash, max_fee, "replacing a stuck transaction with bumped fees");
        self.send_raw(&next).await
    }
}

/// Whether an L1 node's refusal of a transaction holds whatever the fees or the time: these
/// bytes can never be mined (geth's and anvil's wording).
fn refused_for_good(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    ["intrinsic gas too low", "oversized data", "exceeds block gas limit", "gas limit reached"]
        .iter()
        .any(|s| m.contains(s))
}

/// The input of a signed transaction (to re-sign it with other fees).
fn call_data(raw: &Bytes) -> Result<Bytes, L1Error> {
    use alloy::consensus::Transaction;
    use alloy::eips::eip2718::Decodable2718;
    let tx = TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(fatal)?;
    Ok(tx.input().clone())
}
