//! The normal-equations path: Cholesky of `JᵀJ + λD̃²`.
//!
//! # Math
//! `(JᵀJ + λD̃²) δ = −Jᵀr`. Once per accepted iterate, `G = JᵀJ` is formed on its lower
//! triangle only (faer's triangular `matmul` with `BlockStructure::TriangularLower`,
//! `NP²` flops instead of `2NP²`) and `g = Jᵀr`; per trial the lower triangle is copied,
//! `λD̃²` added to the diagonal and factored with `LLᵀ` (`P³/3` flops). Squaring `J`
//! squares its condition number, so the attainable accuracy is ~`ε κ(J)²`: use
//! [`super::DenseQr`] for the last digits. A non-positive pivot is a typed error; the
//! loop rejects the trial as invalid and raises λ (Ceres
//! `dense_normal_cholesky_solver.cc`).

use super::{AugmentedSolver, LinearSolveError, all_finite};
use crate::config::LinearSolverKind;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{LltError, cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::cholesky::llt::solve::solve_in_place_with_conj;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as tri_matmul};
use faer::{Accum, Conj, Mat, MatRef, Par};

/// Normal-equations Cholesky with buffers allocated once.
pub struct NormalCholesky {
    par: Par,
    /// `JᵀJ`, lower triangle.
    g: Mat<f64>,
    /// `Jᵀr`.
    grad: Mat<f64>,
    d2: Vec<f64>,
    /// Per-trial copy of `G + λD̃²`, then its Cholesky factor.
    h: Mat<f64>,
    x: Mat<f64>,
    mem: MemBuffer,
}

impl NormalCholesky {
    /// Allocates every buffer for an `n × p` Jacobian.
    pub fn new(_n: usize, p: usize, par: Par) -> Self {
        let req = StackReq::any_of(&[cholesky_in_place_scratch::<f64>(p, par, Default::default())]);
        Self {
            par,
            g: Mat::zeros(p, p),
            grad: Mat::zeros(p, 1),
            d2: vec![0.0; p],
            h: Mat::zeros(p, p),
            x: Mat::zeros(p, 1),
            mem: MemBuffer::new(req),
        }
    }

    /// `Jᵀr` from the last `factor` (the gradient of `½‖r‖²`).
    pub fn gradient(&self) -> MatRef<'_, f64> {
        self.grad.as_ref()
    }
}

/// `JᵀJ` into the lower triangle of `g` (the strict upper triangle is left untouched).
///
/// Below [`crate::driver::SEQUENTIAL_DENSE_WORK`] multiply-adds (`N·P²`) the triangle is
/// cut at column `c ≈ (1 − 1/√2) P` into two parts of equal work, computed side by side
/// (`rayon::join`) by sequential products: `[G₀₀; G₁₀] = [J₀ᵀJ₀ (lower); J₁ᵀJ₀]` and
/// `G₁₁ = J₁ᵀJ₁` (lower), `J = [J₀ J₁]`. faer's own parallel product spends more than it
/// saves at such sizes (0.45 ms of CPU for 0.24 ms of wall time at 900 × 129, against
/// 0.27 ms on one thread). The cut depends on the shape only, so the bits do not depend
/// on the number of threads. Larger products go to faer with `par`.
pub fn gram_lower(g: faer::MatMut<'_, f64>, jac: MatRef<'_, f64>, par: Par) {
    let (n, p) = jac.shape();
    if p >= GRAM_SPLIT_MIN_P
        && n.saturating_mul(p).saturating_mul(p) < crate::driver::SEQUENTIAL_DENSE_WORK
    {
        return gram_lower_halves(g, jac);
    }
    tri_lower_product(g, jac, par);
}

/// Columns below which [`gram_lower`] does not split the triangle.
const GRAM_SPLIT_MIN_P: usize = 32;

/// The two halves of [`gram_lower`]'s split, side by side.
fn gram_lower_halves(g: faer::MatMut<'_, f64>, jac: MatRef<'_, f64>) {
    let p = jac.ncols();
    let c = ((p as f64) * (1.0 - std::f64::consts::FRAC_1_SQRT_2)).round() as usize;
    let (j0, j1) = (jac.subcols(0, c), jac.subcols(c, p - c));
    let (left, right) = g.split_at_col_mut(c);
    let (g00, g10) = left.split_at_row_mut(c);
    let (_, g11) = right.split_at_row_mut(c);
    rayon::join(
        || {
            tri_lower_product(g00, j0, Par::Seq);
            matmul(g10, Accum::Replace, j1.transpose(), j0, 1.0, Par::Seq);
        },
        || tri_lower_product(g11, j1, Par::Seq),
    );
}

/// faer's lower-triangular `AᵀA`.
fn tri_lower_product(g: faer::MatMut<'_, f64>, jac: MatRef<'_, f64>, par: Par) {
    tri_matmul(
        g,
        BlockStructure::TriangularLower,
        Accum::Replace,
        jac.transpose(),
        BlockStructure::Rectangular,
        jac,
        BlockStructure::Rectangular,
        1.0,
        par,
    );
}

/// `LLᵀ` of `h` in place (lower triangle), then `x ← (LLᵀ)⁻¹ x`.
///
/// The factorisation runs on `par` (faer's blocked Cholesky partitions its output, so its
/// bits do not depend on the thread count); the two triangular solves run sequentially:
/// with one right-hand side faer splits their inner sums between threads, and they cost
/// `O(P²)` next to the factorisation's `O(P³)`.
pub(crate) fn llt_solve(
    h: faer::MatMut<'_, f64>,
    x: faer::MatMut<'_, f64>,
    par: Par,
    mem: &mut MemBuffer,
) -> Result<(), LinearSolveError> {
    let mut h = h;
    cholesky_in_place(
        h.as_mut(),
        Default::default(),
        par,
        MemStack::new(mem),
        Default::default(),
    )
    .map_err(|e| match e {
        LltError::NonPositivePivot { index } => {
            LinearSolveError::NotPositiveDefinite { pivot: index }
        }
    })?;
    solve_in_place_with_conj(h.as_ref(), Conj::No, x, Par::Seq, MemStack::new(mem));
    Ok(())
}

impl AugmentedSolver for NormalCholesky {
    fn kind(&self) -> LinearSolverKind {
        LinearSolverKind::NormalCholesky
    }

    fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d2: &[f64],
    ) -> Result<(), LinearSolveError> {
        let p = self.g.nrows();
        assert!(jac.ncols() == p && jac.nrows() == r.len() && d2.len() == p);
        if !all_finite(jac) || !r.iter().all(|x| x.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        gram_lower(self.g.as_mut(), jac, self.par);
        let rm = MatRef::from_column_major_slice(r, r.len(), 1);
        matmul(
            self.grad.as_mut(),
            Accum::Replace,
            jac.transpose(),
            rm,
            1.0,
            self.par,
        );
        self.d2.copy_from_slice(d2);
        Ok(())
    }

    fn solve(
        &mut self,
        _jac: MatRef<'_, f64>,
        lambda: f64,
        out: &mut [f64],
    ) -> Result<(), LinearSolveError> {
        let p = self.g.nrows();
        assert_eq!(out.len(), p);
        self.h.copy_from(&self.g);
        for i in 0..p {
            self.h[(i, i)] += lambda * self.d2[i];
        }
        for i in 0..p {
            self.x[(i, 0)] = -self.grad[(i, 0)];
        }
        llt_solve(self.h.as_mut(), self.x.as_mut(), self.par, &mut self.mem)?;
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

    /// The split `JᵀJ` (at sizes below the sequential bound) against a plain triple loop,
    /// the strict upper triangle untouched, the same bits on one and two threads.
    #[test]
    fn gram_lower_split_is_the_lower_triangle_of_jtj() {
        for (n, p) in [(50, 40), (97, 33), (20, 64)] {
            let jac = Mat::from_fn(n, p, |i, j| ((i * 31 + j * 17) % 13) as f64 / 7.0 - 0.9);
            let run = |threads: usize| {
                let mut g = Mat::from_fn(p, p, |_, _| f64::NAN);
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("pool");
                pool.install(|| gram_lower(g.as_mut(), jac.as_ref(), Par::Seq));
                g
            };
            let g = run(1);
            for i in 0..p {
                for j in 0..p {
                    if j > i {
                        assert!(g[(i, j)].is_nan(), "({i}, {j}) is above the diagonal");
                        continue;
                    }
                    let want: f64 = (0..n).map(|k| jac[(k, i)] * jac[(k, j)]).sum();
                    let err = (g[(i, j)] - want).abs();
                    assert!(err <= 1e-13 * want.abs().max(1.0), "({i}, {j}): {err:e}");
                }
            }
            let g2 = run(2);
            for i in 0..p {
                for j in 0..=i {
                    assert_eq!(g[(i, j)].to_bits(), g2[(i, j)].to_bits(), "({i}, {j})");
                }
            }
        }
    }

    fn run(
        m: usize,
        n: usize,
        rank: usize,
        cond: f64,
        lambda: f64,
        d2: &[f64],
    ) -> Result<f64, LinearSolveError> {
        let seed = (m * 17 + n) as u64;
        solve_known(
            LinearSolverKind::NormalCholesky,
            m,
            n,
            rank,
            cond,
            seed,
            lambda,
            d2,
        )
        .map(|(res, _)| res)
    }

    #[test]
    fn undamped_full_rank_bound_scaled_by_condition() {
        // Backward stable Cholesky on JᵀJ: relative residual ≲ c·ε·κ(J)² ... measured
        // against ‖Jᵀr‖; κ(J) = 1e3 gives a bound of ~1e-16·1e6.
        let kappa: f64 = 1e3;
        let res = run(70, 30, 30, kappa, 0.0, &[1.0; 30]).unwrap();
        assert!(res < 100.0 * f64::EPSILON * kappa * kappa, "{res}");
    }

    #[test]
    fn damped_rank_deficient_and_scaled() {
        let d2: Vec<f64> = (0..25).map(|i| 0.5 + i as f64).collect();
        for lambda in [1e-6, 1e-2, 1.0, 1e4] {
            let res = run(80, 25, 10, 1e3, lambda, &d2).unwrap();
            // κ(JᵀJ + λD̃²) ≤ (1 + λ·25)/(λ·0.5); the bound scales with it.
            let kappa = (1.0 + lambda * 25.0) / (lambda * 0.5);
            assert!(
                res < 100.0 * f64::EPSILON * kappa.max(1.0),
                "λ={lambda}: {res}"
            );
        }
    }

    #[test]
    fn undamped_rank_deficient_fails_with_typed_error() {
        let (j, r) = known(40, 12, 5, 10.0, 3);
        let mut s = NormalCholesky::new(40, 12, Par::Seq);
        s.factor(j.as_ref(), &r, &[1.0; 12]).unwrap();
        let mut x = vec![0.0; 12];
        // JᵀJ has 7 zero eigenvalues: factorisation either fails or (from rounding)
        // produces a useless, huge step; both are caught — the former as a typed error.
        match s.solve(j.as_ref(), 0.0, &mut x) {
            Err(LinearSolveError::NotPositiveDefinite { .. }) => {}
            Ok(()) => assert!(
                x.iter().map(|v| v.abs()).fold(0.0, f64::max) > 1e6
                    || x.iter().any(|v| !v.is_finite())
            ),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn agrees_with_qr_on_well_conditioned() {
        let (j, r) = known(50, 10, 10, 10.0, 11);
        let d2 = [1.0; 10];
        let mut a = NormalCholesky::new(50, 10, Par::Seq);
        let mut b = super::super::DenseQr::new(50, 10);
        a.factor(j.as_ref(), &r, &d2).unwrap();
        b.factor(j.as_ref(), &r, &d2).unwrap();
        let (mut x, mut y) = (vec![0.0; 10], vec![0.0; 10]);
        a.solve(j.as_ref(), 0.1, &mut x).unwrap();
        b.solve(j.as_ref(), 0.1, &mut y).unwrap();
        for i in 0..10 {
            assert!((x[i] - y[i]).abs() < 1e-12, "{i}: {} vs {}", x[i], y[i]);
        }
    }
}
