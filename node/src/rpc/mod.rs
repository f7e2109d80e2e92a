//! The Ethereum JSON-RPC server of a chain (HTTP and WebSocket on one port, jsonrpsee), with
//! explicit limits: request and response size, batch size, connections, a per-call timeout and
//! the `eth_call` gas cap. Errors use the standard JSON-RPC codes and geth's messages.
//!
//! Reads go straight to redb read transactions; submissions go to the pool actor.

mod eth;
mod exec;
mod types;
mod zks;

use crate::config::RpcConfig;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use rollup_actors::chain::Chain;
use rollup_actors::protocol::{ActorSlot, PoolMsg};
use std::net::SocketAddr;
use std::sync::Arc;

/// A handler's result.
pub(crate) type RpcResult<T> = Result<T, ErrorObjectOwned>;

/// An error object without data.
pub(crate) fn rpc_err(code: i32, msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, msg.into(), None::<()>)
}

/// `-32602 invalid params`.
pub(crate) fn invalid_params(msg: impl Into<String>) -> ErrorObjectOwned {
    rpc_err(-32602, msg)
}

/// A server-side failure, reported as geth does (-32000).
pub(crate) fn server_err(e: impl std::fmt::Display) -> ErrorObjectOwned {
    rpc_err(-32000, e.to_string())
}

/// Read access to settlement (batches and their L1 steps), on a chain that settles.
#[derive(Debug, Clone)]
pub(crate) struct SettlementView {
    pub(crate) batches: rollup_actors::batches::BatchStore,
    pub(crate) sender: rollup_eth::SenderStore,
}

/// What every handler sees.
#[derive(Debug)]
pub(crate) struct RpcCtx {
    pub(crate) chain: Arc<Chain>,
    pub(crate) cfg: RpcConfig,
    /// Whether blocks are final once sealed (the embedded L1); on the L2 a block is final once
    /// its batch is executed on L1.
    pub(crate) instant_finality: bool,
    /// Where the current pool actor is.
    pub(crate) pool: ActorSlot<PoolMsg>,
    /// Batches and L1 steps (`None` on the embedded L1).
    pub(crate) settlement: Option<SettlementView>,
}

/// A running RPC server.
#[derive(Debug)]
pub(crate) struct RpcServer {
    /// The bound address (the configured one, or the port the OS chose for port 0).
    pub(crate) addr: SocketAddr,
    pub(crate) handle: ServerHandle,
}

/// Starts the server for `chain` on `cfg.addr`.
pub(crate) async fn start(
    chain: Arc<Chain>,
    cfg: RpcConfig,
    instant_finality: bool,
    pool: ActorSlot<PoolMsg>,
    settlement: Option<SettlementView>,
) -> anyhow::Result<RpcServer> {
    use anyhow::Context;
    let server_cfg = ServerConfig::builder()
        .max_request_body_size(cfg.max_request_body_bytes)
        .max_response_body_size(cfg.max_response_body_bytes)
        .max_connections(cfg.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(cfg.max_batch_requests))
        .build();
    let server = Server::builder()
        .set_config(server_cfg)
        .build(cfg.addr)
        .await
        .with_context(|| format!("binding the JSON-RPC server to {}", cfg.addr))?;
    let addr = server.local_addr().context("reading the bound address")?;
    let ctx = RpcCtx { chain, cfg, instant_finality, pool, settlement };
    let mut module = RpcModule::new(ctx);
    eth::register(&mut module).context("registering RPC methods")?;
    let handle = server.start(module);
    Ok(RpcServer { addr, handle })
}
