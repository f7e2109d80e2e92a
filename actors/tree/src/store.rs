//! The versioned state tree in redb.
//!
//! Version `n` is the tree after batch `n` (version 0 is genesis: only the guard leaf). Every node
//! and leaf entry is stored under `(position, version)`; reading "as of version `v`" takes the
//! newest entry at or below `v`. That is what lets a batch's witness be rebuilt after later batches
//! exist, and a rollback delete exactly the entries of the rolled-back versions (listed in a
//! per-version journal). One writer at a time (a mutex); readers use redb read transactions.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::Path,
    sync::{Arc, Mutex},
};

use alloy::primitives::B256;
use ark_bn254::Fr;
use redb::{
    Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition,
};

use super::{
    diff::{DiffError, StateDiff},
    hash::{b256_to_fr, commitment, empty_subtree, fr_to_b256, hash2, TREE_DEPTH},
    Leaf, RecordWitness, Witness,
};

/// `(level u8, index u64, version u64)` big-endian -> node hash (level 0: leaf hashes).
const NODES: TableDefinition<'_, &[u8], [u8; 32]> = TableDefinition::new("tree_nodes");
/// `(index u64, version u64)` big-endian -> encoded [`Leaf`].
const LEAVES: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("tree_leaves");
/// derived key -> `(index u64, version inserted u64)`.
const KEYS: TableDefinition<'_, [u8; 32], [u8; 16]> = TableDefinition::new("tree_keys");
/// version -> `root (32) ‖ next free index (8)`.
const VERSIONS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("tree_versions");
/// version -> the canonical state diff applied to reach it.
const DIFFS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("tree_diffs");
/// version -> what it wrote (node positions, leaf indices, inserted keys), for rollback.
const JOURNAL: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("tree_journal");

/// Number of leaf slots.
pub const CAPACITY: u64 = 1 << TREE_DEPTH;

/// Errors of the state tree.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// redb failed.
    #[error("tree storage: {0}")]
    Storage(#[source] redb::Error),
    /// A stored entry does not decode (corruption).
    #[error("corrupt tree entry in {table}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The version does not exist.
    #[error("tree version {version} does not exist (latest {latest})")]
    UnknownVersion {
        /// Requested version.
        version: u64,
        /// Latest stored version.
        latest: u64,
    },
    /// Every enumeration index is taken.
    #[error("the tree is full ({CAPACITY} leaves)")]
    Full,
    /// The diff is not canonical.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// The consistency check failed.
    #[error("tree version {version} is inconsistent: {detail}")]
    Inconsistent {
        /// The version checked.
        version: u64,
        /// What does not match.
        detail: String,
    },
}

macro_rules! storage_err {
    ($($t:ty),*) => {$(
        impl From<$t> for TreeError {
            fn from(e: $t) -> Self {
                TreeError::Storage(e.into())
            }
        }
    )*};
}
storage_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Root, next free index and commitment of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeVersion {
    /// The version (batch number).
    pub version: u64,
    /// Merkle root.
    pub root: B256,
    /// Next free enumeration index.
    pub next_free: u64,
    /// `Poseidon(root, next_free)`.
    pub commitment: B256,
}

impl TreeVersion {
    fn new(version: u64, root: Fr, next_free: u64) -> Self {
        Self {
            version,
            root: fr_to_b256(root),
            next_free,
            commitment: fr_to_b256(commitment(root, next_free)),
        }
    }
}

fn node_key(level: usize, index: u64, version: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    #[allow(clippy::cast_possible_truncation)]
    let level = level as u8;
    k[0] = level;
    k[1..9].copy_from_slice(&index.to_be_bytes());
    k[9..].copy_from_slice(&version.to_be_bytes());
    k
}

fn leaf_key(index: u64, version: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&index.to_be_bytes());
    k[8..].copy_from_slice(&version.to_be_bytes());
    k
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn corrupt(table: &'static str, detail: impl Into<String>) -> TreeError {
    TreeError::Corrupt { table, detail: detail.into() }
}

/// Reads as of one version, plus the in-memory writes of the batch being applied.
struct View {
    nodes: ReadOnlyTable<&'static [u8], [u8; 32]>,
    leaves: ReadOnlyTable<&'static [u8], &'static [u8]>,
    keys: ReadOnlyTable<[u8; 32], [u8; 16]>,
    version: u64,
    next_free: u64,
    new_nodes: HashMap<(usize, u64), Fr>,
    new_leaves: BTreeMap<u64, Leaf>,
    new_keys: BTreeMap<B256, u64>,
    dirty: BTreeSet<u64>,
    /// Whether each leaf write rehashes its path (needed for witnesses), or hashing is deferred
    /// to [`View::rehash_dirty`] (bulk loads).
    sequential: bool,
}

impl View {
    fn open(
        tx: &ReadTransaction,
        version: u64,
        next_free: u64,
        sequential: bool,
    ) -> Result<Self, TreeError> {
        Ok(Self {
            nodes: tx.open_table(NODES)?,
            leaves: tx.open_table(LEAVES)?,
            keys: tx.open_table(KEYS)?,
            version,
            next_free,
            new_nodes: HashMap::new(),
            new_leaves: BTreeMap::new(),
            new_keys: BTreeMap::new(),
            dirty: BTreeSet::new(),
            sequential,
        })
    }

    fn node(&self, level: usize, index: u64) -> Result<Fr, TreeError> {
        if let Some(h) = self.new_nodes.get(&(level, index)) {
            return Ok(*h);
        }
        let (lo, hi) = (node_key(level, index, 0), node_key(level, index, self.version));
        match self.nodes.range(&lo[..]..=&hi[..])?.next_back() {
            Some(entry) => {
                let raw = entry?.1.value();
                b256_to_fr(&B256::from(raw))
                    .ok_or_else(|| corrupt("tree_nodes", "hash out of field"))
            }
            None => Ok(empty_subtree(level)),
        }
    }

    fn leaf(&self, index: u64) -> Result<Leaf, TreeError> {
        if let Some(l) = self.new_leaves.get(&index) {
            return Ok(*l);
        }
        let (lo, hi) = (leaf_key(index, 0), leaf_key(index, self.version));
        let entry = self.leaves.range(&lo[..]..=&hi[..])?.next_back();
        let entry =
            entry.ok_or_else(|| corrupt("tree_leaves", format!("no leaf at {index}")))??;
        Leaf::decode(entry.1.value()).ok_or_else(|| corrupt("tree_leaves", "bad length"))
    }

    fn lookup(&self, key: &B256) -> Result<Option<u64>, TreeError> {
        if let Some(i) = self.new_keys.get(key) {
            return Ok(Some(*i));
        }
        Ok(self.keys.get(&key.0)?.and_then(|v| {
            let v = v.value();
            (u64_at(&v, 8) <= self.version).then(|| u64_at(&v, 0))
        }))
    }

    /// Index of the leaf with the greatest key below `key` (the guard leaf at worst).
    fn predecessor(&self, key: &B256) -> Result<u64, TreeError> {
        let mine = self.new_keys.range(..*key).next_back().map(|(k, i)| (*k, *i));
        let mut stored = None;
        for entry in self.keys.range(..key.0)?.rev() {
            let (k, v) = entry?;
            let v = v.value();
            if u64_at(&v, 8) <= self.version {
                stored = Some((B256::from(k.value()), u64_at(&v, 0)));
                break;
            }
        }
        match (mine, stored) {
            (Some(a), Some(b)) => Ok(if a.0 > b.0 { a.1 } else { b.1 }),
            (Some(a), None) | (None, Some(a)) => Ok(a.1),
            (None, None) => Err(corrupt("tree_keys", "the guard key is missing")),
        }
    }

    fn siblings(&self, index: u64) -> Result<Vec<B256>, TreeError> {
        (0..TREE_DEPTH).map(|l| Ok(fr_to_b256(self.node(l, (index >> l) ^ 1)?))).collect()
    }

    fn set_leaf(&mut self, index: u64, leaf: Leaf) -> Result<(), TreeError> {
        self.new_leaves.insert(index, leaf);
        if !self.sequential {
            self.dirty.insert(index);
            return Ok(());
        }
        let mut cur = leaf.hash();
        let mut idx = index;
        self.new_nodes.insert((0, idx), cur);
        for level in 0..TREE_DEPTH {
            let sib = self.node(level, idx ^ 1)?;
            cur = if idx & 1 == 0 { hash2(cur, sib) } else { hash2(sib, cur) };
            idx >>= 1;
            self.new_nodes.insert((level + 1, idx), cur);
        }
        Ok(())
    }

    /// Hash every node above the leaves written in bulk mode, each once.
    fn rehash_dirty(&mut self) -> Result<(), TreeError> {
        let mut level_set: BTreeSet<u64> = std::mem::take(&mut self.dirty);
        for i in &level_set {
            let h = self.new_leaves[i].hash();
            self.new_nodes.insert((0, *i), h);
        }
        for level in 0..TREE_DEPTH {
            let parents: BTreeSet<u64> = level_set.iter().map(|i| i >> 1).collect();
            for p in &parents {
                let h = hash2(self.node(level, p << 1)?, self.node(level, (p << 1) | 1)?);
                self.new_nodes.insert((level + 1, *p), h);
            }
            level_set = parents;
        }
        Ok(())
    }

    fn root(&self) -> Result<Fr, TreeError> {
        self.node(TREE_DEPTH, 0)
    }

    /// Apply one write; in sequential mode, return its witness.
    fn write(&mut self, key: B256, value: B256) -> Result<Option<RecordWitness>, TreeError> {
        let seq = self.sequential;
        let path = |v: &Self, i: u64| if seq { v.siblings(i) } else { Ok(Vec::new()) };
        let (low_index, insert) = match self.lookup(&key)? {
            Some(i) => (i, false),
            None => {
                if self.next_free >= CAPACITY {
                    return Err(TreeError::Full);
                }
                (self.predecessor(&key)?, true)
            }
        };
        let low_leaf = self.leaf(low_index)?;
        let low_path = path(self, low_index)?;
        let new_index = self.next_free;
        if insert {
            let low = Leaf { next_index: new_index, next_key: key, ..low_leaf };
            self.set_leaf(low_index, low)?;
        } else {
            self.set_leaf(low_index, Leaf { value, ..low_leaf })?;
        }
        let new_path = path(self, new_index)?;
        if insert {
            let leaf =
                Leaf { key, value, next_index: low_leaf.next_index, next_key: low_leaf.next_key };
            self.set_leaf(new_index, leaf)?;
            self.new_keys.insert(key, new_index);
            self.next_free += 1;
        }
        Ok(seq.then_some(RecordWitness {
            key,
            value,
            insert,
            low_index,
            low_leaf,
            low_path,
            new_index,
            new_path,
        }))
    }
}

/// The state tree database. Its holder writes it (the tree writer); everyone else gets a
/// [`TreeReader`].
#[derive(Debug, Clone)]
pub struct TreeStore {
    db: Arc<Database>,
    writer: Arc<Mutex<()>>,
}

/// Read-only access to the state tree: versions, their diffs and witnesses (the proof jobs
/// read these; only the tree writer applies diffs).
#[derive(Debug, Clone)]
pub struct TreeReader(TreeStore);

impl TreeReader {
    /// The reader of `store`.
    pub fn of(store: &TreeStore) -> Self {
        Self(store.clone())
    }

    /// See [`TreeStore::latest`].
    pub fn latest(&self) -> Result<TreeVersion, TreeError> {
        self.0.latest()
    }

    /// See [`TreeStore::version`].
    pub fn version(&self, version: u64) -> Result<TreeVersion, TreeError> {
        self.0.version(version)
    }

    /// See [`TreeStore::witness`].
    pub fn witness(&self, version: u64) -> Result<Witness, TreeError> {
        self.0.witness(version)
    }

    /// See [`TreeStore::diff`].
    pub fn diff(&self, version: u64) -> Result<StateDiff, TreeError> {
        self.0.diff(version)
    }
}

impl TreeStore {
    /// Open (or create, with the genesis version) the tree at `path`.
    pub fn open(path: &Path) -> Result<Self, TreeError> {
        Self::from_database(Arc::new(Database::create(path)?))
    }

    /// A tree in memory (tests and benches).
    pub fn in_memory() -> Result<Self, TreeError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::from_database(Arc::new(db))
    }

    /// Use an already open database (the tables are prefixed `tree_`).
    pub fn from_database(db: Arc<Database>) -> Result<Self, TreeError> {
        let tx = db.begin_write()?;
        tx.open_table(NODES)?;
        tx.open_table(LEAVES)?;
        tx.open_table(KEYS)?;
        tx.open_table(DIFFS)?;
        tx.open_table(JOURNAL)?;
        let empty = tx.open_table(VERSIONS)?.is_empty()?;
        tx.commit()?;
        let store = Self { db, writer: Arc::new(Mutex::new(())) };
        if empty {
            let rtx = store.db.begin_read()?;
            let mut view = View::open(&rtx, 0, 0, false)?;
            view.set_leaf(0, Leaf::GUARD)?;
            view.new_keys.insert(B256::ZERO, 0);
            view.next_free = 1;
            view.rehash_dirty()?;
            store.persist(0, &view, &StateDiff::default())?;
        }
        Ok(store)
    }

    /// The newest version.
    pub fn latest(&self) -> Result<TreeVersion, TreeError> {
        latest_in(&self.db.begin_read()?)
    }

    /// One version's root, next free index and commitment.
    pub fn version(&self, version: u64) -> Result<TreeVersion, TreeError> {
        let tx = self.db.begin_read()?;
        self.version_in(&tx, version)
    }

    fn version_in(&self, tx: &ReadTransaction, version: u64) -> Result<TreeVersion, TreeError> {
        let table = tx.open_table(VERSIONS)?;
        match table.get(version)? {
            Some(v) => decode_version(version, v.value()),
            None => {
                let latest = table.last()?.map_or(0, |(k, _)| k.value());
                Err(TreeError::UnknownVersion { version, latest })
            }
        }
    }

    /// Apply a batch's diff as the next version; returns the new version and the witness that
    /// proves the transition (one [`RecordWitness`] per record, in order).
    pub fn apply(&self, diff: &StateDiff) -> Result<(TreeVersion, Witness), TreeError> {
        let _w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = self.db.begin_read()?;
        let prev = latest_in(&tx)?;
        let (view, witness) = self.replay(&tx, prev, diff)?;
        let next = self.persist(prev.version + 1, &view, diff)?;
        Ok((next, witness))
    }

    /// Apply a diff without building a witness: each touched node is hashed once. For bulk
    /// loads (genesis state, benches); the result is the same tree as [`TreeStore::apply`].
    pub fn apply_bulk(&self, diff: &StateDiff) -> Result<TreeVersion, TreeError> {
        let _w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = self.db.begin_read()?;
        let prev = latest_in(&tx)?;
        let mut view = View::open(&tx, prev.version, prev.next_free, false)?;
        for (k, v) in diff.writes() {
            view.write(*k, *v)?;
        }
        view.rehash_dirty()?;
        self.persist(prev.version + 1, &view, diff)
    }

    /// The witness of the transition into `version` (>= 1), rebuilt from the stored diff and
    /// the tree as of `version - 1`, whatever came after.
    pub fn witness(&self, version: u64) -> Result<Witness, TreeError> {
        let tx = self.db.begin_read()?;
        let target = self.version_in(&tx, version)?;
        if version == 0 {
            return Err(TreeError::UnknownVersion { version, latest: target.version });
        }
        let prev = self.version_in(&tx, version - 1)?;
        let diff = diff_in(&tx, version)?;
        let (_, witness) = self.replay(&tx, prev, &diff)?;
        if witness.new_commitment() != target.commitment {
            return Err(TreeError::Inconsistent {
                version,
                detail: "replay gives another root".into(),
            });
        }
        Ok(witness)
    }

    /// The stored diff of `version`.
    pub fn diff(&self, version: u64) -> Result<StateDiff, TreeError> {
        let tx = self.db.begin_read()?;
        self.version_in(&tx, version)?;
        diff_in(&tx, version)
    }

    fn replay(
        &self,
        tx: &ReadTransaction,
        prev: TreeVersion,
        diff: &StateDiff,
    ) -> Result<(View, Witness), TreeError> {
        let mut view = View::open(tx, prev.version, prev.next_free, true)?;
        let mut records = Vec::with_capacity(diff.len());
        for (k, v) in diff.writes() {
            records.push(view.write(*k, *v)?.expect("sequential views return witnesses"));
        }
        let witness = Witness {
            old_root: prev.root,
            old_next_free: prev.next_free,
            new_root: fr_to_b256(view.root()?),
            new_next_free: view.next_free,
            records,
        };
        Ok((view, witness))
    }

    fn persist(
        &self,
        version: u64,
        view: &View,
        diff: &StateDiff,
    ) -> Result<TreeVersion, TreeError> {
        let root = view.root()?;
        let tx = self.db.begin_write()?;
        let mut journal = Vec::new();
        {
            let mut nodes = tx.open_table(NODES)?;
            journal.extend_from_slice(&(view.new_nodes.len() as u64).to_be_bytes());
            for ((level, index), h) in &view.new_nodes {
                let k = node_key(*level, *index, version);
                nodes.insert(&k[..], fr_to_b256(*h).0)?;
                journal.extend_from_slice(&k[..9]);
            }
            let mut leaves = tx.open_table(LEAVES)?;
            journal.extend_from_slice(&(view.new_leaves.len() as u64).to_be_bytes());
            for (index, leaf) in &view.new_leaves {
                leaves.insert(&leaf_key(*index, version)[..], &leaf.encode()[..])?;
                journal.extend_from_slice(&index.to_be_bytes());
            }
            let mut keys = tx.open_table(KEYS)?;
            for (key, index) in &view.new_keys {
                let mut v = [0u8; 16];
                v[..8].copy_from_slice(&index.to_be_bytes());
                v[8..].copy_from_slice(&version.to_be_bytes());
                keys.insert(key.0, v)?;
                journal.extend_from_slice(key.as_slice());
            }
            let mut meta = Vec::with_capacity(40);
            meta.extend_from_slice(&fr_to_b256(root).0);
            meta.extend_from_slice(&view.next_free.to_be_bytes());
            tx.open_table(VERSIONS)?.insert(version, &meta[..])?;
            tx.open_table(DIFFS)?.insert(version, &diff.encode()[..])?;
            tx.open_table(JOURNAL)?.insert(version, &journal[..])?;
        }
        tx.commit()?;
        Ok(TreeVersion::new(version, root, view.next_free))
    }

    /// Drop every version above `version`, so that it is the latest again.
    pub fn rollback(&self, version: u64) -> Result<TreeVersion, TreeError> {
        let _w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let target = self.version(version)?;
        let latest = self.latest()?.version;
        let tx = self.db.begin_write()?;
        {
            let mut nodes = tx.open_table(NODES)?;
            let mut leaves = tx.open_table(LEAVES)?;
            let mut keys = tx.open_table(KEYS)?;
            let mut journals = tx.open_table(JOURNAL)?;
            for v in (version + 1..=latest).rev() {
                let j = journals.remove(v)?.map(|j| j.value().to_vec());
                let j = j.ok_or_else(|| corrupt("tree_journal", format!("missing for {v}")))?;
                let bad = || corrupt("tree_journal", format!("truncated for {v}"));
                let n = usize::try_from(u64_at(&j, 0)).map_err(|_| bad())?;
                let mut at = 8;
                for _ in 0..n {
                    let mut k = [0u8; 17];
                    k[..9].copy_from_slice(j.get(at..at + 9).ok_or_else(bad)?);
                    k[9..].copy_from_slice(&v.to_be_bytes());
                    nodes.remove(&k[..])?;
                    at += 9;
                }
                let m = usize::try_from(u64_at(j.get(at..at + 8).ok_or_else(bad)?, 0))
                    .map_err(|_| bad())?;
                at += 8;
                for _ in 0..m {
                    let index = u64_at(j.get(at..at + 8).ok_or_else(bad)?, 0);
                    leaves.remove(&leaf_key(index, v)[..])?;
                    at += 8;
                }
                for key in j[at..].chunks_exact(32) {
                    let key: [u8; 32] = key.try_into().expect("32 bytes");
                    keys.remove(&key)?;
                }
                tx.open_table(VERSIONS)?.remove(v)?;
                tx.open_table(DIFFS)?.remove(v)?;
            }
        }
        tx.commit()?;
        Ok(target)
    }

    /// Recompute `version`'s root from its leaves alone and walk the sorted list: every key
    /// ascending, every key in the index, as many leaves as the next free index says.
    pub fn check_consistency(&self, version: u64) -> Result<(), TreeError> {
        let target = self.version(version)?;
        let tx = self.db.begin_read()?;
        let view = View::open(&tx, version, target.next_free, false)?;
        let fail = |detail: String| TreeError::Inconsistent { version, detail };
        // Leaf hashes straight from the leaf table, then every level above them.
        let mut level: BTreeMap<u64, Fr> = BTreeMap::new();
        for i in 0..target.next_free {
            level.insert(i, view.leaf(i)?.hash());
        }
        for l in 0..TREE_DEPTH {
            let mut up = BTreeMap::new();
            for (&i, &h) in &level {
                let sib = level.get(&(i ^ 1)).copied().unwrap_or_else(|| empty_subtree(l));
                let parent = if i & 1 == 0 { hash2(h, sib) } else { hash2(sib, h) };
                up.insert(i >> 1, parent);
            }
            level = up;
        }
        let root = level.get(&0).copied().unwrap_or_else(|| empty_subtree(TREE_DEPTH));
        if fr_to_b256(root) != target.root {
            return Err(fail(format!(
                "leaves give root {} but {} is stored",
                fr_to_b256(root),
                target.root
            )));
        }
        let (mut index, mut count, mut prev) = (0u64, 1u64, view.leaf(0)?);
        if prev.key != B256::ZERO {
            return Err(fail("leaf 0 is not the guard".into()));
        }
        while !prev.next_key.is_zero() {
            let leaf = view.leaf(prev.next_index)?;
            if leaf.key != prev.next_key || leaf.key <= prev.key {
                return Err(fail(format!("list broken after leaf {index}")));
            }
            if view.lookup(&leaf.key)? != Some(prev.next_index) {
                return Err(fail(format!(
                    "key {} is not indexed at {}",
                    leaf.key, prev.next_index
                )));
            }
            index = prev.next_index;
            prev = leaf;
            count += 1;
        }
        if count != target.next_free {
            return Err(fail(format!(
                "list has {count} leaves, next free index is {}",
                target.next_free
            )));
        }
        Ok(())
    }
}

fn latest_in(tx: &ReadTransaction) -> Result<TreeVersion, TreeError> {
    let table = tx.open_table(VERSIONS)?;
    let (k, v) = table.last()?.ok_or_else(|| corrupt("tree_versions", "no genesis"))?;
    decode_version(k.value(), v.value())
}

fn diff_in(tx: &ReadTransaction, version: u64) -> Result<StateDiff, TreeError> {
    let raw = tx.open_table(DIFFS)?.get(version)?.map(|v| v.value().to_vec());
    Ok(StateDiff::decode(&raw.ok_or_else(|| corrupt("tree_diffs", "missing"))?)?)
}

fn decode_version(version: u64, raw: &[u8]) -> Result<TreeVersion, TreeError> {
    if raw.len() != 40 {
        return Err(corrupt("tree_versions", "bad length"));
    }
    let root = b256_to_fr(&B256::from_slice(&raw[..32]))
        .ok_or_else(|| corrupt("tree_versions", "root out of field"))?;
    Ok(TreeVersion::new(version, root, u64_at(raw, 32)))
}
