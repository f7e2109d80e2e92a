//! `rollup-bench`, the load tester for rollupd. It is a plain Ethereum JSON-RPC client, so the
//! same run measures any node (anvil, geth, rollupd); on a node that speaks `zks_` it also
//! reports settlement on L1.
//!
//! A run has four phases, each reported on its own:
//! 1. **setup** ([`setup`]): ask the endpoint who it is, measure each transaction kind's gas,
//!    deploy the ERC-20 if the scenario needs it, fund fresh load accounts from one rich key;
//! 2. **signing** ([`sign`]): sign every load transaction, on every core, before the window;
//! 3. **the window** ([`load`]): each account sends its pre-signed transactions for
//!    `--duration` seconds, at most `--window` unconfirmed, `--batch` per request, while a
//!    poller marks them included, [`progress`] draws a live line and [`settlement`] follows
//!    L1; then the stragglers drain;
//! 4. **the report** ([`report`], [`plot`]): a summary, `--report DIR`, and as the last line
//!    of stdout one JSON object: `{"tps", "p50_ms", "p99_ms", "sent", "included", "errors", ...}`.
//!
//! Errors end the run with one line on stderr: exit 2 for bad flags and an unreachable or
//! wrong endpoint, 1 for a run that failed. `docs/bench.md` is the user's guide.

mod cli;
mod contracts;
mod cpu;
mod error;
mod load;
mod plot;
mod progress;
mod report;
mod rpc;
mod settlement;
mod setup;
mod sign;
mod stats;

use crate::cli::{Args, Kind};
use crate::error::BenchError;
use crate::load::{Book, LoadConfig, Poller};
use crate::progress::Progress;
use crate::report::{Report, RunInfo};
use crate::rpc::Rpc;
use crate::settlement::Tracker;
use anyhow::Context;
use clap::Parser;
use serde_json::json;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Timeout of one JSON-RPC request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // clap's own message spans several lines (usage, tips): keep its first.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("rollup-bench: error: {first} (see --help)");
            return ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .map_err(BenchError::from)
        .and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rollup-bench: error: {}", e.one_line());
            e.exit_code()
        }
    }
}

async fn run(args: Args) -> Result<(), BenchError> {
    args.validate()?;
    let funder = setup::funder_key(&args.private_key)?;
    let progress = Progress::for_stderr(Duration::from_secs(args.progress_secs));
    let rpc = Rpc::new(&args.rpc, REQUEST_TIMEOUT, args.connections as usize)?;

    let endpoint = setup::probe(&rpc, args.chain_id).await?;
    // Before any status line: a setup that cannot work is one line and exit 2.
    let l1 = setup::probe_bridge(&rpc, &args, args.connections as usize, REQUEST_TIMEOUT).await?;
    progress.status(&format!(
        "{} is {} on chain {}; zks_ settlement figures {}",
        args.rpc,
        if endpoint.client.is_empty() { "a node" } else { &endpoint.client },
        endpoint.chain_id,
        if endpoint.sealed_batch.is_some() { "on" } else { "off (no zks_L1BatchNumber)" }
    ));
    if let Some(l1) = &l1 {
        progress.status(&format!(
            "deposits go to {} ({}chain {}), Diamond {}",
            args.l1_rpc,
            if l1.client.is_empty() { String::new() } else { format!("{}, ", l1.client) },
            l1.chain_id,
            l1.diamond
        ));
    }
    let funded = setup::prepare(&rpc, &endpoint, l1, &args, funder, |s| progress.status(s)).await?;

    let per_account = args.per_account();
    progress.status(&format!(
        "signing {} transactions ({per_account} per account) on {} threads",
        per_account * funded.accounts.len(),
        rayon::current_num_threads()
    ));
    let (plans, sign_stats) = {
        let (funded, scenario) = (funded.clone(), args.scenario.clone());
        let signed = Arc::new(AtomicU64::new(0));
        let total = (per_account * funded.accounts.len()) as u64;
        let ticker = tokio::spawn(count_up("signed", signed.clone(), total, progress));
        let result = tokio::task::spawn_blocking(move || {
            sign::presign(&funded.accounts, per_account, &scenario, |k| funded.tx(k), &signed)
        })
        .await;
        ticker.abort();
        result.context("the signing threads")??
    };
    progress.status(&format!(
        "signed in {:.2} s; sending for {} s",
        sign_stats.elapsed.as_secs_f64(),
        args.duration
    ));

    let start_block =
        rpc.quantity("eth_blockNumber", json!([])).await.context("eth_blockNumber")? as u64 + 1;
    let l1 = funded.l1.as_ref().map(|s| &s.l1);
    let l1_start_block = match l1 {
        Some(l1) => Some(
            l1.rpc
                .quantity("eth_blockNumber", json!([]))
                .await
                .context("eth_blockNumber on the L1")? as u64
                + 1,
        ),
        None => None,
    };
    let tracker = match endpoint.sealed_batch {
        Some(_) => Some(Tracker::start(rpc.clone()).await),
        None => None,
    };

    // The window opens.
    let cpu_before = cpu::process_cpu();
    let book = Arc::new(Book::new(plans.len(), args.scenario.uses(Kind::Deposit)));
    let started_unix_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let interrupt = tokio::spawn(watch_interrupt(book.clone(), progress));
    let stop_progress = Arc::new(AtomicBool::new(false));
    let progress_task = tokio::spawn(progress.run(
        book.clone(),
        Duration::from_secs(args.duration),
        stop_progress.clone(),
    ));
    let stop_settlement = Arc::new(AtomicBool::new(false));
    let settlement_task =
        tracker.map(|t| tokio::spawn(follow_settlement(t, book.clone(), stop_settlement.clone())));
    let poller =
        Poller::spawn(&rpc, book.clone(), start_block, Duration::from_millis(args.poll_ms));
    let l1_poller = l1.zip(l1_start_block).map(|(l1, from)| {
        Poller::spawn_l1(
            &l1.rpc,
            book.clone(),
            from,
            Duration::from_millis(args.poll_ms),
            l1.diamond,
        )
    });
    let cfg = LoadConfig {
        duration: Duration::from_secs(args.duration),
        window: args.window,
        batch: args.batch as usize,
        paced: args.rate.map(|_| plans.len()),
    };
    load::send(&rpc, l1.map(|l1| &l1.rpc), plans, cfg, &book).await;
    let cpu_after = cpu::process_cpu();
    let cpu_wall = book.started.elapsed();
    load::drain(&book, Duration::from_secs(args.drain)).await;
    poller.stop().await;
    if let Some(p) = l1_poller {
        p.stop().await;
    }
    stop_progress.store(true, Ordering::Relaxed);
    let _ = progress_task.await;

    let mut tracker = None;
    if let Some(task) = settlement_task {
        stop_settlement.store(true, Ordering::Relaxed);
        let mut t = task.await.context("the settlement tracker")?;
        if let Ok(head) = rpc.quantity("eth_blockNumber", json!([])).await {
            t.settle_through_block(head as u64);
        }
        let deadline = Instant::now() + Duration::from_secs(args.settle_wait);
        if args.settle_wait > 0 && !t.all_executed() {
            progress.status(&format!(
                "waiting up to {} s for the run's batches to be executed on L1",
                args.settle_wait
            ));
        }
        let mut said = Instant::now();
        while args.settle_wait > 0
            && !t.all_executed()
            && Instant::now() < deadline
            && !book.interrupted.load(Ordering::Relaxed)
        {
            tokio::time::sleep(Duration::from_secs(1)).await;
            t.tick(book.started.elapsed().as_secs_f64()).await;
            if said.elapsed() >= Duration::from_secs(args.progress_secs.max(10)) {
                said = Instant::now();
                progress.status(&t.progress_line());
            }
        }
        tracker = Some(t);
    }
    interrupt.abort();

    let info = RunInfo {
        args: &args,
        endpoint: &endpoint,
        funder: funder.address,
        setup: &funded,
        sign: sign_stats,
        cpu: cpu::usage(cpu_before, cpu_after, cpu_wall),
        cpu_wall,
        settlement: tracker.as_ref(),
        started_unix_ms,
    };
    let report = Report::build(&book, &info);
    for line in &report.text {
        println!("{line}");
    }
    if let Some(dir) = &args.report {
        report.write(dir)?;
        println!("  report: {}", dir.join("report.json").display());
    }
    println!("{}", report.summary);
    Ok(())
}

/// First Ctrl-C: stop sending and report what was measured. Second: exit at once.
async fn watch_interrupt(book: Arc<Book>, progress: Progress) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    book.interrupt();
    progress.status("interrupted: stopping; Ctrl-C again to quit without a report");
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

/// A status line every two seconds with `done` out of `total`, until aborted.
async fn count_up(what: &'static str, done: Arc<AtomicU64>, total: u64, progress: Progress) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let n = done.load(Ordering::Relaxed);
        progress.status(&format!(
            "{what} {n}/{total} ({:.0}%)",
            100.0 * n as f64 / total.max(1) as f64
        ));
    }
}

/// Ticks the settlement tracker every second until `stop`, then once more.
async fn follow_settlement(mut t: Tracker, book: Arc<Book>, stop: Arc<AtomicBool>) -> Tracker {
    loop {
        t.tick(book.started.elapsed().as_secs_f64()).await;
        if stop.load(Ordering::Relaxed) {
            return t;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
