//! A Prometheus text endpoint (any path answers) with the counters of each running chain.

use rollup_actors::chain::Chain;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// (name, type, help, reader) of one series.
type Series = (&'static str, &'static str, &'static str, fn(&Chain) -> u64);

/// Renders the metrics of `chains` in the Prometheus text format.
pub(crate) fn render(chains: &[Arc<Chain>]) -> String {
    let mut out = String::new();
    let series: [Series; 7] = [
        ("rollupd_blocks_sealed_total", "counter", "Blocks sealed since start.", |c| {
            c.metrics.blocks_sealed.load(Ordering::Relaxed)
        }),
        ("rollupd_txs_included_total", "counter", "Transactions included since start.", |c| {
            c.metrics.txs_included.load(Ordering::Relaxed)
        }),
        (
            "rollupd_txs_dropped_total",
            "counter",
            "Transactions dropped at execution since start.",
            |c| c.metrics.txs_dropped.load(Ordering::Relaxed),
        ),
        ("rollupd_pool_size", "gauge", "Transactions in the pool.", |c| {
            c.metrics.pool_size.load(Ordering::Relaxed)
        }),
        (
            "rollupd_seal_latency_micros_total",
            "counter",
            "Sum of block seal latencies (execute + durable commit), microseconds.",
            |c| c.metrics.seal_micros_total.load(Ordering::Relaxed),
        ),
        (
            "rollupd_seal_latency_micros_last",
            "gauge",
            "Latency of the last seal, microseconds.",
            |c| c.metrics.seal_micros_last.load(Ordering::Relaxed),
        ),
        ("rollupd_actor_restarts_total", "counter", "Actor restarts by the supervisor.", |c| {
            c.metrics.restarts.load(Ordering::Relaxed)
        }),
    ];
    for (name, kind, help, get) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for c in chains {
            let _ = writeln!(out, "{name}{{chain=\"{}\"}} {}", c.config.name, get(c));
        }
    }
    let _ = writeln!(out, "# HELP rollupd_head_block Number of the last sealed block.\n# TYPE rollupd_head_block gauge");
    for c in chains {
        let head = c.store.head().ok().flatten().map(|(n, _)| n).unwrap_or_default();
        let _ = writeln!(out, "rollupd_head_block{{chain=\"{}\"}} {head}", c.config.name);
    }
    out
}

/// Serves the metrics on `addr` until the process ends. Returns the bound address.
pub(crate) async fn serve(addr: SocketAddr, chains: Vec<Arc<Chain>>) -> anyhow::Result<SocketAddr> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics endpoint to {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { continue };
            let chains = chains.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                // One small request per connection; the body is ignored.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(5), sock.read(&mut buf))
                        .await;
                let body = render(&chains);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    Ok(bound)
}
