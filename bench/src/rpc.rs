//! A small JSON-RPC 2.0 client over HTTP: single calls, batch requests (a JSON array of calls)
//! and pre-serialised request bodies.
//!
//! Errors say which side of the wire went wrong, so an unreachable endpoint, a server that
//! does not speak JSON-RPC and a node that refuses one call can each get their own message.
//! A batch answer is matched to its calls by id (servers may answer in any order), and a call
//! the answer leaves out is an error of its own.

use alloy::transports::http::reqwest;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum RpcError {
    /// No HTTP answer at all: connection refused, unknown host, timed out.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// The innermost cause (the OS error, usually).
        reason: String,
    },
    /// An HTTP answer that is not JSON-RPC: an error page, HTML, some other JSON.
    #[error("{url} is not a JSON-RPC endpoint: {reason}")]
    NotJsonRpc {
        /// The endpoint.
        url: String,
        /// What came back instead.
        reason: String,
    },
    /// The node answered this call with a JSON-RPC error object.
    #[error("{message} (code {code})")]
    Node {
        /// The JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
    },
}

impl RpcError {
    /// Whether the node already holds this transaction (a re-submission after a resync):
    /// geth and rollupd say "already known", anvil "already imported".
    pub(crate) fn is_already_known(&self) -> bool {
        matches!(self, RpcError::Node { message, .. }
            if message.contains("already known") || message.contains("already imported"))
    }
}

/// A JSON-RPC client over one keep-alive HTTP connection pool; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Rpc {
    http: reqwest::Client,
    url: Arc<str>,
    /// One permit per request in flight: bounds the connections the pool opens.
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl Rpc {
    /// A client for `url` with at most `connections` requests in flight; every request times
    /// out after `timeout` (the wait for a turn not counted).
    pub(crate) fn new(url: &str, timeout: Duration, connections: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .tcp_nodelay(true)
            .timeout(timeout)
            .build()?;
        let in_flight = Arc::new(tokio::sync::Semaphore::new(connections));
        Ok(Self { http, url: url.into(), in_flight })
    }

    /// The endpoint.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// One call; its `result`.
    pub(crate) async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 0, "method": method, "params": params});
        let resp = self.post(body.to_string()).await?;
        self.single(resp)
    }

    /// One call whose result is a hex quantity.
    pub(crate) async fn quantity(&self, method: &str, params: Value) -> Result<u128, RpcError> {
        let v = self.call(method, params).await?;
        parse_quantity(&v).ok_or_else(|| RpcError::Node {
            code: 0,
            message: format!("{method} answered {v}, not a hex quantity"),
        })
    }

    /// Several calls in one batch request; one result per call, in the calls' order.
    pub(crate) async fn batch(
        &self,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| json!({"jsonrpc": "2.0", "id": i, "method": m, "params": p}))
            .collect();
        let ids: Vec<u64> = (0..calls.len() as u64).collect();
        let resp = self.post(Value::Array(body).to_string()).await?;
        Ok(self.split(resp, &ids))
    }

    /// Sends a body already serialised (one request object, or an array of them carrying
    /// `ids`); one result per id, in the order of `ids`.
    pub(crate) async fn send_prepared(
        &self,
        body: String,
        ids: &[u64],
    ) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        let resp = self.post(body).await?;
        if resp.is_array() {
            Ok(self.split(resp, ids))
        } else {
            Ok(vec![self.single(resp)])
        }
    }

    /// POSTs `body`; the answer if it is JSON-RPC-shaped.
    async fn post(&self, body: String) -> Result<Value, RpcError> {
        let unreachable = |e: reqwest::Error| RpcError::Unreachable {
            url: self.url.to_string(),
            reason: if e.is_timeout() { "timed out".into() } else { root_cause(&e) },
        };
        // The semaphore is never closed.
        let _turn = self.in_flight.acquire().await.ok();
        let resp = self
            .http
            .post(&*self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        let value: Option<Value> = serde_json::from_slice(&bytes).ok();
        match value {
            Some(v) if is_json_rpc(&v) => Ok(v),
            _ => Err(RpcError::NotJsonRpc {
                url: self.url.to_string(),
                reason: format!("HTTP {status}, body {}", snippet(&bytes)),
            }),
        }
    }

    /// The result of a single (non-batch) answer.
    fn single(&self, resp: Value) -> Result<Value, RpcError> {
        if resp.is_array() {
            return Err(RpcError::NotJsonRpc {
                url: self.url.to_string(),
                reason: "a batch answer to a single call".into(),
            });
        }
        item_result(&resp)
    }

    /// Matches a batch answer to `ids`. A single error object (the server refused the whole
    /// batch, e.g. too many calls) is every call's error.
    fn split(&self, resp: Value, ids: &[u64]) -> Vec<Result<Value, RpcError>> {
        let Value::Array(items) = resp else {
            let err = item_result(&resp).err().unwrap_or_else(|| RpcError::NotJsonRpc {
                url: self.url.to_string(),
                reason: "a single answer to a batch request".into(),
            });
            return ids.iter().map(|_| Err(err.clone())).collect();
        };
        let mut by_id: HashMap<u64, Value> =
            items.into_iter().filter_map(|it| Some((it.get("id")?.as_u64()?, it))).collect();
        ids.iter()
            .map(|id| match by_id.remove(id) {
                Some(item) => item_result(&item),
                None => Err(RpcError::Node {
                    code: 0,
                    message: format!("the batch answer has no item with id {id}"),
                }),
            })
            .collect()
    }
}

/// `result`, or the `error` object as an [`RpcError::Node`].
fn item_result(item: &Value) -> Result<Value, RpcError> {
    if let Some(err) = item.get("error") {
        return Err(RpcError::Node {
            code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: err.get("message").and_then(Value::as_str).unwrap_or("error").to_string(),
        });
    }
    Ok(item.get("result").cloned().unwrap_or(Value::Null))
}

/// A JSON-RPC response object carries `jsonrpc` and `result` or `error`; a batch answer is a
/// non-empty array of them.
fn is_json_rpc(v: &Value) -> bool {
    let one = |o: &Value| {
        o.get("jsonrpc").is_some() && (o.get("result").is_some() || o.get("error").is_some())
    };
    match v {
        Value::Array(items) => !items.is_empty() && items.iter().all(one),
        other => one(other),
    }
}

/// Parses a JSON-RPC hex quantity (`"0x1a"`).
pub(crate) fn parse_quantity(v: &Value) -> Option<u128> {
    let s = v.as_str()?.strip_prefix("0x")?;
    u128::from_str_radix(s, 16).ok()
}

/// The innermost error of a chain: for a refused connection, the OS error rather than
/// "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The start of a body, on one line, for an error message.
fn snippet(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty".into();
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let more = if bytes.len() > 80 { "..." } else { "" };
    format!("`{text}{more}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rpc_shapes() {
        assert!(is_json_rpc(&json!({"jsonrpc": "2.0", "id": 1, "result": "0x1"})));
        assert!(is_json_rpc(&json!([{"jsonrpc": "2.0", "id": 1, "error": {"code": 1}}])));
        assert!(!is_json_rpc(&json!({"status": "ok"})));
        assert!(!is_json_rpc(&json!([])));
        assert_eq!(parse_quantity(&json!("0x10e")), Some(270));
        assert_eq!(parse_quantity(&json!("10")), None);
    }

    #[test]
    fn batch_answers_match_by_id() {
        let rpc = Rpc::new("http://x", Duration::from_secs(1), 4).unwrap();
        let resp = json!([
            {"jsonrpc": "2.0", "id": 7, "error": {"code": -32000, "message": "nonce too low"}},
            {"jsonrpc": "2.0", "id": 5, "result": "0xaa"},
        ]);
        let out = rpc.split(resp, &[5, 6, 7]);
        assert_eq!(out[0].as_ref().unwrap(), &json!("0xaa"));
        assert!(out[1].is_err());
        assert!(matches!(&out[2], Err(RpcError::Node { code: -32000, .. })));
        // A whole-batch refusal is every call's error.
        let refused =
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "too big"}});
        assert!(rpc.split(refused, &[1, 2]).iter().all(Result::is_err));
    }
}
