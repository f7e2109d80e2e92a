//! Checks every call before its handler runs, as geth would refuse it, inside batches too:
//!
//! - `eth_subscribe`/`eth_unsubscribe` over plain HTTP: `-32601 notifications not supported`
//!   (jsonrpsee itself says `-32603`);
//! - block parameters (`latest`, `0x1b`, `{"blockNumber": …}`), transaction indexes and the
//!   quantity fields of call requests (`gas`, `value`, fees, `nonce`, `chainId`) parsed as
//!   strictly as geth's `hexutil`: tags in lower case only, `0x` required, no leading zeros, no
//!   sign, at most 64 (or 256) bits; alloy's parser, which the handlers use, lets `LATEST`,
//!   `0x0001` and `0x+1` through.
//!
//! It also holds each connection to its limits ([`CallLimits`]): calls in flight (past them
//! `-32005`), the size of every answer, errors and their revert data included (past it
//! `-32008`), and the bytes of WebSocket answers the client has not read yet (past them new
//! calls get `-32005`, and a read's answer is replaced by it, so a client that does not read
//! cannot make the server hold more for it; the socket also stops reading from it, in
//! [`super::serve`]).
//!
//! It also serves batches: jsonrpsee runs a batch's calls one after the other, so a batch of 16
//! `eth_sendRawTransaction` waited for 16 of the pool's group commits in a row. Here a batch of
//! nothing but submissions runs up to [`BATCH_CONCURRENCY`] of them at once (each is still
//! started in order, so a sender's nonces reach the pool in the batch's order); the answers keep
//! the batch's order. Any other batch runs one call after the other, as before.

use super::serve::Conn;
use futures_util::StreamExt;
use http::Extensions;
use jsonrpsee::core::middleware::{Batch, BatchEntry, BatchEntryErr, Notification};
use jsonrpsee::core::server::BatchResponseBuilder;
use jsonrpsee::server::middleware::rpc::RpcServiceT;
use jsonrpsee::types::{ErrorObjectOwned, Id, Request};
use jsonrpsee::MethodResponse;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Marks calls that came over plain HTTP (not a WebSocket); set by the body reader.
#[derive(Debug, Clone, Copy)]
pub(super) struct PlainHttp;

/// The methods that need a connection that can carry notifications.
const SUBSCRIPTION_METHODS: [&str; 2] = ["eth_subscribe", "eth_unsubscribe"];

/// Where a method takes a block: a number or tag at a position, a number, tag or block hash
/// (EIP-1898) at a position, or the block fields of a filter object.
enum BlockParam {
    Number(usize),
    NumberOrHash(usize),
    Filter,
}

fn block_param(method: &str) -> Option<BlockParam> {
    use BlockParam::{Filter, Number, NumberOrHash};
    Some(match method {
        "eth_getBlockByNumber"
        | "eth_getBlockTransactionCountByNumber"
        | "eth_getTransactionByBlockNumberAndIndex"
        | "eth_getUncleCountByBlockNumber"
        | "eth_getUncleByBlockNumberAndIndex" => Number(0),
        "eth_feeHistory" => Number(1),
        "eth_getBlockReceipts" => NumberOrHash(0),
        "eth_getBalance"
        | "eth_getCode"
        | "eth_getTransactionCount"
        | "eth_call"
        | "eth_estimateGas"
        | "eth_createAccessList" => NumberOrHash(1),
        "eth_getStorageAt" | "eth_getProof" => NumberOrHash(2),
        "eth_getLogs" | "eth_newFilter" => Filter,
        _ => return None,
    })
}

/// geth's `hexutil` rules for a 64-bit quantity.
fn strict_u64(s: &str) -> Result<(), &'static str> {
    strict_hex(s, 16, "hex number > 64 bits")
}

/// A quantity field or parameter (`null` where optional): a string under geth's `hexutil` rules,
/// at most `digits` hex digits.
fn strict_quantity(v: &Value, digits: usize) -> Result<(), &'static str> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) if digits > 16 => strict_hex(s, digits, "hex number > 256 bits"),
        Value::String(s) => strict_hex(s, digits, "hex number > 64 bits"),
        _ => Err("non-string quantity"),
    }
}

/// The quantity fields of a call request (geth's `TransactionArgs`), with their widths.
const CALL_QUANTITIES: [(&str, usize); 7] = [
    ("gas", 16),
    ("nonce", 16),
    ("gasPrice", 64),
    ("maxFeePerGas", 64),
    ("maxPriorityFeePerGas", 64),
    ("value", 64),
    ("chainId", 64),
];

/// geth's `hexutil` rules for a quantity of at most `max_digits` hex digits.
fn strict_hex(s: &str, max_digits: usize, too_big: &'static str) -> Result<(), &'static str> {
    let Some(digits) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) else {
        return Err("hex string without 0x prefix");
    };
    if digits.is_empty() {
        return Err("hex string \"0x\"");
    }
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("invalid hex string");
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err("hex number with leading zero digits");
    }
    if digits.len() > max_digits {
        return Err(too_big);
    }
    Ok(())
}

const TAGS: [&str; 5] = ["latest", "earliest", "pending", "safe", "finalized"];

/// A block number or tag, as geth's `BlockNumber` takes it.
fn strict_block_number(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::String(s) if TAGS.contains(&s.as_str()) => Ok(()),
        Value::String(s) => strict_u64(s),
        // geth reads an unquoted number as a hex string without its prefix.
        _ => Err("hex string without 0x prefix"),
    }
}

/// Whether `s` is a 32-byte hash in hex (`0x` and 64 digits), which geth reads as a block hash
/// where a block number or hash is taken.
fn is_hash(s: &str) -> bool {
    s.len() == 66 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A block parameter that may also be a block hash, bare or as EIP-1898's `{blockHash}`.
fn strict_block_or_hash(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::String(s) if is_hash(s) => Ok(()),
        other => strict_block(other),
    }
}

/// A block parameter: a number or tag, or EIP-1898's `{blockNumber}` / `{blockHash}` object.
fn strict_block(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::Object(o) => match o.get("blockNumber") {
            Some(n) => strict_block_number(n),
            None => Ok(()),
        },
        // Absent optional parameters; the handler decides.
        Value::Null => Ok(()),
        other => strict_block_number(other),
    }
}

/// Why geth would refuse `req`'s parameters, if it would.
fn strict_params(req: &Request<'_>) -> Option<ErrorObjectOwned> {
    let method = req.method_name();
    let which = block_param(method);
    let index_at = match method {
        "eth_getTransactionByBlockNumberAndIndex"
        | "eth_getTransactionByBlockHashAndIndex"
        | "eth_getUncleByBlockNumberAndIndex"
        | "eth_getUncleByBlockHashAndIndex" => Some(1),
        _ => None,
    };
    let call = matches!(method, "eth_call" | "eth_estimateGas" | "eth_createAccessList");
    if which.is_none() && index_at.is_none() {
        return None;
    }
    // Split the parameters without decoding them: only the positions checked are parsed, so
    // an `eth_call`'s calldata is not decoded twice.
    let raw: Vec<&RawValue> = serde_json::from_str(req.params.as_ref()?.get()).ok()?;
    let param = |i: usize| -> Option<Value> { serde_json::from_str(raw.get(i)?.get()).ok() };
    let bad =
        |i: usize, why: &str| Some(super::invalid_params(format!("invalid argument {i}: {why}")));
    if let Some(i) = index_at {
        if let Some(Err(why)) = param(i).map(|v| strict_quantity(&v, 16)) {
            return bad(i, why);
        }
    }
    if call {
        let fields: Option<HashMap<&str, &RawValue>> =
            raw.first().and_then(|r| serde_json::from_str(r.get()).ok());
        for (key, digits) in CALL_QUANTITIES {
            let value = fields.as_ref().and_then(|f| f.get(key));
            let value = value.and_then(|v| serde_json::from_str::<Value>(v.get()).ok());
            if let Some(Err(why)) = value.map(|v| strict_quantity(&v, digits)) {
                return Some(super::invalid_params(format!("invalid argument 0: {key}: {why}")));
            }
        }
    }
    match which? {
        BlockParam::Number(i) => match param(i).map(|v| strict_block(&v)) {
            Some(Err(why)) => bad(i, why),
            _ => None,
        },
        BlockParam::NumberOrHash(i) => match param(i).map(|v| strict_block_or_hash(&v)) {
            Some(Err(why)) => bad(i, why),
            _ => None,
        },
        BlockParam::Filter => {
            let filter = param(0)?;
            let filter = filter.as_object()?;
            for key in ["fromBlock", "toBlock"] {
                if let Some(Err(why)) = filter.get(key).map(strict_block) {
                    return bad(0, why);
                }
            }
            None
        }
    }
}

/// Why `req` is refused before its handler runs, if it is.
fn refusal(req: &Request<'_>) -> Option<ErrorObjectOwned> {
    let method = req.method_name();
    if req.extensions().get::<PlainHttp>().is_some() && SUBSCRIPTION_METHODS.contains(&method) {
        return Some(super::rpc_err(-32601, "notifications not supported"));
    }
    strict_params(req)
}

/// One entry of a batch: its answer, or `None` for a notification.
async fn batch_entry<S>(
    inner: S,
    entry: Result<BatchEntry<'_>, BatchEntryErr<'_>>,
) -> Option<MethodResponse>
where
    S: RpcServiceT<MethodResponse = MethodResponse, NotificationResponse = MethodResponse>,
{
    match entry {
        Ok(BatchEntry::Call(req)) => Some(inner.call(req).await),
        Ok(BatchEntry::Notification(n)) => {
            inner.notification(n).await;
            None
        }
        Err(err) => {
            let (err, id) = err.into_parts();
            Some(MethodResponse::error(id, err))
        }
    }
}

/// Most calls of one batch that run at once: enough to overlap the pool's group commits.
pub(super) const BATCH_CONCURRENCY: usize = 16;

/// The methods whose calls run concurrently in a batch that holds nothing else: a submission
/// only waits for the pool's group commit. Other batches run one call at a time: two polls of
/// one filter must see each other's cursor move, and a batch of `eth_call`s must not take
/// sixteen blocking threads at once.
const CONCURRENT_METHODS: [&str; 1] = ["eth_sendRawTransaction"];

/// What one connection may hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct CallLimits {
    /// Bytes of one answer (`rpc.max_response_body_bytes`).
    pub(super) response: usize,
    /// Calls in flight on one connection (`rpc.max_in_flight_per_connection`).
    pub(super) in_flight: usize,
    /// Bytes of a WebSocket's answers not yet taken by its socket, past which its calls are
    /// refused (the answer that crosses it still goes out whole).
    pub(super) unsent: u64,
}

/// A call in flight on its connection; uncounted when dropped.
struct InFlight(Option<Arc<Conn>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Counts a call on its connection, or says why it is refused: too many in flight, or too many
/// answer bytes unread.
fn admit(ext: &Extensions, limits: &CallLimits) -> Result<InFlight, ErrorObjectOwned> {
    let Some(conn) = ext.get::<Arc<Conn>>() else { return Ok(InFlight(None)) };
    let unsent = conn.unsent.load(Ordering::Relaxed);
    if unsent > limits.unsent {
        return Err(unread(unsent, limits.unsent));
    }
    if conn.in_flight.fetch_add(1, Ordering::Relaxed) >= limits.in_flight {
        conn.in_flight.fetch_sub(1, Ordering::Relaxed);
        return Err(super::rpc_err(
            -32005,
            format!(
                "too many calls in flight on this connection (rpc.max_in_flight_per_connection = {}); wait for answers",
                limits.in_flight
            ),
        ));
    }
    Ok(InFlight(Some(conn.clone())))
}

fn unread(unsent: u64, limit: u64) -> ErrorObjectOwned {
    super::rpc_err(
        -32005,
        format!("{unsent} bytes of answers on this connection are not read yet (limit {limit}); read them first"),
    )
}

/// `rp` if it fits `limit`, else jsonrpsee's `-32008` for it: errors (revert data) count too.
fn bounded(rp: MethodResponse, id: Id<'static>, limit: usize) -> MethodResponse {
    let len = rp.as_json().get().len();
    if len <= limit || rp.is_notification() || rp.is_subscription() {
        return rp;
    }
    MethodResponse::error(
        id,
        ErrorObjectOwned::owned(
            -32008,
            "Response is too big",
            Some(format!("Exceeded max limit of {limit}")),
        ),
    )
}

/// Methods whose call changes something (the pool, a filter's cursor, a subscription): their
/// answer is never thrown away once the call has run.
const SIDE_EFFECTS: [&str; 8] = [
    "eth_sendRawTransaction",
    "eth_newFilter",
    "eth_newBlockFilter",
    "eth_newPendingTransactionFilter",
    "eth_getFilterChanges",
    "eth_uninstallFilter",
    "eth_subscribe",
    "eth_unsubscribe",
];

/// Counts a WebSocket answer against its connection's unread bytes. A read's answer that would
/// take them past the limit (unless none are waiting) is replaced by `-32005`: asking again
/// gives the same answer. Other answers (`replaceable` false: the call changed something) and
/// subscription ids always go out.
fn account(
    rp: MethodResponse,
    id: Id<'static>,
    ext: &Extensions,
    limit: u64,
    replaceable: bool,
) -> MethodResponse {
    if ext.get::<PlainHttp>().is_some() || rp.is_subscription() || rp.is_notification() {
        return rp;
    }
    let Some(conn) = ext.get::<Arc<Conn>>() else { return rp };
    let len = rp.as_json().get().len() as u64;
    let before = conn.unsent.fetch_add(len, Ordering::Relaxed);
    if replaceable && before > 0 && before.saturating_add(len) > limit {
        conn.sent(len as usize);
        return MethodResponse::error(id, unread(before, limit));
    }
    rp
}

/// The RPC middleware that applies [`refusal`] to single calls and to each call of a batch,
/// holds each connection to its [`CallLimits`], and runs a batch's calls concurrently.
#[derive(Debug, Clone)]
pub(super) struct Precheck<S>(pub(super) S, pub(super) CallLimits);

impl<S> RpcServiceT for Precheck<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let limits = self.1;
        let admitted = admit(req.extensions(), &limits);
        let refused = refusal(&req);
        let replaceable = !SIDE_EFFECTS.contains(&req.method_name());
        let inner = self.0.clone();
        async move {
            let id = req.id.clone().into_owned();
            let ext = req.extensions().clone();
            let _counted = match admitted {
                Ok(counted) => counted,
                Err(e) => return MethodResponse::error(id, e),
            };
            let rp = match refused {
                Some(e) => MethodResponse::error(req.id, e),
                None => inner.call(req).await,
            };
            let rp = bounded(rp, id.clone(), limits.response);
            account(rp, id, &ext, limits.unsent, replaceable)
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let limits = self.1;
        let ext = batch.extensions().clone();
        let admitted = admit(&ext, &limits);
        let mut concurrent = true;
        let mut replaceable = true;
        for entry in batch.iter_mut() {
            let refused = match entry {
                Ok(BatchEntry::Call(req)) => {
                    concurrent &= CONCURRENT_METHODS.contains(&req.method_name());
                    replaceable &= !SIDE_EFFECTS.contains(&req.method_name());
                    refusal(req).map(|e| (req.id.clone(), e))
                }
                Ok(BatchEntry::Notification(_)) => {
                    concurrent = false;
                    None
                }
                Err(_) => None,
            };
            if let Some((id, e)) = refused {
                *entry = Err(BatchEntryErr::new(id, e));
            }
        }
        let limit = limits.response;
        let entries: Vec<_> = batch.into_iter().collect();
        // As jsonrpsee's own batch service, but 16 calls at a time. The calls' futures are made
        // here, outside the returned one, which must be `Send` for every lifetime a closure
        // inside it would have to be general over.
        let (calls, entries): (Vec<_>, Vec<_>) = if concurrent {
            let calls =
                entries.into_iter().map(|e| Box::pin(batch_entry(self.0.clone(), e))).collect();
            (calls, Vec::new())
        } else {
            (Vec::new(), entries)
        };
        let inner = self.0.clone();
        async move {
            let _counted = match admitted {
                Ok(counted) => counted,
                Err(e) => return MethodResponse::error(Id::Null, e),
            };
            let mut notified = false;
            let out = if calls.is_empty() {
                // One call at a time, and as geth: once the results so far pass the response
                // limit, the calls after them are not run and each (refused ones too) gets
                // `-32003 response too large`, so a filter poll never moves its cursor for an
                // answer thrown away.
                let mut out = BatchResponseBuilder::new_with_limit(usize::MAX);
                let mut size = 0usize;
                for entry in entries {
                    let answer = if size > limit {
                        let too_large =
                            || ErrorObjectOwned::owned(-32003, "response too large", None::<()>);
                        match entry {
                            Ok(BatchEntry::Call(req)) => {
                                Some(MethodResponse::error(req.id, too_large()))
                            }
                            Ok(BatchEntry::Notification(_)) => None,
                            Err(err) => {
                                Some(MethodResponse::error(err.into_parts().1, too_large()))
                            }
                        }
                    } else {
                        batch_entry(inner.clone(), entry).await
                    };
                    match answer {
                        Some(rp) => {
                            // Errors count too (geth counts results only): revert data
                            // can be as large as any result.
                            size = size.saturating_add(rp.as_json().get().len());
                            // The builder's own limit is off: it cannot fail.
                            let _ = out.append(rp);
                        }
                        None => notified = true,
                    }
                }
                out
            } else {
                // Submissions' answers are small; a batch of them over the limit is one error,
                // as jsonrpsee answers it.
                let mut answers = futures_util::stream::iter(calls).buffered(BATCH_CONCURRENCY);
                let mut out = BatchResponseBuilder::new_with_limit(limit);
                while let Some(answer) = answers.next().await {
                    match answer {
                        Some(rp) => {
                            if let Err(too_big) = out.append(rp) {
                                return too_big;
                            }
                        }
                        None => notified = true,
                    }
                }
                out
            };
            if out.is_empty() && notified {
                MethodResponse::notification()
            } else {
                let answer = MethodResponse::from_batch(out.finish());
                account(answer, Id::Null, &ext, limits.unsent, replaceable)
            }
        }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let inner = self.0.clone();
        async move { inner.notification(n).await }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonrpsee::ResponsePayload;
    use std::time::Duration;

    fn limits(response: usize) -> CallLimits {
        CallLimits { response, in_flight: 64, unsent: u64::MAX }
    }

    /// Test double for jsonrpsee's method service: a call whose first parameter is `"wait"`
    /// answers only once one with `"go"` has run; every call answers its method name and
    /// parameter.
    #[derive(Clone)]
    struct Gate(Arc<tokio::sync::Notify>);

    impl RpcServiceT for Gate {
        type MethodResponse = MethodResponse;
        type NotificationResponse = MethodResponse;
        type BatchResponse = MethodResponse;

        fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
            let gate = self.0.clone();
            async move {
                let param = req.params().one::<String>().unwrap_or_default();
                match param.as_str() {
                    "wait" => gate.notified().await,
                    "go" => gate.notify_one(),
                    _ => {}
                }
                let name = format!("{} {param}", req.method_name());
                MethodResponse::response(req.id, ResponsePayload::success(name), usize::MAX)
            }
        }

        #[allow(clippy::manual_async_fn)] // `async fn` would borrow `self` past `'a`
        fn batch<'a>(&self, _: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
            async { unreachable!("the precheck serves batches itself") }
        }

        #[allow(clippy::manual_async_fn)]
        fn notification<'a>(
            &self,
            _: Notification<'a>,
        ) -> impl Future<Output = MethodResponse> + Send + 'a {
            async { MethodResponse::notification() }
        }
    }

    /// A batch of `(method, first parameter)` calls, ids 0, 1, ...
    fn batch_of(calls: &[(&str, &str)]) -> Batch<'static> {
        let entries = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| {
                let params = RawValue::from_string(format!("[\"{p}\"]")).unwrap();
                let req = Request::owned(m.to_string(), Some(params), Id::Number(i as u64));
                Ok(BatchEntry::Call(req))
            })
            .collect();
        Batch::from(entries)
    }

    const SEND: &str = "eth_sendRawTransaction";

    #[tokio::test]
    async fn a_batch_of_submissions_runs_concurrently_and_answers_in_order() {
        let service = Precheck(Gate(Arc::new(tokio::sync::Notify::new())), limits(usize::MAX));
        // Run one after the other (as jsonrpsee does), `wait` would never see the `go` after it.
        let batch =
            batch_of(&[(SEND, "a"), (SEND, "wait"), (SEND, "b"), (SEND, "go"), (SEND, "c")]);
        let answer = tokio::time::timeout(Duration::from_secs(10), service.batch(batch))
            .await
            .expect("the batch's calls ran one after the other");
        let answers: Vec<Value> = serde_json::from_str(answer.as_json().get()).unwrap();
        let got: Vec<(u64, String)> = answers
            .iter()
            .map(|a| (a["id"].as_u64().unwrap(), a["result"].as_str().unwrap().to_string()))
            .collect();
        let want: Vec<(u64, String)> = ["a", "wait", "b", "go", "c"]
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u64, format!("{SEND} {p}")))
            .collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn any_other_batch_runs_one_call_after_the_other() {
        // A filter poll among submissions: the whole batch runs in order, so `go` only runs
        // once `wait` has answered, which it never does.
        let service = Precheck(Gate(Arc::new(tokio::sync::Notify::new())), limits(usize::MAX));
        let batch = batch_of(&[(SEND, "wait"), ("eth_getFilterChanges", "go")]);
        let answer = tokio::time::timeout(Duration::from_secs(1), service.batch(batch)).await;
        assert!(answer.is_err(), "a batch with a filter poll ran its calls concurrently");
    }

    #[tokio::test]
    async fn a_batch_over_the_response_limit_is_one_error_and_refusals_keep_their_place() {
        let service = Precheck(Gate(Arc::new(tokio::sync::Notify::new())), limits(120));
        let calls = [(SEND, "a"), (SEND, "b"), (SEND, "c"), (SEND, "d"), (SEND, "e")];
        let answer = service.batch(batch_of(&calls)).await;
        let error: Value = serde_json::from_str(answer.as_json().get()).unwrap();
        assert_eq!(error["error"]["code"], -32011, "{error}");
        let service = Precheck(Gate(Arc::new(tokio::sync::Notify::new())), limits(usize::MAX));
        let mut batch = batch_of(&[("eth_chainId", "")]);
        let params = RawValue::from_string(r#"["0x1", "LATEST"]"#.into()).unwrap();
        let mut entries: Vec<_> = batch.into_iter().collect();
        entries.push(Ok(BatchEntry::Call(Request::owned(
            "eth_getBalance".into(),
            Some(params),
            Id::Number(1),
        ))));
        batch = Batch::from(entries);
        let answers: Vec<Value> =
            serde_json::from_str(service.batch(batch).await.as_json().get()).unwrap();
        assert_eq!(answers[0]["result"], "eth_chainId ");
        assert_eq!(answers[1]["id"], 1);
        assert_eq!(answers[1]["error"]["code"], -32602, "{}", answers[1]);
    }

    #[tokio::test]
    async fn past_the_response_limit_the_rest_of_a_batch_is_not_run_as_geth_does() {
        // Each answer is ~45 bytes: the first two pass the 60-byte limit, the rest get -32003
        // without running (the last would wait forever if it ran).
        let service = Precheck(Gate(Arc::new(tokio::sync::Notify::new())), limits(60));
        let batch = batch_of(&[
            ("eth_getFilterChanges", "a"),
            ("eth_getFilterChanges", "b"),
            ("eth_getFilterChanges", "c"),
            ("eth_getFilterChanges", "wait"),
        ]);
        // A refused entry past the limit gets -32003 too, as geth answers every remaining call.
        let mut entries: Vec<_> = batch.into_iter().collect();
        let refused = ErrorObjectOwned::owned(-32602, "refused", None::<()>);
        entries.push(Err(BatchEntryErr::new(Id::Number(4), refused)));
        let batch = Batch::from(entries);
        let answer = tokio::time::timeout(Duration::from_secs(5), service.batch(batch))
            .await
            .expect("a call past the limit ran");
        let answers: Vec<Value> = serde_json::from_str(answer.as_json().get()).unwrap();
        assert_eq!(answers.len(), 5, "{answers:?}");
        assert_eq!(answers[0]["result"], "eth_getFilterChanges a");
        assert_eq!(answers[1]["result"], "eth_getFilterChanges b");
        for (i, a) in answers.iter().enumerate().skip(2) {
            assert_eq!(a["id"], i as u64, "{a}");
            assert_eq!(a["error"]["code"], -32003, "{a}");
            assert_eq!(a["error"]["message"], "response too large", "{a}");
        }
    }

    #[test]
    fn quantities_follow_geths_hexutil() {
        for ok in ["0x0", "0x1b", "0xffffffffffffffff", "0XaB"] {
            assert_eq!(strict_u64(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("1b", "hex string without 0x prefix"),
            ("0x", "hex string \"0x\""),
            ("0x+1", "invalid hex string"),
            ("0x0001", "hex number with leading zero digits"),
            ("0x10000000000000000", "hex number > 64 bits"),
        ] {
            assert_eq!(strict_u64(bad), Err(why), "{bad}");
        }
        assert!(strict_block(&serde_json::json!("latest")).is_ok());
        assert!(strict_block(&serde_json::json!("LATEST")).is_err());
        assert!(strict_block(&serde_json::json!({"blockNumber": "0x01"})).is_err());
        assert!(strict_block(&serde_json::json!({"blockHash": "0x12"})).is_ok());
        assert!(strict_block(&serde_json::json!(5)).is_err());
        assert_eq!(
            strict_quantity(&serde_json::json!("0x01"), 64),
            Err("hex number with leading zero digits")
        );
        assert_eq!(strict_quantity(&serde_json::json!(1), 16), Err("non-string quantity"));
        assert!(strict_quantity(&serde_json::json!(format!("0x1{}", "0".repeat(64))), 64).is_err());
        assert!(strict_quantity(&serde_json::json!(null), 64).is_ok());
        let hash = format!("0x{}", "ab".repeat(32));
        assert!(strict_block_or_hash(&serde_json::json!(hash)).is_ok(), "a block hash");
        assert!(strict_block(&serde_json::json!(hash)).is_err(), "not where only numbers go");
    }
}
