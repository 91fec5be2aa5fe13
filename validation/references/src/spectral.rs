//! Fourier pseudo-spectral ETDRK4 for `u_t = L u + N(u)` on a periodic interval, with
//! `L` diagonal in Fourier space: the one solver behind the Allen–Cahn, KdV and
//! Kuramoto–Sivashinsky references (and the spectral cross-check of Burgers).
//!
//! **Space.** `u` is represented on the periodic grid `x_j = a + P·j/N` (`j = 0..N`) of
//! [`Periodic`] `[a, a + P)` by its discrete Fourier coefficients
//! `v_m = Σ_j u_j e^{−2πi jm/N}` (unnormalised FFT order, `m = 0..N/2−1, −N/2..−1`),
//! with angular wavenumbers `k_m = 2π m / P`. A linear operator with constant
//! coefficients is then the diagonal `L_m` (e.g. `∂_xx ↦ −k_m²`, `∂_xxx ↦ i k_m³`).
//!
//! **Time.** ETDRK4 of Cox & Matthews, J. Comput. Phys. 176 (2002) 430–455,
//! eq. (26)–(29): the linear part is integrated exactly, the nonlinear part by a
//! fourth-order exponential Runge–Kutta scheme. Its coefficient functions of `z = hL`
//! are evaluated by the contour-integral mean of Kassam & Trefethen, SIAM J. Sci.
//! Comput. 26 (2005) 1214–1233, §3, which avoids the cancellation of their closed forms
//! as `z → 0`. `L` may be complex (dispersive terms make it imaginary).
//!
//! **Nonlinear terms.** [`Nonlinearity`] maps coefficients to the coefficients of
//! `N(u)`, with products formed on the grid. [`QuadraticFlux`] is the conservative
//! `−(c/2)(u²)_x` of Burgers, KdV and Kuramoto–Sivashinsky, de-aliased by Orszag's
//! 2/3 rule (J. Atmos. Sci. 28 (1971) 1074): modes with `3|m| ≥ N` are zeroed before
//! and after the product, so the retained modes are exactly those of the Galerkin
//! truncation and no aliasing error enters.
//!
//! **Evaluation off the grid.** The discrete solution is the trigonometric polynomial
//! `u(x) = (1/N)·[v_0 + 2 Σ_{m=1}^{N/2−1} Re(v_m e^{ik_m(x−a)}) + Re(v_{N/2}) cos(k_{N/2}(x−a))]`,
//! so evaluating it anywhere ([`evaluate`]) adds no error to the discrete solution.

use std::f64::consts::PI;
use std::fmt;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Complex f64.
pub type C64 = Complex<f64>;

/// The periodic interval `[start, start + period)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Periodic {
    /// Left end `a`, the first grid point.
    pub start: f64,
    /// Period `P`.
    pub period: f64,
}

impl Periodic {
    /// The grid `x_j = a + P·j/n`, `j = 0..n`.
    #[must_use]
    pub fn grid(&self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|j| self.start + self.period * j as f64 / n as f64)
            .collect()
    }

    /// Angular wavenumbers `k_m = 2π m / P` in FFT order; the Nyquist entry is
    /// `m = −N/2` (only even powers of it should be used; see [`Periodic::odd_wavenumbers`]).
    #[must_use]
    pub fn wavenumbers(&self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 2.0 * PI * signed_mode(i, n) as f64 / self.period)
            .collect()
    }

    /// As [`Periodic::wavenumbers`] with the Nyquist entry set to zero: the factor for
    /// odd derivatives, which must map real data to real data (the Nyquist mode of
    /// real data is real, and `i k_{N/2}` times it is not).
    #[must_use]
    pub fn odd_wavenumbers(&self, n: usize) -> Vec<f64> {
        let mut k = self.wavenumbers(n);
        if let Some(nyquist) = k.get_mut(n / 2) {
            *nyquist = 0.0;
        }
        k
    }
}

/// The signed mode number of FFT index `i` on `n` points: `i` below `n/2`, else `i − n`.
#[must_use]
pub fn signed_mode(i: usize, n: usize) -> i64 {
    if i < n / 2 {
        i as i64
    } else {
        i as i64 - n as i64
    }
}

/// Whether FFT index `i` of `n` is removed by the 2/3 rule (`3|m| ≥ n`).
#[must_use]
pub fn in_tail(i: usize, n: usize) -> bool {
    3 * signed_mode(i, n).unsigned_abs() as usize >= n
}

/// Bad input to the solver.
#[derive(Debug, Clone, PartialEq)]
pub enum SpectralError {
    /// The grid size must be even and at least 4.
    GridSize(usize),
    /// The time step must be finite and positive.
    TimeStep(f64),
    /// A coefficient of the equation is unusable (named in the message).
    Coefficients(String),
    /// A requested time is negative, not finite, not a whole number of steps, or before
    /// the previous one.
    Time {
        /// The offending time.
        t: f64,
        /// The time step.
        dt: f64,
    },
    /// The initial values do not have `N` finite entries.
    Initial,
}

impl fmt::Display for SpectralError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GridSize(n) => write!(f, "grid size {n} must be even and at least 4"),
            Self::TimeStep(dt) => write!(f, "time step {dt} must be finite and positive"),
            Self::Coefficients(m) => write!(f, "bad coefficients: {m}"),
            Self::Time { t, dt } => write!(
                f,
                "time {t} is not a non-decreasing whole multiple of the step {dt}"
            ),
            Self::Initial => write!(f, "initial values must be N finite numbers"),
        }
    }
}

impl std::error::Error for SpectralError {}

/// The ETDRK4 coefficient functions of `z = hL` for one mode, times `h`:
/// `[Q, f1, f2, f3]` with (Kassam & Trefethen 2005, eq. (2.5) and §3)
///
/// ```text
/// Q  = h·(e^{z/2} − 1)/z
/// f1 = h·(−4 − z + e^z(4 − 3z + z²))/z³
/// f2 = h·( 2 + z + e^z(z − 2))/z³
/// f3 = h·(−4 − 3z − z² + e^z(4 − z))/z³
/// ```
///
/// each computed as the mean over `M = 64` points of the circle `|ζ − z| = 1` (the
/// trapezoid rule for Cauchy's integral formula, exponentially accurate because the
/// functions are entire). The points are symmetric under conjugation, so a real `z`
/// gives real coefficients (the rounding-level imaginary parts are dropped).
#[must_use]
pub fn etd_coefficients(z: C64, h: f64) -> [C64; 4] {
    const M: usize = 64;
    let mut acc = [C64::new(0.0, 0.0); 4];
    for j in 0..M {
        let theta = 2.0 * PI * (j as f64 + 0.5) / M as f64;
        let w = z + C64::from_polar(1.0, theta);
        let ew = w.exp();
        let w2 = w * w;
        let w3 = w2 * w;
        acc[0] += ((w * 0.5).exp() - 1.0) / w;
        acc[1] += (-4.0 - w + ew * (4.0 - 3.0 * w + w2)) / w3;
        acc[2] += (2.0 + w + ew * (w - 2.0)) / w3;
        acc[3] += (-4.0 - 3.0 * w - w2 + ew * (4.0 - w)) / w3;
    }
    acc.map(|s| {
        let c = s * (h / M as f64);
        if z.im == 0.0 { C64::new(c.re, 0.0) } else { c }
    })
}

/// FFT plans and scratch for one grid size.
pub struct Fourier {
    n: usize,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
    scratch: Vec<C64>,
}

impl fmt::Debug for Fourier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fourier").field("n", &self.n).finish()
    }
}

impl Fourier {
    /// Plans for `n` points.
    #[must_use]
    pub fn new(n: usize) -> Self {
        let mut planner = FftPlanner::new();
        let fwd = planner.plan_fft_forward(n);
        let inv = planner.plan_fft_inverse(n);
        let len = fwd
            .get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len());
        Self {
            n,
            fwd,
            inv,
            scratch: vec![C64::new(0.0, 0.0); len],
        }
    }

    /// Grid size `N`.
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// In place: grid values → unnormalised coefficients.
    pub fn forward(&mut self, buf: &mut [C64]) {
        self.fwd.process_with_scratch(buf, &mut self.scratch);
    }

    /// In place: coefficients → grid values (normalised by `1/N`).
    pub fn inverse(&mut self, buf: &mut [C64]) {
        self.inv.process_with_scratch(buf, &mut self.scratch);
        let s = 1.0 / self.n as f64;
        for c in buf.iter_mut() {
            *c *= s;
        }
    }
}

/// The nonlinear part `N(v)` of `v_t = L v + N(v)`, in coefficients.
pub trait Nonlinearity {
    /// Writes `N(v)` into `out`; `fourier` holds the plans for `v.len()` points.
    fn apply(&self, fourier: &mut Fourier, v: &[C64], out: &mut [C64]);
}

/// `N(u) = −c·u u_x = −(c/2)(u²)_x`, de-aliased by the 2/3 rule (see the module docs).
#[derive(Debug, Clone)]
pub struct QuadraticFlux {
    /// `−(c/2)·i k_m` per mode, zero on the de-aliased tail and at Nyquist.
    factor: Vec<C64>,
}

impl QuadraticFlux {
    /// The flux `−c u u_x` on `n` points of `domain`.
    #[must_use]
    pub fn new(c: f64, domain: Periodic, n: usize) -> Self {
        let k = domain.odd_wavenumbers(n);
        let factor = (0..n)
            .map(|i| {
                if in_tail(i, n) {
                    C64::new(0.0, 0.0)
                } else {
                    C64::new(0.0, -0.5 * c * k[i])
                }
            })
            .collect();
        Self { factor }
    }
}

impl Nonlinearity for QuadraticFlux {
    fn apply(&self, fourier: &mut Fourier, v: &[C64], out: &mut [C64]) {
        let n = v.len();
        for i in 0..n {
            out[i] = if in_tail(i, n) {
                C64::new(0.0, 0.0)
            } else {
                v[i]
            };
        }
        fourier.inverse(out);
        for c in out.iter_mut() {
            *c = C64::new(c.re * c.re, 0.0);
        }
        fourier.forward(out);
        for (o, f) in out.iter_mut().zip(&self.factor) {
            *o *= f;
        }
    }
}

/// One ETDRK4 integrator for a fixed grid size, step, linear operator and nonlinear
/// term: the diagonal factors are computed once, the FFT plans and work buffers are
/// reused every step.
pub struct Etdrk4<N> {
    n: usize,
    dt: f64,
    /// `e^{hL}`.
    e: Vec<C64>,
    /// `e^{hL/2}`.
    e2: Vec<C64>,
    /// `[Q, f1, f2, f3]` per mode.
    coef: Vec<[C64; 4]>,
    nonlinear: N,
    fourier: Fourier,
    bufs: [Vec<C64>; 7],
}

impl<N> fmt::Debug for Etdrk4<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Etdrk4")
            .field("n", &self.n)
            .field("dt", &self.dt)
            .finish_non_exhaustive()
    }
}

impl<N: Nonlinearity> Etdrk4<N> {
    /// A solver on `n` points with step `dt`, linear operator `linear` (`L_m` per FFT
    /// index) and nonlinear part `nonlinear`.
    ///
    /// # Errors
    /// [`SpectralError::GridSize`] for an odd `n` or `n < 4`,
    /// [`SpectralError::TimeStep`] for a non-positive or non-finite `dt`,
    /// [`SpectralError::Coefficients`] if `linear` has the wrong length or a
    /// non-finite entry.
    pub fn new(n: usize, dt: f64, linear: &[C64], nonlinear: N) -> Result<Self, SpectralError> {
        if n < 4 || !n.is_multiple_of(2) {
            return Err(SpectralError::GridSize(n));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(SpectralError::TimeStep(dt));
        }
        if linear.len() != n {
            return Err(SpectralError::Coefficients(format!(
                "{} linear coefficients for {n} modes",
                linear.len()
            )));
        }
        if let Some(i) = linear
            .iter()
            .position(|l| !(l.re.is_finite() && l.im.is_finite()))
        {
            return Err(SpectralError::Coefficients(format!(
                "linear coefficient {} of mode {i} is not finite",
                linear[i]
            )));
        }
        let e = linear.iter().map(|l| (l * dt).exp()).collect();
        let e2 = linear.iter().map(|l| (l * (0.5 * dt)).exp()).collect();
        let coef = linear
            .iter()
            .map(|l| etd_coefficients(l * dt, dt))
            .collect();
        let zero = vec![C64::new(0.0, 0.0); n];
        Ok(Self {
            n,
            dt,
            e,
            e2,
            coef,
            nonlinear,
            fourier: Fourier::new(n),
            bufs: std::array::from_fn(|_| zero.clone()),
        })
    }

    /// Grid size `N`.
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// Time step.
    #[must_use]
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Fourier coefficients (unnormalised FFT) of grid values.
    ///
    /// # Panics
    /// If `u.len() != N` (a contract violation).
    #[must_use]
    pub fn to_spectral(&mut self, u: &[f64]) -> Vec<C64> {
        assert_eq!(u.len(), self.n, "grid values must have N entries");
        let mut v: Vec<C64> = u.iter().map(|&x| C64::new(x, 0.0)).collect();
        self.fourier.forward(&mut v);
        v
    }

    /// Grid values of Fourier coefficients (the real part of the normalised inverse FFT).
    ///
    /// # Panics
    /// If `v.len() != N` (a contract violation).
    #[must_use]
    pub fn to_grid(&mut self, v: &[C64]) -> Vec<f64> {
        assert_eq!(v.len(), self.n, "coefficients must have N entries");
        let mut w = v.to_vec();
        self.fourier.inverse(&mut w);
        w.iter().map(|c| c.re).collect()
    }

    /// One ETDRK4 step of length `dt` on the coefficients `v` (Cox & Matthews 2002,
    /// eq. (26)–(29), in the notation of Kassam & Trefethen 2005, eq. (2.5)):
    ///
    /// ```text
    /// a = E2·v + Q·N(v)
    /// b = E2·v + Q·N(a)
    /// c = E2·a + Q·(2N(b) − N(v))
    /// v ← E·v + f1·N(v) + 2·f2·(N(a) + N(b)) + f3·N(c)
    /// ```
    ///
    /// # Panics
    /// If `v.len() != N` (a contract violation).
    pub fn step(&mut self, v: &mut [C64]) {
        assert_eq!(v.len(), self.n, "coefficients must have N entries");
        let n = self.n;
        let (nl, f) = (&self.nonlinear, &mut self.fourier);
        let [nv, av, na, bv, nb, cv, nc] = &mut self.bufs;
        nl.apply(f, v, nv);
        for i in 0..n {
            av[i] = v[i] * self.e2[i] + nv[i] * self.coef[i][0];
        }
        nl.apply(f, av, na);
        for i in 0..n {
            bv[i] = v[i] * self.e2[i] + na[i] * self.coef[i][0];
        }
        nl.apply(f, bv, nb);
        for i in 0..n {
            cv[i] = av[i] * self.e2[i] + (nb[i] * 2.0 - nv[i]) * self.coef[i][0];
        }
        nl.apply(f, cv, nc);
        for i in 0..n {
            let [_, f1, f2, f3] = self.coef[i];
            v[i] = v[i] * self.e[i] + nv[i] * f1 + (na[i] + nb[i]) * (f2 * 2.0) + nc[i] * f3;
        }
    }

    /// `steps` ETDRK4 steps.
    pub fn advance(&mut self, v: &mut [C64], steps: usize) {
        for _ in 0..steps {
            self.step(v);
        }
    }

    /// Integrates from grid values `u0` at `t = 0` and returns the Fourier coefficients
    /// at each of `times` (non-decreasing whole multiples of `dt`).
    ///
    /// # Errors
    /// [`SpectralError::Initial`] if `u0` is not `N` finite values;
    /// [`SpectralError::Time`] for a time that is negative, not finite, decreasing, or
    /// not within `1e−9·dt` of a whole number of steps.
    pub fn snapshots(&mut self, u0: &[f64], times: &[f64]) -> Result<Vec<Vec<C64>>, SpectralError> {
        if u0.len() != self.n || u0.iter().any(|x| !x.is_finite()) {
            return Err(SpectralError::Initial);
        }
        let v = self.to_spectral(u0);
        self.snapshots_from(v, times)
    }

    /// As [`Etdrk4::snapshots`], from Fourier coefficients `v` at `t = 0`.
    ///
    /// # Errors
    /// As [`Etdrk4::snapshots`].
    pub fn snapshots_from(
        &mut self,
        mut v: Vec<C64>,
        times: &[f64],
    ) -> Result<Vec<Vec<C64>>, SpectralError> {
        if v.len() != self.n || v.iter().any(|c| !(c.re.is_finite() && c.im.is_finite())) {
            return Err(SpectralError::Initial);
        }
        let mut plan = Vec::with_capacity(times.len());
        let mut last = 0usize;
        for &t in times {
            let err = SpectralError::Time { t, dt: self.dt };
            if !(t.is_finite() && t >= 0.0) {
                return Err(err);
            }
            let s = (t / self.dt).round();
            if (s * self.dt - t).abs() > 1e-9 * self.dt || (s as usize) < last {
                return Err(err);
            }
            last = s as usize;
            plan.push(last);
        }
        let mut done = 0;
        let mut out = Vec::with_capacity(times.len());
        for s in plan {
            self.advance(&mut v, s - done);
            done = s;
            out.push(v.clone());
        }
        Ok(out)
    }
}

/// Spectral interpolation: the trigonometric polynomial of the coefficients `v`
/// (unnormalised FFT order on the grid of `domain`) at each of `xs`. Exact for the
/// discrete solution; costs `O(N)` per point.
///
/// # Panics
/// If `v.len()` is odd or below 4 (a contract violation).
#[must_use]
pub fn evaluate(v: &[C64], domain: Periodic, xs: &[f64]) -> Vec<f64> {
    Evaluator::new(v.len(), domain, xs).apply(v)
}

/// Spectral interpolation at a fixed set of points, for many coefficient vectors: the
/// values `e^{ik_m(x−a)}` are tabulated once (`N/2 + 1` per point).
#[derive(Debug, Clone)]
pub struct Evaluator {
    n: usize,
    points: usize,
    /// Row per point: `(cos, sin)(k_m (x − a))` for `m = 0..=N/2`.
    table: Vec<(f64, f64)>,
}

impl Evaluator {
    /// Tabulates the Fourier modes of `n` points of `domain` at `xs`.
    ///
    /// # Panics
    /// If `n` is odd or below 4 (a contract violation).
    #[must_use]
    pub fn new(n: usize, domain: Periodic, xs: &[f64]) -> Self {
        assert!(
            n >= 4 && n.is_multiple_of(2),
            "coefficients must have an even length >= 4"
        );
        let half = n / 2;
        let mut table = Vec::with_capacity(xs.len() * (half + 1));
        for &x in xs {
            let th = 2.0 * PI * (x - domain.start) / domain.period;
            for m in 0..=half {
                let (s, c) = (m as f64 * th).sin_cos();
                table.push((c, s));
            }
        }
        Self {
            n,
            points: xs.len(),
            table,
        }
    }

    /// `u` at the tabulated points.
    ///
    /// # Panics
    /// If `v.len()` differs from the tabulated `n` (a contract violation).
    #[must_use]
    pub fn apply(&self, v: &[C64]) -> Vec<f64> {
        assert_eq!(v.len(), self.n, "coefficients must have N entries");
        let half = self.n / 2;
        (0..self.points)
            .map(|p| {
                let row = &self.table[p * (half + 1)..(p + 1) * (half + 1)];
                let mut s = 0.0;
                for m in 1..half {
                    let (c, sn) = row[m];
                    s += v[m].re * c - v[m].im * sn;
                }
                (v[0].re + 2.0 * s + v[half].re * row[half].0) / self.n as f64
            })
            .collect()
    }
}

/// `max |v_m|/N` over the modes with `|m| ≥ n/3`: the size of the unresolved tail in
/// units of `u` (for a de-aliased solution, zero by construction).
#[must_use]
pub fn tail_amplitude(v: &[C64]) -> f64 {
    let n = v.len();
    (0..n)
        .filter(|&i| in_tail(i, n))
        .map(|i| v[i].norm() / n as f64)
        .fold(0.0, f64::max)
}

/// `max |v_m|/N` over the top quarter of the modes kept by the 2/3 rule
/// (`n/4 ≤ |m| < n/3`): how much of the solution sits near the cut-off, in units of
/// `u`. Small values mean the truncation error is at most of that size.
#[must_use]
pub fn band_edge_amplitude(v: &[C64]) -> f64 {
    let n = v.len();
    (0..n)
        .filter(|&i| 4 * signed_mode(i, n).unsigned_abs() as usize >= n && !in_tail(i, n))
        .map(|i| v[i].norm() / n as f64)
        .fold(0.0, f64::max)
}

/// `∫ u dx` over one period: `P·v_0/N` (exact for the trigonometric polynomial).
#[must_use]
pub fn integral(v: &[C64], domain: Periodic) -> f64 {
    domain.period * v[0].re / v.len() as f64
}

/// `∫ u² dx` over one period: `(P/N²)·Σ|v_m|²` by Parseval; exact for the
/// trigonometric polynomial when its modes satisfy `3|m| < N` (then `u²` has no mode
/// that aliases, and the trapezoid rule on `N` points integrates it exactly).
#[must_use]
pub fn integral_of_square(v: &[C64], domain: Periodic) -> f64 {
    let n = v.len() as f64;
    domain.period * v.iter().map(C64::norm_sqr).sum::<f64>() / (n * n)
}

/// Largest `|a_i − b_i|`.
#[must_use]
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Grid values of the `order`-th x-derivative of the trigonometric polynomial with
/// coefficients `v` on `domain`: `IFFT((ik_m)^order v_m)`, the Nyquist mode dropped for
/// odd orders (see [`Periodic::odd_wavenumbers`]).
#[must_use]
pub fn derivative(v: &[C64], domain: Periodic, order: u32) -> Vec<f64> {
    let n = v.len();
    let k = if order % 2 == 1 {
        domain.odd_wavenumbers(n)
    } else {
        domain.wavenumbers(n)
    };
    let mut w: Vec<C64> = v
        .iter()
        .zip(&k)
        .map(|(c, &k)| c * C64::new(0.0, k).powu(order))
        .collect();
    let mut f = Fourier::new(n);
    f.inverse(&mut w);
    w.iter().map(|c| c.re).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: Periodic = Periodic {
        start: -1.0,
        period: 2.0,
    };
    const TWO_PI: Periodic = Periodic {
        start: 0.0,
        period: 2.0 * PI,
    };

    fn closed_forms(z: C64, h: f64) -> [C64; 4] {
        let ez = z.exp();
        let z3 = z * z * z;
        [
            ((z / 2.0).exp() - 1.0) / z * h,
            (-4.0 - z + ez * (4.0 - 3.0 * z + z * z)) / z3 * h,
            (2.0 + z + ez * (z - 2.0)) / z3 * h,
            (-4.0 - 3.0 * z - z * z + ez * (4.0 - z)) / z3 * h,
        ]
    }

    /// The contour means agree with the closed forms where those have no cancellation
    /// (`|z| ≥ 1`, real, imaginary and complex `z`), and with the Taylor limits
    /// `Q → h/2`, `f1 = f2 = f3 → h/6` at `z → 0`, where the closed forms lose all
    /// digits.
    #[test]
    fn etd_coefficients_match_closed_forms_and_limits() {
        let h = 0.3;
        // The closed forms lose about |z|^-3 relative digits to cancellation, hence the
        // looser bound at |z| = 1.
        for (z, tol) in [
            (C64::new(-40.0, 0.0), 1e-13),
            (C64::new(-2.5, 0.0), 1e-13),
            (C64::new(1.0, 0.0), 1e-11),
            (C64::new(0.0, 1.0), 1e-11),
            (C64::new(0.0, -7.0), 1e-13),
            (C64::new(0.0, 300.0), 1e-13),
            (C64::new(-3.0, 4.0), 1e-13),
        ] {
            for (got, want) in etd_coefficients(z, h).iter().zip(closed_forms(z, h)) {
                assert!(
                    (got - want).norm() <= tol * want.norm(),
                    "z = {z}: {got} vs {want}"
                );
            }
        }
        let c = etd_coefficients(C64::new(1e-12, 0.0), h);
        for (got, w) in c.iter().zip([h / 2.0, h / 6.0, h / 6.0, h / 6.0]) {
            assert!(
                (got.re - w).abs() < 1e-12 * w && got.im == 0.0,
                "{got} vs {w}"
            );
        }
    }

    /// Spectral interpolation reproduces a band-limited function everywhere, on both
    /// kinds of interval used here.
    #[test]
    fn evaluation_and_derivatives_are_exact_for_trigonometric_polynomials() {
        let n = 32;
        for d in [UNIT, TWO_PI] {
            let w = 2.0 * PI / d.period;
            let f = |x: f64| 0.3 + (w * x).cos() - 2.0 * (5.0 * w * x).sin() + (9.0 * w * x).cos();
            let fx = |x: f64| {
                -w * (w * x).sin() - 10.0 * w * (5.0 * w * x).cos() - 9.0 * w * (9.0 * w * x).sin()
            };
            let u: Vec<f64> = d.grid(n).into_iter().map(f).collect();
            let mut v: Vec<C64> = u.iter().map(|&x| C64::new(x, 0.0)).collect();
            Fourier::new(n).forward(&mut v);
            let xs: Vec<f64> = (0..=40)
                .map(|i| d.start + d.period * i as f64 / 37.0)
                .collect();
            let want: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
            assert!(max_abs_diff(&evaluate(&v, d, &xs), &want) < 1e-13);
            let dx: Vec<f64> = d.grid(n).into_iter().map(fx).collect();
            let scale = 9.0 * w;
            assert!(max_abs_diff(&derivative(&v, d, 1), &dx) < 1e-13 * scale);
        }
    }

    /// `−c u u_x` for `u = cos x` is `(c/2) sin 2x`; for a mode close to the 2/3
    /// cut-off, `u²` has a mode at `2K ≥ N/3`, which the de-aliased flux drops instead
    /// of folding it onto `N − 2K`.
    #[test]
    fn quadratic_flux_is_exact_in_band_and_drops_what_would_alias() {
        let n = 48;
        let mut fourier = Fourier::new(n);
        let spectrum = |fourier: &mut Fourier, f: &dyn Fn(f64) -> f64| {
            let mut v: Vec<C64> = TWO_PI
                .grid(n)
                .into_iter()
                .map(|x| C64::new(f(x), 0.0))
                .collect();
            fourier.forward(&mut v);
            v
        };
        let c = 1.7;
        let flux = QuadraticFlux::new(c, TWO_PI, n);
        let mut out = vec![C64::new(0.0, 0.0); n];
        let v = spectrum(&mut fourier, &|x: f64| x.cos());
        flux.apply(&mut fourier, &v, &mut out);
        let want = spectrum(&mut fourier, &|x: f64| 0.5 * c * (2.0 * x).sin());
        let err = out
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(err < 1e-12, "{err}");
        // K = 15 < 48/3: u² = (1 + cos 30x)/2, and mode 30 aliases to 18 without the rule.
        let v = spectrum(&mut fourier, &|x: f64| (15.0 * x).cos());
        flux.apply(&mut fourier, &v, &mut out);
        let largest = out.iter().map(|z| z.norm()).fold(0.0, f64::max);
        assert!(largest < 1e-12, "{largest}");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let l = vec![C64::new(-1.0, 0.0); 8];
        let flux = || QuadraticFlux::new(1.0, UNIT, 8);
        assert_eq!(
            Etdrk4::new(7, 0.1, &l[..7], flux()).unwrap_err(),
            SpectralError::GridSize(7)
        );
        assert_eq!(
            Etdrk4::new(2, 0.1, &l[..2], flux()).unwrap_err(),
            SpectralError::GridSize(2)
        );
        assert!(matches!(
            Etdrk4::new(8, -0.1, &l, flux()),
            Err(SpectralError::TimeStep(_))
        ));
        assert!(matches!(
            Etdrk4::new(8, 0.1, &l[..6], flux()),
            Err(SpectralError::Coefficients(_))
        ));
        let mut bad = l.clone();
        bad[3] = C64::new(f64::NAN, 0.0);
        assert!(matches!(
            Etdrk4::new(8, 0.1, &bad, flux()),
            Err(SpectralError::Coefficients(_))
        ));
        let mut s = Etdrk4::new(8, 0.1, &l, flux()).unwrap();
        assert!(matches!(
            s.snapshots(&[0.0; 8], &[0.15]),
            Err(SpectralError::Time { .. })
        ));
        assert!(matches!(
            s.snapshots(&[0.0; 8], &[0.2, 0.1]),
            Err(SpectralError::Time { .. })
        ));
        assert!(matches!(
            s.snapshots(&[0.0; 8], &[f64::NAN]),
            Err(SpectralError::Time { .. })
        ));
        assert_eq!(
            s.snapshots(&[0.0; 7], &[0.1]).unwrap_err(),
            SpectralError::Initial
        );
        assert_eq!(
            s.snapshots(&[f64::NAN; 8], &[0.1]).unwrap_err(),
            SpectralError::Initial
        );
    }
}
