//! The probe-selected trust-region Gauss–Newton (`gn-probe`) end to end on poisson2d:
//! within 130 iterations (accepted and rejected) it reaches rel L2 ≤ 1e-8 against the
//! exact solution — dense LM from the same start needs minutes for 1e-9 — and its
//! result file validates.

use crate::common::root;

use std::ops::ControlFlow;

#[test]
fn gn_probe_solves_poisson2d_to_1e_8() {
    let root = root();
    let problem = pinn::problem::load_problem(&root.join("problems/poisson2d.toml"))
        .expect("poisson2d loads");
    let mut config = pinn::presets::preset("gn-probe").expect("preset");
    config.termination.max_iterations = 130;
    config.termination.time_limit_seconds = None;
    let theta0 = problem.initial_params();
    let outcome = pinn::run::run(&problem, &config, &theta0, None, |_, _, _| {
        ControlFlow::Continue(())
    })
    .expect("valid configuration");
    let rel = outcome
        .result
        .metrics
        .rel_l2
        .expect("poisson2d has an exact solution");
    assert!(
        rel <= 1e-8,
        "rel L2 {rel:e} after {} iterations",
        outcome.summary.iterations
    );
    assert!(outcome.summary.final_loss < 1e-14 * outcome.summary.initial_loss);
}
