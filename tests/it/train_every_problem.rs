//! Every shipped problem trains: 15 iterations of its own preset lower the loss.

use crate::common::root;

#[test]
fn a_few_iterations_lower_the_loss_of_every_problem() {
    let dir = root().join("problems");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let problem = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
        // Rejected trials count as iterations: LM from λ₀ = 1e-4 may need a few to find its damping.
        config.termination.max_iterations = 15;
        config.termination.time_limit_seconds = None;
        let theta0 = problem.initial_params();
        let outcome = pinn::run::run(&problem, &config, &theta0, None, |_, _, _| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        let s = &outcome.summary;
        assert!(
            s.final_loss.is_finite() && s.final_loss < s.initial_loss,
            "{}: loss {} -> {}",
            path.display(),
            s.initial_loss,
            s.final_loss
        );
    }
}
