//! Measures the proof system on this machine (numbers for `docs/proof.md`).
//!
//! ```text
//! cargo run --release -p rollup-prover --example prover_bench -- circuit 15
//! cargo run --release -p rollup-prover --example prover_bench -- circuit r15
//! cargo run --release -p rollup-prover --example prover_bench -- tree 1000000 10000 3
//! ```
//! `circuit C`: constraints, setup, proving and native verification time, and the process's
//! peak memory (run one circuit per process so the peak is that circuit's) for a chunk of `C`
//! records, half initial and half repeated writes (`rC`: the repeated-only circuit, repeated
//! writes only).
//! `tree L W B`: bulk-load `L` leaves, then apply `B` batches of `W` writes (half new keys, half
//! existing ones) with witnesses; prints writes per second per batch.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use alloy::primitives::{keccak256, B256};
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rollup_prover::{
    circuit::{Shape, StateDiffCircuit},
    keys::Keys,
    prove, public_inputs, verify,
};
use rollup_tree::{StateDiff, TreeStore};

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

fn val(i: u64) -> B256 {
    B256::left_padding_from(&i.to_be_bytes())
}

fn circuit(shape: Shape) {
    let capacity = shape.capacity;
    let tree = TreeStore::in_memory().unwrap();
    let existing = if shape.repeated_only { capacity as u64 } else { (capacity / 2) as u64 };
    tree.apply_bulk(&StateDiff::new((0..existing.max(1)).map(|i| (key(i), val(i)))).unwrap())
        .unwrap();
    let writes = (0..capacity as u64).map(|i| (key(i), val(i + 1000)));
    let (_, w) = tree.apply(&StateDiff::new(writes).unwrap()).unwrap();

    let cs = ConstraintSystem::<Fr>::new_ref();
    StateDiffCircuit::new(shape, w.clone()).generate_constraints(cs.clone()).unwrap();
    let constraints = cs.num_constraints();
    drop(cs);

    let t = Instant::now();
    let keys = Keys::dev_setup(shape, b"prover-bench").unwrap();
    let setup = t.elapsed();
    let t = Instant::now();
    let proof = prove(&keys, &w, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    let proving = t.elapsed();
    let inputs =
        public_inputs(&w.old_commitment(), &w.new_commitment(), &w.diff().unwrap().claim())
            .unwrap();
    let t = Instant::now();
    assert!(verify(keys.vk(), &inputs, &proof));
    let verifying = t.elapsed();
    println!(
        "{{\"circuit\":\"{shape}\",\"constraints\":{constraints},\"per_record\":{},\"setup_s\":{:.1},\"prove_s\":{:.1},\"verify_ms\":{:.1},\"peak_mib\":{}}}",
        constraints / capacity,
        setup.as_secs_f64(),
        proving.as_secs_f64(),
        verifying.as_secs_f64() * 1e3,
        peak_rss_mib()
    );
}

fn tree(leaves: u64, writes: u64, batches: u64) {
    let dir = tempfile_dir();
    let tree = TreeStore::open(&dir.join("tree.redb")).unwrap();
    let t = Instant::now();
    for chunk in (0..leaves).collect::<Vec<_>>().chunks(250_000) {
        tree.apply_bulk(&StateDiff::new(chunk.iter().map(|i| (key(*i), val(*i)))).unwrap())
            .unwrap();
    }
    println!("bulk load of {leaves} leaves: {:.1} s", t.elapsed().as_secs_f64());
    let mut next_new = leaves;
    for b in 0..batches {
        let half = writes / 2;
        let old = (0..half).map(|i| key((i * 7919 + b * 104_729) % leaves));
        let new = (next_new..next_new + (writes - half)).map(key);
        next_new += writes - half;
        let mut all: Vec<(B256, B256)> = old.chain(new).map(|k| (k, val(b + 1))).collect();
        all.sort_by_key(|w| w.0);
        all.dedup_by_key(|w| w.0);
        let diff = StateDiff::new(all).unwrap();
        let n = diff.len();
        let t = Instant::now();
        let (v, witness) = tree.apply(&diff).unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(witness.records.len(), n);
        println!(
            "{{\"batch\":{},\"writes\":{n},\"seconds\":{secs:.2},\"writes_per_s\":{:.0},\"leaves\":{}}}",
            v.version,
            n as f64 / secs,
            v.next_free
        );
    }
    let t = Instant::now();
    tree.check_consistency(tree.latest().unwrap().version).unwrap();
    println!("consistency check: {:.1} s; peak {} MiB", t.elapsed().as_secs_f64(), peak_rss_mib());
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rollup-tree-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("circuit") => circuit(args.get(1).map_or("4", String::as_str).parse().unwrap()),
        Some("tree") => tree(num(1, 1_000_000), num(2, 10_000), num(3, 3)),
        _ => eprintln!("usage: prover_bench circuit CAPACITY | tree LEAVES WRITES BATCHES"),
    }
}
