//! `x = A⁺b` for a symmetric `A` with an eigenvalue cutoff, without computing
//! eigenvectors.
//!
//! # Math
//! With `A = Q T Qᵀ` (Householder tridiagonalisation, `Q = H₀H₁⋯H_{n−2}`,
//! `Hₖ = I − τₖvₖvₖᵀ`) and `T = Zᵀ Λ Z` (implicit symmetric QR with Wilkinson shifts,
//! `Z` the product of the Givens rotations of every sweep):
//!
//! ```text
//!     A⁺b = Q Zᵀ Λ⁺ Z Qᵀ b,   Λ⁺ᵢ = 1/λᵢ if λᵢ > cut, else 0.
//! ```
//!
//! `Qᵀb` and `Q y` are `O(n²)` applications of the stored reflectors; `Z` is applied to
//! the right-hand side while the sweeps run and `Zᵀ` by replaying the recorded rotations
//! backwards, `O(n²)` in all. A full eigendecomposition spends most of its time
//! accumulating the eigenvectors (`≈ 6n³` flops for the rotations or the back-transform)
//! and only `4n³/3` on the reduction; this route does the reduction alone in `O(n³)`.
//! Everything is orthogonal (reflectors and rotations), so the result is backward stable
//! like the eigenvector route: the computed eigenvalues are those of `A + E` with
//! `‖E‖ = O(ε‖A‖)` (Golub & Van Loan, *Matrix Computations*, 4th ed., §8.3: Algorithms
//! 8.3.1 and 8.3.3).
//!
//! Details:
//! - the input is scaled by a power of two so that its largest entry lies in `[1, 2)`
//!   (exact), so no square in the reflectors or rotations overflows or underflows for
//!   ordinary entries; the solution is scaled back;
//! - the reduction (LAPACK `dsytd2`'s order: `p = τA₂₂v`, `w = p − ½τ(pᵀv)v`,
//!   `A₂₂ ← A₂₂ − vwᵀ − wvᵀ` on the lower triangle) makes one pass over the trailing
//!   block per step, updating each contiguous column and multiplying it at once into the
//!   next step's `A₂₂v`; its dot products run in four fixed lanes, so the rounding depends
//!   on `n` alone, and the AVX2 loops do the same operations in the same order as the
//!   portable ones (same bits);
//! - an off-diagonal `eᵢ` is set to zero when `|eᵢ| ≤ ε(|dᵢ| + |dᵢ₊₁|)` or
//!   `|eᵢ| ≤ ε²‖T‖_max` (Golub & Van Loan's criterion with an absolute floor far below
//!   the reduction's own `ε‖A‖` error, so a block of numerically zero eigenvalues
//!   deflates at once).
//!
//! It runs sequentially: at the sizes it is used for (ENGD's Gramian up to about a
//! thousand) the working matrix stays in the caches of one core, and the result is the
//! same on any thread count.

use super::LinearSolveError;
use faer::MatRef;

/// Workspace for [`SpectralSolve::solve`] at one dimension; no allocation per solve once
/// the rotation record has reached its working size.
pub struct SpectralSolve {
    n: usize,
    /// `n × n` column-major: the scaled lower triangle of `A`, then the reflectors below
    /// the subdiagonal (`vₖ` in column `k` from row `k + 1`, its leading 1 stored).
    a: Vec<f64>,
    tau: Vec<f64>,
    d: Vec<f64>,
    e: Vec<f64>,
    p: Vec<f64>,
    /// `(lo, hi)` of each QR sweep, in order.
    sweeps: Vec<(u32, u32)>,
    /// `(c, s)` of every rotation, sweep after sweep.
    rotations: Vec<(f64, f64)>,
}

/// QR sweeps allowed per eigenvalue before reporting no convergence (LAPACK's `dsteqr`
/// allows 30).
const SWEEPS_PER_EIGENVALUE: usize = 30;

impl SpectralSolve {
    /// Workspace for `n × n` matrices.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            a: vec![0.0; n * n],
            tau: vec![0.0; n],
            d: vec![0.0; n],
            e: vec![0.0; n],
            p: vec![0.0; 2 * n],
            sweeps: Vec::new(),
            rotations: Vec::new(),
        }
    }

    /// The eigenvalues of the last matrix solved with, in no particular order.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.d
    }

    /// Replaces `b` by `A⁺b`, where `A⁺` inverts the eigenvalues `λ > relative_cutoff ·
    /// maxᵢ|λᵢ|` of the symmetric `A` (only its lower triangle is read) and drops the
    /// others, negative ones included. Returns the number of eigenvalues inverted.
    ///
    /// # Errors
    /// [`LinearSolveError::NonFinite`] if `A` has a NaN or infinite entry,
    /// [`LinearSolveError::EigenNoConvergence`] if the QR sweeps do not converge.
    ///
    /// # Panics
    /// If `A` is not `n × n` or `b` not of length `n`.
    pub fn solve(
        &mut self,
        a: MatRef<'_, f64>,
        b: &mut [f64],
        relative_cutoff: f64,
    ) -> Result<usize, LinearSolveError> {
        let n = self.n;
        assert!(a.nrows() == n && a.ncols() == n && b.len() == n);
        if n == 0 {
            return Ok(0);
        }
        let mut amax = 0.0f64;
        for j in 0..n {
            for i in j..n {
                let v = a[(i, j)];
                if !v.is_finite() {
                    return Err(LinearSolveError::NonFinite);
                }
                amax = amax.max(v.abs());
            }
        }
        if amax == 0.0 {
            b.fill(0.0);
            self.d.fill(0.0);
            return Ok(0);
        }
        // 2^-k with 2^k ≤ amax < 2^(k+1): exact scaling.
        let exponent = ((amax.to_bits() >> 52) & 0x7ff) as i64 - 1023;
        let scale = 2f64.powi(-exponent.clamp(-1000, 1000) as i32);
        for j in 0..n {
            let col = &mut self.a[j * n..(j + 1) * n];
            for i in j..n {
                col[i] = a[(i, j)] * scale;
            }
        }
        tridiagonalize(self);
        apply_reflectors(n, &self.a, &self.tau, b, true);
        self.sweeps.clear();
        self.rotations.clear();
        implicit_qr(
            &mut self.d[..n],
            &mut self.e[..n],
            b,
            &mut self.sweeps,
            &mut self.rotations,
        )?;
        let lmax = self.d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let cut = relative_cutoff * lmax;
        let mut rank = 0;
        for (y, &l) in b.iter_mut().zip(&self.d) {
            if l > cut && lmax > 0.0 {
                *y /= l;
                rank += 1;
            } else {
                *y = 0.0;
            }
        }
        replay_backwards(&self.sweeps, &self.rotations, b);
        apply_reflectors(n, &self.a, &self.tau, b, false);
        // A⁺ = s (sA)⁺ and λ(A) = λ(sA)/s.
        for v in b.iter_mut() {
            *v *= scale;
        }
        for l in &mut self.d {
            *l /= scale;
        }
        Ok(rank)
    }
}

/// `Σ xᵢyᵢ` in four fixed lanes combined as `(s₀ + s₂) + (s₁ + s₃)`.
#[inline(always)]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for l in 0..4 {
            acc[l] += a[l] * b[l];
        }
    }
    for l in 0..xr.len() {
        acc[l] += xr[l] * yr[l];
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// Householder tridiagonalisation of the lower triangle of the column-major `n × n`
/// `a` (LAPACK `dsytd2`, lower): writes the diagonal to `d`, the subdiagonal to `e`
/// (`e[n−1] = 0`), the reflectors `vₖ` (leading 1 included) into column `k` from row
/// `k + 1` and their coefficients to `tau` (all fields of `s`).
fn tridiagonalize(s: &mut SpectralSolve) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        unsafe { tridiagonalize_avx2(s) };
        return;
    }
    tridiagonalize_body::<false>(s);
}

/// [`tridiagonalize_body`] compiled for AVX2, its column loops written with AVX2
/// intrinsics: the same operations in the same order per lane (no fused multiply-adds),
/// so the same bits as the portable loops.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn tridiagonalize_avx2(s: &mut SpectralSolve) {
    tridiagonalize_body::<true>(s);
}

/// The reduction; `AVX2` selects the intrinsic column loops (only ever `true` inside
/// [`tridiagonalize_avx2`]).
#[inline(always)]
fn tridiagonalize_body<const AVX2: bool>(s: &mut SpectralSolve) {
    let n = s.n;
    let (a, tau, d, e, p) = (&mut s.a, &mut s.tau, &mut s.d, &mut s.e, &mut s.p);
    // `p` holds `A₂₂vₖ` for the current step in its first half and receives the next
    // step's in its second: each pass over the trailing block applies step k's rank-2
    // update to a column and at once multiplies the updated column by `vₖ₊₁` (LAPACK's
    // `dsytd2` order with the next product fused into the update: one pass per step).
    let (p, q) = p.split_at_mut(n);
    d[0] = a[0];
    if n == 1 {
        e[0] = 0.0;
        tau[0] = 0.0;
        return;
    }
    reflector(&mut a[1..n], &mut e[0], &mut tau[0]);
    {
        // p = A₂₂v₀: the fused pass with a zero update (x − (0·0 + 0·0) = x exactly).
        let (head, tail) = a.split_at_mut(n);
        q.fill(0.0);
        fused_pass::<AVX2>(n, 1, tail, q, q, &head[1..], &mut p[..n - 1]);
    }
    let (mut cur, mut next) = (p, q);
    for k in 0..n - 1 {
        let m = n - k - 1;
        let t = tau[k];
        let (head, tail) = a.split_at_mut((k + 1) * n);
        let v = &head[k * n + k + 1..];
        // w = τp − ½τ²(pᵀv) v, in place of p.
        let w = &mut cur[..m];
        if t != 0.0 {
            for wi in w.iter_mut() {
                *wi *= t;
            }
            let alpha = -0.5 * t * dot(w, v);
            for (wi, &vi) in w.iter_mut().zip(v) {
                *wi += alpha * vi;
            }
        } else {
            w.fill(0.0);
        }
        let w = &*w;
        // The trailing block's first column (global column k + 1), then its reflector.
        {
            let col = &mut tail[k + 1..n];
            let (v0, w0) = (v[0], w[0]);
            for ((aij, &vi), &wi) in col.iter_mut().zip(v).zip(w) {
                *aij -= vi * w0 + wi * v0;
            }
        }
        d[k + 1] = tail[k + 1];
        if m == 1 {
            e[k + 1] = 0.0;
            tau[k + 1] = 0.0;
            break;
        }
        let (first, rest) = tail.split_at_mut(n);
        reflector(&mut first[k + 2..n], &mut e[k + 1], &mut tau[k + 1]);
        let vn = &first[k + 2..n];
        fused_pass::<AVX2>(n, k + 2, rest, v, w, vn, &mut next[..m - 1]);
        std::mem::swap(&mut cur, &mut next);
    }
}

/// The reflector `H = I − τvvᵀ` with `Hx = βe₁` (LAPACK `dlarfg`): `x` becomes `v`
/// (leading 1 stored), `β` and `τ` are written out; `τ = 0` (`H = I`) when `x[1..]`
/// is zero.
#[inline(always)]
fn reflector(x: &mut [f64], beta_out: &mut f64, tau_out: &mut f64) {
    let alpha = x[0];
    let xnorm2 = dot(&x[1..], &x[1..]);
    x[0] = 1.0;
    if xnorm2 == 0.0 {
        *beta_out = alpha;
        *tau_out = 0.0;
        return;
    }
    let beta = -(alpha * alpha + xnorm2).sqrt().copysign(alpha);
    let inv = 1.0 / (alpha - beta);
    for v in &mut x[1..] {
        *v *= inv;
    }
    *beta_out = beta;
    *tau_out = (beta - alpha) / beta;
}

/// One pass over the trailing block of global rows and columns `r0 … n − 1` (`rest`
/// starts at its first column, column stride `n`, lower triangle): every column is
/// updated by `A ← A − v wᵀ − w vᵀ` and the updated column multiplied into
/// `pn ← A vₙ`. `v` and `w` are indexed from global row `r0 − 1`, `vₙ` and `pn` from
/// `r0`; `pn` is overwritten. The dot products run in four fixed lanes, so the rounding
/// depends on `n` alone.
#[inline(always)]
fn fused_pass<const AVX2: bool>(
    n: usize,
    r0: usize,
    rest: &mut [f64],
    v: &[f64],
    w: &[f64],
    vn: &[f64],
    pn: &mut [f64],
) {
    pn.fill(0.0);
    for j in 0..n - r0 {
        let col = &mut rest[j * n + r0 + j..(j + 1) * n];
        let (vj, wj, vnj) = (v[j + 1], w[j + 1], vn[j]);
        let (diag, below) = col.split_first_mut().expect("non-empty column");
        *diag -= vj * wj + wj * vj;
        let len = below.len();
        let (vb, wb) = (&v[j + 2..j + 2 + len], &w[j + 2..j + 2 + len]);
        let vnb = &vn[j + 1..j + 1 + len];
        let (pj, pb) = pn[j..j + 1 + len].split_first_mut().expect("non-empty");
        let acc = if AVX2 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: only instantiated with `AVX2` inside `tridiagonalize_avx2`.
            unsafe {
                avx2::update_and_multiply(below, (vb, wb, vnb), pb, (vj, wj, vnj))
            }
            #[cfg(not(target_arch = "x86_64"))]
            unreachable!()
        } else {
            update_and_multiply(below, (vb, wb, vnb), pb, (vj, wj, vnj))
        };
        *pj += *diag * vnj + acc;
    }
}

/// One column below the diagonal in the fused pass: `x ← x − (v wⱼ + w vⱼ)`, then
/// `p += x vₙⱼ` and the return value `Σ x vₙ` (four lanes, `(s₀ + s₂) + (s₁ + s₃)`).
#[inline(always)]
fn update_and_multiply(
    x: &mut [f64],
    (v, w, vn): (&[f64], &[f64], &[f64]),
    p: &mut [f64],
    (vj, wj, vnj): (f64, f64, f64),
) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut xc = x.chunks_exact_mut(4);
    let mut pc = p.chunks_exact_mut(4);
    let (mut vc, mut wc, mut nc) = (v.chunks_exact(4), w.chunks_exact(4), vn.chunks_exact(4));
    for ((((x4, p4), v4), w4), n4) in (&mut xc)
        .zip(&mut pc)
        .zip(&mut vc)
        .zip(&mut wc)
        .zip(&mut nc)
    {
        // Everything loaded before anything is stored, so that the four lanes are
        // independent of how the slices might overlap and vectorise as one.
        let (xs, ps) = (load4(x4), load4(p4));
        let (vs, ws, ns) = (load4(v4), load4(w4), load4(n4));
        let mut y = [0.0f64; 4];
        let mut q = [0.0f64; 4];
        for l in 0..4 {
            y[l] = xs[l] - (vs[l] * wj + ws[l] * vj);
            q[l] = ps[l] + y[l] * vnj;
            acc[l] += y[l] * ns[l];
        }
        x4.copy_from_slice(&y);
        p4.copy_from_slice(&q);
    }
    update_and_multiply_rest(
        xc.into_remainder(),
        vc.remainder(),
        wc.remainder(),
        nc.remainder(),
        pc.into_remainder(),
        (vj, wj, vnj),
        acc,
    )
}

/// The last `len mod 4` rows of [`update_and_multiply`] into lanes `0, 1, 2`, and the
/// lanes combined as `(s₀ + s₂) + (s₁ + s₃)`; shared by the portable and AVX2 loops.
#[inline(always)]
fn update_and_multiply_rest(
    x: &mut [f64],
    v: &[f64],
    w: &[f64],
    vn: &[f64],
    p: &mut [f64],
    (vj, wj, vnj): (f64, f64, f64),
    mut acc: [f64; 4],
) -> f64 {
    let rest = x.iter_mut().zip(p).zip(v).zip(w).zip(vn);
    for (l, ((((x1, p1), &v1), &w1), &n1)) in rest.enumerate() {
        let y = *x1 - (v1 * wj + w1 * vj);
        *x1 = y;
        *p1 += y * vnj;
        acc[l] += y * n1;
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// The four entries of a chunk of [`slice::chunks_exact`]`(4)`.
#[inline(always)]
fn load4(x: &[f64]) -> [f64; 4] {
    [x[0], x[1], x[2], x[3]]
}

/// [`update_and_multiply`] with AVX2 intrinsics: four rows per vector,
/// lane `l` holding the rows `≡ l (mod 4)` as the portable loops' `acc[l]` do, the same
/// multiplications and additions in the same order, the same remainder loop.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd, _mm256_sub_pd,
    };

    /// See [`super::update_and_multiply`].
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) fn update_and_multiply(
        x: &mut [f64],
        (v, w, vn): (&[f64], &[f64], &[f64]),
        p: &mut [f64],
        (vj, wj, vnj): (f64, f64, f64),
    ) -> f64 {
        let len = x.len();
        assert!(v.len() == len && w.len() == len && vn.len() == len && p.len() == len);
        let (bvj, bwj, bvnj) = (_mm256_set1_pd(vj), _mm256_set1_pd(wj), _mm256_set1_pd(vnj));
        let mut acc = _mm256_setzero_pd();
        let full = len / 4 * 4;
        let mut i = 0;
        while i < full {
            // SAFETY: i + 4 ≤ len for every slice (lengths checked above).
            unsafe {
                let xs = _mm256_loadu_pd(x.as_ptr().add(i));
                let vs = _mm256_loadu_pd(v.as_ptr().add(i));
                let ws = _mm256_loadu_pd(w.as_ptr().add(i));
                let ns = _mm256_loadu_pd(vn.as_ptr().add(i));
                let ps = _mm256_loadu_pd(p.as_ptr().add(i));
                let y = _mm256_sub_pd(
                    xs,
                    _mm256_add_pd(_mm256_mul_pd(vs, bwj), _mm256_mul_pd(ws, bvj)),
                );
                _mm256_storeu_pd(x.as_mut_ptr().add(i), y);
                _mm256_storeu_pd(
                    p.as_mut_ptr().add(i),
                    _mm256_add_pd(ps, _mm256_mul_pd(y, bvnj)),
                );
                acc = _mm256_add_pd(acc, _mm256_mul_pd(y, ns));
            }
            i += 4;
        }
        let mut lanes = [0.0f64; 4];
        // SAFETY: four f64 of storage.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), acc) };
        super::update_and_multiply_rest(
            &mut x[full..],
            &v[full..],
            &w[full..],
            &vn[full..],
            &mut p[full..],
            (vj, wj, vnj),
            lanes,
        )
    }
}

/// With `transposed`, `b ← Qᵀb = H_{n−2}⋯H₀ b` (reflectors in increasing order), else
/// `b ← Qb` (decreasing order); `Hₖ` acts on `b[k+1..]`.
fn apply_reflectors(n: usize, a: &[f64], tau: &[f64], b: &mut [f64], transposed: bool) {
    let apply = |k: usize, b: &mut [f64]| {
        let t = tau[k];
        if t != 0.0 {
            let v = &a[k * n + k + 1..(k + 1) * n];
            let seg = &mut b[k + 1..];
            let c = t * dot(v, seg);
            for (bi, &vi) in seg.iter_mut().zip(v) {
                *bi -= c * vi;
            }
        }
    };
    let reflectors = n.saturating_sub(1);
    if transposed {
        (0..reflectors).for_each(|k| apply(k, b));
    } else {
        (0..reflectors).rev().for_each(|k| apply(k, b));
    }
}

/// `(c, s, r)` with `c x + s z = r ≥ 0` and `−s x + c z = 0`.
#[inline(always)]
fn givens(x: f64, z: f64) -> (f64, f64, f64) {
    if z == 0.0 {
        return if x < 0.0 {
            (-1.0, 0.0, -x)
        } else {
            (1.0, 0.0, x)
        };
    }
    let r2 = x * x + z * z;
    let r = if r2 > 1e-290 && r2 < 1e290 {
        r2.sqrt()
    } else {
        x.hypot(z)
    };
    (x / r, z / r, r)
}

/// Eigenvalues of the symmetric tridiagonal `(d, e)` into `d` by implicit QR sweeps with
/// Wilkinson shifts (Golub & Van Loan, Algorithms 8.3.2–8.3.3), the unreduced block at
/// the bottom first. Every rotation `P` (`T ← P T Pᵀ`) is also applied to `b`
/// (`b ← P b`) and recorded.
fn implicit_qr(
    d: &mut [f64],
    e: &mut [f64],
    b: &mut [f64],
    sweeps: &mut Vec<(u32, u32)>,
    rotations: &mut Vec<(f64, f64)>,
) -> Result<(), LinearSolveError> {
    let n = d.len();
    let tnorm = d.iter().chain(e.iter()).fold(0.0f64, |m, v| m.max(v.abs()));
    let floor = f64::EPSILON * f64::EPSILON * tnorm;
    let mut budget = SWEEPS_PER_EIGENVALUE * n;
    let mut hi = n - 1;
    while hi > 0 {
        // Deflate from the bottom: is e[hi − 1] negligible?
        let last = e[hi - 1].abs();
        if last <= f64::EPSILON * (d[hi - 1].abs() + d[hi].abs()) || last <= floor {
            e[hi - 1] = 0.0;
            hi -= 1;
            continue;
        }
        // The top of the unreduced block ending at hi.
        let mut lo = hi - 1;
        while lo > 0 {
            let v = e[lo - 1].abs();
            if v <= f64::EPSILON * (d[lo - 1].abs() + d[lo].abs()) || v <= floor {
                e[lo - 1] = 0.0;
                break;
            }
            lo -= 1;
        }
        if budget == 0 {
            return Err(LinearSolveError::EigenNoConvergence);
        }
        budget -= 1;
        // Wilkinson shift: the eigenvalue of the trailing 2 × 2 closer to d[hi].
        let delta = 0.5 * (d[hi - 1] - d[hi]);
        let eh = e[hi - 1];
        let root = delta.hypot(eh);
        let mu = d[hi] - eh * (eh / (delta + root.copysign(delta)));
        let (mut x, mut z) = (d[lo] - mu, e[lo]);
        sweeps.push((lo as u32, hi as u32));
        for k in lo..hi {
            let (c, s, r) = givens(x, z);
            if k > lo {
                e[k - 1] = r;
            }
            let (a, bb, f) = (d[k], e[k], d[k + 1]);
            let (cc, ss, cs) = (c * c, s * s, c * s);
            d[k] = cc * a + 2.0 * cs * bb + ss * f;
            d[k + 1] = ss * a - 2.0 * cs * bb + cc * f;
            e[k] = cs * (f - a) + (cc - ss) * bb;
            if k + 1 < hi {
                z = s * e[k + 1];
                e[k + 1] *= c;
                x = e[k];
            }
            let (bk, bk1) = (b[k], b[k + 1]);
            b[k] = c * bk + s * bk1;
            b[k + 1] = c * bk1 - s * bk;
            rotations.push((c, s));
        }
    }
    if d.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(LinearSolveError::EigenNoConvergence)
    }
}

/// `b ← Zᵀ b`: the recorded rotations transposed, last first.
fn replay_backwards(sweeps: &[(u32, u32)], rotations: &[(f64, f64)], b: &mut [f64]) {
    let mut end = rotations.len();
    for &(lo, hi) in sweeps.iter().rev() {
        let (lo, hi) = (lo as usize, hi as usize);
        let start = end - (hi - lo);
        for (k, &(c, s)) in (lo..hi).zip(&rotations[start..end]).rev() {
            let (bk, bk1) = (b[k], b[k + 1]);
            b[k] = c * bk - s * bk1;
            b[k + 1] = s * bk + c * bk1;
        }
        end = start;
    }
}

#[cfg(test)]
#[path = "spectral_solve_tests.rs"]
mod tests;
