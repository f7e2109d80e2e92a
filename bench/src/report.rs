//! Everything a run measured, in three forms: the human summary on stdout, the one-line JSON
//! object that ends stdout (scripts read the last line), and `--report DIR` (`report.json`
//! with every figure, plus the SVG plots).
//!
//! Definitions (also in `docs/bench.md`): `tps` is included transactions divided by the time
//! from the window's opening to the last inclusion; latencies are from a transaction's request
//! leaving to the poller seeing it in a block; percentiles are nearest-rank.

use crate::cli::{Args, Kind};
use crate::load::{lock, Book};
use crate::settlement::{Tracker, STEPS};
use crate::setup::{
    Endpoint, Setup, DEPOSIT_L2_GAS, DEPOSIT_SINK, DEPOSIT_WEI, WITHDRAW_SINK, WITHDRAW_WEI,
};
use crate::sign::SignStats;
use crate::stats::{self, round1, Histogram, Latency, Second};
use alloy::primitives::Address;
use anyhow::Context;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What the run knew besides the book.
#[derive(Debug)]
pub(crate) struct RunInfo<'a> {
    /// The command line.
    pub(crate) args: &'a Args,
    /// What the endpoint said at start.
    pub(crate) endpoint: &'a Endpoint,
    /// The rich key's address.
    pub(crate) funder: Address,
    /// The setup phase.
    pub(crate) setup: &'a Setup,
    /// The signing phase.
    pub(crate) sign: SignStats,
    /// CPU the bench used while sending: (seconds, % of one core), and over what wall time.
    pub(crate) cpu: Option<(f64, f64)>,
    /// Wall time the CPU figure covers.
    pub(crate) cpu_wall: Duration,
    /// Settlement, on a node that speaks `zks_`.
    pub(crate) settlement: Option<&'a Tracker>,
    /// Unix time of the window's opening, ms.
    pub(crate) started_unix_ms: u64,
}

/// The computed figures of a run.
#[derive(Debug)]
pub(crate) struct Report {
    /// Human summary lines.
    pub(crate) text: Vec<String>,
    /// The last line of stdout.
    pub(crate) summary: Value,
    /// `report.json`.
    pub(crate) full: Value,
    /// Per-second series (for the plots).
    pub(crate) series: Vec<Second>,
    /// Latency histogram (for the plot).
    pub(crate) histogram: Histogram,
    /// Overall latency.
    pub(crate) latency: Latency,
    /// When sending stopped, seconds since the window opened.
    pub(crate) sending_s: f64,
    /// The run's batches sealed, committed, proven, executed over time (for the plot).
    pub(crate) settlement: Option<Vec<(f64, [u64; 4])>>,
}

impl Report {
    /// Computes every figure from the book.
    pub(crate) fn build(book: &Book, run: &RunInfo<'_>) -> Self {
        let args = run.args;
        let inclusions = lock(&book.inclusions).clone();
        let all_ms: Vec<f64> =
            inclusions.iter().map(|i| f64::from(i.latency_us) / 1000.0).collect();
        let latency = Latency::of(all_ms.clone());
        let histogram = Histogram::of(&all_ms);
        let series = stats::series(&lock(&book.sends_ms), &lock(&book.errors_ms), &inclusions);
        let (sent, included, errors) = book.totals();
        let sending = lock(&book.sending_ended).unwrap_or_default();
        let span = lock(&book.last_inclusion).unwrap_or(sending);
        let tps = included as f64 / span.as_secs_f64().max(1e-9);
        let (ran_out, ran_out_at) = *lock(&book.ran_out);
        let interrupted = book.interrupted.load(Ordering::Relaxed);
        let stranded = book.stranded.load(Ordering::Relaxed);
        let sign_s = run.sign.elapsed.as_secs_f64();
        let sign_rate = run.sign.count as f64 / sign_s.max(1e-9);

        let mut by_kind = serde_json::Map::new();
        for k in Kind::ALL.into_iter().filter(|k| args.scenario.uses(*k)) {
            let c = &book.kinds[k.index()];
            let lat = Latency::of(
                inclusions
                    .iter()
                    .filter(|i| i.kind == k)
                    .map(|i| f64::from(i.latency_us) / 1000.0)
                    .collect(),
            );
            let mut v = json!({
                "sent": c.sent.load(Ordering::Relaxed),
                "included": c.included.load(Ordering::Relaxed),
                "errors": c.errors.load(Ordering::Relaxed),
                "gas_limit": run.setup.gas[k.index()],
                "latency": lat.to_json(),
            });
            match k {
                Kind::Deposit => {
                    let l1_ms: Vec<f64> = lock(&book.l1_latencies_us)
                        .iter()
                        .map(|us| f64::from(*us) / 1000.0)
                        .collect();
                    v["l1_included"] = json!(l1_ms.len());
                    v["l1_latency"] = Latency::of(l1_ms).to_json();
                    v["l2_gas_limit"] = json!(DEPOSIT_L2_GAS);
                    v["amount_wei"] = json!(DEPOSIT_WEI);
                    v["l2_recipient"] = json!(DEPOSIT_SINK);
                    v["msg_value_wei"] =
                        json!(run.setup.l1.as_ref().map(|l| l.deposit_value.to_string()));
                }
                Kind::Withdraw => {
                    v["amount_wei"] = json!(WITHDRAW_WEI);
                    v["l1_receiver"] = json!(WITHDRAW_SINK);
                }
                _ => {}
            }
            by_kind.insert(k.name().into(), v);
        }

        let summary = json!({
            "tps": round1(tps),
            "p10_ms": round1(latency.p[0]),
            "p50_ms": round1(latency.p50()),
            "p90_ms": round1(latency.p[2]),
            "p99_ms": round1(latency.p99()),
            "max_ms": round1(latency.max),
            "sent": sent,
            "included": included,
            "errors": errors,
            "scenario": args.scenario.to_string(),
            "batch": args.batch,
            "window": args.window,
            "accounts": args.accounts,
            "duration_s": args.duration,
            "rate": args.rate,
            "sign_s": (sign_s * 100.0).round() / 100.0,
            "bench_cpu_pct": run.cpu.map(|(_, pct)| round1(pct)),
            "ran_out_accounts": ran_out,
            "rpc": args.rpc,
            "client": run.endpoint.client,
            "funder": run.funder.to_string(),
        });

        let mut text = vec![
            format!(
                "rollup-bench against {} ({}, chain {})",
                args.rpc,
                if run.endpoint.client.is_empty() {
                    "unknown client"
                } else {
                    &run.endpoint.client
                },
                run.endpoint.chain_id
            ),
            format!(
                "  scenario {}, {} accounts, window {}, batch {}, {} s{}",
                args.scenario,
                args.accounts,
                args.window,
                args.batch,
                args.duration,
                if interrupted { " (interrupted)" } else { "" }
            ),
            format!(
                "  setup {:.1} s ({} funder transactions); signed {} transactions in {:.2} s \
                 ({:.0}/s on {} threads), before the window",
                run.setup.elapsed.as_secs_f64(),
                run.setup.funder_txs,
                run.sign.count,
                sign_s,
                sign_rate,
                run.sign.threads
            ),
            format!(
                "  sending {:.1} s, last inclusion at {:.1} s",
                sending.as_secs_f64(),
                span.as_secs_f64()
            ),
            format!(
                "  sent {sent}, included {included}, errors {errors}, not included {}",
                sent.saturating_sub(included)
            ),
        ];
        if by_kind.len() > 1 {
            for (k, v) in Kind::ALL.iter().filter_map(|k| Some((k.name(), by_kind.get(k.name())?)))
            {
                text.push(format!(
                    "    {k}: sent {}, included {}, errors {}, p50 {} ms",
                    v["sent"], v["included"], v["errors"], v["latency"]["p50_ms"]
                ));
            }
        }
        if let (Some(v), Some(l1)) = (by_kind.get(Kind::Deposit.name()), &run.setup.l1) {
            text.push(format!(
                "  deposits on the L1 {} (chain {}): {} seen in L1 blocks, submit -> L1 block p50 \
                 {} ms; submit -> L2 block p50 {} ms",
                args.l1_rpc,
                l1.l1.chain_id,
                v["l1_included"],
                v["l1_latency"]["p50_ms"],
                v["latency"]["p50_ms"]
            ));
        }
        text.push(format!(
            "  included TPS {tps:.0}; submit -> inclusion p10 {:.1} ms, p50 {:.1} ms, p90 {:.1} \
             ms, p99 {:.1} ms, max {:.1} ms",
            latency.p[0],
            latency.p50(),
            latency.p[2],
            latency.p99(),
            latency.max
        ));
        match run.cpu {
            Some((s, pct)) => text.push(format!(
                "  bench CPU while sending: {s:.2} s over {:.1} s ({pct:.0}% of one core)",
                run.cpu_wall.as_secs_f64()
            )),
            None => text.push("  bench CPU: not measured (needs Linux /proc)".into()),
        }
        if stranded > 0 {
            text.push(format!(
                "  {stranded} accepted transactions were stranded behind a rejected nonce when \
                 sending stopped (not waited for)"
            ));
        }
        if ran_out > 0 {
            text.push(format!(
                "  {ran_out} of {} accounts ran out of pre-signed transactions (first at {:.1} s): \
                 raise --max-tps",
                args.accounts,
                ran_out_at.unwrap_or_default().as_secs_f64()
            ));
        }
        let reasons = lock(&book.reasons).clone();
        let mut reasons: Vec<(String, u64)> = reasons.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (r, n) in reasons.iter().take(5) {
            text.push(format!("  error x{n}: {r}"));
        }

        let settlement = match run.settlement {
            Some(t) => {
                let (json, lines) = settlement_figures(t, run.started_unix_ms, included);
                text.extend(lines);
                json
            }
            None => {
                text.push(
                    "  settlement: not reported (the node does not answer zks_L1BatchNumber)"
                        .into(),
                );
                Value::Null
            }
        };

        let mut summary = summary;
        if let Some(tps) = settlement["finalized"]["tps"].as_f64() {
            summary["finalized_tps"] = json!(tps);
        }

        let full = json!({
            "version": 1,
            "started_at_unix_ms": run.started_unix_ms,
            "config": {
                "rpc": args.rpc,
                "client": run.endpoint.client,
                "chain_id": run.endpoint.chain_id,
                "scenario": args.scenario.to_string(),
                "accounts": args.accounts,
                "duration_s": args.duration,
                "window": args.window,
                "batch": args.batch,
                "max_tps": args.max_tps,
                "rate": args.rate,
                "drain_s": args.drain,
                "poll_ms": args.poll_ms,
                "funder": run.funder.to_string(),
                "l1_rpc": run.setup.l1.as_ref().map(|_| &args.l1_rpc),
                "l1_chain_id": run.setup.l1.as_ref().map(|l| l.l1.chain_id),
            },
            "setup": {
                "s": round3(run.setup.elapsed.as_secs_f64()),
                "funder_txs": run.setup.funder_txs,
                "funding_wei_per_account": run.setup.funding_wei.to_string(),
                "l1_funding_wei_per_account": run.setup.l1.as_ref().map(|l| l.funding_wei.to_string()),
                "l1_gas_price": run.setup.l1.as_ref().map(|l| l.l1.gas_price.to_string()),
                "token": run.setup.token,
                "max_fee_per_gas": run.setup.fees.max_fee.to_string(),
                "max_priority_fee_per_gas": run.setup.fees.tip.to_string(),
            },
            "signing": {
                "s": round3(sign_s),
                "count": run.sign.count,
                "per_account": args.per_account(),
                "threads": run.sign.threads,
                "per_s": sign_rate.round(),
            },
            "window": {
                "sending_s": round3(sending.as_secs_f64()),
                "last_inclusion_s": round3(span.as_secs_f64()),
                "interrupted": interrupted,
                "ran_out": {
                    "accounts": ran_out,
                    "first_at_s": ran_out_at.map(|d| round3(d.as_secs_f64())),
                },
            },
            "totals": {
                "sent": sent,
                "included": included,
                "errors": errors,
                "not_included": sent.saturating_sub(included),
                "stranded": stranded,
                "tps": round1(tps),
            },
            "by_kind": by_kind,
            "latency": latency.to_json(),
            "histogram": histogram.to_json(),
            "series": series.iter().map(second_json).collect::<Vec<_>>(),
            "errors": reasons.iter().map(|(r, n)| json!({"reason": r, "count": n})).collect::<Vec<_>>(),
            "bench_cpu": run.cpu.map(|(s, pct)| json!({
                "s": round3(s),
                "pct_of_one_core": round1(pct),
                "wall_s": round3(run.cpu_wall.as_secs_f64()),
            })),
            "settlement": settlement,
            "summary": summary,
        });
        Self {
            text,
            summary,
            full,
            series,
            histogram,
            latency,
            sending_s: sending.as_secs_f64(),
            settlement: run.settlement.map(Tracker::cumulative),
        }
    }

    /// Writes `report.json` and the plots into `dir` (`settlement.svg` when settlement was
    /// followed).
    pub(crate) fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("report.json");
        let text = serde_json::to_string_pretty(&self.full).context("encoding the report")?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        crate::plot::tps(&dir.join("tps.svg"), &self.series, self.sending_s)?;
        crate::plot::latency(&dir.join("latency.svg"), &self.series, self.sending_s)?;
        crate::plot::histogram(&dir.join("histogram.svg"), &self.histogram, &self.latency)?;
        if let Some(points) = &self.settlement {
            crate::plot::settlement(&dir.join("settlement.svg"), points, self.sending_s)?;
        }
        Ok(())
    }
}

fn second_json(s: &Second) -> Value {
    let mut o = json!({
        "t": s.t,
        "sent": s.sent,
        "included": s.included,
        "tps": s.included,
        "errors": s.errors,
    });
    if let (Value::Object(o), Value::Object(l)) = (&mut o, s.latency.to_json()) {
        o.extend(l.into_iter().filter(|(k, _)| k != "mean_ms"));
    }
    o
}

/// The settlement part of `report.json` and its summary lines; `started_unix_ms` is when the
/// window opened, `included` how many of the run's transactions the L2 included.
fn settlement_figures(t: &Tracker, started_unix_ms: u64, included: u64) -> (Value, Vec<String>) {
    let n = (t.sealed + 1).saturating_sub(t.first_batch);
    let mut steps = serde_json::Map::new();
    let mut parts = Vec::new();
    for (i, (name, _)) in STEPS.iter().enumerate() {
        let mut s = t.step_latencies(i);
        s.sort_unstable_by(f64::total_cmp);
        let p50 = stats::percentile(&s, 50.0);
        let max = s.last().copied();
        steps.insert(
            (*name).into(),
            json!({"count": s.len(), "p50_s": max.map(|_| p50), "max_s": max}),
        );
        parts.push(match max {
            Some(max) => format!("{name} {}/{n} (p50 {p50:.0} s, max {max:.0} s)", s.len()),
            None => format!("{name} 0/{n}"),
        });
    }
    let last = t.backlog.last();
    let peak =
        |f: fn(&crate::settlement::Backlog) -> u64| t.backlog.iter().map(f).max().unwrap_or(0);
    let mut lines = vec![if n == 0 {
        "  settlement: no L1 batch sealed during the run".to_string()
    } else {
        format!(
            "  settlement: {n} L1 batches sealed during the run; from batch timestamp: {}",
            parts.join(", ")
        )
    }];
    if let Some(b) = last {
        lines.push(format!(
            "  settlement backlog at the end: {} uncommitted, {} unproven, {} unexecuted (peak \
             {}/{}/{})",
            b.uncommitted,
            b.unproven,
            b.unexecuted,
            peak(|b| b.uncommitted),
            peak(|b| b.unproven),
            peak(|b| b.unexecuted)
        ));
    }
    // Finalized TPS: transactions whose batch was executed on L1, over the time from the first
    // send to the last execute. The run's first batch may also hold setup transactions.
    let started_s = started_unix_ms / 1000;
    let finalized = t.finalized().map(|(txs, last)| {
        let span = last.saturating_sub(started_s).max(1);
        (txs, span, txs as f64 / span as f64)
    });
    match finalized {
        Some((txs, span, tps)) => lines.push(format!(
            "  finalized: {txs} transactions in executed batches ({included} included) over {span} s from the first send to the last execute: {tps:.1} finalized TPS"
        )),
        None => lines.push("  finalized: no batch of the run executed on L1 yet".into()),
    }
    let batches: Vec<Value> = t
        .batches
        .iter()
        .map(|(number, b)| {
            let rel = |i: usize| b.steps[i].map(|at| at.saturating_sub(b.timestamp));
            json!({
                "number": number,
                "timestamp": b.timestamp,
                "l2_txs": b.l2_txs,
                "committed_s": rel(0),
                "proven_s": rel(1),
                "executed_s": rel(2),
            })
        })
        .collect();
    let backlog: Vec<Value> = t
        .backlog
        .iter()
        .map(|b| {
            json!({
                "t": round3(b.t),
                "sealed": b.sealed,
                "sealed_not_committed": b.uncommitted,
                "committed_not_proven": b.unproven,
                "proven_not_executed": b.unexecuted,
            })
        })
        .collect();
    let json = json!({
        "finalized": finalized.map(|(txs, span, tps)| json!({
            "txs": txs,
            "to_last_execute_s": span,
            "tps": round1(tps),
        })),
        "first_batch": t.first_batch,
        "last_sealed": t.sealed,
        "batches_sealed": n,
        "steps": steps,
        "batches": batches,
        "backlog": backlog,
    });
    (json, lines)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
