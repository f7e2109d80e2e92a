//! Limits and hostile clients: batch, body and block-range limits, stalled and oversized bodies,
//! connection slots per address, trickled headers, and clients that never read their answers.

use super::error_message;
use crate::support::{raw_call, tmp_dir, DevNode};
use alloy::primitives::Bytes;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn limits_are_enforced() {
    let node = DevNode::start(
        &tmp_dir("rpc-limits"),
        &[
            "rpc.max_batch_requests=3",
            "rpc.max_request_body_bytes=200000",
            "rpc.max_logs_block_range=2",
        ],
    );
    let url = &node.l2_url;
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let ok = raw_call(url, json!([one, one, one])).await;
    assert_eq!(ok.as_array().unwrap().len(), 3);
    let too_many = raw_call(url, json!([one, one, one, one])).await;
    assert!(
        too_many.to_string().contains("exceeded") || too_many["error"].is_object(),
        "{too_many}"
    );
    let client = alloy::transports::http::reqwest::Client::new();
    let big = json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[Bytes::from(vec![1u8; 150_000])]});
    let resp = client.post(url).json(&big).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 413, "request body over the limit");
    let resp = raw_call(url, json!({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"0x5"}]})).await;
    assert_eq!(resp["error"]["code"], -32005, "{resp}");
    assert!(error_message(&resp).contains("max block range 2"));
}

/// Clients that send headers and then stall their bodies hold no call slot: bodies are read
/// whole before a request takes one, so other clients are served meanwhile; past
/// `rpc.read_timeout_ms` a stalled body gets 408 and its connection is closed. A chunked body
/// over `rpc.max_request_body_bytes` gets 413, as an announced one does.
#[tokio::test(flavor = "multi_thread")]
async fn stalled_and_oversized_request_bodies_are_refused_without_holding_slots() {
    use tokio::io::AsyncWriteExt;
    let node = DevNode::start(
        &tmp_dir("rpc-slow-body"),
        &["rpc.max_connections=9", "rpc.read_timeout_ms=1000", "rpc.max_request_body_bytes=200000"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut stalled = Vec::new();
    for _ in 0..6 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Six stalled bodies and nine slots, the last kept for addresses with few sockets: two more
    // clients from the same address at once are served.
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let client = alloy::transports::http::reqwest::Client::new();
    let (a, b) = tokio::join!(
        client.post(&node.l2_url).json(&one).send(),
        client.post(&node.l2_url).json(&one).send()
    );
    assert!(a.unwrap().status().is_success() && b.unwrap().status().is_success());
    // Past the read timeout each stalled client has its 408, and the connection is closed.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for s in &mut stalled {
        let answer = read_some(s, std::time::Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "a stalled body gets 408: {answer}");
        assert!(answer.contains("request body not received within 1000 ms"), "{answer}");
    }
    // A chunked body that grows past the limit: 413, though no length was announced.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("8000\r\n{}\r\n", " ".repeat(0x8000));
    for _ in 0..8 {
        if s.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let answer = read_some(&mut s, std::time::Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "an oversized chunked body gets 413: {answer}");
    // An announced one too, before any body is sent.
    let resp = client
        .post(&node.l2_url)
        .header("content-type", "application/json")
        .body(" ".repeat(250_000))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.2 plays another host).
pub(super) async fn connect_from(from: &str, addr: &str) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    sock.connect(addr.parse().unwrap()).await.unwrap()
}

/// What the server sends on `s` within `wait` (empty if nothing, or if it closed).
async fn read_some(s: &mut tokio::net::TcpStream, wait: std::time::Duration) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        _ => String::new(),
    }
}

/// The bytes the server sends on `s` within `wait`.
async fn read_some_bytes(s: &mut tokio::net::TcpStream, wait: std::time::Duration) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 256];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => buf[..n].to_vec(),
        _ => Vec::new(),
    }
}

/// Slow clients from one address cannot lock others out, and trickled headers time out:
/// - one address holds at most `rpc.max_connections_per_ip` sockets (more get 429), so a client
///   from another address is served while it stalls request bodies on all it may hold;
/// - a WebSocket keeps its socket counted after the upgrade;
/// - a keep-alive connection that trickles its next request's headers is closed after
///   `rpc.read_timeout_ms` (it was served forever before).
#[tokio::test(flavor = "multi_thread")]
async fn one_address_cannot_take_every_slot_and_trickled_headers_time_out() {
    use tokio::io::AsyncWriteExt;
    let node = DevNode::start(
        &tmp_dir("rpc-slowloris"),
        &["rpc.max_connections=6", "rpc.max_connections_per_ip=3", "rpc.read_timeout_ms=1500"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let client = alloy::transports::http::reqwest::Client::new();
    let stall = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
    );

    // 127.0.0.2 stalls bodies on six connections: three are held, three refused with 429.
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..6 {
        let mut s = connect_from("127.0.0.2", &addr).await;
        s.write_all(stall.as_bytes()).await.unwrap();
        let answer = read_some(&mut s, std::time::Duration::from_millis(300)).await;
        if answer.starts_with("HTTP/1.1 429") {
            refused += 1;
        } else {
            assert!(answer.is_empty(), "a held connection gets no answer yet: {answer}");
            held.push(s);
        }
    }
    assert_eq!((held.len(), refused), (3, 3), "three held, three refused");
    // Meanwhile another address is served at once.
    let started = std::time::Instant::now();
    let resp = client.post(&node.l2_url).json(&one).send().await.unwrap();
    assert!(resp.status().is_success(), "another client is served: {:?}", resp.status());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    drop(held);

    // A WebSocket holds its socket's count: three upgrades from 127.0.0.2 fill its share.
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut sockets = Vec::new();
    while sockets.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "the stalled sockets were never released");
        let mut ws = connect_from("127.0.0.2", &addr).await;
        ws.write_all(upgrade.as_bytes()).await.unwrap();
        let answer = read_some(&mut ws, std::time::Duration::from_secs(1)).await;
        if answer.starts_with("HTTP/1.1 101") {
            sockets.push(ws);
        } else {
            // The server has not yet seen the stalled sockets close.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut extra = connect_from("127.0.0.2", &addr).await;
    extra.write_all(stall.as_bytes()).await.unwrap();
    let answer = read_some(&mut extra, std::time::Duration::from_secs(1)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "upgraded sockets still count: {answer}");
    // The WebSocket server answers a close frame with a close frame (RFC 6455 5.5.1).
    let ws = &mut sockets[0];
    ws.write_all(&[0x88, 0x80, 0, 0, 0, 0]).await.unwrap(); // FIN + close, masked, empty
                                                            // Frames from the server (unmasked, short): skip pings, find the close.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut frames = Vec::new();
    let closed = loop {
        let mut rest = &frames[..];
        let mut found = false;
        while rest.len() >= 2 && rest.len() >= 2 + usize::from(rest[1] & 0x7f) {
            found |= rest[0] == 0x88;
            rest = &rest[2 + usize::from(rest[1] & 0x7f)..];
        }
        if found || std::time::Instant::now() > deadline {
            break found;
        }
        frames.extend(read_some_bytes(ws, std::time::Duration::from_millis(500)).await);
    };
    assert!(closed, "a close frame back: {frames:?}");
    drop((sockets, extra));

    // A keep-alive connection (from 127.0.0.1) that trickles its second request's headers, a
    // line every 200 ms, is closed by the server within the read timeout.
    let body = one.to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let first = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(first.as_bytes()).await.unwrap();
    let answer = read_some(&mut s, std::time::Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "the first request is served: {answer}");
    s.write_all(b"POST / HTTP/1.1\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let closed_after = loop {
        if started.elapsed() > std::time::Duration::from_secs(6) {
            panic!("a connection trickling its headers was still open after 6 s");
        }
        let line = s.write_all(b"X-Slow: 1\r\n").await;
        let got = read_some(&mut s, std::time::Duration::from_millis(200)).await;
        if line.is_err() || !got.is_empty() || {
            // read_some maps EOF to "": tell EOF from "nothing yet" by peeking.
            let mut b = [0u8; 1];
            matches!(
                tokio::time::timeout(std::time::Duration::from_millis(1), s.peek(&mut b)).await,
                Ok(Ok(0)) | Ok(Err(_))
            )
        } {
            break started.elapsed();
        }
    };
    assert!(
        closed_after >= std::time::Duration::from_millis(1000),
        "closed only once the header time had passed: {closed_after:?}"
    );
    eprintln!("trickled headers: connection closed after {closed_after:?}");
}

/// A few addresses cannot fill the server: the last tenth of `rpc.max_connections` goes only to
/// addresses holding fewer than four sockets. Before, two addresses with 500 idle WebSockets
/// each took all 1,000 slots and every other client got 429.
#[tokio::test(flavor = "multi_thread")]
async fn the_last_slots_are_kept_for_new_clients() {
    let node = DevNode::start(
        &tmp_dir("rpc-slot-reserve"),
        &["rpc.max_connections=20", "rpc.max_connections_per_ip=20"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    // Idle sockets from one address (each holds its slot until the header timeout).
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..20 {
        let mut s = connect_from("127.0.0.7", &addr).await;
        if read_some(&mut s, std::time::Duration::from_millis(200))
            .await
            .starts_with("HTTP/1.1 429")
        {
            refused += 1;
        } else {
            held.push(s);
        }
    }
    assert_eq!((held.len(), refused), (18, 2), "the last two slots are kept");
    // A new address is served in them.
    let client = alloy::transports::http::reqwest::Client::builder()
        .local_address("127.0.0.8".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let one = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]});
    let resp = client.post(&node.l2_url).json(&one).send().await.unwrap();
    assert!(resp.status().is_success(), "a new client is served: {:?}", resp.status());
}

/// A client that sends requests but never reads their answers: once the socket buffers are full
/// the server's write makes no progress, and after `rpc.write_timeout_ms` the connection is
/// closed and its slot freed (with one slot per address here, a new client from the same
/// address is served).
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_reads_its_answers_is_closed_and_its_slot_freed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = DevNode::start(
        &tmp_dir("rpc-write-stall"),
        &["rpc.max_connections_per_ip=1", "rpc.write_timeout_ms=1000"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.bind("127.0.0.3:0".parse().unwrap()).unwrap();
    let stalled = sock.connect(addr.parse().unwrap()).await.unwrap();
    let (mut never_read, mut writer) = stalled.into_split();
    // Pipelined batches whose answers (about 6 kB each) the client never reads.
    let one = json!({"jsonrpc":"2.0","id":1,"method":"web3_clientVersion","params":[]});
    let body = Value::Array(vec![one; 60]).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let writing = tokio::spawn(async move {
        // Until the server stops reading (its answers are stuck) or closes the connection.
        let mut sent = 0usize;
        loop {
            let w = tokio::time::timeout(
                std::time::Duration::from_millis(500),
                writer.write_all(request.as_bytes()),
            )
            .await;
            match w {
                Ok(Ok(())) => sent += 1,
                _ => break (sent, writer),
            }
        }
    });
    let (sent, _writer) = writing.await.unwrap();
    let stalled_at = std::time::Instant::now();
    assert!(sent > 10, "the server read a few requests first: {sent}");
    // While the write is stuck, the address's one slot is held.
    let mut other = connect_from("127.0.0.3", &addr).await;
    let b = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}).to_string();
    let ask = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
        b.len()
    );
    other.write_all(ask.as_bytes()).await.unwrap();
    let answer = read_some(&mut other, std::time::Duration::from_secs(1)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "the stalled socket holds the slot: {answer}");
    // Within about the write timeout the stalled connection is closed and the slot is free.
    let served_after = loop {
        assert!(
            stalled_at.elapsed() < std::time::Duration::from_secs(8),
            "no new client served 8 s after the write stalled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut s = connect_from("127.0.0.3", &addr).await;
        if s.write_all(ask.as_bytes()).await.is_err() {
            continue;
        }
        let answer = read_some(&mut s, std::time::Duration::from_secs(1)).await;
        if answer.starts_with("HTTP/1.1 200") {
            break stalled_at.elapsed();
        }
    };
    eprintln!("write stall: a new client served {served_after:?} after the client stopped reading");
    // The stalled socket was closed: reading it now ends (EOF or reset) once what the server
    // had sent before closing is drained.
    let mut buf = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match never_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled socket is still open");
}
