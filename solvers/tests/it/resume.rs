//! Save and resume: `k` iterations, [`Solver::save`], a round trip of the
//! [`SolverState`] through TOML text, [`Solver::resume`] into a fresh solver and
//! `n − k` more iterations give θ, the history (times excepted) and the stop reason of
//! `n` uninterrupted iterations, bit for bit — for every method, at every `k` (after
//! acceptances, after rejections whose factorisation is reused, across a method
//! switch). A fresh solver may also adopt an earlier solve's curvature memory.

use pinn_solvers::config::{CgPreconditioner, JacobianAccess, SwitchConfig};
use pinn_solvers::test_problems::mgh::{MghFunction, MghProblem};
use pinn_solvers::test_problems::snapshot::{hash_floats, hash_history};
use pinn_solvers::{LeastSquares, Method, SolveSummary, Solver, SolverConfig, SolverState};

/// θ hash, history hash, stop reason and iterations of a summary.
fn fingerprint(s: &SolveSummary, theta: &[f64]) -> (u64, u64, String, usize) {
    (
        hash_floats(theta),
        hash_history(s),
        format!("{:?}", s.termination),
        s.iterations,
    )
}

fn straight<P: LeastSquares>(
    problem: &mut P,
    x0: &[f64],
    c: &SolverConfig,
) -> (u64, u64, String, usize) {
    let mut s = Solver::init(problem, x0, c).expect("valid");
    while s.step(problem).is_some() {}
    fingerprint(&s.summary(), s.theta())
}

fn split<P: LeastSquares>(
    problem: &mut P,
    x0: &[f64],
    c: &SolverConfig,
    k: usize,
) -> (u64, u64, String, usize) {
    let mut s = Solver::init(problem, x0, c).expect("valid");
    while s.history().len() < k && s.step(problem).is_some() {}
    let text = toml::to_string(&s.save()).expect("state serialises");
    drop(s);
    let state: SolverState = toml::from_str(&text).expect("state deserialises");
    let mut s = Solver::resume(problem, &state, c).expect("state loads");
    while s.step(problem).is_some() {}
    fingerprint(&s.summary(), s.theta())
}

fn configs() -> Vec<(&'static str, SolverConfig)> {
    let mut lm = SolverConfig::lm();
    lm.termination.max_iterations = 60;
    let mut lm_qr = SolverConfig::lm_qr();
    lm_qr.termination.max_iterations = 60;
    let mut engd = SolverConfig::engd();
    engd.termination.max_iterations = 40;
    let mut gncg = SolverConfig::gncg();
    gncg.gncg.jacobian = JacobianAccess::MatrixFree;
    gncg.termination.max_iterations = 60;
    let mut nystrom = SolverConfig::gncg();
    nystrom.gncg.preconditioner = CgPreconditioner::Nystrom;
    nystrom.gncg.refresh_every = 3;
    nystrom.gncg.seed = 17;
    nystrom.termination.max_iterations = 60;
    let mut nystrom_free = nystrom.clone();
    nystrom_free.gncg.jacobian = JacobianAccess::MatrixFree;
    nystrom_free.gncg.rank = 3;
    nystrom_free.gncg.refresh_every = 1;
    let mut lbfgs = SolverConfig::lbfgs();
    lbfgs.termination.max_iterations = 60;
    let mut adam_lbfgs = SolverConfig::adam();
    adam_lbfgs.adam.learning_rate = 1e-2;
    adam_lbfgs.switch = Some(SwitchConfig {
        after_iterations: 20,
        then: Method::Lbfgs,
    });
    adam_lbfgs.termination.max_iterations = 60;
    let mut ss_broyden = SolverConfig::ss_broyden();
    ss_broyden.termination.max_iterations = 60;
    // Compressing sketches (P = 2 clips cols to 2, so Rosenbrock is uncompressed in
    // θ; Osborne 1 and Brown–Dennis are compressed on both sides).
    let mut gn_probe_sketch = SolverConfig::gn_probe_sketch();
    gn_probe_sketch.probe.sketch = Some(pinn_solvers::linalg::SketchParams {
        rows: 12,
        cols: 3,
        hashes: 2,
        batch_rows: 5,
        seed: 9,
    });
    gn_probe_sketch.termination.max_iterations = 40;
    let mut out = vec![
        ("gn-probe-sketch", gn_probe_sketch),
        ("lm", lm),
        ("lm-qr", lm_qr),
        ("engd", engd),
        ("gncg-matrix-free", gncg),
        ("gncg-nystrom", nystrom),
        ("gncg-nystrom-matrix-free-rank-3", nystrom_free),
        ("lbfgs", lbfgs),
        ("adam-lbfgs", adam_lbfgs),
        ("ss-broyden", ss_broyden),
    ];
    for (_, c) in &mut out {
        c.threads = 1;
        // Run the whole budget: no tolerance ends these solves early.
        c.termination.relative_loss_change_tolerance = 0.0;
        c.termination.gradient_tolerance = 0.0;
        c.termination.step_tolerance = 0.0;
    }
    out
}

#[test]
fn resumed_solves_are_bitwise_uninterrupted_ones() {
    let problems = [
        MghProblem::new(MghFunction::Rosenbrock, 2, 2),
        MghProblem::new(MghFunction::Osborne1, 5, 33),
        MghProblem::new(MghFunction::BrownDennis, 4, 20),
    ];
    let mut checked = 0;
    for p in problems {
        for (name, c) in configs() {
            let mut problem = p;
            let x0 = p.standard_start();
            let reference = straight(&mut problem, &x0, &c);
            for k in [1, 2, 3, 5, 8, 13, 19, 20, 21, 34] {
                if k >= reference.3 {
                    continue;
                }
                let got = split(&mut problem, &x0, &c, k);
                assert_eq!(got, reference, "{} {name}: split at {k}", p.name());
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "only {checked} splits checked");
}

#[test]
fn a_split_after_a_rejection_reuses_the_prepared_iterate() {
    // LM from Rosenbrock's standard start rejects trials early on: find a k right after
    // a rejection (the saved iterate's factorisation is still valid) and check it.
    let mut problem = MghProblem::new(MghFunction::Rosenbrock, 2, 2);
    let x0 = problem.standard_start();
    let mut c = configs().remove(0).1;
    c.lm.damping.initial_lambda = 1e-8;
    let mut s = Solver::init(&mut problem, &x0, &c).unwrap();
    while s.step(&mut problem).is_some() {}
    let k = s
        .history()
        .iter()
        .position(|r| !r.accepted())
        .expect("some trial is rejected")
        + 1;
    let reference = straight(&mut problem, &x0, &c);
    assert_eq!(split(&mut problem, &x0, &c, k), reference);
    let mut s = Solver::init(&mut problem, &x0, &c).unwrap();
    while s.history().len() < k && s.step(&mut problem).is_some() {}
    assert!(!s.save().iterate.needs_linearization);
}

#[test]
fn a_state_for_another_problem_or_method_is_refused() {
    let mut rosen = MghProblem::new(MghFunction::Rosenbrock, 2, 2);
    let x0 = rosen.standard_start();
    let mut s = Solver::init(&mut rosen, &x0, &SolverConfig::lm()).unwrap();
    s.step(&mut rosen);
    let state = s.save();
    let mut other = MghProblem::new(MghFunction::HelicalValley, 3, 3);
    assert!(Solver::resume(&mut other, &state, &SolverConfig::lm()).is_err());
    let e = Solver::resume(&mut rosen, &state, &SolverConfig::engd())
        .err()
        .expect("method mismatch");
    assert!(e.to_string().contains("Lm"), "{e}");
    let mut bad = SolverConfig::lm();
    bad.termination.max_iterations = 0;
    assert!(Solver::resume(&mut rosen, &state, &bad).is_err());
    let mut wrong = state.clone();
    wrong.phase.control.part = "log_grid".into();
    assert!(Solver::resume(&mut rosen, &wrong, &SolverConfig::lm()).is_err());
}

/// [`Solver::adopt_memory`]: a fresh SSBroyden solver takes over the inverse Hessian an
/// earlier SSBroyden solve of a problem with as many parameters ended with, and runs
/// from there; a descent without such memory (L-BFGS drops its pairs when the points
/// change) declines, and a state for another number of parameters is refused.
#[test]
fn a_new_solve_may_adopt_the_curvature_memory_of_an_earlier_one() {
    let mut rosen = MghProblem::new(MghFunction::ExtendedRosenbrock, 6, 6);
    let x0 = rosen.standard_start();
    let mut c = SolverConfig::ss_broyden();
    c.termination.max_iterations = 25;
    let mut a = Solver::init(&mut rosen, &x0, &c).unwrap();
    while a.step(&mut rosen).is_some() {}
    let earlier = a.save();
    let inverse_hessian = |s: &SolverState| s.phase.descent.vectors["inverse_hessian"].clone();
    let h = inverse_hessian(&earlier);
    assert_ne!(
        h,
        inverse_hessian(&Solver::init(&mut rosen, &x0, &c).unwrap().save())
    );

    let start: Vec<f64> = x0.iter().map(|v| 0.9 * v).collect();
    let mut b = Solver::init(&mut rosen, &start, &c).unwrap();
    assert!(b.adopt_memory(&earlier).unwrap());
    assert_eq!(inverse_hessian(&b.save()), h);
    let mut fresh = Solver::init(&mut rosen, &start, &c).unwrap();
    let (rb, rf) = (b.step(&mut rosen).unwrap(), fresh.step(&mut rosen).unwrap());
    assert_ne!(
        rb.loss.to_bits(),
        rf.loss.to_bits(),
        "the adopted H was not used"
    );
    while b.step(&mut rosen).is_some() {}
    assert!(b.loss().is_finite() && b.loss() < rb.loss);

    let mut lbfgs = Solver::init(&mut rosen, &start, &SolverConfig::lbfgs()).unwrap();
    assert!(!lbfgs.adopt_memory(&earlier).unwrap());
    let mut small = MghProblem::new(MghFunction::ExtendedRosenbrock, 4, 4);
    let x4 = small.standard_start();
    let mut other = Solver::init(&mut small, &x4, &c).unwrap();
    let e = other.adopt_memory(&earlier).unwrap_err().to_string();
    assert!(e.contains("P = 6") && e.contains("P = 4"), "{e}");
}
