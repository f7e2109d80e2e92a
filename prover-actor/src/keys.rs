//! Proving and verifying keys, one pair per circuit [`Shape`].
//!
//! - **Dev keys** come from a seed: the same seed gives the same keys on every machine, which is
//!   what lets the committed Solidity verifier match a fresh `rollupd prover setup`. Anyone who
//!   knows the seed can forge proofs, so they are insecure by construction and say so.
//! - **Key files** (`state_diff_<shape>.key`, e.g. `state_diff_16.key`, `state_diff_r16.key`)
//!   are versioned and checksummed:
//!   `"ROLLUPDK" ‖ format u32 ‖ circuit version u32 ‖ shape id u32 ‖ body length u64 ‖ body ‖
//!   SHA-256(everything before)`, big-endian integers, the body being arkworks' uncompressed
//!   `ProvingKey` (which contains the verifying key). A ceremony's output is converted into this
//!   format once (see `docs/proof.md`).

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use rollup_tree::Witness;

use crate::circuit::{Shape, StateDiffCircuit, PUBLIC_INPUTS};

/// The seed of the dev keys (and of the committed verifier). Public: anyone can forge proofs
/// against these keys.
pub const DEV_SEED: &[u8] = b"rollupd dev setup: INSECURE, anyone can forge proofs";
/// Circuits of the dev keys and of the committed verifier. 15 slots keep each circuit just
/// under a power-of-two constraint count (2^19 general, 2^18 repeated-only), where the prover's
/// FFT domain doubles; 3 does the same at 2^17 for small batches.
pub const DEV_SHAPES: [Shape; 4] =
    [Shape::general(1), Shape::general(3), Shape::general(15), Shape::repeated_only(15)];

/// Bump when the circuit's constraints change: old key files are then refused.
pub const CIRCUIT_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"ROLLUPDK";
const FORMAT: u32 = 1;
const HEADER: usize = 8 + 4 + 4 + 4 + 8;

/// Key errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a key file of this format, circuit version or shape.
    #[error("key file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Key generation failed.
    #[error("setup failed: {0}")]
    Setup(String),
    /// No key of a circuit that fits.
    #[error("no proving key for {records} records, {initial} of them initial writes (circuits: {shapes:?})")]
    NoCapacity {
        /// Records to prove.
        records: usize,
        /// How many of them are initial writes.
        initial: usize,
        /// Circuits loaded.
        shapes: Vec<Shape>,
    },
}

/// The keys of one circuit.
#[derive(Clone)]
pub struct Keys {
    /// The circuit.
    pub shape: Shape,
    /// The proving key (with the verifying key inside).
    pub pk: ProvingKey<Bn254>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("shape", &self.shape).finish_non_exhaustive()
    }
}

impl Keys {
    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }

    /// Deterministic, INSECURE keys from `seed` (dev and tests only).
    pub fn dev_setup(shape: Shape, seed: &[u8]) -> Result<Self, KeyError> {
        let mut h = Sha256::new();
        h.update(b"rollupd dev setup");
        h.update(seed);
        h.update(shape.id().to_be_bytes());
        let mut rng = ChaCha20Rng::from_seed(h.finalize().into());
        let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
            StateDiffCircuit::blank(shape),
            &mut rng,
        )
        .map_err(|e| KeyError::Setup(e.to_string()))?;
        Ok(Self { shape, pk })
    }

    /// The file name of a circuit's keys.
    pub fn file_name(shape: Shape) -> String {
        format!("state_diff_{shape}.key")
    }

    /// Write the key file.
    pub fn write(&self, path: &Path) -> Result<(), KeyError> {
        let io = |source| KeyError::Io { path: path.to_owned(), source };
        let mut body = Vec::new();
        self.pk
            .serialize_with_mode(&mut body, Compress::No)
            .map_err(|e| KeyError::Setup(e.to_string()))?;
        let mut out = Vec::with_capacity(HEADER + body.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_be_bytes());
        out.extend_from_slice(&CIRCUIT_VERSION.to_be_bytes());
        out.extend_from_slice(&u32::try_from(self.shape.id()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
        out.extend_from_slice(&body);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        // Write then rename, so a crash never leaves a half key file under the real name.
        let tmp = path.with_extension("key.tmp");
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(&out).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }

    /// Read a key file, checking magic, format, circuit version, shape and checksum.
    pub fn read(path: &Path, shape: Shape) -> Result<Self, KeyError> {
        let bytes =
            fs::read(path).map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
        Self::decode(&bytes, shape)
            .map_err(|reason| KeyError::Invalid { path: path.to_owned(), reason })
    }

    fn decode(bytes: &[u8], shape: Shape) -> Result<Self, String> {
        if bytes.len() < HEADER + 32 || &bytes[..8] != MAGIC {
            return Err("not a rollupd key file".into());
        }
        let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let (format, version, cap) = (u32_at(8), u32_at(12), u32_at(16));
        if format != FORMAT {
            return Err(format!("format {format}, this build reads {FORMAT}"));
        }
        if version != CIRCUIT_VERSION {
            return Err(format!(
                "keys for circuit version {version}, this build has {CIRCUIT_VERSION}"
            ));
        }
        if u64::from(cap) != shape.id() {
            let found = Shape::from_id(cap.into()).map_or(format!("id {cap}"), |s| s.to_string());
            return Err(format!("keys for circuit {found}, expected {shape}"));
        }
        let len = u64::from_be_bytes(bytes[20..28].try_into().expect("8 bytes"));
        let end = usize::try_from(len).ok().and_then(|l| l.checked_add(HEADER));
        if end != Some(bytes.len() - 32) {
            return Err("length does not match the file size (truncated?)".into());
        }
        let (data, sum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(data).as_slice() != sum {
            return Err("checksum mismatch".into());
        }
        // The checksum guards against corruption. The proving key's millions of points are not
        // re-validated (minutes on big keys); the verifying key, which decides what verifies,
        // is.
        let pk = ProvingKey::deserialize_with_mode(&data[HEADER..], Compress::No, Validate::No)
            .map_err(|e| format!("body: {e}"))?;
        check_verifying_key(&pk.vk)?;
        Ok(Self { shape, pk })
    }
}

/// Refuses a verifying key that is malformed or lets anyone prove anything: a point off the
/// curve or outside its subgroup, an identity among `alpha`, `beta`, `gamma`, `delta`, or
/// `delta == ±gamma` (the pairing check then holds for a forged `C`), or `delta` left at the
/// generator of G2 or its negation (a phase 2 that no one contributed to). `gamma` may be the generator: snarkjs
/// ceremonies leave it there, and soundness rests on `delta`. The keys-verifier contract's
/// constructor refuses the same.
pub fn check_verifying_key(vk: &VerifyingKey<Bn254>) -> Result<(), String> {
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_serialize::Valid;
    vk.check()
        .map_err(|e| format!("verifying key: a point off the curve or its subgroup ({e})"))?;
    if vk.alpha_g1.is_zero()
        || vk.beta_g2.is_zero()
        || vk.gamma_g2.is_zero()
        || vk.delta_g2.is_zero()
    {
        return Err("verifying key: alpha, beta, gamma or delta is the identity".into());
    }
    // delta = -gamma is as bad: e(vk_x, gamma) e(C, delta) = e(vk_x - C, gamma), so C = vk_x,
    // A = alpha, B = beta verify any inputs.
    if vk.gamma_g2 == vk.delta_g2 || vk.delta_g2 == -vk.gamma_g2 {
        return Err(
            "verifying key: delta equals gamma or -gamma (anyone could forge proofs)".into()
        );
    }
    let g2 = ark_bn254::G2Projective::generator().into_affine();
    if vk.delta_g2 == g2 || vk.delta_g2 == -g2 {
        return Err(
            "verifying key: delta is the generator of G2 or its negation (no phase-2 contribution)"
                .into(),
        );
    }
    if vk.gamma_abc_g1.len() != PUBLIC_INPUTS + 1 {
        return Err(format!(
            "verifying key: {} input points, the circuit has {} public inputs",
            vk.gamma_abc_g1.len(),
            PUBLIC_INPUTS
        ));
    }
    Ok(())
}

/// Keys for several circuits; a chunk is proven with the smallest repeated-only circuit that fits
/// it, else the smallest general one.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: BTreeMap<Shape, Keys>,
}

impl KeySet {
    /// Add one circuit's keys.
    pub fn insert(&mut self, keys: Keys) {
        self.keys.insert(keys.shape, keys);
    }

    /// Dev keys for `shapes` from `seed`.
    pub fn dev(shapes: &[Shape], seed: &[u8]) -> Result<Self, KeyError> {
        let mut set = Self::default();
        for s in shapes {
            set.insert(Keys::dev_setup(*s, seed)?);
        }
        Ok(set)
    }

    /// Load `state_diff_<shape>.key` for every circuit from `dir`.
    pub fn load(dir: &Path, shapes: &[Shape]) -> Result<Self, KeyError> {
        let mut set = Self::default();
        for s in shapes {
            set.insert(Keys::read(&dir.join(Keys::file_name(*s)), *s)?);
        }
        Ok(set)
    }

    /// Write every circuit's key file into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), KeyError> {
        fs::create_dir_all(dir).map_err(|source| KeyError::Io { path: dir.to_owned(), source })?;
        self.keys.values().try_for_each(|k| k.write(&dir.join(Keys::file_name(k.shape))))
    }

    /// The keys to prove `witness` with: of the circuits that fit it (a repeated-only one only
    /// if all its records are repeated writes), the one whose proof costs least: the smallest
    /// FFT domain (the proving key's `h` query), then the fewest variables. Two repeated writes
    /// go to general 3 (a 2^17 domain), not r15 (2^18); ten go to r15, not 15 (2^19).
    pub fn for_witness(&self, witness: &Witness) -> Result<&Keys, KeyError> {
        self.keys
            .values()
            .filter(|k| k.shape.fits(witness))
            .min_by_key(|k| (k.pk.h_query.len(), k.pk.a_query.len()))
            .ok_or_else(|| KeyError::NoCapacity {
                records: witness.records.len(),
                initial: witness.records.iter().filter(|r| r.insert).count(),
                shapes: self.shapes(),
            })
    }

    /// The keys of exactly `shape`.
    pub fn get(&self, shape: Shape) -> Option<&Keys> {
        self.keys.get(&shape)
    }

    /// Circuits held: general ones by capacity, then repeated-only ones.
    pub fn shapes(&self) -> Vec<Shape> {
        self.keys.keys().copied().collect()
    }

    /// (circuit, verifying key) pairs, in [`Self::shapes`] order.
    pub fn verifying_keys(&self) -> Vec<(Shape, VerifyingKey<Bn254>)> {
        self.keys.values().map(|k| (k.shape, k.pk.vk.clone())).collect()
    }
}
