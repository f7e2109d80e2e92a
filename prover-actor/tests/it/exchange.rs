//! The job queue: order, leases, restarts, idempotence, refusals.

use std::time::{Duration, Instant};

use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rollup_prover::{
    exchange::{ExchangeError, JobQueue, Submitted},
    job::{prove_job, JobSource, ProofJob},
};
use rollup_tree::{StateDiff, TreeStore};

use super::{proving::keys, support::key};

fn jobs(n: u64) -> Vec<ProofJob> {
    let tree = TreeStore::in_memory().unwrap();
    (1..=n)
        .map(|b| {
            let diff = StateDiff::new([(key(b), key(b + 100))]).unwrap();
            let (v, witness) = tree.apply(&diff).unwrap();
            ProofJob { id: v.version, batch: v.version, chunk: 0, witness }
        })
        .collect()
}

#[test]
fn leases_follow_batch_order_expire_and_survive_nothing_but_jobs_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.redb");
    let vks = keys().verifying_keys();
    let lease = Duration::from_millis(200);
    let all = jobs(3);
    let t0 = Instant::now();
    {
        let mut q = JobQueue::open(&path, &vks, lease).unwrap();
        // Enqueued out of order, and twice: handed out in batch order, once.
        for j in [&all[2], &all[0], &all[1], &all[0]] {
            q.enqueue(j.clone()).unwrap();
        }
        assert_eq!(q.status(t0).unwrap().pending, 3);
        let a = q.lease("a", t0).unwrap();
        let b = q.lease("b", t0).unwrap();
        assert_eq!((a.job.batch, b.job.batch), (1, 2));
        // A heartbeat keeps a's lease; b's expires and batch 2 goes out again.
        let later = t0 + Duration::from_millis(150);
        assert!(q.heartbeat(a.lease_id, later));
        let after = t0 + Duration::from_millis(250);
        let again = q.lease("c", after).unwrap();
        assert_eq!(again.job.batch, 2, "b's expired lease is handed out again");
        assert!(!q.heartbeat(b.lease_id, after), "an expired lease cannot be renewed");
        assert_eq!(q.lease("d", after).unwrap().job.batch, 3);
        assert!(q.lease("e", after).is_none(), "every job is leased");
    }
    // Restart: jobs are back, leases are not.
    let mut q = JobQueue::open(&path, &vks, lease).unwrap();
    let st = q.status(Instant::now()).unwrap();
    assert_eq!((st.pending, st.leased, st.proven), (3, 0, 0));
    let leased = q.lease("a", Instant::now()).unwrap();
    assert_eq!(leased.job.batch, 1);

    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let proof1 = prove_job(keys(), &all[0], &mut rng).unwrap();
    // Batch 1's proof offered for batch 2: refused, and batch 2 stays queued.
    let err = q.submit(2, &proof1).unwrap_err();
    assert!(matches!(err, ExchangeError::InvalidProof { job: 2, .. }), "{err}");
    assert_eq!(q.submit(1, &proof1).unwrap(), Submitted::Accepted);
    assert_eq!(q.submit(1, &proof1).unwrap(), Submitted::Duplicate, "a late duplicate is harmless");
    assert_eq!(q.proof(1).unwrap(), Some(proof1));
    assert_eq!(q.submit(9, &proof1).unwrap_err(), ExchangeError::UnknownJob(9));
    // Re-enqueuing a proven batch does nothing.
    q.enqueue(all[0].clone()).unwrap();
    let st = q.status(Instant::now()).unwrap();
    assert_eq!((st.pending, st.proven), (2, 1));
    drop(q);
    let q = JobQueue::open(&path, &vks, lease).unwrap();
    assert!(q.proof(1).unwrap().is_some(), "proofs survive a restart");
    assert_eq!(q.cursor().unwrap(), 3, "the cursor is the highest job queued or proven");
    assert_eq!(q.proofs().get(1).unwrap().map(|(batch, _)| batch), Some(1));
}

struct Source(Vec<ProofJob>);

impl JobSource for Source {
    fn jobs_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<ProofJob>, rollup_prover::job::BoxError> {
        Ok(self.0.iter().filter(|j| j.id > after).take(limit).cloned().collect())
    }
}

#[test]
fn pulling_from_the_source_resumes_at_the_cursor_and_a_released_lease_is_free_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.redb");
    let vks = keys().verifying_keys();
    let all = jobs(3);
    let mut q = JobQueue::open(&path, &vks, Duration::from_secs(60)).unwrap();
    assert_eq!(q.pull(&Source(all[..2].to_vec())).unwrap(), 2);
    assert_eq!(q.pull(&Source(all[..2].to_vec())).unwrap(), 0, "nothing new");
    drop(q);
    let mut q = JobQueue::open(&path, &vks, Duration::from_secs(60)).unwrap();
    assert_eq!(q.pull(&Source(all.clone())).unwrap(), 1, "only job 3 is new after a restart");
    let now = Instant::now();
    let a = q.lease("a", now).unwrap();
    assert_eq!(a.job.id, 1);
    q.release(a.lease_id);
    assert_eq!(q.lease("b", now).unwrap().job.id, 1, "released job handed out again at once");
}

static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Panics on its first job, then proves normally.
fn panics_once(
    keys: &rollup_prover::keys::KeySet,
    job: &ProofJob,
    rng: &mut ChaCha20Rng,
) -> Result<rollup_prover::ProofWords, rollup_prover::ProveError> {
    if PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
        panic!("injected: the proving thread dies");
    }
    prove_job(keys, job, rng)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prover_whose_proving_thread_panics_hands_its_job_back_at_once() {
    use ractor::Actor;
    use rollup_prover::actor::{Progress, ProverActor, ProverArgs};
    use rollup_prover::exchange::ExchangeMsg;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let events = rollup_events::EventBus::new();
    let mut proven = events.subscribe();
    // Leases far longer than the test: only an explicit release frees the job in time.
    let exchange = super::support::spawn_exchange(
        &dir.path().join("q.redb"),
        Duration::from_secs(600),
        events,
    )
    .await;
    let job = jobs(1).remove(0);
    ractor::call_t!(exchange, ExchangeMsg::Enqueue, 5000, Box::new(job)).unwrap().unwrap();
    let (progress, mut watch) = tokio::sync::watch::channel(Progress::default());
    let mut args = ProverArgs::new(
        "flaky".into(),
        rollup_prover::exchange::ExchangeSlot::fixed(exchange.clone()),
        Arc::new(keys().clone()),
        Duration::from_millis(50),
        progress,
    );
    args.prove = panics_once;
    let (prover, _) = Actor::spawn(None, ProverActor, args).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(180), proven.recv())
        .await
        .expect("the job was proven long before its lease would expire")
        .unwrap();
    assert_eq!(event, rollup_events::Event::ChunkProven { batch: 1, job: 1 });
    // The prover reports once the exchange has answered its submission.
    let p = tokio::time::timeout(Duration::from_secs(10), watch.wait_for(|p| p.proven == 1))
        .await
        .expect("the prover reported its proof")
        .unwrap()
        .clone();
    assert_eq!((p.failed, p.proven), (1, 1), "one panic reported, then the proof");
    prover.stop(None);
    exchange.stop(None);
}

/// The rate `eth_sender.max_finality_secs` works from: records per second of proving time
/// (lease to acceptance), times the workers that proved recently or hold a lease; nothing before
/// the first proof, nor once every proof is older than the window.
#[test]
fn the_proving_rate_is_records_per_proving_second_times_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    let vks = keys().verifying_keys();
    let mut q = JobQueue::open(&dir.path().join("q.redb"), &vks, Duration::from_secs(60)).unwrap();
    for j in jobs(3) {
        q.enqueue(j).unwrap();
    }
    assert_eq!(q.proving_rate(Instant::now()), None, "nothing measured yet");
    let leased = q.lease("a", Instant::now()).unwrap();
    let proof = prove_job(keys(), &leased.job, &mut ChaCha20Rng::seed_from_u64(5)).unwrap();
    assert_eq!(q.submit(leased.job.id, &proof).unwrap(), Submitted::Accepted);
    let now = Instant::now();
    let one = q.proving_rate(now).unwrap();
    assert!(one > 0.0 && one.is_finite(), "{one}");
    // A second worker taking a job counts as much again.
    q.lease("b", now).unwrap();
    let two = q.proving_rate(now).unwrap();
    assert!((two - 2.0 * one).abs() < 1e-9, "{one} then {two}");
    // Ten minutes on, the lease has lapsed and the proof is too old to count.
    assert_eq!(q.proving_rate(now + Duration::from_secs(601)), None);
}
