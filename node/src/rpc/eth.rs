//! The `eth_*`, `net_*`, `web3_*` and `zks_*` methods.

use super::exec::{self, CallBlock, Overridden};
use super::types;
use super::{invalid_params, reg, rpc_err, server_err, RpcCtx, RpcResult};
use alloy::consensus::{Transaction as _, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::{Address, Bytes, B256, U256, U64};
use alloy::rpc::types::state::StateOverride;
use alloy::rpc::types::{FeeHistory, Filter, FilterBlockOption, Log, TransactionRequest};
use jsonrpsee::core::{RegisterMethodError, SubscriptionResult};
use jsonrpsee::types::Params;
use jsonrpsee::{PendingSubscriptionSink, RpcModule};
use ractor::rpc::CallResult;
use rollup_actors::execution::validation::validate_stateless;
use rollup_actors::sequencer::pool::actor::PoolMsg;
use rollup_actors::state::{SlotKey, StateReader};
use rollup_actors::storage::chain::{HistoricalState, HistoryError};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// Most blocks `eth_feeHistory` reports at once (geth's cap).
const MAX_FEE_HISTORY: u64 = 1024;
/// Most reward percentiles `eth_feeHistory` takes (geth's query limit).
const MAX_REWARD_PERCENTILES: usize = 100;

impl RpcCtx {
    pub(super) fn head(&self) -> RpcResult<u64> {
        Ok(self.chain.store.head().map_err(server_err)?.map(|(n, _)| n).unwrap_or_default())
    }

    /// A tag or number as a block number (it may be past the head).
    pub(super) fn number(&self, tag: BlockNumberOrTag) -> RpcResult<u64> {
        let head = self.head()?;
        Ok(match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => head,
            // On the L2, "safe" is the last block of the last batch committed on L1 and
            // "finalized" the last block of the last batch executed on L1.
            BlockNumberOrTag::Safe if !self.instant_finality => {
                self.settled_block(rollup_events::L1Step::Commit)?
            }
            BlockNumberOrTag::Finalized if !self.instant_finality => {
                self.settled_block(rollup_events::L1Step::Execute)?
            }
            BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized => head,
            BlockNumberOrTag::Earliest => 0,
            BlockNumberOrTag::Number(n) => n,
        })
    }

    fn block_id_number(&self, id: Option<BlockId>) -> RpcResult<u64> {
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(tag) => self.number(tag),
            BlockId::Hash(h) => {
                self.chain.store.block_number(h.block_hash).map_err(server_err)?.ok_or_else(|| {
                    rpc_err(-32000, format!("header for hash {} not found", h.block_hash))
                })
            }
        }
    }

    fn state(&self, id: Option<BlockId>) -> RpcResult<HistoricalState> {
        let n = self.block_id_number(id)?;
        self.chain.store.state_at(n).map_err(|e| match e {
            HistoryError::NotFound(_) => rpc_err(-32000, "header not found"),
            other => server_err(other),
        })
    }

    /// The block a call runs in at `number`, its execution stopped at `deadline`.
    fn call_block(&self, number: u64, deadline: std::time::Instant) -> RpcResult<CallBlock> {
        let h = self.header(number)?;
        let spec = &self.chain.config.spec;
        Ok(CallBlock {
            chain_id: spec.chain_id,
            number: h.number,
            timestamp: h.timestamp,
            gas_limit: h.gas_limit,
            coinbase: h.beneficiary,
            prevrandao: h.mix_hash,
            deadline,
        })
    }
}

fn slot(state: &HistoricalState, key: SlotKey) -> RpcResult<B256> {
    state.slot(&key).map_err(server_err)
}

fn to_json<T: Serialize>(v: T) -> RpcResult<Value> {
    serde_json::to_value(v).map_err(server_err)
}

/// Runs `f` on the RPC's execution threads ([`super::workers`]), never the sequencer's.
pub(super) async fn blocking<T: Send + 'static>(
    workers: Arc<super::workers::Workers>,
    f: impl FnOnce() -> RpcResult<T> + Send + 'static,
) -> RpcResult<T> {
    workers.run(f).await
}

/// The state `eth_call` and `eth_estimateGas` run on.
type CallState = Overridden<HistoricalState>;

/// Parses `(request, block?, overrides?)` and runs `f` on that block's state with the overrides,
/// off the async runtime, with the configured gas cap.
async fn with_call(
    p: Params<'static>,
    ctx: Arc<RpcCtx>,
    f: fn(&CallState, &CallBlock, &TransactionRequest, u64) -> RpcResult<Value>,
) -> RpcResult<super::Json> {
    let mut seq = p.sequence();
    let req: TransactionRequest = seq.next()?;
    let id: Option<BlockId> = seq.optional_next()?;
    let overrides: Option<StateOverride> = seq.optional_next()?;
    // Block overrides (the 4th parameter) are not applied, so they are refused rather than
    // silently ignored; null or {} is fine.
    let block_overrides: Option<Value> = seq.optional_next()?;
    if block_overrides.is_some_and(|v| !v.is_null() && !v.as_object().is_some_and(|o| o.is_empty()))
    {
        return Err(invalid_params("block overrides are not supported"));
    }
    super::exec::check_request(&req, overrides.as_ref())?;
    // Counted from the call's receipt, not from when it gets a thread.
    let deadline = super::workers::due(ctx.timeout());
    blocking(ctx.workers.clone(), move || {
        let state = ctx.state(id)?;
        let block = ctx.call_block(state.number(), deadline)?;
        let state = Overridden::new(state, overrides);
        super::json_of(&f(&state, &block, &req, ctx.cfg.eth_call_gas_cap)?)
    })
    .await
}

/// A block number or count given as a hex quantity or a plain number.
fn quantity(v: &Value, what: &str) -> RpcResult<u64> {
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| invalid_params(format!("invalid {what}"))),
        Value::String(s) => {
            let hex = s.strip_prefix("0x").ok_or_else(|| {
                invalid_params(format!("invalid {what}: hex string without 0x prefix"))
            })?;
            u64::from_str_radix(hex, 16).map_err(|_| invalid_params(format!("invalid {what}: {s}")))
        }
        _ => Err(invalid_params(format!("invalid {what}"))),
    }
}

pub(super) fn logs_in_range(ctx: &RpcCtx, filter: &Filter) -> RpcResult<Vec<Log>> {
    let store = &ctx.chain.store;
    let head = ctx.head()?;
    let (from, to) = match filter.block_option {
        FilterBlockOption::AtBlockHash(h) => {
            let n = store
                .block_number(h)
                .map_err(server_err)?
                .ok_or_else(|| rpc_err(-32000, "unknown block"))?;
            (n, n)
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let from = ctx.number(from_block.unwrap_or(BlockNumberOrTag::Latest))?;
            let to = ctx.number(to_block.unwrap_or(BlockNumberOrTag::Latest))?;
            if from > to {
                return Err(invalid_params(
                    "invalid block range params: fromBlock is after toBlock",
                ));
            }
            (from, to)
        }
    };
    // The range cap applies to what was asked, as geth's does. `to - from` cannot overflow
    // (from <= to), unlike `to - from + 1` for 0..=u64::MAX.
    if to - from >= ctx.cfg.max_logs_block_range {
        return Err(rpc_err(
            -32005,
            format!("query exceeds max block range {}", ctx.cfg.max_logs_block_range),
        ));
    }
    if from > head {
        return Ok(vec![]);
    }
    let to = to.min(head);
    let mut out = Vec::new();
    for n in from..=to {
        let Some(logs) = block_logs(ctx, filter, n)? else { break };
        out.extend(logs);
        if out.len() > ctx.cfg.max_logs {
            return Err(rpc_err(-32005, format!("query exceeds max results {}", ctx.cfg.max_logs)));
        }
    }
    Ok(out)
}

/// The logs of block `n` that `filter` matches (its block range aside); `None` past the head.
fn block_logs(ctx: &RpcCtx, filter: &Filter, n: u64) -> RpcResult<Option<Vec<Log>>> {
    let store = &ctx.chain.store;
    let Some(header) = store.header(n).map_err(server_err)? else { return Ok(None) };
    let mut out = Vec::new();
    if filter.matches_bloom(header.logs_bloom) {
        for r in types::block_receipts(store, n)?.unwrap_or_default() {
            out.extend(r.inner.logs().iter().filter(|l| filter.matches(&l.inner)).cloned());
        }
    }
    Ok(Some(out))
}

/// Room kept in `rpc.max_response_body_bytes` for the answer's envelope (`jsonrpc`, `id`).
const ENVELOPE_BYTES: usize = 512;

/// A polling filter's logs in blocks `from..=to`, whole blocks only, stopping before the block
/// that would take the answer past `rpc.max_logs` logs (a first block is returned whatever its
/// count) or past `rpc.max_response_body_bytes`. Returns the logs and the last block they cover.
///
/// A first block whose logs alone do not fit in an answer is `-32005` naming it, and the filter
/// stays before it: an answer over the limit would be replaced by jsonrpsee's "response is too
/// big" after the filter had moved on, and its logs would be lost.
pub(super) fn logs_for_poll(
    ctx: &RpcCtx,
    filter: &Filter,
    from: u64,
    to: u64,
) -> RpcResult<(Vec<Log>, u64)> {
    let budget = (ctx.cfg.max_response_body_bytes as usize).saturating_sub(ENVELOPE_BYTES);
    let mut out = Vec::new();
    // The JSON size of `out` as an array.
    let mut bytes = 2;
    for n in from..=to {
        let Some(logs) = block_logs(ctx, filter, n)? else { return Ok((out, n - 1)) };
        let size: usize =
            logs.iter().map(|l| serde_json::to_vec(l).map_or(0, |v| v.len()) + 1).sum();
        if bytes + size > budget {
            if n == from {
                return Err(rpc_err(
                    -32005,
                    format!(
                        "query exceeds max results: the logs of block {n} alone exceed \
                         rpc.max_response_body_bytes ({}); the filter stays before it",
                        ctx.cfg.max_response_body_bytes
                    ),
                ));
            }
            return Ok((out, n - 1));
        }
        if !out.is_empty() && out.len() + logs.len() > ctx.cfg.max_logs {
            return Ok((out, n - 1));
        }
        bytes += size;
        out.extend(logs);
    }
    Ok((out, to))
}

fn submit_error(
    e: rollup_actors::sequencer::pool::actor::SubmitError,
) -> jsonrpsee::types::ErrorObjectOwned {
    match e {
        // EIP-1474's "limit exceeded": the request is fine, the node is busy; retry later.
        rollup_actors::sequencer::pool::actor::SubmitError::Backlog(_) => {
            rpc_err(-32005, e.to_string())
        }
        e => rpc_err(-32000, e.to_string()),
    }
}

#[allow(clippy::too_many_lines)]
pub(crate) fn register(m: &mut RpcModule<RpcCtx>) -> Result<(), RegisterMethodError> {
    reg(
        m,
        "eth_chainId",
        |_, ctx| async move { to_json(U64::from(ctx.chain.config.spec.chain_id)) },
    )?;
    reg(m, "net_version", |_, ctx| async move {
        Ok(json!(ctx.chain.config.spec.chain_id.to_string()))
    })?;
    reg(m, "web3_clientVersion", |_, _| async move {
        Ok(json!(format!(
            "rollupd/v{}/{}-{}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        )))
    })?;
    reg(m, "eth_syncing", |_, _| async move { Ok(json!(false)) })?;
    reg(m, "eth_accounts", |_, _| async move { Ok(json!([])) })?;
    reg(m, "eth_blockNumber", |_, ctx| async move { to_json(U64::from(ctx.head()?)) })?;
    reg(
        m,
        "eth_gasPrice",
        |_, ctx| async move { to_json(U256::from(ctx.chain.config.spec.base_fee)) },
    )?;
    reg(m, "eth_maxPriorityFeePerGas", |_, _| async move { to_json(U256::ZERO) })?;

    reg(m, "eth_getBalance", |p, ctx| async move {
        let mut seq = p.sequence();
        let address: Address = seq.next()?;
        let id: Option<BlockId> = seq.optional_next()?;
        let state = ctx.state(id)?;
        to_json(U256::from_be_bytes(slot(&state, SlotKey::balance(address))?.0))
    })?;
    reg(m, "eth_getTransactionCount", |p, ctx| async move {
        let mut seq = p.sequence();
        let address: Address = seq.next()?;
        let id: Option<BlockId> = seq.optional_next()?;
        if matches!(id, Some(BlockId::Number(BlockNumberOrTag::Pending))) {
            let pool = ctx.pool()?;
            return match pool.call(|r| PoolMsg::PendingNonce(address, r), Some(ctx.timeout())).await
            {
                Ok(CallResult::Success(n)) => to_json(U64::from(n)),
                _ => Err(rpc_err(-32000, "transaction pool did not answer, retry")),
            };
        }
        let state = ctx.state(id)?;
        let nonce = U256::from_be_bytes(slot(&state, SlotKey::nonce(address))?.0);
        to_json(U64::from(nonce.saturating_to::<u64>()))
    })?;
    reg(m, "eth_getCode", |p, ctx| async move {
        let mut seq = p.sequence();
        let address: Address = seq.next()?;
        let id: Option<BlockId> = seq.optional_next()?;
        let state = ctx.state(id)?;
        let hash = slot(&state, SlotKey::code_hash(address))?;
        if hash.is_zero() {
            return to_json(Bytes::new());
        }
        to_json(state.bytecode(&hash).map_err(server_err)?.unwrap_or_default())
    })?;
    reg(m, "eth_getStorageAt", |p, ctx| async move {
        let mut seq = p.sequence();
        let address: Address = seq.next()?;
        let index: U256 = seq.next()?;
        let id: Option<BlockId> = seq.optional_next()?;
        let state = ctx.state(id)?;
        to_json(slot(&state, SlotKey::storage(address, index))?)
    })?;
    reg(m, "eth_call", |p, ctx| async move {
        with_call(p, ctx, |state, block, req, cap| to_json(exec::call(state, block, req, cap)?))
            .await
    })?;
    reg(m, "eth_estimateGas", |p, ctx| async move {
        with_call(p, ctx, |state, block, req, cap| {
            to_json(U64::from(exec::estimate(state, block, req, cap)?))
        })
        .await
    })?;
    reg(m, "eth_createAccessList", |p, ctx| async move {
        with_call(p, ctx, exec::create_access_list).await
    })?;
    reg(m, "eth_sendRawTransaction", |p, ctx| async move {
        let raw: Bytes = p.one()?;
        let tx = validate_stateless(&raw, &ctx.chain.config.validation)
            .map_err(|e| rpc_err(-32000, e.to_string()))?;
        let pool = ctx.pool()?;
        match pool.call(|r| PoolMsg::Submit(Box::new(tx), r), Some(ctx.timeout())).await {
            Ok(CallResult::Success(Ok(hash))) => to_json(hash),
            Ok(CallResult::Success(Err(e))) => Err(submit_error(e)),
            Ok(CallResult::Timeout) => Err(rpc_err(
                -32000,
                "transaction pool timed out; the transaction may still be admitted",
            )),
            _ => Err(rpc_err(
                -32000,
                "transaction pool restarted before admitting the transaction; retry",
            )),
        }
    })?;
    reg(m, "eth_getTransactionByHash", |p, ctx| async move {
        let hash: B256 = p.one()?;
        if let Some(stored) = ctx.chain.store.transaction(hash).map_err(server_err)? {
            let header = ctx.header(stored.block)?;
            let block_hash = header.hash_slow();
            return to_json(types::included_tx(&stored, &header, block_hash)?);
        }
        let Ok(pool) = ctx.pool() else { return Ok(Value::Null) };
        match pool.call(|r| PoolMsg::Get(hash, r), Some(ctx.timeout())).await {
            Ok(CallResult::Success(Some(tx))) => to_json(types::pending_tx(tx.envelope, tx.sender)),
            _ => Ok(Value::Null),
        }
    })?;
    reg(m, "eth_getTransactionReceipt", |p, ctx| async move {
        let hash: B256 = p.one()?;
        let Some(stored) = ctx.chain.store.transaction(hash).map_err(server_err)? else {
            return Ok(Value::Null);
        };
        let header = ctx.header(stored.block)?;
        let block_hash = header.hash_slow();
        ctx.with_batch_position(types::receipt_json(&stored, &header, block_hash, hash)?)
    })?;
    reg(m, "eth_getBlockByNumber", |p, ctx| async move {
        let mut seq = p.sequence();
        let tag: BlockNumberOrTag = seq.next()?;
        let full: bool = seq.next()?;
        let n = ctx.number(tag)?;
        blocking(ctx.workers.clone(), move || {
            super::json_of(&types::block(&ctx.chain.store, n, full)?)
        })
        .await
    })?;
    reg(m, "eth_getBlockByHash", |p, ctx| async move {
        let mut seq = p.sequence();
        let hash: B256 = seq.next()?;
        let full: bool = seq.next()?;
        let Some(n) = ctx.chain.store.block_number(hash).map_err(server_err)? else {
            return super::json_of(&Value::Null);
        };
        blocking(ctx.workers.clone(), move || {
            super::json_of(&types::block(&ctx.chain.store, n, full)?)
        })
        .await
    })?;
    reg(m, "eth_getBlockTransactionCountByNumber", |p, ctx| async move {
        let tag: BlockNumberOrTag = p.one()?;
        let n = ctx.number(tag)?;
        if ctx.chain.store.header(n).map_err(server_err)?.is_none() {
            return Ok(Value::Null);
        }
        to_json(U64::from(ctx.chain.store.block_tx_hashes(n).map_err(server_err)?.len()))
    })?;
    reg(m, "eth_getBlockTransactionCountByHash", |p, ctx| async move {
        let hash: B256 = p.one()?;
        let Some(n) = ctx.chain.store.block_number(hash).map_err(server_err)? else {
            return Ok(Value::Null);
        };
        to_json(U64::from(ctx.chain.store.block_tx_hashes(n).map_err(server_err)?.len()))
    })?;
    reg(m, "eth_getBlockReceipts", |p, ctx| async move {
        let id: BlockId = p.one()?;
        let n = match id {
            BlockId::Hash(h) => {
                match ctx.chain.store.block_number(h.block_hash).map_err(server_err)? {
                    Some(n) => n,
                    None => return super::json_of(&Value::Null),
                }
            }
            BlockId::Number(tag) => ctx.number(tag)?,
        };
        // A block's receipts can be thousands: built and written out on the execution threads.
        blocking(ctx.workers.clone(), move || {
            let receipts = to_json(types::block_receipts_json(&ctx.chain.store, n)?)?;
            super::json_of(&match receipts {
                Value::Array(list) => Value::Array(
                    list.into_iter()
                        .map(|r| ctx.with_batch_position(r))
                        .collect::<RpcResult<Vec<_>>>()?,
                ),
                other => other,
            })
        })
        .await
    })?;
    reg(m, "eth_getLogs", |p, ctx| async move {
        let filter: Filter = p.one()?;
        super::filters::check_criteria(&filter)?;
        blocking(ctx.workers.clone(), move || super::json_of(&logs_in_range(&ctx, &filter)?)).await
    })?;
    reg(m, "eth_feeHistory", |p, ctx| async move {
        let mut seq = p.sequence();
        let count: Value = seq.next()?;
        let newest: BlockNumberOrTag = seq.next()?;
        let percentiles: Option<Vec<f64>> = seq.optional_next()?;
        let count = quantity(&count, "block count")?.min(MAX_FEE_HISTORY);
        // geth's rules: at most 100 percentiles, each within [0, 100], strictly ascending.
        if let Some(ps) = &percentiles {
            if ps.len() > MAX_REWARD_PERCENTILES {
                return Err(invalid_params(format!(
                    "invalid reward percentile: over the query limit {MAX_REWARD_PERCENTILES}"
                )));
            }
            for (i, p) in ps.iter().enumerate() {
                if !(0.0..=100.0).contains(p) {
                    return Err(invalid_params(format!("invalid reward percentile: {p}")));
                }
                if i > 0 && *p <= ps[i - 1] {
                    return Err(invalid_params(format!(
                        "invalid reward percentile: #{}:{} >= #{i}:{p}",
                        i - 1,
                        ps[i - 1]
                    )));
                }
            }
        }
        let (newest, head) = (ctx.number(newest)?, ctx.head()?);
        if newest > head {
            return Err(invalid_params(format!(
                "request beyond head block: requested {newest}, head {head}"
            )));
        }
        if count == 0 {
            return to_json(FeeHistory::default());
        }
        let oldest = newest.saturating_sub(count - 1);
        blocking(ctx.workers.clone(), move || {
            let mut history = FeeHistory { oldest_block: oldest, ..Default::default() };
            let mut rewards = Vec::new();
            for n in oldest..=newest {
                let h = ctx.header(n)?;
                let base = h.base_fee_per_gas.unwrap_or_default();
                history.base_fee_per_gas.push(base as u128);
                history.gas_used_ratio.push(h.gas_used as f64 / h.gas_limit.max(1) as f64);
                history.base_fee_per_blob_gas.push(0);
                history.blob_gas_used_ratio.push(0.0);
                if let Some(ps) = &percentiles {
                    let mut tips: Vec<u128> = Vec::new();
                    for hash in ctx.chain.store.block_tx_hashes(n).map_err(server_err)? {
                        if let Some(t) = ctx.chain.store.transaction(hash).map_err(server_err)? {
                            if let Ok(env) = TxEnvelope::decode_2718_exact(&t.raw) {
                                tips.push(env.effective_tip_per_gas(base).unwrap_or_default());
                            }
                        }
                    }
                    tips.sort_unstable();
                    rewards.push(
                        ps.iter()
                            .map(|p| {
                                if tips.is_empty() {
                                    return 0;
                                }
                                let i = ((*p / 100.0) * (tips.len() - 1) as f64).round() as usize;
                                tips[i.min(tips.len() - 1)]
                            })
                            .collect::<Vec<u128>>(),
                    );
                }
            }
            // One more base fee: the next block's (constant).
            history.base_fee_per_gas.push(ctx.chain.config.spec.base_fee as u128);
            history.base_fee_per_blob_gas.push(0);
            history.reward = percentiles.map(|_| rewards);
            to_json(history)
        })
        .await
    })?;
    m.register_subscription("eth_subscribe", "eth_subscription", "eth_unsubscribe", subscribe)?;
    Ok(())
}

async fn subscribe(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<RpcCtx>,
    _: jsonrpsee::Extensions,
) -> SubscriptionResult {
    let mut seq = params.sequence();
    let kind: String = match seq.next() {
        Ok(k) => k,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    if kind == "newPendingTransactions" {
        return pending_transactions(pending, &ctx).await;
    }
    let filter: Option<Filter> = match kind.as_str() {
        "newHeads" => None,
        "logs" => match seq
            .optional_next::<Filter>()
            .and_then(|f| f.map(|f| super::filters::check_criteria(&f).map(|()| f)).transpose())
        {
            Ok(f) => Some(f.unwrap_or_default()),
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        },
        other => {
            pending
                .reject(invalid_params(format!(
                    "unsupported subscription type {other:?} (supported: newHeads, logs, newPendingTransactions)"
                )))
                .await;
            return Ok(());
        }
    };
    let mut events = ctx.chain.blocks.subscribe();
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            _ = sink.closed() => break,
            event = events.recv() => match event {
                Ok(block) => {
                    // Serialized once per block for every subscription (`Notifications`), sent
                    // one at a time: nothing piles up in memory behind a slow reader.
                    let notes = ctx.notifications.of(&block)?;
                    let delivered = match &filter {
                        None => deliver(&sink, notes.head.clone()).await,
                        Some(f) => {
                            let mut ok = true;
                            for (i, (log, ..)) in block.logs.iter().enumerate() {
                                if f.matches(log) && !deliver(&sink, notes.logs[i].clone()).await {
                                    ok = false;
                                    break;
                                }
                            }
                            ok
                        }
                    };
                    if !delivered {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(target: "rollup::rpc", skipped = n, "subscriber too slow; events skipped");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    Ok(())
}

/// How long a subscriber may leave its connection's buffer full before it is dropped (geth drops
/// subscribers that fall behind).
const SLOW_SUBSCRIBER: std::time::Duration = std::time::Duration::from_secs(5);

/// Sends one notification; `false` if the subscription is over (closed, or the client has not
/// read for [`SLOW_SUBSCRIBER`]).
async fn deliver(
    sink: &jsonrpsee::SubscriptionSink,
    raw: Box<serde_json::value::RawValue>,
) -> bool {
    match sink.send_timeout(raw, SLOW_SUBSCRIBER).await {
        Ok(()) => true,
        Err(jsonrpsee::core::server::SendTimeoutError::Timeout(_)) => {
            tracing::warn!(target: "rollup::rpc", "subscriber did not read for 5s; subscription dropped");
            false
        }
        Err(_) => false,
    }
}

/// The notifications of the last sealed block, serialized once for all subscriptions.
#[derive(Debug, Default)]
pub(crate) struct Notifications {
    last: std::sync::Mutex<Option<(B256, Arc<BlockNotes>)>>,
}

/// One block's `newHeads` notification and each of its logs' `logs` notification.
#[derive(Debug)]
pub(crate) struct BlockNotes {
    head: Box<serde_json::value::RawValue>,
    logs: Vec<Box<serde_json::value::RawValue>>,
}

impl Notifications {
    fn of(
        &self,
        block: &rollup_actors::sequencer::chain::SealedBlock,
    ) -> RpcResult<Arc<BlockNotes>> {
        let mut g = self.last.lock().map_err(|_| server_err("notifications lock poisoned"))?;
        if let Some((hash, notes)) = g.as_ref() {
            if *hash == block.hash {
                return Ok(notes.clone());
            }
        }
        let head = raw(&alloy::rpc::types::Header {
            hash: block.hash,
            inner: block.header.clone(),
            total_difficulty: Some(U256::ZERO),
            size: None,
        })?;
        let logs = block
            .logs
            .iter()
            .map(|(log, tx, idx, li)| {
                raw(&Log {
                    inner: log.clone(),
                    block_hash: Some(block.hash),
                    block_number: Some(block.header.number),
                    block_timestamp: Some(block.header.timestamp),
                    transaction_hash: Some(*tx),
                    transaction_index: Some(*idx),
                    log_index: Some(*li),
                    removed: false,
                })
            })
            .collect::<RpcResult<Vec<_>>>()?;
        let notes = Arc::new(BlockNotes { head, logs });
        *g = Some((block.hash, notes.clone()));
        Ok(notes)
    }
}

fn raw<T: Serialize>(v: &T) -> RpcResult<Box<serde_json::value::RawValue>> {
    serde_json::value::to_raw_value(v).map_err(server_err)
}

/// `eth_subscribe("newPendingTransactions")`: the hash of each transaction the pool admits.
async fn pending_transactions(
    pending: PendingSubscriptionSink,
    ctx: &RpcCtx,
) -> SubscriptionResult {
    let mut admitted = ctx.chain.admitted.subscribe();
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            _ = sink.closed() => break,
            hash = admitted.recv() => match hash {
                Ok(hash) => {
                    if !deliver(&sink, raw(&hash)?).await {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(target: "rollup::rpc", skipped = n, "pending-transaction subscriber too slow; hashes skipped");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    Ok(())
}
