//! `--report DIR`: report.json with every figure, and well-formed SVG plots (three, and a fourth for
//! settlement on a node that speaks `zks_`).

use crate::support::{assert_clean_run, run_bench, Node, QUICK};
use serde_json::Value;

/// Parses an SVG plot; returns how many elements of each drawn kind it has.
fn svg_elements(path: &std::path::Path, kind: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.trim_start().starts_with("<svg"), "{} does not start with <svg", path.display());
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants().filter(|n| n.tag_name().name() == kind).count()
}

fn keys(v: &Value, keys: &[&str], what: &str) {
    for k in keys {
        assert!(v.get(*k).is_some_and(|x| !x.is_null()), "{what} has no `{k}`: {v}");
    }
}

#[test]
fn report_dir_has_every_figure_and_four_plots() {
    let node = Node::rollupd_dev("report");
    let dir =
        std::env::temp_dir().join(format!("rollup-bench-it-{}-report-out", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut args = vec!["--rpc", node.url.as_str(), "--report", dir.to_str().unwrap()];
    args.extend(QUICK);
    let out = run_bench(&args);
    let summary = assert_clean_run(&out);

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    keys(
        &report,
        &[
            "config",
            "setup",
            "signing",
            "window",
            "totals",
            "by_kind",
            "latency",
            "histogram",
            "series",
            "bench_cpu",
            "settlement",
            "summary",
        ],
        "report.json",
    );
    keys(
        &report["config"],
        &["rpc", "chain_id", "scenario", "accounts", "batch", "window"],
        "config",
    );
    keys(&report["signing"], &["s", "count", "threads"], "signing");
    keys(&report["latency"], &["p10_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms"], "latency");
    keys(&report["bench_cpu"], &["s", "pct_of_one_core"], "bench_cpu");
    keys(&report["by_kind"]["eth"], &["sent", "included", "errors", "latency"], "by_kind.eth");
    assert_eq!(report["totals"]["included"], summary["included"]);
    assert_eq!(report["summary"], summary);
    let series = report["series"].as_array().unwrap();
    assert!(series.len() >= 3, "one point per second: {series:?}");
    keys(
        &series[1],
        &["t", "sent", "included", "tps", "p10_ms", "p50_ms", "p90_ms", "p99_ms"],
        "series",
    );
    // rollupd speaks zks_: the settlement part is there, with a backlog point per second.
    let settlement = &report["settlement"];
    keys(settlement, &["first_batch", "batches", "steps", "backlog"], "settlement");
    assert!(settlement["backlog"].as_array().unwrap().len() >= 3, "{settlement}");
    keys(
        &settlement["backlog"][0],
        &["sealed_not_committed", "committed_not_proven", "proven_not_executed"],
        "backlog",
    );

    assert!(svg_elements(&dir.join("tps.svg"), "polyline") >= 3, "tps.svg has no lines");
    assert!(svg_elements(&dir.join("latency.svg"), "polyline") >= 4, "latency.svg has no lines");
    let plot = dir.join("settlement.svg");
    assert!(
        svg_elements(&plot, "polyline") >= 4,
        "settlement.svg lacks sealed/committed/proven/executed"
    );
    let hist = dir.join("histogram.svg");
    assert!(svg_elements(&hist, "rect") >= 5, "histogram.svg has no bars");
    assert!(svg_elements(&hist, "polyline") >= 2, "histogram.svg has no p50/p99 markers");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_paced_run_sends_at_the_rate_asked_and_no_faster() {
    let node = Node::rollupd_dev("rate");
    let dir = std::env::temp_dir().join(format!("rollup-bench-it-{}-rate-out", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Unpaced, these accounts send the 600 in well under a second of 250 ms blocks. The window
    // (64 in flight per account) is wider than each account's plan (600 / 12 = 50), so only the
    // pacing limits sending. With 8 accounts and window 16 it also bound once inclusion took over
    // 0.64 s, which a disk busy with writeback (each block is an fsync) causes right after a big
    // build: the test then measured the disk, not the pacing.
    let out = run_bench(&[
        "--rpc",
        node.url.as_str(),
        "--rate",
        "200",
        "--duration",
        "3",
        "--accounts",
        "12",
        "--window",
        "64",
        "--drain",
        "20",
        "--report",
        dir.to_str().unwrap(),
    ]);
    let summary = assert_clean_run(&out);
    assert_eq!(summary["rate"], 200, "{summary}");
    assert_eq!(summary["sent"], 600, "rate x duration are signed and all sent: {summary}");
    assert_eq!(summary["ran_out_accounts"], 0, "a paced plan ends with the window: {summary}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["config"]["rate"], 200);
    // The last transactions were due at ~2.96 s: sending took the whole window.
    let sending = report["window"]["sending_s"].as_f64().unwrap();
    assert!(sending >= 2.5, "sent 600 in {sending} s at --rate 200");
    // Every whole second of the window sent about 200.
    let series = report["series"].as_array().unwrap();
    for s in &series[..2] {
        let sent = s["sent"].as_u64().unwrap();
        assert!((150..=250).contains(&sent), "second {}: {sent} sent at --rate 200", s["t"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
