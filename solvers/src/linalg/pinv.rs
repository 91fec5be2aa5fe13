//! The pseudo-inverse direction of ENGD with a rank cutoff.
//!
//! # Math
//! ENGD (Müller & Zeinhofer, ICML 2023) moves along `d = G⁺∇L`, `G = JᵀJ`,
//! `∇L = Jᵀr`; this equals `J⁺r`. Two equivalent spectral forms:
//! - parameter space: `G = V Λ Vᵀ`, `d = V Λ⁺ Vᵀ (Jᵀr)` (`P × P` eigenproblem);
//! - sample space (`N < P`): `K = JJᵀ = U Λ Uᵀ`, `d = Jᵀ U Λ⁺ Uᵀ r`, because
//!   `J⁺ = Jᵀ(JJᵀ)⁺` (`N × N` eigenproblem).
//!
//! `Λ⁺` inverts only eigenvalues above `cutoff · λ_max` (default `dim · ε`, the usual
//! numerical-rank threshold): without it, or a Tikhonov shift, the directions from the
//! ill-conditioned PINN Gramian never converge (measured on poisson2d).
//!
//! The default is the authors' own solve, `numpy`/`jax.numpy.linalg.lstsq(G, ∇L)` with
//! `rcond = None` (`eps · max(M, N)` relative to the largest singular value of `G`, which
//! for the symmetric PSD `G` are its eigenvalues): a cutoff on `σ(J)²`, so `σ(J)` is kept
//! down to `√(dim ε) · σ_max(J)` (≈ 1.7e-7 for `P = 129`). One deliberate difference:
//! eigenvalues that rounding makes negative are dropped, where lstsq's SVD would invert
//! `|λ|` with a sign flip (a non-descent component). validation/engd-study.md compares
//! the resulting ENGD with an independent implementation of the authors' algorithm.

use super::LinearSolveError;
use super::fixed_order;
use super::normal_cholesky::gram_lower;
use super::sample_space::outer_gram_lower;
use super::spectral_solve::SpectralSolve;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

/// Which matrix is decomposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// `G = JᵀJ`, `P × P`.
    Parameter,
    /// `K = JJᵀ`, `N × N`.
    Sample,
}

/// The largest dimension solved by [`SpectralSolve`] (reduction to tridiagonal form and
/// QR sweeps applied to the right-hand side, no eigenvectors); larger ones go through
/// faer's eigendecomposition with eigenvectors. Measured on one core of an AVX2 EPYC
/// (Zen 1) for Gramians `JᵀJ` (`cargo bench -p pinn-solvers --bench linalg_scale --
/// pinv`): 0.64 against 1.87 ms at 129, 18 against 40 ms at 500, 67 against 138 ms at
/// 800, 0.61 against 0.78 s at 1 400. The unblocked reduction leaves the cache above
/// about a thousand, where faer's blocked one keeps half its work in matrix products;
/// the gain there is small and the rotation record grows with `n²`.
pub const SPECTRAL_SOLVE_MAX_DIM: usize = 1024;

/// Buffers for the spectral pseudo-inverse.
///
/// The eigendecomposition runs sequentially: faer's parallel symmetric eigensolver rounds
/// differently with the thread count (measured at `P = 1 341`), and the products around
/// it run on `par` in a thread-independent order.
pub struct SpectralPinv {
    par: Par,
    space: Space,
    /// The eigenvector-free route, for dimensions up to [`SPECTRAL_SOLVE_MAX_DIM`].
    small: Option<SpectralSolve>,
    gram: Mat<f64>,
    rhs: Mat<f64>,
    coef: Mat<f64>,
    tmp: Mat<f64>,
    u: Mat<f64>,
    s: Diag<f64>,
    mem: MemBuffer,
}

impl SpectralPinv {
    /// Buffers for an `n × p` Jacobian in the given space.
    pub fn new(n: usize, p: usize, space: Space, par: Par) -> Self {
        let dim = if space == Space::Parameter { p } else { n };
        Self::with_route(n, p, space, par, dim <= SPECTRAL_SOLVE_MAX_DIM)
    }

    /// Buffers with the route chosen: `small` for [`SpectralSolve`], else faer's
    /// eigendecomposition.
    fn with_route(n: usize, p: usize, space: Space, par: Par, small: bool) -> Self {
        let dim = if space == Space::Parameter { p } else { n };
        // The eigenvector route's buffers only where it runs.
        let evd_dim = if small { 0 } else { dim };
        Self {
            par,
            space,
            small: small.then(|| SpectralSolve::new(dim)),
            gram: Mat::zeros(dim, dim),
            rhs: Mat::zeros(dim, 1),
            coef: Mat::zeros(evd_dim, 1),
            tmp: Mat::zeros(dim, 1),
            u: Mat::zeros(evd_dim, evd_dim),
            s: Diag::zeros(evd_dim),
            mem: MemBuffer::new(self_adjoint_evd_scratch::<f64>(
                evd_dim,
                ComputeEigenvectors::Yes,
                Par::Seq,
                Default::default(),
            )),
        }
    }

    /// Writes `−J⁺r` (the ENGD step at `η = 1`) into `out` and returns the numerical
    /// rank used. `relative_cutoff = 0` means `dim · ε`.
    ///
    /// # Errors
    /// [`LinearSolveError::EigenNoConvergence`].
    pub fn step(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        relative_cutoff: f64,
        out: &mut [f64],
    ) -> Result<usize, LinearSolveError> {
        let (n, p) = jac.shape();
        assert!(r.len() == n && out.len() == p);
        let rm = MatRef::from_column_major_slice(r, n, 1);
        match self.space {
            Space::Parameter => {
                gram_lower(self.gram.as_mut(), jac, self.par);
                matmul(
                    self.rhs.as_mut(),
                    Accum::Replace,
                    jac.transpose(),
                    rm,
                    1.0,
                    self.par,
                );
            }
            Space::Sample => {
                outer_gram_lower(self.gram.as_mut(), jac, self.par);
                self.rhs.copy_from(rm);
            }
        }
        let rel = if relative_cutoff > 0.0 {
            relative_cutoff
        } else {
            self.gram.nrows() as f64 * f64::EPSILON
        };
        // Both routes read the lower triangle only, as `gram_lower`/`outer_gram_lower`
        // leave it, and leave `A⁺·rhs` in `tmp`.
        let rank = match &mut self.small {
            Some(small) => {
                self.tmp.copy_from(&self.rhs);
                small.solve(self.gram.as_ref(), self.tmp.col_as_slice_mut(0), rel)?
            }
            None => self.eigenvector_route(rel)?,
        };
        match self.space {
            Space::Parameter => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = -self.tmp[(i, 0)];
                }
            }
            Space::Sample => {
                let mut o = faer::MatMut::from_column_major_slice_mut(out, p, 1);
                matmul(
                    o.as_mut(),
                    Accum::Replace,
                    jac.transpose(),
                    self.tmp.as_ref(),
                    -1.0,
                    self.par,
                );
            }
        }
        Ok(rank)
    }

    /// `tmp ← V Λ⁺ Vᵀ rhs` from faer's eigendecomposition of `gram` (lower triangle);
    /// returns the rank.
    fn eigenvector_route(&mut self, rel: f64) -> Result<usize, LinearSolveError> {
        let dim = self.gram.nrows();
        self_adjoint_evd(
            self.gram.as_ref(),
            self.s.as_mut(),
            Some(self.u.as_mut()),
            Par::Seq,
            MemStack::new(&mut self.mem),
            Default::default(),
        )
        .map_err(|_| LinearSolveError::EigenNoConvergence)?;
        let (u, s) = (self.u.as_ref(), self.s.as_ref());
        let lmax = (0..dim).map(|i| s[i].abs()).fold(0.0, f64::max);
        let cut = rel * lmax;
        matmul(
            self.coef.as_mut(),
            Accum::Replace,
            u.transpose(),
            self.rhs.as_ref(),
            1.0,
            self.par,
        );
        let mut rank = 0;
        for i in 0..dim {
            if s[i] > cut && lmax > 0.0 {
                self.coef[(i, 0)] /= s[i];
                rank += 1;
            } else {
                self.coef[(i, 0)] = 0.0;
            }
        }
        fixed_order::mat_vec(
            self.tmp.col_as_slice_mut(0),
            u,
            self.coef.col_as_slice(0),
            1.0,
            self.par,
        );
        Ok(rank)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_matrices::known;
    use super::*;

    /// `−J⁺r` from faer's thin SVD with the same cutoff on σ² — an independent route.
    fn svd_reference(j: &Mat<f64>, r: &[f64], rank: usize) -> Vec<f64> {
        let svd = j.thin_svd().unwrap();
        let (u, s, v) = (svd.U(), svd.S(), svd.V());
        let mut x = vec![0.0; j.ncols()];
        for k in 0..rank {
            let c: f64 = (0..j.nrows()).map(|i| u[(i, k)] * r[i]).sum::<f64>() / s[k];
            for (p, xp) in x.iter_mut().enumerate() {
                *xp -= v[(p, k)] * c;
            }
        }
        x
    }

    #[test]
    fn rank_deficient_both_spaces_match_svd() {
        for (m, n) in [(60, 20), (15, 40)] {
            let rank = 7;
            let (j, r) = known(m, n, rank, 1e2, (m + n) as u64);
            let reference = svd_reference(&j, &r, rank);
            let scale = reference.iter().map(|v| v * v).sum::<f64>().sqrt();
            for space in [Space::Parameter, Space::Sample] {
                for small in [true, false] {
                    let mut s = SpectralPinv::with_route(m, n, space, Par::Seq, small);
                    let mut out = vec![f64::NAN; n];
                    let got = s.step(j.as_ref(), &r, 0.0, &mut out).unwrap();
                    assert_eq!(got, rank, "{m}×{n} {space:?} {small}");
                    for p in 0..n {
                        assert!(
                            (out[p] - reference[p]).abs() < 1e-9 * scale,
                            "{m}×{n} {space:?} {small} {p}"
                        );
                    }
                }
            }
        }
    }

    /// The default cutoff is the one of `numpy.linalg.lstsq(G, ∇L)` / `jax.numpy.linalg.lstsq`
    /// with `rcond = None` that the ENGD authors call: singular values of `G` (here its
    /// eigenvalues) below `dim · ε · λ_max` are dropped — a cutoff on `σ(J)²`, i.e.
    /// `σ(J) ≥ √(dim ε) σ_max(J)`, not `σ(J) ≥ dim ε σ_max(J)`. With `σᵢ(J) = 10⁻ⁱ`,
    /// `i = 0…9`, and `dim = 10`: `λ = 10⁻¹⁴ > 10ε ≈ 2.2·10⁻¹⁵` is kept, `10⁻¹⁶` is not, so
    /// the rank is 8 (the same relative cutoff applied to `σ(J)` would keep all 10).
    /// The reference is an
    /// SVD of `G` with lstsq's rule `s ≥ rcond · s₀` (an independent decomposition), and
    /// the step must agree with the thin-SVD pseudo-inverse of `J` at that rank. Both
    /// routes (eigenvector-free and faer's eigenvectors).
    #[test]
    fn default_cutoff_is_lstsq_rcond_on_the_gramian() {
        default_cutoff_case(true);
        default_cutoff_case(false);
    }

    fn default_cutoff_case(small: bool) {
        let (j, r) = known(40, 10, 10, 1e9, 11);
        let g = j.transpose() * &j;
        let sg = g.singular_values().unwrap();
        let rcond = 10.0 * f64::EPSILON;
        let smax = sg.iter().copied().fold(0.0, f64::max);
        let lstsq_rank = sg.iter().filter(|&&s| s >= rcond * smax).count();
        assert_eq!(lstsq_rank, 8);
        let mut s = SpectralPinv::with_route(40, 10, Space::Parameter, Par::Seq, small);
        let mut out = vec![f64::NAN; 10];
        let rank = s.step(j.as_ref(), &r, 0.0, &mut out).unwrap();
        assert_eq!(rank, lstsq_rank);
        // The kept σ = 1e-7 direction carries a coefficient ~1e7 whose eigenvalue
        // 1e-14 is known only to ~ε/1e-14 ≈ 2 %: compare the whole step at 10 %.
        let reference = svd_reference(&j, &r, 8);
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let diff: Vec<f64> = out.iter().zip(&reference).map(|(a, b)| a - b).collect();
        assert!(
            norm(&diff) < 0.1 * norm(&reference),
            "{} vs {}",
            norm(&diff),
            norm(&reference)
        );
        // Rank 7 or 9 would change the step by orders of magnitude.
        for wrong in [7, 9] {
            let other = svd_reference(&j, &r, wrong);
            let d: Vec<f64> = out.iter().zip(&other).map(|(a, b)| a - b).collect();
            assert!(
                norm(&d) > 0.5 * norm(&other).max(norm(&out)),
                "rank {wrong}"
            );
        }
    }

    #[test]
    fn cutoff_drops_small_directions() {
        // σ from 1 to 1e-4 → eigenvalues of G from 1 to 1e-8; a cutoff of 1e-6 keeps
        // only the σ > 1e-3 directions.
        let (j, r) = known(40, 10, 10, 1e4, 5);
        for small in [true, false] {
            let mut s = SpectralPinv::with_route(40, 10, Space::Parameter, Par::Seq, small);
            let mut out = vec![0.0; 10];
            let rank = s.step(j.as_ref(), &r, 1e-6, &mut out).unwrap();
            // σᵢ = 1e-4^(i/9) > 1e-3 ⇔ i < 6.75.
            assert_eq!(rank, 7);
            let reference = svd_reference(&j, &r, 7);
            for p in 0..10 {
                assert!((out[p] - reference[p]).abs() < 1e-9, "{small} {p}");
            }
        }
    }
}
