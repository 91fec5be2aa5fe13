//! The same bits on any number of threads: every solver preset, run for a few tens of
//! iterations in a one-thread rayon pool with `threads = 1` and in a two-thread pool
//! with `threads = 2`, ends at the same θ with the same history, bit for bit, on
//! poisson2d (fixed points) and on a heat problem whose interior points RAD re-draws
//! from a residual-weighted pool every third iteration.
//!
//! Two threads are enough to catch an order that depends on the thread count: the
//! engine's chunked sums, faer's parallel products and factorisations and rayon's
//! reductions all split their work differently on one and on two threads.

use crate::common::{heat_problem, problem_from_text, root};

use std::ops::ControlFlow;

use pinn::problem::{Problem, load_problem};
use pinn::run::{RunOutcome, run};
use pinn_solvers::test_problems::snapshot::hash_history;

/// Runs preset `name` for `iterations` on `threads` threads (pool and solver alike).
fn run_on(problem: &Problem, name: &str, iterations: usize, threads: usize) -> RunOutcome {
    let mut table = toml::Table::new();
    table.insert("preset".into(), toml::Value::String(name.to_string()));
    let mut config = pinn::presets::solver_config(&table, None).expect("preset");
    config.threads = threads;
    config.termination.max_iterations = iterations;
    config.termination.time_limit_seconds = None;
    if let Some(sw) = config.switch.as_mut() {
        // Switch inside the budget so that both phases run.
        sw.after_iterations = iterations / 2;
    }
    let theta0 = problem.initial_params();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
        .install(|| {
            run(problem, &config, &theta0, None, |_, _, _| {
                ControlFlow::Continue(())
            })
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Asserts that one and two threads give the same θ and history bits for every preset.
fn same_bits_on_one_and_two_threads(problem: &Problem, label: &str, iterations: usize) {
    let mut failures = Vec::new();
    for (name, _) in pinn::presets::PRESETS {
        let one = run_on(problem, name, iterations, 1);
        let two = run_on(problem, name, iterations, 2);
        assert!(
            one.summary.history.len() > iterations / 2,
            "{label}/{name}: only {} iterations",
            one.summary.history.len()
        );
        let bits = |o: &RunOutcome| o.theta.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let losses = |o: &RunOutcome| {
            let h = &o.summary.history;
            h.iter().map(|r| r.loss.to_bits()).collect::<Vec<_>>()
        };
        if bits(&one) != bits(&two)
            || losses(&one) != losses(&two)
            || hash_history(&one.summary) != hash_history(&two.summary)
        {
            let dtheta = one
                .theta
                .iter()
                .zip(&two.theta)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let first = one
                .summary
                .history
                .iter()
                .zip(&two.summary.history)
                .position(|(a, b)| a.loss.to_bits() != b.loss.to_bits());
            failures.push(format!(
                "{label}/{name}: max |Δθ| = {dtheta:e}, first differing loss at record {first:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "1 vs 2 threads:\n{}",
        failures.join("\n")
    );
}

#[test]
fn poisson2d_every_preset_same_bits_on_one_and_two_threads() {
    let root = root();
    let problem = load_problem(&root.join("problems/poisson2d.toml")).expect("poisson2d loads");
    same_bits_on_one_and_two_threads(&problem, "poisson2d", 24);
}

#[test]
fn rad_redraws_every_preset_same_bits_on_one_and_two_threads() {
    let text = format!(
        "name = \"heat-rad\"\n{}",
        heat_problem(
            400,
            r#"adaptive = { method = "rad", pool = 4000, k = 1, c = 1 }"#,
            60,
            "[model]\nlayers = [2, 16, 16, 1]\n[collocation]\nseed = 5\nresample_every = 3\n",
        )
    );
    let problem = problem_from_text("heat-rad", &text);
    same_bits_on_one_and_two_threads(&problem, "heat-rad", 12);
    // The draws themselves happened (and are part of what was compared).
    let o = run_on(&problem, "lbfgs", 12, 2);
    assert!(o.summary.history.iter().any(|r| r.resampled), "no re-draw");
}
