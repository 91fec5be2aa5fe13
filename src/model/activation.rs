//! Smooth activation functions with their first five derivatives.
//!
//! The Taylor jets in `x` of order `k` need `σ, …, σ^(k)` (by the chain rule
//! `h'' = σ'(z) z'' + σ''(z) z' z'`, and in general the Faà di Bruno formula); the adjoint
//! and the tangent in `θ` (the reverse sweep for `J`, the forward-mode `J·v`)
//! differentiate `σ^(k)` once more. Jets up to order 2 therefore use `σ … σ'''`
//! ([`Activation::derivs`]), jets of order 3 and 4 also `σ''''` and `σ^(5)`
//! ([`Activation::derivs6`]). All are closed forms, evaluated in a numerically stable way.

use serde::Deserialize;

use super::simd::vector_dispatch;

/// A smooth scalar activation applied elementwise in the hidden layers (the output layer
/// is linear). Deserialises from the lowercase names `"tanh"`, `"sin"`, `"softplus"`,
/// `"sigmoid"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh z`.
    Tanh,
    /// `sin z`.
    Sin,
    /// `softplus z = ln(1 + e^z)`.
    Softplus,
    /// `sigmoid z = 1 / (1 + e^{-z})`.
    Sigmoid,
}

/// The logistic function `1/(1+e^{-z})`, computed without overflow for either sign of `z`.
fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Activation {
    /// `[σ(z), σ'(z), σ''(z), σ'''(z)]`.
    ///
    /// - tanh: with `t = tanh z`: `1 − t²`, `−2t(1 − t²)`, `−2(1 − t²)(1 − 3t²)`.
    /// - sin: `cos z`, `−sin z`, `−cos z`.
    /// - softplus: `σ' = s = sigmoid z`, `σ'' = s(1 − s)`, `σ''' = s(1 − s)(1 − 2s)`;
    ///   the value is `max(z, 0) + ln(1 + e^{−|z|})`, which never overflows.
    /// - sigmoid: `s(1 − s)`, `s(1 − s)(1 − 2s)`, `s(1 − s)(1 − 6s + 6s²)`.
    ///
    /// `1 − s` is computed as `sigmoid(−z)` so that it keeps its relative accuracy when
    /// `s → 1`.
    #[inline]
    pub fn derivs(self, z: f64) -> [f64; 4] {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                let d1 = 1.0 - t * t;
                [t, d1, -2.0 * t * d1, -2.0 * d1 * (1.0 - 3.0 * t * t)]
            }
            Activation::Sin => {
                let (s, c) = z.sin_cos();
                [s, c, -s, -c]
            }
            Activation::Softplus => {
                let s = logistic(z);
                let sm = logistic(-z);
                let d2 = s * sm;
                [z.max(0.0) + (-z.abs()).exp().ln_1p(), s, d2, d2 * (sm - s)]
            }
            Activation::Sigmoid => {
                let s = logistic(z);
                let sm = logistic(-z);
                let d1 = s * sm;
                // 1 − 6s + 6s² = 1 − 6 s (1 − s)
                [s, d1, d1 * (sm - s), d1 * (1.0 - 6.0 * d1)]
            }
        }
    }

    /// `[σ(z), σ'(z), …, σ^(5)(z)]`: [`Activation::derivs`] and then
    /// [`Activation::fourth_fifth`] of it.
    #[inline]
    pub fn derivs6(self, z: f64) -> [f64; 6] {
        let d = self.derivs(z);
        let [d4, d5] = self.fourth_fifth(d);
        [d[0], d[1], d[2], d[3], d4, d5]
    }

    /// `[σ'''', σ^(5)]` from `d = [σ, σ', σ'', σ''']` at the same `z`, with no further
    /// transcendental function:
    ///
    /// - tanh, with `t = σ` and `s = σ' = 1 − t²` (`t' = s`, `s' = −2ts`):
    ///   `σ'''' = 8ts(3s − 1)`, `σ^(5) = 8s(2 − 15t²s)`;
    /// - sin: `σ'''' = sin z = σ`, `σ^(5) = cos z = σ'`;
    /// - sigmoid, with `u = σ' = s(1 − s)` (`u' = u(1 − 2s)`): `σ'''' = σ''(1 − 12u)`,
    ///   `σ^(5) = u(1 − 30u + 120u²)`;
    /// - softplus, whose derivatives are those of the sigmoid shifted by one, with
    ///   `u = σ''`: `σ'''' = u(1 − 6u)`, `σ^(5) = σ'''(1 − 12u)`.
    ///
    /// Every form is a product of the accurate lower derivatives and a polynomial in
    /// `s` or `u` that is bounded on the range, so no cancellation appears where the
    /// derivatives are small (`|z|` large); the `1 − 2s` factors come from `σ''` and
    /// `σ'''`, which compute them as `sigmoid(−z) − sigmoid(z)`.
    #[inline]
    pub fn fourth_fifth(self, d: [f64; 4]) -> [f64; 2] {
        match self {
            Activation::Tanh => {
                let (t, s) = (d[0], d[1]);
                [
                    8.0 * t * s * (3.0 * s - 1.0),
                    8.0 * s * (2.0 - 15.0 * t * t * s),
                ]
            }
            Activation::Sin => [d[0], d[1]],
            Activation::Sigmoid => {
                let u = d[1];
                [
                    d[2] * (1.0 - 12.0 * u),
                    u * (1.0 - 30.0 * u + 120.0 * u * u),
                ]
            }
            Activation::Softplus => {
                let u = d[2];
                [u * (1.0 - 6.0 * u), d[3] * (1.0 - 12.0 * u)]
            }
        }
    }

    /// `σ, σ', σ'', σ'''` (and, when `out.len() = 6n`, `σ''''` and `σ^(5)`) at every
    /// `z[p]`: derivative `i` into `out[i·n + p]` (`n = z.len()`, `out.len()` 4n or 6n).
    /// The first four are the same numbers for either length.
    ///
    /// This is the batched form used by the jets. For tanh it evaluates
    /// `tanh z = 1 − 2/(e^{2z} + 1)` with [`exp_batch`], a branch-free `exp` that the
    /// compiler vectorises: libm's scalar `tanh` costs more than the rest of a small
    /// network's Jacobian. Its error is absolute (≤ ~3e-16 in `σ`), not relative near
    /// `z = 0`. For sin it evaluates `sin z` and `cos z` together with
    /// [`sin_cos_batch`] (about 1 ulp, as libm) when every `|z| ≤` [`SIN_COS_LIMIT`];
    /// every other activation, and sin beyond that bound, uses [`Activation::derivs`].
    pub fn derivs_into(self, z: &[f64], out: &mut [f64]) {
        let n = z.len();
        assert!(
            out.len() == 4 * n || out.len() == 6 * n,
            "out must hold 4 or 6 derivatives per point"
        );
        let (low, high) = out.split_at_mut(4 * n);
        let (d0, rest) = low.split_at_mut(n);
        let (d1, rest) = rest.split_at_mut(n);
        let (d2, d3) = rest.split_at_mut(n);
        if let Some(kernel) = self.batch_kernel(z) {
            kernel(z, d0, d1, d2, d3, 4);
        } else {
            for (p, &zp) in z.iter().enumerate() {
                [d0[p], d1[p], d2[p], d3[p]] = self.derivs(zp);
            }
        }
        if !high.is_empty() {
            let (d4, d5) = high.split_at_mut(n);
            for p in 0..n {
                [d4[p], d5[p]] = self.fourth_fifth([d0[p], d1[p], d2[p], d3[p]]);
            }
        }
    }

    /// The first `need` of `σ, σ', σ'', σ'''` (`need` in `1..=4`) at every `z[p]`,
    /// derivative `i` into `out[i·n + p]` (`out.len() = 4n`); the other entries are left
    /// as they are. Each derivative is the number [`Activation::derivs_into`] writes (same
    /// operations), so callers that read only the first `need` cannot tell the two apart.
    ///
    /// Why: a forward pass through jets of order `k` reads `σ … σ^(k)` only; `σ^(k+1)`
    /// serves the reverse sweep and the θ-tangent. The loss evaluations of a line search
    /// (and the value-only boundary rows, `k = 0`) skip it.
    pub(crate) fn derivs_upto_into(self, z: &[f64], out: &mut [f64], need: usize) {
        let n = z.len();
        assert_eq!(out.len(), 4 * n, "out must hold 4 derivatives per point");
        assert!((1..=4).contains(&need), "between 1 and 4 derivatives");
        let (d0, rest) = out.split_at_mut(n);
        let (d1, rest) = rest.split_at_mut(n);
        let (d2, d3) = rest.split_at_mut(n);
        if let Some(kernel) = self.batch_kernel(z) {
            kernel(z, d0, d1, d2, d3, need);
        } else {
            for (p, &zp) in z.iter().enumerate() {
                let d = self.derivs(zp);
                let dst = [&mut *d0, &mut *d1, &mut *d2, &mut *d3];
                for (out_i, di) in dst.into_iter().zip(d).take(need) {
                    out_i[p] = di;
                }
            }
        }
    }

    /// The vectorised kernel that writes the first `need` of `σ, σ', σ'', σ'''` for the
    /// batch `z` (tanh always, sin when every `|z|` is within [`SIN_COS_LIMIT`]), or
    /// `None` where the batch goes through [`Activation::derivs`] point by point.
    fn batch_kernel(self, z: &[f64]) -> Option<BatchKernel> {
        match self {
            Activation::Tanh => Some(tanh_derivs),
            Activation::Sin if sin_cos_reducible(z) => Some(sin_derivs),
            _ => None,
        }
    }

    /// `σ(z)` alone.
    #[inline]
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Sin => z.sin(),
            Activation::Softplus => z.max(0.0) + (-z.abs()).exp().ln_1p(),
            Activation::Sigmoid => logistic(z),
        }
    }
}

/// A batched kernel `(z, σ, σ', σ'', σ''', need)`: the first `need` derivatives written.
type BatchKernel = fn(&[f64], &mut [f64], &mut [f64], &mut [f64], &mut [f64], usize);

vector_dispatch! {
    /// `tanh` and its first `need` derivatives (`need` in `1..=4`, see
    /// [`Activation::derivs_upto_into`]) over a batch, compiled for AVX-512F or AVX2 when
    /// the CPU has them ([`crate::model::simd`]); every version gives bitwise the same
    /// result.
    fn tanh_derivs(
        z: &[f64],
        d0: &mut [f64],
        d1: &mut [f64],
        d2: &mut [f64],
        d3: &mut [f64],
        need: usize,
    ) {
        tanh_derivs_upto(z, d0, d1, d2, d3, need)
    }
}

/// One loop per `need`, so that none of them branches per element.
#[inline(always)]
fn tanh_derivs_upto(
    z: &[f64],
    d0: &mut [f64],
    d1: &mut [f64],
    d2: &mut [f64],
    d3: &mut [f64],
    need: usize,
) {
    match need {
        1 => tanh_derivs_generic::<1>(z, d0, d1, d2, d3),
        2 => tanh_derivs_generic::<2>(z, d0, d1, d2, d3),
        3 => tanh_derivs_generic::<3>(z, d0, d1, d2, d3),
        _ => tanh_derivs_generic::<4>(z, d0, d1, d2, d3),
    }
}

/// With `e = e^{2z}` and `q = 1/(1 + e)`: `t = 1 − 2q`, `1 − t² = 4 e q²` (relatively
/// accurate also where `t² ≈ 1`), `σ'' = −2t(1 − t²)`, `σ''' = −2(1 − t²)(1 − 3t²)`; the
/// first `N` of them.
#[inline(always)]
fn tanh_derivs_generic<const N: usize>(
    z: &[f64],
    d0: &mut [f64],
    d1: &mut [f64],
    d2: &mut [f64],
    d3: &mut [f64],
) {
    let n = z.len();
    let (d0, d1, d2, d3) = (&mut d0[..n], &mut d1[..n], &mut d2[..n], &mut d3[..n]);
    for (e, &zp) in d0.iter_mut().zip(z) {
        *e = 2.0 * zp;
    }
    exp_batch(d0);
    for p in 0..n {
        let e = d0[p];
        let q = 1.0 / (1.0 + e);
        // 1 − 2q in one fused step: 2q is exact, so this is the rounding of 1 − 2q
        // (the same bits as a multiply then a subtraction), one instruction fewer.
        let t = (-2.0f64).mul_add(q, 1.0);
        d0[p] = t;
        if N > 1 {
            let s = 4.0 * e * q * q;
            d1[p] = s;
            if N > 2 {
                d2[p] = -2.0 * t * s;
            }
            if N > 3 {
                d3[p] = -2.0 * s * (1.0 - 3.0 * t * t);
            }
        }
    }
}

vector_dispatch! {
    /// `sin` and its first `need` derivatives (`need` in `1..=4`: `sin z`, `cos z`,
    /// `−sin z`, `−cos z`) over a batch whose every `|z| ≤` [`SIN_COS_LIMIT`], compiled
    /// for AVX-512F or AVX2 when the CPU has them ([`crate::model::simd`]); every version
    /// gives bitwise the same result.
    fn sin_derivs(
        z: &[f64],
        d0: &mut [f64],
        d1: &mut [f64],
        d2: &mut [f64],
        d3: &mut [f64],
        need: usize,
    ) {
        let n = z.len();
        let (d0, d1) = (&mut d0[..n], &mut d1[..n]);
        sin_cos_batch(z, d0, d1);
        if need > 2 {
            for (m, &v) in d2[..n].iter_mut().zip(d0.iter()) {
                *m = -v;
            }
        }
        if need > 3 {
            for (m, &v) in d3[..n].iter_mut().zip(d1.iter()) {
                *m = -v;
            }
        }
    }
}

/// The largest `|z|` that [`sin_cos_batch`] reduces exactly: its quadrant count `k` then
/// has at most 17 bits, so that `k` times the 33-bit leading part of `π/2` is exact.
pub(crate) const SIN_COS_LIMIT: f64 = 1.0e5;

/// Whether [`sin_cos_batch`] may take every `z` of the batch (finite, `|z| ≤`
/// [`SIN_COS_LIMIT`]). A network's pre-activations are far inside; a batch with one
/// outside goes through libm instead.
fn sin_cos_reducible(z: &[f64]) -> bool {
    z.iter().all(|v| v.abs() <= SIN_COS_LIMIT)
}

/// `s ← sin z`, `c ← cos z` elementwise, branch-free so that it vectorises, for
/// `|z| ≤` [`SIN_COS_LIMIT`] (the caller checks).
///
/// Reduction: `z = k π/2 + r`, `|r| ≤ π/4 (1 + 2⁻⁵⁰)`, with `k = round(2z/π)` and
/// `π/2 = P₁ + P₂ + P₃ + P₃ₜ` split Cody–Waite fashion (`P₁`, `P₂`, `P₃` of 33 bits, so
/// `k P₁` and `k P₂` are exact; `z − k P₁` is exact by Sterbenz's lemma):
/// `r = (((z − kP₁) − kP₂) − kP₃) − kP₃ₜ`, good to about one rounding of `r` also next to
/// a multiple of `π/2`, where `r` is far smaller than `z` (the split of fdlibm's
/// `__ieee754_rem_pio2`).
///
/// Kernels on `|r| ≤ π/4`: the minimax polynomials of Sun's fdlibm (`__kernel_sin`,
/// `__kernel_cos`, error below 2⁻⁵⁸ relative):
/// `sin r = r + r³(S₁ + r²(S₂ + … + r⁸ S₆))` and `cos r = w + (((1 − w) − r²/2) + r⁴
/// (C₁ + … + r¹⁰ C₆))` with `w = 1 − r²/2`, the last form recovering the rounding of
/// `w`. The quadrant `k mod 4` swaps the two and flips signs through bit operations.
/// Error: about 1 ulp, as libm's `sin` and `cos` (tested against them).
#[inline(always)]
pub(crate) fn sin_cos_batch(z: &[f64], s: &mut [f64], c: &mut [f64]) {
    const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
    const PIO2_1: f64 = 1.570_796_326_734_125_6;
    const PIO2_2: f64 = 6.077_100_506_303_966e-11;
    const PIO2_3: f64 = 2.022_266_248_711_166_5e-21;
    const PIO2_3T: f64 = 8.478_427_660_368_9e-32;
    // Adding 1.5·2^52 rounds to an integer held in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const S: [f64; 6] = [
        -1.666_666_666_666_663_2e-1,
        8.333_333_333_322_49e-3,
        -1.984_126_982_985_795e-4,
        2.755_731_370_707_006_8e-6,
        -2.505_076_025_340_686_3e-8,
        1.589_690_995_211_55e-10,
    ];
    const C: [f64; 6] = [
        4.166_666_666_666_66e-2,
        -1.388_888_888_887_411e-3,
        2.480_158_728_947_673e-5,
        -2.755_731_435_139_066_3e-7,
        2.087_572_321_298_175e-9,
        -1.135_964_755_778_819_5e-11,
    ];
    let n = z.len();
    let (s, c) = (&mut s[..n], &mut c[..n]);
    for p in 0..n {
        let x = z[p];
        let k_shifted = x * TWO_OVER_PI + SHIFT;
        let q = k_shifted.to_bits() & 3; // k mod 4 (two's complement in the low bits)
        let k = k_shifted - SHIFT;
        let r = (((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3) - k * PIO2_3T;
        let r2 = r * r;
        let sp = S[1] + r2 * (S[2] + r2 * (S[3] + r2 * (S[4] + r2 * S[5])));
        let sin_r = r + (r2 * r) * (S[0] + r2 * sp);
        let cp = r2 * (C[0] + r2 * (C[1] + r2 * (C[2] + r2 * (C[3] + r2 * (C[4] + r2 * C[5])))));
        let half = 0.5 * r2;
        let w = 1.0 - half;
        let cos_r = w + (((1.0 - w) - half) + r2 * cp);
        // k mod 4 = 0: (sin r, cos r); 1: (cos r, −sin r); 2: (−sin r, −cos r);
        // 3: (−cos r, sin r).
        let swap = 0u64.wrapping_sub(q & 1);
        let (sb, cb) = (sin_r.to_bits(), cos_r.to_bits());
        let first = (cb & swap) | (sb & !swap);
        let second = (sb & swap) | (cb & !swap);
        s[p] = f64::from_bits(first ^ ((q & 2) << 62));
        c[p] = f64::from_bits(second ^ (((q + 1) & 2) << 62));
    }
}

/// `x ← e^x` elementwise, branch-free so that it vectorises: `x = k ln2 + r` with
/// `|r| ≤ ln2/2` (Cody–Waite split of ln 2), `e^r` by its Taylor polynomial to degree 13
/// (truncation `< 0.35^14/14! ≈ 5e-18`), and `2^k` built in the exponent bits. Inputs are
/// clamped to `[−708, 708]`, so the result is finite and positive (about 1 ulp of error).
///
/// The polynomial is evaluated by Estrin's scheme (Knuth, *TAOCP* vol. 2, §4.6.4) with
/// fused multiply-adds, as is the reduction: Horner's 13 dependent multiply-then-add
/// steps were latency-bound and most of the cost of a tanh network's jets; Estrin's tree
/// is four fused steps deep, and measured 1.4–1.6× faster for the whole tanh kernel on an
/// AVX2 CPU (`benches/activation.rs`). `f64::mul_add` is the correctly rounded fused
/// operation on every path (one instruction where the CPU has FMA, which the dispatched
/// copies require; a software routine on a baseline CPU without it), so every path gives
/// the same bits.
#[inline(always)]
pub(crate) fn exp_batch(x: &mut [f64]) {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // Adding 1.5·2^52 rounds to an integer held in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    for v in x.iter_mut() {
        let xv = v.clamp(-708.0, 708.0);
        let kf_shifted = xv.mul_add(LOG2E, SHIFT);
        let k_bits = kf_shifted.to_bits();
        let kf = kf_shifted - SHIFT;
        let r = (-kf).mul_add(LN2_LO, (-kf).mul_add(LN2_HI, xv));
        // e^r = 1 + (r + r²·Q(r)), Q(r) = Σ_{i≥2} r^{i−2}/i! by Estrin's scheme with fused
        // multiply-adds (pairs, then quadruples, then the top); the 1 and the r enter
        // last, so the leading terms are rounded once each, as in Horner's order.
        let r2 = r * r;
        let r4 = r2 * r2;
        let r8 = r4 * r4;
        let pair = |i: usize| C[i + 1].mul_add(r, C[i]);
        let q0 = pair(4).mul_add(r2, pair(2));
        let q1 = pair(8).mul_add(r2, pair(6));
        let q2 = pair(12).mul_add(r2, pair(10));
        let q = q2.mul_add(r8, q1.mul_add(r4, q0));
        let p = 1.0 + q.mul_add(r2, r);
        // k is in the low bits of k_bits (two's complement); 2^k has exponent field k + 1023.
        let scale = f64::from_bits((k_bits.wrapping_add(1023)) << 52);
        *v = p * scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    const ALL: [Activation; 4] = [
        Activation::Tanh,
        Activation::Sin,
        Activation::Softplus,
        Activation::Sigmoid,
    ];

    /// The error of `got` against `want` in units of the last place of `want` (of
    /// 2⁻¹⁰⁷⁴ for zero, the smallest subnormal's unit).
    fn ulps(got: f64, want: f64) -> f64 {
        let unit = if want == 0.0 {
            f64::from_bits(1)
        } else {
            let e = want.abs().log2().floor();
            2f64.powf(e - 52.0).max(f64::from_bits(1))
        };
        (got - want).abs() / unit
    }

    /// The branch-free `sin` and `cos` against libm: within 2 ulp over small, moderate
    /// and large arguments up to the limit, right next to multiples of `π/2` (where the
    /// reduction cancels), and at the quadrant boundaries `(2j + 1)π/4`.
    #[test]
    fn branch_free_sin_cos_matches_libm() {
        let mut z = vec![
            0.0,
            -0.0,
            1e-300,
            -1e-20,
            1e-8,
            0.5,
            -0.785,
            SIN_COS_LIMIT,
            -SIN_COS_LIMIT,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for scale in [1.0, 10.0, 100.0, 1e3, 1e4, SIN_COS_LIMIT] {
            for _ in 0..20_000 {
                z.push(scale * (2.0 * uniform() - 1.0));
            }
        }
        for j in -2000..=2000 {
            let m = f64::from(j) * std::f64::consts::FRAC_PI_2;
            let q = (f64::from(j) + 0.5) * std::f64::consts::FRAC_PI_2;
            for x in [m, q] {
                z.extend((x.to_bits()..x.to_bits() + 3).map(f64::from_bits));
            }
        }
        let (mut s, mut c) = (vec![0.0; z.len()], vec![0.0; z.len()]);
        sin_cos_batch(&z, &mut s, &mut c);
        let (mut worst_s, mut worst_c) = (0.0f64, 0.0f64);
        for (i, &x) in z.iter().enumerate() {
            worst_s = worst_s.max(ulps(s[i], x.sin()));
            worst_c = worst_c.max(ulps(c[i], x.cos()));
            assert!(
                ulps(s[i], x.sin()) <= 2.0,
                "sin {x:e}: {:e} vs {:e}",
                s[i],
                x.sin()
            );
            assert!(
                ulps(c[i], x.cos()) <= 2.0,
                "cos {x:e}: {:e} vs {:e}",
                c[i],
                x.cos()
            );
        }
        assert!(
            worst_s > 0.0 && worst_c > 0.0,
            "not bitwise libm, so the test sees the kernel"
        );
    }

    /// The batched sin derivatives are the branch-free ones inside the limit, each
    /// within 2 ulp of [`Activation::derivs`], and libm's bits for a batch with an
    /// argument beyond it.
    #[test]
    fn batched_sin_derivatives() {
        let inside = [-40.0, -3.0, -0.2, 0.0, 0.7, 2.5, 1234.5];
        let mut beyond = inside.to_vec();
        beyond.push(3.0 * SIN_COS_LIMIT);
        for z in [&inside[..], &beyond[..]] {
            let n = z.len();
            let mut out = vec![0.0; 6 * n];
            Activation::Sin.derivs_into(z, &mut out);
            let mut upto = vec![0.0; 4 * n];
            Activation::Sin.derivs_upto_into(z, &mut upto, 4);
            assert_eq!(&out[..4 * n], &upto[..]);
            for (p, &x) in z.iter().enumerate() {
                let d = Activation::Sin.derivs6(x);
                for i in 0..6 {
                    let got = out[i * n + p];
                    if z.len() == inside.len() {
                        assert!(
                            ulps(got, d[i]) <= 2.0,
                            "σ^({i}) at {x}: {got:e} vs {:e}",
                            d[i]
                        );
                    } else {
                        assert_eq!(got.to_bits(), d[i].to_bits(), "σ^({i}) at {x}");
                    }
                }
            }
        }
    }

    /// Each derivative against a fourth-order central difference of the one before.
    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-3;
        for act in ALL {
            for &z in &[-3.7, -1.2, -0.3, 0.0, 0.4, 1.1, 2.9] {
                let d = act.derivs(z);
                assert_eq!(d[0], act.value(z), "{act:?} value at {z}");
                for order in 0..3 {
                    let f = |t: f64| act.derivs(t)[order];
                    let fd = (-f(z + 2.0 * h) + 8.0 * f(z + h) - 8.0 * f(z - h) + f(z - 2.0 * h))
                        / (12.0 * h);
                    let err = (fd - d[order + 1]).abs();
                    assert!(
                        err <= 1e-9 * (1.0 + d[order + 1].abs()),
                        "{act:?} derivative {} at {z}: fd {fd} vs {}",
                        order + 1,
                        d[order + 1]
                    );
                }
            }
        }
    }

    /// `σ''''` and `σ^(5)` against fourth-order central differences of `σ'''` and
    /// `σ''''`, and at `z = 0` against the Taylor coefficients: tanh `z − z³/3 + 2z⁵/15`,
    /// sin, sigmoid `½ + z/4 − z³/48 + z⁵/480`, softplus `ln 2 + z/2 + z²/8 − z⁴/192`.
    #[test]
    fn fourth_and_fifth_derivatives() {
        let h = 1e-3;
        for act in ALL {
            for &z in &[-6.5, -3.7, -1.2, -0.3, 0.0, 0.4, 1.1, 2.9, 7.0] {
                let d = act.derivs6(z);
                assert_eq!(&d[..4], &act.derivs(z)[..], "{act:?} at {z}");
                for order in 3..5 {
                    let f = |t: f64| act.derivs6(t)[order];
                    let fd = (-f(z + 2.0 * h) + 8.0 * f(z + h) - 8.0 * f(z - h) + f(z - 2.0 * h))
                        / (12.0 * h);
                    let err = (fd - d[order + 1]).abs();
                    assert!(
                        err <= 1e-9 * (1.0 + d[order + 1].abs()),
                        "{act:?} derivative {} at {z}: fd {fd} vs {}",
                        order + 1,
                        d[order + 1]
                    );
                }
            }
        }
        assert_eq!(&Activation::Tanh.derivs6(0.0)[4..], &[0.0, 16.0]);
        assert_eq!(&Activation::Sin.derivs6(0.0)[4..], &[0.0, 1.0]);
        assert_eq!(&Activation::Sigmoid.derivs6(0.0)[4..], &[0.0, 0.25]);
        assert_eq!(&Activation::Softplus.derivs6(0.0)[4..], &[-0.125, 0.0]);
        // Far in the tails every derivative decays like σ' (like σ'' for softplus)
        // without cancellation: bounded relative to it, and finite.
        for act in [Activation::Tanh, Activation::Sigmoid, Activation::Softplus] {
            for z in [-30.0, 30.0, -700.0, 700.0] {
                let d = act.derivs6(z);
                assert!(d.iter().all(|v| v.is_finite()), "{act:?} at {z}: {d:?}");
                let scale = if act == Activation::Softplus {
                    d[2]
                } else {
                    d[1]
                };
                assert!(d[4].abs() <= 20.0 * scale && d[5].abs() <= 40.0 * scale);
            }
        }
        // Batched tanh at z = 20 (its `s = 4e^{2z}/(1 + e^{2z})²` keeps its relative
        // accuracy): σ^(5) = 8s(2 − 15t²s) ≈ 16 s with s ≈ 4e^{−40}, to 1e-14.
        let mut out = [0.0; 6];
        Activation::Tanh.derivs_into(&[20.0], &mut out);
        let s = 4.0 * (-40f64).exp();
        assert!(
            (out[5] - 16.0 * s).abs() <= 1e-13 * 16.0 * s,
            "{} vs {}",
            out[5],
            16.0 * s
        );
    }

    /// Closed forms at points where they are known exactly.
    #[test]
    fn closed_forms() {
        assert_eq!(Activation::Tanh.derivs(0.0), [0.0, 1.0, 0.0, -2.0]);
        assert_eq!(Activation::Sin.derivs(0.0), [0.0, 1.0, -0.0, -1.0]);
        let sp = Activation::Softplus.derivs(0.0);
        assert!((sp[0] - 2f64.ln()).abs() < 1e-16);
        assert_eq!(&sp[1..], &[0.5, 0.25, 0.0]);
        assert_eq!(Activation::Sigmoid.derivs(0.0), [0.5, 0.25, 0.0, -0.125]);
        // softplus(z) − z = ln(1 + e^{−z}) for large z: no overflow, no cancellation.
        let big = Activation::Softplus.derivs(800.0);
        assert_eq!(big[0], 800.0);
        assert_eq!(big[1], 1.0);
        let small = Activation::Softplus.derivs(-40.0);
        assert!((small[0] - (-40f64).exp()).abs() < 1e-30);
        assert!(
            Activation::Sigmoid
                .derivs(-800.0)
                .iter()
                .all(|v| v.is_finite())
        );
    }

    /// The batched derivatives against the scalar ones (libm `tanh`), over a wide range:
    /// error ≤ 2e-15·(1 + |σ^(i)|) in every derivative (the scalar `1 − t²` itself is only
    /// accurate to ~eps absolutely where `|t| ≈ 1`).
    #[test]
    fn batched_derivatives_match_scalar() {
        let z: Vec<f64> = (0..4001)
            .map(|i| -40.0 + 0.02 * i as f64)
            .chain([0.0, 1e-9, -1e-300, 700.0, -750.0])
            .collect();
        let n = z.len();
        for act in ALL {
            let mut out = vec![0.0; 4 * n];
            act.derivs_into(&z, &mut out);
            let mut out6 = vec![0.0; 6 * n];
            act.derivs_into(&z, &mut out6);
            assert_eq!(&out6[..4 * n], &out[..], "{act:?}: the first four agree");
            for (p, &zp) in z.iter().enumerate() {
                let want = act.derivs6(zp);
                for i in 4..6 {
                    let got = out6[i * n + p];
                    assert!(
                        (got - want[i]).abs() <= 1e-14 * (1.0 + want[i].abs()),
                        "{act:?} σ^({i})({zp}): {got} vs {}",
                        want[i]
                    );
                }
            }
            for (p, &zp) in z.iter().enumerate() {
                let want = act.derivs(zp);
                for i in 0..4 {
                    let got = out[i * n + p];
                    assert!(
                        (got - want[i]).abs() <= 2e-15 * (1.0 + want[i].abs()),
                        "{act:?} σ^({i})({zp}): {got} vs {}",
                        want[i]
                    );
                }
            }
        }
        // exp itself: relative error ≤ 4 ulp over [−700, 700].
        let mut x: Vec<f64> = (0..14001).map(|i| -700.0 + 0.1 * i as f64).collect();
        let want: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        exp_batch(&mut x);
        for (g, w) in x.iter().zip(&want) {
            assert!((g - w).abs() <= 4.0 * f64::EPSILON * w, "{g} vs {w}");
        }
    }

    #[test]
    fn deserialises_lowercase_names() {
        let parse = |s: &str| {
            let de: StrDeserializer<'_, DeError> = s.into_deserializer();
            Activation::deserialize(de)
        };
        assert_eq!(parse("tanh").unwrap(), Activation::Tanh);
        assert_eq!(parse("sin").unwrap(), Activation::Sin);
        assert_eq!(parse("softplus").unwrap(), Activation::Softplus);
        assert_eq!(parse("sigmoid").unwrap(), Activation::Sigmoid);
        assert!(parse("relu").is_err());
        assert!(parse("Tanh").is_err());
    }
}
