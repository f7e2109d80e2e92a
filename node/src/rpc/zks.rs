//! The `zks_*` methods about settlement, with Era's names and shapes: transaction details with
//! their L1 status, L1 batches, their block ranges and L1 transactions.

use super::{reg, rfc3339, server_err, RpcCtx, RpcResult, SettlementView};
use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Decodable2718;
use alloy::primitives::{B256, U256, U64};
use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::RpcModule;
use ractor::rpc::CallResult;
use rollup_actors::sequencer::pool::actor::PoolMsg;
use rollup_events::L1Step;
use serde_json::{json, Value};

impl RpcCtx {
    /// The last L2 block of the last batch whose `step` is confirmed on L1 (0: genesis).
    /// Cost: two B-tree lookups in redb (the sender's `l1_last_confirmed` row for `step`, then
    /// the batch), O(log n) in the number of batches; no scan of the L1 transactions.
    pub(super) fn settled_block(&self, step: L1Step) -> RpcResult<u64> {
        let Some(s) = &self.settlement else { return Ok(0) };
        let batch = s.sender.last_confirmed(step).map_err(server_err)?;
        Ok(s.batches.batch(batch).map_err(server_err)?.map_or(0, |b| b.last_block))
    }
}

impl RpcCtx {
    /// Era's `l1BatchNumber` and `l1BatchTxIndex` of the transaction at `index` in L2 block
    /// `block` (nulls until the block is batched, and on the embedded L1).
    pub(super) fn batch_position(&self, block: u64, index: u64) -> RpcResult<(Value, Value)> {
        let Some(s) = &self.settlement else { return Ok((Value::Null, Value::Null)) };
        let Some(n) = s.batches.batch_of_block(block).map_err(server_err)? else {
            return Ok((Value::Null, Value::Null));
        };
        // One read: batches hold up to `batcher.max_blocks` blocks while provers are behind.
        let before = match s.batches.block_tx_offset(block).map_err(server_err)? {
            Some(before) => before,
            None => {
                // A batch sealed by a version that did not record offsets: count its blocks.
                let Some(b) = s.batches.batch(n).map_err(server_err)? else {
                    return Ok((Value::Null, Value::Null));
                };
                let mut before = 0u64;
                for earlier in b.first_block..block {
                    before +=
                        self.chain.store.block_tx_hashes(earlier).map_err(server_err)?.len() as u64;
                }
                before
            }
        };
        Ok((json!(U64::from(n)), json!(U64::from(before + index))))
    }

    /// Adds `l1BatchNumber` and `l1BatchTxIndex` to a receipt, as Era's receipts carry them.
    pub(super) fn with_batch_position(&self, mut receipt: Value) -> RpcResult<Value> {
        let num = |k: &str| {
            receipt[k]
                .as_str()
                .and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok())
        };
        let (Some(block), Some(index)) = (num("blockNumber"), num("transactionIndex")) else {
            return Ok(receipt);
        };
        let (batch, tx_index) = self.batch_position(block, index)?;
        let l2_to_l1 = l2_to_l1_logs(&receipt, &batch, &tx_index);
        if let Some(obj) = receipt.as_object_mut() {
            obj.insert("l1BatchNumber".into(), batch);
            obj.insert("l1BatchTxIndex".into(), tx_index);
            obj.insert("l2ToL1Logs".into(), Value::Array(l2_to_l1));
        }
        Ok(receipt)
    }
}

/// Era's `l2ToL1Logs` of a receipt: one per `L1MessageSent` log of the messenger (`0x…8008`),
/// the L2->L1 log the batch publishes for it.
fn l2_to_l1_logs(receipt: &Value, batch: &Value, tx_index: &Value) -> Vec<Value> {
    use alloy::sol_types::SolEvent;
    let topic = rollup_actors::l1::bindings::L1Messenger::L1MessageSent::SIGNATURE_HASH;
    let messenger = rollup_actors::execution::system::L1_MESSENGER;
    let Some(logs) = receipt["logs"].as_array() else { return Vec::new() };
    logs.iter()
        .filter(|l| {
            let at =
                l["address"].as_str().and_then(|a| a.parse::<alloy::primitives::Address>().ok());
            let t = &l["topics"];
            at == Some(messenger)
                && t.as_array().map(Vec::len) == Some(3)
                && t[0].as_str().and_then(|x| x.parse::<B256>().ok()) == Some(topic)
        })
        .enumerate()
        .map(|(i, l)| {
            json!({
                "blockNumber": receipt["blockNumber"],
                "blockHash": receipt["blockHash"],
                "l1BatchNumber": batch,
                "transactionIndex": receipt["transactionIndex"],
                "transactionHash": receipt["transactionHash"],
                "txIndexInL1Batch": tx_index,
                "shardId": "0x0",
                "isService": true,
                "sender": messenger,
                "key": l["topics"][1],
                "value": l["topics"][2],
                "logIndex": l["logIndex"],
                "transactionLogIndex": U64::from(i as u64),
            })
        })
        .collect()
}

/// `zks_getL2ToL1LogProof(txHash, index)`: the proof of the transaction's `index`-th L2->L1 log
/// in its batch's logs tree, as `finalizeEthWithdrawal` and `proveL2LogInclusion` take it; null
/// until the transaction's batch is sealed.
fn log_proof(ctx: &RpcCtx, hash: B256, index: usize) -> RpcResult<Value> {
    let Some(stored) = ctx.chain.store.transaction(hash).map_err(server_err)? else {
        return Ok(Value::Null);
    };
    let Some(s) = &ctx.settlement else { return Ok(Value::Null) };
    let Some(n) = s.batches.batch_of_block(stored.block).map_err(server_err)? else {
        return Ok(Value::Null);
    };
    let Some(batch) = s.batches.batch(n).map_err(server_err)? else { return Ok(Value::Null) };
    let (_, position) = ctx.batch_position(stored.block, stored.index as u64)?;
    let position =
        position.as_str().and_then(|p| u64::from_str_radix(p.trim_start_matches("0x"), 16).ok());
    let size = rollup_actors::l1::batch::L2_TO_L1_LOG_SERIALIZE_SIZE;
    // Packed log: shard (1) ‖ isService (1) ‖ txNumberInBatch (2, big-endian) ‖ ...
    let ids: Vec<usize> = batch
        .l2_logs
        .chunks(size)
        .enumerate()
        .filter(|(_, log)| Some(u16::from_be_bytes([log[2], log[3]]) as u64) == position)
        .map(|(i, _)| i)
        .collect();
    let Some(&id) = ids.get(index) else {
        return Err(super::rpc_err(
            -32602,
            format!(
                "transaction {hash} has {} L2->L1 log(s); there is no index {index}",
                ids.len()
            ),
        ));
    };
    let tree =
        rollup_actors::l1::batch::L2LogsTree::from_packed(&batch.l2_logs).map_err(server_err)?;
    let proof = tree.proof(id).ok_or_else(|| server_err("log index past the logs tree"))?;
    Ok(json!({ "proof": proof, "id": U64::from(id as u64), "root": tree.root() }))
}

/// The three L1 steps of a batch: (hash, time) or nulls.
fn steps(s: &SettlementView, batch: u64) -> RpcResult<[(Value, Value); 3]> {
    let mut out: [(Value, Value); 3] = Default::default();
    for (i, step) in L1Step::ALL.iter().enumerate() {
        if let Some(st) = s.sender.status(batch, *step).map_err(server_err)? {
            out[i] = (json!(st.tx_hash), json!(rfc3339(st.at_ms / 1000)));
        }
    }
    Ok(out)
}

/// The fields Era's block and batch details share (its `BlockDetailsBase`): status, the three L1
/// transactions and their times, prices and the base system contracts.
fn details_base(ctx: &RpcCtx, steps: [(Value, Value); 3]) -> serde_json::Map<String, Value> {
    let [(commit, committed_at), (prove, proven_at), (execute, executed_at)] = steps;
    // Era's status: "sealed" until the batch is executed on L1, then "verified".
    let status = if execute.is_null() { "sealed" } else { "verified" };
    [
        ("l1TxCount", json!(0)),
        ("status", json!(status)),
        ("commitTxHash", commit),
        ("committedAt", committed_at),
        ("proveTxHash", prove),
        ("provenAt", proven_at),
        ("executeTxHash", execute),
        ("executedAt", executed_at),
        ("l1GasPrice", json!(0)),
        ("l2FairGasPrice", json!(ctx.chain.config.spec.base_fee)),
        // Pubdata is not priced apart from gas here.
        ("fairPubdataPrice", json!(0)),
        // rollupd runs no bootloader or default account contract (EVM execution): Era's field
        // is kept for clients that read it, with zero hashes.
        (
            "baseSystemContractsHashes",
            json!({ "bootloader": B256::ZERO, "default_aa": B256::ZERO }),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn tx_status(
    s: Option<&SettlementView>,
    block: u64,
    success: bool,
) -> RpcResult<(&'static str, [Value; 3], Option<u64>)> {
    let none = [Value::Null, Value::Null, Value::Null];
    // A failed transaction stays "failed"; its batch's L1 steps are still reported, as Era does.
    let included = if success { "included" } else { "failed" };
    let Some(s) = s else { return Ok((included, none, None)) };
    let Some(batch) = s.batches.batch_of_block(block).map_err(server_err)? else {
        return Ok((included, none, None));
    };
    let st = steps(s, batch)?;
    let status = if !success {
        "failed"
    } else if !st[2].0.is_null() {
        "finalized"
    } else if !st[1].0.is_null() {
        "verified"
    } else if !st[0].0.is_null() {
        "committed"
    } else {
        "included"
    };
    Ok((status, [st[0].0.clone(), st[1].0.clone(), st[2].0.clone()], Some(batch)))
}

pub(super) fn register(m: &mut RpcModule<RpcCtx>) -> Result<(), RegisterMethodError> {
    reg(m, "zks_getTransactionDetails", |p, ctx| async move {
        let hash: B256 = p.one()?;
        if let Some(stored) = ctx.chain.store.transaction(hash).map_err(server_err)? {
            let header = ctx.header(stored.block)?;
            let l1 = rollup_actors::execution::priority::is_priority_raw(&stored.raw);
            let price = if l1 {
                rollup_actors::execution::priority::PriorityTx::decode_raw(&stored.raw)
                    .map_err(server_err)?
                    .gas_price
            } else {
                let env = TxEnvelope::decode_2718_exact(&stored.raw).map_err(server_err)?;
                super::types::effective_gas_price(&env, header.base_fee_per_gas)
            };
            let success = alloy::consensus::TxReceipt::status(&stored.receipt);
            let (status, [commit, prove, execute], _) =
                tx_status(ctx.settlement.as_ref(), stored.block, success)?;
            return Ok(json!({
                "isL1Originated": l1,
                "status": status,
                "fee": U256::from(price) * U256::from(stored.gas_used),
                "gasPerPubdata": U64::ZERO,
                "initiatorAddress": stored.sender,
                "receivedAt": rfc3339(header.timestamp),
                "blockNumber": U64::from(stored.block),
                "ethCommitTxHash": commit,
                "ethProveTxHash": prove,
                "ethExecuteTxHash": execute,
            }));
        }
        let Ok(pool) = ctx.pool() else { return Ok(Value::Null) };
        match pool.call(|r| PoolMsg::Get(hash, r), Some(ctx.timeout())).await {
            Ok(CallResult::Success(Some(tx))) => Ok(json!({
                "isL1Originated": false,
                "status": "pending",
                "fee": U256::ZERO,
                "gasPerPubdata": U64::ZERO,
                "initiatorAddress": tx.sender,
                "receivedAt": Value::Null,
                "blockNumber": Value::Null,
                "ethCommitTxHash": Value::Null,
                "ethProveTxHash": Value::Null,
                "ethExecuteTxHash": Value::Null,
            })),
            _ => Ok(Value::Null),
        }
    })?;
    // What zksync-ethers asks at start. Null on the embedded dev L1's own RPC, which settles
    // nowhere.
    reg(m, "zks_L1ChainId", |_, ctx| async move {
        Ok(ctx.settlement.as_ref().map_or(Value::Null, |s| json!(U64::from(s.l1_chain_id))))
    })?;
    reg(m, "zks_getMainContract", |_, ctx| async move {
        Ok(ctx.settlement.as_ref().map_or(Value::Null, |s| json!(s.diamond)))
    })?;
    // ETH is the base token; Era names it by this placeholder address on L1.
    reg(m, "zks_getBaseTokenL1Address", |_, _| async move {
        Ok(json!(alloy::primitives::address!("0x0000000000000000000000000000000000000001")))
    })?;
    reg(m, "zks_getL2ToL1LogProof", |p, ctx| async move {
        let (hash, index): (B256, Option<u64>) = p.parse()?;
        let index = usize::try_from(index.unwrap_or(0)).unwrap_or(usize::MAX);
        super::eth::blocking(ctx.workers.clone(), move || log_proof(&ctx, hash, index)).await
    })?;
    // No token bridges yet: ETH moves through the Diamond's Mailbox.
    reg(m, "zks_getBridgeContracts", |_, _| async move {
        Ok(json!({
            "l1Erc20DefaultBridge": Value::Null,
            "l2Erc20DefaultBridge": Value::Null,
            "l1WethBridge": Value::Null,
            "l2WethBridge": Value::Null,
            "l1SharedDefaultBridge": Value::Null,
            "l2SharedDefaultBridge": Value::Null,
        }))
    })?;
    reg(m, "zks_getTestnetPaymaster", |_, _| async move { Ok(Value::Null) })?;
    reg(m, "zks_getBridgehubContract", |_, _| async move { Ok(Value::Null) })?;
    reg(m, "zks_getBlockDetails", |p, ctx| async move {
        let n: U64 = p.one()?;
        let n: u64 = n.to();
        if n > ctx.chain.store.head().map_err(server_err)?.map_or(0, |(h, _)| h) {
            return Ok(Value::Null);
        }
        let header = ctx.header(n)?;
        let txs = ctx.chain.store.block_tx_hashes(n).map_err(server_err)?.len();
        let (batch, steps) = match &ctx.settlement {
            Some(s) => match s.batches.batch_of_block(n).map_err(server_err)? {
                Some(b) => (json!(b), steps(s, b)?),
                None => (Value::Null, Default::default()),
            },
            None => (Value::Null, Default::default()),
        };
        let mut details = details_base(&ctx, steps);
        details.insert("number".into(), json!(n));
        details.insert("l1BatchNumber".into(), batch);
        details.insert("timestamp".into(), json!(header.timestamp));
        // Era counts L1-originated (priority) transactions apart from L2 ones.
        let l1_txs = ctx.chain.store.block_priority_count(n).map_err(server_err)? as usize;
        details.insert("l1TxCount".into(), json!(l1_txs));
        details.insert("l2TxCount".into(), json!(txs.saturating_sub(l1_txs)));
        details.insert("rootHash".into(), json!(header.hash_slow()));
        details.insert("operatorAddress".into(), json!(ctx.chain.config.spec.coinbase));
        details.insert("protocolVersion".into(), Value::Null);
        Ok(Value::Object(details))
    })?;
    reg(m, "zks_L1BatchNumber", |_, ctx| async move {
        let Some(s) = &ctx.settlement else { return Ok(json!(U64::ZERO)) };
        let last = s.batches.last_sealed().map_err(server_err)?.unwrap_or_default();
        Ok(json!(U64::from(last)))
    })?;
    reg(m, "zks_getSettlementStatus", |_, ctx| async move {
        let Some(s) = &ctx.settlement else { return Ok(Value::Null) };
        Ok(settlement_status(s))
    })?;
    reg(m, "zks_getL1BatchBlockRange", |p, ctx| async move {
        let n: U64 = p.one()?;
        let Some(s) = &ctx.settlement else { return Ok(Value::Null) };
        match s.batches.batch(n.to()).map_err(server_err)? {
            Some(b) => Ok(json!([U64::from(b.first_block), U64::from(b.last_block)])),
            None => Ok(Value::Null),
        }
    })?;
    reg(m, "zks_getL1BatchDetails", |p, ctx| async move {
        let n: U64 = p.one()?;
        let n: u64 = n.to();
        let Some(s) = &ctx.settlement else { return Ok(Value::Null) };
        let Some(b) = s.batches.batch(n).map_err(server_err)? else { return Ok(Value::Null) };
        let tree = s.batches.tree_result(n).map_err(server_err)?;
        let mut details = details_base(&ctx, steps(s, n)?);
        details.insert("number".into(), json!(n));
        details.insert("timestamp".into(), json!(b.timestamp));
        details.insert("l1TxCount".into(), json!(b.priority_ops));
        details.insert(
            "l2TxCount".into(),
            json!(u64::from(b.tx_count).saturating_sub(b.priority_ops)),
        );
        details.insert("rootHash".into(), tree.map(|t| json!(t.commitment)).unwrap_or(Value::Null));
        Ok(Value::Object(details))
    })?;
    Ok(())
}

/// `zks_getSettlementStatus` (rollupd's own): L1's counters, the proving backlog, the provers'
/// measured rate and the time they need for the backlog, the finality bound, and whether new
/// transactions are refused (and why).
fn settlement_status(s: &super::SettlementView) -> Value {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &s.metrics;
    let rate = m.proving_rate_milli.load(Relaxed);
    let unproven = m.unproven_records.load(Relaxed);
    let eta = (rate > 0).then(|| U64::from(m.proving_eta_secs.load(Relaxed)));
    json!({
        "committedBatch": U64::from(m.committed.load(Relaxed)),
        "provenBatch": U64::from(m.verified.load(Relaxed)),
        "executedBatch": U64::from(m.executed.load(Relaxed)),
        "unprovenRecords": U64::from(unproven),
        "provingRecordsPerSecond": (rate > 0).then(|| rate as f64 / 1000.0),
        "provingEtaSeconds": eta,
        "maxFinalitySeconds": (s.max_finality_secs > 0).then(|| U64::from(s.max_finality_secs)),
        "admissionRefused": s.backlog.over(),
    })
}
