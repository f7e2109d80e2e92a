//! The job queue: order, leases, restarts, idempotence, refusals.

use std::time::{Duration, Instant};

use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rollup_actors::tree::{StateDiff, TreeStore};
use rollup_prover::{
    exchange::{ExchangeError, JobQueue, Submitted},
    job::{prove_job, ProofJob},
};

use super::{proving::keys, support::key};

fn jobs(n: u64) -> Vec<ProofJob> {
    let tree = TreeStore::in_memory().unwrap();
    (1..=n)
        .map(|b| {
            let diff = StateDiff::new([(key(b), key(b + 100))]).unwrap();
            let (v, witness) = tree.apply(&diff).unwrap();
            ProofJob { batch: v.version, witness }
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
    assert!(matches!(err, ExchangeError::InvalidProof { batch: 2, .. }), "{err}");
    assert_eq!(q.submit(1, &proof1).unwrap(), Submitted::Accepted);
    assert_eq!(q.submit(1, &proof1).unwrap(), Submitted::Duplicate, "a late duplicate is harmless");
    assert_eq!(q.proof(1).unwrap(), Some(proof1));
    assert_eq!(q.submit(9, &proof1).unwrap_err(), ExchangeError::UnknownBatch(9));
    // Re-enqueuing a proven batch does nothing.
    q.enqueue(all[0].clone()).unwrap();
    let st = q.status(Instant::now()).unwrap();
    assert_eq!((st.pending, st.proven), (2, 1));
    drop(q);
    let q = JobQueue::open(&path, &vks, lease).unwrap();
    assert!(q.proof(1).unwrap().is_some(), "proofs survive a restart");
}
