//! The QR path: `δ = argmin ‖Jδ + r‖² + λ‖D̃δ‖²` without forming `JᵀJ`, so the
//! conditioning seen by the solve is `κ(J)`, not `κ(J)²` — the default when pushing for
//! the last digits.
//!
//! # Math (the MINPACK `lmpar`/`qrsolv` and Ceres approach)
//! Factor once per accepted iterate `J = Q [R; 0]` (`R` is `k × P`, `k = min(N, P)`,
//! upper trapezoidal) and keep `c = (Qᵀr)[..k]`. Because `Q` is orthogonal,
//!
//! ```text
//! ‖Jδ + r‖² + λ‖D̃δ‖² = ‖Rδ + c‖² + ‖(Qᵀr)[k..]‖² + ‖√λ D̃ δ‖²,
//! ```
//!
//! and the last-but-one term does not depend on δ. So each trial only needs the
//! least-squares solution of the small stacked system `[R; √λ D̃] δ = −[c; 0]`, of size
//! `(k + P) × P`: a second QR, `Q₂ R₂`, then `R₂ δ = −(Q₂ᵀ[c; 0])[..P]`. That costs
//! `O(P³)` per trial (≈ `(10/3)P³` flops with faer's blocked Householder QR, which
//! ignores the triangular structure; MINPACK's Givens sweep exploits it for ≈ `P³` but
//! runs scalar) instead of `2NP² − (2/3)P³` for a QR of the full `[J; √λD̃]`, and the
//! `O(NP²)` factorisation of `J` is paid once per accepted iterate, not per trial.
//!
//! # References
//! J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory", 1978;
//! Ceres Solver `dense_qr_solver.cc` and `levenberg_marquardt_strategy.cc`.

use super::{AugmentedSolver, LinearSolveError, all_finite};
use crate::config::LinearSolverKind;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::householder::{
    apply_block_householder_sequence_transpose_on_the_left_in_place_scratch,
    apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj,
};
use faer::linalg::qr::no_pivoting::factor::{
    qr_in_place, qr_in_place_scratch, recommended_block_size,
};
use faer::linalg::triangular_solve::solve_upper_triangular_in_place;
use faer::{Conj, Mat, MatRef, Par};

/// QR of `J` once per iterate, then a `(k + P) × P` QR per λ. Buffers allocated once.
///
/// Every step runs sequentially: faer's parallel Householder QR rounds differently with
/// the number of threads (measured from 400 × 60 to 10 000 × 1 341), and a step must not
/// depend on the thread count.
pub struct DenseQr {
    /// `J`, overwritten by its Householder factors and `R`.
    a: Mat<f64>,
    a_coeff: Mat<f64>,
    /// `Qᵀr` (length `N`, as a column).
    qtr: Mat<f64>,
    d2: Vec<f64>,
    /// `[R; √λ D̃]`, overwritten by its own QR.
    s: Mat<f64>,
    s_coeff: Mat<f64>,
    rhs: Mat<f64>,
    mem: MemBuffer,
}

impl DenseQr {
    /// Allocates every buffer for an `n × p` Jacobian.
    pub fn new(n: usize, p: usize) -> Self {
        let par = Par::Seq;
        let k = n.min(p);
        let bs = recommended_block_size::<f64>(n, p).max(1);
        let bs2 = recommended_block_size::<f64>(k + p, p).max(1);
        let req = StackReq::any_of(&[
            qr_in_place_scratch::<f64>(n, p, bs, par, Default::default()),
            apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<f64>(
                n, bs, 1,
            ),
            qr_in_place_scratch::<f64>(k + p, p, bs2, par, Default::default()),
            apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<f64>(
                k + p,
                bs2,
                1,
            ),
        ]);
        Self {
            a: Mat::zeros(n, p),
            a_coeff: Mat::zeros(bs, k),
            qtr: Mat::zeros(n, 1),
            d2: vec![0.0; p],
            s: Mat::zeros(k + p, p),
            s_coeff: Mat::zeros(bs2, p),
            rhs: Mat::zeros(k + p, 1),
            mem: MemBuffer::new(req),
        }
    }
}

impl DenseQr {
    /// After [`AugmentedSolver::factor`]: the triangular factor `R` (`k × P`, zeros
    /// below the diagonal) and `c = (Qᵀr)[..k]`.
    pub fn triangular_factor(&self) -> (Mat<f64>, Vec<f64>) {
        let (n, p) = self.a.shape();
        let k = n.min(p);
        let r = Mat::from_fn(k, p, |i, j| if i <= j { self.a[(i, j)] } else { 0.0 });
        let c = (0..k).map(|i| self.qtr[(i, 0)]).collect();
        (r, c)
    }
}

impl AugmentedSolver for DenseQr {
    fn kind(&self) -> LinearSolverKind {
        LinearSolverKind::DenseQr
    }

    fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d2: &[f64],
    ) -> Result<(), LinearSolveError> {
        let (n, p) = self.a.shape();
        assert!(jac.nrows() == n && jac.ncols() == p && r.len() == n && d2.len() == p);
        if !all_finite(jac) || !r.iter().all(|x| x.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        let k = n.min(p);
        self.a.copy_from(jac);
        self.d2.copy_from_slice(d2);
        let stack = MemStack::new(&mut self.mem);
        qr_in_place(
            self.a.as_mut(),
            self.a_coeff.as_mut(),
            Par::Seq,
            stack,
            Default::default(),
        );
        for (i, &ri) in r.iter().enumerate() {
            self.qtr[(i, 0)] = ri;
        }
        apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
            self.a.get(.., ..k),
            self.a_coeff.as_ref(),
            Conj::No,
            self.qtr.as_mut(),
            Par::Seq,
            MemStack::new(&mut self.mem),
        );
        Ok(())
    }

    fn solve(
        &mut self,
        _jac: MatRef<'_, f64>,
        lambda: f64,
        out: &mut [f64],
    ) -> Result<(), LinearSolveError> {
        let (n, p) = self.a.shape();
        assert_eq!(out.len(), p);
        let k = n.min(p);
        // S = [R; √λ D̃], rhs = [c; 0].
        self.s.fill(0.0);
        for j in 0..p {
            for i in 0..=j.min(k.saturating_sub(1)) {
                if i < k {
                    self.s[(i, j)] = self.a[(i, j)];
                }
            }
            self.s[(k + j, j)] = (lambda * self.d2[j]).sqrt();
        }
        self.rhs.fill(0.0);
        for i in 0..k {
            self.rhs[(i, 0)] = self.qtr[(i, 0)];
        }
        qr_in_place(
            self.s.as_mut(),
            self.s_coeff.as_mut(),
            Par::Seq,
            MemStack::new(&mut self.mem),
            Default::default(),
        );
        apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
            self.s.as_ref(),
            self.s_coeff.as_ref(),
            Conj::No,
            self.rhs.as_mut(),
            Par::Seq,
            MemStack::new(&mut self.mem),
        );
        for i in 0..p {
            let d = self.s[(i, i)];
            if d == 0.0 || !d.is_finite() {
                return Err(LinearSolveError::Singular { index: i });
            }
        }
        solve_upper_triangular_in_place(self.s.get(..p, ..p), self.rhs.get_mut(..p, ..), Par::Seq);
        for (i, o) in out.iter_mut().enumerate() {
            *o = -self.rhs[(i, 0)];
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
        d2: &[f64],
    ) -> Result<f64, LinearSolveError> {
        let seed = (m * 31 + n) as u64;
        solve_known(
            LinearSolverKind::DenseQr,
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
    fn undamped_full_rank_ill_conditioned() {
        // κ(J) = 1e6: the QR path stays at ~ε·κ(J), far below the ε·κ² of normal equations.
        let res = run(60, 20, 20, 1e6, 0.0, &[1.0; 20]).unwrap();
        assert!(res < 1e-9, "{res}");
    }

    #[test]
    fn damped_rank_deficient_and_scaled() {
        let d2: Vec<f64> = (0..25).map(|i| 0.5 + i as f64).collect();
        for lambda in [1e-8, 1e-3, 1.0, 1e4] {
            let res = run(80, 25, 10, 1e3, lambda, &d2).unwrap();
            assert!(res < 1e-10, "λ={lambda}: {res}");
        }
    }

    #[test]
    fn wide_damped_and_undamped_singular() {
        // N < P: R is trapezoidal; damped works, undamped is reported singular.
        let res = run(15, 40, 15, 1e2, 1e-2, &[1.0; 40]).unwrap();
        assert!(res < 1e-10, "{res}");
        assert!(matches!(
            run(15, 40, 15, 1e2, 0.0, &[1.0; 40]),
            Err(LinearSolveError::Singular { .. })
        ));
    }

    #[test]
    fn matches_qr_of_the_full_stacked_system() {
        let (j, r) = known(50, 12, 12, 1e4, 7);
        let lambda = 0.3;
        let d2: Vec<f64> = (0..12).map(|i| 1.0 + 0.1 * i as f64).collect();
        let mut s = DenseQr::new(50, 12);
        s.factor(j.as_ref(), &r, &d2).unwrap();
        let mut x = vec![0.0; 12];
        s.solve(j.as_ref(), lambda, &mut x).unwrap();
        // Independent reference: faer's QR least squares on [J; √λD̃] δ = −[r; 0].
        let big = Mat::from_fn(62, 12, |i, c| {
            if i < 50 {
                j[(i, c)]
            } else if i - 50 == c {
                (lambda * d2[c]).sqrt()
            } else {
                0.0
            }
        });
        let rhs = Mat::from_fn(62, 1, |i, _| if i < 50 { -r[i] } else { 0.0 });
        use faer::linalg::solvers::SolveLstsq;
        let reference = big.qr().solve_lstsq(&rhs);
        for i in 0..12 {
            assert!(
                (x[i] - reference[(i, 0)]).abs() <= 1e-10 * reference.norm_l2(),
                "{i}"
            );
        }
    }

    #[test]
    fn non_finite_input_is_an_error() {
        let (mut j, r) = known(10, 4, 4, 10.0, 1);
        j[(3, 2)] = f64::NAN;
        let mut s = DenseQr::new(10, 4);
        assert_eq!(
            s.factor(j.as_ref(), &r, &[1.0; 4]),
            Err(LinearSolveError::NonFinite)
        );
    }
}
