//! The inputs every solver sees: a least-squares problem, or a plain objective.
//!
//! # Convention
//! The loss of a least-squares problem is `L(θ) = ½‖r(θ)‖²`, so `∇L = Jᵀr` and the
//! Gauss–Newton matrix is `JᵀJ`. (argmin's `GaussNewton` reports `‖r‖` instead.)

use faer::MatMut;

/// A nonlinear least-squares problem `min_θ ½‖r(θ)‖²`, `r: R^P → R^N`.
///
/// Evaluation takes `&self` so that problems can be shared with argmin (whose problem
/// traits take `&self`) and evaluated from several threads. A non-finite entry in `r`
/// or `J` is not an error here: the solver detects it and rejects the trial step.
pub trait LeastSquares {
    /// `P`, the number of parameters.
    fn n_params(&self) -> usize;
    /// `N`, the number of residuals. Constant for the life of the problem, even when
    /// [`LeastSquares::resample`] changes which points the residuals are taken at.
    fn n_residuals(&self) -> usize;

    /// Writes `r(θ)` into `r` (length `N`).
    fn residuals(&self, theta: &[f64], r: &mut [f64]);

    /// Writes `r(θ)` into `r` and `J(θ) = ∂r/∂θ` into `jac` (`N × P`, caller-owned).
    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], jac: MatMut<'_, f64>);

    /// Writes the residuals `rows` of `r(θ)` into `r` and the same rows of `J(θ)` into
    /// `jac` (`rows.len() × P`), so that a solver can sweep `J` in macro-batches of rows
    /// without ever holding all `N × P` entries. The default assembles everything and
    /// copies the block out; problems whose rows can be evaluated on their own (a PINN:
    /// one row per collocation point and equation) should override it.
    fn jacobian_rows(
        &self,
        theta: &[f64],
        rows: std::ops::Range<usize>,
        r: &mut [f64],
        mut jac: MatMut<'_, f64>,
    ) {
        let (n, p) = (self.n_residuals(), self.n_params());
        let mut full_r = vec![0.0; n];
        let mut full = faer::Mat::<f64>::zeros(n, p);
        self.residuals_and_jacobian(theta, &mut full_r, full.as_mut());
        r.copy_from_slice(&full_r[rows.clone()]);
        jac.copy_from(full.as_ref().subrows(rows.start, rows.len()));
    }

    /// Writes `J(θ)·v` (length `N`) into `out`. The default assembles `J`; problems
    /// with a matrix-free forward mode should override it.
    fn jvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n_residuals(), self.n_params());
        let mut r = vec![0.0; n];
        let mut jac = faer::Mat::<f64>::zeros(n, p);
        self.residuals_and_jacobian(theta, &mut r, jac.as_mut());
        let vv = faer::ColRef::from_slice(v);
        let mut o = faer::ColMut::from_slice_mut(out);
        o.copy_from(&jac * vv);
    }

    /// Writes `J(θ)ᵀ·w` (length `P`) into `out`. The default assembles `J`.
    fn vjp(&self, theta: &[f64], w: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n_residuals(), self.n_params());
        let mut r = vec![0.0; n];
        let mut jac = faer::Mat::<f64>::zeros(n, p);
        self.residuals_and_jacobian(theta, &mut r, jac.as_mut());
        let ww = faer::ColRef::from_slice(w);
        let mut o = faer::ColMut::from_slice_mut(out);
        o.copy_from(jac.transpose() * ww);
    }

    /// Writes `r(θ)` into `r` and the gradient of the loss, `∇L = J(θ)ᵀ r(θ)`, into `g`
    /// (length `P`): what a line search needs at a trial point, and a quasi-Newton
    /// iteration at its iterate. The default evaluates [`LeastSquares::residuals`], then
    /// [`LeastSquares::vjp`] at `w = r`. A problem that can form both in one sweep over
    /// its points (a PINN: one forward pass gives the residuals and the channel values the
    /// reverse pass needs) overrides it; an override must give bit for bit the `r` and `g`
    /// of the default, so that fusing never changes an iterate.
    ///
    /// When `r` has a non-finite entry, `g` means nothing: the default then fills it with
    /// NaN without calling `vjp`, an override may leave whatever its sweep gave.
    fn residuals_and_gradient(&self, theta: &[f64], r: &mut [f64], g: &mut [f64]) {
        self.residuals(theta, r);
        if r.iter().all(|v| v.is_finite()) {
            self.vjp(theta, r, g);
        } else {
            g.fill(f64::NAN);
        }
    }

    /// Writes `r(θ_j)` for every `θ_j` in `thetas` into `r`, one after another
    /// (`r[j·N .. (j+1)·N]`). Line searches and probe controls evaluate many trial
    /// points per iteration; a problem that can share work between them (one sweep over
    /// its points for all of them) overrides this. An override must give bit for bit the
    /// vectors of [`LeastSquares::residuals`], so that batching never changes an iterate.
    fn residuals_many(&self, thetas: &[&[f64]], r: &mut [f64]) {
        let n = self.n_residuals();
        assert_eq!(
            r.len(),
            thetas.len() * n,
            "r holds one residual vector per θ"
        );
        for (theta, rj) in thetas.iter().zip(r.chunks_exact_mut(n.max(1))) {
            self.residuals(theta, rj);
        }
    }

    /// Called by the solve loop at an iteration boundary (before iteration `iteration`
    /// linearises), with `theta` the current iterate, so that a problem may draw where
    /// its residual at θ is large (residual-based adaptive sampling) or update weights
    /// that depend on `r(θ)`. A problem that changed its residuals returns `true`.
    ///
    /// # The contract
    /// - The residual function may change only here: between two calls, `r` is one
    ///   fixed function of θ, so the loop may compare losses and build curvature pairs.
    /// - After `true`, the loop re-evaluates `r` and `L` at the same θ on the new set
    ///   before any trial, and never compares a loss of the old set with one of the new.
    /// - What a descent carries across a change is its own business
    ///   (`Descent::residual_set_changed`): the dense quasi-Newton methods (BFGS,
    ///   SSBFGS, SSBroyden) keep their inverse-Hessian approximation `H` and drop only
    ///   the pending secant pair, which would mix two sets; L-BFGS forgets its pairs
    ///   (its next direction is steepest descent); Adam keeps its moments; the
    ///   Gauss–Newton family keeps its damping and linearises afresh.
    /// - `N` ([`LeastSquares::n_residuals`]) never changes.
    fn resample(&mut self, iteration: usize, theta: &[f64]) -> bool {
        let _ = (iteration, theta);
        false
    }
}

/// A smooth objective `f: R^P → R` with its gradient, for L-BFGS and Adam.
pub trait Objective {
    /// `P`, the number of parameters.
    fn n_params(&self) -> usize;
    /// `f(θ)`.
    fn value(&self, theta: &[f64]) -> f64;
    /// Returns `f(θ)` and writes `∇f(θ)` into `grad`.
    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64;
    /// `f(θ_j)` for every `θ_j` in `thetas` into `out`; the default evaluates them one
    /// by one. Overrides must equal [`Objective::value`] bit for bit.
    fn values(&self, thetas: &[&[f64]], out: &mut [f64]) {
        assert_eq!(out.len(), thetas.len(), "one value per θ");
        for (theta, o) in thetas.iter().zip(out.iter_mut()) {
            *o = self.value(theta);
        }
    }
    /// See [`LeastSquares::resample`].
    fn resample_objective(&mut self, iteration: usize, theta: &[f64]) -> bool {
        let _ = (iteration, theta);
        false
    }
}

/// Every least-squares problem is an objective: `f = ½‖r‖²`, `∇f = Jᵀr`.
impl<T: LeastSquares> Objective for T {
    fn n_params(&self) -> usize {
        LeastSquares::n_params(self)
    }
    fn value(&self, theta: &[f64]) -> f64 {
        let mut r = vec![0.0; self.n_residuals()];
        self.residuals(theta, &mut r);
        half_squared_norm(&r)
    }
    /// One [`LeastSquares::residuals_and_gradient`].
    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let mut r = vec![0.0; self.n_residuals()];
        self.residuals_and_gradient(theta, &mut r, grad);
        half_squared_norm(&r)
    }
    /// One [`LeastSquares::residuals_many`] for all θ, then `½‖r_j‖²` each.
    fn values(&self, thetas: &[&[f64]], out: &mut [f64]) {
        assert_eq!(out.len(), thetas.len(), "one value per θ");
        let n = self.n_residuals();
        let mut r = vec![0.0; thetas.len() * n];
        self.residuals_many(thetas, &mut r);
        for (o, rj) in out.iter_mut().zip(r.chunks_exact(n.max(1))) {
            *o = half_squared_norm(rj);
        }
        if n == 0 {
            out.fill(0.0);
        }
    }
    fn resample_objective(&mut self, iteration: usize, theta: &[f64]) -> bool {
        self.resample(iteration, theta)
    }
}

/// `½‖r‖²`, summed with faer's scaled, pairwise `norm_l2` so that no cancellation or
/// overflow creeps into the loss.
pub fn half_squared_norm(r: &[f64]) -> f64 {
    let n = faer::ColRef::from_slice(r).norm_l2();
    0.5 * n * n
}
