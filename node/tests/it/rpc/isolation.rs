//! Sequencing isolated from RPC load, and every connection held to bounds in bytes and calls
//! (hostile clients, round 2): a flood of slow calls over WebSockets, calls past a connection's
//! in-flight cap, answers a client never reads, revert data past the response limit, filter
//! criteria and filter slots.

use super::{
    call, eip1559, error_message, result, send_raw, sign, ws_connect, ws_handshake, ws_next_text,
    ws_text, BOB,
};
use crate::support::{raw_call, tmp_dir, DevNode};
use alloy::primitives::{Address, Bytes};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// BLAKE2F (precompile 9) input for `rounds` rounds: its gas, and its time, grow with them, and
/// one precompile call is one EVM step (the step deadline cannot cut it short).
fn blake2f(rounds: u32) -> Bytes {
    let mut input = rounds.to_be_bytes().to_vec();
    input.extend_from_slice(&[0u8; 64 + 128 + 16]);
    input.push(1);
    input.into()
}

fn blake2f_call(rounds: u32) -> Value {
    json!({"from": BOB, "to": "0x0000000000000000000000000000000000000009",
           "data": blake2f(rounds), "gas": "0x2faf080"})
}

/// Sends a transfer with `nonce` (dev account 2) and returns how long it took to be included
/// (its receipt readable).
async fn transfer_latency(url: &str, nonce: u64) -> Duration {
    let raw = sign(eip1559(nonce));
    let started = Instant::now();
    let hash = result(send_raw(url, &raw).await);
    loop {
        let r = call(url, "eth_getTransactionReceipt", json!([hash])).await;
        if !r["result"].is_null() {
            assert_eq!(r["result"]["status"], "0x1", "{r}");
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "transfer {nonce} not included");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A state override giving `address` the runtime `code`.
fn with_code(address: Address, code: &Bytes) -> Value {
    let mut overrides = serde_json::Map::new();
    overrides.insert(address.to_string(), json!({"code": code}));
    Value::Object(overrides)
}

/// Runtime code that reverts (`0xfd`) or returns (`0xf3`) as many zero bytes as its calldata's
/// first word says.
fn zeros_code(op: u8) -> Bytes {
    Bytes::from(vec![0x60, 0x00, 0x35, 0x60, 0x00, op])
}

/// An `eth_call` of `to` (running `code`) for `bytes` zero bytes.
fn zeros_call(id: u64, to: Address, code: &Bytes, bytes: u64) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":"eth_call",
           "params":[{"to": to, "data": format!("0x{bytes:064x}"), "gas": "0x2faf080"},
                     "latest", with_code(to, code)]})
}

/// The inclusion latency of `n` transfers (nonces from 0) on a quiet node.
async fn quiet_latencies(url: &str, n: u64) -> Vec<Duration> {
    let mut out = Vec::new();
    for nonce in 0..n {
        out.push(transfer_latency(url, nonce).await);
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The flood of the second hostile review: WebSockets pipelining `eth_call`s of a slow BLAKE2F
/// precompile call (about 45 ms each). Before, transfers waited 5-21 s, the head stood still for
/// 14.6 s, the node grew to 519 threads and kept working 17.5 s after the client left: the calls
/// ran on tokio's blocking pool, which the sealer shares, and a queued call's deadline started
/// only when it got a thread. Now the calls run on the RPC's own niced threads with a bounded
/// queue and a per-connection cap: transfers keep their latency (within twice their quiet
/// median, nine in ten under a second), threads stay few, and the node is idle once the client
/// is gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_slow_calls_does_not_delay_sealing_and_ends_with_its_client() {
    let node = DevNode::start(&tmp_dir("rpc-flood"), &[]);
    let url = node.l2_url.clone();
    // Calibrate: the rounds that take about 45 ms here.
    let probe = 200_000u32;
    let started = Instant::now();
    let r = call(&url, "eth_call", json!([blake2f_call(probe), "latest"])).await;
    assert!(r.get("error").is_none(), "{r}");
    let per_round = started.elapsed().as_secs_f64() / f64::from(probe);
    let rounds = ((0.045 / per_round) as u32).clamp(10_000, 40_000_000);
    eprintln!("FLOOD: {rounds} BLAKE2F rounds per call (~45 ms)");

    let quiet = quiet_latencies(&url, 8).await;
    let mut nonce = quiet.len() as u64;
    let threads_before = node.threads();

    // Four sockets, each keeping 250 calls in flight (a refused one is sent again 20 ms later).
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut flood = Vec::new();
    for _ in 0..4 {
        let client = jsonrpsee::ws_client::WsClientBuilder::default()
            .max_concurrent_requests(1024)
            .request_timeout(Duration::from_secs(60))
            .build(node.l2_ws())
            .await
            .unwrap();
        let (stop, answered, refused) = (stop.clone(), answered.clone(), refused.clone());
        flood.push(tokio::spawn(async move {
            use jsonrpsee::core::client::ClientT;
            let client = Arc::new(client);
            futures_util::stream::iter(0..)
                .take_while(|_| std::future::ready(!stop.load(Ordering::Relaxed)))
                .map(|_| {
                    let client = client.clone();
                    let (answered, refused) = (answered.clone(), refused.clone());
                    async move {
                        let params = jsonrpsee::rpc_params![blake2f_call(rounds), "latest"];
                        match client.request::<Value, _>("eth_call", params).await {
                            Ok(_) => answered.fetch_add(1, Ordering::Relaxed),
                            Err(_) => {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                refused.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                    }
                })
                .buffer_unordered(250)
                .for_each(|()| async {})
                .await;
            client
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut loaded = Vec::new();
    let mut threads_peak = 0;
    for _ in 0..12 {
        loaded.push(transfer_latency(&url, nonce).await);
        nonce += 1;
        threads_peak = threads_peak.max(node.threads());
    }
    stop.store(true, Ordering::Relaxed);
    let clients: Vec<_> = futures_util::future::join_all(flood).await;
    // The clients go: their sockets close with calls still queued.
    drop(clients);
    let (answered, refused) = (answered.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    let (quiet_median, loaded_median) = (median(quiet.clone()), median(loaded.clone()));
    let loaded_max = loaded.iter().max().copied().unwrap();
    eprintln!(
        "FLOOD: transfers quiet median {quiet_median:?}, under the flood median {loaded_median:?} \
         max {loaded_max:?}; {answered} calls answered, {refused} refused; threads {threads_before} -> {threads_peak}"
    );
    assert!(answered > 50, "the flood ran: {answered} calls answered");
    assert!(
        loaded_median <= quiet_median * 2 + Duration::from_millis(100),
        "transfers slowed by the flood: median {loaded_median:?}, quiet {quiet_median:?}"
    );
    // The other tests' nodes share these two cores at full priority (a neighbour booting its L1
    // and deploying took one transfer to 1.03 s), so one sample may pass a second: nine in ten
    // must not, and none may pass two.
    let mut sorted = loaded.clone();
    sorted.sort();
    let p90 = sorted[sorted.len() * 9 / 10];
    assert!(p90 < Duration::from_secs(1), "transfers waited {p90:?} (p90)");
    assert!(loaded_max < Duration::from_secs(2), "a transfer waited {loaded_max:?}");
    assert!(threads_peak < threads_before + 16, "threads {threads_before} -> {threads_peak}");

    // Calls queued for clients that are gone do not run: the node is idle within a moment.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut quietest = Duration::MAX;
    let mut before = node.cpu_time();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = node.cpu_time();
        quietest = quietest.min(now - before);
        before = now;
    }
    eprintln!("FLOOD: {quietest:?} of node CPU in the quietest second after the clients left");
    assert!(quietest < Duration::from_millis(800), "calls kept running: {quietest:?} a second");
}

/// A connection past `rpc.max_in_flight_per_connection` unanswered calls gets `-32005` with the
/// reason at once, and its other calls are served.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_past_its_in_flight_cap_is_refused_with_the_reason() {
    use tokio::io::AsyncWriteExt;
    let node = DevNode::start(&tmp_dir("rpc-in-flight"), &["rpc.max_in_flight_per_connection=4"]);
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut ws = ws_connect(&addr).await;
    for i in 0..20 {
        let c = json!({"jsonrpc":"2.0","id":i,"method":"eth_call",
                       "params":[blake2f_call(2_000_000), "latest"]});
        ws.write_all(&ws_text(c.to_string().as_bytes())).await.unwrap();
    }
    let (mut ok, mut capped) = (0, 0);
    while ok + capped < 20 {
        let text = ws_next_text(&mut ws, Duration::from_secs(60))
            .await
            .expect("every call is answered")
            .expect("open");
        let a: Value = serde_json::from_str(&text).unwrap();
        if a.get("result").is_some() {
            ok += 1;
        } else {
            assert_eq!(a["error"]["code"], -32005, "{a}");
            assert!(error_message(&a).contains("rpc.max_in_flight_per_connection = 4"), "{a}");
            capped += 1;
        }
    }
    assert!(ok >= 4 && capped >= 10, "{ok} answered, {capped} refused");
}

/// Revert data counts against `rpc.max_response_body_bytes` as results do. Before, 100
/// `eth_call`s reverting with 5 MB each made a 1 GB answer to a 9 KB batch.
#[tokio::test(flavor = "multi_thread")]
async fn revert_data_counts_against_the_response_limit() {
    let limit = 1 << 20;
    let node = DevNode::start(
        &tmp_dir("rpc-revert-size"),
        &[&format!("rpc.max_response_body_bytes={limit}")],
    );
    let url = &node.l2_url;
    let reverter = Address::repeat_byte(0xee);
    let code = zeros_code(0xfd);
    // One revert over the limit: -32008, not its data.
    let one = raw_call(url, zeros_call(1, reverter, &code, 1_200_000)).await;
    assert_eq!(one["error"]["code"], -32008, "{}", one["error"]["message"]);
    // A batch of 100 reverts of 300 kB each: past the limit the rest are not run (-32003).
    let batch =
        Value::Array((0..100).map(|i| zeros_call(i, reverter, &code, 300_000 + i)).collect());
    let client = alloy::transports::http::reqwest::Client::new();
    let body = client.post(url).json(&batch).send().await.unwrap().bytes().await.unwrap();
    let answers: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(answers.len(), 100);
    let reverted = answers.iter().filter(|a| a["error"]["code"] == 3).count();
    let cut = answers.iter().filter(|a| a["error"]["code"] == -32003).count();
    eprintln!("REVERT SIZE: batch answer {} bytes, {reverted} reverts, {cut} cut", body.len());
    assert!(body.len() < 3 * limit, "a {} byte answer for a limit of {limit}", body.len());
    assert!(reverted >= 2 && cut >= 90, "{reverted} reverts, {cut} cut");
}

/// A WebSocket client that sends calls but does not read their answers: once its unread
/// answers pass the response limit, its calls are refused (`-32005`) instead of their answers
/// being held, and its next messages are not read until it reads. Before, 200 calls with 10 MB
/// answers on one socket grew the node by 2 GB.
#[tokio::test(flavor = "multi_thread")]
async fn a_websocket_that_does_not_read_its_answers_gets_refusals_not_buffers() {
    use tokio::io::AsyncWriteExt;
    let limit: u64 = 1 << 20;
    let node =
        DevNode::start(&tmp_dir("rpc-unread"), &[&format!("rpc.max_response_body_bytes={limit}")]);
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let echo = Address::repeat_byte(0xec);
    let code = zeros_code(0xf3);
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let stream = sock.connect(addr.parse().unwrap()).await.unwrap();
    let mut ws = ws_handshake(stream, &addr).await;
    let rss_before = node.rss();
    // 200 answers of 800 kB of hex each: 160 MB if the node held them.
    for i in 0..200u64 {
        let c = zeros_call(i, echo, &code, 400_000 + i);
        ws.write_all(&ws_text(c.to_string().as_bytes())).await.unwrap();
    }
    let mut rss_peak = rss_before;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        rss_peak = rss_peak.max(node.rss());
    }
    // Now read everything: a few answers, and refusals for the rest (past the 64 calls a
    // connection may have in flight, or past its unread bytes).
    let (mut answered, mut refused, mut unread) = (0, 0, 0);
    while answered + refused < 200 {
        let text = ws_next_text(&mut ws, Duration::from_secs(60))
            .await
            .expect("every call is answered")
            .expect("open");
        rss_peak = rss_peak.max(node.rss());
        let a: Value = serde_json::from_str(&text).unwrap();
        if a.get("result").is_some() {
            answered += 1;
        } else {
            assert_eq!(a["error"]["code"], -32005, "{}", a["error"]);
            refused += 1;
            unread += usize::from(error_message(&a).contains("not read yet"));
        }
    }
    let grown = rss_peak.saturating_sub(rss_before);
    eprintln!(
        "UNREAD: {answered} answered, {refused} refused ({unread} for unread answers); node RSS grew {} MB at most",
        grown >> 20
    );
    // The calls that ran while the client read nothing were refused (their answers not held),
    // and the socket stopped reading its next messages until it read; those then ran. How many
    // of each depends on timing; what the node held does not: 64 calls in flight with 800 kB
    // answers held 51 MB of answers alone (160 MB for all 200), now a few MB.
    assert!(answered >= 1, "no answer went out");
    assert!(unread >= 1, "no call was refused for unread answers");
    assert!(grown < 48 << 20, "the node held {} MB for a client that did not read", grown >> 20);
}

/// A client that reads a large answer a few bytes at a time is closed once it has not caught
/// up for `rpc.write_timeout_ms`, and its connection slot is freed: reading a little does not
/// restart the timer (before, each small read did, so an 8 MB answer read at 40 kB/s held its
/// slot and its buffers for minutes).
#[tokio::test(flavor = "multi_thread")]
async fn a_client_trickling_a_large_answer_is_closed_at_the_write_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = DevNode::start(
        &tmp_dir("rpc-trickle"),
        &["rpc.max_connections_per_ip=1", "rpc.write_timeout_ms=3000"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let echo = Address::repeat_byte(0xec);
    let body = zeros_call(1, echo, &zeros_code(0xf3), 4_000_000).to_string();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.bind("127.0.0.4:0".parse().unwrap()).unwrap();
    let mut slow = sock.connect(addr.parse().unwrap()).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    let asked = Instant::now();
    // 4 kB every 100 ms, for as long as the test runs.
    let trickle = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let mut got = 0usize;
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break got,
                Ok(n) => got += n,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let b = json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}).to_string();
    let ask = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
        b.len()
    );
    let freed_after = loop {
        assert!(asked.elapsed() < Duration::from_secs(20), "the trickling client kept its slot");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let mut s = super::limits::connect_from("127.0.0.4", &addr).await;
        if s.write_all(ask.as_bytes()).await.is_err() {
            continue;
        }
        let mut answer = vec![0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut answer))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0);
        if answer[..n].starts_with(b"HTTP/1.1 200") {
            break asked.elapsed();
        }
    };
    eprintln!("TRICKLE: the slot was free again {freed_after:?} after the large call");
    trickle.abort();
}

/// Log criteria are bounded as geth bounds them (1,000 addresses; and at most 1,000 topic
/// alternatives), in `eth_getLogs`, `eth_newFilter` and `logs` subscriptions; and one client
/// address holds at most a tenth of the filter slots, so it cannot lock everyone else out of
/// `eth_newFilter` (viem and ethers watch events with filters over HTTP). Before: 100
/// subscriptions of 110,000 addresses took 935 MB, and 100 batches of 100
/// `eth_newBlockFilter` took all 10,000 slots in 0.27 s.
#[tokio::test(flavor = "multi_thread")]
async fn filter_criteria_and_filters_per_client_are_bounded() {
    let node = DevNode::start(&tmp_dir("rpc-filter-bounds"), &[]);
    let url = &node.l2_url;
    let addresses = |n: usize| -> Vec<Address> {
        (0..n).map(|i| Address::left_padding_from(&(i as u64).to_be_bytes())).collect()
    };
    let topics = |n: usize| -> Vec<String> { (0..n).map(|i| format!("0x{i:064x}")).collect() };
    for (filter, why) in [
        (json!({"address": addresses(1_001)}), "exceed max addresses"),
        (json!({"topics": [topics(600), topics(401)]}), "exceed max topics"),
    ] {
        for method in ["eth_getLogs", "eth_newFilter"] {
            let r = call(url, method, json!([filter])).await;
            assert_eq!(error_message(&r), why, "{method}");
        }
    }
    for ok in [json!({"address": addresses(1_000)}), json!({"topics": [topics(500), topics(500)]})]
    {
        result(call(url, "eth_getLogs", json!([ok])).await).as_array().unwrap();
    }
    // A `logs` subscription too.
    use jsonrpsee::core::client::SubscriptionClientT;
    let ws = jsonrpsee::ws_client::WsClientBuilder::default().build(node.l2_ws()).await.unwrap();
    let sub = ws
        .subscribe::<Value, _>(
            "eth_subscribe",
            jsonrpsee::rpc_params!["logs", json!({"address": addresses(1_001)})],
            "eth_unsubscribe",
        )
        .await;
    let err = sub.expect_err("refused").to_string();
    assert!(err.contains("exceed max addresses"), "{err}");

    // Filters per client address: 1,000 from 127.0.0.5, then refused; others still served.
    let from = |ip: &str| {
        alloy::transports::http::reqwest::Client::builder()
            .local_address(ip.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    };
    let greedy = from("127.0.0.5");
    let new_filter = json!({"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter","params":[]});
    let batch = Value::Array(vec![new_filter.clone(); 100]);
    for _ in 0..10 {
        let answers: Vec<Value> =
            greedy.post(url).json(&batch).send().await.unwrap().json().await.unwrap();
        assert!(answers.iter().all(|a| a["result"].is_string()), "{:?}", answers.first());
    }
    let refused: Value =
        greedy.post(url).json(&new_filter).send().await.unwrap().json().await.unwrap();
    assert!(
        error_message(&refused).contains("too many filters installed from this address (1000)"),
        "{refused}"
    );
    let other: Value =
        from("127.0.0.6").post(url).json(&new_filter).send().await.unwrap().json().await.unwrap();
    assert!(result(other).is_string());
}

/// A raw WebSocket from `from` (a loopback address) to `addr`.
async fn ws_from(from: &str, addr: &str) -> tokio::net::TcpStream {
    ws_handshake(super::limits::connect_from(from, addr).await, addr).await
}

/// Sends `calls` on `ws` and reads as many answers (refusals count); `false` once the socket
/// is closed.
async fn ws_round(ws: &mut tokio::net::TcpStream, calls: &[Value]) -> bool {
    use tokio::io::AsyncWriteExt;
    for c in calls {
        if ws.write_all(&ws_text(c.to_string().as_bytes())).await.is_err() {
            return false;
        }
    }
    let mut answers = 0;
    while answers < calls.len() {
        match ws_next_text(ws, Duration::from_secs(60)).await {
            Ok(Some(_)) => answers += 1,
            _ => return false,
        }
    }
    true
}

/// The soak run (not in CI; `docs/rpc.md`): `SOAK_SECS` (1,800 by default) of mixed hostile
/// load from two addresses beside a steady transfer load from a third. 127.0.0.2 floods slow
/// `eth_call`s over two WebSockets; 127.0.0.3 sends batches of large reverts, fills its filter
/// share, sends log queries over the criteria bounds, opens a WebSocket whose answers it does
/// not read, and holds idle sockets. Transfers keep their quiet latency (median within twice,
/// and none over 2 s), the node's memory stays under 1 GiB more than at the start, and no actor
/// restarts. `SOAK_ATTACKERS=a` or `b` runs one attacker only.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "the soak run: 30 minutes (SOAK_SECS)"]
async fn soak_mixed_hostile_load_beside_transfers() {
    let secs: u64 = std::env::var("SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(1800);
    // Which attackers run (`a`: the slow calls, `b`: the rest); both by default.
    let who = std::env::var("SOAK_ATTACKERS").unwrap_or_else(|_| "ab".into());
    let node = DevNode::start(&tmp_dir("rpc-soak"), &[]);
    let url = node.l2_url.clone();
    let addr = url.trim_start_matches("http://").to_string();
    let quiet = quiet_latencies(&url, 10).await;
    let mut nonce = quiet.len() as u64;
    let rss_start = node.rss();
    let until = Instant::now() + Duration::from_secs(secs);
    let mut attackers = Vec::new();
    // 127.0.0.2: two sockets of slow calls, 200 at a time each.
    for _ in 0..if who.contains('a') { 2 } else { 0 } {
        let addr = addr.clone();
        attackers.push(tokio::spawn(async move {
            let calls: Vec<Value> = (0..200)
                .map(|i| {
                    json!({"jsonrpc":"2.0","id":i,"method":"eth_call",
                                "params":[blake2f_call(1_500_000), "latest"]})
                })
                .collect();
            while Instant::now() < until {
                let mut ws = ws_from("127.0.0.2", &addr).await;
                while Instant::now() < until && ws_round(&mut ws, &calls).await {}
            }
        }));
    }
    // 127.0.0.3: large reverts, filters, criteria, unread answers, idle sockets.
    if who.contains('b') {
        let (url, addr) = (url.clone(), addr.clone());
        attackers.push(tokio::spawn(async move {
            let client = alloy::transports::http::reqwest::Client::builder()
                .local_address("127.0.0.3".parse::<std::net::IpAddr>().unwrap())
                .build()
                .unwrap();
            let (reverter, echo) = (Address::repeat_byte(0xee), Address::repeat_byte(0xec));
            let reverts = Value::Array(
                (0..100).map(|i| zeros_call(i, reverter, &zeros_code(0xfd), 2_000_000)).collect(),
            );
            let filters = Value::Array(vec![
                json!({"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter","params":[]});
                100
            ]);
            let too_wide: Vec<Address> =
                (0..1_001u64).map(|i| Address::left_padding_from(&i.to_be_bytes())).collect();
            let wide = json!({"jsonrpc":"2.0","id":1,"method":"eth_getLogs",
                              "params":[{"address": too_wide}]});
            let unread: Vec<Value> =
                (0..200).map(|i| zeros_call(i, echo, &zeros_code(0xf3), 4_000_000)).collect();
            let mut idle = Vec::new();
            while Instant::now() < until {
                for body in [&reverts, &filters, &wide] {
                    if let Ok(r) = client.post(&url).json(body).send().await {
                        let _ = r.bytes().await;
                    }
                }
                let mut ws = ws_from("127.0.0.3", &addr).await;
                for c in &unread {
                    use tokio::io::AsyncWriteExt;
                    if ws.write_all(&ws_text(c.to_string().as_bytes())).await.is_err() {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
                drop(ws);
                idle.truncate(100);
                for _ in 0..50 {
                    idle.push(super::limits::connect_from("127.0.0.3", &addr).await);
                }
            }
        }));
    }
    // The steady load: a transfer every half second, and the node's memory.
    let (mut loaded, mut rss_peak, mut threads_peak) = (Vec::new(), rss_start, 0);
    while Instant::now() < until {
        let started = Instant::now();
        let latency = transfer_latency(&url, nonce).await;
        if latency > Duration::from_secs(1) {
            eprintln!("SOAK: transfer {nonce} took {latency:?} (sent at {started:?})");
        }
        loaded.push(latency);
        nonce += 1;
        rss_peak = rss_peak.max(node.rss());
        threads_peak = threads_peak.max(node.threads());
        tokio::time::sleep(Duration::from_millis(500).saturating_sub(started.elapsed())).await;
    }
    for a in attackers {
        a.abort();
    }
    let count = loaded.len();
    let mut sorted = loaded.clone();
    sorted.sort();
    let (p50, p99, max) = (sorted[count / 2], sorted[count * 99 / 100], sorted[count - 1]);
    let quiet_median = median(quiet);
    let restarts = node.log().matches("restarted").count();
    eprintln!(
        "SOAK: {secs} s, {count} transfers; quiet median {quiet_median:?}; under load p50 {p50:?} \
         p99 {p99:?} max {max:?}; RSS {} -> {} MB at most; threads at most {threads_peak}; \
         {restarts} restarts",
        rss_start >> 20,
        rss_peak >> 20
    );
    assert!(p50 <= quiet_median * 2 + Duration::from_millis(100), "p50 {p50:?}");
    assert!(max < Duration::from_secs(2), "a transfer waited {max:?}");
    assert!(rss_peak < rss_start + (1 << 30), "RSS grew to {} MB", rss_peak >> 20);
    assert_eq!(restarts, 0, "an actor restarted under the load");
}
