//! The spectral path: one orthogonal factorisation per accepted iterate, after which a
//! damped Gauss–Newton step for any λ, and the λ that puts the step on a trust-region
//! boundary of any radius, cost `O(P²)` and `O(P)` respectively. A step control that
//! tries many radii per iteration (a window of probes) needs exactly this.
//!
//! # Math
//! With the scaled Jacobian `Ĵ = J D̃⁻¹` and the scaled step `δ̃ = D̃δ`, factor
//! `Ĵ = Q R` (thin Householder QR, in row blocks on several threads for a large `Ĵ`:
//! [`super::tsqr`]; `R` is `P × P` when `N ≥ P`) and `R = U S Vᵀ` (SVD
//! of the small factor, so the conditioning seen is `κ(J)`, never `κ(J)²`). With
//! `c = Uᵀ Qᵀ r`,
//!
//! ```text
//! δ̃(λ) = argmin ‖Ĵδ̃ + r‖² + λ‖δ̃‖² = −V diag(sᵢ/(sᵢ² + λ)) c,
//! ‖δ̃(λ)‖² = Σ sᵢ² cᵢ² / (sᵢ² + λ)².
//! ```
//!
//! The λ with `‖δ̃(λ)‖ = Δ` solves the secular equation `φ(λ) = 1/‖δ̃(λ)‖ − 1/Δ = 0`;
//! `φ` is concave and increasing in λ up to sign, so Newton's method started at λ = 0
//! (left of the root) increases monotonically to it without overshooting (Moré &
//! Sorensen, "Computing a trust region step", SIAM J. Sci. Stat. Comput. 4, 1983).
//! Singular values below `P·ε·s_max` are treated as zero (their components of δ̃ are
//! 0), so λ = 0 gives the minimum-norm Gauss–Newton step.
//!
//! Used for PINNs with a sketched core in place of `R` by Webb, Jerad & Cartis,
//! "Sketched Gauss–Newton with a target reduction ratio" (arXiv 2607.02194, 2026); here
//! unsketched.

use super::tsqr::{self, BlockedQr};
use super::{AugmentedSolver, LinearSolveError, fixed_order};
use crate::config::LinearSolverKind;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
use faer::{Mat, MatRef, Par};

/// `Ĵ = QR`, `R = USVᵀ`, and `c = UᵀQᵀr`, once per iterate.
pub struct DenseSvd {
    par: Par,
    /// The Householder QR of `Ĵ` in row blocks (it applies `Qᵀ` to r without forming
    /// Q); the blocks run in parallel.
    qr: BlockedQr,
    /// `D̃⁻¹` (1 where `D̃` is zero or not finite).
    d_inv: Vec<f64>,
    /// `V` (`P × k`).
    v: Mat<f64>,
    /// `R` (`k × P`) and `(Qᵀr)[..k]`, copied out of the QR.
    r_factor: Mat<f64>,
    qtr: Vec<f64>,
    /// `U` (`k × k`), the raw singular values and faer's SVD workspace. Every buffer is
    /// allocated once: freeing and reallocating tens of megabytes per iterate lets
    /// glibc's heap fragment (measured: +17 % peak memory at 10 050 × 1 361).
    u: Mat<f64>,
    sv: faer::diag::Diag<f64>,
    svd_mem: MemBuffer,
    /// The singular values, zeroed below the rank cutoff.
    s: Vec<f64>,
    /// `c = UᵀQᵀr`.
    c: Vec<f64>,
    /// Scratch: `δ̃` in the spectral basis.
    coeff: Mat<f64>,
}

/// Newton iterations on the secular equation before giving up.
const SECULAR_MAX_ITERATIONS: usize = 100;
/// Relative accuracy of `‖δ̃(λ)‖ = Δ` at which the secular Newton iteration stops.
const SECULAR_TOLERANCE: f64 = 1e-12;

impl DenseSvd {
    /// Buffers for an `n × p` Jacobian, the SVD's included.
    pub fn new(n: usize, p: usize, par: Par) -> Self {
        let k = n.min(p);
        Self {
            par,
            qr: BlockedQr::new(n, p),
            d_inv: vec![1.0; p],
            v: Mat::zeros(p, k),
            r_factor: Mat::zeros(k, p),
            qtr: vec![0.0; k],
            u: Mat::zeros(k, k),
            sv: faer::diag::Diag::zeros(k),
            svd_mem: MemBuffer::new(svd_scratch::<f64>(
                k,
                p,
                ComputeSvdVectors::Thin,
                ComputeSvdVectors::Thin,
                Par::Seq,
                Default::default(),
            )),
            s: Vec::new(),
            c: Vec::new(),
            coeff: Mat::zeros(0, 1),
        }
    }

    /// The bytes a solver for an `n × p` Jacobian holds at its peak: the QR's scaled
    /// copy of `J`, Householder factors and scratch ([`tsqr::bytes`]), then, during the
    /// SVD, the copy of `R`, `U`, `V` and faer's SVD workspace (it copies `R` again
    /// and holds its bidiagonalisation).
    pub fn bytes(n: usize, p: usize) -> usize {
        let k = n.min(p);
        let m = k;
        let svd = svd_scratch::<f64>(
            k,
            p,
            ComputeSvdVectors::Thin,
            ComputeSvdVectors::Thin,
            Par::Seq,
            Default::default(),
        )
        .size_bytes();
        tsqr::bytes(n, p, tsqr::block_count(n, p)) + 8 * (k * p + k * m + p * m + 3 * m) + svd
    }

    /// The singular values of `J D̃⁻¹` after the cutoff, largest first.
    pub fn singular_values(&self) -> &[f64] {
        &self.s
    }

    /// `‖δ̃(λ)‖²` and `Σ sᵢ²cᵢ²/(sᵢ² + λ)³`.
    fn norm_and_slope(&self, lambda: f64) -> (f64, f64) {
        let (mut n2, mut q) = (0.0, 0.0);
        for (s, c) in self.s.iter().zip(&self.c) {
            if *s > 0.0 {
                let d = s * s + lambda;
                let w = (s * c) * (s * c) / (d * d);
                n2 += w;
                q += w / d;
            }
        }
        (n2, q)
    }

    /// The model decrease `½‖r‖² − ½‖Ĵδ̃(λ) + r‖² = ½ Σ cᵢ² sᵢ² (sᵢ² + 2λ)/(sᵢ² + λ)²`
    /// (each term is positive: no cancellation), 0 before a factorisation.
    pub fn model_decrease(&self, lambda: f64) -> f64 {
        let mut sum = 0.0;
        for (s, c) in self.s.iter().zip(&self.c) {
            if *s > 0.0 {
                let s2 = s * s;
                let d = s2 + lambda;
                sum += c * c * s2 * (s2 + 2.0 * lambda) / (d * d);
            }
        }
        0.5 * sum
    }

    /// The damping λ ≥ 0 whose step has scaled norm `radius` (0 when the Gauss–Newton
    /// step is already inside), or `None` before a factorisation or for a radius that
    /// is not positive and finite.
    pub fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        if !(radius.is_finite() && radius > 0.0) || self.s.is_empty() {
            return None;
        }
        let mut lambda = 0.0;
        let (n2, _) = self.norm_and_slope(0.0);
        if n2.sqrt() <= radius {
            return Some(0.0);
        }
        for _ in 0..SECULAR_MAX_ITERATIONS {
            let (n2, q) = self.norm_and_slope(lambda);
            let n = n2.sqrt();
            if (n - radius).abs() <= SECULAR_TOLERANCE * radius || q <= 0.0 {
                break;
            }
            // Newton on φ(λ) = 1/n(λ) − 1/Δ: φ' = q/n³.
            let next = lambda + n2 * (n / radius - 1.0) / q;
            if !next.is_finite() || next <= lambda {
                break;
            }
            lambda = next;
        }
        Some(lambda)
    }
}

impl AugmentedSolver for DenseSvd {
    fn kind(&self) -> LinearSolverKind {
        LinearSolverKind::DenseSvd
    }

    fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d2: &[f64],
    ) -> Result<(), LinearSolveError> {
        for (di, d) in self.d_inv.iter_mut().zip(d2) {
            let root = d.sqrt();
            *di = if root.is_finite() && root > 0.0 {
                1.0 / root
            } else {
                1.0
            };
        }
        // Checks finiteness, factors Ĵ = QR (its scaled copy, in place) and forms Qᵀr.
        self.qr.factor(jac, r, &self.d_inv, self.par)?;
        self.qr
            .triangular_factor_into(&mut self.r_factor, &mut self.qtr);
        // A sequential SVD: faer's parallel one rounds differently with the thread count.
        let (k, p) = self.r_factor.shape();
        let m = k.min(p);
        let (sv, u) = (&mut self.sv, &mut self.u);
        if svd(
            self.r_factor.as_ref(),
            sv.as_mut(),
            Some(u.as_mut()),
            Some(self.v.as_mut()),
            Par::Seq,
            MemStack::new(&mut self.svd_mem),
            Default::default(),
        )
        .is_err()
        {
            // V is overwritten: the previous factorisation is gone too.
            self.s.clear();
            self.c.clear();
            return Err(LinearSolveError::EigenNoConvergence);
        }
        let (sv, u, qtr) = (&self.sv, &self.u, &self.qtr);
        let s_max = (0..m).map(|i| sv[i]).fold(0.0_f64, f64::max);
        let cutoff = p as f64 * f64::EPSILON * s_max;
        self.s = (0..m)
            .map(|i| if sv[i] > cutoff { sv[i] } else { 0.0 })
            .collect();
        // c = Uᵀ(Qᵀr)[..k], one dot product per column of U.
        self.c = (0..m)
            .map(|j| (0..k).map(|i| u[(i, j)] * qtr[i]).sum())
            .collect();
        self.coeff = Mat::zeros(m, 1);
        if !self.s.iter().chain(&self.c).all(|x| x.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        Ok(())
    }

    fn solve(
        &mut self,
        _jac: MatRef<'_, f64>,
        lambda: f64,
        out: &mut [f64],
    ) -> Result<(), LinearSolveError> {
        for (i, (s, c)) in self.s.iter().zip(&self.c).enumerate() {
            self.coeff[(i, 0)] = if *s > 0.0 {
                -s * c / (s * s + lambda)
            } else {
                0.0
            };
        }
        let coeff: Vec<f64> = (0..self.coeff.nrows())
            .map(|i| self.coeff[(i, 0)])
            .collect();
        fixed_order::mat_vec(out, self.v.as_ref(), &coeff, 1.0, self.par);
        for (o, d) in out.iter_mut().zip(&self.d_inv) {
            *o *= d;
        }
        if out.iter().all(|x| x.is_finite()) {
            Ok(())
        } else {
            Err(LinearSolveError::NonFinite)
        }
    }

    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        DenseSvd::damping_for_radius(self, radius)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::DenseQr;
    use crate::linalg::test_matrices::known;

    fn norm(x: &[f64]) -> f64 {
        x.iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// The same damped step as the QR path, for identity and non-trivial scaling.
    #[test]
    fn steps_match_the_qr_solver() {
        let (n, p) = (40, 8);
        let (j, r) = known(n, p, p, 1e7, 3);
        for d2 in [vec![1.0; p], (0..p).map(|i| 0.5 + i as f64).collect()] {
            let mut svd = DenseSvd::new(n, p, Par::Seq);
            let mut qr = DenseQr::new(n, p);
            svd.factor(j.as_ref(), &r, &d2).unwrap();
            qr.factor(j.as_ref(), &r, &d2).unwrap();
            for lambda in [1e-6, 1e-2, 1.0, 1e3] {
                let (mut a, mut b) = (vec![0.0; p], vec![0.0; p]);
                svd.solve(j.as_ref(), lambda, &mut a).unwrap();
                qr.solve(j.as_ref(), lambda, &mut b).unwrap();
                let diff: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
                assert!(
                    norm(&diff) <= 1e-10 * norm(&b),
                    "λ = {lambda}: {:e}",
                    norm(&diff) / norm(&b)
                );
            }
        }
    }

    /// The secular solve puts the scaled step on the boundary, and a radius beyond the
    /// Gauss–Newton step gives λ = 0.
    #[test]
    fn damping_for_radius_hits_the_boundary() {
        let (n, p) = (30, 6);
        let (j, r) = known(n, p, p, 3e3, 5);
        let d2: Vec<f64> = (0..p).map(|i| 1.0 + 0.25 * i as f64).collect();
        let mut svd = DenseSvd::new(n, p, Par::Seq);
        assert_eq!(svd.damping_for_radius(1.0), None, "before a factorisation");
        svd.factor(j.as_ref(), &r, &d2).unwrap();
        let mut step = vec![0.0; p];
        svd.solve(j.as_ref(), 0.0, &mut step).unwrap();
        let scaled = |x: &[f64]| {
            x.iter()
                .zip(&d2)
                .map(|(v, d)| v * v * d)
                .sum::<f64>()
                .sqrt()
        };
        let gn = scaled(&step);
        assert_eq!(svd.damping_for_radius(2.0 * gn), Some(0.0));
        for radius in [1e-4, 1e-2, 0.5 * gn, 0.99 * gn] {
            let lambda = svd.damping_for_radius(radius).unwrap();
            assert!(lambda > 0.0);
            svd.solve(j.as_ref(), lambda, &mut step).unwrap();
            let got = scaled(&step);
            assert!(
                (got - radius).abs() <= 1e-9 * radius,
                "Δ = {radius}: ‖D̃δ‖ = {got}"
            );
        }
        assert_eq!(svd.damping_for_radius(0.0), None);
        assert_eq!(svd.damping_for_radius(f64::NAN), None);
    }

    /// Non-finite input is refused.
    #[test]
    fn non_finite_input_is_refused() {
        let mut j = Mat::<f64>::identity(3, 2);
        j[(0, 0)] = f64::NAN;
        let mut svd = DenseSvd::new(3, 2, Par::Seq);
        assert_eq!(
            svd.factor(j.as_ref(), &[1.0, 1.0, 1.0], &[1.0, 1.0]),
            Err(LinearSolveError::NonFinite)
        );
    }
}
