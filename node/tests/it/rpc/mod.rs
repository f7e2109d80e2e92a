//! The L2's JSON-RPC through real clients (alloy's provider, raw JSON-RPC, a WebSocket client)
//! against a real `rollupd dev` process, one file per topic. Here: what several topics share (the
//! test token's interface, two constants, signing, raw JSON-RPC calls, deployment, raw WebSocket
//! frames); a child module sees these private items through `super::`.

mod blocks;
mod calls;
mod compat;
mod filters;
mod ids;
mod isolation;
mod limits;
mod subscriptions;
mod transactions;

use crate::support::raw_call;
use alloy::consensus::{SignableTransaction, Signed, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TransactionBuilder;
use alloy::primitives::{address, Address, Bytes, Signature};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::sol;
use rollup_test_utils::signer;
use serde_json::{json, Value};

sol! {
    #[sol(rpc)]
    interface Token {
        function balanceOf(address) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function work(uint256 n) external returns (uint256);
        function blockHashOf(uint256 n) external view returns (bytes32);
        event Transfer(address indexed from, address indexed to, uint256 value);
        error Insufficient(uint256 have, uint256 want);
    }
}

const GWEI: u128 = 1_000_000_000;
const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");

fn sign<T>(tx: T) -> Bytes
where
    T: SignableTransaction<Signature>,
    Signed<T>: Into<TxEnvelope>,
{
    let sig = signer(2).sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into().encoded_2718().into()
}

/// A transfer of 1 wei to [`BOB`] on the dev L2, nonce `nonce`, paying twice the base fee.
fn eip1559(nonce: u64) -> alloy::consensus::TxEip1559 {
    alloy::consensus::TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: 0,
        to: alloy::primitives::TxKind::Call(BOB),
        value: alloy::primitives::U256::from(1),
        ..Default::default()
    }
}

async fn send_raw(url: &str, raw: &Bytes) -> Value {
    raw_call(
        url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}),
    )
    .await
}

/// A raw JSON-RPC call to `url` (the whole response, error or not).
async fn call(url: &str, method: &str, params: Value) -> Value {
    raw_call(url, json!({"jsonrpc":"2.0","id":1,"method":method,"params":params})).await
}

/// The result of a response that must not be an error.
fn result(r: Value) -> Value {
    assert!(r.get("error").is_none(), "{r}");
    r["result"].clone()
}

fn error_message(resp: &Value) -> String {
    resp["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {resp}"))
        .to_string()
}

/// Deploys `init` (creation code) and returns the new contract's address.
async fn deploy(p: &alloy::providers::DynProvider, init: Bytes) -> Address {
    let tx = TransactionRequest::default().with_deploy_code(init);
    let receipt = p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "deployment reverted");
    receipt.contract_address.unwrap()
}

/// The WebSocket handshake on a raw socket (read byte by byte, so no frame is read with it).
async fn ws_connect(addr: &str) -> tokio::net::TcpStream {
    ws_handshake(tokio::net::TcpStream::connect(addr).await.unwrap(), addr).await
}

/// [`ws_connect`] over a socket already connected to `addr`.
async fn ws_handshake(mut s: tokio::net::TcpStream, addr: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut b))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "the handshake ended early: {}", String::from_utf8_lossy(&head));
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    s
}

/// The next frame from the server (opcode, payload); `None` once the socket is closed.
async fn ws_frame(s: &mut tokio::net::TcpStream) -> Option<(u8, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let mut h = [0u8; 2];
    s.read_exact(&mut h).await.ok()?;
    let len = match h[1] & 0x7f {
        126 => u64::from(s.read_u16().await.ok()?),
        127 => s.read_u64().await.ok()?,
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    s.read_exact(&mut payload).await.ok()?;
    Some((h[0] & 0x0f, payload))
}

/// A client's text frame: FIN, masked (as RFC 6455 requires of clients).
fn ws_text(payload: &[u8]) -> Vec<u8> {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut f = vec![0x81];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// The next text frame from the server within `wait` (`Ok(None)`: the socket closed).
async fn ws_next_text(
    ws: &mut tokio::net::TcpStream,
    wait: std::time::Duration,
) -> Result<Option<String>, tokio::time::error::Elapsed> {
    tokio::time::timeout(wait, async move {
        loop {
            match ws_frame(ws).await {
                Some((1, text)) => break Some(String::from_utf8(text).unwrap()),
                Some(_) => {}
                None => break None,
            }
        }
    })
    .await
}
