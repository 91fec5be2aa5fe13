//! A randomised Nyström preconditioner for the damped Gauss–Newton operator
//! `A + μI`, `A = JᵀJ` (P × P, symmetric positive semidefinite), built from `s`
//! products with `A`.
//!
//! # Math
//! Frangella, Tropp & Udell, "Randomized Nyström preconditioning", SIAM J. Matrix Anal.
//! Appl. 44 (2023), Algorithm 2.1, as used for PINNs by NysNewton-CG (Rathore, Lei,
//! Frangella, Lu & Udell, "Challenges in training PINNs: a loss landscape perspective",
//! ICML 2024):
//!
//! ```text
//!   Ω  = orth(G),  G ∈ ℝ^{P×s} Gaussian       (thin Householder QR)
//!   Y  = A Ω                                   (s products with A)
//!   ν  = √P · ε · ‖Y‖_F                        (shift; ‖Y‖_F ≥ ‖Y‖₂)
//!   Y_ν = Y + νΩ
//!   C Cᵀ = Ωᵀ Y_ν                              (Cholesky of the s × s core)
//!   B  = Y_ν C⁻ᵀ,  B = U Σ Vᵀ                  (thin SVD)
//!   Λ̂  = max(Σ² − ν, 0)
//! ```
//!
//! so that `Â = U Λ̂ Uᵀ` is the Nyström approximation `AΩ(ΩᵀAΩ)⁺ΩᵀA` of `A`, computed
//! stably: the shift ν makes the core numerically positive definite even when `s`
//! exceeds the rank of `A` (it is removed again from the eigenvalues), and the
//! orthogonal factorisations never square a condition number. The preconditioner is
//!
//! ```text
//!   P⁻¹ = (λ̂_s + μ) U (Λ̂ + μI)⁻¹ Uᵀ + (I − UUᵀ),
//! ```
//!
//! `λ̂_s` the smallest kept eigenvalue: it maps the top-`s` eigenvalues of `A + μI`
//! (as `Â` sees them) to `λ̂_s + μ` and leaves the rest alone, so the preconditioned
//! operator's spectrum is clustered in `[1, (λ_{s+1} + μ)/(λ̂_s + μ)]`-ish (FTU Prop. 5.3)
//! and CG needs few iterations when the spectrum of `A` decays quickly, as PINN
//! Gauss–Newton matrices do. `P⁻¹` is SPD for every `μ > 0`: its eigenvalues are
//! `(λ̂_s + μ)/(λ̂_i + μ) > 0` on range(U) and 1 on its complement.
//!
//! Every factorisation runs sequentially so that the preconditioner's bits do not
//! depend on the thread count; the test matrix comes from a fixed counter-based
//! generator so that a seed and a refresh index reproduce it exactly (a resumed solve
//! continues bit for bit).

use super::LinearSolveError;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::householder::{
    apply_block_householder_sequence_on_the_left_in_place_scratch,
    apply_block_householder_sequence_on_the_left_in_place_with_conj,
};
use faer::linalg::qr::no_pivoting::factor::{
    qr_in_place, qr_in_place_scratch, recommended_block_size,
};
use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Conj, Mat, MatRef, Par};

/// Shift retries: when the Cholesky of `ΩᵀY_ν` still meets a non-positive pivot (a core
/// whose round-off exceeds ν), ν grows tenfold, at most this many times.
const SHIFT_RETRIES: usize = 8;

/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a fixed, dependency-free generator, so
/// the test matrix of a seed never changes with a library upgrade.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: 53 random bits, never 0 (so `ln` below is finite).
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A `p × s` matrix of independent standard normal numbers (Box–Muller), a pure
/// function of `(seed, stream)`: the refresh index is the stream, so every refresh
/// draws a new matrix and any one can be redrawn.
pub fn gaussian_matrix(p: usize, s: usize, seed: u64, stream: u64) -> Mat<f64> {
    let mut g = SplitMix64(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    // Discard the first output so that nearby (seed, stream) pairs decorrelate.
    g.next_u64();
    let mut spare = None;
    Mat::from_fn(p, s, |_, _| {
        if let Some(z) = spare.take() {
            return z;
        }
        let (u1, u2) = (g.unit(), g.unit());
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = 2.0 * std::f64::consts::PI * u2;
        spare = Some(radius * angle.sin());
        radius * angle.cos()
    })
}

/// The `p × s` orthonormal test matrix `Ω = orth(G)` for `s ≤ p`: the thin `Q` of a
/// sequential Householder QR of [`gaussian_matrix`].
pub fn test_matrix(p: usize, s: usize, seed: u64, stream: u64) -> Mat<f64> {
    assert!(s <= p, "test_matrix: rank {s} exceeds dimension {p}");
    let mut a = gaussian_matrix(p, s, seed, stream);
    let bs = recommended_block_size::<f64>(p, s).max(1);
    let mut coeff = Mat::<f64>::zeros(bs, s);
    let req = StackReq::any_of(&[
        qr_in_place_scratch::<f64>(p, s, bs, Par::Seq, Default::default()),
        apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(p, bs, s),
    ]);
    let mut mem = MemBuffer::new(req);
    qr_in_place(
        a.as_mut(),
        coeff.as_mut(),
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    );
    let mut q = Mat::from_fn(p, s, |i, j| if i == j { 1.0 } else { 0.0 });
    apply_block_householder_sequence_on_the_left_in_place_with_conj(
        a.as_ref(),
        coeff.as_ref(),
        Conj::No,
        q.as_mut(),
        Par::Seq,
        MemStack::new(&mut mem),
    );
    q
}

/// The rank-`s` Nyström preconditioner of `A + μI` (see the module documentation):
/// the basis `U` and eigenvalues `Λ̂`, kept so the damping μ can change per trial.
pub struct NystromPreconditioner {
    p: usize,
    s: usize,
    /// `U`, `P × s`, column-major.
    u: Vec<f64>,
    /// `Λ̂`, largest first.
    eigenvalues: Vec<f64>,
    /// The shift ν used at the last build.
    shift: f64,
    /// Scratch: `Uᵀv`.
    w: Vec<f64>,
}

impl NystromPreconditioner {
    /// A preconditioner of rank `s ≤ p` for `p × p` operators, not yet built (it
    /// applies as the identity until [`NystromPreconditioner::build`]).
    pub fn new(p: usize, s: usize) -> Self {
        assert!(s <= p, "Nyström rank {s} exceeds dimension {p}");
        Self {
            p,
            s,
            u: vec![0.0; p * s],
            eigenvalues: vec![0.0; s],
            shift: 0.0,
            w: vec![0.0; s],
        }
    }

    /// The rank `s`.
    pub fn rank(&self) -> usize {
        self.s
    }

    /// `Λ̂`, largest first.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// `U`, column-major `P × s`.
    pub fn basis(&self) -> &[f64] {
        &self.u
    }

    /// The shift ν of the last build.
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// Mutable `U` and `Λ̂`, to restore a saved preconditioner.
    pub fn parts_mut(&mut self) -> (&mut [f64], &mut [f64]) {
        (&mut self.u, &mut self.eigenvalues)
    }

    /// Builds `U` and `Λ̂` from an orthonormal test matrix `Ω` (`P × s`) and the sketch
    /// `Y = AΩ`.
    ///
    /// # Errors
    /// [`LinearSolveError::NonFinite`] for a non-finite sketch,
    /// [`LinearSolveError::NotPositiveDefinite`] when the shifted core stays indefinite
    /// after every retry (A not symmetric positive semidefinite),
    /// [`LinearSolveError::EigenNoConvergence`] when the SVD does not converge.
    pub fn build(
        &mut self,
        omega: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
    ) -> Result<(), LinearSolveError> {
        let (p, s) = (self.p, self.s);
        assert!(omega.shape() == (p, s) && y.shape() == (p, s));
        if !super::all_finite(y) {
            return Err(LinearSolveError::NonFinite);
        }
        let mut nu = (p as f64).sqrt() * f64::EPSILON * y.norm_l2();
        if nu == 0.0 {
            // A = 0 on range(Ω): any positive shift keeps the core definite, and
            // Λ̂ = max(Σ² − ν, 0) = 0 then.
            nu = f64::MIN_POSITIVE;
        }
        // ΩᵀY, symmetrised (it is symmetric in exact arithmetic).
        let core = omega.transpose() * y;
        let req = cholesky_in_place_scratch::<f64>(s, Par::Seq, Default::default());
        let mut mem = MemBuffer::new(req);
        let mut chol = Mat::<f64>::zeros(s, s);
        let mut tries = 0;
        loop {
            for j in 0..s {
                for i in j..s {
                    chol[(i, j)] = 0.5 * (core[(i, j)] + core[(j, i)]);
                }
                // Ωᵀ(νΩ) = νI for an orthonormal Ω.
                chol[(j, j)] += nu;
            }
            match cholesky_in_place(
                chol.as_mut(),
                Default::default(),
                Par::Seq,
                MemStack::new(&mut mem),
                Default::default(),
            ) {
                Ok(_) => break,
                Err(e) if tries >= SHIFT_RETRIES => {
                    let faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } =
                        e;
                    return Err(LinearSolveError::NotPositiveDefinite { pivot: index });
                }
                Err(_) => {
                    tries += 1;
                    nu *= 10.0;
                }
            }
        }
        // Bᵀ = C⁻¹ Y_νᵀ, with C = chol's lower triangle (C Cᵀ = ΩᵀY_ν).
        let mut bt = Mat::from_fn(s, p, |i, j| y[(j, i)] + nu * omega[(j, i)]);
        solve_lower_triangular_in_place(chol.as_ref(), bt.as_mut(), Par::Seq);
        let mut sigma = faer::diag::Diag::<f64>::zeros(s);
        let mut u = Mat::<f64>::zeros(p, s);
        let mut svd_mem = MemBuffer::new(svd_scratch::<f64>(
            p,
            s,
            ComputeSvdVectors::Thin,
            ComputeSvdVectors::No,
            Par::Seq,
            Default::default(),
        ));
        svd(
            bt.transpose(),
            sigma.as_mut(),
            Some(u.as_mut()),
            None,
            Par::Seq,
            MemStack::new(&mut svd_mem),
            Default::default(),
        )
        .map_err(|_| LinearSolveError::EigenNoConvergence)?;
        for j in 0..s {
            self.eigenvalues[j] = (sigma[j] * sigma[j] - nu).max(0.0);
            for i in 0..p {
                self.u[j * p + i] = u[(i, j)];
            }
        }
        if !self
            .u
            .iter()
            .chain(&self.eigenvalues)
            .all(|v| v.is_finite())
        {
            return Err(LinearSolveError::NonFinite);
        }
        self.shift = nu;
        Ok(())
    }

    /// `z = P⁻¹ r` for damping `μ > 0`: `z = r + U diag((λ̂_s + μ)/(λ̂_i + μ) − 1) Uᵀr`.
    /// Allocation-free; sequential and in a fixed order.
    pub fn apply(&mut self, mu: f64, r: &[f64], z: &mut [f64]) {
        let (p, s) = (self.p, self.s);
        assert!(r.len() == p && z.len() == p);
        z.copy_from_slice(r);
        let Some(&last) = self.eigenvalues.last() else {
            return;
        };
        for (j, w) in self.w.iter_mut().enumerate() {
            let col = &self.u[j * p..(j + 1) * p];
            let dot: f64 = col.iter().zip(r).map(|(u, r)| u * r).sum();
            let denominator = self.eigenvalues[j] + mu;
            // λ̂ⱼ + μ = 0 only when μ = 0 and λ̂ⱼ = λ̂_s = 0: the ratio is then 1.
            let ratio = if denominator > 0.0 {
                (last + mu) / denominator
            } else {
                1.0
            };
            *w = dot * (ratio - 1.0);
        }
        for j in 0..s {
            let w = self.w[j];
            let col = &self.u[j * p..(j + 1) * p];
            for (z, u) in z.iter_mut().zip(col) {
                *z += w * u;
            }
        }
    }
}

#[cfg(test)]
mod tests;
