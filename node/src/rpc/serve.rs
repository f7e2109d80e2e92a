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
//!   others: the last tenth of the slots only goes to addresses holding fewer than
//!   [`FEW_SOCKETS`]. A WebSocket keeps its socket's count for its whole life.
//! - **Whole bodies.** [`ReadBodyLayer`] reads each request body completely, within
//!   `rpc.read_timeout_ms` (else `408`) and `rpc.max_request_body_bytes` (else `413`, chunked
//!   bodies too), before jsonrpsee sees the request, so a slow body never holds a call slot.
//! - **WebSocket request ids.** Once a connection has written its `101` answer, its bytes in both
//!   directions are read as WebSocket frames and rewritten for request ids jsonrpsee cannot take
//!   ([`super::frames`], [`super::ids`]).
//!
//! HTTP/2 without TLS (h2c) is not served, as geth does not serve it either.

use hyper_util::rt::{TokioIo, TokioTimer};
use jsonrpsee::server::StopHandle;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// Time a client has to take the bytes the server has for it.
    pub(super) write_timeout: Duration,
    /// Sockets one IP address may hold open.
    pub(super) per_ip: u32,
    /// Sockets open in all (`rpc.max_connections`).
    pub(super) total: u32,
    /// The largest WebSocket text frame from a client held whole to swap its ids
    /// (`rpc.max_request_body_bytes`; jsonrpsee refuses larger messages anyway).
    pub(super) ws_max_in: usize,
    /// The largest text frame to a client held whole to put ids back (a batch's answer may pass
    /// `rpc.max_response_body_bytes` by one result plus its `-32003` errors).
    pub(super) ws_max_out: usize,
    /// A WebSocket's answers not yet taken by its socket past which its messages are not read
    /// (`rpc.max_response_body_bytes`).
    pub(super) ws_unread: u64,
}

/// One client connection, as each call on it sees it (in the request's extensions): what the
/// per-connection limits count.
#[derive(Debug)]
pub(super) struct Conn {
    /// The address it counts against (its /64 for IPv6).
    pub(super) ip: IpAddr,
    /// Calls received and not yet answered (a batch counts one).
    pub(super) in_flight: AtomicUsize,
    /// Bytes of WebSocket answers made and not yet taken by the socket (frames the socket takes
    /// count against it, notifications too, so it errs low, never high).
    pub(super) unsent: AtomicU64,
    /// Past this many unsent bytes the socket stops reading the client's next messages.
    unread_limit: u64,
    /// The socket's reader, waiting for the client to read its answers.
    reader: Mutex<Option<std::task::Waker>>,
}

impl Conn {
    pub(super) fn new(ip: IpAddr, unread_limit: u64) -> Self {
        Self {
            ip,
            in_flight: AtomicUsize::new(0),
            unsent: AtomicU64::new(0),
            unread_limit,
            reader: Mutex::new(None),
        }
    }

    /// `n` more bytes taken by the socket (or an answer's bytes taken back); wakes the reader
    /// once the unread bytes are back under the limit.
    pub(super) fn sent(&self, n: usize) {
        let n = n as u64;
        let before = self
            .unsent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| Some(u.saturating_sub(n)))
            .unwrap_or_default();
        if before.saturating_sub(n) <= self.unread_limit {
            if let Some(w) = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take() {
                w.wake();
            }
        }
    }

    /// Whether the client has more answers unread than its limit; if so, `cx` is woken once
    /// it has not.
    fn backed_up(&self, cx: &Context<'_>) -> bool {
        if self.unsent.load(Ordering::Relaxed) <= self.unread_limit {
            return false;
        }
        *self.reader.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        self.unsent.load(Ordering::Relaxed) > self.unread_limit
    }
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

/// Sockets an address may hold and still take one of the slots kept for new clients.
const FEW_SOCKETS: u32 = 4;

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
        let total = open.total;
        let n = open.by_ip.entry(ip).or_insert(0);
        if *n >= limits.per_ip {
            return Err("rpc.max_connections_per_ip");
        }
        // The last tenth of the slots is kept for addresses that hold few, so a handful of
        // addresses cannot fill the server and lock every new client out.
        let reserve = (limits.total / 10).max(1);
        if total >= limits.total.saturating_sub(reserve) && *n >= FEW_SOCKETS {
            return Err("rpc.max_connections (the last tenth is kept for new clients)");
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

/// A socket with a deadline on the bytes the server has for the client.
struct Sock {
    stream: TcpStream,
    /// How long the client may take to read what the server has written, from the first write
    /// that had to wait until a flush finds everything taken.
    stall_limit: Duration,
    /// Running from the first write that waited; progress does not reset it, a completed
    /// flush ([`Sock::caught_up`]) does.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Sock {
    /// `poll` of a write, failing with `TimedOut` once the client has not caught up with the
    /// server's bytes for `stall_limit`, so a client that never reads its answers, or reads a
    /// few bytes at a time, cannot hold its socket, the buffered answers and a graceful shutdown
    /// for long (geth: a write deadline).
    fn with_stall_limit<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if let Some(timer) = self.stalled.as_mut() {
            if std::future::Future::poll(timer.as_mut(), cx).is_ready() {
                return Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client did not read its answers within the write timeout",
                )));
            }
        }
        match poll(Pin::new(&mut self.stream), cx) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => {
                let limit = self.stall_limit;
                let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match std::future::Future::poll(timer.as_mut(), cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client did not read its answers within the write timeout",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl Sock {
    /// Everything written has been taken: the write deadline stops.
    fn caught_up(&mut self) {
        self.stalled = None;
    }
}

/// The start of the answer that turns a connection into a WebSocket.
const SWITCHING: &[u8] = b"HTTP/1.1 101 ";

/// Rewritten server bytes held before the socket takes them, past which a write waits.
const WS_BACKLOG: usize = 256 * 1024;

/// A WebSocket's frames in both directions, rewritten for request ids jsonrpsee cannot take
/// ([`super::frames`]).
struct WsIds {
    inbound: super::frames::Frames,
    outbound: super::frames::Frames,
    /// Client bytes, rewritten, not yet read by the server (from `read_at`).
    read_ready: Vec<u8>,
    read_at: usize,
    /// Server bytes, rewritten, not yet taken by the socket (from `write_at`).
    write_ready: Vec<u8>,
    write_at: usize,
    /// Placeholder ids sent to the server whose answers have not yet gone out.
    outstanding: usize,
}

impl WsIds {
    fn new(limits: &Limits) -> Self {
        Self {
            inbound: super::frames::Frames::new(true, limits.ws_max_in),
            outbound: super::frames::Frames::new(false, limits.ws_max_out),
            read_ready: Vec::new(),
            read_at: 0,
            write_ready: Vec::new(),
            write_at: 0,
            outstanding: 0,
        }
    }

    /// Writes what is ready to the socket; ready once all of it is taken.
    fn drain(
        &mut self,
        sock: &mut Sock,
        conn: &Conn,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        while self.write_at < self.write_ready.len() {
            let rest = &self.write_ready[self.write_at..];
            let n = std::task::ready!(sock.with_stall_limit(cx, |s, cx| s.poll_write(cx, rest)))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.write_at += n;
            conn.sent(n);
        }
        super::frames::empty(&mut self.write_ready);
        self.write_at = 0;
        Poll::Ready(Ok(()))
    }
}

/// A socket that holds its per-IP slot for as long as it lives, through a WebSocket upgrade too
/// (hyper moves the IO into the upgraded stream). Once it has written the `101` answer, its bytes
/// in both directions are WebSocket frames, read through [`WsIds`].
struct Counted {
    sock: Sock,
    _slot: Slot,
    /// What the calls on this connection count (its answers' bytes leave through here).
    conn: Arc<Conn>,
    limits: Limits,
    /// Bytes of a `101` answer still to be written; the WebSocket starts after them.
    upgrade_head_left: usize,
    ws: Option<Box<WsIds>>,
    /// Running while reading is paused for a client that does not read its answers.
    read_paused: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Counted {
    /// A write before the WebSocket starts (plain HTTP, or the `101` answer).
    fn write_http(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.upgrade_head_left == 0 && buf.starts_with(SWITCHING) {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                self.upgrade_head_left = end + 4;
            }
        }
        if self.upgrade_head_left == 0 {
            return self.sock.with_stall_limit(cx, |s, cx| s.poll_write(cx, buf));
        }
        let head = &buf[..buf.len().min(self.upgrade_head_left)];
        let n = std::task::ready!(self.sock.with_stall_limit(cx, |s, cx| s.poll_write(cx, head)))?;
        self.upgrade_head_left -= n;
        if self.upgrade_head_left == 0 {
            self.ws = Some(Box::new(WsIds::new(&self.limits)));
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let Some(ws) = this.ws.as_deref_mut() else {
            return Pin::new(&mut this.sock.stream).poll_read(cx, buf);
        };
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            if ws.read_at < ws.read_ready.len() {
                let n = (ws.read_ready.len() - ws.read_at).min(buf.remaining());
                buf.put_slice(&ws.read_ready[ws.read_at..ws.read_at + n]);
                ws.read_at += n;
                if ws.read_at == ws.read_ready.len() {
                    super::frames::empty(&mut ws.read_ready);
                    ws.read_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            // A client with more answers unread than its limit is not read from (its TCP window
            // closes) until it reads them, or, past the write timeout, is closed.
            if this.conn.backed_up(cx) {
                let limit = this.limits.write_timeout;
                let timer =
                    this.read_paused.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if std::future::Future::poll(timer.as_mut(), cx).is_ready() {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client did not read its answers within the write timeout",
                    )));
                }
                return Poll::Pending;
            }
            this.read_paused = None;
            let mut raw = [0u8; 16 * 1024];
            let mut got = ReadBuf::new(&mut raw);
            std::task::ready!(Pin::new(&mut this.sock.stream).poll_read(cx, &mut got))?;
            let got = got.filled();
            if got.is_empty() {
                // The end: an incomplete frame goes on as it is, for jsonrpsee to refuse.
                ws.read_ready = ws.inbound.take_pending();
                ws.read_at = 0;
                if ws.read_ready.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            let outstanding = &mut ws.outstanding;
            ws.inbound.feed(got, &mut ws.read_ready, true, |payload| {
                let (new, n) = super::ids::rewrite_message(payload, true)?;
                *outstanding += n;
                Some(new)
            });
        }
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let Some(ws) = this.ws.as_deref_mut() else { return this.write_http(cx, buf) };
        if ws.write_ready.len() - ws.write_at >= WS_BACKLOG {
            std::task::ready!(ws.drain(&mut this.sock, &this.conn, cx))?;
        }
        // Take no more than the backlog has room for (a partial write; the writer comes back
        // for the rest), so a large message is not copied here whole unless it must be held.
        let room = WS_BACKLOG - (ws.write_ready.len() - ws.write_at);
        let buf = &buf[..buf.len().min(room)];
        // Answers are held whole only while some id is out for swapping back. The count only
        // goes down when a placeholder comes back: one whose answer never carries it (a batch
        // refused whole, with id null) keeps text frames held, which costs a copy, for the rest
        // of that socket.
        let hold = ws.outstanding > 0;
        let outstanding = &mut ws.outstanding;
        let conn = &this.conn;
        ws.outbound.feed(buf, &mut ws.write_ready, hold, |payload| {
            let (new, n) = super::ids::rewrite_message(payload, false)?;
            *outstanding = outstanding.saturating_sub(n);
            // The answer was counted with its placeholder ids; the socket takes it shorter.
            conn.sent(payload.len().saturating_sub(new.len()));
            Some(new)
        });
        // Send what it can now; the rest goes with the next write or flush.
        if let Poll::Ready(Err(e)) = ws.drain(&mut this.sock, &this.conn, cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some(ws) = this.ws.as_deref_mut() {
            std::task::ready!(ws.drain(&mut this.sock, &this.conn, cx))?;
        }
        std::task::ready!(this.sock.with_stall_limit(cx, |s, cx| s.poll_flush(cx)))?;
        this.sock.caught_up();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some(ws) = this.ws.as_deref_mut() {
            std::task::ready!(ws.drain(&mut this.sock, &this.conn, cx))?;
        }
        Pin::new(&mut this.sock.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
        if self.ws.is_some() || self.upgrade_head_left > 0 || first.starts_with(SWITCHING) {
            return self.poll_write(cx, first);
        }
        self.sock.with_stall_limit(cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.sock.stream.is_write_vectored()
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
        let conn = Arc::new(Conn::new(ip, limits.ws_unread));
        let service = {
            let conn = conn.clone();
            tower::ServiceBuilder::new()
                .map_request(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(conn.clone());
                    req
                })
                .service(make())
        };
        let service = hyper_util::service::TowerToHyperService::new(service);
        let stop = stop.clone();
        tokio::spawn(async move {
            let sock = Sock { stream, stall_limit: limits.write_timeout, stalled: None };
            let counted = Counted {
                sock,
                _slot: slot,
                conn,
                limits,
                upgrade_head_left: 0,
                ws: None,
                read_paused: None,
            };
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
            let mut swapped = false;
            if !upgrade {
                parts.extensions.insert(super::precheck::PlainHttp);
                if let Some((new, _)) = super::ids::rewrite_message(&bytes, true) {
                    bytes = new.into();
                    swapped = true;
                }
            }
            let body = jsonrpsee::server::HttpBody::new(http_body_util::Full::new(bytes));
            let resp = inner.call(http::Request::from_parts(parts, body)).await?;
            if !swapped {
                return Ok(resp);
            }
            // Put the client's own ids back into the answer.
            let (mut parts, body) = resp.into_parts();
            let answer = body.collect().await?.to_bytes();
            let answer = match super::ids::rewrite_message(&answer, false) {
                Some((back, _)) => back,
                None => answer.to_vec(),
            };
            parts.headers.remove(http::header::CONTENT_LENGTH);
            Ok(http::Response::from_parts(parts, jsonrpsee::server::HttpBody::from(answer)))
        })
    }
}
