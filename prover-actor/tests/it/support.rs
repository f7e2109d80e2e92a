//! Shared helpers: tree witnesses from generated diffs, constraint systems, an exchange.

use alloy::primitives::{keccak256, B256};
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
use rollup_prover::circuit::{Shape, StateDiffCircuit};
use rollup_prover::exchange::{ExchangeActor, ExchangeArgs, ExchangeRef};
use rollup_tree::{StateDiff, TreeStore, Witness};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

pub(crate) fn diff(writes: &[(u64, u64)]) -> StateDiff {
    StateDiff::new(writes.iter().map(|(k, v)| (key(*k), B256::left_padding_from(&v.to_be_bytes()))))
        .unwrap()
}

/// A tree with keys 1..=3 written, then the witness of `writes` on top of it.
pub(crate) fn witness(writes: &[(u64, u64)]) -> Witness {
    let tree = TreeStore::in_memory().unwrap();
    tree.apply(&diff(&[(1, 1), (2, 2), (3, 3)])).unwrap();
    tree.apply(&diff(writes)).unwrap().1
}

pub(crate) fn synthesize(shape: Shape, w: Witness) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    StateDiffCircuit::new(shape, w).generate_constraints(cs.clone()).unwrap();
    cs
}

/// An exchange over a fresh queue at `path` with the test keys and no job source (jobs are
/// enqueued by hand), announcing proofs on `events`; leases last `lease` without heartbeat.
pub(crate) async fn spawn_exchange(
    path: &Path,
    lease: Duration,
    events: rollup_events::EventBus,
) -> ExchangeRef {
    let args = ExchangeArgs {
        db: Arc::new(redb::Database::create(path).unwrap()),
        vks: super::proving::keys().verifying_keys(),
        lease_timeout: lease,
        source: None,
        events,
        slot: Default::default(),
        leased: Default::default(),
    };
    ractor::Actor::spawn(None, ExchangeActor, args).await.unwrap().0
}
