//! Request ids of any JSON type but an object or array echoed byte for byte, over HTTP and over a
//! WebSocket.

use super::{ws_connect, ws_next_text, ws_text};
use crate::support::{tmp_dir, DevNode};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use serde_json::Value;

/// A POST of `body` to `url`, answered as raw text (so an id's JSON spelling can be checked).
async fn raw_text(url: &str, body: &str) -> String {
    let client = alloy::transports::http::reqwest::Client::new();
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    resp.text().await.unwrap()
}

/// Any id that is not an object or array comes back as its client spelled it, byte for byte
/// (geth copies the id's raw JSON): `1e3` is not `1000.0`, `1.50` is not `1.5`.
#[tokio::test(flavor = "multi_thread")]
async fn odd_request_ids_are_echoed_byte_for_byte() {
    let node = DevNode::start(&tmp_dir("rpc-ids"), &[]);
    let url = &node.l2_url;
    for id in ["1e3", "1.50", "-0", "1E+3", "-1", "true", "123456789012345678901234567890"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_chainId","params":[]}}"#);
        let answer = raw_text(url, &body).await;
        assert!(answer.contains(&format!(r#""id":{id},"#)), "id {id}: {answer}");
        assert!(answer.contains(r#""result":"0x10e""#), "id {id}: {answer}");
    }
    let body = r#"[{"jsonrpc":"2.0","id":2.50,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":-1e-2,"method":"eth_nope","params":[]}]"#;
    let answer = raw_text(url, body).await;
    assert!(answer.contains(r#""id":2.50,"#), "{answer}");
    assert!(answer.contains(r#""id":7,"#), "{answer}");
    assert!(answer.contains(r#""id":-1e-2,"#), "{answer}");
    // A repeated member counts by its last value, as geth reads it (before: `{"id":-1,"id":7}`
    // ran as a notification and answered a bare null; a repeated method got -32600).
    for (body, want) in [
        (r#"{"jsonrpc":"2.0","id":-1,"id":7,"method":"eth_chainId","params":[]}"#, r#""id":7,"#),
        (r#"{"jsonrpc":"2.0","id":7,"id":1.5,"method":"eth_chainId","params":[]}"#, r#""id":1.5,"#),
        (r#"{"jsonrpc":"2.0","id":3,"method":"eth_nope","method":"eth_chainId"}"#, r#""id":3,"#),
        (
            r#"[{"jsonrpc":"2.0","id":4,"method":"eth_chainId","params":[1],"params":[]}]"#,
            r#""id":4,"#,
        ),
    ] {
        let answer = raw_text(url, body).await;
        assert!(answer.contains(want), "{body}: {answer}");
        assert!(answer.contains(r#""result":"0x10e""#), "{body}: {answer}");
    }
}

/// Over a WebSocket, as over HTTP, a request id of any JSON type but an object or array comes
/// back as the client wrote it, alone, in a batch, in a message over 64 KiB (whose length form
/// the rewrite changes), with an answer over 256 KiB, and for a subscription, whose
/// notifications then still arrive.
/// (Before: jsonrpsee read such a request as a notification and neither ran nor answered it.)
#[tokio::test(flavor = "multi_thread")]
async fn odd_request_ids_over_websocket_are_echoed_byte_for_byte() {
    use tokio::io::AsyncWriteExt;
    let wait = std::time::Duration::from_secs(5);
    let node = DevNode::start(&tmp_dir("rpc-ws-ids"), &[]);
    let addr = node.l2_url.trim_start_matches("http://").to_string();
    let mut ws = ws_connect(&addr).await;
    for id in ["-1", "1.50", "true", "1e3", "123456789012345678901234567890", "7"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_chainId","params":[]}}"#);
        ws.write_all(&ws_text(body.as_bytes())).await.unwrap();
        let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
        assert!(answer.contains(&format!(r#""id":{id},"#)), "id {id}: {answer}");
        assert!(answer.contains(r#""result":"0x10e""#), "id {id}: {answer}");
    }
    // A batch of 100, each id odd: the answer is over 125 bytes, and shrinks when put back.
    let calls: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","id":-{i}.5,"method":"eth_chainId","params":[]}}"#))
        .collect();
    ws.write_all(&ws_text(format!("[{}]", calls.join(",")).as_bytes())).await.unwrap();
    let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
    let parsed: Vec<Value> = serde_json::from_str(&answer).unwrap();
    assert_eq!(parsed.len(), 100, "{answer}");
    for i in 0..100 {
        assert!(answer.contains(&format!(r#""id":-{i}.5,"#)), "id -{i}.5: {answer}");
    }
    // A message over 64 KiB (white space is JSON too): its frame takes the 64-bit length form.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":-2,"method":"eth_chainId","params":[{}]}}"#,
        " ".repeat(70_000)
    );
    ws.write_all(&ws_text(big.as_bytes())).await.unwrap();
    let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
    assert!(answer.contains(r#""id":-2,"#) && answer.contains("0x10e"), "{answer}");
    // Answers larger than the socket wrapper's write backlog (256 KiB): held whole to put an
    // odd id back, streamed in parts for an ordinary one. The identity precompile echoes.
    let data = format!("0x{}", "ab".repeat(150_000));
    for id in ["-3", "8", "0.5"] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_call","params":[{{"to":"0x0000000000000000000000000000000000000004","data":"{data}"}},"latest"]}}"#
        );
        ws.write_all(&ws_text(body.as_bytes())).await.unwrap();
        let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
        assert!(answer.contains(&format!(r#""id":{id},"#)), "id {id}: {}", &answer[..200]);
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert!(answer["result"] == data, "id {id}: {}", &answer.to_string()[..200]);
    }
    // A subscription made with an odd id: its answer carries the id, its notifications flow.
    let sub = r#"{"jsonrpc":"2.0","id":false,"method":"eth_subscribe","params":["newHeads"]}"#;
    ws.write_all(&ws_text(sub.as_bytes())).await.unwrap();
    let answer = ws_next_text(&mut ws, wait).await.unwrap().unwrap();
    assert!(answer.contains(r#""id":false,"#), "{answer}");
    let sub_id = serde_json::from_str::<Value>(&answer).unwrap()["result"].clone();
    assert!(sub_id.as_str().is_some_and(|s| s.starts_with("0x")), "{answer}");
    let tx =
        TransactionRequest::default().with_to(Address::repeat_byte(0x77)).with_value(U256::from(1));
    node.l2(0).send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    let note = ws_next_text(&mut ws, std::time::Duration::from_secs(10)).await.unwrap().unwrap();
    let note: Value = serde_json::from_str(&note).unwrap();
    assert_eq!(note["method"], "eth_subscription", "{note}");
    assert_eq!(note["params"]["subscription"], sub_id, "{note}");
}
