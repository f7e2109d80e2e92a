//! Polling filters, as geth keeps them: `eth_newFilter`, `eth_newBlockFilter`,
//! `eth_newPendingTransactionFilter`, `eth_getFilterChanges`, `eth_getFilterLogs` and
//! `eth_uninstallFilter` (ethers v6's `contract.on` over HTTP polls these).
//!
//! Ids are hex strings. A filter not polled for `rpc.filter_timeout_secs` (geth: 5 minutes) is removed,
//! and at most [`MAX_FILTERS`] exist at once. Log and block filters keep a cursor, the last block
//! they reported, and read the blocks after it from the store at each poll (at most
//! `rpc.max_logs_block_range` blocks per poll; the next poll goes on from there). One client
//! address holds at most [`MAX_FILTERS_PER_ADDRESS`], and log criteria are bounded
//! ([`check_criteria`]). A
//! pending-transaction filter holds a receiver of the pool's admissions; one that is not polled
//! while more than 4,096 transactions are admitted loses the oldest, as geth's does.

use super::{invalid_params, reg, rpc_err, server_err, RpcCtx, RpcResult};
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::B256;
use alloy::rpc::types::{Filter, FilterBlockOption};
use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::RpcModule;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::{self, error::TryRecvError};

/// Most filters installed at once.
pub(crate) const MAX_FILTERS: usize = 10_000;

/// Most filters one client address holds, so one client cannot take every slot (ethers and viem
/// watch events over HTTP with filters).
pub(crate) const MAX_FILTERS_PER_ADDRESS: usize = MAX_FILTERS / 10;

/// Most addresses in a log filter, as geth (`exceed max addresses`), for `eth_getLogs`,
/// `eth_newFilter` and `logs` subscriptions alike.
pub(crate) const MAX_ADDRESSES: usize = 1_000;

/// Most topic alternatives over a log filter's four positions (`exceed max topics`); geth bounds
/// the positions only (four: alloy refuses a fifth).
pub(crate) const MAX_TOPICS: usize = 1_000;

/// Refuses log criteria over [`MAX_ADDRESSES`] or [`MAX_TOPICS`]: each is held for the life of
/// a filter or subscription, and matched against every log.
pub(crate) fn check_criteria(f: &Filter) -> RpcResult<()> {
    if f.address.len() > MAX_ADDRESSES {
        return Err(rpc_err(-32000, "exceed max addresses"));
    }
    if f.topics.iter().map(|t| t.len()).sum::<usize>() > MAX_TOPICS {
        return Err(rpc_err(-32000, "exceed max topics"));
    }
    Ok(())
}

enum Kind {
    Logs(Box<Filter>),
    Blocks,
    Pending(broadcast::Receiver<B256>),
}

struct Entry {
    kind: Kind,
    /// The client address that installed it (its share is counted by it).
    owner: Option<std::net::IpAddr>,
    /// The last block reported (log and block filters).
    cursor: u64,
    last_poll: Instant,
}

/// The installed filters of one chain's RPC server.
pub(crate) struct Filters {
    entries: Mutex<HashMap<String, Entry>>,
    ids: super::HexIdProvider,
    timeout: Duration,
}

impl std::fmt::Debug for Filters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|g| g.len()).unwrap_or_default();
        f.debug_struct("Filters").field("installed", &n).finish()
    }
}

fn not_found() -> jsonrpsee::types::ErrorObjectOwned {
    rpc_err(-32000, "filter not found")
}

impl Filters {
    /// No filters yet; they expire after `timeout` without a poll.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self { entries: Mutex::default(), ids: super::HexIdProvider::default(), timeout }
    }

    /// The entries, with the expired ones removed.
    fn live(&self) -> RpcResult<std::sync::MutexGuard<'_, HashMap<String, Entry>>> {
        let mut g = self.entries.lock().map_err(|_| server_err("filters lock poisoned"))?;
        let now = Instant::now();
        g.retain(|_, e| now.duration_since(e.last_poll) < self.timeout);
        Ok(g)
    }

    /// Installs a filter for the calling client ([`super::peer`]), within its share.
    fn install(&self, kind: Kind, cursor: u64) -> RpcResult<String> {
        let owner = super::peer();
        let mut g = self.live()?;
        let now = Instant::now();
        if owner.is_some()
            && g.values().filter(|e| e.owner == owner).count() >= MAX_FILTERS_PER_ADDRESS
        {
            return Err(rpc_err(
                -32000,
                format!(
                    "too many filters installed from this address ({MAX_FILTERS_PER_ADDRESS}); uninstall some"
                ),
            ));
        }
        if g.len() >= MAX_FILTERS {
            return Err(rpc_err(
                -32000,
                format!("too many filters installed ({MAX_FILTERS}); uninstall some"),
            ));
        }
        let id = self.ids.next_hex();
        g.insert(id.clone(), Entry { kind, owner, cursor, last_poll: now });
        Ok(id)
    }
}

/// The block range of a log filter's next poll: after `cursor`, up to the head, the filter's
/// `toBlock` and the range cap. `None` when there is nothing new.
fn next_range(ctx: &RpcCtx, filter: &Filter, cursor: u64) -> RpcResult<Option<(u64, u64)>> {
    let head = ctx.head()?;
    let (from, to) = match filter.block_option {
        FilterBlockOption::Range { from_block, to_block } => {
            // A tag (`latest`, ...) is not a lower bound: as geth, a filter reports every
            // block after the last poll. Resolving it at each poll skipped all but the head.
            let from = match from_block {
                Some(BlockNumberOrTag::Number(n)) => n,
                _ => 0,
            };
            let to = match to_block {
                None | Some(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending) => head,
                Some(b) => ctx.number(b)?,
            };
            (from.max(cursor + 1), to.min(head))
        }
        // A filter on one block hash reports nothing new, ever.
        FilterBlockOption::AtBlockHash(_) => return Ok(None),
    };
    if from > to {
        return Ok(None);
    }
    Ok(Some((from, to.min(from + ctx.cfg.max_logs_block_range - 1))))
}

pub(crate) fn register(m: &mut RpcModule<RpcCtx>) -> Result<(), RegisterMethodError> {
    reg(m, "eth_newFilter", |p, ctx| async move {
        let filter: Filter = p.one()?;
        check_criteria(&filter)?;
        if let FilterBlockOption::Range { from_block: Some(f), to_block: Some(t) } =
            filter.block_option
        {
            if ctx.number(f)? > ctx.number(t)? {
                return Err(invalid_params(
                    "invalid block range params: fromBlock is after toBlock",
                ));
            }
        }
        let head = ctx.head()?;
        Ok(json!(ctx.filters.install(Kind::Logs(Box::new(filter)), head)?))
    })?;
    reg(m, "eth_newBlockFilter", |_, ctx| async move {
        let head = ctx.head()?;
        Ok(json!(ctx.filters.install(Kind::Blocks, head)?))
    })?;
    reg(m, "eth_newPendingTransactionFilter", |_, ctx| async move {
        let rx = ctx.chain.admitted.subscribe();
        Ok(json!(ctx.filters.install(Kind::Pending(rx), 0)?))
    })?;
    reg(m, "eth_uninstallFilter", |p, ctx| async move {
        let id: String = p.one()?;
        Ok(json!(ctx.filters.live()?.remove(&id).is_some()))
    })?;
    reg(m, "eth_getFilterChanges", |p, ctx| async move {
        let id: String = p.one()?;
        // Take what the poll needs under the lock; read the store without it.
        let (job, cursor) = {
            let mut g = ctx.filters.live()?;
            let e = g.get_mut(&id).ok_or_else(not_found)?;
            e.last_poll = Instant::now();
            match &mut e.kind {
                Kind::Pending(rx) => {
                    let mut hashes = Vec::new();
                    loop {
                        match rx.try_recv() {
                            Ok(h) => hashes.push(h),
                            Err(TryRecvError::Lagged(_)) => continue,
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                    return super::json_of(&hashes);
                }
                Kind::Logs(f) => (Some(f.clone()), e.cursor),
                Kind::Blocks => (None, e.cursor),
            }
        };
        let ctx2 = ctx.clone();
        let (out, new_cursor) = super::eth::blocking(ctx.workers.clone(), move || match job {
            Some(filter) => {
                let Some((from, to)) = next_range(&ctx2, &filter, cursor)? else {
                    return Ok((super::json_of(&json!([]))?, cursor));
                };
                let (logs, last) = super::eth::logs_for_poll(&ctx2, &filter, from, to)?;
                Ok((super::json_of(&logs)?, last))
            }
            None => {
                let head = ctx2.head()?;
                let to = head.min(cursor + ctx2.cfg.max_logs_block_range);
                let mut hashes = Vec::new();
                for n in cursor + 1..=to {
                    hashes.push(ctx2.header(n)?.hash_slow());
                }
                Ok((super::json_of(&hashes)?, to.max(cursor)))
            }
        })
        .await?;
        if let Ok(mut g) = ctx.filters.entries.lock() {
            if let Some(e) = g.get_mut(&id) {
                e.cursor = e.cursor.max(new_cursor);
            }
        }
        Ok(out)
    })?;
    reg(m, "eth_getFilterLogs", |p, ctx| async move {
        let id: String = p.one()?;
        let filter = {
            let mut g = ctx.filters.live()?;
            let e = g.get_mut(&id).ok_or_else(not_found)?;
            e.last_poll = Instant::now();
            match &e.kind {
                Kind::Logs(f) => f.clone(),
                _ => return Err(not_found()),
            }
        };
        let ctx2 = ctx.clone();
        super::eth::blocking(ctx.workers.clone(), move || {
            super::json_of(&super::eth::logs_in_range(&ctx2, &filter)?)
        })
        .await
    })?;
    Ok(())
}
