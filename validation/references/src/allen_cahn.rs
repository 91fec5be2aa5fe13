//! Allen–Cahn reference: Fourier pseudo-spectral in `x`, ETDRK4 in `t`.
//!
//! The benchmark (Raissi, Perdikaris & Karniadakis, JCP 378 (2019) §4.2; Wight & Zhao
//! 2020; Wang et al., "An expert's guide to training PINNs", 2023; PirateNets, 2024):
//!
//! ```text
//! u_t = d·u_xx + a·u − b·u³,   x ∈ [−1, 1) periodic,   t ∈ [0, 1],
//! u(0, x) = x² cos(πx),        d = 1e−4,  a = b = 5.
//! ```
//!
//! **Space.** `u` is represented on the periodic grid `x_j = −1 + 2j/N` (`j = 0..N`) by
//! its discrete Fourier coefficients `v_m = Σ_j u_j e^{−2πi jm/N}` (unnormalised FFT
//! order, `m = 0..N/2−1, −N/2..−1`). Period 2 gives angular wavenumbers `k_m = π·m`,
//! so `∂_xx` is the diagonal `−k_m²`. The product `u³` is formed on the grid
//! (pseudo-spectral, no de-aliasing: the tests check that the coefficients with
//! `|m| ≥ N/3` stay below 1e−13, so aliasing errors are below that level too).
//!
//! **Splitting.** `v_t = L v + N(v)` with the *linear* part `L_m = a − d·k_m²`
//! (diffusion **and** the `+a·u` term, both diagonal, so both are integrated exactly)
//! and the *nonlinear* part `N(v) = −b·FFT(u³)`, `u = IFFT(v)`.
//!
//! **Time.** ETDRK4 of Cox & Matthews, J. Comput. Phys. 176 (2002) 430–455, eq. (26)–(29),
//! with the coefficient functions of `hL` evaluated by the contour-integral mean of
//! Kassam & Trefethen, SIAM J. Sci. Comput. 26 (2005) 1214–1233, §3 — which avoids the
//! cancellation of the closed forms at `hL → 0` (here `L_m` crosses zero near
//! `d·k² = a`, i.e. `|m| ≈ 71`).
//!
//! **Evaluation off the grid.** The discrete solution is the trigonometric polynomial
//! `u(x) = (1/N)·[v_0 + 2 Σ_{m=1}^{N/2−1} Re(v_m e^{iπm(x+1)}) + Re(v_{N/2}) cos(πN/2·(x+1))]`,
//! so evaluating it at any `x` (spectral interpolation) adds no error to the discrete
//! solution.

use std::fmt;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Complex f64.
pub type C64 = Complex<f64>;

/// Coefficients of `u_t = d·u_xx + a·u − b·u³`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Diffusion `d`.
    pub diffusion: f64,
    /// Linear reaction `a` (the `+a·u` term; part of the linear operator `L`).
    pub linear: f64,
    /// Cubic reaction `b` (the `−b·u³` term; the nonlinear part `N`).
    pub cubic: f64,
}

impl Params {
    /// The PINN benchmark: `d = 1e−4`, `a = b = 5`.
    pub const BENCHMARK: Self = Self {
        diffusion: 1e-4,
        linear: 5.0,
        cubic: 5.0,
    };
}

/// Bad input to the solver.
#[derive(Debug, Clone, PartialEq)]
pub enum AllenCahnError {
    /// The grid size must be even and at least 4.
    GridSize(usize),
    /// The time step must be finite and positive.
    TimeStep(f64),
    /// A coefficient is not finite or the diffusion is negative.
    Params(Params),
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

impl fmt::Display for AllenCahnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GridSize(n) => write!(f, "grid size {n} must be even and at least 4"),
            Self::TimeStep(dt) => write!(f, "time step {dt} must be finite and positive"),
            Self::Params(p) => write!(
                f,
                "coefficients {p:?} must be finite with non-negative diffusion"
            ),
            Self::Time { t, dt } => write!(
                f,
                "time {t} is not a non-decreasing whole multiple of the step {dt}"
            ),
            Self::Initial => write!(f, "initial values must be N finite numbers"),
        }
    }
}

impl std::error::Error for AllenCahnError {}

/// Angular wavenumbers `k_m = π·m` in FFT order for the period-2 grid of size `n`.
/// The Nyquist entry (`m = −N/2`) only enters through `k²`, so its sign is irrelevant.
#[must_use]
pub fn wavenumbers(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let m = if i < n / 2 {
                i as f64
            } else {
                i as f64 - n as f64
            };
            std::f64::consts::PI * m
        })
        .collect()
}

/// The grid `x_j = −1 + 2j/n`, `j = 0..n`.
#[must_use]
pub fn grid(n: usize) -> Vec<f64> {
    (0..n).map(|j| -1.0 + 2.0 * j as f64 / n as f64).collect()
}

/// The benchmark initial condition `u(0, x) = x² cos(πx)`.
#[must_use]
pub fn initial_condition(x: f64) -> f64 {
    x * x * (std::f64::consts::PI * x).cos()
}

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
/// functions are entire). `z` is real, so by conjugate symmetry only the upper half
/// circle is sampled and the real part kept.
#[must_use]
pub fn etd_coefficients(z: f64, h: f64) -> [f64; 4] {
    const M: usize = 32;
    let mut acc = [0.0; 4];
    for j in 0..M {
        let theta = std::f64::consts::PI * (j as f64 + 0.5) / M as f64;
        let w = C64::new(z + theta.cos(), theta.sin());
        let ew = w.exp();
        let w2 = w * w;
        let w3 = w2 * w;
        acc[0] += (((w * 0.5).exp() - 1.0) / w).re;
        acc[1] += ((-4.0 - w + ew * (4.0 - 3.0 * w + w2)) / w3).re;
        acc[2] += ((2.0 + w + ew * (w - 2.0)) / w3).re;
        acc[3] += ((-4.0 - 3.0 * w - w2 + ew * (4.0 - w)) / w3).re;
    }
    acc.map(|s| h * s / M as f64)
}

/// One ETDRK4 integrator for a fixed grid size, step and coefficients: the diagonal
/// factors are computed once, the FFT plans and work buffers are reused every step.
pub struct Solver {
    n: usize,
    dt: f64,
    params: Params,
    /// `e^{hL}`.
    e: Vec<f64>,
    /// `e^{hL/2}`.
    e2: Vec<f64>,
    /// `[Q, f1, f2, f3]` per mode.
    coef: Vec<[f64; 4]>,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
    scratch: Vec<C64>,
    work: Vec<C64>,
    bufs: [Vec<C64>; 6],
}

impl fmt::Debug for Solver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Solver")
            .field("n", &self.n)
            .field("dt", &self.dt)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Solver {
    /// A solver on the `n`-point grid with step `dt`.
    ///
    /// # Errors
    /// [`AllenCahnError::GridSize`], [`AllenCahnError::TimeStep`] or
    /// [`AllenCahnError::Params`] for bad input.
    pub fn new(n: usize, dt: f64, params: Params) -> Result<Self, AllenCahnError> {
        if n < 4 || !n.is_multiple_of(2) {
            return Err(AllenCahnError::GridSize(n));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(AllenCahnError::TimeStep(dt));
        }
        let Params {
            diffusion: d,
            linear: a,
            cubic: b,
        } = params;
        if !(d.is_finite() && a.is_finite() && b.is_finite() && d >= 0.0) {
            return Err(AllenCahnError::Params(params));
        }
        let l: Vec<f64> = wavenumbers(n).iter().map(|k| a - d * k * k).collect();
        let e = l.iter().map(|li| (dt * li).exp()).collect();
        let e2 = l.iter().map(|li| (0.5 * dt * li).exp()).collect();
        let coef = l.iter().map(|li| etd_coefficients(dt * li, dt)).collect();
        let mut planner = FftPlanner::new();
        let fwd = planner.plan_fft_forward(n);
        let inv = planner.plan_fft_inverse(n);
        let scratch_len = fwd
            .get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len());
        let zero = vec![C64::new(0.0, 0.0); n];
        Ok(Self {
            n,
            dt,
            params,
            e,
            e2,
            coef,
            fwd,
            inv,
            scratch: vec![C64::new(0.0, 0.0); scratch_len],
            work: zero.clone(),
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
        self.fwd.process_with_scratch(&mut v, &mut self.scratch);
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
        self.inv.process_with_scratch(&mut w, &mut self.scratch);
        let s = 1.0 / self.n as f64;
        w.iter().map(|c| c.re * s).collect()
    }

    /// `out = N(v) = −b·FFT(Re(IFFT(v)/N)³)`.
    fn nonlinear(
        b: f64,
        n: usize,
        fwd: &dyn Fft<f64>,
        inv: &dyn Fft<f64>,
        scratch: &mut [C64],
        v: &[C64],
        out: &mut [C64],
    ) {
        out.copy_from_slice(v);
        inv.process_with_scratch(out, scratch);
        let s = 1.0 / n as f64;
        for c in out.iter_mut() {
            let u = c.re * s;
            *c = C64::new(-b * u * u * u, 0.0);
        }
        fwd.process_with_scratch(out, scratch);
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
        let (b, n) = (self.params.cubic, self.n);
        let (fwd, inv) = (self.fwd.as_ref(), self.inv.as_ref());
        let [nv, av, na, bv, nb, nc] = &mut self.bufs;
        let sc = &mut self.scratch;
        Self::nonlinear(b, n, fwd, inv, sc, v, nv);
        for i in 0..n {
            av[i] = v[i] * self.e2[i] + nv[i] * self.coef[i][0];
        }
        Self::nonlinear(b, n, fwd, inv, sc, av, na);
        for i in 0..n {
            bv[i] = v[i] * self.e2[i] + na[i] * self.coef[i][0];
        }
        Self::nonlinear(b, n, fwd, inv, sc, bv, nb);
        let cv = &mut self.work;
        for i in 0..n {
            cv[i] = av[i] * self.e2[i] + (nb[i] * 2.0 - nv[i]) * self.coef[i][0];
        }
        Self::nonlinear(b, n, fwd, inv, sc, cv, nc);
        for i in 0..n {
            let [_, f1, f2, f3] = self.coef[i];
            v[i] = v[i] * self.e[i] + nv[i] * f1 + (na[i] + nb[i]) * (2.0 * f2) + nc[i] * f3;
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
    /// [`AllenCahnError::Initial`] if `u0` is not `N` finite values;
    /// [`AllenCahnError::Time`] for a time that is negative, not finite, decreasing, or
    /// not within `1e−9·dt` of a whole number of steps.
    pub fn snapshots(
        &mut self,
        u0: &[f64],
        times: &[f64],
    ) -> Result<Vec<Vec<C64>>, AllenCahnError> {
        if u0.len() != self.n || u0.iter().any(|x| !x.is_finite()) {
            return Err(AllenCahnError::Initial);
        }
        let v = self.to_spectral(u0);
        self.snapshots_from(v, times)
    }

    /// As [`Solver::snapshots`], from Fourier coefficients `v` at `t = 0`.
    ///
    /// # Errors
    /// As [`Solver::snapshots`].
    pub fn snapshots_from(
        &mut self,
        mut v: Vec<C64>,
        times: &[f64],
    ) -> Result<Vec<Vec<C64>>, AllenCahnError> {
        if v.len() != self.n || v.iter().any(|c| !(c.re.is_finite() && c.im.is_finite())) {
            return Err(AllenCahnError::Initial);
        }
        let mut plan = Vec::with_capacity(times.len());
        let mut last = 0usize;
        for &t in times {
            let err = AllenCahnError::Time { t, dt: self.dt };
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

/// Fourier coefficients of the benchmark initial condition, in the solver's convention
/// (unnormalised FFT order on the grid `x_j = −1 + 2j/N`), by exact projection rather
/// than by sampling.
///
/// Why: `x² cos(πx)` is continuous but its periodic extension has a kink at `x = ±1`
/// (`u_x(0, −1) = 2`, `u_x(0, 1) = −2`), so its Fourier coefficients decay only like
/// `1/m²`. Sampling it on the grid aliases that tail onto the low modes, an `O(N⁻²)`
/// error that diffusion never removes (the low modes are not damped). The exact
/// coefficients, truncated to `|m| < N/2`, leave only the truncated tail, which
/// diffusion damps like `e^{−d π² m² t}`.
///
/// `c_m = ½∫_{−1}^{1} x² cos(πx) e^{−iπmx} dx = ¼[I(m+1) + I(m−1)]` with
/// `I(n) = ∫_{−1}^{1} x² cos(πnx) dx = 4(−1)ⁿ/(π²n²)` (`n ≠ 0`), `I(0) = 2/3`
/// (two integrations by parts); `u = Σ c_m e^{iπmx}` gives `v_m = N·(−1)^m·c_m`. The
/// Nyquist mode is set to zero (symmetric truncation).
#[must_use]
pub fn initial_coefficients(n: usize) -> Vec<C64> {
    let pi2 = std::f64::consts::PI * std::f64::consts::PI;
    let sign = |k: i64| if k.rem_euclid(2) == 0 { 1.0 } else { -1.0 };
    let integral = |k: i64| {
        if k == 0 {
            2.0 / 3.0
        } else {
            4.0 * sign(k) / (pi2 * (k * k) as f64)
        }
    };
    (0..n)
        .map(|i| {
            if i == n / 2 {
                return C64::new(0.0, 0.0);
            }
            let m = if i < n / 2 {
                i as i64
            } else {
                i as i64 - n as i64
            };
            let c = 0.25 * (integral(m + 1) + integral(m - 1));
            C64::new(n as f64 * sign(m) * c, 0.0)
        })
        .collect()
}

/// Solves the benchmark problem (`u(0, x) = x² cos(πx)`, projected by
/// [`initial_coefficients`]) on `n` points with step `dt` and returns the Fourier
/// coefficients at `times`.
///
/// # Errors
/// As [`Solver::new`] and [`Solver::snapshots_from`].
pub fn solve(
    n: usize,
    dt: f64,
    params: Params,
    times: &[f64],
) -> Result<Vec<Vec<C64>>, AllenCahnError> {
    let mut s = Solver::new(n, dt, params)?;
    s.snapshots_from(initial_coefficients(n), times)
}

/// Spectral interpolation: the trigonometric polynomial of the coefficients `v`
/// (unnormalised FFT order, period 2, grid starting at `x = −1`) evaluated at each of
/// `xs`. Exact for the discrete solution; costs `O(N)` per point.
///
/// # Panics
/// If `v.len()` is odd or below 4 (a contract violation).
#[must_use]
pub fn evaluate(v: &[C64], xs: &[f64]) -> Vec<f64> {
    let n = v.len();
    assert!(
        n >= 4 && n.is_multiple_of(2),
        "coefficients must have an even length >= 4"
    );
    let half = n / 2;
    let pi = std::f64::consts::PI;
    xs.iter()
        .map(|&x| {
            let th = pi * (x + 1.0);
            let mut s = 0.0;
            for (m, c) in v.iter().enumerate().take(half).skip(1) {
                let (sn, cs) = (m as f64 * th).sin_cos();
                s += c.re * cs - c.im * sn;
            }
            (v[0].re + 2.0 * s + v[half].re * (half as f64 * th).cos()) / n as f64
        })
        .collect()
}

/// `max |v_m|/N` over the modes with `|m| ≥ n/3`: the size of the unresolved tail in
/// units of `u`.
#[must_use]
pub fn tail_amplitude(v: &[C64]) -> f64 {
    let n = v.len();
    (0..n)
        .filter(|&i| {
            let m = if i < n / 2 { i } else { n - i };
            3 * m >= n
        })
        .map(|i| v[i].norm() / n as f64)
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// Closed forms of the coefficient functions, accurate for `|z| ≥ 1` (no
    /// cancellation there); the contour mean must agree with them.
    #[test]
    fn etd_coefficients_match_closed_forms_and_limits() {
        let h = 0.3;
        // The closed forms lose about |z|^-3 relative digits to cancellation, hence the
        // looser bound at |z| = 1.
        for &(z, tol) in &[
            (-40.0, 1e-13),
            (-7.0, 1e-13),
            (-2.5, 1e-13),
            (-1.0, 1e-11),
            (1.0, 1e-11),
            (3.0, 1e-13),
        ] {
            let ez: f64 = f64::exp(z);
            let q = h * ((z / 2.0).exp() - 1.0) / z;
            let f1 = h * (-4.0 - z + ez * (4.0 - 3.0 * z + z * z)) / z.powi(3);
            let f2 = h * (2.0 + z + ez * (z - 2.0)) / z.powi(3);
            let f3 = h * (-4.0 - 3.0 * z - z * z + ez * (4.0 - z)) / z.powi(3);
            let c = etd_coefficients(z, h);
            for (got, want) in c.iter().zip([q, f1, f2, f3]) {
                assert!(
                    (got - want).abs() <= tol * want.abs(),
                    "z = {z}: {got} vs {want}"
                );
            }
        }
        // z → 0: Q → h/2, f1 = f2 = f3 → h/6 (Taylor limits), where the closed forms
        // lose all digits.
        let c = etd_coefficients(1e-12, h);
        let want = [h / 2.0, h / 6.0, h / 6.0, h / 6.0];
        for (got, w) in c.iter().zip(want) {
            assert!((got - w).abs() < 1e-12 * w, "{got} vs {w}");
        }
    }

    /// With `b = 0` the equation is linear and diagonal in Fourier space; ETDRK4 is
    /// exact for any step: a mode decays (or grows) as `e^{(a − d k²) t}`.
    #[test]
    fn linear_modes_are_exact_for_any_step() {
        let n = 64;
        let xs = grid(n);
        for (a, dt) in [(0.0, 0.37), (5.0, 0.05)] {
            let p = Params {
                diffusion: 1e-2,
                linear: a,
                cubic: 0.0,
            };
            let mut s = Solver::new(n, dt, p).unwrap();
            let pi = std::f64::consts::PI;
            let u0: Vec<f64> = xs
                .iter()
                .map(|x| (3.0 * pi * x).cos() + 0.5 * (7.0 * pi * x).sin())
                .collect();
            let mut v = s.to_spectral(&u0);
            s.advance(&mut v, 3);
            let t = 3.0 * dt;
            let g = |m: f64| ((a - 1e-2 * (pi * m).powi(2)) * t).exp();
            let want: Vec<f64> = xs
                .iter()
                .map(|x| g(3.0) * (3.0 * pi * x).cos() + 0.5 * g(7.0) * (7.0 * pi * x).sin())
                .collect();
            let err = max_abs_diff(&s.to_grid(&v), &want);
            assert!(err < 1e-13, "a = {a}: error {err}");
        }
    }

    /// A spatially constant `u` obeys the ODE `u' = a u − b u³`, solved exactly by
    /// `u(t) = u0 e^{at} / sqrt(1 + (b/a) u0² (e^{2at} − 1))`. Halving the step must cut
    /// the error by ≈ 2⁴ = 16 (fourth order in the nonlinear part).
    #[test]
    fn constant_state_converges_at_fourth_order_to_the_ode_solution() {
        let (a, b, u0, t): (f64, f64, f64, f64) = (5.0, 5.0, 0.1, 1.0);
        let exact = {
            let e = (a * t).exp();
            u0 * e / (1.0 + b / a * u0 * u0 * (e * e - 1.0)).sqrt()
        };
        let p = Params {
            diffusion: 1e-4,
            linear: a,
            cubic: b,
        };
        let errs: Vec<f64> = [0.01, 0.005, 0.0025]
            .iter()
            .map(|&dt| {
                let mut s = Solver::new(8, dt, p).unwrap();
                let v = s.snapshots(&[u0; 8], &[t]).unwrap();
                let u = s.to_grid(&v[0]);
                u.iter().map(|x| (x - exact).abs()).fold(0.0, f64::max)
            })
            .collect();
        for w in errs.windows(2) {
            let r = w[0] / w[1];
            assert!((13.0..19.0).contains(&r), "errors {errs:?}, ratio {r}");
        }
        assert!(errs[2] < 1e-9, "errors {errs:?}");
    }

    /// Fourth order in `dt` on the full benchmark at `t = 0.1` (fixed `N = 512`), against
    /// a run with a 16× smaller step.
    #[test]
    fn benchmark_converges_at_fourth_order_in_time() {
        let n = 512;
        let t = [0.1];
        let reference = solve(n, 0.1 / 640.0, Params::BENCHMARK, &t).unwrap();
        let mut s = Solver::new(n, 1.0, Params::BENCHMARK).unwrap();
        let uref = s.to_grid(&reference[0]);
        let errs: Vec<f64> = [10.0, 20.0, 40.0]
            .iter()
            .map(|&k| {
                let v = solve(n, 0.1 / k, Params::BENCHMARK, &t).unwrap();
                max_abs_diff(&s.to_grid(&v[0]), &uref)
            })
            .collect();
        eprintln!("dt-convergence errors at t = 0.1: {errs:?}");
        for w in errs.windows(2) {
            let r = w[0] / w[1];
            assert!((13.0..19.0).contains(&r), "errors {errs:?}, ratio {r}");
        }
    }

    /// Spectral interpolation reproduces the grid values and a band-limited function
    /// everywhere.
    #[test]
    fn evaluation_is_exact_for_trigonometric_polynomials() {
        let n = 32;
        let pi = std::f64::consts::PI;
        let f = |x: f64| 0.3 + (pi * x).cos() - 2.0 * (5.0 * pi * x).sin() + (15.0 * pi * x).cos();
        let mut s = Solver::new(n, 0.1, Params::BENCHMARK).unwrap();
        let u: Vec<f64> = grid(n).into_iter().map(f).collect();
        let v = s.to_spectral(&u);
        let xs: Vec<f64> = (0..=40).map(|i| -1.0 + i as f64 / 20.0).collect();
        let want: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
        assert!(max_abs_diff(&evaluate(&v, &xs), &want) < 1e-13);
        assert!(max_abs_diff(&evaluate(&v, &grid(n)), &u) < 1e-13);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let p = Params::BENCHMARK;
        assert_eq!(
            Solver::new(7, 0.1, p).unwrap_err(),
            AllenCahnError::GridSize(7)
        );
        assert_eq!(
            Solver::new(2, 0.1, p).unwrap_err(),
            AllenCahnError::GridSize(2)
        );
        assert!(matches!(
            Solver::new(8, -0.1, p),
            Err(AllenCahnError::TimeStep(_))
        ));
        let bad = Params {
            diffusion: -1.0,
            ..p
        };
        assert!(matches!(
            Solver::new(8, 0.1, bad),
            Err(AllenCahnError::Params(_))
        ));
        let mut s = Solver::new(8, 0.1, p).unwrap();
        assert!(matches!(
            s.snapshots(&[0.0; 8], &[0.15]),
            Err(AllenCahnError::Time { .. })
        ));
        assert!(matches!(
            s.snapshots(&[0.0; 8], &[0.2, 0.1]),
            Err(AllenCahnError::Time { .. })
        ));
        assert_eq!(
            s.snapshots(&[0.0; 7], &[0.1]).unwrap_err(),
            AllenCahnError::Initial
        );
        assert_eq!(
            s.snapshots(&[f64::NAN; 8], &[0.1]).unwrap_err(),
            AllenCahnError::Initial
        );
    }
}
