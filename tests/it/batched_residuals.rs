//! Batched evaluation (`LeastSquares::residuals_many`, one sweep over the points for
//! many θ) gives bit for bit the residual vectors of one `residuals` call per θ, on
//! problems with one and several outputs, output transforms, embeddings and periodic
//! pairs, on one and on two threads; and the rows of `residuals`, whose formula is
//! evaluated over chunks of points, equal those of `residuals_and_jacobian`, which
//! evaluates it point by point. The line searches and probe controls rely on this:
//! batching must never change an iterate.

use crate::common::root;

use pinn::problem::load_problem;
use pinn_solvers::{LeastSquares, Objective};

/// θ₀, points on one ray `θ₀ + η d` (as the ENGD grid search forms them), a point off
/// the ray, and one whose network saturates.
fn thetas(theta0: &[f64]) -> Vec<Vec<f64>> {
    let d: Vec<f64> = (0..theta0.len())
        .map(|i| ((i * 7919) % 23) as f64 / 23.0 - 0.5)
        .collect();
    let mut out = vec![theta0.to_vec()];
    let mut eta = 1.0;
    for _ in 0..4 {
        out.push(theta0.iter().zip(&d).map(|(t, d)| t + eta * d).collect());
        eta /= 2.0;
    }
    out.push(theta0.iter().map(|t| 0.3 - 1.7 * t).collect());
    out.push(theta0.iter().map(|t| 1e3 * t).collect());
    out
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn check(problem_file: &str) {
    let path = root().join("problems").join(problem_file);
    let problem = load_problem(&path).unwrap_or_else(|e| panic!("{problem_file}: {e}"));
    let model = problem.residual_model();
    let n = model.n_residuals();
    let thetas = thetas(&problem.initial_params());
    let refs: Vec<&[f64]> = thetas.iter().map(Vec::as_slice).collect();
    let mut looped = vec![0.0; thetas.len() * n];
    for (theta, r) in refs.iter().zip(looped.chunks_exact_mut(n)) {
        model.residuals(theta, r);
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let mut batched = vec![f64::NAN; thetas.len() * n];
        pool.install(|| model.residuals_many(&refs, &mut batched));
        for (j, (b, l)) in batched
            .chunks_exact(n)
            .zip(looped.chunks_exact(n))
            .enumerate()
        {
            assert_eq!(
                bits(b),
                bits(l),
                "{problem_file}: θ_{j} on {threads} thread(s)"
            );
        }
        let mut values = vec![f64::NAN; thetas.len()];
        pool.install(|| model.values(&refs, &mut values));
        for (j, theta) in refs.iter().enumerate() {
            assert_eq!(
                values[j].to_bits(),
                model.value(theta).to_bits(),
                "{problem_file}: L(θ_{j}) on {threads} thread(s)"
            );
        }
    }
    // `residuals` evaluates the formula over chunks of points, `residuals_and_jacobian`
    // point by point (it needs the partials): the rows must be the same bits.
    for (j, (theta, l)) in refs.iter().zip(looped.chunks_exact(n)).enumerate() {
        let mut r = vec![f64::NAN; n];
        let mut jac = pinn_solvers::faer::Mat::<f64>::zeros(n, LeastSquares::n_params(&model));
        model.residuals_and_jacobian(theta, &mut r, jac.as_mut());
        assert_eq!(
            bits(&r),
            bits(l),
            "{problem_file}: θ_{j}, rows by chunk and by point"
        );
    }
    // The saturated network is far from the others: the batch is not one vector repeated.
    assert_ne!(bits(&looped[..n]), bits(&looped[(thetas.len() - 1) * n..]));
}

#[test]
fn one_output_on_a_grid() {
    check("poisson2d-engd.toml");
}

#[test]
fn a_system_of_three_outputs_and_four_blocks() {
    check("kovasznay-soft.toml");
}

#[test]
fn an_output_transform() {
    check("helmholtz2d-transform.toml");
}

#[test]
fn a_periodic_embedding() {
    check("allen-cahn.toml");
}

#[test]
fn periodic_pairs_and_an_initial_condition() {
    check("allen-cahn-soft.toml");
}

/// An empty batch writes nothing and is not an error.
#[test]
fn an_empty_batch() {
    let path = root().join("problems/poisson2d-engd.toml");
    let model = load_problem(&path).expect("problem").residual_model();
    let mut r: Vec<f64> = Vec::new();
    model.residuals_many(&[], &mut r);
    let mut v: Vec<f64> = Vec::new();
    model.values(&[], &mut v);
}

/// The model seen through the trait's defaults only: `residuals_many` loops over θ.
struct OneByOne(pinn::residual::ResidualModel);

impl LeastSquares for OneByOne {
    fn n_params(&self) -> usize {
        LeastSquares::n_params(&self.0)
    }
    fn n_residuals(&self) -> usize {
        self.0.n_residuals()
    }
    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        self.0.residuals(theta, r)
    }
    fn residuals_and_jacobian(
        &self,
        theta: &[f64],
        r: &mut [f64],
        jac: pinn_solvers::faer::MatMut<'_, f64>,
    ) {
        self.0.residuals_and_jacobian(theta, r, jac)
    }
    fn jvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.jvp(theta, v, out)
    }
    fn vjp(&self, theta: &[f64], w: &[f64], out: &mut [f64]) {
        self.0.vjp(theta, w, out)
    }
}

/// ENGD's grid search and gn-probe's probes evaluate their trial points as one batch;
/// the whole run (iterates and history) is bitwise the run that evaluates them one by
/// one.
#[test]
fn batched_and_one_by_one_runs_are_the_same() {
    let path = root().join("problems/poisson2d-engd.toml");
    let problem = load_problem(&path).expect("problem");
    for preset in ["engd", "gn-probe"] {
        let mut config = pinn::presets::preset(preset).expect("preset");
        config.termination.max_iterations = 8;
        config.termination.time_limit_seconds = None;
        let mut runs = Vec::new();
        for batched in [true, false] {
            let mut theta = problem.initial_params();
            let summary = if batched {
                pinn_solvers::solve(&mut problem.residual_model(), &mut theta, &config)
            } else {
                pinn_solvers::solve(&mut OneByOne(problem.residual_model()), &mut theta, &config)
            };
            let history: Vec<u64> = summary
                .history
                .iter()
                .flat_map(|r| {
                    [
                        r.loss.to_bits(),
                        r.trial_loss.to_bits(),
                        r.step_norm.to_bits(),
                    ]
                })
                .collect();
            assert_eq!(
                summary.history.len(),
                8,
                "{preset}: {:?}",
                summary.termination
            );
            runs.push((bits(&theta), history, summary.evaluations.residuals));
        }
        assert_eq!(runs[0], runs[1], "{preset}");
    }
}
