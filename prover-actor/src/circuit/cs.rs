//! A thin layer over arkworks' constraint system: numbers that carry a linear combination and
//! their value, so every gadget computes its witness as it constrains it.
//!
//! Values are always computed (a setup run simply uses a dummy witness), and constants fold: an
//! operation on constants adds no constraint.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, BigInteger, Field, One, PrimeField, Zero};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// A field element inside the circuit: a linear combination of variables and its value.
#[derive(Clone, Debug)]
pub struct Num {
    lc: LinearCombination<Fr>,
    /// The value (the witness).
    pub val: Fr,
    konst: bool,
}

impl Num {
    /// A constant.
    pub fn constant(c: Fr) -> Self {
        let lc = if c.is_zero() {
            LinearCombination::zero()
        } else {
            LinearCombination(vec![(c, Variable::One)])
        };
        Self { lc, val: c, konst: true }
    }

    /// Zero.
    pub fn zero() -> Self {
        Self::constant(Fr::zero())
    }

    /// Whether the number is a constant.
    pub fn is_const(&self) -> bool {
        self.konst
    }

    /// `self + other`.
    pub fn add(&self, other: &Self) -> Self {
        self.lin(&[(Fr::one(), other)])
    }

    /// `self - other`.
    pub fn sub(&self, other: &Self) -> Self {
        self.lin(&[(-Fr::one(), other)])
    }

    /// `c * self`.
    pub fn scale(&self, c: Fr) -> Self {
        Num::combine(&[(c, self)])
    }

    /// `self + c`.
    pub fn add_const(&self, c: Fr) -> Self {
        self.add(&Num::constant(c))
    }

    fn lin(&self, terms: &[(Fr, &Num)]) -> Self {
        let mut all = vec![(Fr::one(), self)];
        all.extend_from_slice(terms);
        Num::combine(&all)
    }

    /// `Σ c_i * x_i`, with like terms merged.
    pub fn combine(terms: &[(Fr, &Num)]) -> Self {
        let mut lc = LinearCombination::zero();
        let mut val = Fr::zero();
        let mut konst = true;
        for (c, x) in terms {
            val += *c * x.val;
            konst &= x.konst;
            lc.0.extend(x.lc.0.iter().map(|(k, v)| (*c * k, *v)));
        }
        lc.compactify();
        lc.0.retain(|(k, _)| !k.is_zero());
        Self { lc, val, konst }
    }

    /// `Σ 2^i * bits[i]`.
    pub fn pack(bits: &[Num]) -> Self {
        let mut pow = Fr::one();
        let mut terms = Vec::with_capacity(bits.len());
        for b in bits {
            terms.push((pow, b));
            pow.double_in_place();
        }
        Num::combine(&terms)
    }
}

/// The constraint system being built.
#[derive(Clone)]
pub struct Cs {
    cs: ConstraintSystemRef<Fr>,
}

type R<T> = Result<T, SynthesisError>;

impl Cs {
    /// Wrap arkworks' constraint system.
    pub fn new(cs: ConstraintSystemRef<Fr>) -> Self {
        Self { cs }
    }

    /// The wrapped system.
    pub fn inner(&self) -> &ConstraintSystemRef<Fr> {
        &self.cs
    }

    /// A private variable.
    pub fn witness(&self, val: Fr) -> R<Num> {
        let v = self.cs.new_witness_variable(|| Ok(val))?;
        Ok(Num { lc: LinearCombination(vec![(Fr::one(), v)]), val, konst: false })
    }

    /// A public input (allocated in the order the verifier receives them).
    pub fn input(&self, val: Fr) -> R<Num> {
        let v = self.cs.new_input_variable(|| Ok(val))?;
        Ok(Num { lc: LinearCombination(vec![(Fr::one(), v)]), val, konst: false })
    }

    /// Enforce `a * b = c`.
    pub fn enforce(&self, a: &Num, b: &Num, c: &Num) -> R<()> {
        self.cs.enforce_r1cs_constraint(|| a.lc.clone(), || b.lc.clone(), || c.lc.clone())
    }

    /// Enforce `a = b`.
    pub fn equal(&self, a: &Num, b: &Num) -> R<()> {
        if a.konst && b.konst {
            return if a.val == b.val { Ok(()) } else { Err(SynthesisError::Unsatisfiable) };
        }
        self.enforce(&a.sub(b), &Num::constant(Fr::one()), &Num::zero())
    }

    /// Enforce `cond ⇒ a = b`, i.e. `(a - b) * cond = 0`.
    pub fn equal_if(&self, cond: &Num, a: &Num, b: &Num) -> R<()> {
        self.enforce(&a.sub(b), cond, &Num::zero())
    }

    /// `a * b` (one constraint unless a factor is constant).
    pub fn mul(&self, a: &Num, b: &Num) -> R<Num> {
        if a.konst {
            return Ok(b.scale(a.val));
        }
        if b.konst {
            return Ok(a.scale(b.val));
        }
        let c = self.witness(a.val * b.val)?;
        self.enforce(a, b, &c)?;
        Ok(c)
    }

    /// A new boolean variable.
    pub fn bit(&self, b: bool) -> R<Num> {
        let x = self.witness(Fr::from(b))?;
        self.assert_bool(&x)?;
        Ok(x)
    }

    /// Enforce `x ∈ {0, 1}`.
    pub fn assert_bool(&self, x: &Num) -> R<()> {
        self.enforce(x, &x.add_const(-Fr::one()), &Num::zero())
    }

    /// The `n` low bits of `x`, least significant first; enforces `x < 2^n`.
    pub fn bits(&self, x: &Num, n: usize) -> R<Vec<Num>> {
        let big = x.val.into_bigint();
        if x.konst {
            return Ok((0..n).map(|i| Num::constant(Fr::from(big.get_bit(i)))).collect());
        }
        let bits = (0..n).map(|i| self.bit(big.get_bit(i))).collect::<R<Vec<_>>>()?;
        self.equal(&Num::pack(&bits), x)?;
        Ok(bits)
    }

    /// `cond ? a : b` for a boolean `cond`.
    pub fn select(&self, cond: &Num, a: &Num, b: &Num) -> R<Num> {
        Ok(b.add(&self.mul(cond, &a.sub(b))?))
    }

    /// `1` if `x = 0`, else `0`.
    pub fn is_zero(&self, x: &Num) -> R<Num> {
        if x.konst {
            return Ok(Num::constant(Fr::from(x.val.is_zero())));
        }
        let inv = self.witness(x.val.inverse().unwrap_or_default())?;
        let out = self.witness(Fr::from(x.val.is_zero()))?;
        // x * inv = 1 - out, and x * out = 0.
        self.enforce(x, &inv, &Num::constant(Fr::one()).sub(&out))?;
        self.enforce(x, &out, &Num::zero())?;
        Ok(out)
    }

    /// `1` if `a < b`, for `a, b < 2^128`: the top bit of `b - a - 1 + 2^128`.
    pub fn lt128(&self, a: &Num, b: &Num) -> R<Num> {
        let offset = Fr::from(2u8).pow([128u64]) - Fr::one();
        let bits = self.bits(&b.sub(a).add_const(offset), 129)?;
        Ok(bits[128].clone())
    }

    /// `1` if `(a_hi, a_lo) < (b_hi, b_lo)` as 256-bit numbers split into 128-bit limbs.
    pub fn lt256(&self, a: (&Num, &Num), b: (&Num, &Num)) -> R<Num> {
        let hi = self.lt128(a.0, b.0)?;
        let eq = self.is_zero(&a.0.sub(b.0))?;
        let lo = self.lt128(a.1, b.1)?;
        // `hi` and `eq` exclude each other, so the sum stays boolean.
        Ok(hi.add(&self.mul(&eq, &lo)?))
    }
}
