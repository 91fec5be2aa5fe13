//! A reference L-BFGS driver composing [`LbfgsMemory`] and [`MoreThuente`] on an
//! [`Objective`].
//!
//! The solvers crate runs every method through one shared loop (descent + step
//! control); this function is the stand-alone reference for how the two parts fit
//! together, and a cross-check for the shared loop's L-BFGS preset.
//!
//! # Math
//! Nocedal & Wright (2006), Algorithm 7.5: at `θₖ` with gradient `gₖ`,
//! 1. `dₖ = −Hₖ gₖ` by the two-loop recursion (`Hₖ = I` while the memory is empty);
//!    if `gₖᵀdₖ ≥ 0` (possible only with damped pairs or round-off) the memory is
//!    reset and `dₖ = −gₖ`;
//! 2. `αₖ` from the strong Wolfe search on `φ(α) = f(θₖ + α dₖ)`, first trial `α = 1`
//!    (the quasi-Newton step, N&W §3.5), or `min(1, 1/‖g₀‖)` for a steepest-descent
//!    step;
//! 3. `sₖ = αₖ dₖ`, `yₖ = gₖ₊₁ − gₖ`, offered to the memory. The curvature condition
//!    `gₖ₊₁ᵀdₖ ≥ c₂ gₖᵀdₖ` gives `sₖᵀyₖ ≥ (c₂ − 1) αₖ gₖᵀdₖ > 0` (N&W §6.1), so the
//!    safeguard only acts on round-off or on a search that ended without a Wolfe
//!    point.
//!
//! Stops when `‖g‖₂ ≤ gradient_tol`, or on a budget, or when the line search fails
//! without any decrease.
//!
//! # References
//! J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer 2006, §7.2.

use thiserror::Error;

use super::strong_wolfe::{LineSearchError, MoreThuente, StrongWolfeParams};
use super::two_loop::{CurvatureSafeguard, LbfgsMemory, PairOutcome};
use crate::problem::Objective;

/// Options of [`minimize`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsOptions {
    /// Number of pairs `m` (default 10; N&W 2006 §7.2 report 3–20 as practical).
    pub memory: usize,
    /// Curvature safeguard (default skip with ε = 1e-8).
    pub safeguard: CurvatureSafeguard,
    /// Line-search parameters (default c₁ = 1e-4, c₂ = 0.9).
    pub line_search: StrongWolfeParams,
    /// Stop when `‖∇f‖₂ ≤ gradient_tol` (default 1e-10).
    pub gradient_tol: f64,
    /// Maximum iterations (default 10 000).
    pub max_iterations: usize,
    /// Maximum objective evaluations, counting line-search trials (default 100 000).
    pub max_evaluations: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        Self {
            memory: 10,
            safeguard: CurvatureSafeguard::default(),
            line_search: StrongWolfeParams::default(),
            gradient_tol: 1e-10,
            max_iterations: 10_000,
            max_evaluations: 100_000,
        }
    }
}

/// Why [`minimize`] stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LbfgsStop {
    /// `‖∇f‖₂ ≤ gradient_tol`: converged.
    GradientTolerance,
    /// `max_iterations` reached.
    MaxIterations,
    /// `max_evaluations` reached.
    MaxEvaluations,
    /// The line search failed and no trial decreased `f`; the iterate is the last
    /// accepted one. Near a minimiser this usually means `f` is at round-off level.
    LineSearch(LineSearchError),
}

/// The outcome of [`minimize`].
#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsReport {
    /// Final iterate.
    pub theta: Vec<f64>,
    /// `f(θ)`.
    pub value: f64,
    /// `‖∇f(θ)‖₂`.
    pub gradient_norm: f64,
    /// Iterations (accepted steps).
    pub iterations: usize,
    /// Objective evaluations (each is a value and a gradient).
    pub evaluations: usize,
    /// Why it stopped.
    pub stop: LbfgsStop,
    /// Pairs dropped by the curvature safeguard.
    pub skipped_pairs: usize,
    /// Pairs modified by double damping.
    pub damped_pairs: usize,
    /// Times the memory was reset after a non-descent direction.
    pub resets: usize,
}

/// Errors that prevent [`minimize`] from starting.
#[derive(Clone, Copy, Debug, PartialEq, Error)]
pub enum LbfgsError {
    /// An option violates its constraint.
    #[error("L-BFGS option `{name}` = {value:e} violates {constraint}")]
    InvalidOption {
        /// Option name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The constraint.
        constraint: &'static str,
    },
    /// Invalid line-search parameters.
    #[error(transparent)]
    LineSearch(#[from] LineSearchError),
    /// `f(θ₀)` or `∇f(θ₀)` is not finite.
    #[error("the objective or its gradient is not finite at the starting point (f = {value})")]
    NonFiniteStart {
        /// `f(θ₀)`.
        value: f64,
    },
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).transpose() * faer::ColRef::from_slice(b)
}

fn norm(a: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).norm_l2()
}

/// Minimises `obj` from `theta0` by L-BFGS with a Moré–Thuente strong Wolfe search.
///
/// All buffers are allocated before the first iteration.
///
/// # Errors
/// [`LbfgsError`] for invalid options or a non-finite start. Numerical trouble during
/// the run is a [`LbfgsStop`] in the report, not an error.
///
/// # Panics
/// If `theta0.len() != obj.n_params()`.
#[track_caller]
pub fn minimize<O: Objective + ?Sized>(
    obj: &O,
    theta0: &[f64],
    opts: &LbfgsOptions,
) -> Result<LbfgsReport, LbfgsError> {
    let n = obj.n_params();
    assert_eq!(theta0.len(), n, "theta0 has the wrong length");
    if opts.memory == 0 {
        return Err(LbfgsError::InvalidOption {
            name: "memory",
            value: 0.0,
            constraint: "memory >= 1",
        });
    }
    if !(opts.gradient_tol >= 0.0 && opts.gradient_tol.is_finite()) {
        return Err(LbfgsError::InvalidOption {
            name: "gradient_tol",
            value: opts.gradient_tol,
            constraint: "0 <= gradient_tol < inf",
        });
    }
    let mut search = MoreThuente::new(opts.line_search)?;
    let mut mem = LbfgsMemory::new(n, opts.memory, opts.safeguard);

    let mut x = theta0.to_vec();
    let mut g = vec![0.0; n];
    let mut d = vec![0.0; n];
    let mut x_trial = vec![0.0; n];
    let mut g_trial = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut y = vec![0.0; n];

    let mut f = obj.value_and_gradient(&x, &mut g);
    let mut evaluations = 1usize;
    if !(f.is_finite() && g.iter().all(|v| v.is_finite())) {
        return Err(LbfgsError::NonFiniteStart { value: f });
    }
    let (mut iterations, mut skipped_pairs, mut damped_pairs, mut resets) = (0, 0, 0, 0);

    let stop = loop {
        let gnorm = norm(&g);
        if gnorm <= opts.gradient_tol {
            break LbfgsStop::GradientTolerance;
        }
        if iterations >= opts.max_iterations {
            break LbfgsStop::MaxIterations;
        }
        if evaluations >= opts.max_evaluations {
            break LbfgsStop::MaxEvaluations;
        }

        mem.apply_inverse_hessian(&g, &mut d);
        d.iter_mut().for_each(|v| *v = -*v);
        let mut dphi0 = dot(&g, &d);
        if !(dphi0 < 0.0 && dphi0.is_finite()) {
            mem.reset();
            resets += 1;
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            dphi0 = -gnorm * gnorm;
        }
        let alpha0 = if mem.is_empty() {
            (1.0 / gnorm).min(1.0)
        } else {
            1.0
        };

        let last_alpha = std::cell::Cell::new(f64::NAN);
        let mut phi = |alpha: f64| {
            for ((xt, xi), di) in x_trial.iter_mut().zip(&x).zip(&d) {
                *xt = xi + alpha * di;
            }
            let ft = obj.value_and_gradient(&x_trial, &mut g_trial);
            evaluations += 1;
            last_alpha.set(alpha);
            (ft, dot(&g_trial, &d))
        };
        let outcome = search.search(&mut phi, f, dphi0, alpha0);
        let f_new = match outcome {
            Ok(r) => r.phi,
            Err(e) => match e.best() {
                Some(b) if b.alpha > 0.0 && b.phi < f => {
                    // Take the best decreasing point; re-evaluate if it is not the last.
                    if b.alpha != last_alpha.get() {
                        phi(b.alpha);
                    }
                    b.phi
                }
                _ => break LbfgsStop::LineSearch(e),
            },
        };

        for i in 0..n {
            s[i] = x_trial[i] - x[i];
            y[i] = g_trial[i] - g[i];
        }
        match mem.push(&s, &y) {
            PairOutcome::Stored => {}
            PairOutcome::Skipped { .. } => skipped_pairs += 1,
            PairOutcome::Damped { .. } => damped_pairs += 1,
        }
        std::mem::swap(&mut x, &mut x_trial);
        std::mem::swap(&mut g, &mut g_trial);
        f = f_new;
        iterations += 1;
    };

    Ok(LbfgsReport {
        gradient_norm: norm(&g),
        theta: x,
        value: f,
        iterations,
        evaluations,
        stop,
        skipped_pairs,
        damped_pairs,
        resets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's function in its extended form (Moré, Garbow & Hillstrom 1981,
    /// problem 21): `f = Σ_{i odd} 100 (x_{i+1} − x_i²)² + (1 − x_i)²`, minimiser all
    /// ones, `f* = 0`. `n = 2` is the classic function.
    struct ExtendedRosenbrock {
        n: usize,
    }

    impl Objective for ExtendedRosenbrock {
        fn n_params(&self) -> usize {
            self.n
        }
        fn value(&self, x: &[f64]) -> f64 {
            let mut g = vec![0.0; self.n];
            self.value_and_gradient(x, &mut g)
        }
        fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            let mut f = 0.0;
            for i in (0..self.n).step_by(2) {
                let t1 = x[i + 1] - x[i] * x[i];
                let t2 = 1.0 - x[i];
                f += 100.0 * t1 * t1 + t2 * t2;
                g[i] = -400.0 * x[i] * t1 - 2.0 * t2;
                g[i + 1] = 200.0 * t1;
            }
            f
        }
    }

    /// `f = ½ (x − x*)ᵀ A (x − x*)` with `A = Q diag(λ) Qᵀ`, `Q` a Householder
    /// reflector and `λᵢ` log-spaced over `[1, 10⁶]` (condition number 10⁶).
    /// `x − x*` is formed first, so `∇f(x*) = 0` exactly.
    struct BadlyScaledQuadratic {
        u: Vec<f64>,
        lambda: Vec<f64>,
        xstar: Vec<f64>,
    }

    impl BadlyScaledQuadratic {
        fn new(n: usize) -> Self {
            let u = (0..n).map(|i| ((i + 1) as f64).sin()).collect();
            let lambda = (0..n)
                .map(|i| 10f64.powf(6.0 * i as f64 / (n - 1) as f64))
                .collect();
            let xstar = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
            Self { u, lambda, xstar }
        }
        fn reflect(&self, v: &mut [f64]) {
            let c = 2.0 * dot(&self.u, v) / dot(&self.u, &self.u);
            v.iter_mut().zip(&self.u).for_each(|(vi, ui)| *vi -= c * ui);
        }
    }

    impl Objective for BadlyScaledQuadratic {
        fn n_params(&self) -> usize {
            self.u.len()
        }
        fn value(&self, x: &[f64]) -> f64 {
            let mut g = vec![0.0; x.len()];
            self.value_and_gradient(x, &mut g)
        }
        fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            for i in 0..x.len() {
                g[i] = x[i] - self.xstar[i];
            }
            self.reflect(g);
            let mut f = 0.0;
            for (gi, li) in g.iter_mut().zip(&self.lambda) {
                f += 0.5 * li * *gi * *gi;
                *gi *= li;
            }
            self.reflect(g);
            f
        }
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    fn rosenbrock_start(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect()
    }

    #[test]
    fn rosenbrock_from_standard_start() {
        for safeguard in [
            CurvatureSafeguard::Skip { eps: 1e-8 },
            CurvatureSafeguard::DoubleDamping { mu1: 0.2, mu2: 0.0 },
        ] {
            let opts = LbfgsOptions {
                safeguard,
                ..LbfgsOptions::default()
            };
            let r = minimize(&ExtendedRosenbrock { n: 2 }, &[-1.2, 1.0], &opts).unwrap();
            eprintln!(
                "Rosenbrock {safeguard:?}: {} it, {} evals, |g| = {:e}, skipped {}, damped {}",
                r.iterations, r.evaluations, r.gradient_norm, r.skipped_pairs, r.damped_pairs
            );
            assert_eq!(r.stop, LbfgsStop::GradientTolerance);
            assert!(r.gradient_norm <= 1e-10);
            assert!(max_abs_diff(&r.theta, &[1.0, 1.0]) < 1e-8, "{:?}", r.theta);
            assert!(r.iterations < 100);
        }
    }

    #[test]
    fn extended_rosenbrock_n10() {
        let n = 10;
        let r = minimize(
            &ExtendedRosenbrock { n },
            &rosenbrock_start(n),
            &LbfgsOptions::default(),
        )
        .unwrap();
        eprintln!(
            "ext. Rosenbrock n=10: {} it, {} evals, |g| = {:e}",
            r.iterations, r.evaluations, r.gradient_norm
        );
        assert_eq!(r.stop, LbfgsStop::GradientTolerance);
        assert!(
            max_abs_diff(&r.theta, &vec![1.0; n]) < 1e-8,
            "{:?}",
            r.theta
        );
    }

    #[test]
    fn badly_scaled_quadratic() {
        let q = BadlyScaledQuadratic::new(20);
        let r = minimize(&q, &[0.0; 20], &LbfgsOptions::default()).unwrap();
        eprintln!(
            "quadratic κ=1e6 n=20: {} it, {} evals, |g| = {:e}, err = {:e}",
            r.iterations,
            r.evaluations,
            r.gradient_norm,
            max_abs_diff(&r.theta, &q.xstar)
        );
        assert_eq!(r.stop, LbfgsStop::GradientTolerance);
        assert!(max_abs_diff(&r.theta, &q.xstar) < 1e-8);
    }

    #[test]
    fn budgets_stop_with_their_reason() {
        let obj = ExtendedRosenbrock { n: 2 };
        let opts = LbfgsOptions {
            max_iterations: 3,
            ..LbfgsOptions::default()
        };
        let r = minimize(&obj, &[-1.2, 1.0], &opts).unwrap();
        assert_eq!((r.stop, r.iterations), (LbfgsStop::MaxIterations, 3));
        assert!(r.value < 24.2, "f decreased from f(x0) = 24.2");
        let opts = LbfgsOptions {
            max_evaluations: 5,
            ..LbfgsOptions::default()
        };
        let r = minimize(&obj, &[-1.2, 1.0], &opts).unwrap();
        assert_eq!(r.stop, LbfgsStop::MaxEvaluations);
        assert!(r.evaluations >= 5);
    }

    #[test]
    fn bad_options_and_start_are_errors() {
        let obj = ExtendedRosenbrock { n: 2 };
        let opts = LbfgsOptions {
            memory: 0,
            ..LbfgsOptions::default()
        };
        assert!(matches!(
            minimize(&obj, &[0.0, 0.0], &opts),
            Err(LbfgsError::InvalidOption { name: "memory", .. })
        ));
        assert!(matches!(
            minimize(&obj, &[f64::NAN, 0.0], &LbfgsOptions::default()),
            Err(LbfgsError::NonFiniteStart { .. })
        ));
    }

    /// `f = Σ xᵢ − ln xᵢ` (minimiser all ones, `f* = n`), NaN where some `xᵢ < 0`;
    /// counts the evaluations that returned NaN.
    struct LogBarrier {
        nan_evaluations: std::cell::Cell<usize>,
    }

    impl Objective for LogBarrier {
        fn n_params(&self) -> usize {
            3
        }
        fn value(&self, x: &[f64]) -> f64 {
            x.iter().map(|v| v - v.ln()).sum()
        }
        fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            for (gi, xi) in g.iter_mut().zip(x) {
                *gi = 1.0 - 1.0 / xi;
            }
            let f = self.value(x);
            if f.is_nan() {
                self.nan_evaluations.set(self.nan_evaluations.get() + 1);
            }
            f
        }
    }

    #[test]
    fn nan_region_is_stepped_around() {
        for x0 in [[8.0, 0.05, 3.0], [20.0, 0.5, 0.01], [0.001, 0.002, 50.0]] {
            let obj = LogBarrier {
                nan_evaluations: std::cell::Cell::new(0),
            };
            let r = minimize(&obj, &x0, &LbfgsOptions::default()).unwrap();
            eprintln!(
                "{x0:?}: {} it, {} evals, {} NaN",
                r.iterations,
                r.evaluations,
                obj.nan_evaluations.get()
            );
            // The run did meet the NaN region (a trial step with some xᵢ < 0) ...
            assert!(obj.nan_evaluations.get() > 0);
            // ... and still converged.
            assert_eq!(r.stop, LbfgsStop::GradientTolerance);
            assert!(max_abs_diff(&r.theta, &[1.0; 3]) < 1e-8, "{:?}", r.theta);
        }
    }
}
