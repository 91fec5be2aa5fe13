//! Kuramoto–Sivashinsky reference: Fourier pseudo-spectral in `x`, ETDRK4 in `t`.
//!
//! The PINN benchmark of jaxpi (Wang, Sankaran, Wang & Perdikaris, "An expert's guide to
//! training physics-informed neural networks", 2023; its `examples/ks_chaotic`):
//!
//! ```text
//! u_t + α u u_x + β u_xx + γ u_xxxx = 0,   x ∈ [0, 2π) periodic,   t ∈ [0, 1],
//! u(0, x) = cos(x)(1 + sin(x)),   α = 100/16,  β = 100/16²,  γ = 100/16⁴.
//! ```
//!
//! This is the classic chaotic run of Kassam & Trefethen (SIAM J. Sci. Comput. 26 (2005)
//! §5: `u_t + u u_x + u_xx + u_xxxx = 0` on `[0, 32π]`, `u₀ = cos(x/16)(1 + sin(x/16))`,
//! up to `t = 100`) rescaled by `x → x/16`, `t → t/100`. The solution stays smooth but
//! its dynamics are chaotic: perturbations grow like `e^{λt}`, so the reference's
//! accuracy at `t = 1` is limited by the amplified rounding and stepping errors, which
//! the tests measure.
//!
//! **Splitting** for [`crate::spectral`]: `L_m = β k_m² − γ k_m⁴` (`k_m = m`, period
//! 2π; modes `1 ≤ |m| ≤ 15` grow, the rest decay up to `−γ k⁴ ≈ −10⁸` at `N = 1024`,
//! which ETDRK4 integrates exactly), `N(u) = −α(u²)_x/2` ([`QuadraticFlux`],
//! de-aliased by the 2/3 rule). The initial data `cos x + ½ sin 2x` are two Fourier
//! modes, so sampling them is exact.
//!
//! **Invariant.** `∫u` is conserved (every term is a derivative); in the discretisation
//! the `m = 0` mode has `L_0 = 0` and zero flux, so it stays exactly at its initial
//! value 0.

use crate::spectral::{C64, Etdrk4, Periodic, QuadraticFlux, SpectralError};

/// Coefficients of `u_t + α u u_x + β u_xx + γ u_xxxx = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// `α`, the advection coefficient.
    pub alpha: f64,
    /// `β`, the (anti-)diffusion coefficient.
    pub beta: f64,
    /// `γ`, the hyper-diffusion coefficient.
    pub gamma: f64,
}

impl Params {
    /// jaxpi's benchmark: `α = 100/16`, `β = 100/16²`, `γ = 100/16⁴`.
    pub const BENCHMARK: Self = Self {
        alpha: 100.0 / 16.0,
        beta: 100.0 / 256.0,
        gamma: 100.0 / 65_536.0,
    };
}

/// The periodic interval `[0, 2π)`.
pub const DOMAIN: Periodic = Periodic {
    start: 0.0,
    period: 2.0 * std::f64::consts::PI,
};

/// The Kuramoto–Sivashinsky integrator.
pub type Solver = Etdrk4<QuadraticFlux>;

/// The initial condition `u(0, x) = cos(x)(1 + sin(x))`.
#[must_use]
pub fn initial_condition(x: f64) -> f64 {
    x.cos() * (1.0 + x.sin())
}

/// An ETDRK4 integrator on `n` points of [`DOMAIN`] with step `dt`.
///
/// # Errors
/// [`SpectralError::Coefficients`] for a non-finite coefficient or a negative `γ`
/// (which would make the linear part unbounded above); otherwise as [`Etdrk4::new`].
pub fn solver(n: usize, dt: f64, params: Params) -> Result<Solver, SpectralError> {
    let Params { alpha, beta, gamma } = params;
    if !(alpha.is_finite() && beta.is_finite() && gamma.is_finite() && gamma >= 0.0) {
        return Err(SpectralError::Coefficients(format!(
            "{params:?} must be finite with gamma >= 0"
        )));
    }
    if n < 4 || !n.is_multiple_of(2) {
        return Err(SpectralError::GridSize(n));
    }
    let l: Vec<C64> = DOMAIN
        .wavenumbers(n)
        .iter()
        .map(|k| {
            let k2 = k * k;
            C64::new(beta * k2 - gamma * k2 * k2, 0.0)
        })
        .collect();
    Etdrk4::new(n, dt, &l, QuadraticFlux::new(alpha, DOMAIN, n))
}

/// Solves the benchmark on `n` points with step `dt` and returns the Fourier
/// coefficients at `times`.
///
/// # Errors
/// As [`solver`] and [`Etdrk4::snapshots`].
pub fn solve(n: usize, dt: f64, times: &[f64]) -> Result<Vec<Vec<C64>>, SpectralError> {
    let mut s = solver(n, dt, Params::BENCHMARK)?;
    let u0: Vec<f64> = DOMAIN.grid(n).into_iter().map(initial_condition).collect();
    s.snapshots(&u0, times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::{evaluate, max_abs_diff};

    /// With α = 0 the equation is linear: `sin(mx)` grows or decays as
    /// `e^{(βm² − γm⁴)t}`, exactly for any step (here 0.25).
    #[test]
    fn linear_modes_are_exact_for_any_step() {
        let p = Params {
            alpha: 0.0,
            ..Params::BENCHMARK
        };
        let mut s = solver(64, 0.25, p).unwrap();
        let f = |m: f64, t: f64| ((p.beta * m * m - p.gamma * m.powi(4)) * t).exp();
        let u0: Vec<f64> = DOMAIN
            .grid(64)
            .iter()
            .map(|x| (3.0 * x).sin() + (20.0 * x).cos())
            .collect();
        let v = s.snapshots(&u0, &[0.5]).unwrap();
        let xs: Vec<f64> = (0..30).map(|i| 0.21 * i as f64).collect();
        let want: Vec<f64> = xs
            .iter()
            .map(|x| f(3.0, 0.5) * (3.0 * x).sin() + f(20.0, 0.5) * (20.0 * x).cos())
            .collect();
        // The unstable modes (growth rate up to β²/(4γ) = 25) amplify the rounding of
        // u0 by up to e^{12.5} ≈ 3e5 at t = 0.5, hence the bound.
        let err = max_abs_diff(&evaluate(&v[0], DOMAIN, &xs), &want);
        assert!(err < 1e-9, "{err}");
    }

    #[test]
    fn bad_coefficients_are_an_error() {
        let p = Params {
            gamma: -1.0,
            ..Params::BENCHMARK
        };
        assert!(matches!(
            solver(64, 1e-3, p),
            Err(SpectralError::Coefficients(_))
        ));
        assert!(matches!(
            solver(2, 1e-3, Params::BENCHMARK),
            Err(SpectralError::GridSize(2))
        ));
    }
}
