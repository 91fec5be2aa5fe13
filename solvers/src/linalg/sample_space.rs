//! The sample-space (Woodbury) path for `N < P`.
//!
//! # Math
//! With `D̃ = I`, `(JᵀJ + λI) δ = −Jᵀr` has the solution `δ = −Jᵀ y`,
//! `(J Jᵀ + λI) y = r`: substitute and use `Jᵀ(JJᵀ + λI) = (JᵀJ + λI)Jᵀ`. The matrices
//! are `N × N`, so a trial costs `N³/3 + 2NP` instead of `P³/3` (Guzmán-Cordero et al.,
//! 2025, for ENGD; the same identity serves LM). At `λ = 0` with full row rank it gives
//! the minimum-norm Gauss–Newton step `−J⁺r`.

use super::normal_cholesky::llt_solve;
use super::{AugmentedSolver, LinearSolveError, all_finite};
use crate::config::LinearSolverKind;
use faer::dyn_stack::{MemBuffer, StackReq};
use faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as tri_matmul};
use faer::{Accum, Mat, MatRef, Par};

/// Sample-space solver; requires `D̃ = I` (checked by config validation).
pub struct SampleSpace {
    par: Par,
    /// `J Jᵀ`, lower triangle.
    k: Mat<f64>,
    r: Mat<f64>,
    h: Mat<f64>,
    y: Mat<f64>,
    x: Mat<f64>,
    mem: MemBuffer,
}

impl SampleSpace {
    /// Allocates every buffer for an `n × p` Jacobian.
    pub fn new(n: usize, p: usize, par: Par) -> Self {
        Self {
            par,
            k: Mat::zeros(n, n),
            r: Mat::zeros(n, 1),
            h: Mat::zeros(n, n),
            y: Mat::zeros(n, 1),
            x: Mat::zeros(p, 1),
            mem: MemBuffer::new(StackReq::any_of(&[cholesky_in_place_scratch::<f64>(
                n,
                par,
                Default::default(),
            )])),
        }
    }
}

/// `J Jᵀ` into the lower triangle of `k`.
pub(crate) fn outer_gram_lower(k: faer::MatMut<'_, f64>, jac: MatRef<'_, f64>, par: Par) {
    tri_matmul(
        k,
        BlockStructure::TriangularLower,
        Accum::Replace,
        jac,
        BlockStructure::Rectangular,
        jac.transpose(),
        BlockStructure::Rectangular,
        1.0,
        par,
    );
}

impl AugmentedSolver for SampleSpace {
    fn kind(&self) -> LinearSolverKind {
        LinearSolverKind::SampleSpace
    }

    fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d2: &[f64],
    ) -> Result<(), LinearSolveError> {
        let n = self.k.nrows();
        assert!(jac.nrows() == n && r.len() == n && d2.len() == jac.ncols());
        assert!(
            d2.iter().all(|&d| d == 1.0),
            "the sample-space solver needs D̃ = I"
        );
        if !all_finite(jac) || !r.iter().all(|x| x.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        outer_gram_lower(self.k.as_mut(), jac, self.par);
        for (i, &ri) in r.iter().enumerate() {
            self.r[(i, 0)] = ri;
        }
        Ok(())
    }

    fn solve(
        &mut self,
        jac: MatRef<'_, f64>,
        lambda: f64,
        out: &mut [f64],
    ) -> Result<(), LinearSolveError> {
        let n = self.k.nrows();
        self.h.copy_from(&self.k);
        for i in 0..n {
            self.h[(i, i)] += lambda;
        }
        self.y.copy_from(&self.r);
        llt_solve(self.h.as_mut(), self.y.as_mut(), self.par, &mut self.mem)?;
        matmul(
            self.x.as_mut(),
            Accum::Replace,
            jac.transpose(),
            self.y.as_ref(),
            -1.0,
            self.par,
        );
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.x[(i, 0)];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_matrices::{known, solve_known};
    use super::*;

    fn run(
        m: usize,
        n: usize,
        rank: usize,
        cond: f64,
        lambda: f64,
    ) -> Result<(f64, Vec<f64>), LinearSolveError> {
        let seed = (m * 13 + n) as u64;
        solve_known(
            LinearSolverKind::SampleSpace,
            m,
            n,
            rank,
            cond,
            seed,
            lambda,
            &vec![1.0; n],
        )
    }

    #[test]
    fn damped_wide_and_rank_deficient() {
        for lambda in [1e-6, 1e-2, 1.0, 1e3] {
            let (res, _) = run(20, 60, 8, 1e2, lambda).unwrap();
            let kappa = (1.0 + lambda) / lambda;
            assert!(
                res < 100.0 * f64::EPSILON * kappa.max(1.0),
                "λ={lambda}: {res}"
            );
        }
    }

    #[test]
    fn undamped_full_row_rank_is_minimum_norm() {
        let kappa: f64 = 1e3;
        let (res, x) = run(20, 60, 20, kappa, 0.0).unwrap();
        assert!(res < 100.0 * f64::EPSILON * kappa * kappa, "{res}");
        // The minimum-norm solution is orthogonal to the null space of J: compare with
        // the SVD pseudo-inverse, an independent reference.
        let (j, r) = known(20, 60, 20, kappa, (20 * 13 + 60) as u64);
        let svd = j.thin_svd().unwrap();
        let (u, s, v) = (svd.U(), svd.S(), svd.V());
        let mut reference = vec![0.0; 60];
        for k in 0..20 {
            let c: f64 = (0..20).map(|i| u[(i, k)] * r[i]).sum::<f64>() / s[k];
            for (p, rp) in reference.iter_mut().enumerate() {
                *rp -= v[(p, k)] * c;
            }
        }
        let scale = reference.iter().map(|v| v * v).sum::<f64>().sqrt();
        for p in 0..60 {
            assert!((x[p] - reference[p]).abs() < 1e-8 * scale, "{p}");
        }
    }
}
