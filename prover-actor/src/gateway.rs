//! The prover gateway: the exchange over HTTP JSON-RPC for provers on other machines.
//!
//! Every request must carry `Authorization: Bearer <token>`; anything else gets HTTP 401 before
//! any JSON is parsed. Methods:
//! - `prover_getJob(worker) -> LeasedJob | null`
//! - `prover_heartbeat(lease_id) -> bool`
//! - `prover_submitProof(job_id, proof_words) -> "accepted" | "duplicate"` (invalid proofs: error
//!   -32000 with the reason; the job goes back to the queue)
//! - `prover_status() -> { pending, leased, proven }`

use std::net::SocketAddr;

use jsonrpsee::{
    server::{HttpBody, HttpRequest, HttpResponse, RpcModule, Server, ServerConfig, ServerHandle},
    types::{ErrorObject, ErrorObjectOwned},
};
use tower_http::validate_request::ValidateRequestHeaderLayer;

use crate::{
    exchange::{
        ExchangeError, ExchangeMsg, ExchangeRef, ExchangeSlot, LeasedJob, QueueStatus, Submitted,
    },
    ProofWords,
};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use rollup_supervision::{BoxError, ChildSpec, RestartBudget};

const CALL_MS: u64 = 10_000;

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(-32603, e.to_string(), None::<()>)
}

/// The running exchange, or an error a worker retries on (it is being restarted).
fn current(find: &ExchangeSlot) -> Result<ExchangeRef, ErrorObjectOwned> {
    find.get().ok_or_else(|| internal("the prover exchange is restarting; retry"))
}

fn refused(e: &ExchangeError) -> ErrorObjectOwned {
    ErrorObject::owned(-32000, e.to_string(), None::<()>)
}

// The 401 response is built in the closure; boxing it would not help anyone.
#[allow(clippy::result_large_err)]
/// Start the gateway on `addr` with `token`, serving whichever exchange `exchange` holds at each
/// request; returns the bound address and the server handle (dropping every handle stops it).
pub async fn start(
    addr: SocketAddr,
    token: String,
    exchange: ExchangeSlot,
) -> Result<(SocketAddr, ServerHandle), BoxError> {
    let expected = format!("Bearer {token}");
    let auth = ValidateRequestHeaderLayer::custom(move |req: &mut HttpRequest| {
        let given = req.headers().get(http::header::AUTHORIZATION).map(|v| v.as_bytes());
        if given.is_some_and(|g| constant_time_eq(g, expected.as_bytes())) {
            Ok(())
        } else {
            let mut resp = HttpResponse::new(HttpBody::from("missing or wrong bearer token\n"));
            *resp.status_mut() = http::StatusCode::UNAUTHORIZED;
            Err(resp)
        }
    });
    // Witnesses of big batches are megabytes of JSON.
    let config = ServerConfig::builder()
        .max_request_body_size(64 * 1024 * 1024)
        .max_response_body_size(64 * 1024 * 1024)
        .build();
    let server = Server::builder()
        .set_config(config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(auth))
        .build(addr)
        .await?;
    let bound = server.local_addr()?;
    let mut module = RpcModule::new(exchange);
    module.register_async_method("prover_getJob", |params, find, _| async move {
        let ex = current(&find)?;
        let worker: String = params.one()?;
        let job: Option<LeasedJob> =
            ractor::call_t!(ex, ExchangeMsg::Lease, CALL_MS, worker).map_err(internal)?;
        Ok::<_, ErrorObjectOwned>(job)
    })?;
    module.register_async_method("prover_heartbeat", |params, find, _| async move {
        let ex = current(&find)?;
        let lease: u64 = params.one()?;
        let live: bool =
            ractor::call_t!(ex, ExchangeMsg::Heartbeat, CALL_MS, lease).map_err(internal)?;
        Ok::<_, ErrorObjectOwned>(live)
    })?;
    module.register_async_method("prover_submitProof", |params, find, _| async move {
        let ex = current(&find)?;
        let (job, proof): (u64, ProofWords) = params.parse()?;
        let result: Result<Submitted, ExchangeError> =
            ractor::call_t!(ex, ExchangeMsg::Submit, CALL_MS, job, Box::new(proof))
                .map_err(internal)?;
        result.map_err(|e| refused(&e))
    })?;
    module.register_async_method("prover_status", |_, find, _| async move {
        let ex = current(&find)?;
        let status: Result<QueueStatus, ExchangeError> =
            ractor::call_t!(ex, ExchangeMsg::Status, CALL_MS).map_err(internal)?;
        status.map_err(|e| refused(&e))
    })?;
    tracing::info!(target: "rollup::prover", %bound, "prover gateway listening");
    Ok((bound, server.start(module)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the supervised gateway serves.
#[derive(Clone)]
pub struct GatewayArgs {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The bearer token every request must carry.
    pub token: String,
    /// The exchange it serves, looked up at each request (it follows exchange restarts).
    pub exchange: ExchangeSlot,
}

impl std::fmt::Debug for GatewayArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("GatewayArgs").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// Messages of the gateway actor.
#[derive(Debug)]
pub enum GatewayMsg {
    /// The address it is bound to (`None`: it could not bind).
    Addr(RpcReplyPort<Option<SocketAddr>>),
}

/// The gateway as a supervised actor: it owns the HTTP server, which stops with it (its state
/// holds the only server handle), and a restart binds the port again. A port it cannot bind is
/// logged and leaves it without a server: the local provers in the same tree keep proving.
#[derive(Debug, Clone)]
pub struct GatewayActor;

/// The gateway actor's state: the bound address and the server it owns (none if binding failed).
#[derive(Debug)]
pub struct GatewayState {
    server: Option<(SocketAddr, ServerHandle)>,
}

/// The gateway's child spec.
pub fn spec(args: GatewayArgs, budget: RestartBudget) -> ChildSpec {
    ChildSpec::actor("prover_gateway", budget, GatewayActor, args, None)
}

impl Actor for GatewayActor {
    type Msg = GatewayMsg;
    type State = GatewayState;
    type Arguments = GatewayArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<GatewayMsg>,
        args: GatewayArgs,
    ) -> Result<GatewayState, ActorProcessingErr> {
        match start(args.addr, args.token, args.exchange).await {
            Ok(server) => Ok(GatewayState { server: Some(server) }),
            Err(e) => {
                tracing::error!(target: "rollup::prover", addr = %args.addr, error = %e, "prover gateway failed to start");
                Ok(GatewayState { server: None })
            }
        }
    }

    async fn handle(
        &self,
        _myself: ActorRef<GatewayMsg>,
        msg: GatewayMsg,
        state: &mut GatewayState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            GatewayMsg::Addr(reply) => {
                let _ = reply.send(state.server.as_ref().map(|(a, _)| *a));
            }
        }
        Ok(())
    }
}
