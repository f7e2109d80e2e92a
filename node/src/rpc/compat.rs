//! Methods wallets and libraries call at start or in passing, which carry little on this chain:
//! `net_listening`, `web3_sha3`, `eth_coinbase`, the uncle methods (there are never uncles),
//! `eth_blobBaseFee` (no blob transactions: 0, as `eth_feeHistory` reports) and the
//! transaction-by-block-and-index lookups. Answers follow geth's shapes. `eth_getProof` is
//! refused with a clear error (the state tree is not a Merkle-Patricia trie).

use super::{reg, server_err, types, RpcCtx, RpcResult};
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{keccak256, Bytes, B256, U256, U64};
use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::RpcModule;
use serde_json::{json, Value};

impl RpcCtx {
    /// The transaction at `index` of block `number`, or null if either does not exist.
    fn tx_at(&self, number: Option<u64>, index: U64) -> RpcResult<Value> {
        let Some(number) = number else { return Ok(Value::Null) };
        let hashes = self.chain.store.block_tx_hashes(number).map_err(server_err)?;
        let Some(hash) = usize::try_from(index).ok().and_then(|i| hashes.get(i)) else {
            return Ok(Value::Null);
        };
        let Some(stored) = self.chain.store.transaction(*hash).map_err(server_err)? else {
            return Ok(Value::Null);
        };
        let header = self.header(stored.block)?;
        let block_hash = header.hash_slow();
        serde_json::to_value(types::included_tx(&stored, &header, block_hash)?).map_err(server_err)
    }

    /// Block `number` if it exists (tags resolved; past the head: none).
    fn existing(&self, tag: BlockNumberOrTag) -> RpcResult<Option<u64>> {
        let n = self.number(tag)?;
        Ok((n <= self.head()?).then_some(n))
    }

    fn by_hash(&self, hash: B256) -> RpcResult<Option<u64>> {
        self.chain.store.block_number(hash).map_err(server_err)
    }
}

pub(crate) fn register(m: &mut RpcModule<RpcCtx>) -> Result<(), RegisterMethodError> {
    reg(m, "net_listening", |_, _| async move { Ok(json!(true)) })?;
    reg(m, "web3_sha3", |p, _| async move {
        let data: Bytes = p.one()?;
        Ok(json!(keccak256(&data)))
    })?;
    // The fee account: what every block names as its miner.
    reg(m, "eth_coinbase", |_, ctx| async move { Ok(json!(ctx.chain.config.spec.coinbase)) })?;
    reg(m, "eth_blobBaseFee", |_, _| async move { Ok(json!(U256::ZERO)) })?;
    // State proofs are of a Poseidon sparse Merkle tree here, not a Merkle-Patricia trie: an
    // answer in eth_getProof's shape would not verify against any block's stateRoot.
    reg(m, "eth_getProof", |_, _| async move {
        Err::<Value, _>(super::rpc_err(
            -32601,
            "eth_getProof is not supported: rollupd's state is a Poseidon sparse Merkle tree, not a Merkle-Patricia trie, so no proof of this shape would verify",
        ))
    })?;
    reg(m, "eth_getUncleCountByBlockNumber", |p, ctx| async move {
        let tag: BlockNumberOrTag = p.one()?;
        Ok(ctx.existing(tag)?.map_or(Value::Null, |_| json!(U64::ZERO)))
    })?;
    reg(m, "eth_getUncleCountByBlockHash", |p, ctx| async move {
        let hash: B256 = p.one()?;
        Ok(ctx.by_hash(hash)?.map_or(Value::Null, |_| json!(U64::ZERO)))
    })?;
    reg(m, "eth_getUncleByBlockNumberAndIndex", |p, _| async move {
        let (_, _): (BlockNumberOrTag, U64) = p.parse()?;
        Ok(Value::Null)
    })?;
    reg(m, "eth_getUncleByBlockHashAndIndex", |p, _| async move {
        let (_, _): (B256, U64) = p.parse()?;
        Ok(Value::Null)
    })?;
    reg(m, "eth_getTransactionByBlockNumberAndIndex", |p, ctx| async move {
        let (tag, index): (BlockNumberOrTag, U64) = p.parse()?;
        ctx.tx_at(ctx.existing(tag)?, index)
    })?;
    reg(m, "eth_getTransactionByBlockHashAndIndex", |p, ctx| async move {
        let (hash, index): (B256, U64) = p.parse()?;
        ctx.tx_at(ctx.by_hash(hash)?, index)
    })?;
    Ok(())
}
