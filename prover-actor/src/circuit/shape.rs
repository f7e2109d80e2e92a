//! Which circuit proves a chunk: its number of record slots, and whether every slot takes any
//! write or repeated writes only.
//!
//! A repeated write updates a leaf in place (two Merkle paths); an initial write also re-points
//! its low leaf and fills the next free slot (four paths). A chunk whose records are all repeated
//! writes is proven by a repeated-only circuit of about half the constraints. Both kinds prove
//! the same public statement, so L1 accepts either: the proof's first word, the circuit's
//! [`Shape::id`], picks the verifying key.

use std::{fmt, str::FromStr};

use rollup_tree::Witness;

/// A circuit shape. Ordered general before repeated-only, then by capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    /// Whether every slot takes repeated writes only.
    pub repeated_only: bool,
    /// Record slots.
    pub capacity: usize,
}

/// The bit of [`Shape::id`] that marks a repeated-only circuit.
pub const REPEATED_ONLY: u64 = 1 << 16;
/// The largest capacity a shape may have (its id keeps the capacity below [`REPEATED_ONLY`]).
pub const MAX_CAPACITY: usize = 1024;

impl Shape {
    /// A circuit whose slots take initial and repeated writes.
    pub const fn general(capacity: usize) -> Self {
        Self { repeated_only: false, capacity }
    }

    /// A circuit whose slots take repeated writes only.
    pub const fn repeated_only(capacity: usize) -> Self {
        Self { repeated_only: true, capacity }
    }

    /// The id in the proof's first word and in the verifier's key table: the capacity, plus
    /// [`REPEATED_ONLY`] for a repeated-only circuit.
    pub fn id(&self) -> u64 {
        self.capacity as u64 | if self.repeated_only { REPEATED_ONLY } else { 0 }
    }

    /// The shape of an id, if it is one ([`MAX_CAPACITY`] at most, no other bit set).
    pub fn from_id(id: u64) -> Option<Self> {
        let repeated_only = id & REPEATED_ONLY != 0;
        let capacity = usize::try_from(id & !REPEATED_ONLY).ok()?;
        (1..=MAX_CAPACITY).contains(&capacity).then_some(Self { repeated_only, capacity })
    }

    /// Whether this circuit can prove `witness`: enough slots, and no initial write in a
    /// repeated-only circuit.
    pub fn fits(&self, witness: &Witness) -> bool {
        witness.records.len() <= self.capacity
            && !(self.repeated_only && witness.records.iter().any(|r| r.insert))
    }
}

impl fmt::Display for Shape {
    /// `16` for a general circuit, `r16` for a repeated-only one (as `--capacities` takes them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", if self.repeated_only { "r" } else { "" }, self.capacity)
    }
}

impl FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (repeated_only, digits) = match s.strip_prefix('r') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let err = || format!("circuit `{s}`: a capacity (16) or a repeated-only capacity (r16)");
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(err());
        }
        let capacity: usize = digits.parse().map_err(|_| err())?;
        if !(1..=MAX_CAPACITY).contains(&capacity) {
            return Err(format!("circuit `{s}`: capacity must be 1..={MAX_CAPACITY}"));
        }
        Ok(Self { repeated_only, capacity })
    }
}
