//! The RPC server's own accept loop: jsonrpsee's service on HTTP/1.1 connections (WebSocket by
//! upgrade), with the limits jsonrpsee's built-in loop lacks.
//!
//! - **Header read timeout.** A connection must deliver each request's headers within
//!   `rpc.read_timeout_ms`, counted from when the server starts waiting for them, so it also
//!   closes a silent or idle keep-alive connection (geth: `ReadHeaderTimeout`, 30 s). The body has
//!   its own timeout in the HTTP middleware (408).
//! - **Per-IP connections.** One address holds at most `rpc.max_connections_per_ip` sockets; more
//!   get `429` and are closed. Clients that trickle headers or bodies from one address therefore
//!   cannot take every slot, and room stays for others. A WebSocket keeps its socket's count for
//!   its whole life.
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
}

/// Open sockets per remote address.
#[derive(Debug, Default)]
struct PerIp {
    open: Mutex<HashMap<IpAddr, u32>>,
}

/// One counted socket; uncounted when dropped.
#[derive(Debug)]
struct Slot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    /// A slot for `ip`, or `None` if it already holds `max`.
    fn acquire(self: &Arc<Self>, ip: IpAddr, max: u32) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { table: Arc::clone(self), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A socket that holds its per-IP slot for as long as it lives, through a WebSocket upgrade too
/// (hyper moves the IO into the upgraded stream).
struct Counted {
    stream: TcpStream,
    _slot: Slot,
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
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The answer to an address over its limit (jsonrpsee's own wording for a full server).
const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n\
connection: close\r\ncontent-length: 58\r\n\r\nToo many connections from this address. Try again later.\r\n";

/// Answers 429 and closes, reading what the client already sent so the close is not a reset
/// that could hide the answer. Bounded to a second in all.
async fn refuse(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(TOO_MANY).await?;
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
                    tracing::debug!(error = %e, "rpc accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ip = remote.ip().to_canonical();
        let Some(slot) = per_ip.acquire(ip, limits.per_ip) else {
            tracing::debug!(%ip, limit = limits.per_ip, "rpc connection refused: per-IP limit");
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(make());
        let stop = stop.clone();
        tokio::spawn(async move {
            let io = TokioIo::new(Counted { stream, _slot: slot });
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
                tracing::debug!(error = %e, %remote, "rpc connection ended");
            }
        });
    }
}
