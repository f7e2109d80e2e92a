//! WebSocket subscriptions (`eth_subscribe`): heads and logs, a subscriber that never reads, viem's
//! and ethers' clients, and peers that never answer pings.

use super::{deploy, ws_connect, ws_frame, Token, BOB};
use crate::support::{compile, tmp_dir, DevNode};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolEvent;
use rollup_test_utils::signer;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn websocket_subscriptions_deliver_heads_and_logs() {
    use jsonrpsee::core::client::SubscriptionClientT;
    use jsonrpsee::rpc_params;
    let node = DevNode::start(&tmp_dir("rpc-ws"), &[]);
    let ws = jsonrpsee::ws_client::WsClientBuilder::default().build(node.l2_ws()).await.unwrap();
    let mut heads = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe")
        .await
        .unwrap();
    let (_, code) = compile("Token");
    let mut init = code.to_vec();
    init.extend_from_slice(&U256::from(5).to_be_bytes::<32>());
    let p = node.l2(0);
    let receipt = p
        .send_transaction(TransactionRequest::default().with_deploy_code(Bytes::from(init)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let token = receipt.contract_address.unwrap();
    let head = tokio::time::timeout(std::time::Duration::from_secs(10), heads.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        head["hash"].as_str().unwrap().parse::<B256>().unwrap(),
        receipt.block_hash.unwrap()
    );
    let mut logs = ws
        .subscribe::<Value, _>(
            "eth_subscribe",
            rpc_params!["logs", json!({"address": token})],
            "eth_unsubscribe",
        )
        .await
        .unwrap();
    let t = Token::new(token, p.clone());
    let r = t.transfer(BOB, U256::from(1)).send().await.unwrap().get_receipt().await.unwrap();
    let log = tokio::time::timeout(std::time::Duration::from_secs(10), logs.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        log["transactionHash"].as_str().unwrap().parse::<B256>().unwrap(),
        r.transaction_hash
    );
    assert_eq!(
        log["topics"][0].as_str().unwrap().parse::<B256>().unwrap(),
        Token::Transfer::SIGNATURE_HASH
    );
    let bad = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["pendingNope"], "eth_unsubscribe")
        .await;
    assert!(bad.is_err(), "unknown subscription kinds are refused");

    // Ids are geth's hex strings (viem ignores notifications with a numeric id), distinct per
    // subscription, and `eth_unsubscribe` takes them.
    let id = |s: &jsonrpsee::core::client::Subscription<Value>| match s.kind() {
        jsonrpsee::core::client::SubscriptionKind::Subscription(
            jsonrpsee::types::SubscriptionId::Str(id),
        ) => id.to_string(),
        other => panic!("subscription id is not a string: {other:?}"),
    };
    let (heads_id, logs_id) = (id(&heads), id(&logs));
    for s in [&heads_id, &logs_id] {
        assert!(
            s.starts_with("0x")
                && s.len() > 2
                && s.len() <= 34
                && u128::from_str_radix(&s[2..], 16).is_ok(),
            "not a geth-style id: {s}"
        );
    }
    assert_ne!(heads_id, logs_id);
    use jsonrpsee::core::client::ClientT;
    let gone: bool = ws.request("eth_unsubscribe", rpc_params![heads_id.clone()]).await.unwrap();
    assert!(gone, "eth_unsubscribe takes the hex id");
    let again: Result<bool, _> = ws.request("eth_unsubscribe", rpc_params![heads_id]).await;
    assert!(!matches!(again, Ok(true)), "a subscription ends once: {again:?}");
}

/// Resident memory of a process, from /proc.
fn rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024
}

/// A WebSocket client that subscribes to every log 50 times and then never reads: the node
/// drops its subscriptions once its buffer stays full, memory stays bounded, and everyone else
/// is served (geth drops subscribers that fall behind).
#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_that_never_reads_is_dropped_and_memory_stays_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = DevNode::start(&tmp_dir("rpc-slow-sub"), &[]);
    let p = node.l2(0);
    let emitter = deploy_emitter(&p).await;

    // The stuck client: a WebSocket handshake, 50 subscriptions, then silence.
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut ws = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let handshake = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    ws.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        ws.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101"), "{head:?}");
    for id in 1..=50 {
        let payload = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_subscribe","params":["logs",{{}}]}}"#
        );
        let mask = [1u8, 2, 3, 4];
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        ws.write_all(&frame).await.unwrap();
    }

    // Blocks full of logs: 30 transactions of 2,000 logs, each log sent to 50 subscriptions.
    let pid = node.pid();
    let base = rss_mb(pid);
    let mut peak = base;
    let data = Bytes::from(U256::from(2000).to_be_bytes::<32>().to_vec());
    for nonce_batch in 0..3 {
        let mut pending = Vec::new();
        for _ in 0..10 {
            let tx = TransactionRequest::default()
                .with_to(emitter)
                .with_input(data.clone())
                .with_gas_limit(3_000_000);
            pending.push(p.send_transaction(tx).await.unwrap());
        }
        for tx in pending {
            assert!(tx.get_receipt().await.unwrap().status(), "batch {nonce_batch}");
        }
        peak = peak.max(rss_mb(pid));
    }
    // Within a few seconds of its buffer filling up, the stuck client loses its subscriptions.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !node.log().contains("subscription dropped") {
        assert!(std::time::Instant::now() < deadline, "the stuck subscriber was never dropped");
        peak = peak.max(rss_mb(pid));
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    eprintln!("SLOW SUBSCRIBER: node RSS {base} MB before, peak {peak} MB");
    assert!(peak < base + 600, "memory grew from {base} MB to {peak} MB");
    let started = std::time::Instant::now();
    p.get_block_number().await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    drop(ws);
}

/// Deploys a contract that emits `calldata[0]` LOG0s of 32 bytes each.
async fn deploy_emitter(p: &alloy::providers::DynProvider) -> Address {
    let runtime = [
        0x60, 0x00, 0x35, 0x5b, 0x80, 0x15, 0x60, 0x15, 0x57, 0x60, 0x20, 0x60, 0x00, 0xa0, 0x60,
        0x01, 0x90, 0x03, 0x60, 0x03, 0x56, 0x5b, 0x00,
    ];
    // Init code: CODECOPY the 23-byte runtime behind it, RETURN it.
    let mut init = vec![0x60, 0x17, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x17, 0x60, 0x00, 0xf3];
    init.extend_from_slice(&runtime);
    deploy(p, init.into()).await
}

/// The JS clients a dapp uses, against the real node: viem's WebSocket subscriptions (blocks,
/// pending transactions, logs) and ethers v6's filter polling over HTTP (`provider.on` with a
/// log filter and with "pending"). Runs `node/tests/js/clients.cjs` with the pinned viem and
/// ethers from `tools/`.
#[tokio::test(flavor = "multi_thread")]
async fn viem_and_ethers_subscribe_and_poll_against_the_node() {
    let node = DevNode::start(&tmp_dir("rpc-js-clients"), &[]);
    let emitter = deploy_emitter(&node.l2(0)).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let key = |i: usize| format!("{:#x}", signer(i).to_bytes());
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg(root.join("node/tests/js/clients.cjs"))
            .args([&node.l2_url, &node.l2_ws(), &key(1), &key(2), &format!("{emitter:?}")])
            .output(),
    )
    .await
    .expect("the JS client checks finished within 120 s")
    .expect("run node (npm ci --prefix tools installs viem and ethers)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "JS clients failed:\n{stdout}\n{stderr}\nnode log:\n{}",
        node.log()
    );
    for check in [
        "viem watchPendingTransactions ok",
        "viem watchEvent ok",
        "viem watchBlocks ok",
        "ethers provider.on(filter) ok",
        "ethers provider.on(pending) ok",
    ] {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
}

/// A WebSocket peer that never answers pings is closed after `rpc.ws_inactive_limit_ms` (twice
/// missed); a client that answers them keeps its connection.
#[tokio::test(flavor = "multi_thread")]
async fn websocket_peers_that_never_answer_pings_are_closed() {
    use jsonrpsee::core::client::ClientT;
    let node = DevNode::start(
        &tmp_dir("rpc-ws-ping"),
        &["rpc.ws_ping_interval_ms=200", "rpc.ws_inactive_limit_ms=500"],
    );
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let alive = jsonrpsee::ws_client::WsClientBuilder::default().build(node.l2_ws()).await.unwrap();
    let mut deaf = ws_connect(&addr).await;
    let started = std::time::Instant::now();
    let mut pings = 0;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match ws_frame(&mut deaf).await {
                Some((0x9, _)) => pings += 1,
                Some((0x8, _)) | None => break started.elapsed(),
                Some(_) => {}
            }
        }
    })
    .await
    .expect("a peer that never answers pings was still open after 10 s");
    assert!(pings >= 2, "pinged before being closed: {pings}");
    assert!(closed >= std::time::Duration::from_millis(500), "closed too early: {closed:?}");
    eprintln!("deaf WebSocket peer closed after {closed:?}, {pings} pings");
    // The client that answers pings still works.
    let n: String = alive.request("eth_chainId", jsonrpsee::rpc_params![]).await.unwrap();
    assert_eq!(n, "0x10e");
}
