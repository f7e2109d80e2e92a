//! `rollupd prover`: setup refusals and dev keys, and real worker processes sharing one queue
//! with a local prover actor through the gateway — a killed worker's job finished by another,
//! forged proofs and wrong tokens refused.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::primitives::{keccak256, B256, U256};
use ractor::Actor;
use rollup_actors::tree::{StateDiff, TreeStore};
use rollup_prover::{
    actor::{Progress, ProverActor, ProverArgs},
    circuit::Shape,
    exchange::{ExchangeActor, ExchangeArgs, ExchangeMsg, ExchangeRef, QueueStatus},
    gateway,
    job::ProofJob,
    keys::KeySet,
    worker::{GatewayClient, WorkerError},
    ProofWords,
};
use serde_json::json;

use super::support::{rollupd, tmp_dir};

const TOKEN: &str = "test-token-3320";

#[test]
fn setup_refuses_production_keys_and_bad_capacities() {
    let dir = tmp_dir("prover-setup-refusals");
    let out = dir.to_str().unwrap();
    let refused = rollupd(&["prover", "setup", "--capacities", "1", "--out", out]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refusing a single-party setup"));
    for bad in ["0", "2000", "x", "r0", "rr4", "r", "015", "r+4", "+4"] {
        let r = rollupd(&["prover", "setup", "--dev", "--capacities", bad, "--out", out]);
        assert!(!r.status.success(), "capacity {bad} accepted");
        assert!(String::from_utf8_lossy(&r.stderr).contains(&format!("circuit `{bad}`")));
    }
    // Repeated-only circuits alone cannot prove a chunk with an initial write.
    let r = rollupd(&["prover", "setup", "--dev", "--capacities", "r4,r15", "--out", out]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("needs a general circuit"));
    let r = rollupd(&["prover", "verifier", "--capacities", "1"]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("say which keys"));
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing written on refusal");
}

/// Dev keys for capacity 1 written by the real CLI; shared by the queue test.
fn dev_keys(dir: &Path) -> KeySet {
    let r =
        rollupd(&["prover", "setup", "--dev", "--capacities", "1", "--out", dir.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("INSECURE DEV KEYS"));
    assert!(dir.join("state_diff_1.key").exists());
    // The same keys the committed verifier was generated from (capacity 1 of the dev set).
    let verifier =
        rollupd(&["prover", "verifier", "--keys", dir.to_str().unwrap(), "--capacities", "1"]);
    assert!(String::from_utf8_lossy(&verifier.stdout)
        .contains("contract StateDiffVerifier is StateDiffVerifierBase"));
    KeySet::load(dir, &[Shape::general(1)]).unwrap()
}

/// `n` one-write batches on a fresh tree, as proof jobs 1..=n.
fn jobs(n: u64) -> Vec<ProofJob> {
    let tree = TreeStore::in_memory().unwrap();
    (1..=n)
        .map(|b| {
            let w = (keccak256(b.to_be_bytes()), B256::left_padding_from(&b.to_be_bytes()));
            let (v, witness) = tree.apply(&StateDiff::new([w]).unwrap()).unwrap();
            ProofJob { id: v.version, batch: v.version, chunk: 0, witness }
        })
        .collect()
}

struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    fn spawn(gateway: &str, keys: &Path, name: &str, token: &str) -> Self {
        let log = keys.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_rollupd"))
            .args(["prover", "worker", "--gateway", gateway, "--name", name, "--poll-ms", "100"])
            .args(["--keys", keys.to_str().unwrap(), "--capacities", "1"])
            .env("ROLLUPD_PROVER_TOKEN", token)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn submitted(&self) -> usize {
        let log = self.log();
        log.lines()
            .filter(|l| l.contains("proof submitted") && l.contains("outcome=\"accepted\""))
            .count()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn status(ex: &ExchangeRef) -> QueueStatus {
    ractor::call_t!(ex, ExchangeMsg::Status, 5000).unwrap().unwrap()
}

async fn wait_for(what: &str, secs: u64, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_and_a_local_actor_share_one_queue() {
    let dir = tmp_dir("prover-queue");
    let keys = Arc::new(dev_keys(&dir));
    let events = rollup_events::EventBus::new();
    let mut proven_rx = events.subscribe();
    let leased = rollup_prover::exchange::LeaseGauge::default();
    let (exchange, _) = Actor::spawn(
        None,
        ExchangeActor,
        ExchangeArgs {
            db: Arc::new(redb::Database::create(dir.join("exchange.redb")).unwrap()),
            vks: keys.verifying_keys(),
            lease_timeout: Duration::from_secs(3),
            source: None,
            events,
            slot: Default::default(),
            leased: leased.clone(),
        },
    )
    .await
    .unwrap();
    let (addr, server) = gateway::start(
        "127.0.0.1:0".parse().unwrap(),
        TOKEN.into(),
        rollup_prover::exchange::ExchangeSlot::fixed(exchange.clone()),
    )
    .await
    .unwrap();
    let url = format!("http://{addr}");
    let all = jobs(7);
    let job1 = all[0].clone();
    ractor::call_t!(exchange, ExchangeMsg::Enqueue, 5000, Box::new(job1.clone())).unwrap().unwrap();

    // Hostile submissions, before anyone proves anything.
    let client = GatewayClient::new(&url, TOKEN);
    let wrong = GatewayClient::new(&url, "not-the-token");
    let e = wrong.call::<serde_json::Value>("prover_status", json!([])).await.unwrap_err();
    assert!(matches!(&e, WorkerError::Gateway { detail, .. } if detail.contains("401")), "{e}");
    let forged = ProofWords([
        U256::from(1),
        U256::from(1),
        U256::from(2),
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        U256::from(1),
        U256::from(2),
    ]);
    let e = client
        .call::<serde_json::Value>("prover_submitProof", json!([1, forged]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, WorkerError::Rpc { code: -32000, message } if message.contains("invalid proof")),
        "{e}"
    );
    let e = client
        .call::<serde_json::Value>("prover_submitProof", json!([99, forged]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, WorkerError::Rpc { message, .. } if message.contains("no proof job 99")),
        "{e}"
    );
    let e = client
        .call::<serde_json::Value>("prover_submitProof", json!(["one", "two"]))
        .await
        .unwrap_err();
    assert!(matches!(e, WorkerError::Rpc { code: -32602, .. }));
    // A worker with the wrong token stops at once with the reason.
    let bad = Worker::spawn(&url, &dir, "bad-token", "nope");
    let out = bad_exit(bad).await;
    assert!(out.contains("401"), "{out}");

    // Worker A takes batch 1 and is killed mid-proof; worker B gets it after the lease expires.
    let mut a = Worker::spawn(&url, &dir, "a", TOKEN);
    wait_for("worker a to lease batch 1", 60, async || status(&exchange).await.leased == 1).await;
    // The gauge the batcher reads is set after each message the exchange handles.
    wait_for("the lease gauge to count worker a's lease", 5, async || leased.get() == 1).await;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    assert_eq!(a.submitted(), 0, "worker a finished before it was killed; the test proves nothing");
    let b = Worker::spawn(&url, &dir, "b", TOKEN);
    wait_for("batch 1 to be proven", 120, async || status(&exchange).await.proven == 1).await;
    assert_eq!(
        proven_rx.recv().await.unwrap(),
        rollup_events::Event::ChunkProven { batch: 1, job: 1 }
    );
    // Worker b logs its submission once the exchange has answered it.
    wait_for("worker b to report batch 1", 30, async || b.log().contains("proof submitted")).await;

    // A late duplicate is harmless.
    let stored: Option<ProofWords> =
        ractor::call_t!(exchange, ExchangeMsg::Proof, 5000, 1).unwrap().unwrap();
    let dup: String = client.call("prover_submitProof", json!([1, stored.unwrap()])).await.unwrap();
    assert_eq!(dup, "duplicate");

    // Now batches 2..=7 with worker b, a fresh worker c and a local prover actor.
    let (progress, progress_rx) = tokio::sync::watch::channel(Progress::default());
    let (local, _) = Actor::spawn(
        None,
        ProverActor,
        ProverArgs::new(
            "local".into(),
            rollup_prover::exchange::ExchangeSlot::fixed(exchange.clone()),
            keys.clone(),
            Duration::from_millis(100),
            progress,
        ),
    )
    .await
    .unwrap();
    let c = Worker::spawn(&url, &dir, "c", TOKEN);
    for job in &all[1..] {
        ractor::call_t!(exchange, ExchangeMsg::Enqueue, 5000, Box::new(job.clone()))
            .unwrap()
            .unwrap();
    }
    wait_for("all seven batches to be proven", 240, async || status(&exchange).await.proven == 7)
        .await;
    // Each prover reports (progress, log line) only after the exchange answered it, so the
    // counts settle a moment after the exchange's; then none may exceed one proof per batch.
    let counts = || (progress_rx.borrow().proven as usize, b.submitted() - 1, c.submitted());
    wait_for("every prover to report", 30, async || {
        let (l, bn, cn) = counts();
        l + bn + cn >= 6
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (local_count, bn, cn) = counts();
    eprintln!("batches 2..=7: local actor {local_count}, worker b {bn}, worker c {cn}");
    assert_eq!(local_count + bn + cn, 6, "every batch proven exactly once");
    assert!([local_count, bn, cn].iter().filter(|n| **n > 0).count() >= 2, "the queue was shared");
    let st = status(&exchange).await;
    assert_eq!((st.pending, st.leased), (0, 0));
    wait_for("the lease gauge to drop to 0", 5, async || leased.get() == 0).await;
    local.stop(None);
    server.stop().unwrap();
    exchange.stop(None);
}

async fn bad_exit(mut w: Worker) -> String {
    for _ in 0..200 {
        if let Some(status) = w.child.try_wait().unwrap() {
            assert!(!status.success());
            return w.log();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("a worker with a wrong token kept running: {}", w.log());
}
