//! L-BFGS memory: the last `m` pairs `(s, y)` in a ring buffer, the two-loop recursion
//! for `H·g`, and curvature safeguards for pairs with small or negative `sᵀy`.
//!
//! # Math
//! With pairs `sᵢ = θᵢ₊₁ − θᵢ`, `yᵢ = ∇fᵢ₊₁ − ∇fᵢ`, `ρᵢ = 1/(sᵢᵀyᵢ)`, the L-BFGS inverse
//! Hessian is `m` BFGS updates of `H₀ = γ I` (Nocedal & Wright 2006, eq. 7.19):
//!
//! ```text
//! H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ,   oldest pair first.
//! ```
//!
//! The two-loop recursion (Nocedal & Wright 2006, Algorithm 7.4) applies it to `g`
//! without forming `H`:
//!
//! ```text
//! q ← g
//! for i = newest … oldest:  αᵢ ← ρᵢ sᵢᵀq;  q ← q − αᵢ yᵢ
//! r ← γ q,   γ = sᵀy / yᵀy of the newest pair   (N&W eq. 7.20)
//! for i = oldest … newest:  β ← ρᵢ yᵢᵀr;  r ← r + sᵢ(αᵢ − β)
//! return r = H g
//! ```
//!
//! BFGS keeps `H` positive definite only if every `sᵀy > 0`. Two safeguards are offered
//! ([`CurvatureSafeguard`]):
//! - **Skip** a pair with `sᵀy ≤ ε‖s‖‖y‖` (Nocedal & Wright 2006, §7.2 and §6.1 p. 143:
//!   skipping is the simple strategy when the line search cannot enforce curvature).
//! - **Double damping** (Goldfarb, Ren & Bahamou 2020, Algorithm 3): Powell's damping
//!   on `H` followed by Powell's damping with `B = I`,
//!
//!   ```text
//!   θ₁ = (1−μ₁) yᵀHy / (yᵀHy − sᵀy)  if sᵀy < μ₁ yᵀHy, else 1;   s̃ = θ₁ s + (1−θ₁) H y
//!   θ₂ = (1−μ₂) s̃ᵀs̃ / (s̃ᵀs̃ − s̃ᵀy)  if s̃ᵀy < μ₂ s̃ᵀs̃, else 1;   ỹ = θ₂ y + (1−θ₂) s̃
//!   ```
//!
//!   and stores `(s̃, ỹ)`. Step 1 gives `s̃ᵀy = μ₁ yᵀHy > 0` when it acts, i.e.
//!   `yᵀHy / s̃ᵀy ≤ 1/μ₁` bounds the growth of `B`; step 2 gives `s̃ᵀs̃ / s̃ᵀỹ ≤ 1/μ₂`,
//!   bounding the growth of `H` (their eqs. 7–10). `H` here is the current L-BFGS
//!   matrix, applied to `y` by the two-loop recursion before the pair is added.
//!
//! # References
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., 2006, §7.2.
//! - D. Goldfarb, Y. Ren and A. Bahamou, "Practical quasi-Newton methods for training
//!   deep neural networks", NeurIPS 2020 (Algorithm 3, double damping).
//! - M. J. D. Powell, "Algorithms for nonlinear constraints that use Lagrangian
//!   functions", Math. Programming 14, 1978 (damped BFGS, μ₁ = 0.2).

use crate::state::{PartState, StateError};

/// What to do with a pair whose curvature `sᵀy` is too small.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CurvatureSafeguard {
    /// Drop the pair if `sᵀy ≤ eps·‖s‖‖y‖` (the cosine of the angle between `s` and `y`
    /// is at most `eps`).
    Skip {
        /// Threshold on `sᵀy / (‖s‖‖y‖)`. A typical value is `1e-8`.
        eps: f64,
    },
    /// Goldfarb–Ren–Bahamou (2020) double damping, Algorithm 3. Requires
    /// `0 < mu1 < 1` and `0 ≤ mu2 < 1` (`mu2 = 0` turns the second step off).
    DoubleDamping {
        /// Powell's constant `μ₁`; Powell (1978) uses `0.2`.
        mu1: f64,
        /// The `B = I` damping constant `μ₂` (Goldfarb et al. call it `λ_G`), which
        /// bounds the eigenvalues of `H` by about `1/μ₂`.
        mu2: f64,
    },
}

impl Default for CurvatureSafeguard {
    /// `Skip { eps: 1e-8 }`: with a strong Wolfe line search `sᵀy > 0` always holds
    /// (Nocedal & Wright 2006, §6.1), so only near-degenerate pairs are dropped.
    fn default() -> Self {
        Self::Skip { eps: 1e-8 }
    }
}

/// What [`LbfgsMemory::push`] did with a pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PairOutcome {
    /// Stored unchanged.
    Stored,
    /// Not stored: `sᵀy ≤ eps‖s‖‖y‖` (or, under damping, still non-positive after
    /// damping), or a value was not finite.
    Skipped {
        /// `sᵀy` of the pair as given.
        sty: f64,
    },
    /// Stored after double damping with these factors (1 = that step did not act).
    Damped {
        /// Powell factor on `H` (step 1).
        theta1: f64,
        /// Powell factor with `B = I` (step 2).
        theta2: f64,
    },
}

/// The last `m` curvature pairs, stored once in `m × n` ring buffers.
///
/// Allocation happens only in [`LbfgsMemory::new`]; `push`, `apply_inverse_hessian`
/// and `reset` allocate nothing.
#[derive(Clone, Debug)]
pub struct LbfgsMemory {
    n: usize,
    m: usize,
    safeguard: CurvatureSafeguard,
    /// Row `k` (slot) of `s` and `y`: `s[k*n..(k+1)*n]`.
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    /// Scratch for the first loop's `αᵢ`.
    alpha: Vec<f64>,
    /// Scratch for damping: `H y`, then `s̃`, `ỹ`.
    hy: Vec<f64>,
    s_tmp: Vec<f64>,
    y_tmp: Vec<f64>,
    /// Slot of the newest pair.
    newest: usize,
    len: usize,
    gamma: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).transpose() * faer::ColRef::from_slice(b)
}

fn norm(a: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).norm_l2()
}

impl LbfgsMemory {
    /// Memory for `n` parameters and `m` pairs.
    ///
    /// # Panics
    /// If `m == 0`, or if the safeguard's constants are out of range (`eps < 0`,
    /// `mu1 ∉ (0, 1)`, `mu2 ∉ [0, 1)`): these are programming errors in a fixed
    /// configuration, validated by the caller's config layer.
    #[track_caller]
    pub fn new(n: usize, m: usize, safeguard: CurvatureSafeguard) -> Self {
        assert!(m >= 1, "L-BFGS memory needs m >= 1 pairs");
        match safeguard {
            CurvatureSafeguard::Skip { eps } => {
                assert!(
                    (0.0..1.0).contains(&eps),
                    "Skip eps = {eps} must be in [0, 1)"
                )
            }
            CurvatureSafeguard::DoubleDamping { mu1, mu2 } => {
                assert!(mu1 > 0.0 && mu1 < 1.0, "mu1 = {mu1} must be in (0, 1)");
                assert!((0.0..1.0).contains(&mu2), "mu2 = {mu2} must be in [0, 1)");
            }
        }
        Self {
            n,
            m,
            safeguard,
            s: vec![0.0; m * n],
            y: vec![0.0; m * n],
            rho: vec![0.0; m],
            alpha: vec![0.0; m],
            hy: vec![0.0; n],
            s_tmp: vec![0.0; n],
            y_tmp: vec![0.0; n],
            newest: m - 1,
            len: 0,
            gamma: 1.0,
        }
    }

    /// Number of parameters `n`.
    pub fn n_params(&self) -> usize {
        self.n
    }
    /// Capacity `m`.
    pub fn capacity(&self) -> usize {
        self.m
    }
    /// Number of pairs stored (≤ `m`).
    pub fn len(&self) -> usize {
        self.len
    }
    /// No pair stored: `H = I`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The initial scaling `γ = sᵀy / yᵀy` of the newest pair (1 when empty).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
    /// The safeguard in use.
    pub fn safeguard(&self) -> CurvatureSafeguard {
        self.safeguard
    }

    /// The `j`-th stored pair `(s, y)`, newest first (`j = 0` is the newest), as
    /// stored, i.e. after damping.
    ///
    /// # Panics
    /// If `j >= len()`.
    #[track_caller]
    pub fn pair(&self, j: usize) -> (&[f64], &[f64]) {
        assert!(j < self.len, "pair {j} of {} stored", self.len);
        let k = (self.newest + self.m - j) % self.m;
        let n = self.n;
        (&self.s[k * n..(k + 1) * n], &self.y[k * n..(k + 1) * n])
    }

    /// Forgets every pair (`H = I`), e.g. after a non-descent direction or a resample.
    pub fn reset(&mut self) {
        self.len = 0;
        self.newest = self.m - 1;
        self.gamma = 1.0;
    }

    /// Writes the pairs, `ρ`, `γ` and the ring position into `state` (scratch space
    /// is not state).
    pub fn save_into(&self, state: PartState) -> PartState {
        state
            .with_vector("s", &self.s)
            .with_vector("y", &self.y)
            .with_vector("rho", &self.rho)
            .with_count("newest", self.newest as u64)
            .with_count("len", self.len as u64)
            .with_scalar("gamma", self.gamma)
    }

    /// Reads what [`LbfgsMemory::save_into`] wrote, for the same `n` and `m`.
    ///
    /// # Errors
    /// A missing entry, or pairs of another size.
    pub fn load_from(&mut self, state: &PartState) -> Result<(), StateError> {
        state.vector_into("s", &mut self.s)?;
        state.vector_into("y", &mut self.y)?;
        state.vector_into("rho", &mut self.rho)?;
        let (newest, len) = (state.count("newest")?, state.count("len")?);
        if newest >= self.m as u64 || len > self.m as u64 {
            return Err(StateError::Mismatch(format!(
                "L-BFGS ring position {newest}, length {len} for memory {}",
                self.m
            )));
        }
        self.newest = newest as usize;
        self.len = len as usize;
        self.gamma = state.scalar("gamma")?;
        Ok(())
    }

    /// Offers the pair `(s, y)`; returns what was done with it.
    ///
    /// # Panics
    /// If `s` or `y` does not have length `n`.
    #[track_caller]
    pub fn push(&mut self, s: &[f64], y: &[f64]) -> PairOutcome {
        assert_eq!(s.len(), self.n, "s has the wrong length");
        assert_eq!(y.len(), self.n, "y has the wrong length");
        let sty = dot(s, y);
        if !sty.is_finite() || !s.iter().chain(y).all(|v| v.is_finite()) {
            return PairOutcome::Skipped { sty };
        }
        match self.safeguard {
            CurvatureSafeguard::Skip { eps } => {
                if sty <= eps * norm(s) * norm(y) || sty <= 0.0 {
                    return PairOutcome::Skipped { sty };
                }
                self.store(s, y, sty);
                PairOutcome::Stored
            }
            CurvatureSafeguard::DoubleDamping { mu1, mu2 } => self.push_damped(s, y, sty, mu1, mu2),
        }
    }

    fn push_damped(&mut self, s: &[f64], y: &[f64], sty: f64, mu1: f64, mu2: f64) -> PairOutcome {
        // Step 1: Powell's damping on H.
        let mut hy = std::mem::take(&mut self.hy);
        self.apply_inverse_hessian(y, &mut hy);
        let yhy = dot(y, &hy);
        let mut s_t = std::mem::take(&mut self.s_tmp);
        let theta1 = if sty < mu1 * yhy {
            (1.0 - mu1) * yhy / (yhy - sty)
        } else {
            1.0
        };
        for ((st, &si), &hi) in s_t.iter_mut().zip(s).zip(&hy) {
            *st = theta1 * si + (1.0 - theta1) * hi;
        }
        // Step 2: Powell's damping with B = I.
        let sts = dot(&s_t, &s_t);
        let s_ty = dot(&s_t, y);
        let theta2 = if s_ty < mu2 * sts {
            (1.0 - mu2) * sts / (sts - s_ty)
        } else {
            1.0
        };
        let mut y_t = std::mem::take(&mut self.y_tmp);
        for ((yt, &yi), &st) in y_t.iter_mut().zip(y).zip(&s_t) {
            *yt = theta2 * yi + (1.0 - theta2) * st;
        }
        let sty_damped = dot(&s_t, &y_t);
        let outcome = if sty_damped > 0.0 && sty_damped.is_finite() {
            self.store(&s_t, &y_t, sty_damped);
            if theta1 == 1.0 && theta2 == 1.0 {
                PairOutcome::Stored
            } else {
                PairOutcome::Damped { theta1, theta2 }
            }
        } else {
            PairOutcome::Skipped { sty }
        };
        self.hy = hy;
        self.s_tmp = s_t;
        self.y_tmp = y_t;
        outcome
    }

    fn store(&mut self, s: &[f64], y: &[f64], sty: f64) {
        let n = self.n;
        self.newest = (self.newest + 1) % self.m;
        let k = self.newest;
        self.s[k * n..(k + 1) * n].copy_from_slice(s);
        self.y[k * n..(k + 1) * n].copy_from_slice(y);
        self.rho[k] = 1.0 / sty;
        self.gamma = sty / dot(y, y);
        self.len = (self.len + 1).min(self.m);
    }

    /// Writes `H·g` into `out` by the two-loop recursion (`H = I` when empty). The
    /// quasi-Newton direction is `−out`.
    ///
    /// # Panics
    /// If `g` or `out` does not have length `n`.
    #[track_caller]
    pub fn apply_inverse_hessian(&mut self, g: &[f64], out: &mut [f64]) {
        assert_eq!(g.len(), self.n, "g has the wrong length");
        assert_eq!(out.len(), self.n, "out has the wrong length");
        let n = self.n;
        out.copy_from_slice(g);
        // Slots from newest to oldest.
        let slot = |j: usize| (self.newest + self.m - j) % self.m;
        for j in 0..self.len {
            let k = slot(j);
            let (sk, yk) = (&self.s[k * n..(k + 1) * n], &self.y[k * n..(k + 1) * n]);
            let a = self.rho[k] * dot(sk, out);
            self.alpha[k] = a;
            for (o, &yi) in out.iter_mut().zip(yk) {
                *o -= a * yi;
            }
        }
        let gamma = self.gamma;
        for o in out.iter_mut() {
            *o *= gamma;
        }
        for j in (0..self.len).rev() {
            let k = slot(j);
            let (sk, yk) = (&self.s[k * n..(k + 1) * n], &self.y[k * n..(k + 1) * n]);
            let b = self.rho[k] * dot(yk, out);
            let c = self.alpha[k] - b;
            for (o, &si) in out.iter_mut().zip(sk) {
                *o += c * si;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// `A = Q diag(d) Qᵀ` with the Householder reflector `Q = I − 2uuᵀ/uᵀu`, so that
    /// `A⁻¹ = Q diag(1/d) Qᵀ` is known in closed form.
    struct Spd {
        u: Vec<f64>,
        d: Vec<f64>,
    }

    impl Spd {
        fn random(n: usize, rng: &mut StdRng, dmin: f64, dmax: f64) -> Self {
            let u = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let d = (0..n)
                .map(|i| dmin * (dmax / dmin).powf(i as f64 / (n - 1) as f64))
                .collect();
            Self { u, d }
        }
        fn reflect(&self, v: &[f64]) -> Vec<f64> {
            let c = 2.0 * dot(&self.u, v) / dot(&self.u, &self.u);
            v.iter().zip(&self.u).map(|(vi, ui)| vi - c * ui).collect()
        }
        fn apply_diag(&self, v: &[f64], inverse: bool) -> Vec<f64> {
            let w = self.reflect(v);
            let w: Vec<f64> = w
                .iter()
                .zip(&self.d)
                .map(|(wi, di)| if inverse { wi / di } else { wi * di })
                .collect();
            self.reflect(&w)
        }
        fn mul(&self, v: &[f64]) -> Vec<f64> {
            self.apply_diag(v, false)
        }
        fn solve(&self, v: &[f64]) -> Vec<f64> {
            self.apply_diag(v, true)
        }
    }

    fn random_vec(n: usize, rng: &mut StdRng) -> Vec<f64> {
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    fn rel_err(a: &[f64], b: &[f64]) -> f64 {
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        norm(&d) / norm(b)
    }

    /// Dense BFGS inverse update `H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ`
    /// (Nocedal & Wright eq. 6.17), the independent reference for the recursion.
    fn dense_bfgs(h: &mut [Vec<f64>], s: &[f64], y: &[f64]) {
        let n = s.len();
        let rho = 1.0 / dot(s, y);
        // V = I − ρ y sᵀ; H ← Vᵀ H V + ρ s sᵀ.
        let v: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| f64::from(u8::from(i == j)) - rho * y[i] * s[j])
                    .collect()
            })
            .collect();
        let hv: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (0..n).map(|k| h[i][k] * v[k][j]).sum())
                    .collect()
            })
            .collect();
        for i in 0..n {
            for j in 0..n {
                h[i][j] = (0..n).map(|k| v[k][i] * hv[k][j]).sum::<f64>() + rho * s[i] * s[j];
            }
        }
    }

    #[test]
    fn two_loop_matches_dense_bfgs_updates() {
        let (n, m) = (7, 4);
        let mut rng = StdRng::seed_from_u64(7);
        let a = Spd::random(n, &mut rng, 0.5, 50.0);
        let mut mem = LbfgsMemory::new(n, m, CurvatureSafeguard::Skip { eps: 1e-12 });
        let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..6)
            .map(|_| {
                let s = random_vec(n, &mut rng);
                let y = a.mul(&s);
                (s, y)
            })
            .collect();
        for (s, y) in &pairs {
            assert_eq!(mem.push(s, y), PairOutcome::Stored);
        }
        assert_eq!(mem.len(), m);
        // Reference: H₀ = γI with γ from the newest pair, then the last m pairs, oldest
        // first.
        let (sl, yl) = &pairs[5];
        let gamma = dot(sl, yl) / dot(yl, yl);
        assert!((mem.gamma() - gamma).abs() <= 1e-15 * gamma);
        let mut h: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| if i == j { gamma } else { 0.0 }).collect())
            .collect();
        for (s, y) in &pairs[2..] {
            dense_bfgs(&mut h, s, y);
        }
        let g = random_vec(n, &mut rng);
        let reference: Vec<f64> = h.iter().map(|row| dot(row, &g)).collect();
        let mut out = vec![0.0; n];
        mem.apply_inverse_hessian(&g, &mut out);
        assert!(
            rel_err(&out, &reference) < 1e-12,
            "{}",
            rel_err(&out, &reference)
        );
        // Stored pairs come back newest first.
        assert_eq!(mem.pair(0).0, &pairs[5].0[..]);
        assert_eq!(mem.pair(3).1, &pairs[2].1[..]);
    }

    /// BFGS reconstructs `A⁻¹` from `n` pairs `(sᵢ, A sᵢ)` whose steps are mutually
    /// `A`-conjugate (the pairs an exact line search produces on a quadratic): each
    /// update keeps the earlier secant conditions `H yⱼ = sⱼ` (the hereditary property
    /// of BFGS on quadratics: Fletcher, *Practical Methods of Optimization*, 1987, §3.4),
    /// so after `n` pairs `H A sⱼ = sⱼ` for a basis and `H = A⁻¹`, whatever `γ`.
    #[test]
    fn n_conjugate_pairs_reconstruct_the_inverse() {
        for (n, seed) in [(5, 1), (12, 2)] {
            let mut rng = StdRng::seed_from_u64(seed);
            let a = Spd::random(n, &mut rng, 1.0, 1e3);
            // A-conjugate directions by Gram–Schmidt in the A inner product.
            let mut dirs: Vec<Vec<f64>> = Vec::new();
            for _ in 0..n {
                let mut v = random_vec(n, &mut rng);
                for _ in 0..2 {
                    for d in &dirs {
                        let ad = a.mul(d);
                        let c = dot(&v, &ad) / dot(d, &ad);
                        v.iter_mut().zip(d).for_each(|(vi, di)| *vi -= c * di);
                    }
                }
                dirs.push(v);
            }
            let mut mem = LbfgsMemory::new(n, n + 2, CurvatureSafeguard::default());
            for s in &dirs {
                assert_eq!(mem.push(s, &a.mul(s)), PairOutcome::Stored);
            }
            for _ in 0..3 {
                let g = random_vec(n, &mut rng);
                let mut hg = vec![0.0; n];
                mem.apply_inverse_hessian(&g, &mut hg);
                let err = rel_err(&hg, &a.solve(&g));
                assert!(err < 1e-10, "n = {n}: relative error {err:e}");
            }
        }
    }

    /// L-BFGS with exact line searches on a strictly convex quadratic terminates in at
    /// most `n` steps when `m ≥ n` (quadratic termination of BFGS with exact line
    /// searches, Fletcher 1987, §3.4: the steps are `A`-conjugate, and the
    /// changing scaling `γ` of `H₀` does not break this).
    #[test]
    fn exact_line_search_terminates_in_n_steps() {
        let n = 8;
        let mut rng = StdRng::seed_from_u64(3);
        let a = Spd::random(n, &mut rng, 1.0, 100.0);
        let xstar = random_vec(n, &mut rng);
        let grad = |x: &[f64]| {
            let d: Vec<f64> = x.iter().zip(&xstar).map(|(a, b)| a - b).collect();
            a.mul(&d)
        };
        let mut x = vec![0.0; n];
        let mut g = grad(&x);
        let mut mem = LbfgsMemory::new(n, n, CurvatureSafeguard::default());
        let mut hg = vec![0.0; n];
        for _ in 0..n {
            mem.apply_inverse_hessian(&g, &mut hg);
            let d: Vec<f64> = hg.iter().map(|v| -v).collect();
            let alpha = -dot(&g, &d) / dot(&d, &a.mul(&d));
            let s: Vec<f64> = d.iter().map(|v| alpha * v).collect();
            x.iter_mut().zip(&s).for_each(|(xi, si)| *xi += si);
            let g_new = grad(&x);
            let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
            mem.push(&s, &y);
            g = g_new;
        }
        assert!(rel_err(&x, &xstar) < 1e-10, "{:e}", rel_err(&x, &xstar));
    }

    #[test]
    fn ring_buffer_keeps_the_newest_m_pairs() {
        let n = 4;
        let mut rng = StdRng::seed_from_u64(11);
        let a = Spd::random(n, &mut rng, 1.0, 10.0);
        let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..5)
            .map(|_| {
                let s = random_vec(n, &mut rng);
                let y = a.mul(&s);
                (s, y)
            })
            .collect();
        let mut full = LbfgsMemory::new(n, 2, CurvatureSafeguard::default());
        for (s, y) in &pairs {
            full.push(s, y);
        }
        let mut last_two = LbfgsMemory::new(n, 2, CurvatureSafeguard::default());
        for (s, y) in &pairs[3..] {
            last_two.push(s, y);
        }
        let g = random_vec(n, &mut rng);
        let (mut h1, mut h2) = (vec![0.0; n], vec![0.0; n]);
        full.apply_inverse_hessian(&g, &mut h1);
        last_two.apply_inverse_hessian(&g, &mut h2);
        assert_eq!(h1, h2);
        full.reset();
        assert!(full.is_empty());
        full.apply_inverse_hessian(&g, &mut h1);
        assert_eq!(h1, g, "H = I after reset");
    }

    #[test]
    fn skip_rule_drops_bad_pairs() {
        let mut mem = LbfgsMemory::new(2, 3, CurvatureSafeguard::Skip { eps: 1e-8 });
        // Negative curvature.
        assert_eq!(
            mem.push(&[1.0, 0.0], &[-2.0, 0.0]),
            PairOutcome::Skipped { sty: -2.0 }
        );
        // Positive but cos(s, y) = 1e-9 ≤ 1e-8.
        let y = [1e-9, 1.0];
        assert_eq!(
            mem.push(&[1.0, 0.0], &y),
            PairOutcome::Skipped { sty: 1e-9 }
        );
        // Non-finite.
        assert!(matches!(
            mem.push(&[f64::NAN, 0.0], &[1.0, 0.0]),
            PairOutcome::Skipped { .. }
        ));
        assert!(mem.is_empty());
        // cos = 1e-7 > 1e-8: stored.
        assert_eq!(mem.push(&[1.0, 0.0], &[1e-7, 1.0]), PairOutcome::Stored);
        assert_eq!(mem.len(), 1);
    }

    #[test]
    fn double_damping_on_a_negative_curvature_pair() {
        let (mu1, mu2) = (0.2, 0.5);
        let mut mem = LbfgsMemory::new(2, 3, CurvatureSafeguard::DoubleDamping { mu1, mu2 });
        // Empty memory: H = I. s = (1, 0), y = (−0.01, 1): sᵀy = −0.01 < 0, and after
        // step 1 s̃ᵀy = 0.2 < μ₂ s̃ᵀs̃ ≈ 0.33, so both steps act.
        let (s, y) = ([1.0, 0.0], [-0.01, 1.0]);
        let (sty, yhy) = (dot(&s, &y), dot(&y, &y));
        let theta1 = (1.0 - mu1) * yhy / (yhy - sty);
        let s_t = [
            theta1 * s[0] + (1.0 - theta1) * y[0],
            theta1 * s[1] + (1.0 - theta1) * y[1],
        ];
        let (sts, s_ty) = (dot(&s_t, &s_t), dot(&s_t, &y));
        // Step 1 makes s̃ᵀy = μ₁ yᵀHy exactly.
        assert!((s_ty - mu1 * yhy).abs() < 1e-15);
        assert!(s_ty < mu2 * sts);
        let theta2 = (1.0 - mu2) * sts / (sts - s_ty);
        let y_t = [
            theta2 * y[0] + (1.0 - theta2) * s_t[0],
            theta2 * y[1] + (1.0 - theta2) * s_t[1],
        ];
        match mem.push(&s, &y) {
            PairOutcome::Damped {
                theta1: t1,
                theta2: t2,
            } => {
                assert!((t1 - theta1).abs() < 1e-15);
                assert!((t2 - theta2).abs() < 1e-15);
            }
            other => panic!("expected damping, got {other:?}"),
        }
        let (ss, yy) = mem.pair(0);
        assert!(rel_err(ss, &s_t) < 1e-15 && rel_err(yy, &y_t) < 1e-15);
        // The bounds of Goldfarb et al. (their eqs. 7–10) hold for the stored pair.
        let stored = dot(ss, yy);
        assert!(stored > 0.0);
        // Step 2 acted, so s̃ᵀỹ = μ₂ s̃ᵀs̃: the bound s̃ᵀs̃ / s̃ᵀỹ ≤ 1/μ₂ is tight.
        assert!((dot(ss, ss) / stored - 1.0 / mu2).abs() < 1e-12);
    }

    #[test]
    fn double_damping_leaves_good_pairs_alone() {
        let mut mem = LbfgsMemory::new(
            2,
            3,
            CurvatureSafeguard::DoubleDamping { mu1: 0.2, mu2: 0.0 },
        );
        // sᵀy = 2 ≥ 0.2·yᵀy = 0.8.
        assert_eq!(mem.push(&[1.0, 0.0], &[2.0, 0.0]), PairOutcome::Stored);
        // With H from that pair, a second pair of strongly positive curvature is kept.
        assert_eq!(mem.push(&[0.0, 1.0], &[0.0, 3.0]), PairOutcome::Stored);
        let (s, y) = mem.pair(0);
        assert_eq!((s, y), (&[0.0, 1.0][..], &[0.0, 3.0][..]));
    }
}
