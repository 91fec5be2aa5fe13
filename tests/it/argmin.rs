//! The PINN (poisson2d) at the argmin boundary:
//! - each of our solvers through argmin's `Executor` reproduces our own loop's iterates
//!   (same θ after `k` iterations, to 1e-12 relative) and stop reason;
//! - argmin's own L-BFGS (Moré–Thuente and Hager–Zhang line searches) reaches a loss
//!   within 10× of our L-BFGS in the same iteration budget.
//!
//! Both runs of a comparison execute inside one single-thread rayon pool with
//! `threads = 1`; a run's bits do not depend on the thread count
//! (`tests/it/thread_count.rs`), one thread keeps the test light.

use crate::common::root;

use argmin::core::{Executor, State, TerminationStatus};
use pinn::argmin::{argmin_lbfgs_hager_zhang, argmin_lbfgs_more_thuente};
use pinn::residual::ResidualModel;
use pinn_solvers::argmin::{ArgminSolver, termination_to_argmin};
use pinn_solvers::{Objective, Solver, SolverConfig};

fn poisson() -> (pinn::problem::Problem, ResidualModel, Vec<f64>) {
    let path = root().join("problems/poisson2d.toml");
    let problem = pinn::problem::load_problem(&path).expect("poisson2d loads");
    let model = problem.residual_model();
    let theta0 = problem.initial_params();
    (problem, model, theta0)
}

fn single_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(f)
}

fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    num / den
}

fn configs() -> Vec<(&'static str, SolverConfig)> {
    let mut out = vec![
        ("lm", SolverConfig::lm()),
        ("engd", SolverConfig::engd()),
        ("gncg", SolverConfig::gncg()),
        ("lbfgs", SolverConfig::lbfgs()),
    ];
    for (_, c) in &mut out {
        c.threads = 1;
    }
    out
}

/// k iterations of our loop, then the same through argmin (argmin's max_iters = k).
#[test]
fn argmin_wrapped_solvers_reproduce_our_iterates_on_poisson2d() {
    for (name, config) in configs() {
        let k = 8;
        let (ours, theirs, theta0) = single_thread(|| {
            let (_, mut model, theta0) = poisson();
            let mut s = Solver::init(&mut model, &theta0, &config).expect("valid");
            for _ in 0..k {
                s.step(&mut model).expect("no stop within k iterations");
            }
            let ours = s.theta().to_vec();
            let (_, model, _) = poisson();
            let res = Executor::new(model, ArgminSolver::new(config.clone()))
                .configure(|st| st.param(theta0.clone()).max_iters(k as u64))
                .run()
                .expect("argmin run");
            assert_eq!(res.state().get_iter(), k as u64);
            (ours, res.state().get_param().unwrap().clone(), theta0)
        });
        let d = rel_diff(&theirs, &ours);
        println!("poisson2d {name}: k={k} rel diff {d:e}");
        assert!(d <= 1e-12, "{name}: rel diff {d:e}");
        assert!(rel_diff(&ours, &theta0) > 0.0, "{name}: θ moved");
    }
}

/// Our own budget (max_iterations) stops both runs for the same reason at the same θ.
#[test]
fn argmin_wrapped_solvers_stop_for_our_reason_on_poisson2d() {
    for (name, mut config) in configs() {
        config.termination.max_iterations = 6;
        let (ours, reason, theirs, status, inner) = single_thread(|| {
            let (_, mut model, theta0) = poisson();
            let mut s = Solver::init(&mut model, &theta0, &config).expect("valid");
            while s.step(&mut model).is_some() {}
            let reason = s.terminated().cloned().expect("stopped");
            let ours = s.theta().to_vec();
            let (_, model, _) = poisson();
            let res = Executor::new(model, ArgminSolver::new(config.clone()))
                .configure(|st| st.param(theta0.clone()))
                .run()
                .expect("argmin run");
            let status = res.state().get_termination_status().clone();
            let theirs = res.state().get_param().unwrap().clone();
            (
                ours,
                reason,
                theirs,
                status,
                res.solver().termination().cloned(),
            )
        });
        assert_eq!(
            status,
            TerminationStatus::Terminated(termination_to_argmin(&reason)),
            "{name}"
        );
        assert_eq!(inner, Some(reason));
        let d = rel_diff(&theirs, &ours);
        assert!(d <= 1e-12, "{name}: rel diff {d:e}");
    }
}

/// argmin's L-BFGS (both line searches) against ours on poisson2d, same budget, same
/// memory and Wolfe constants: each final loss within 10× of ours, and all of them
/// well below the initial loss.
#[test]
fn argmin_lbfgs_is_within_10x_of_ours_on_poisson2d() {
    let budget = 300u64;
    let mut config = SolverConfig::lbfgs();
    config.threads = 1;
    config.termination.max_iterations = budget as usize;
    config.termination.gradient_tolerance = 0.0;
    config.termination.relative_loss_change_tolerance = 0.0;
    config.termination.step_tolerance = 0.0;
    let (initial, ours, mt, hz) = single_thread(|| {
        let (_, mut model, theta0) = poisson();
        let initial = model.value(&theta0);
        let mut theta = theta0.clone();
        let summary = pinn_solvers::solve(&mut model, &mut theta, &config);
        let ours = summary.final_loss;
        let run = |solver_mt: bool| -> f64 {
            let (_, model, _) = poisson();
            let st = |s: argmin::core::IterState<Vec<f64>, Vec<f64>, (), (), (), f64>| {
                s.param(theta0.clone()).max_iters(budget)
            };
            let cost = if solver_mt {
                Executor::new(model, argmin_lbfgs_more_thuente(&config.lbfgs).unwrap())
                    .configure(st)
                    .run()
                    .map(|r| r.state().get_best_cost())
            } else {
                Executor::new(model, argmin_lbfgs_hager_zhang(&config.lbfgs).unwrap())
                    .configure(st)
                    .run()
                    .map(|r| r.state().get_best_cost())
            };
            cost.expect("argmin LBFGS runs")
        };
        (initial, ours, run(true), run(false))
    });
    println!(
        "poisson2d L-BFGS {budget} it: initial {initial:e}, ours {ours:e}, argmin MT {mt:e}, argmin HZ {hz:e}"
    );
    assert!(ours < 1e-2 * initial, "ours {ours:e} from {initial:e}");
    assert!(mt <= 10.0 * ours, "argmin MT {mt:e} vs ours {ours:e}");
    assert!(hz <= 10.0 * ours, "argmin HZ {hz:e} vs ours {hz:e}");
}
