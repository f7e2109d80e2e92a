//! The Ethereum JSON-RPC server of a chain (HTTP and WebSocket on one port, jsonrpsee), with
//! explicit limits: request and response size, batch size, connections, a per-call timeout and
//! the `eth_call` gas cap. Errors use the standard JSON-RPC codes and geth's messages.
//!
//! Reads go straight to redb read transactions; submissions go to the pool actor.

mod compat;
mod eth;
mod exec;
mod filters;
mod frames;
mod ids;
mod precheck;
mod serve;
mod types;
mod workers;
mod zks;

use crate::config::RpcConfig;
use alloy::consensus::Header;
use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::Params;
use jsonrpsee::Methods;
use jsonrpsee::RpcModule;
use rollup_actors::sequencer::chain::{AdmittedFeed, BlockFeed, ChainConfig};
use rollup_actors::sequencer::protocol::PoolMsg;
use rollup_actors::storage::chain::ChainStore;
use rollup_supervision::ActorSlot;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A handler's result.
pub(crate) type RpcResult<T> = Result<T, ErrorObjectOwned>;

/// An error object without data.
pub(crate) fn rpc_err(code: i32, msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, msg.into(), None::<()>)
}

/// An answer serialized where it was made: a large one (an `eth_call`'s output, logs) is
/// written out on the execution threads, so the server's own threads only copy it.
pub(crate) type Json = Box<serde_json::value::RawValue>;

/// `v` serialized ([`Json`]).
pub(crate) fn json_of<T: serde::Serialize>(v: &T) -> RpcResult<Json> {
    serde_json::value::to_raw_value(v).map_err(server_err)
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
    pub(crate) batches: rollup_actors::storage::batches::BatchStore,
    pub(crate) sender: rollup_eth::SenderStore,
    /// The L1 this chain settles on.
    pub(crate) l1_chain_id: u64,
    /// The Diamond proxy on it (`zks_getMainContract`).
    pub(crate) diamond: alloy::primitives::Address,
    /// The eth sender's counters, the proving backlog and rate among them.
    pub(crate) metrics: Arc<rollup_eth::SenderMetrics>,
    /// Why admission is closed, if it is (the pool reads the same gauge).
    pub(crate) backlog: rollup_actors::settlement::backlog::BacklogGauge,
    /// `eth_sender.max_finality_secs` (0: off).
    pub(crate) max_finality_secs: u64,
}

/// What the RPC reads of a chain: its parameters, its store (read-only), the feeds its
/// subscriptions follow, and where the pool is (submissions go to the pool actor).
#[derive(Debug, Clone)]
pub(crate) struct ChainView {
    pub(crate) config: Arc<ChainConfig>,
    pub(crate) store: ChainStore,
    pub(crate) blocks: BlockFeed,
    pub(crate) admitted: AdmittedFeed,
    pub(crate) pool: ActorSlot<PoolMsg>,
}

/// What every handler sees.
#[derive(Debug)]
pub(crate) struct RpcCtx {
    pub(crate) chain: ChainView,
    pub(crate) cfg: RpcConfig,
    /// Whether blocks are final once sealed (the embedded L1); on the L2 a block is final once
    /// its batch is executed on L1.
    pub(crate) instant_finality: bool,
    /// Batches and L1 steps (`None` on the embedded L1).
    pub(crate) settlement: Option<SettlementView>,
    /// Installed polling filters.
    pub(crate) filters: filters::Filters,
    /// Subscription notifications of the last block, serialized once.
    pub(crate) notifications: eth::Notifications,
    /// The threads calls run their reads and executions on, apart from the sequencer's.
    pub(crate) workers: Arc<workers::Workers>,
}

impl RpcCtx {
    pub(crate) fn header(&self, number: u64) -> RpcResult<Header> {
        self.chain
            .store
            .header(number)
            .map_err(server_err)?
            .ok_or_else(|| rpc_err(-32000, "header not found"))
    }

    pub(crate) fn pool(&self) -> RpcResult<rollup_actors::sequencer::pool::actor::PoolRef> {
        self.chain
            .pool
            .get()
            .ok_or_else(|| rpc_err(-32000, "transaction pool is restarting, retry shortly"))
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.cfg.call_timeout_ms)
    }
}

tokio::task_local! {
    /// The address the call being served came from (its /64 for IPv6).
    static PEER: Option<std::net::IpAddr>;
}

/// The address the call being served came from, if known: what per-client shares count.
pub(crate) fn peer() -> Option<std::net::IpAddr> {
    PEER.try_with(|p| *p).ok().flatten()
}

/// Registers `name` with the per-call timeout around it, counted from the call's receipt, and
/// the caller's address known to it ([`peer`]).
/// A handler answers a `Value`, or JSON already serialized ([`Json`]) where the answer may be
/// large: it is then written on the execution threads, not the server's.
pub(crate) fn reg<F, Fut, T>(
    m: &mut RpcModule<RpcCtx>,
    name: &'static str,
    f: F,
) -> Result<(), RegisterMethodError>
where
    F: Fn(Params<'static>, Arc<RpcCtx>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = RpcResult<T>> + Send + 'static,
    T: serde::Serialize + Clone + Send + 'static,
{
    m.register_async_method(name, move |params, ctx, ext| {
        let f = f.clone();
        let peer = ext.get::<Arc<serve::Conn>>().map(|c| c.ip);
        async move {
            let timeout = ctx.timeout();
            let due = std::time::Instant::now() + timeout;
            let call = PEER.scope(peer, workers::scope(due, f(params, ctx)));
            match tokio::time::timeout_at(due.into(), call).await {
                Ok(r) => r,
                Err(_) => Err(workers::timed_out(timeout)),
            }
        }
    })?;
    Ok(())
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Unix seconds as RFC 3339 (`2026-11-22T10:00:00Z`), as Era's API reports times.
pub(crate) fn rfc3339(secs: u64) -> String {
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// A running RPC server.
#[derive(Debug)]
pub(crate) struct RpcServer {
    /// The bound address (the configured one, or the port the OS chose for port 0).
    pub(crate) addr: SocketAddr,
    pub(crate) handle: ServerHandle,
    /// The runtime its connections run on, apart from the sequencer's.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for RpcServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The nice value of the L2's RPC threads (the embedded L1's run at the node's own priority).
pub(crate) use workers::RPC_NICE;

/// Threads of an RPC server's own async runtime: its connections, parsing and answers.
const IO_THREADS: usize = 2;

/// Subscription ids as geth writes them: a JSON string, `0x` and up to 32 hex digits (leading
/// zeros trimmed). viem drops notifications whose id is not a string, and Go clients decode it
/// as one.
/// Filter ids are the same kind of string.
#[derive(Debug, Default)]
pub(super) struct HexIdProvider {
    seed: std::collections::hash_map::RandomState,
    next: std::sync::atomic::AtomicU64,
}

impl HexIdProvider {
    /// The next id, e.g. `0x9cef478923ff08bf67fde6c64013158d`.
    pub(super) fn next_hex(&self) -> String {
        use std::hash::BuildHasher;
        // A counter keyed by a per-process random hash: unique, and not guessable from outside.
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = (u128::from(self.seed.hash_one((n, 0u8))) << 64)
            | u128::from(self.seed.hash_one((n, 1u8)));
        format!("{id:#x}")
    }
}

impl jsonrpsee::server::IdProvider for HexIdProvider {
    fn next_id(&self) -> jsonrpsee::types::SubscriptionId<'static> {
        jsonrpsee::types::SubscriptionId::Str(self.next_hex().into())
    }
}

/// CORS for browser dapps: `["*"]` answers any origin, a list only those, `[]` adds no headers.
/// Origins are checked by the config at start.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| http::HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([http::Method::POST, http::Method::GET, http::Method::OPTIONS])
            .allow_headers([http::header::CONTENT_TYPE, http::header::AUTHORIZATION])
            .max_age(Duration::from_secs(86_400)),
    )
}

/// Starts the server for `chain` on `cfg.addr`, on threads of its own at `nice` (connections on
/// their own async runtime, calls' work on [`workers::Workers`]), so RPC load never takes the
/// sequencer's threads.
pub(crate) async fn start(
    chain: ChainView,
    cfg: RpcConfig,
    instant_finality: bool,
    settlement: Option<SettlementView>,
    nice: i32,
) -> anyhow::Result<RpcServer> {
    use anyhow::Context;
    let name = chain.config.name.clone();
    let call_limits = precheck::CallLimits {
        response: cfg.max_response_body_bytes as usize,
        in_flight: cfg.max_in_flight_per_connection as usize,
        // A client may leave one response limit's worth of answers unread (plus the answer
        // that crosses it) before its calls are refused.
        unsent: u64::from(cfg.max_response_body_bytes),
    };
    let server_cfg = ServerConfig::builder()
        .max_request_body_size(cfg.max_request_body_bytes)
        .max_response_body_size(cfg.max_response_body_bytes)
        .max_connections(cfg.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(cfg.max_batch_requests))
        .set_id_provider(HexIdProvider::default())
        // A WebSocket peer that stops answering pings (gone behind a NAT, powered off) is
        // closed, so it does not keep its connection slot forever.
        .enable_ws_ping(
            jsonrpsee::server::PingConfig::new()
                .ping_interval(Duration::from_millis(cfg.ws_ping_interval_ms))
                .inactive_limit(Duration::from_millis(cfg.ws_inactive_limit_ms))
                .max_failures(2),
        )
        .build();
    let builder = Server::builder()
        .set_config(server_cfg)
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                .layer_fn(move |inner| precheck::Precheck(inner, call_limits)),
        )
        .set_http_middleware(
            // CORS outermost, so the body reader's refusals (408, 413) carry its headers too.
            tower::ServiceBuilder::new().option_layer(cors(&cfg.cors_origins)).layer(
                serve::ReadBodyLayer {
                    timeout: Duration::from_millis(cfg.read_timeout_ms),
                    max: cfg.max_request_body_bytes as usize,
                },
            ),
        )
        .to_service_builder();
    let listener = std::net::TcpListener::bind(cfg.addr)
        .with_context(|| format!("binding the JSON-RPC server to {}", cfg.addr))?;
    listener.set_nonblocking(true).context("setting the RPC socket non-blocking")?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let limits = serve::Limits {
        header_timeout: Duration::from_millis(cfg.read_timeout_ms),
        write_timeout: Duration::from_millis(cfg.write_timeout_ms),
        per_ip: cfg.max_connections_per_ip,
        total: cfg.max_connections,
        ws_max_in: cfg.max_request_body_bytes as usize,
        // A batch's answer may pass the response limit by one answer (as geth's does), plus
        // the `-32003` errors of the calls after it.
        ws_unread: u64::from(cfg.max_response_body_bytes),
        ws_max_out: (cfg.max_response_body_bytes as usize)
            .saturating_mul(2)
            .saturating_add((cfg.max_batch_requests as usize).saturating_mul(256)),
    };
    let filters = filters::Filters::new(Duration::from_secs(cfg.filter_timeout_secs));
    let workers = workers::Workers::start(
        &name,
        cfg.exec_threads as usize,
        cfg.max_queued_calls as usize,
        nice,
        Duration::from_millis(cfg.call_timeout_ms),
    )
    .context("starting the RPC's execution threads")?;
    let ctx = RpcCtx {
        workers: Arc::new(workers),
        chain,
        cfg,
        instant_finality,
        settlement,
        filters,
        notifications: eth::Notifications::default(),
    };
    let mut module = RpcModule::new(ctx);
    eth::register(&mut module).context("registering RPC methods")?;
    compat::register(&mut module).context("registering RPC methods")?;
    filters::register(&mut module).context("registering filter methods")?;
    zks::register(&mut module).context("registering zks_ methods")?;
    let methods: Methods = module.into();
    let (stop, handle) = jsonrpsee::server::stop_channel();
    let make = {
        let stop = stop.clone();
        move || builder.clone().build(methods.clone(), stop.clone())
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(IO_THREADS)
        .thread_name(format!("{name}-rpc"))
        .on_thread_start(move || workers::nice_this_thread(nice))
        .enable_all()
        .build()
        .context("starting the RPC's runtime")?;
    let served = runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        serve::accept_loop(listener, make, stop, limits).await;
        Ok::<_, std::io::Error>(())
    });
    tokio::spawn(async move {
        if let Ok(Err(e)) = served.await {
            tracing::error!(target: "rollup::rpc", error = %e, "the RPC server could not listen");
        }
    });
    Ok(RpcServer { addr, handle, runtime: Some(runtime) })
}
