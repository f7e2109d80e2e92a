//! The RPC server's own accept loop: jsonrpsee's service on HTTP/1.1 connections (WebSocket by
//! upgrade), with the limits jsonrpsee's built-in loop lacks.
//!
//! - **Header read timeout.** A connection must deliver each request's headers within
//!   `rpc.read_timeout_ms`, counted from when the server starts waiting for them, so it also
//!   closes a silent or idle keep-alive connection (geth: `ReadHeaderTimeout`, 30 s). The body has
//!   its own timeout in the HTTP middleware (408).
//! - **Connections.** The server holds at most `rpc.max_connections` sockets, and one address at
//!   most `rpc.max_connections_per_ip`; more get `429` and are closed. Clients that trickle
//!   headers or bodies from one address therefore cannot take every slot, and room stays for
//!   others. A WebSocket keeps its socket's count for its whole life.
//! - **Whole bodies.** [`ReadBodyLayer`] reads each request body completely, within
//!   `rpc.read_timeout_ms` (else `408`) and `rpc.max_request_body_bytes` (else `413`, chunked
//!   bodies too), before jsonrpsee sees the request, so a slow body never holds a call slot.
//!
//! HTTP/2 without TLS (h2c) is not served, as geth does not serve it either.

use hyper_util::rt::{TokioIo, TokioTimer};
use jsonrpsee::server::StopHandle;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn StdError + Send + Sync>;

/// What the accept loop enforces.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Time to receive a request's headers.
    pub(super) header_timeout: Duration,
    /// Sockets one IP address may hold open.
    pub(super) per_ip: u32,
    /// Sockets open in all (`rpc.max_connections`).
    pub(super) total: u32,
}

/// Open sockets per remote address, and in all.
#[derive(Debug, Default)]
struct PerIp {
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    by_ip: HashMap<IpAddr, u32>,
    total: u32,
}

/// The address a socket counts against: IPv4 as it is, IPv6 by its /64 (one host usually holds
/// a whole /64, so per-address counting would be no limit there).
fn share_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// One counted socket; uncounted when dropped.
#[derive(Debug)]
struct Slot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    /// A slot for `ip`, or why there is none: the address or the server is at its limit.
    fn acquire(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Result<Slot, &'static str> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= limits.total {
            return Err("rpc.max_connections");
        }
        let n = open.by_ip.entry(ip).or_insert(0);
        if *n >= limits.per_ip {
            return Err("rpc.max_connections_per_ip");
        }
        *n += 1;
        open.total += 1;
        Ok(Slot { table: Arc::clone(self), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

/// A socket that holds its per-IP slot for as long as it lives, through a WebSocket upgrade too
/// (hyper moves the IO into the upgraded stream).
struct Counted {
    stream: TcpStream,
    _slot: Slot,
    /// How long a write may make no progress (the client stopped reading) before it fails.
    stall_limit: Duration,
    /// Running while a write waits; reset on progress.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Counted {
    /// `poll` of a write, failing with `TimedOut` once it has waited `stall_limit` without
    /// progress, so a client that sends requests but never reads their answers cannot hold its
    /// socket, the buffered answers and a graceful shutdown forever.
    fn with_stall_limit<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        match poll(Pin::new(&mut self.stream), cx) {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let limit = self.stall_limit;
                let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match std::future::Future::poll(timer.as_mut(), cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client read nothing for the write timeout",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.with_stall_limit(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.with_stall_limit(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.with_stall_limit(cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The answer to a connection over a limit.
const TOO_MANY_BODY: &str = "Too many connections. Try again later.";

/// The whole 429 answer, its length taken from the body.
fn too_many() -> String {
    format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n{TOO_MANY_BODY}",
        TOO_MANY_BODY.len()
    )
}

/// Refused connections answered at once; more are closed without an answer.
const MAX_REFUSING: usize = 256;

/// Answers 429 and closes, reading what the client already sent so the close is not a reset
/// that could hide the answer. Bounded to a second in all.
async fn refuse(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(too_many().as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Accepts connections on `listener` until `stop` fires, serving each with a service from
/// `make` (one per connection). Open connections finish their requests on stop.
pub(super) async fn accept_loop<M, S, B>(
    listener: TcpListener,
    make: M,
    stop: StopHandle,
    limits: Limits,
) where
    M: Fn() -> S,
    S: tower::Service<http::Request<hyper::body::Incoming>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let per_ip = Arc::new(PerIp::default());
    // Refused sockets linger up to a second to carry their 429; past this many at once (a
    // connection flood) they are closed at once, so refusals cannot use up file descriptors.
    let refusals = Arc::new(tokio::sync::Semaphore::new(MAX_REFUSING));
    let stopped = stop.clone().shutdown();
    tokio::pin!(stopped);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a
                    // little rather than spin, then go on.
                    tracing::debug!(target: "rollup::rpc", error = %e, "rpc accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ip = share_key(remote.ip());
        let slot = match per_ip.acquire(ip, &limits) {
            Ok(slot) => slot,
            Err(limit) => {
                tracing::debug!(target: "rollup::rpc", %ip, limit, "rpc connection refused");
                if let Ok(turn) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(turn);
                    });
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(make());
        let stop = stop.clone();
        tokio::spawn(async move {
            let counted =
                Counted { stream, _slot: slot, stall_limit: limits.header_timeout, stalled: None };
            let io = TokioIo::new(counted);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
            let conn = builder.serve_connection(io, service).with_upgrades();
            let stopped = stop.shutdown();
            tokio::pin!(conn, stopped);
            let served = tokio::select! {
                r = &mut conn => r,
                _ = &mut stopped => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = served {
                tracing::debug!(target: "rollup::rpc", error = %e, %remote, "rpc connection ended");
            }
        });
    }
}

/// Reads a request's whole body before the inner service sees it: within `timeout` of its
/// headers (else `408 Request Timeout`) and at most `max` bytes (else `413 Payload Too Large`,
/// whether announced by `Content-Length` or found while reading a chunked body). Both answers
/// close the connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadBodyLayer {
    pub(super) timeout: Duration,
    pub(super) max: usize,
}

impl<S> tower::Layer<S> for ReadBodyLayer {
    type Service = ReadBody<S>;

    fn layer(&self, inner: S) -> ReadBody<S> {
        ReadBody { inner, limits: *self }
    }
}

/// The service of [`ReadBodyLayer`].
#[derive(Debug, Clone)]
pub(super) struct ReadBody<S> {
    inner: S,
    limits: ReadBodyLayer,
}

fn refusal(status: http::StatusCode, text: String) -> jsonrpsee::server::HttpResponse {
    let mut resp = http::Response::new(jsonrpsee::server::HttpBody::from(text));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    headers.insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    resp
}

impl<S, B> tower::Service<http::Request<B>> for ReadBody<S>
where
    S: tower::Service<
            http::Request<jsonrpsee::server::HttpBody>,
            Response = jsonrpsee::server::HttpResponse,
            Error = BoxError,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = jsonrpsee::server::HttpResponse;
    type Error = BoxError;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        use http_body_util::BodyExt;
        // The clone is the ready one (tower's usual swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let ReadBodyLayer { timeout, max } = self.limits;
        Box::pin(async move {
            // As jsonrpsee tells a WebSocket handshake (`Connection: upgrade` too).
            let upgrade = jsonrpsee::server::ws::is_upgrade_request(&req);
            let (parts, body) = req.into_parts();
            let too_large = || {
                refusal(
                    http::StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over rpc.max_request_body_bytes ({max} bytes)"),
                )
            };
            let announced = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if announced.is_some_and(|n| n > max as u64) {
                return Ok(too_large());
            }
            let limited = http_body_util::Limited::new(body, max);
            let bytes = match tokio::time::timeout(timeout, limited.collect()).await {
                Err(_) => {
                    return Ok(refusal(
                        http::StatusCode::REQUEST_TIMEOUT,
                        format!("request body not received within {} ms", timeout.as_millis()),
                    ))
                }
                Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Ok(too_large()),
                Ok(Err(e)) => {
                    return Ok(refusal(
                        http::StatusCode::BAD_REQUEST,
                        format!("reading the request body failed: {e}"),
                    ))
                }
                Ok(Ok(collected)) => collected.to_bytes(),
            };
            let mut parts = parts;
            let mut bytes = bytes;
            let mut swapped = super::ids::Swapped::default();
            if !upgrade {
                parts.extensions.insert(super::precheck::PlainHttp);
                if super::ids::may_have_odd_id(&bytes) {
                    let (new, ids) = super::ids::swap_out(&bytes);
                    if let Some(new) = new {
                        bytes = new.into();
                        swapped = ids;
                    }
                }
            }
            let body = jsonrpsee::server::HttpBody::new(http_body_util::Full::new(bytes));
            let resp = inner.call(http::Request::from_parts(parts, body)).await?;
            if swapped.is_empty() {
                return Ok(resp);
            }
            // Put the client's own ids back into the answer.
            let (mut parts, body) = resp.into_parts();
            let answer = body.collect().await?.to_bytes();
            let answer =
                super::ids::swap_back(&answer, &swapped).unwrap_or_else(|| answer.to_vec());
            parts.headers.remove(http::header::CONTENT_LENGTH);
            Ok(http::Response::from_parts(parts, jsonrpsee::server::HttpBody::from(answer)))
        })
    }
}
