//! Our solvers through argmin's `Executor` reproduce our own loop, on NIST StRD
//! problems: the same θ after `k` iterations (to 1e-12 relative; the adapter runs the
//! very same steps, so in practice bit for bit) and the same stop reason, mapped with
//! `termination_to_argmin`. Needs the `argmin` feature (`main.rs` leaves the module out
//! without it).

use argmin::core::{Executor, State, TerminationReason as ArgminReason, TerminationStatus};
use pinn_solvers::argmin::{ArgminProblem, ArgminSolver, termination_to_argmin};
use pinn_solvers::test_problems::nist::{NistDataSet, NistProblem, Start};
use pinn_solvers::{LeastSquares, Solver, SolverConfig, TerminationReason};

fn nist(name: &str, start: Start) -> (NistProblem, Vec<f64>) {
    let data = NistDataSet::load_named(name).expect("data set parses");
    let b0 = data.start(start);
    (NistProblem::new(&data).expect("model coded"), b0)
}

/// Our loop, step by step: θ after at most `k` steps, and the stop reason if it
/// stopped (running one more step to let a pre-trial stop be detected).
fn own_loop<P: LeastSquares>(
    problem: &mut P,
    theta0: &[f64],
    config: &SolverConfig,
    k: usize,
) -> (Vec<f64>, usize, Option<TerminationReason>) {
    let mut s = Solver::init(problem, theta0, config).expect("valid config");
    let mut steps = 0;
    while steps < k && s.step(problem).is_some() {
        steps += 1;
    }
    (s.theta().to_vec(), steps, s.terminated().cloned())
}

/// The same through argmin's Executor, with argmin's `max_iters = k`.
fn via_argmin<P: LeastSquares>(
    problem: P,
    theta0: &[f64],
    config: &SolverConfig,
    k: u64,
) -> (Vec<f64>, u64, TerminationStatus, Option<TerminationReason>) {
    let res = Executor::new(ArgminProblem(problem), ArgminSolver::new(config.clone()))
        .configure(|s| s.param(theta0.to_vec()).max_iters(k))
        .run()
        .expect("argmin run");
    let state = res.state();
    (
        state.get_param().expect("param").clone(),
        state.get_iter(),
        state.get_termination_status().clone(),
        res.solver().termination().cloned(),
    )
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
        ("lm_qr", SolverConfig::lm_qr()),
        ("engd", SolverConfig::engd()),
        ("gncg", SolverConfig::gncg()),
        ("lbfgs", SolverConfig::lbfgs()),
    ];
    for (_, c) in &mut out {
        c.threads = 1;
    }
    out
}

/// Same θ after k = 1, 5, 20 iterations, for every method, on two NIST problems.
#[test]
fn argmin_wrapped_solvers_reproduce_our_iterates_on_nist() {
    for (set, start) in [("Misra1a", Start::One), ("Thurber", Start::Two)] {
        for (name, config) in configs() {
            for k in [1usize, 5, 20] {
                let (mut p, b0) = nist(set, start);
                let (ours, steps, _) = own_loop(&mut p, &b0, &config, k);
                let (p2, _) = nist(set, start);
                let (theirs, iters, _, _) = via_argmin(p2, &b0, &config, k as u64);
                let d = rel_diff(&theirs, &ours);
                assert!(d <= 1e-12, "{set} {name} k={k}: rel diff {d:e}");
                // A run our loop finished early ends no later in argmin (one extra
                // argmin iteration when the stop is found before a trial).
                assert!(iters as usize == steps || iters as usize == steps + 1);
                // A first trial may be rejected; after 20 some step was taken.
                if k == 20 {
                    assert!(rel_diff(&theirs, &b0) > 0.0, "{set} {name}: θ moved");
                }
            }
        }
    }
}

/// Run to our own stop: the reason argmin reports is ours, mapped, and θ is the same.
#[test]
fn argmin_wrapped_solvers_stop_for_our_reason_on_nist() {
    for (set, start) in [("Misra1a", Start::One), ("Thurber", Start::Two)] {
        for (name, mut config) in configs() {
            config.termination.max_iterations = 300;
            let (mut p, b0) = nist(set, start);
            let (ours, _, reason) = own_loop(&mut p, &b0, &config, usize::MAX);
            let reason = reason.expect("our loop stopped");
            let (p2, _) = nist(set, start);
            let (theirs, _, status, inner) = via_argmin(p2, &b0, &config, u64::MAX);
            println!("{set} {name}: ours {reason:?}, argmin {status:?}");
            assert_eq!(
                status,
                TerminationStatus::Terminated(termination_to_argmin(&reason)),
                "{set} {name}: ours {reason:?}"
            );
            assert_eq!(inner.as_ref(), Some(&reason), "{set} {name}");
            let d = rel_diff(&theirs, &ours);
            assert!(d <= 1e-12, "{set} {name}: rel diff {d:e}");
        }
    }
}

/// LM with the NIST preset converges (not a budget stop) and argmin says so.
#[test]
fn lm_convergence_maps_to_solver_converged_or_our_exit() {
    let (p, b0) = nist("Misra1a", Start::One);
    let mut c = SolverConfig::lm_qr();
    c.threads = 1;
    let (_, _, status, inner) = via_argmin(p, &b0, &c, u64::MAX);
    let inner = inner.expect("our loop stopped by its own rule");
    assert!(inner.is_converged(), "{inner:?}");
    match status {
        TerminationStatus::Terminated(ArgminReason::SolverConverged) => {}
        TerminationStatus::Terminated(ArgminReason::SolverExit(m)) => {
            assert_eq!(m, inner.message())
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// A stop our loop finds before a trial (here the gradient test at a new iterate)
/// reaches argmin through the `next_iter` that would have run the trial: same reason,
/// same θ, and argmin counts exactly one more (no-op) iteration.
#[test]
fn a_pre_trial_stop_maps_with_one_extra_argmin_iteration() {
    let mut config = SolverConfig::lm();
    config.threads = 1;
    config.termination.gradient_tolerance = 1e-3;
    config.termination.relative_loss_change_tolerance = 0.0;
    config.termination.step_tolerance = 0.0;
    let (mut p, b0) = nist("Misra1a", Start::One);
    let (ours, steps, reason) = own_loop(&mut p, &b0, &config, usize::MAX);
    assert_eq!(reason, Some(TerminationReason::GradientTolerance));
    let (p2, _) = nist("Misra1a", Start::One);
    let (theirs, iters, status, inner) = via_argmin(p2, &b0, &config, u64::MAX);
    assert_eq!(inner, Some(TerminationReason::GradientTolerance));
    assert_eq!(
        status,
        TerminationStatus::Terminated(ArgminReason::SolverConverged)
    );
    assert_eq!(iters as usize, steps + 1);
    assert!(rel_diff(&theirs, &ours) <= 1e-12);
}
