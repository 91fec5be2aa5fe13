//! The quasi-Newton, L-BFGS and Adam runs form each trial's residuals and gradient in one
//! sweep over the points (`residuals_and_gradient`); the same runs through the separate
//! residuals and `Jᵀr` of the trait's provided method end at the same bits: iterates,
//! history and evaluation counts. On burgers-ssbroyden (2 011 parameters, 20 512 rows,
//! a periodic embedding), as shipped and with its points re-drawn by RAD every few
//! iterations, and on burgers-odd (the same network averaged over x ↦ −x, whose
//! gradient sweeps both copies of each chunk).

use crate::common::root;

use pinn::problem::load_problem;
use pinn::residual::ResidualModel;
use pinn_solvers::faer::MatMut;
use pinn_solvers::{LeastSquares, SolveSummary, solve};

/// The model with everything forwarded but `residuals_and_gradient`, which is the trait's
/// default: `residuals`, then `vjp`.
struct Unfused(ResidualModel);

impl LeastSquares for Unfused {
    fn n_params(&self) -> usize {
        LeastSquares::n_params(&self.0)
    }
    fn n_residuals(&self) -> usize {
        self.0.n_residuals()
    }
    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        self.0.residuals(theta, r)
    }
    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], jac: MatMut<'_, f64>) {
        self.0.residuals_and_jacobian(theta, r, jac)
    }
    fn jvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.jvp(theta, v, out)
    }
    fn vjp(&self, theta: &[f64], w: &[f64], out: &mut [f64]) {
        self.0.vjp(theta, w, out)
    }
    fn residuals_many(&self, thetas: &[&[f64]], r: &mut [f64]) {
        self.0.residuals_many(thetas, r)
    }
    fn resample(&mut self, iteration: usize, theta: &[f64]) -> bool {
        self.0.resample(iteration, theta)
    }
}

/// The final θ, the history's numbers and the evaluation counts, as bits.
fn fingerprint(summary: &SolveSummary, theta: &[f64]) -> (Vec<u64>, Vec<u64>, String) {
    let history = summary
        .history
        .iter()
        .flat_map(|r| {
            [
                r.loss,
                r.trial_loss,
                r.gradient_norm,
                r.step_norm,
                r.step_size.unwrap_or(f64::NAN),
            ]
        })
        .map(f64::to_bits)
        .collect();
    let theta = theta.iter().map(|v| v.to_bits()).collect();
    (theta, history, format!("{:?}", summary.evaluations))
}

/// `iterations` of `preset` on burgers-ssbroyden (points re-drawn every `every`
/// iterations when given), fused and unfused.
fn compare(preset: &str, iterations: usize, every: Option<usize>) {
    compare_on("burgers-ssbroyden", preset, iterations, every)
}

/// [`compare`] on `problems/<file>.toml`.
fn compare_on(file: &str, preset: &str, iterations: usize, every: Option<usize>) {
    let mut problem = load_problem(&root().join(format!("problems/{file}.toml"))).expect("problem");
    if every.is_some() {
        problem.resample_every = every;
    }
    let mut config = pinn::presets::preset(preset).expect("preset");
    config.termination.max_iterations = iterations;
    config.termination.time_limit_seconds = None;
    let mut theta = problem.initial_params();
    let fused = solve(&mut problem.residual_model(), &mut theta, &config);
    let want = fingerprint(&fused, &theta);
    assert_eq!(fused.history.len(), iterations, "{:?}", fused.termination);
    if every.is_some() {
        assert!(fused.history.iter().any(|r| r.resampled), "points re-drawn");
    }
    let mut theta = problem.initial_params();
    let unfused = solve(&mut Unfused(problem.residual_model()), &mut theta, &config);
    assert!(
        fingerprint(&unfused, &theta) == want,
        "{file} {preset}: fused and unfused runs differ"
    );
}

#[test]
fn ssbroyden_runs_are_the_same() {
    compare("ssbroyden", 30, None);
}

#[test]
fn lbfgs_runs_are_the_same() {
    compare("lbfgs", 30, None);
}

#[test]
fn adam_runs_are_the_same() {
    compare("adam", 30, None);
}

#[test]
fn ssbroyden_runs_on_re_drawn_points_are_the_same() {
    compare("ssbroyden", 25, Some(8));
}

#[test]
fn ssbroyden_runs_of_the_odd_network_on_re_drawn_points_are_the_same() {
    compare_on("burgers-odd", "ssbroyden", 25, Some(8));
}
