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
//! Solved by the shared integrator of [`crate::spectral`] (Fourier pseudo-spectral,
//! ETDRK4 of Cox & Matthews 2002 with the contour-integral coefficients of Kassam &
//! Trefethen 2005). Period 2 gives angular wavenumbers `k_m = π·m`.
//!
//! **Splitting.** `v_t = L v + N(v)` with the *linear* part `L_m = a − d·k_m²`
//! (diffusion **and** the `+a·u` term, both diagonal, so both are integrated exactly;
//! `L_m` crosses zero near `d·k² = a`, i.e. `|m| ≈ 71`, where the contour integrals
//! avoid the cancellation of the closed forms) and the *nonlinear* part
//! `N(v) = −b·FFT(u³)`, `u = IFFT(v)`, formed on the grid without de-aliasing: the
//! tests check that the coefficients with `|m| ≥ N/3` stay below 1e−13, so aliasing
//! errors are below that level too.

use crate::spectral::{self, C64, Etdrk4, Fourier, Nonlinearity, Periodic, SpectralError};

/// The periodic interval `[−1, 1)`.
pub const DOMAIN: Periodic = Periodic {
    start: -1.0,
    period: 2.0,
};

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

/// `N(v) = −b·FFT(Re(IFFT(v)/N)³)`, no de-aliasing.
#[derive(Debug, Clone, Copy)]
pub struct CubicReaction {
    /// `b`.
    pub cubic: f64,
}

impl Nonlinearity for CubicReaction {
    fn apply(&self, fourier: &mut Fourier, v: &[C64], out: &mut [C64]) {
        out.copy_from_slice(v);
        fourier.inverse(out);
        for c in out.iter_mut() {
            let u = c.re;
            *c = C64::new(-self.cubic * u * u * u, 0.0);
        }
        fourier.forward(out);
    }
}

/// The Allen–Cahn integrator.
pub type Solver = Etdrk4<CubicReaction>;

/// An ETDRK4 integrator on `n` points of [`DOMAIN`] with step `dt`.
///
/// # Errors
/// [`SpectralError::Coefficients`] if a coefficient is not finite or the diffusion is
/// negative; otherwise as [`Etdrk4::new`].
pub fn solver(n: usize, dt: f64, params: Params) -> Result<Solver, SpectralError> {
    let Params {
        diffusion: d,
        linear: a,
        cubic: b,
    } = params;
    if !(d.is_finite() && a.is_finite() && b.is_finite() && d >= 0.0) {
        return Err(SpectralError::Coefficients(format!(
            "{params:?} must be finite with non-negative diffusion"
        )));
    }
    if n < 4 || !n.is_multiple_of(2) {
        return Err(SpectralError::GridSize(n));
    }
    let l: Vec<C64> = DOMAIN
        .wavenumbers(n)
        .iter()
        .map(|k| C64::new(a - d * k * k, 0.0))
        .collect();
    Etdrk4::new(n, dt, &l, CubicReaction { cubic: b })
}

/// The grid `x_j = −1 + 2j/n`, `j = 0..n`.
#[must_use]
pub fn grid(n: usize) -> Vec<f64> {
    DOMAIN.grid(n)
}

/// The benchmark initial condition `u(0, x) = x² cos(πx)`.
#[must_use]
pub fn initial_condition(x: f64) -> f64 {
    x * x * (std::f64::consts::PI * x).cos()
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
/// As [`solver`] and [`Etdrk4::snapshots_from`].
pub fn solve(
    n: usize,
    dt: f64,
    params: Params,
    times: &[f64],
) -> Result<Vec<Vec<C64>>, SpectralError> {
    let mut s = solver(n, dt, params)?;
    s.snapshots_from(initial_coefficients(n), times)
}

/// Spectral interpolation of coefficients `v` on [`DOMAIN`] at `xs` (see
/// [`spectral::evaluate`]).
///
/// # Panics
/// If `v.len()` is odd or below 4 (a contract violation).
#[must_use]
pub fn evaluate(v: &[C64], xs: &[f64]) -> Vec<f64> {
    spectral::evaluate(v, DOMAIN, xs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::max_abs_diff;

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
            let mut s = solver(n, dt, p).unwrap();
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
                let mut s = solver(8, dt, p).unwrap();
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
        let mut s = solver(n, 1.0, Params::BENCHMARK).unwrap();
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

    #[test]
    fn bad_coefficients_are_an_error() {
        let bad = Params {
            diffusion: -1.0,
            ..Params::BENCHMARK
        };
        assert!(matches!(
            solver(8, 0.1, bad),
            Err(SpectralError::Coefficients(_))
        ));
        assert_eq!(
            solver(7, 0.1, Params::BENCHMARK).unwrap_err(),
            SpectralError::GridSize(7)
        );
    }
}
