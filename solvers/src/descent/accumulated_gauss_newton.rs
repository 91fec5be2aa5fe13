//! Damped Gauss–Newton on normal equations accumulated over re-drawn residual sets,
//! with exponential forgetting: recursive least squares applied to the linearised
//! residuals, the Gauss–Newton form of the extended Kalman filter.
//!
//! # Why
//! A PINN whose collocation points are re-drawn at every step sees a new residual set
//! `r_k` each iteration. Levenberg–Marquardt then solves each draw's Gauss–Newton model
//! almost exactly (λ → 0 near a minimum), so every step also fits that draw's own share
//! of the remaining error, and the iterate jitters by as much as the error between
//! points of one draw. Keeping the linearised residuals of the earlier draws in the
//! model averages that share out, at the cost of one `P × P` matrix.
//!
//! # Math
//! With `w_j ∝ β^{k−j}` normalised to sum to one over the draws `j ≤ k` (`β` the
//! forgetting factor), the model at iteration `k` is
//!
//! `M_k(θ) = Σ_j w_j ½‖r_j(θ_j) + J_j (θ − θ_j)‖²`,
//!
//! each draw linearised where it was evaluated. Its Hessian and its gradient at the
//! current iterate `θ_k` follow from the previous ones by (Ljung & Söderström, *Theory
//! and Practice of Recursive Identification*, 1983, §2.6; for neural networks Singhal &
//! Wu 1989 and Puskorius & Feldkamp 1994):
//!
//! - `s_k = β s_{k−1} + 1`, `α_k = 1/s_k` (so the first draw has weight one, and the
//!   weights approach `(1 − β)β^{k−j}`);
//! - `A_k = (1 − α_k) A_{k−1} + α_k J_kᵀJ_k`;
//! - `g_k = (1 − α_k) (g_{k−1} + A_{k−1}(θ_k − θ_{k−1})) + α_k J_kᵀr_k`, the earlier
//!   draws' model gradient moved to `θ_k` along its own Hessian.
//!
//! When `θ_k` is the last trial accepted, `θ_k − θ_{k−1} = δ` solved
//! `(A_{k−1} + λD̃²) δ = −g_{k−1}`, so the moved gradient is exactly `−λD̃²δ`, and that
//! is what is used. Forming `g + Aδ` instead would add rounding errors of order
//! `ε‖A‖‖δ‖` in every direction, including the near-null directions of a network's
//! `JᵀJ`, which the next solve divides by eigenvalues near λ: measured on a 449-parameter
//! PINN, the steps then grew to norm 40 along directions the loss does not see, the
//! model's predicted decrease reached 10⁸ times the loss, and the iterate diverged. When
//! the iterate did not move (a rejected trial, then a new draw), `g_{k−1}` is kept as it
//! is; any other move falls back to the product.
//!
//! The step is `δ(λ) = −(A_k + λD̃²)⁻¹ g_k` with `D̃² = clamp(diag A_k, 1e-6, 1e32)`
//! (Marquardt's scaling on the accumulated matrix; the identity and the running maximum
//! are also offered), by a Cholesky factorisation per trial, and the model decrease it
//! predicts, `M_k(θ_k) − M_k(θ_k + δ) = −g_kᵀδ − ½δᵀA_kδ`, is what the reduction-ratio
//! control compares with the loss change on the current draw.
//!
//! `β = 0` is plain Levenberg–Marquardt on the current draw (`A = JᵀJ`, `g = Jᵀr`). On a
//! linear least-squares problem the linearisations are exact, so with `λ → 0` the
//! iterate after draw `k` is the minimiser of the weighted sum of every draw's squares
//! (tested below).
//!
//! The matrices are kept across re-drawn sets (that is the point); a method switch
//! starts afresh.

use super::damped_gauss_newton::{MARQUARDT_MAX, MARQUARDT_MIN};
use super::{Descent, Linearization, Meter};
use crate::config::Scaling;
use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::linalg::normal_cholesky::{gram_lower, llt_solve};
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use faer::dyn_stack::{MemBuffer, StackReq};
use faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch;
use faer::{Mat, MatMut, Par};
use std::time::Instant;

/// Damped Gauss–Newton on accumulated normal equations (see the module docs).
pub struct AccumulatedGaussNewton {
    par: Par,
    /// The forgetting factor `β ∈ [0, 1)`.
    forgetting: f64,
    scaling: Scaling,
    /// `A_k`, lower triangle.
    a: Mat<f64>,
    /// `J_kᵀJ_k` of the current draw, lower triangle.
    gram: Mat<f64>,
    /// `g_k`.
    g: Vec<f64>,
    /// `θ` of the last preparation.
    theta_prev: Vec<f64>,
    /// `s_k` (0 before the first draw).
    weight: f64,
    /// `D̃²`.
    d2: Vec<f64>,
    /// Per-trial copy of `A_k + λD̃²`, then its factor.
    h: Mat<f64>,
    x: Mat<f64>,
    work: Vec<f64>,
    mem: MemBuffer,
    last_decrease: Option<f64>,
    /// The last trial step and its damping (to recognise it as the move to the next
    /// iterate).
    last_step: Vec<f64>,
    last_lambda: f64,
    /// Whether `last_step` holds a computed step.
    has_last_step: bool,
}

impl AccumulatedGaussNewton {
    /// For `p` parameters with forgetting factor `forgetting` (validated by the
    /// configuration to lie in `[0, 1)`).
    pub fn new(p: usize, forgetting: f64, scaling: Scaling, par: Par) -> Self {
        let req = StackReq::any_of(&[cholesky_in_place_scratch::<f64>(p, par, Default::default())]);
        let start = if scaling == Scaling::MarquardtMax {
            0.0
        } else {
            1.0
        };
        Self {
            par,
            forgetting,
            scaling,
            a: Mat::zeros(p, p),
            gram: Mat::zeros(p, p),
            g: vec![0.0; p],
            theta_prev: vec![0.0; p],
            weight: 0.0,
            d2: vec![start; p],
            h: Mat::zeros(p, p),
            x: Mat::zeros(p, 1),
            work: vec![0.0; p],
            mem: MemBuffer::new(req),
            last_decrease: None,
            last_step: vec![0.0; p],
            last_lambda: 0.0,
            has_last_step: false,
        }
    }

    /// `A_k` (lower triangle) and `g_k` of the last preparation.
    pub fn model(&self) -> (faer::MatRef<'_, f64>, &[f64]) {
        (self.a.as_ref(), &self.g)
    }
}

/// `y = A x` for a symmetric `A` of which the lower triangle is stored, in a fixed
/// order (column by column), so the bits do not depend on the thread count.
fn symmetric_lower_mat_vec(a: faer::MatRef<'_, f64>, x: &[f64], y: &mut [f64]) {
    let p = x.len();
    y.fill(0.0);
    for j in 0..p {
        let col = a.col(j);
        let xj = x[j];
        let mut acc = col[j] * xj;
        for i in j + 1..p {
            let aij = col[i];
            y[i] += aij * xj;
            acc += aij * x[i];
        }
        y[j] += acc;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `dst ← (1 − α) dst + α src` on the lower triangle.
fn blend_lower(mut dst: MatMut<'_, f64>, src: faer::MatRef<'_, f64>, alpha: f64) {
    let keep = 1.0 - alpha;
    for j in 0..dst.ncols() {
        for i in j..dst.nrows() {
            dst[(i, j)] = keep * dst[(i, j)] + alpha * src[(i, j)];
        }
    }
}

impl Descent for AccumulatedGaussNewton {
    fn name(&self) -> &'static str {
        "accumulated_gauss_newton"
    }

    fn needs_jacobian(&self) -> bool {
        true
    }

    fn prepare(
        &mut self,
        _problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let t = Instant::now();
        let jac = lin
            .jacobian
            .expect("accumulated Gauss–Newton needs the assembled Jacobian");
        gram_lower(self.gram.as_mut(), jac, self.par);
        let weight = self.forgetting * self.weight + 1.0;
        let alpha = 1.0 / weight;
        if self.weight == 0.0 {
            blend_lower(self.a.as_mut(), self.gram.as_ref(), 1.0);
            self.g.copy_from_slice(lin.gradient);
        } else {
            // The earlier draws' model gradient at θ_k (see the module docs).
            let accepted_last_step = self.has_last_step
                && self
                    .theta_prev
                    .iter()
                    .zip(&self.last_step)
                    .zip(lin.theta)
                    .all(|((p, d), t)| (p + d).to_bits() == t.to_bits());
            if accepted_last_step {
                for ((g, d), d2) in self.g.iter_mut().zip(&self.last_step).zip(&self.d2) {
                    *g = -self.last_lambda * d2 * d;
                }
            } else if self.theta_prev != lin.theta {
                for ((w, t), p) in self.work.iter_mut().zip(lin.theta).zip(&self.theta_prev) {
                    *w = t - p;
                }
                let mut moved = vec![0.0; self.g.len()];
                symmetric_lower_mat_vec(self.a.as_ref(), &self.work, &mut moved);
                self.g.iter_mut().zip(&moved).for_each(|(g, m)| *g += m);
            }
            for (g, new) in self.g.iter_mut().zip(lin.gradient) {
                *g = (1.0 - alpha) * *g + alpha * new;
            }
            blend_lower(self.a.as_mut(), self.gram.as_ref(), alpha);
        }
        self.weight = weight;
        self.theta_prev.copy_from_slice(lin.theta);
        for (j, d) in self.d2.iter_mut().enumerate() {
            let c2 = self.a[(j, j)].clamp(MARQUARDT_MIN, MARQUARDT_MAX);
            match self.scaling {
                Scaling::Identity => {}
                Scaling::Marquardt => *d = c2,
                Scaling::MarquardtMax => *d = d.max(c2),
            }
        }
        meter.time.matrix += t.elapsed().as_secs_f64();
        if self.g.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(LinearSolveError::NonFinite)
        }
    }

    /// After a resume: the saved matrices already hold the draw at this iterate.
    fn reprepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        if self.weight > 0.0 && self.theta_prev == lin.theta {
            return Ok(());
        }
        self.prepare(problem, lin, meter)
    }

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let t = Instant::now();
        self.last_decrease = None;
        self.has_last_step = false;
        let lambda = boldness.damping();
        let p = self.g.len();
        for j in 0..p {
            for i in j..p {
                self.h[(i, j)] = self.a[(i, j)];
            }
            self.h[(j, j)] += lambda * self.d2[j];
            self.x[(j, 0)] = -self.g[j];
        }
        let solved = llt_solve(self.h.as_mut(), self.x.as_mut(), self.par, &mut self.mem);
        meter.time.solve += t.elapsed().as_secs_f64();
        solved?;
        for (o, x) in out.iter_mut().zip(self.x.col(0).iter()) {
            *o = *x;
        }
        if !out.iter().all(|v| v.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        symmetric_lower_mat_vec(self.a.as_ref(), out, &mut self.work);
        self.last_decrease = Some(-dot(&self.g, out) - 0.5 * dot(out, &self.work));
        self.last_step.copy_from_slice(out);
        self.last_lambda = lambda;
        self.has_last_step = true;
        Ok(0)
    }

    /// `M_k(θ_k) − M_k(θ_k + δ)` of the accumulated model.
    fn model_decrease(&self) -> Option<f64> {
        self.last_decrease
    }

    /// `‖D̃x‖₂` with `D̃²` from the accumulated matrix's diagonal.
    fn scaled_norm(&self, x: &[f64]) -> f64 {
        super::diagonally_scaled_norm(x, &self.d2)
    }

    fn save(&self) -> PartState {
        let p = self.g.len();
        let mut a = Vec::with_capacity(p * p);
        for j in 0..p {
            a.extend(self.a.col(j).iter().copied());
        }
        PartState::new(self.name())
            .with_vector("normal_matrix", &a)
            .with_vector("model_gradient", &self.g)
            .with_vector("linearized_at", &self.theta_prev)
            .with_scalar("weight", self.weight)
            .with_vector("scaling_squared", &self.d2)
            .with_vector("last_step", &self.last_step)
            .with_scalar("last_damping", self.last_lambda)
            .with_flag("has_last_step", self.has_last_step)
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        let p = self.g.len();
        let mut a = vec![0.0; p * p];
        state.vector_into("normal_matrix", &mut a)?;
        self.a = Mat::from_fn(p, p, |i, j| a[j * p + i]);
        state.vector_into("model_gradient", &mut self.g)?;
        state.vector_into("linearized_at", &mut self.theta_prev)?;
        self.weight = state.scalar("weight")?;
        state.vector_into("scaling_squared", &mut self.d2)?;
        state.vector_into("last_step", &mut self.last_step)?;
        self.last_lambda = state.scalar("last_damping")?;
        self.has_last_step = state.flag("has_last_step")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{EvaluationCounts, TimeSplit};
    use faer::linalg::solvers::Solve;

    use super::super::NoProblem as Unused;

    /// Draw `k` of a linear least-squares problem `r_k(θ) = J_k θ − b_k` (`m × p`).
    fn draw(k: usize, m: usize, p: usize) -> (Mat<f64>, Vec<f64>) {
        let j = Mat::from_fn(m, p, |i, c| {
            (((i + 3 * k) * 7 + c * 5 + k * k) % 13) as f64 / 13.0 - 0.45
                + 0.1 * f64::from(u8::from(i == c))
        });
        let b = (0..m).map(|i| ((i * 3 + k) % 5) as f64 - 2.0).collect();
        (j, b)
    }

    fn residuals(j: &Mat<f64>, b: &[f64], theta: &[f64]) -> Vec<f64> {
        (0..b.len())
            .map(|i| (0..theta.len()).map(|c| j[(i, c)] * theta[c]).sum::<f64>() - b[i])
            .collect()
    }

    /// Prepares `d` with draw `(j, b)` at `theta` and takes the step for `lambda`.
    fn prepare_and_step(
        d: &mut AccumulatedGaussNewton,
        j: &Mat<f64>,
        b: &[f64],
        theta: &[f64],
        lambda: f64,
    ) -> Vec<f64> {
        let (mut t, mut c) = (TimeSplit::default(), EvaluationCounts::default());
        let r = residuals(j, b, theta);
        let grad: Vec<f64> = (0..theta.len())
            .map(|col| (0..r.len()).map(|i| j[(i, col)] * r[i]).sum())
            .collect();
        let lin = Linearization {
            theta,
            residuals: &r,
            jacobian: Some(j.as_ref()),
            gradient: &grad,
            loss: 0.5 * dot(&r, &r),
        };
        let meter = Meter {
            time: &mut t,
            counts: &mut c,
        };
        d.prepare(&Unused, &lin, meter).unwrap();
        let mut out = vec![0.0; theta.len()];
        let meter = Meter {
            time: &mut t,
            counts: &mut c,
        };
        d.step(
            &Unused,
            &lin,
            Boldness::from_damping(lambda),
            &mut out,
            meter,
        )
        .unwrap();
        out
    }

    /// The minimiser of `Σ_k w_k ‖J_k θ − b_k‖²` by the normal equations, solved with
    /// faer's LU on the full matrix (an independent path).
    fn weighted_minimiser(draws: &[(Mat<f64>, Vec<f64>)], w: &[f64], p: usize) -> Vec<f64> {
        let mut a = Mat::<f64>::zeros(p, p);
        let mut rhs = Mat::<f64>::zeros(p, 1);
        for ((j, b), &wk) in draws.iter().zip(w) {
            for r in 0..p {
                for c in 0..p {
                    a[(r, c)] += wk * (0..b.len()).map(|i| j[(i, r)] * j[(i, c)]).sum::<f64>();
                }
                rhs[(r, 0)] += wk * (0..b.len()).map(|i| j[(i, r)] * b[i]).sum::<f64>();
            }
        }
        let x = a.partial_piv_lu().solve(&rhs);
        x.col(0).iter().copied().collect()
    }

    /// On linear least squares the linearisations are exact: after each draw, the
    /// undamped step lands on the minimiser of the `β`-weighted sum of every draw so far.
    #[test]
    fn linear_draws_are_solved_as_their_weighted_sum() {
        let (m, p, beta) = (9, 5, 0.6);
        let draws: Vec<_> = (0..4).map(|k| draw(k, m, p)).collect();
        let mut d = AccumulatedGaussNewton::new(p, beta, Scaling::Marquardt, Par::Seq);
        let mut theta = vec![0.3; p];
        for k in 0..draws.len() {
            let (j, b) = &draws[k];
            let step = prepare_and_step(&mut d, j, b, &theta, 1e-300);
            for (t, s) in theta.iter_mut().zip(&step) {
                *t += s;
            }
            let w: Vec<f64> = (0..=k).map(|i| beta.powi((k - i) as i32)).collect();
            let want = weighted_minimiser(&draws[..=k], &w, p);
            let err = theta
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-12, "after draw {k}: max error {err:e}");
        }
    }

    /// `β = 0` is Levenberg–Marquardt on the current draw: `(JᵀJ + λD̃²) δ = −Jᵀr` with
    /// Marquardt's `D̃² = diag JᵀJ`, and the model decrease is the Gauss–Newton one.
    #[test]
    fn without_forgetting_memory_it_is_levenberg_marquardt() {
        let (m, p, lambda) = (8, 4, 0.3);
        let mut d = AccumulatedGaussNewton::new(p, 0.0, Scaling::Marquardt, Par::Seq);
        let theta = vec![0.1, -0.2, 0.5, 1.0];
        // An earlier draw at another point, which β = 0 forgets.
        let (j0, b0) = draw(7, m, p);
        prepare_and_step(&mut d, &j0, &b0, &[1.0; 4], lambda);
        let (j, b) = draw(2, m, p);
        let step = prepare_and_step(&mut d, &j, &b, &theta, lambda);
        let r = residuals(&j, &b, &theta);
        let mut h = Mat::<f64>::zeros(p, p);
        let mut rhs = Mat::<f64>::zeros(p, 1);
        for c in 0..p {
            for e in 0..p {
                h[(c, e)] = (0..m).map(|i| j[(i, c)] * j[(i, e)]).sum();
            }
            rhs[(c, 0)] = -(0..m).map(|i| j[(i, c)] * r[i]).sum::<f64>();
        }
        for c in 0..p {
            h[(c, c)] += lambda * h[(c, c)];
        }
        let want = h.partial_piv_lu().solve(&rhs);
        for (c, s) in step.iter().enumerate() {
            assert!((s - want[(c, 0)]).abs() < 1e-13, "{s} vs {}", want[(c, 0)]);
        }
        let jd: Vec<f64> = (0..m)
            .map(|i| (0..p).map(|c| j[(i, c)] * step[c]).sum::<f64>() + r[i])
            .collect();
        let gn = 0.5 * dot(&r, &r) - 0.5 * dot(&jd, &jd);
        let got = d.model_decrease().unwrap();
        assert!((got - gn).abs() < 1e-13 * gn, "{got} vs {gn}");
    }

    /// The state round-trips, and a resumed descent continues with the same bits; a
    /// re-preparation at the saved iterate adds nothing.
    #[test]
    fn the_state_round_trips_and_resumes_bit_identically() {
        let (m, p) = (7, 3);
        let mut d = AccumulatedGaussNewton::new(p, 0.8, Scaling::MarquardtMax, Par::Seq);
        let mut theta = vec![0.2, 0.1, -0.4];
        for k in 0..3 {
            let (j, b) = draw(k, m, p);
            let s = prepare_and_step(&mut d, &j, &b, &theta, 1e-3);
            theta.iter_mut().zip(&s).for_each(|(t, s)| *t += s);
        }
        let mut e = AccumulatedGaussNewton::new(p, 0.8, Scaling::MarquardtMax, Par::Seq);
        e.load(&d.save()).unwrap();
        assert_eq!(e.save(), d.save());
        let (j, b) = draw(5, m, p);
        let a = prepare_and_step(&mut d, &j, &b, &theta, 1e-3);
        let c = prepare_and_step(&mut e, &j, &b, &theta, 1e-3);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let before = d.save();
        let r = residuals(&j, &b, &theta);
        let lin = Linearization {
            theta: &theta,
            residuals: &r,
            jacobian: Some(j.as_ref()),
            gradient: &[0.0; 3],
            loss: 0.0,
        };
        let (mut t, mut cnt) = (TimeSplit::default(), EvaluationCounts::default());
        let meter = Meter {
            time: &mut t,
            counts: &mut cnt,
        };
        d.reprepare(&Unused, &lin, meter).unwrap();
        assert_eq!(d.save(), before);
        let mut other = AccumulatedGaussNewton::new(p, 0.8, Scaling::Marquardt, Par::Seq);
        assert!(other.load(&PartState::new("damped_gauss_newton")).is_err());
    }

    /// The accumulated matrix stays symmetric positive semi-definite, and the step is a
    /// descent direction of the model: its predicted decrease is positive.
    #[test]
    fn the_model_decrease_is_positive() {
        let (m, p) = (6, 4);
        let mut d = AccumulatedGaussNewton::new(p, 0.9, Scaling::Identity, Par::Seq);
        let mut theta = vec![0.0; p];
        for k in 0..6 {
            let (j, b) = draw(k, m, p);
            let s = prepare_and_step(&mut d, &j, &b, &theta, 0.5);
            assert!(d.model_decrease().unwrap() > 0.0);
            theta.iter_mut().zip(&s).for_each(|(t, s)| *t += 0.5 * s);
        }
    }
}
