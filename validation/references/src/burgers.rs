//! Viscous Burgers reference solution by the Cole–Hopf transform.
//!
//! Problem:
//!
//! ```text
//! u_t + u u_x = ν u_xx,   x ∈ [−1, 1], t ∈ [0, 1],
//! u(0, x) = −sin(πx),     u(t, ±1) = 0,
//! ```
//!
//! with ν = 0.01/π (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019, the
//! standard PINN Burgers benchmark) or ν = 0.01 (Webb, Jerad & Cartis, "An
//! optimisation framework for the well-conditioned training of physics-informed neural
//! networks", arXiv 2607.02194, 2026). Everything below holds for any ν > 0.
//!
//! # The transform
//! With u = −2ν θ_x / θ (Hopf 1950; Cole 1951), θ solves the heat equation
//! θ_t = ν θ_xx with θ(0, x) = f(x) = exp(−cos(πx) / (2πν)). On the whole line
//! θ(t, x) = ∫ f(x − η) G(η) dη with the heat kernel G(η) = exp(−η² / (4νt)) (the
//! normalisation cancels), and since f'(y) = sin(πy) f(y) / (2ν),
//!
//! ```text
//! u(t, x) = −∫ sin(π(x−η)) f(x−η) G(η) dη  /  ∫ f(x−η) G(η) dη
//! ```
//!
//! (the form used by Basdevant et al., "Spectral and finite difference solutions of the
//! Burgers equation", Computers & Fluids 14(1), 1986). The initial data are 2-periodic
//! and odd, and the heat flow keeps both properties, so this whole-line solution *is* the
//! solution on [−1, 1] with u(t, ±1) = 0: no image sums are needed.
//!
//! Writing E[·] for the average under the weight w(η) = f(x−η) G(η), u = −E[sin] and,
//! differentiating under the integral (f'' = (π cos/(2ν) + sin²/(4ν²)) f),
//!
//! ```text
//! u_x(t, x) = −π E[cos(π(x−η))] − Var[sin(π(x−η))] / (2ν).
//! ```
//!
//! # Scaling
//! f spans e^{±1/(2πν)}: e^{±50} at ν = 0.01/π, e^{±15.9} at ν = 0.01. All sums work
//! with the log-weight
//! φ(η) = −cos(π(x−η))/(2πν) − η²/(4νt) and exponentiate φ − max φ over the nodes: the
//! largest term is 1, nothing overflows, and the mass never underflows as a whole.
//!
//! # Quadrature and its accuracy
//! The trapezoid rule on the real line converges geometrically for integrands analytic
//! in a strip (Trefethen & Weideman, "The exponentially convergent trapezoidal rule",
//! SIAM Review 56(3), 2014, §5): for a Gaussian of standard deviation σ sampled at step
//! h, the error is ≈ 2 exp(−2π²σ²/h²). The integrand's narrowest local Gaussian scale is
//! σ = 1/√max|φ''| ≥ (π²/(2πν) + 1/(2νt))^{−1/2}, which combines f's peak width
//! 1/(π√(1/(2πν))) and the kernel width √(2νt). We take h = σ/κ: κ = 2 gives a
//! model error e^{−79}, far below rounding; halving h (κ = 4) is the self-convergence
//! check in the tests.
//!
//! Truncation: φ ≤ 1/(2πν) − η²/(4νt) everywhere and max φ ≥ φ(0) ≥ −1/(2πν), so on
//! |η| ≥ L with L² = 4νt (1/(πν) + M) the weight is below e^{−M} of its peak. M = 40
//! leaves a tail under 1e-17 of the mass, so the window [−L, L] centred on the kernel
//! is exact to rounding. Nodes are placed symmetrically about η = 0, which makes the
//! discrete u exactly odd in x up to rounding, as the true u is.

use std::f64::consts::PI;
use std::fmt;

use crate::reference_file::Reference;

/// Raissi's benchmark viscosity ν = 0.01/π.
pub const NU: f64 = 0.01 / PI;

/// The viscosity ν = 0.01 of Webb, Jerad & Cartis (2026).
pub const NU_001: f64 = 0.01;

/// Time at which |u_x(t, 0)| is largest, t* = 1.6037/π (Basdevant et al. 1986).
pub const BASDEVANT_T_STAR: f64 = 1.6037 / PI;

/// The maximal slope u_x(t*, 0) = −152.00516 reported by Basdevant et al. 1986.
pub const BASDEVANT_MAX_SLOPE: f64 = -152.005_16;

/// Bad input to the Cole–Hopf evaluator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BurgersError {
    /// ν must be finite and positive.
    Viscosity(f64),
    /// κ (nodes per narrowest width) and M (tail margin) must be finite and positive.
    Quadrature {
        /// Nodes per narrowest width.
        kappa: f64,
        /// Tail margin, in e-folds.
        margin: f64,
    },
    /// t must be finite and non-negative.
    Time(f64),
    /// x must be finite.
    Space(f64),
}

impl fmt::Display for BurgersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Viscosity(v) => write!(f, "viscosity must be finite and > 0, got {v}"),
            Self::Quadrature { kappa, margin } => write!(
                f,
                "quadrature parameters must be finite and > 0, got kappa = {kappa}, margin = {margin}"
            ),
            Self::Time(t) => write!(f, "time must be finite and >= 0, got {t}"),
            Self::Space(x) => write!(f, "x must be finite, got {x}"),
        }
    }
}

impl std::error::Error for BurgersError {}

/// Evaluates the Cole–Hopf solution by the windowed trapezoid rule of the module docs.
#[derive(Debug, Clone, Copy)]
pub struct ColeHopf {
    nu: f64,
    kappa: f64,
    margin: f64,
}

impl Default for ColeHopf {
    /// The benchmark: ν = 0.01/π, κ = 2, M = 40.
    fn default() -> Self {
        Self {
            nu: NU,
            kappa: 2.0,
            margin: 40.0,
        }
    }
}

/// The trapezoid nodes and weights for one (t, x), weights scaled so the largest is 1.
struct Rule {
    /// sin(π(x − η_j)).
    s: Vec<f64>,
    /// cos(π(x − η_j)).
    c: Vec<f64>,
    /// exp(φ(η_j) − max φ).
    w: Vec<f64>,
}

impl ColeHopf {
    /// An evaluator for viscosity `nu` with step h = σ/`kappa` and tail margin `margin`
    /// e-folds (see the module docs).
    ///
    /// # Errors
    /// [`BurgersError::Viscosity`] or [`BurgersError::Quadrature`] for non-finite or
    /// non-positive parameters.
    pub fn new(nu: f64, kappa: f64, margin: f64) -> Result<Self, BurgersError> {
        if !(nu.is_finite() && nu > 0.0) {
            return Err(BurgersError::Viscosity(nu));
        }
        if !(kappa.is_finite() && kappa > 0.0 && margin.is_finite() && margin > 0.0) {
            return Err(BurgersError::Quadrature { kappa, margin });
        }
        Ok(Self { nu, kappa, margin })
    }

    /// The evaluator for viscosity `nu` with the default quadrature (κ = 2, M = 40).
    ///
    /// # Errors
    /// As [`ColeHopf::new`].
    pub fn with_viscosity(nu: f64) -> Result<Self, BurgersError> {
        let d = Self::default();
        Self::new(nu, d.kappa, d.margin)
    }

    /// The benchmark evaluator with the step refined by `factor` (κ = 2·factor).
    ///
    /// # Errors
    /// As [`ColeHopf::new`].
    pub fn refined(factor: f64) -> Result<Self, BurgersError> {
        Self::default().refine(factor)
    }

    /// This evaluator with the step refined by `factor` (κ multiplied by `factor`).
    ///
    /// # Errors
    /// As [`ColeHopf::new`].
    pub fn refine(&self, factor: f64) -> Result<Self, BurgersError> {
        Self::new(self.nu, self.kappa * factor, self.margin)
    }

    /// The viscosity ν.
    #[must_use]
    pub fn nu(&self) -> f64 {
        self.nu
    }

    /// Number of trapezoid nodes used at time `t > 0` (the same for every x).
    #[must_use]
    pub fn nodes(&self, t: f64) -> usize {
        self.grid(t).0
    }

    /// (node count 2m+1, step h) for time t > 0.
    fn grid(&self, t: f64) -> (usize, f64) {
        let a = 1.0 / (2.0 * PI * self.nu);
        let four_nu_t = 4.0 * self.nu * t;
        let half_width = (four_nu_t * (2.0 * a + self.margin)).sqrt();
        let curvature = a * PI * PI + 2.0 / four_nu_t;
        let h_max = 1.0 / (self.kappa * curvature.sqrt());
        // Ceil keeps h ≤ h_max; the value is a small positive float (tens to hundreds).
        let m = (half_width / h_max).ceil().max(1.0) as usize;
        (2 * m + 1, half_width / m as f64)
    }

    fn check(t: f64, x: f64) -> Result<(), BurgersError> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(BurgersError::Time(t));
        }
        if !x.is_finite() {
            return Err(BurgersError::Space(x));
        }
        Ok(())
    }

    fn rule(&self, t: f64, x: f64) -> Rule {
        let (n, h) = self.grid(t);
        let m = (n / 2) as f64;
        let a = 1.0 / (2.0 * PI * self.nu);
        let four_nu_t = 4.0 * self.nu * t;
        let mut s = Vec::with_capacity(n);
        let mut c = Vec::with_capacity(n);
        let mut phi = Vec::with_capacity(n);
        for j in 0..n {
            let eta = (j as f64 - m) * h;
            let (sj, cj) = (PI * (x - eta)).sin_cos();
            s.push(sj);
            c.push(cj);
            phi.push(-a * cj - eta * eta / four_nu_t);
        }
        let top = phi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w = phi.into_iter().map(|p| (p - top).exp()).collect();
        Rule { s, c, w }
    }

    /// u(t, x). At t = 0 this is the initial condition −sin(πx).
    ///
    /// # Errors
    /// [`BurgersError::Time`] for negative or non-finite t, [`BurgersError::Space`] for
    /// non-finite x.
    pub fn u(&self, t: f64, x: f64) -> Result<f64, BurgersError> {
        Self::check(t, x)?;
        if t == 0.0 {
            return Ok(-(PI * x).sin());
        }
        let r = self.rule(t, x);
        let (mut num, mut den) = (0.0, 0.0);
        for (s, w) in r.s.iter().zip(&r.w) {
            num += s * w;
            den += w;
        }
        Ok(-num / den)
    }

    /// u_x(t, x) = −π E[cos] − Var[sin]/(2ν), differentiated under the integral. At
    /// t = 0 this is −π cos(πx).
    ///
    /// # Errors
    /// As [`ColeHopf::u`].
    pub fn u_x(&self, t: f64, x: f64) -> Result<f64, BurgersError> {
        Self::check(t, x)?;
        if t == 0.0 {
            return Ok(-PI * (PI * x).cos());
        }
        let r = self.rule(t, x);
        let den: f64 = r.w.iter().sum();
        let mean_s = r.s.iter().zip(&r.w).map(|(s, w)| s * w).sum::<f64>() / den;
        let mean_c = r.c.iter().zip(&r.w).map(|(c, w)| c * w).sum::<f64>() / den;
        // Two-pass variance: no cancellation between E[sin²] and E[sin]².
        let var_s =
            r.s.iter()
                .zip(&r.w)
                .map(|(s, w)| (s - mean_s) * (s - mean_s) * w)
                .sum::<f64>()
                / den;
        Ok(-PI * mean_c - var_s / (2.0 * self.nu))
    }
}

/// `n` equally spaced values from `a` to `b` inclusive (as NumPy/MATLAB `linspace`).
///
/// The first half is measured from `a`, the second from `b`, so both ends are exact and
/// `linspace(−b, b, n)` is exactly antisymmetric (the grid then respects u's odd
/// symmetry bit for bit). Values agree with NumPy's to a rounding error.
#[must_use]
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![a; n];
    }
    let last = (n - 1) as f64;
    (0..n)
        .map(|i| {
            if 2 * i < n {
                a + (b - a) * (i as f64 / last)
            } else {
                b - (b - a) * ((n - 1 - i) as f64 / last)
            }
        })
        .collect()
}

/// Raissi's evaluation grid: t = linspace(0, 0.99, 100), x = linspace(−1, 1, 256).
#[must_use]
pub fn raissi_grid() -> (Vec<f64>, Vec<f64>) {
    (linspace(0.0, 0.99, 100), linspace(-1.0, 1.0, 256))
}

/// The grid of Webb, Jerad & Cartis's reference (their `generate_references.py`):
/// t = linspace(0, 1, 100), x = −1 + 2j/1024 for j = 0..1024 (the periodic grid of
/// their spectral solver: x = −1 included, x = 1 not).
#[must_use]
pub fn webb_grid() -> (Vec<f64>, Vec<f64>) {
    (
        linspace(0.0, 1.0, 100),
        (0..1024).map(|j| -1.0 + j as f64 / 512.0).collect(),
    )
}

/// The reference on the (t, x) grid `ts × xs`: rows are (t, x) pairs, t-major (all x
/// for the first t, then the next t), variables `["t", "x"]`, output `["u"]`.
///
/// `problem`, `method` and `command` are stored as given.
///
/// # Errors
/// [`BurgersError`] for a grid value that is not a valid (t, x).
pub fn tabulate(
    ch: &ColeHopf,
    (ts, xs): (&[f64], &[f64]),
    problem: &str,
    method: String,
    command: String,
) -> Result<Reference, BurgersError> {
    let mut points = Vec::with_capacity(2 * ts.len() * xs.len());
    let mut values = Vec::with_capacity(ts.len() * xs.len());
    for &t in ts {
        for &x in xs {
            points.push(t);
            points.push(x);
            values.push(ch.u(t, x)?);
        }
    }
    Ok(Reference {
        problem: problem.into(),
        method,
        command,
        variables: vec!["t".into(), "x".into()],
        outputs: vec!["u".into()],
        points,
        values,
    })
}

/// The reference on Raissi's grid ([`raissi_grid`]) for problem `burgers`; see
/// [`tabulate`].
///
/// # Errors
/// Never for the benchmark evaluator; propagates [`BurgersError`] for the grid values.
pub fn raissi_reference(
    ch: &ColeHopf,
    method: String,
    command: String,
) -> Result<Reference, BurgersError> {
    let (ts, xs) = raissi_grid();
    tabulate(ch, (&ts, &xs), "burgers", method, command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_parameters_and_points() {
        assert_eq!(
            ColeHopf::new(0.0, 2.0, 40.0).unwrap_err(),
            BurgersError::Viscosity(0.0)
        );
        assert!(matches!(
            ColeHopf::new(NU, f64::NAN, 40.0),
            Err(BurgersError::Quadrature { .. })
        ));
        let ch = ColeHopf::default();
        assert_eq!(ch.u(-0.1, 0.0).unwrap_err(), BurgersError::Time(-0.1));
        assert!(matches!(
            ch.u(0.5, f64::INFINITY),
            Err(BurgersError::Space(_))
        ));
        assert!(matches!(ch.u_x(f64::NAN, 0.0), Err(BurgersError::Time(_))));
    }

    #[test]
    fn linspace_hits_both_ends_and_is_symmetric() {
        let x = linspace(-1.0, 1.0, 256);
        assert_eq!((x[0], x[255]), (-1.0, 1.0));
        for i in 0..256 {
            assert_eq!(x[i], -x[255 - i]);
        }
        let (t, _) = raissi_grid();
        assert_eq!(t.len(), 100);
        assert!((t[1] - 0.01).abs() < 1e-15 && t[99] == 0.99);
    }

    /// The step shrinks like 1/κ, so doubling κ doubles the node count (±1).
    #[test]
    fn node_count_scales_with_kappa() {
        let (a, b) = (ColeHopf::default(), ColeHopf::refined(2.0).unwrap());
        for t in [0.01, 0.3, 1.0] {
            let (na, nb) = (a.nodes(t), b.nodes(t));
            assert!(nb + 3 >= 2 * na && nb < 2 * na, "t={t}: {na} {nb}");
        }
    }

    /// Small-time limit: for t → 0 the solution stays close to the initial data away
    /// from the layer (|u_t| ≤ |u u_x| + ν|u_xx| ≤ π + ν π², so |u − u0| ≤ 3.2 t).
    #[test]
    fn small_time_is_close_to_initial_data() {
        let ch = ColeHopf::default();
        let t = 1e-4;
        for x in [-0.7, -0.2, 0.1, 0.45, 0.9] {
            let d = (ch.u(t, x).unwrap() + (PI * x).sin()).abs();
            assert!(d < 3.2 * t, "x={x}: {d}");
            assert!(d > 0.0);
        }
    }

    /// u_x by differentiation under the integral against a 4th-order central difference
    /// of u in smooth regions.
    #[test]
    fn slope_formula_matches_finite_differences() {
        let ch = ColeHopf::default();
        let h = 1e-3;
        for (t, x) in [(0.2, 0.5), (0.7, -0.4), (0.05, 0.05), (1.0, 0.8)] {
            let u = |x: f64| ch.u(t, x).unwrap();
            let fd = (8.0 * (u(x + h) - u(x - h)) - (u(x + 2.0 * h) - u(x - 2.0 * h))) / (12.0 * h);
            let ux = ch.u_x(t, x).unwrap();
            assert!(
                (fd - ux).abs() < 1e-8 * ux.abs().max(1.0),
                "({t},{x}): {fd} vs {ux}"
            );
        }
    }
}
