//! Korteweg–de Vries reference: Fourier pseudo-spectral in `x`, ETDRK4 in `t`.
//!
//! The problem (Zabusky & Kruskal, Phys. Rev. Lett. 15 (1965) 240, the soliton-birth
//! experiment; the PINN benchmark of PirateNets, Wang et al. 2024, and of the
//! quasi-Newton study of Toscano et al. 2025):
//!
//! ```text
//! u_t + u u_x + δ² u_xxx = 0,   x ∈ [−1, 1) periodic,   t ∈ [0, 1],
//! u(0, x) = cos(πx),            δ = 0.022.
//! ```
//!
//! The cosine steepens until dispersion balances it (near `t ≈ 1/π`) and breaks into a
//! train of solitons, the largest of amplitude ≈ 2.6 and width `δ·√(12/2.6) ≈ 0.05`
//! (the soliton `A sech²((x − At/3)/(δ√(12/A)))`).
//!
//! **Splitting** for [`crate::spectral`]: `L_m = −δ²(ik_m)³ = iδ²k_m³` (purely
//! imaginary: the dispersion is integrated exactly), `N(u) = −(u²)_x/2`
//! ([`QuadraticFlux`] with `c = 1`, de-aliased by the 2/3 rule). The initial data are a
//! single Fourier mode, so sampling them on the grid is exact.
//!
//! **Invariants.** `∫u` and `∫u²` are conserved by KdV, and by the de-aliased Galerkin
//! semi-discretisation too: the `m = 0` mode of `(u²)_x` is zero, and
//! `∫u·P(u²)_x = ∫u(u²)_x = 0` when `u` lies in the retained band (`P` the projection),
//! while `L` is skew. So is the Hamiltonian `H = ∫(u³/6 − δ²u_x²/2)` (the Galerkin
//! system is `u_t = −∂_x P(δH/δu)` with the same `H`), whose conservation also pins the
//! relative sign and size of the dispersive and nonlinear terms. ETDRK4 conserves `∫u`
//! exactly and `∫u²` and `H` to its truncation error, so their drift measures the
//! time-stepping error independently of the self-convergence tests.

use crate::spectral::{
    C64, Etdrk4, Fourier, Periodic, QuadraticFlux, SpectralError, derivative, integral,
    integral_of_square,
};

/// The dispersion length δ (`u_xxx` has the coefficient δ² = 4.84e−4).
pub const DELTA: f64 = 0.022;

/// The periodic interval `[−1, 1)`.
pub const DOMAIN: Periodic = Periodic {
    start: -1.0,
    period: 2.0,
};

/// The KdV integrator.
pub type Solver = Etdrk4<QuadraticFlux>;

/// The initial condition `u(0, x) = cos(πx)`.
#[must_use]
pub fn initial_condition(x: f64) -> f64 {
    (std::f64::consts::PI * x).cos()
}

/// An ETDRK4 integrator for `u_t + u u_x + δ² u_xxx = 0` on `n` points of [`DOMAIN`].
///
/// # Errors
/// [`SpectralError::Coefficients`] for a non-finite or negative `delta`; otherwise as
/// [`Etdrk4::new`].
pub fn solver(n: usize, dt: f64, delta: f64) -> Result<Solver, SpectralError> {
    if !(delta.is_finite() && delta >= 0.0) {
        return Err(SpectralError::Coefficients(format!(
            "dispersion length {delta} must be finite and >= 0"
        )));
    }
    if n < 4 || !n.is_multiple_of(2) {
        return Err(SpectralError::GridSize(n));
    }
    let d2 = delta * delta;
    let l: Vec<C64> = DOMAIN
        .odd_wavenumbers(n)
        .iter()
        .map(|k| C64::new(0.0, d2 * k * k * k))
        .collect();
    Etdrk4::new(n, dt, &l, QuadraticFlux::new(1.0, DOMAIN, n))
}

/// Solves the benchmark (δ = [`DELTA`], `u(0, x) = cos(πx)`) on `n` points with step
/// `dt` and returns the Fourier coefficients at `times`.
///
/// # Errors
/// As [`solver`] and [`Etdrk4::snapshots`].
pub fn solve(n: usize, dt: f64, times: &[f64]) -> Result<Vec<Vec<C64>>, SpectralError> {
    let mut s = solver(n, dt, DELTA)?;
    let u0: Vec<f64> = DOMAIN.grid(n).into_iter().map(initial_condition).collect();
    s.snapshots(&u0, times)
}

/// The invariants `[∫u, ∫u², H = ∫(u³/6 − δ²u_x²/2)]` of the trigonometric polynomial
/// with coefficients `v` (one period of [`DOMAIN`]). Exact for a de-aliased solution
/// (modes with `3|m| < N`): then `u³` and `u_x²` have no mode of size `≥ N`, so the
/// trapezoid rule on the `N` grid points integrates them exactly.
#[must_use]
pub fn invariants(v: &[C64], delta: f64) -> [f64; 3] {
    let n = v.len();
    let mut w = v.to_vec();
    Fourier::new(n).inverse(&mut w);
    let ux = derivative(v, DOMAIN, 1);
    let h = DOMAIN.period / n as f64;
    let ham: f64 = w
        .iter()
        .zip(&ux)
        .map(|(u, ux)| u.re.powi(3) / 6.0 - 0.5 * delta * delta * ux * ux)
        .sum::<f64>()
        * h;
    [integral(v, DOMAIN), integral_of_square(v, DOMAIN), ham]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::{evaluate, max_abs_diff};
    use std::f64::consts::PI;

    /// Linear KdV (`u_t + δ² u_xxx = 0`, no flux) is diagonal: `cos(πm x)` travels as
    /// `cos(πm(x + δ²π²m² t))`, for any step, to rounding.
    #[test]
    fn linear_dispersion_is_exact_for_any_step() {
        let n = 64;
        let mut s = Etdrk4::new(
            n,
            0.3,
            &DOMAIN
                .odd_wavenumbers(n)
                .iter()
                .map(|k| C64::new(0.0, DELTA * DELTA * k * k * k))
                .collect::<Vec<_>>(),
            QuadraticFlux::new(0.0, DOMAIN, n),
        )
        .unwrap();
        let u0: Vec<f64> = DOMAIN
            .grid(n)
            .iter()
            .map(|x| (3.0 * PI * x).cos() - 0.5 * (11.0 * PI * x).sin())
            .collect();
        let v = s.snapshots(&u0, &[0.9]).unwrap();
        let c = |m: f64| DELTA * DELTA * PI * PI * m * m;
        let xs: Vec<f64> = (0..50).map(|i| -1.0 + i as f64 / 25.0).collect();
        let want: Vec<f64> = xs
            .iter()
            .map(|x| {
                (3.0 * PI * (x + c(3.0) * 0.9)).cos()
                    - 0.5 * (11.0 * PI * (x + c(11.0) * 0.9)).sin()
            })
            .collect();
        let err = max_abs_diff(&evaluate(&v[0], DOMAIN, &xs), &want);
        assert!(err < 1e-13, "{err}");
    }

    /// Before steepening (t = 0.1 < 1/π) the solution is close to the inviscid Burgers
    /// solution `u = cos(π(x − u t))` (dispersion acts at order δ² k³), and far from the
    /// initial data; and the invariants hold.
    #[test]
    fn early_solution_follows_the_characteristics() {
        let t = 0.1;
        let v = solve(256, 1e-3, &[t]).unwrap();
        let xs: Vec<f64> = (0..40).map(|i| -1.0 + i as f64 / 20.0).collect();
        let u = evaluate(&v[0], DOMAIN, &xs);
        let mut worst = 0.0f64;
        for (x, u) in xs.iter().zip(&u) {
            // Implicit relation: residual of u = cos(π(x − u t)).
            worst = worst.max((u - (PI * (x - u * t)).cos()).abs());
        }
        assert!(worst < 0.02, "{worst}");
        let moved = max_abs_diff(
            &u,
            &xs.iter().map(|&x| initial_condition(x)).collect::<Vec<_>>(),
        );
        assert!(moved > 0.1, "{moved}");
        let [mass, momentum, _] = invariants(&v[0], DELTA);
        assert!(mass.abs() < 1e-14);
        assert!((momentum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_dispersion_is_an_error() {
        assert!(matches!(
            solver(64, 1e-3, f64::NAN),
            Err(SpectralError::Coefficients(_))
        ));
        assert!(matches!(
            solver(63, 1e-3, DELTA),
            Err(SpectralError::GridSize(63))
        ));
        assert!(matches!(
            solver(64, 0.0, DELTA),
            Err(SpectralError::TimeStep(_))
        ));
    }
}
