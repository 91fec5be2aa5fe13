//! Linear solvers behind one contract, the augmented system of Ceres's
//! `LinearSolver::PerSolveOptions::D`, so that every solver answers the same question:
//!
//! ```text
//!     δ = argmin_δ ‖Jδ + r‖² + λ‖D̃δ‖²   ⇔   (JᵀJ + λD̃²) δ = −Jᵀr.
//! ```
//!
//! `factor` does, once per accepted iterate, everything that does not depend on λ
//! (QR of `J`, `JᵀJ`, `J Jᵀ`); `solve` does the per-trial work for one λ. Failures are
//! typed ([`LinearSolveError`]); the loop turns them into invalid, counted trials.

pub mod cg;
pub mod dense_qr;
pub mod dense_svd;
pub mod fixed_order;
pub mod normal_cholesky;
pub mod nystrom;
pub mod pinv;
pub mod sample_space;
pub mod sketch;
pub mod sketched_svd;
pub mod spectral_solve;
pub mod tsqr;

use crate::config::{LinearSolverKind, Scaling};
use faer::{MatRef, Par};

pub use dense_qr::DenseQr;
pub use dense_svd::DenseSvd;
pub use normal_cholesky::{NormalCholesky, gram_lower};
pub use sample_space::SampleSpace;
pub use sketched_svd::{SketchParams, SketchedSvd};

/// A data-dependent failure of a linear solve (never a panic).
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum LinearSolveError {
    /// Cholesky met a non-positive pivot: the damped matrix is not numerically SPD.
    /// Raise λ (the loop does) or use the QR solver.
    #[error(
        "Cholesky factorisation failed at pivot {pivot}: matrix not numerically positive definite; raise λ or use dense_qr"
    )]
    NotPositiveDefinite {
        /// Index of the failing pivot.
        pivot: usize,
    },
    /// A triangular factor has a zero or non-finite diagonal entry: the undamped
    /// system is rank deficient.
    #[error("triangular factor singular at diagonal entry {index}: J is rank deficient and λ = 0")]
    Singular {
        /// Index of the zero diagonal entry.
        index: usize,
    },
    /// `J` or `r` contains NaN or ±∞.
    #[error("the Jacobian or residual vector contains non-finite entries")]
    NonFinite,
    /// An eigendecomposition did not converge.
    #[error("the eigendecomposition did not converge")]
    EigenNoConvergence,
    /// CG broke down (non-positive curvature or non-finite values).
    #[error(
        "conjugate gradients broke down at iteration {iteration}: the damped Gauss–Newton operator is not numerically positive definite"
    )]
    CgBreakdown {
        /// CG iteration of the breakdown.
        iteration: usize,
    },
}

/// The augmented-system contract shared by the dense linear solvers.
pub trait AugmentedSolver {
    /// Which solver this is (reported as "used" in the summary).
    fn kind(&self) -> LinearSolverKind;
    /// Once per accepted iterate: everything independent of λ. `d2` is `diag(D̃²)`.
    ///
    /// # Errors
    /// [`LinearSolveError::NonFinite`] for non-finite input.
    fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d2: &[f64],
    ) -> Result<(), LinearSolveError>;
    /// Per trial: writes `δ = argmin ‖Jδ + r‖² + λ‖D̃δ‖²` into `out`. `jac` is the same
    /// matrix given to `factor`.
    ///
    /// # Errors
    /// Factorisation failure for this λ.
    fn solve(
        &mut self,
        jac: MatRef<'_, f64>,
        lambda: f64,
        out: &mut [f64],
    ) -> Result<(), LinearSolveError>;
    /// The λ ≥ 0 whose step has `‖D̃δ‖ = radius` (0 when the undamped step is shorter),
    /// when the factorisation gives it cheaply; `None` otherwise (the default).
    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        let _ = radius;
        None
    }
}

/// Resolves [`LinearSolverKind::Auto`] (lineax `AutoLinearSolver.select_solver` style):
/// sample space when `N < P` and `D̃ = I` (its matrices are `N × N`), otherwise the
/// normal-equations Cholesky (cheapest dense path: `NP²` for `JᵀJ` on one triangle).
pub fn select(
    kind: LinearSolverKind,
    n_residuals: usize,
    n_params: usize,
    scaling: Scaling,
) -> LinearSolverKind {
    match kind {
        LinearSolverKind::Auto => {
            if n_residuals < n_params && scaling == Scaling::Identity {
                LinearSolverKind::SampleSpace
            } else {
                LinearSolverKind::NormalCholesky
            }
        }
        k => k,
    }
}

/// Builds the (already selected, non-`Auto`) solver with its buffers allocated once.
/// The sketched solver gets the default sketch sizes here; `gn_probe` builds its own
/// from `probe.sketch`.
pub fn build(
    kind: LinearSolverKind,
    n_residuals: usize,
    n_params: usize,
    par: Par,
) -> Box<dyn AugmentedSolver + Send> {
    match kind {
        LinearSolverKind::DenseQr => Box::new(DenseQr::new(n_residuals, n_params)),
        LinearSolverKind::DenseSvd => Box::new(DenseSvd::new(n_residuals, n_params, par)),
        LinearSolverKind::SampleSpace => Box::new(SampleSpace::new(n_residuals, n_params, par)),
        LinearSolverKind::SketchedSvd => Box::new(SketchedSvd::new(
            n_residuals,
            n_params,
            SketchParams::default(),
            par,
        )),
        LinearSolverKind::NormalCholesky | LinearSolverKind::Auto => {
            Box::new(NormalCholesky::new(n_residuals, n_params, par))
        }
    }
}

/// `true` when every entry of `m` is finite.
pub(crate) fn all_finite(m: MatRef<'_, f64>) -> bool {
    (0..m.ncols()).all(|j| (0..m.nrows()).all(|i| m[(i, j)].is_finite()))
}

#[cfg(test)]
pub(crate) mod test_matrices {
    //! Seeded matrices of known rank and condition: `J = U Σ Vᵀ` with random
    //! orthonormal `U`, `V` (QR of Gaussian matrices) and chosen singular values.
    use faer::Mat;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn gaussian(rng: &mut StdRng, m: usize, n: usize) -> Mat<f64> {
        Mat::from_fn(m, n, |_, _| {
            // Box–Muller, enough for test matrices.
            let u1: f64 = rng.random::<f64>().max(1e-300);
            let u2: f64 = rng.random();
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
    }

    /// An `m × n` matrix with `rank` singular values log-spaced from 1 down to `1/cond`
    /// (the rest exactly zero), and a seeded random vector of length `m`.
    pub fn known(m: usize, n: usize, rank: usize, cond: f64, seed: u64) -> (Mat<f64>, Vec<f64>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let u = gaussian(&mut rng, m, rank).qr().compute_thin_Q();
        let v = gaussian(&mut rng, n, rank).qr().compute_thin_Q();
        let s = Mat::from_fn(rank, rank, |i, j| {
            if i == j {
                if rank == 1 {
                    1.0
                } else {
                    cond.powf(-(i as f64) / (rank as f64 - 1.0))
                }
            } else {
                0.0
            }
        });
        let j = &u * &s * v.transpose();
        let r = (0..m).map(|_| rng.random::<f64>() - 0.5).collect();
        (j, r)
    }

    /// Factors and solves the seeded [`known`] system `(m, n, rank, cond, seed)` with the
    /// solver of `kind` (one thread); returns the normal-equations residual
    /// ([`normal_residual`]) and the solution. Shared by every solver's tests.
    #[allow(clippy::too_many_arguments)]
    pub fn solve_known(
        kind: super::LinearSolverKind,
        m: usize,
        n: usize,
        rank: usize,
        cond: f64,
        seed: u64,
        lambda: f64,
        d2: &[f64],
    ) -> Result<(f64, Vec<f64>), super::LinearSolveError> {
        let (j, r) = known(m, n, rank, cond, seed);
        let mut s = super::build(kind, m, n, faer::Par::Seq);
        s.factor(j.as_ref(), &r, d2)?;
        let mut x = vec![f64::NAN; n];
        s.solve(j.as_ref(), lambda, &mut x)?;
        Ok((normal_residual(&j, &r, d2, lambda, &x), x))
    }

    /// `‖(JᵀJ + λD̃²)x + Jᵀr‖ / ‖Jᵀr‖`, formed in a way independent of the solvers.
    pub fn normal_residual(j: &Mat<f64>, r: &[f64], d2: &[f64], lambda: f64, x: &[f64]) -> f64 {
        let xm = Mat::from_fn(x.len(), 1, |i, _| x[i]);
        let rm = Mat::from_fn(r.len(), 1, |i, _| r[i]);
        let g = j.transpose() * &rm;
        let mut res = j.transpose() * (j * &xm) + &g;
        for i in 0..x.len() {
            res[(i, 0)] += lambda * d2[i] * x[i];
        }
        res.norm_l2() / g.norm_l2()
    }
}
