//! Stored blocks, transactions and receipts as alloy's RPC types, so every Ethereum client
//! parses them.

use super::{server_err, RpcResult};
use alloy::consensus::transaction::Recovered;
use alloy::consensus::{Header, Transaction as _, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::primitives::{Address, B256, U256};
use alloy::rpc::types::{
    Block, BlockTransactions, Header as RpcHeader, Log, Transaction, TransactionReceipt,
};
use rollup_actors::execution::priority::{is_priority_raw, PriorityTx};
use rollup_actors::storage::chain::{ChainStore, StoredTx};
use serde_json::{json, Value};

/// The price per gas a transaction paid in a block with `base_fee`.
pub(crate) fn effective_gas_price(tx: &TxEnvelope, base_fee: Option<u64>) -> u128 {
    tx.effective_gas_price(base_fee)
}

fn envelope(raw: &[u8]) -> RpcResult<TxEnvelope> {
    TxEnvelope::decode_2718_exact(raw).map_err(|e| server_err(format!("stored transaction: {e}")))
}

fn priority(raw: &[u8]) -> RpcResult<PriorityTx> {
    PriorityTx::decode_raw(raw).map_err(|e| server_err(format!("stored priority transaction: {e}")))
}

/// An included priority (L1->L2) transaction, in Era's shape: type `0xff`, its serial id as the
/// nonce, the price it paid on L1 as its gas price, no signature.
fn included_priority_tx(stored: &StoredTx, header: &Header, block_hash: B256) -> RpcResult<Value> {
    let op = priority(&stored.raw)?;
    let price = alloy::primitives::U128::from(op.gas_price);
    let q = |v: u64| alloy::primitives::U64::from(v);
    Ok(json!({
        "hash": op.hash,
        "type": "0xff",
        "nonce": q(op.serial),
        "blockHash": block_hash,
        "blockNumber": q(header.number),
        "transactionIndex": q(stored.index as u64),
        "from": op.from,
        "to": op.to,
        "value": op.value,
        "gas": q(op.gas_limit),
        "gasPrice": price,
        "maxFeePerGas": price,
        "maxPriorityFeePerGas": "0x0",
        "input": op.data,
        "v": "0x0",
        "r": "0x0",
        "s": "0x0",
        "blockTimestamp": q(header.timestamp),
    }))
}

/// An included transaction, as JSON (priority transactions have no alloy type).
pub(crate) fn included_tx(stored: &StoredTx, header: &Header, hash: B256) -> RpcResult<Value> {
    if is_priority_raw(&stored.raw) {
        return included_priority_tx(stored, header, hash);
    }
    serde_json::to_value(included_user_tx(stored, header, hash)?).map_err(server_err)
}

fn included_user_tx(stored: &StoredTx, header: &Header, hash: B256) -> RpcResult<Transaction> {
    let env = envelope(&stored.raw)?;
    let price = effective_gas_price(&env, header.base_fee_per_gas);
    Ok(Transaction {
        inner: Recovered::new_unchecked(env, stored.sender),
        block_hash: Some(hash),
        block_number: Some(header.number),
        transaction_index: Some(stored.index as u64),
        effective_gas_price: Some(price),
        block_timestamp: Some(header.timestamp),
    })
}

/// A pooled (pending) transaction.
pub(crate) fn pending_tx(env: TxEnvelope, sender: Address) -> Transaction {
    use alloy::consensus::Transaction as _;
    // As geth: a pending transaction's `gasPrice` is its fee cap.
    let price = env.max_fee_per_gas();
    Transaction {
        inner: Recovered::new_unchecked(env, sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: Some(price),
        block_timestamp: None,
    }
}

/// The receipt of an included transaction as JSON: a priority transaction's says type `0xff`.
pub(crate) fn receipt_json(
    stored: &StoredTx,
    header: &Header,
    block_hash: B256,
    tx_hash: B256,
) -> RpcResult<Value> {
    let mut v =
        serde_json::to_value(receipt(stored, header, block_hash, tx_hash)?).map_err(server_err)?;
    if is_priority_raw(&stored.raw) {
        v["type"] = json!("0xff");
    }
    Ok(v)
}

/// The receipt of an included transaction.
pub(crate) fn receipt(
    stored: &StoredTx,
    header: &Header,
    block_hash: B256,
    tx_hash: B256,
) -> RpcResult<TransactionReceipt> {
    let (to, price) = if is_priority_raw(&stored.raw) {
        let op = priority(&stored.raw)?;
        (Some(op.to), op.gas_price)
    } else {
        let env = envelope(&stored.raw)?;
        (env.to(), effective_gas_price(&env, header.base_fee_per_gas))
    };
    let mut log_index = stored.first_log_index as u64;
    let inner = stored.receipt.clone().map_logs(|l| {
        let log = Log {
            inner: l,
            block_hash: Some(block_hash),
            block_number: Some(header.number),
            block_timestamp: Some(header.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(stored.index as u64),
            log_index: Some(log_index),
            removed: false,
        };
        log_index += 1;
        log
    });
    Ok(TransactionReceipt {
        inner,
        transaction_hash: tx_hash,
        transaction_index: Some(stored.index as u64),
        block_hash: Some(block_hash),
        block_number: Some(header.number),
        gas_used: stored.gas_used,
        effective_gas_price: price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: stored.sender,
        to,
        contract_address: stored.contract_address,
    })
}

/// Block `number` with transaction hashes or full transactions.
pub(crate) fn block(store: &ChainStore, number: u64, full: bool) -> RpcResult<Option<Value>> {
    let Some(header) = store.header(number).map_err(server_err)? else { return Ok(None) };
    let hash = header.hash_slow();
    let hashes = store.block_tx_hashes(number).map_err(server_err)?;
    let mut txs = Vec::with_capacity(if full { hashes.len() } else { 0 });
    if full {
        for h in &hashes {
            let stored = store
                .transaction(*h)
                .map_err(server_err)?
                .ok_or_else(|| server_err(format!("block {number} lists missing tx {h}")))?;
            txs.push(included_tx(&stored, &header, hash)?);
        }
    }
    let size = match store.block_size(number).map_err(server_err)? {
        Some(size) => size,
        // Sealed before sizes were recorded: from the transactions themselves.
        None => {
            let mut raws = Vec::with_capacity(hashes.len());
            for h in &hashes {
                if let Some(t) = store.transaction(*h).map_err(server_err)? {
                    raws.push(t.raw);
                }
            }
            rollup_actors::storage::chain::block_rlp_size(
                alloy::rlp::Encodable::length(&header),
                raws.iter().map(|r| r.as_ref()),
            )
        }
    };
    let transactions = BlockTransactions::<Transaction>::Hashes(hashes);
    let block = Block {
        header: RpcHeader {
            hash,
            inner: header,
            total_difficulty: Some(U256::ZERO),
            size: Some(U256::from(size)),
        },
        uncles: vec![],
        transactions,
        withdrawals: None,
    };
    let mut v = serde_json::to_value(block).map_err(server_err)?;
    if full {
        v["transactions"] = Value::Array(txs);
    }
    Ok(Some(v))
}

/// `f` over the receipts of block `number`, in order (`None` if there is no such block).
fn map_receipts<T>(
    store: &ChainStore,
    number: u64,
    f: impl Fn(&StoredTx, &Header, B256, B256) -> RpcResult<T>,
) -> RpcResult<Option<Vec<T>>> {
    let Some(header) = store.header(number).map_err(server_err)? else { return Ok(None) };
    let hash = header.hash_slow();
    let mut out = Vec::new();
    for h in store.block_tx_hashes(number).map_err(server_err)? {
        let stored = store
            .transaction(h)
            .map_err(server_err)?
            .ok_or_else(|| server_err(format!("block {number} lists missing tx {h}")))?;
        out.push(f(&stored, &header, hash, h)?);
    }
    Ok(Some(out))
}

/// Receipts of block `number`, in order, as JSON.
pub(crate) fn block_receipts_json(
    store: &ChainStore,
    number: u64,
) -> RpcResult<Option<Vec<Value>>> {
    map_receipts(store, number, receipt_json)
}

/// Receipts of block `number`, in order.
pub(crate) fn block_receipts(
    store: &ChainStore,
    number: u64,
) -> RpcResult<Option<Vec<TransactionReceipt>>> {
    map_receipts(store, number, receipt)
}
