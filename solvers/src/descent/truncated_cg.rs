//! The Gauss–Newton–CG (Hessian-free) direction (Martens, ICML 2010): truncated,
//! Jacobi-preconditioned CG on `(JᵀJ + λI) δ = −Jᵀr` using only `J·v` and `Jᵀ·w`.
//!
//! The operator is never formed: `v ↦ Jᵀ(Jv) + λv` costs one `J·v` and one `Jᵀ·w`. The
//! Jacobi preconditioner is `diag(JᵀJ) + λ`, whose diagonal is the squared column norms
//! of `J`: read from the assembled `J`, or, matrix-free, computed once at the first
//! iterate from `P` products `J eⱼ` and reused (as Ceres computes its Jacobi scaling
//! once at iteration 0). CG starts from the previous trial's solution (Martens §4.5).
//!
//! With `preconditioner = nystrom` CG is preconditioned instead by a randomised rank-`s`
//! Nyström approximation `U Λ̂ Uᵀ ≈ JᵀJ`, as in NysNewton-CG (Rathore, Lei, Frangella,
//! Lu & Udell, ICML 2024): `P⁻¹ = (λ̂_s + λ) U(Λ̂ + λI)⁻¹Uᵀ + (I − UUᵀ)` for the operator
//! `JᵀJ + λI` CG actually sees (see [`crate::linalg::nystrom`]). Its `s` products with
//! `JᵀJ` are paid once per refresh, not per trial, and the damping λ enters only the
//! cheap application, so every trial of an iterate reuses one sketch.

use super::cg_nystrom::NystromSchedule;
use super::{Descent, Linearization, Meter};
use crate::config::{CgPreconditioner, GnCgConfig, JacobianAccess};
use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::linalg::cg::{
    CgError, CgParams, CgScratch, conjugate_gradient, preconditioned_conjugate_gradient,
};
use crate::linalg::fixed_order;
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::time::Instant;

/// Truncated-CG direction.
pub struct TruncatedCg {
    access: JacobianAccess,
    jacobi: bool,
    warm_start: bool,
    params: CgParams,
    scratch: CgScratch,
    par: Par,
    colnorm2: Vec<f64>,
    have_colnorms: bool,
    inv_diag: Vec<f64>,
    b: Vec<f64>,
    x: Vec<f64>,
    jv: Vec<f64>,
    /// The Nyström preconditioner, when configured (it replaces Jacobi).
    nystrom: Option<NystromSchedule>,
}

impl TruncatedCg {
    /// Buffers for an `n × p` problem.
    pub fn new(n: usize, p: usize, c: &GnCgConfig, par: Par) -> Self {
        Self {
            access: c.jacobian,
            jacobi: c.jacobi && c.preconditioner == CgPreconditioner::Jacobi,
            warm_start: c.warm_start,
            params: CgParams {
                max_iterations: c.max_cg_iterations,
                relative_residual_tolerance: c.relative_residual_tolerance,
                quadratic_progress_tolerance: c.quadratic_progress_tolerance,
                recompute_every: 10,
            },
            scratch: CgScratch::new(p),
            par,
            colnorm2: vec![0.0; p],
            have_colnorms: false,
            inv_diag: vec![1.0; p],
            b: vec![0.0; p],
            x: vec![0.0; p],
            jv: vec![0.0; n],
            nystrom: (c.preconditioner == CgPreconditioner::Nystrom)
                .then(|| NystromSchedule::new(n, p, c.rank, c.refresh_every, c.seed, par)),
        }
    }
}

impl Descent for TruncatedCg {
    fn name(&self) -> &'static str {
        "truncated_cg"
    }

    fn needs_jacobian(&self) -> bool {
        self.access == JacobianAccess::Assembled
    }

    fn prepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        self.reprepare(
            problem,
            lin,
            Meter {
                time: &mut *meter.time,
                counts: &mut *meter.counts,
            },
        )?;
        if let Some(nystrom) = &mut self.nystrom {
            let t = Instant::now();
            let built = nystrom.at_iterate(
                problem,
                lin,
                Meter {
                    time: &mut *meter.time,
                    counts: &mut *meter.counts,
                },
            );
            meter.time.matrix += t.elapsed().as_secs_f64();
            built?;
        }
        Ok(())
    }

    /// The right-hand side and the Jacobi diagonal at the iterate; the Nyström
    /// preconditioner is left as saved (rebuilding it would draw the next test matrix).
    fn reprepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let t = Instant::now();
        for (b, g) in self.b.iter_mut().zip(lin.gradient) {
            *b = -g;
        }
        if self.jacobi {
            match lin.jacobian {
                Some(jac) => {
                    for (j, c2) in self.colnorm2.iter_mut().enumerate() {
                        let c = jac.col(j).norm_l2();
                        *c2 = c * c;
                    }
                }
                None if !self.have_colnorms => {
                    let mut e = vec![0.0; self.colnorm2.len()];
                    for j in 0..e.len() {
                        e[j] = 1.0;
                        problem.jvp(lin.theta, &e, &mut self.jv);
                        meter.counts.jvps += 1;
                        let c = faer::ColRef::from_slice(&self.jv).norm_l2();
                        self.colnorm2[j] = c * c;
                        e[j] = 0.0;
                    }
                    self.have_colnorms = true;
                }
                None => {}
            }
        }
        meter.time.matrix += t.elapsed().as_secs_f64();
        Ok(())
    }

    fn step(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let t = Instant::now();
        let lambda = boldness.damping();
        if !self.warm_start || !self.x.iter().all(|v| v.is_finite()) {
            self.x.fill(0.0);
        }
        for (d, c2) in self.inv_diag.iter_mut().zip(&self.colnorm2) {
            *d = 1.0 / (c2 + lambda);
        }
        let (par, jv, counts) = (self.par, &mut self.jv, &mut *meter.counts);
        let p = self.b.len();
        let apply = |v: &[f64], o: &mut [f64]| {
            match lin.jacobian {
                Some(jac) => {
                    let n = jv.len();
                    fixed_order::mat_vec(jv, jac, v, 1.0, par);
                    matmul(
                        MatMut::from_column_major_slice_mut(o, p, 1),
                        Accum::Replace,
                        jac.transpose(),
                        MatRef::from_column_major_slice(jv, n, 1),
                        1.0,
                        par,
                    );
                }
                None => {
                    problem.jvp(lin.theta, v, jv);
                    problem.vjp(lin.theta, jv, o);
                    counts.jvps += 1;
                    counts.vjps += 1;
                }
            }
            for (o, v) in o.iter_mut().zip(v) {
                *o += lambda * v;
            }
        };
        let res = match &mut self.nystrom {
            Some(nystrom) => {
                let pre = nystrom.preconditioner();
                preconditioned_conjugate_gradient(
                    apply,
                    |r, z| pre.apply(lambda, r, z),
                    &self.b,
                    &mut self.x,
                    &self.params,
                    &mut self.scratch,
                )
            }
            None => conjugate_gradient(
                apply,
                self.jacobi.then_some(&self.inv_diag[..]),
                &self.b,
                &mut self.x,
                &self.params,
                &mut self.scratch,
            ),
        };
        meter.time.solve += t.elapsed().as_secs_f64();
        match res {
            Ok(info) => {
                out.copy_from_slice(&self.x);
                Ok(info.iterations)
            }
            Err(CgError::NonPositiveCurvature { iteration } | CgError::NonFinite { iteration }) => {
                self.x.fill(0.0);
                Err(LinearSolveError::CgBreakdown { iteration })
            }
        }
    }

    /// The warm start (the last CG solution), matrix-free the squared column norms
    /// computed once at the first iterate, and the Nyström preconditioner with its
    /// schedule when configured.
    fn save(&self) -> PartState {
        let state = PartState::new(self.name())
            .with_vector("warm_start", &self.x)
            .with_vector("column_norms_squared", &self.colnorm2)
            .with_flag("have_column_norms", self.have_colnorms);
        match &self.nystrom {
            Some(nystrom) => nystrom.save(state),
            None => state,
        }
    }

    fn residual_set_changed(&mut self) {
        if let Some(nystrom) = &mut self.nystrom {
            nystrom.invalidate();
        }
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        state.vector_into("warm_start", &mut self.x)?;
        state.vector_into("column_norms_squared", &mut self.colnorm2)?;
        self.have_colnorms = state.flag("have_column_norms")?;
        if let Some(nystrom) = &mut self.nystrom {
            nystrom.load(state)?;
        }
        Ok(())
    }
}
