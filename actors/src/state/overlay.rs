//! Writes of the block being built, layered over a base state.

use super::{SlotKey, SlotWrite, StateError, StateReader};
use alloy::primitives::{Bytes, B256};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// The pending state of one block: its writes so far over a base (the last sealed state).
///
/// [`Overlay::block_writes`] gives the block's net writes: one per slot, with the value before the
/// block and after it, and none for a slot that ended where it started.
///
/// Every base slot it reads is kept for the rest of the block: a transfer reads each of its
/// accounts' fields several times (revm's account load, then the old values of its writes), and
/// the coinbase is read by every transaction.
#[derive(Debug)]
pub struct Overlay<R> {
    base: R,
    /// slot -> (value before the block, current value)
    slots: BTreeMap<SlotKey, (B256, B256)>,
    bytecodes: HashMap<B256, Bytes>,
    /// Base values read so far (slots not written yet).
    read: RefCell<HashMap<SlotKey, B256>>,
}

impl<R: StateReader> Overlay<R> {
    /// An empty overlay over `base`.
    pub fn new(base: R) -> Self {
        Self {
            base,
            slots: BTreeMap::new(),
            bytecodes: HashMap::new(),
            read: RefCell::new(HashMap::new()),
        }
    }

    /// Applies one transaction's writes.
    pub fn apply(&mut self, writes: &[SlotWrite], bytecodes: &[(B256, Bytes)]) {
        for w in writes {
            self.slots.entry(w.key).and_modify(|e| e.1 = w.new).or_insert((w.old, w.new));
        }
        for (h, code) in bytecodes {
            self.bytecodes.entry(*h).or_insert_with(|| code.clone());
        }
    }

    /// The block's net writes, sorted by slot.
    pub fn block_writes(&self) -> Vec<SlotWrite> {
        self.slots
            .iter()
            .filter(|(_, (old, new))| old != new)
            .map(|(key, (old, new))| SlotWrite { key: *key, old: *old, new: *new })
            .collect()
    }

    /// Bytecode first seen in this block (not yet in the base).
    pub fn new_bytecodes(&self) -> Result<Vec<(B256, Bytes)>, StateError> {
        let mut out = Vec::new();
        for (h, code) in &self.bytecodes {
            if self.base.bytecode(h)?.is_none() {
                out.push((*h, code.clone()));
            }
        }
        out.sort_by_key(|(h, _)| *h);
        Ok(out)
    }

    /// The base state.
    pub fn base(&self) -> &R {
        &self.base
    }
}

impl<R: StateReader> StateReader for Overlay<R> {
    fn slot(&self, key: &SlotKey) -> Result<B256, StateError> {
        if let Some((_, current)) = self.slots.get(key) {
            return Ok(*current);
        }
        if let Some(value) = self.read.borrow().get(key) {
            return Ok(*value);
        }
        let value = self.base.slot(key)?;
        self.read.borrow_mut().insert(*key, value);
        Ok(value)
    }

    fn bytecode(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        match self.bytecodes.get(hash) {
            Some(code) => Ok(Some(code.clone())),
            None => self.base.bytecode(hash),
        }
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        self.base.block_hash(number)
    }
}
