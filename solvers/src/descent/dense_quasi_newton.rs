//! Quasi-Newton directions with a dense inverse Hessian `H` (`P × P`): BFGS and the
//! self-scaled Broyden family, SSBFGS and SSBroyden (Al-Baali, "Numerical experience
//! with a class of self-scaling quasi-Newton algorithms", JOTA 96, 1998; Al-Baali &
//! Khalfan, "A combined class of self-scaling and modified quasi-Newton methods",
//! Comput. Optim. Appl. 52, 2012; used for PINNs by Urbán, Stefanou & Pons, JCP 523,
//! 2025, and Kiyani et al., arXiv 2501.16371). `d = −H∇L`; `step(α) = α d`.
//!
//! # Math
//! With `s = θ⁺ − θ`, `y = ∇L⁺ − ∇L`, `ρ = 1/sᵀy`, `Hy`, the scalars
//! `h = yᵀHy/sᵀy`, `b = −α sᵀ∇L/sᵀy` (α the step length that gave `s = αd`) and
//! `a = hb − 1`, the inverse update of the self-scaled Broyden class is
//!
//! ```text
//! H⁺ = (H − (Hy)(Hy)ᵀ/(yᵀHy) + φ·(yᵀHy)·v vᵀ)/τ + ρ s sᵀ,   v = ρ s − Hy/(yᵀHy),
//! φ = (1 − ϑ)/(1 + aϑ),
//! ```
//!
//! where ϑ is the Broyden-class parameter of the *direct* update (ϑ = 0 is BFGS, φ = 1)
//! and τ the self-scaling factor (τ = 1: no scaling). The variants:
//! - **BFGS**: ϑ = 0, τ = 1;
//! - **SSBFGS**: ϑ = 0; τ = h on the first update, then `τ = min(1, 1/b)`;
//! - **SSBroyden** (Al-Baali's choice): with `c = √|a/(1 + a)|`,
//!   `ρ⁻ = min(1, h(1 − c))`, `ϑ⁻ = (ρ⁻ − 1)/a`, `ϑ⁺ = 1/ρ⁻`,
//!   `ϑ = max(ϑ⁻, min(ϑ⁺, (1 − b)/b))`; τ = h/(1 + aϑ) on the first update, then, with
//!   `σ = 1 + ϑa` and `σ' = |σ|^{1/(1−P)}`, `τ = min(min(1, 1/b)·σ', σ)` for ϑ ≤ 0 and
//!   `τ = min(1, 1/b)·min(σ', 1/ϑ)` for ϑ > 0.
//!
//! # Safeguards
//! A pair with `sᵀy ≤ ε‖s‖‖y‖` (ε = 1e-10) is skipped (the curvature condition of a
//! strong Wolfe step makes `sᵀy > 0`; this only catches round-off); an update that is
//! not finite (or a non-finite τ, φ) resets `H = I`; a direction that is not a descent
//! direction resets `H = I` and takes `d = −∇L`. `H` is kept when the problem draws new
//! points (only the pending pair, which would mix two sets, is dropped). The update is
//! symmetric by construction: each entry pairs its two indices the same way.

use super::secant::{SecantPair, first_length, negate_or_steepest, scaled};
use super::symmetric_dense::{PARALLEL_MIN_PARAMS, RankTwo, UpdateVectors, symmetric_product};
use super::{Descent, Linearization, Meter};
use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use faer::{Mat, MatRef, Par};
use std::time::Instant;

/// Which member of the family updates `H`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenseUpdate {
    /// Plain BFGS (ϑ = 0, τ = 1).
    Bfgs,
    /// Self-scaled BFGS (ϑ = 0, τ from Al-Baali).
    SsBfgs,
    /// Self-scaled Broyden (ϑ and τ from Al-Baali).
    SsBroyden,
}

/// The parameters of one update, for inspection and tests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateParameters {
    /// `h = yᵀHy/sᵀy`.
    pub h: f64,
    /// `b = −α sᵀ∇L/sᵀy`.
    pub b: f64,
    /// `a = hb − 1`.
    pub a: f64,
    /// The Broyden-class parameter ϑ of the direct update.
    pub theta: f64,
    /// The self-scaling factor τ.
    pub tau: f64,
    /// `φ = (1 − ϑ)/(1 + aϑ)`.
    pub phi: f64,
}

/// ϑ and τ of `update` for scalars `h`, `b`, `a`, on the first update or a later one,
/// in dimension `p`.
pub fn update_parameters(
    update: DenseUpdate,
    h: f64,
    b: f64,
    first: bool,
    p: usize,
) -> UpdateParameters {
    let a = h * b - 1.0;
    let theta = match update {
        DenseUpdate::Bfgs | DenseUpdate::SsBfgs => 0.0,
        DenseUpdate::SsBroyden => {
            let c = (a / (1.0 + a)).abs().sqrt();
            let rho_minus = (h * (1.0 - c)).min(1.0);
            let theta_minus = (rho_minus - 1.0) / a;
            let theta_plus = 1.0 / rho_minus;
            theta_minus.max(theta_plus.min((1.0 - b) / b))
        }
    };
    let tau = match update {
        DenseUpdate::Bfgs => 1.0,
        _ if first => h / (1.0 + a * theta),
        _ => {
            let rho_k = (1.0 / b).min(1.0);
            let sigma = 1.0 + theta * a;
            let sigma_root = sigma.abs().powf(1.0 / (1.0 - p as f64));
            if theta <= 0.0 {
                (rho_k * sigma_root).min(sigma)
            } else {
                rho_k * sigma_root.min(1.0 / theta)
            }
        }
    };
    UpdateParameters {
        h,
        b,
        a,
        theta,
        tau,
        phi: (1.0 - theta) / (1.0 + a * theta),
    }
}

/// Skip a pair whose curvature is below this fraction of `‖s‖‖y‖`.
const CURVATURE_EPS: f64 = 1e-10;

/// The dense quasi-Newton direction.
pub struct DenseQuasiNewton {
    update: DenseUpdate,
    par: Par,
    h: Mat<f64>,
    pair: SecantPair,
    /// No update has been made since `H = I` (τ's first-update rule applies).
    first: bool,
    /// The last direction (to recover α from `s = αd`).
    direction: Vec<f64>,
    hy: Vec<f64>,
    /// `Hg` before it becomes the direction.
    hg: Vec<f64>,
    /// The parameters of the last update.
    pub last_update: Option<UpdateParameters>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).transpose() * faer::ColRef::from_slice(b)
}

fn norm(a: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).norm_l2()
}

impl DenseQuasiNewton {
    /// `H = I` for `p` parameters.
    pub fn new(p: usize, update: DenseUpdate, par: Par) -> Self {
        Self {
            update,
            par,
            h: Mat::identity(p, p),
            pair: SecantPair::new(p),
            first: true,
            direction: vec![0.0; p],
            hy: vec![0.0; p],
            hg: vec![0.0; p],
            last_update: None,
        }
    }

    /// The inverse Hessian approximation.
    pub fn inverse_hessian(&self) -> MatRef<'_, f64> {
        self.h.as_ref()
    }

    /// `H ← I`.
    pub fn reset(&mut self) {
        self.h = Mat::identity(self.h.nrows(), self.h.ncols());
        self.first = true;
    }

    /// Whether the kernels over `H` run on rayon's pool.
    fn parallel(&self) -> bool {
        self.h.nrows() >= PARALLEL_MIN_PARAMS && !matches!(self.par, Par::Seq)
    }

    /// Offers the pair in `self.pair` (with the gradient at the older point); updates
    /// `H` or skips. After an update, `hg` holds `H⁺g` and the result is `true`.
    fn offer_pair(&mut self, g: &[f64], hg: &mut [f64]) -> bool {
        let (s, y) = (&self.pair.s, &self.pair.y);
        let sty = dot(s, y);
        let enough = sty.partial_cmp(&(CURVATURE_EPS * norm(s) * norm(y)));
        if enough != Some(std::cmp::Ordering::Greater) {
            self.last_update = None;
            return false;
        }
        let mut hy = std::mem::take(&mut self.hy);
        symmetric_product(&self.h, &self.pair.y, &mut hy, self.parallel());
        let yhy = dot(&self.pair.y, &hy);
        // α from s = α d (the last direction).
        let dd = dot(&self.direction, &self.direction);
        let alpha = dot(&self.pair.s, &self.direction) / dd;
        let rho = 1.0 / sty;
        let h = yhy * rho;
        let b = -alpha * rho * dot(&self.pair.s, self.pair.previous_gradient());
        let params = update_parameters(self.update, h, b, self.first, self.pair.s.len());
        let UpdateParameters { tau, phi, .. } = params;
        let ok = [rho, yhy, tau, phi, 1.0 / tau]
            .iter()
            .all(|v| v.is_finite())
            && yhy > 0.0;
        if !ok {
            self.hy = hy;
            self.reset();
            self.last_update = None;
            return false;
        }
        // v = ρ s − Hy/yᵀHy; H ← (H − Hy Hyᵀ/yHy + φ·yHy·v vᵀ)/τ + ρ s sᵀ, in one
        // pass over H that also forms H⁺g and checks H⁺ for non-finite entries.
        let v: Vec<f64> = self
            .pair
            .s
            .iter()
            .zip(&hy)
            .map(|(s, h)| rho * s - h / yhy)
            .collect();
        let (inv_tau, c_hy, c_v) = (1.0 / tau, 1.0 / yhy, phi * yhy);
        let parallel = self.parallel();
        let coefficients = RankTwo {
            inv_tau,
            c_hy,
            c_v,
            rho,
        };
        let vectors = UpdateVectors {
            hy: &hy,
            v: &v,
            s: &self.pair.s,
            g,
        };
        let finite = coefficients.apply_and_multiply(&mut self.h, vectors, hg, parallel);
        self.hy = hy;
        if !finite {
            self.reset();
            self.last_update = None;
            return false;
        }
        self.first = false;
        self.last_update = Some(params);
        true
    }
}

impl Descent for DenseQuasiNewton {
    fn name(&self) -> &'static str {
        match self.update {
            DenseUpdate::Bfgs => "bfgs",
            DenseUpdate::SsBfgs => "ss_bfgs",
            DenseUpdate::SsBroyden => "ss_broyden",
        }
    }

    fn needs_jacobian(&self) -> bool {
        false
    }

    fn prepare(
        &mut self,
        _problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let t = Instant::now();
        let g = lin.gradient;
        // The update reads the last direction; H⁺g goes into a separate buffer.
        let mut hg = std::mem::take(&mut self.hg);
        let updated = self.pair.advance(lin.theta, g) && self.offer_pair(g, &mut hg);
        self.pair.remember(lin.theta, g);
        if !updated {
            symmetric_product(&self.h, g, &mut hg, self.parallel());
        }
        // Hg becomes the direction; the old direction's buffer holds the next Hg.
        let mut d = hg;
        self.hg = std::mem::take(&mut self.direction);
        if !negate_or_steepest(&mut d, g) {
            self.reset();
        }
        self.direction = d;
        meter.time.matrix += t.elapsed().as_secs_f64();
        Ok(())
    }

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        scaled(out, boldness.length(), &self.direction);
        Ok(0)
    }

    fn first_step_length(&self, step_norm: f64) -> f64 {
        first_length(self.first, step_norm)
    }

    fn restart(&mut self) -> bool {
        if self.first {
            false
        } else {
            self.reset();
            self.pair.forget();
            true
        }
    }

    /// `H` is kept across point sets (as the published PINN runs do); only the
    /// pending pair, which would mix two sets, is dropped.
    fn residual_set_changed(&mut self) {
        self.pair.forget();
    }

    /// `H` and whether it has been updated since `H = I`; the previous iterate's pair
    /// belongs to the earlier problem and is not taken.
    fn adopt_memory(&mut self, earlier: &PartState) -> Result<bool, StateError> {
        if earlier.part != self.name() {
            return Ok(false);
        }
        let p = self.direction.len();
        let mut h = vec![0.0; p * p];
        earlier.vector_into("inverse_hessian", &mut h)?;
        self.h = Mat::from_fn(p, p, |i, j| h[j * p + i]);
        self.first = earlier.flag("first_update")?;
        self.pair.forget();
        Ok(true)
    }

    /// The direction is saved state; preparing again would offer the pair twice.
    fn reprepare(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        _meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        Ok(())
    }

    fn save(&self) -> PartState {
        let p = self.direction.len();
        let mut h = Vec::with_capacity(p * p);
        for j in 0..p {
            h.extend(self.h.col(j).iter().copied());
        }
        self.pair
            .save_into(PartState::new(self.name()))
            .with_vector("inverse_hessian", &h)
            .with_vector("direction", &self.direction)
            .with_flag("first_update", self.first)
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        let p = self.direction.len();
        let mut h = vec![0.0; p * p];
        state.vector_into("inverse_hessian", &mut h)?;
        self.h = Mat::from_fn(p, p, |i, j| h[j * p + i]);
        self.pair.load_from(state)?;
        state.vector_into("direction", &mut self.direction)?;
        self.first = state.flag("first_update")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{EvaluationCounts, TimeSplit};
    use faer::Accum;
    use faer::linalg::matmul::matmul;

    use super::super::NoProblem as Unused;

    /// A = QΛQᵀ-like SPD matrix with condition ~50 and b, for f = ½θᵀAθ − bᵀθ.
    fn quadratic(n: usize) -> (Mat<f64>, Vec<f64>) {
        let m = Mat::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.4);
        let mut a = Mat::<f64>::zeros(n, n);
        matmul(
            a.as_mut(),
            Accum::Replace,
            m.as_ref(),
            m.transpose(),
            1.0,
            Par::Seq,
        );
        for i in 0..n {
            a[(i, i)] += 0.05 * (i + 1) as f64;
        }
        let b = (0..n).map(|i| 1.0 - 0.3 * i as f64).collect();
        (a, b)
    }

    fn gradient(a: &Mat<f64>, b: &[f64], x: &[f64]) -> Vec<f64> {
        (0..b.len())
            .map(|i| (0..b.len()).map(|j| a[(i, j)] * x[j]).sum::<f64>() - b[i])
            .collect()
    }

    fn prepare(q: &mut DenseQuasiNewton, theta: &[f64], g: &[f64]) {
        let (mut t, mut c) = (TimeSplit::default(), EvaluationCounts::default());
        let lin = Linearization {
            theta,
            residuals: &[],
            jacobian: None,
            gradient: g,
            loss: 0.0,
        };
        let meter = Meter {
            time: &mut t,
            counts: &mut c,
        };
        q.prepare(&Unused, &lin, meter).unwrap();
    }

    fn is_spd(h: MatRef<'_, f64>) -> bool {
        h.llt(faer::Side::Lower).is_ok()
    }

    /// Quasi-Newton methods of the Broyden class with exact line searches on a strictly
    /// convex quadratic reach the minimiser in at most n steps, and BFGS ends with
    /// `H = A⁻¹` (Nocedal & Wright 2006, Theorem 6.4; for the self-scaled variants,
    /// Oren & Luenberger 1974).
    #[test]
    fn exact_line_searches_on_a_quadratic_terminate_in_n_steps() {
        let n = 6;
        let (a, b) = quadratic(n);
        for update in [
            DenseUpdate::Bfgs,
            DenseUpdate::SsBfgs,
            DenseUpdate::SsBroyden,
        ] {
            let mut q = DenseQuasiNewton::new(n, update, Par::Seq);
            let mut x = vec![0.0; n];
            for _ in 0..n {
                let g = gradient(&a, &b, &x);
                prepare(&mut q, &x, &g);
                assert!(is_spd(q.inverse_hessian()), "{update:?}: H not SPD");
                let d = q.direction.clone();
                let ad: Vec<f64> = (0..n)
                    .map(|i| (0..n).map(|j| a[(i, j)] * d[j]).sum())
                    .collect();
                let alpha = -dot(&g, &d) / dot(&d, &ad);
                for (xi, di) in x.iter_mut().zip(&d) {
                    *xi += alpha * di;
                }
            }
            let g = gradient(&a, &b, &x);
            let gnorm = norm(&g);
            assert!(gnorm < 1e-10, "{update:?}: ‖∇f‖ = {gnorm:e} after n steps");
            if update == DenseUpdate::Bfgs {
                // One more preparation offers the n-th pair: H = A⁻¹.
                prepare(&mut q, &x, &g);
                let h = q.inverse_hessian();
                let mut ha = Mat::<f64>::zeros(n, n);
                matmul(ha.as_mut(), Accum::Replace, h, a.as_ref(), 1.0, Par::Seq);
                let err = (0..n)
                    .flat_map(|i| (0..n).map(move |j| (i, j)))
                    .map(|(i, j)| (ha[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs())
                    .fold(0.0, f64::max);
                assert!(err < 1e-10, "BFGS: max |HA − I| = {err:e}");
            }
        }
    }

    /// A descent that adopts the memory of a BFGS solve of `½θᵀAθ − bᵀθ` (which ended
    /// with `H = A⁻¹`) takes the Newton step of a related problem with the same `A` and
    /// another `b` at once: its first direction reaches that problem's minimiser with
    /// step length 1. The earlier pair is not taken (the first preparation makes no
    /// update), and a state of another kind is declined and leaves `H = I`.
    #[test]
    fn adopted_memory_gives_the_newton_step_of_a_related_problem() {
        let n = 6;
        let (a, b) = quadratic(n);
        let mut q = DenseQuasiNewton::new(n, DenseUpdate::Bfgs, Par::Seq);
        let mut x = vec![0.0; n];
        for _ in 0..=n {
            let g = gradient(&a, &b, &x);
            prepare(&mut q, &x, &g);
            let d = q.direction.clone();
            let ad: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| a[(i, j)] * d[j]).sum())
                .collect();
            let dad = dot(&d, &ad);
            if dad > 0.0 {
                let alpha = -dot(&g, &d) / dad;
                for (xi, di) in x.iter_mut().zip(&d) {
                    *xi += alpha * di;
                }
            }
        }
        let earlier = q.save();
        let mut fresh = DenseQuasiNewton::new(n, DenseUpdate::Bfgs, Par::Seq);
        assert!(fresh.adopt_memory(&earlier).unwrap());
        assert_eq!(fresh.inverse_hessian(), q.inverse_hessian());
        assert!(!fresh.first);
        assert_eq!(fresh.first_step_length(1e3), 1.0);
        let b2: Vec<f64> = b.iter().map(|v| 2.0 * v - 0.5).collect();
        let x0 = vec![0.3; n];
        let g0 = gradient(&a, &b2, &x0);
        prepare(&mut fresh, &x0, &g0);
        assert!(fresh.last_update.is_none(), "the earlier pair was offered");
        let x1: Vec<f64> = x0
            .iter()
            .zip(&fresh.direction)
            .map(|(x, d)| x + d)
            .collect();
        let g1 = norm(&gradient(&a, &b2, &x1));
        assert!(g1 < 1e-9 * norm(&g0), "‖∇f‖ after the adopted step: {g1:e}");

        let mut other = DenseQuasiNewton::new(n, DenseUpdate::SsBroyden, Par::Seq);
        assert!(!other.adopt_memory(&earlier).unwrap());
        assert_eq!(other.inverse_hessian(), Mat::<f64>::identity(n, n).as_ref());
        assert!(other.first);
    }

    #[test]
    fn update_parameters_match_hand_computed_values() {
        // h = 3, b = 2: a = 5, c = √(5/6), ρ⁻ = 3(1 − c) < 1, ϑ⁻ = (ρ⁻ − 1)/5,
        // (1 − b)/b = −½ < ϑ⁺, so ϑ = max(ϑ⁻, −½) = ϑ⁻ ≈ −0.1477.
        let c = (5.0f64 / 6.0).sqrt();
        let rho_minus = 3.0 * (1.0 - c);
        let theta = (rho_minus - 1.0) / 5.0;
        let first = update_parameters(DenseUpdate::SsBroyden, 3.0, 2.0, true, 2);
        assert_eq!(first.a, 5.0);
        assert!((first.theta - theta).abs() < 1e-15);
        let sigma = 1.0 + 5.0 * theta; // = ρ⁻
        assert!((first.tau - 3.0 / sigma).abs() < 1e-13);
        assert!((first.phi - (1.0 - theta) / sigma).abs() < 1e-13);
        // Later, P = 2: σ' = |σ|^{1/(1−2)} = 1/σ; ϑ ≤ 0, so τ = min(min(1, ½)/σ, σ) = σ.
        let later = update_parameters(DenseUpdate::SsBroyden, 3.0, 2.0, false, 2);
        assert!((later.tau - sigma).abs() < 1e-15);
        // SSBFGS: ϑ = 0, φ = 1, τ = h first, then min(1, 1/b).
        let f = update_parameters(DenseUpdate::SsBfgs, 3.0, 2.0, true, 2);
        assert_eq!((f.theta, f.phi, f.tau), (0.0, 1.0, 3.0));
        let l = update_parameters(DenseUpdate::SsBfgs, 3.0, 2.0, false, 2);
        assert_eq!(l.tau, 0.5);
        let l = update_parameters(DenseUpdate::SsBfgs, 3.0, 0.5, false, 2);
        assert_eq!(l.tau, 1.0);
        // BFGS: no scaling.
        let bf = update_parameters(DenseUpdate::Bfgs, 3.0, 2.0, false, 2);
        assert_eq!((bf.theta, bf.tau, bf.phi), (0.0, 1.0, 1.0));
    }

    #[test]
    fn bad_pairs_are_skipped_and_the_state_round_trips() {
        let mut q = DenseQuasiNewton::new(2, DenseUpdate::SsBroyden, Par::Seq);
        prepare(&mut q, &[0.0, 0.0], &[1.0, 0.0]);
        // sᵀy < 0: skipped, H stays I.
        prepare(&mut q, &[-1.0, 0.0], &[2.0, 0.0]);
        assert!(q.last_update.is_none());
        assert_eq!(q.inverse_hessian()[(0, 0)], 1.0);
        // A good pair updates H and keeps it SPD and symmetric.
        prepare(&mut q, &[-1.5, 0.1], &[1.0, 0.3]);
        assert!(q.last_update.is_some());
        let h = q.inverse_hessian();
        assert_eq!(h[(0, 1)].to_bits(), h[(1, 0)].to_bits());
        assert!(is_spd(h));
        let mut r = DenseQuasiNewton::new(2, DenseUpdate::SsBroyden, Par::Seq);
        r.load(&q.save()).unwrap();
        assert_eq!(r.save(), q.save());
        assert!(
            DenseQuasiNewton::new(2, DenseUpdate::Bfgs, Par::Seq)
                .load(&q.save())
                .is_err()
        );
    }
}
