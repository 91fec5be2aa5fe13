//! argmin as the boundary (cargo feature `argmin`, on by default): our problems and our
//! solvers plug into argmin 0.11 so that a user's argmin pipeline (observers, timeouts,
//! Ctrl-C, their own solvers) runs them unchanged. Our own loop ([`crate::driver`])
//! stays the core: every argmin iteration here is exactly one [`Solver::step`] of it.
//!
//! # Problems
//! Any [`LeastSquares`] problem `r: R^P → R^N` becomes an argmin problem with
//! `Vec<f64>` parameters (argmin-math has no faer 0.24 backend):
//! - `CostFunction`: `L(θ) = ½‖r(θ)‖²` (our convention; argmin's `GaussNewton` reports
//!   `‖r‖` instead);
//! - `Gradient`: `∇L = Jᵀr` through [`LeastSquares::vjp`];
//! - `Operator`: the residual vector `r(θ)`;
//! - `Jacobian`: `J(θ)` as `N` rows of length `P` (argmin-math's `vec` matrix type).
//!
//! [`ArgminProblem`] wraps a foreign problem; a type in a downstream crate implements
//! the four traits directly with [`impl_argmin_problem!`](crate::impl_argmin_problem).
//! A parameter vector of the wrong length is an argmin error, never a panic.
//!
//! # Solvers
//! [`ArgminSolver`] runs any [`SolverConfig`] (LM, ENGD, GN-CG, L-BFGS, …) as an argmin
//! `Solver` on the state [`ArgminState`]. It keeps our [`Solver`] (which owns the
//! workspace, the `N×P` Jacobian included) inside itself; the argmin state only holds
//! θ and the loss, so nothing of size `N×P` is cloned per iteration. Damping λ, step
//! size η/α, ρ, inner (CG or line-search) iterations, ‖∇L‖ and the step outcome go
//! into argmin's key-value output for observers.
//!
//! Our stop reasons map onto argmin's with [`termination_to_argmin`]. A stop our loop
//! detects before a trial (iteration budget, loss or gradient tolerance at the iterate,
//! time, user flag) is found by the `next_iter` call that would have run the trial, so
//! argmin counts one more iteration than our loop in that case; θ is unchanged by it.

use crate::config::SolverConfig;
use crate::driver::Solver;
use crate::problem::{LeastSquares, half_squared_norm};
use crate::record::{IterationRecord, SolveSummary, StepOutcome};
use crate::termination::TerminationReason;
use ::argmin::core::{
    ArgminError, IterState, KV, Problem, State, TerminationReason as ArgminReason,
    TerminationStatus,
};
pub use ::argmin::core::{CostFunction, Error, Gradient, Jacobian, Operator};

/// The argmin state our solvers run on: θ, (unused) gradient, no Jacobian, no
/// Hessian, (unused) residuals, loss `f64`.
pub type ArgminState = IterState<Vec<f64>, Vec<f64>, (), (), Vec<f64>, f64>;

/// Checks `θ` has the problem's `P` entries (an argmin error otherwise).
fn check_len<P: LeastSquares>(problem: &P, theta: &[f64]) -> Result<(), Error> {
    if theta.len() == problem.n_params() {
        Ok(())
    } else {
        Err(ArgminError::InvalidParameter {
            text: format!(
                "parameter vector has {} entries but the problem has {}",
                theta.len(),
                problem.n_params()
            ),
        }
        .into())
    }
}

/// `L(θ) = ½‖r(θ)‖²`.
///
/// # Errors
/// `θ` of the wrong length.
pub fn cost<P: LeastSquares>(problem: &P, theta: &[f64]) -> Result<f64, Error> {
    Ok(half_squared_norm(&residuals(problem, theta)?))
}

/// `∇L(θ) = J(θ)ᵀ r(θ)`.
///
/// # Errors
/// `θ` of the wrong length.
pub fn gradient<P: LeastSquares>(problem: &P, theta: &[f64]) -> Result<Vec<f64>, Error> {
    check_len(problem, theta)?;
    let mut r = vec![0.0; problem.n_residuals()];
    let mut g = vec![0.0; problem.n_params()];
    problem.residuals_and_gradient(theta, &mut r, &mut g);
    Ok(g)
}

/// `r(θ)`.
///
/// # Errors
/// `θ` of the wrong length.
pub fn residuals<P: LeastSquares>(problem: &P, theta: &[f64]) -> Result<Vec<f64>, Error> {
    check_len(problem, theta)?;
    let mut r = vec![0.0; problem.n_residuals()];
    problem.residuals(theta, &mut r);
    Ok(r)
}

/// `J(θ)` as `N` rows of length `P`.
///
/// # Errors
/// `θ` of the wrong length.
pub fn jacobian_rows<P: LeastSquares>(problem: &P, theta: &[f64]) -> Result<Vec<Vec<f64>>, Error> {
    check_len(problem, theta)?;
    let (n, p) = (problem.n_residuals(), problem.n_params());
    let mut r = vec![0.0; n];
    let mut jac = faer::Mat::<f64>::zeros(n, p);
    problem.residuals_and_jacobian(theta, &mut r, jac.as_mut());
    Ok((0..n)
        .map(|i| (0..p).map(|j| jac[(i, j)]).collect())
        .collect())
}

/// Implements argmin's `CostFunction`, `Gradient`, `Operator` and `Jacobian` (all with
/// `Param = Vec<f64>`) for a type that implements [`LeastSquares`], through
/// [`cost`], [`gradient`], [`residuals`] and [`jacobian_rows`].
#[macro_export]
macro_rules! impl_argmin_problem {
    ($t:ty) => {
        impl $crate::argmin::CostFunction for $t {
            type Param = Vec<f64>;
            type Output = f64;
            fn cost(&self, theta: &Vec<f64>) -> Result<f64, $crate::argmin::Error> {
                $crate::argmin::cost(self, theta)
            }
        }
        impl $crate::argmin::Gradient for $t {
            type Param = Vec<f64>;
            type Gradient = Vec<f64>;
            fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, $crate::argmin::Error> {
                $crate::argmin::gradient(self, theta)
            }
        }
        impl $crate::argmin::Operator for $t {
            type Param = Vec<f64>;
            type Output = Vec<f64>;
            fn apply(&self, theta: &Vec<f64>) -> Result<Vec<f64>, $crate::argmin::Error> {
                $crate::argmin::residuals(self, theta)
            }
        }
        impl $crate::argmin::Jacobian for $t {
            type Param = Vec<f64>;
            type Jacobian = Vec<Vec<f64>>;
            fn jacobian(&self, theta: &Vec<f64>) -> Result<Vec<Vec<f64>>, $crate::argmin::Error> {
                $crate::argmin::jacobian_rows(self, theta)
            }
        }
    };
}

/// Any [`LeastSquares`] problem as an argmin problem (and still a [`LeastSquares`], so
/// that [`ArgminSolver`] runs on it).
#[derive(Clone, Debug)]
pub struct ArgminProblem<P>(pub P);

impl<P: LeastSquares> LeastSquares for ArgminProblem<P> {
    fn n_params(&self) -> usize {
        self.0.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.0.n_residuals()
    }
    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        self.0.residuals(theta, r);
    }
    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], jac: faer::MatMut<'_, f64>) {
        self.0.residuals_and_jacobian(theta, r, jac);
    }
    fn jvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.jvp(theta, v, out);
    }
    fn vjp(&self, theta: &[f64], w: &[f64], out: &mut [f64]) {
        self.0.vjp(theta, w, out);
    }
    fn residuals_and_gradient(&self, theta: &[f64], r: &mut [f64], g: &mut [f64]) {
        self.0.residuals_and_gradient(theta, r, g);
    }
    fn resample(&mut self, iteration: usize, theta: &[f64]) -> bool {
        self.0.resample(iteration, theta)
    }
}

impl<P: LeastSquares> CostFunction for ArgminProblem<P> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, Error> {
        cost(&self.0, theta)
    }
}

impl<P: LeastSquares> Gradient for ArgminProblem<P> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, Error> {
        gradient(&self.0, theta)
    }
}

impl<P: LeastSquares> Operator for ArgminProblem<P> {
    type Param = Vec<f64>;
    type Output = Vec<f64>;
    fn apply(&self, theta: &Vec<f64>) -> Result<Vec<f64>, Error> {
        residuals(&self.0, theta)
    }
}

impl<P: LeastSquares> Jacobian for ArgminProblem<P> {
    type Param = Vec<f64>;
    type Jacobian = Vec<Vec<f64>>;
    fn jacobian(&self, theta: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        jacobian_rows(&self.0, theta)
    }
}

/// Our stop reason as argmin's.
///
/// Budgets and the user map onto argmin's own (`MaxIterations → MaxItersReached`,
/// `TimeLimit → Timeout`, `UserStop → Interrupt`, `LossTolerance →
/// TargetCostReached`); the convergence tests map to `SolverConverged`; the rest
/// (stalled, invalid steps, failed preparation, non-finite iterate, bad
/// configuration) to
/// `SolverExit(message)`, which keeps our explanation.
pub fn termination_to_argmin(reason: &TerminationReason) -> ArgminReason {
    match reason {
        TerminationReason::MaxIterations => ArgminReason::MaxItersReached,
        TerminationReason::TimeLimit => ArgminReason::Timeout,
        TerminationReason::UserStop => ArgminReason::Interrupt,
        TerminationReason::LossTolerance => ArgminReason::TargetCostReached,
        TerminationReason::GradientTolerance
        | TerminationReason::RelativeLossChange
        | TerminationReason::StepTolerance => ArgminReason::SolverConverged,
        TerminationReason::Stalled
        | TerminationReason::TooManyInvalidSteps
        | TerminationReason::PreparationFailed
        | TerminationReason::NonFiniteIterate
        | TerminationReason::InvalidConfig(_) => ArgminReason::SolverExit(reason.message()),
    }
}

/// One iteration record as argmin key-value output.
pub fn record_kv(rec: &IterationRecord) -> KV {
    let outcome = match rec.outcome {
        StepOutcome::Accepted => "accepted".to_string(),
        StepOutcome::Rejected => "rejected".to_string(),
        StepOutcome::Invalid(r) => format!("invalid ({r:?})"),
    };
    let mut kv = ::argmin::kv!(
        "method" => format!("{:?}", rec.method);
        "loss" => rec.loss;
        "trial_loss" => rec.trial_loss;
        "gradient_norm" => rec.gradient_norm;
        "step_norm" => rec.step_norm;
        "inner_iterations" => rec.inner_iterations as u64;
        "outcome" => outcome;
        "resampled" => rec.resampled;
    );
    if let Some(l) = rec.lambda {
        kv = kv.merge(::argmin::kv!("lambda" => l;));
    }
    if let Some(s) = rec.step_size {
        kv = kv.merge(::argmin::kv!("step_size" => s;));
    }
    if let Some(r) = rec.rho {
        kv = kv.merge(::argmin::kv!("rho" => r;));
    }
    kv
}

/// One of our methods as an argmin `Solver`, delegating each `next_iter` to one
/// [`Solver::step`] of our loop.
///
/// The starting point is the state's `param` (`Executor::configure(|s| s.param(θ₀))`);
/// argmin's `max_iters`, `target_cost`, timeout and Ctrl-C apply on top of our
/// [`SolverConfig::termination`].
pub struct ArgminSolver {
    config: SolverConfig,
    name: String,
    inner: Option<Solver<'static>>,
}

impl ArgminSolver {
    /// Runs `config` (its method, options and own stopping rules).
    pub fn new(config: SolverConfig) -> Self {
        let name = format!("pinn {:?}", config.method);
        Self {
            config,
            name,
            inner: None,
        }
    }

    /// Levenberg–Marquardt ([`SolverConfig::lm`]).
    pub fn lm() -> Self {
        Self::new(SolverConfig::lm())
    }

    /// ENGD ([`SolverConfig::engd`]).
    pub fn engd() -> Self {
        Self::new(SolverConfig::engd())
    }

    /// GN-CG ([`SolverConfig::gncg`]).
    pub fn gncg() -> Self {
        Self::new(SolverConfig::gncg())
    }

    /// Our L-BFGS ([`SolverConfig::lbfgs`]).
    pub fn lbfgs() -> Self {
        Self::new(SolverConfig::lbfgs())
    }

    /// The configuration it runs.
    pub fn config(&self) -> &SolverConfig {
        &self.config
    }

    /// Our loop's stop reason, once it has stopped by its own rules (`None` while
    /// running, or when argmin stopped it by an argmin rule).
    pub fn termination(&self) -> Option<&TerminationReason> {
        self.inner.as_ref().and_then(|s| s.terminated())
    }

    /// Our loop's summary (history, counts, time split), after `init`.
    pub fn summary(&self) -> Option<SolveSummary> {
        self.inner.as_ref().map(|s| s.summary())
    }

    /// Our loop itself, after `init`.
    pub fn inner(&self) -> Option<&Solver<'static>> {
        self.inner.as_ref()
    }
}

fn not_initialized(what: &str) -> Error {
    ArgminError::NotInitialized {
        text: what.to_string(),
    }
    .into()
}

impl<O: LeastSquares> ::argmin::core::Solver<O, ArgminState> for ArgminSolver {
    fn name(&self) -> &str {
        &self.name
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        mut state: ArgminState,
    ) -> Result<(ArgminState, Option<KV>), Error> {
        let theta = state.take_param().ok_or_else(|| {
            not_initialized("no initial parameter vector: use Executor::configure(|s| s.param(θ₀))")
        })?;
        let p = problem
            .problem
            .as_mut()
            .ok_or_else(|| not_initialized("argmin's Problem holds no problem"))?;
        check_len(p, &theta)?;
        let inner = Solver::init(p, &theta, &self.config).map_err(|e| {
            Error::from(ArgminError::InvalidParameter {
                text: e.to_string(),
            })
        })?;
        let mut state = state.param(theta).cost(inner.loss());
        if let Some(reason) = inner.terminated() {
            state = state.terminate_with(termination_to_argmin(reason));
        }
        let kv = ::argmin::kv!(
            "method" => format!("{:?}", self.config.method);
            "threads" => self.config.threads as u64;
            "n_params" => p.n_params() as u64;
            "n_residuals" => p.n_residuals() as u64;
        );
        self.inner = Some(inner);
        Ok((state, Some(kv)))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: ArgminState,
    ) -> Result<(ArgminState, Option<KV>), Error> {
        let inner = self
            .inner
            .as_mut()
            .ok_or_else(|| not_initialized("next_iter before init"))?;
        let p = problem
            .problem
            .as_mut()
            .ok_or_else(|| not_initialized("argmin's Problem holds no problem"))?;
        match inner.step(p) {
            Some(rec) => {
                let kv = record_kv(&rec);
                let state = state.param(inner.theta().to_vec()).cost(inner.loss());
                Ok((state, Some(kv)))
            }
            None => {
                // Stopped before a trial: θ and the loss are unchanged.
                let reason = inner
                    .terminated()
                    .cloned()
                    .unwrap_or(TerminationReason::UserStop);
                let kv = ::argmin::kv!("stopped" => reason.message(););
                Ok((
                    state.terminate_with(termination_to_argmin(&reason)),
                    Some(kv),
                ))
            }
        }
    }

    fn terminate(&mut self, _state: &ArgminState) -> TerminationStatus {
        match self.termination() {
            Some(reason) => TerminationStatus::Terminated(termination_to_argmin(reason)),
            None => TerminationStatus::NotTerminated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_problems::nist::{NistDataSet, NistProblem, Start};
    use ::argmin::core::Executor;

    fn misra() -> (ArgminProblem<NistProblem>, Vec<f64>) {
        let data = NistDataSet::load_named("Misra1a").expect("data set parses");
        let b0 = data.start(Start::One);
        (ArgminProblem(NistProblem::new(&data).expect("model")), b0)
    }

    #[test]
    fn problem_traits_agree_with_each_other_and_with_finite_differences() {
        let (p, b) = misra();
        let r = p.apply(&b).unwrap();
        let c = p.cost(&b).unwrap();
        assert_eq!(c, half_squared_norm(&r));
        let j = p.jacobian(&b).unwrap();
        let g = p.gradient(&b).unwrap();
        assert_eq!(j.len(), r.len());
        // ∇L = Jᵀr, from the row-wise Jacobian.
        for (k, gk) in g.iter().enumerate() {
            let jtr: f64 = j.iter().zip(&r).map(|(row, ri)| row[k] * ri).sum();
            assert!(
                (gk - jtr).abs() <= 1e-10 * jtr.abs().max(1.0),
                "{gk} vs {jtr}"
            );
        }
        // Central differences of the cost against the gradient.
        for k in 0..b.len() {
            let h = 1e-6 * b[k].abs().max(1e-3);
            let (mut bp, mut bm) = (b.clone(), b.clone());
            bp[k] += h;
            bm[k] -= h;
            let fd = (p.cost(&bp).unwrap() - p.cost(&bm).unwrap()) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() <= 1e-5 * g[k].abs(),
                "k={k}: fd {fd} vs {}",
                g[k]
            );
        }
    }

    #[test]
    fn wrong_parameter_length_is_an_error_not_a_panic() {
        let (p, b) = misra();
        let short = b[..1].to_vec();
        assert!(p.cost(&short).is_err());
        assert!(p.gradient(&short).is_err());
        assert!(p.apply(&short).is_err());
        assert!(p.jacobian(&short).is_err());
        let res = Executor::new(p, ArgminSolver::lm())
            .configure(|s| s.param(short).max_iters(3))
            .run();
        assert!(res.is_err());
    }

    #[test]
    fn missing_start_and_invalid_config_are_errors() {
        let (p, b) = misra();
        let res = Executor::new(p.clone(), ArgminSolver::lm()).run();
        assert!(res.is_err());
        let mut c = SolverConfig::lm();
        c.termination.max_consecutive_invalid_steps = 0;
        assert!(c.validate().is_err());
        let res = Executor::new(p, ArgminSolver::new(c))
            .configure(|s| s.param(b))
            .run();
        assert!(res.is_err());
    }

    #[test]
    fn every_reason_maps_and_budgets_map_to_argmins_own() {
        assert_eq!(
            termination_to_argmin(&TerminationReason::MaxIterations),
            ArgminReason::MaxItersReached
        );
        assert_eq!(
            termination_to_argmin(&TerminationReason::TimeLimit),
            ArgminReason::Timeout
        );
        assert_eq!(
            termination_to_argmin(&TerminationReason::UserStop),
            ArgminReason::Interrupt
        );
        assert_eq!(
            termination_to_argmin(&TerminationReason::StepTolerance),
            ArgminReason::SolverConverged
        );
        assert!(matches!(
            termination_to_argmin(&TerminationReason::Stalled),
            ArgminReason::SolverExit(m) if m.contains("stalled")
        ));
    }
}
