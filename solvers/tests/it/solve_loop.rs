//! End-to-end: every method on small problems with known minimisers, every termination
//! reason triggered, invalid trials rejected without corrupting the iterate.

use faer::MatMut;
use pinn_solvers::config::{
    DampingRuleKind, EngdSolve, JacobianAccess, LinearSolverKind, Scaling, SwitchConfig,
};
use pinn_solvers::record::{InvalidReason, StepOutcome};
use pinn_solvers::{LeastSquares, Method, Solver, SolverConfig, TerminationReason, solve};
use std::ops::ControlFlow;

/// Rosenbrock as residuals: `r = (10(θ₂ − θ₁²), 1 − θ₁)`, minimiser (1, 1), loss 0.
struct Rosenbrock;
impl LeastSquares for Rosenbrock {
    fn n_params(&self) -> usize {
        2
    }
    fn n_residuals(&self) -> usize {
        2
    }
    fn residuals(&self, t: &[f64], r: &mut [f64]) {
        r[0] = 10.0 * (t[1] - t[0] * t[0]);
        r[1] = 1.0 - t[0];
    }
    fn residuals_and_jacobian(&self, t: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(t, r);
        j[(0, 0)] = -20.0 * t[0];
        j[(0, 1)] = 10.0;
        j[(1, 0)] = -1.0;
        j[(1, 1)] = 0.0;
    }
}

/// Powell's singular function: `J` is singular at the minimiser 0 (Ceres's test).
struct Powell;
impl LeastSquares for Powell {
    fn n_params(&self) -> usize {
        4
    }
    fn n_residuals(&self) -> usize {
        4
    }
    fn residuals(&self, x: &[f64], r: &mut [f64]) {
        r[0] = x[0] + 10.0 * x[1];
        r[1] = 5f64.sqrt() * (x[2] - x[3]);
        r[2] = (x[1] - 2.0 * x[2]).powi(2);
        r[3] = 10f64.sqrt() * (x[0] - x[3]).powi(2);
    }
    fn residuals_and_jacobian(&self, x: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(x, r);
        j.fill(0.0);
        j[(0, 0)] = 1.0;
        j[(0, 1)] = 10.0;
        j[(1, 2)] = 5f64.sqrt();
        j[(1, 3)] = -(5f64.sqrt());
        j[(2, 1)] = 2.0 * (x[1] - 2.0 * x[2]);
        j[(2, 2)] = -4.0 * (x[1] - 2.0 * x[2]);
        j[(3, 0)] = 2.0 * 10f64.sqrt() * (x[0] - x[3]);
        j[(3, 3)] = -2.0 * 10f64.sqrt() * (x[0] - x[3]);
    }
}

/// A linear least-squares problem `r = Aθ − b` with a nonzero residual at the optimum;
/// the reference is the normal-equations solution computed here independently (exact
/// rational data: A has small integer entries).
struct Linear {
    a: Vec<[f64; 3]>,
    b: Vec<f64>,
}
impl Linear {
    fn new() -> Self {
        let a: Vec<[f64; 3]> = (0..8)
            .map(|i| [1.0, i as f64, ((i * i) % 5) as f64])
            .collect();
        let b = (0..8).map(|i| ((i * 7) % 3) as f64 - 1.0).collect();
        Self { a, b }
    }
    /// Solves AᵀA x = Aᵀb by Cramer's rule (independent of the solvers).
    fn reference(&self) -> [f64; 3] {
        let mut m = [[0.0; 3]; 3];
        let mut v = [0.0; 3];
        for (row, bi) in self.a.iter().zip(&self.b) {
            for i in 0..3 {
                v[i] += row[i] * bi;
                for k in 0..3 {
                    m[i][k] += row[i] * row[k];
                }
            }
        }
        let det = |m: &[[f64; 3]; 3]| {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        };
        let d = det(&m);
        let mut x = [0.0; 3];
        for c in 0..3 {
            let mut mc = m;
            for i in 0..3 {
                mc[i][c] = v[i];
            }
            x[c] = det(&mc) / d;
        }
        x
    }
}
impl LeastSquares for Linear {
    fn n_params(&self) -> usize {
        3
    }
    fn n_residuals(&self) -> usize {
        self.b.len()
    }
    fn residuals(&self, t: &[f64], r: &mut [f64]) {
        for (i, (row, bi)) in self.a.iter().zip(&self.b).enumerate() {
            r[i] = row[0] * t[0] + row[1] * t[1] + row[2] * t[2] - bi;
        }
    }
    fn residuals_and_jacobian(&self, t: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(t, r);
        for (i, row) in self.a.iter().enumerate() {
            for k in 0..3 {
                j[(i, k)] = row[k];
            }
        }
    }
}

/// `r = (θ³ − 1, 0.01(√(3 − θ) − √2))`, zero at θ = 1, NaN for θ > 3. From θ = 0.1
/// the Gauss–Newton step is ≈ +33, deep in the NaN region: LM must reject those trials
/// as invalid, raise λ and still reach θ = 1.
struct NanRegion;
impl LeastSquares for NanRegion {
    fn n_params(&self) -> usize {
        1
    }
    fn n_residuals(&self) -> usize {
        2
    }
    fn residuals(&self, t: &[f64], r: &mut [f64]) {
        r[0] = t[0].powi(3) - 1.0;
        r[1] = 0.01 * ((3.0 - t[0]).sqrt() - 2f64.sqrt());
    }
    fn residuals_and_jacobian(&self, t: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(t, r);
        j[(0, 0)] = 3.0 * t[0] * t[0];
        j[(1, 0)] = -0.005 / (3.0 - t[0]).sqrt();
    }
}

/// `r = θ − 1` with a Jacobian of the wrong sign: the model always predicts a decrease
/// that never happens, so every trial is rejected and λ must climb to its cap.
struct LyingJacobian;
impl LeastSquares for LyingJacobian {
    fn n_params(&self) -> usize {
        1
    }
    fn n_residuals(&self) -> usize {
        1
    }
    fn residuals(&self, t: &[f64], r: &mut [f64]) {
        r[0] = t[0] - 1.0;
    }
    fn residuals_and_jacobian(&self, t: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(t, r);
        j[(0, 0)] = -1.0;
    }
}

fn lm_with(kind: LinearSolverKind, scaling: Scaling) -> SolverConfig {
    let mut c = SolverConfig::lm();
    c.lm.linear_solver = kind;
    c.lm.scaling = scaling;
    c.termination.max_iterations = 500;
    c.threads = 1;
    c
}

fn all_configs() -> Vec<(&'static str, SolverConfig)> {
    let mut v = vec![
        (
            "lm-qr",
            lm_with(LinearSolverKind::DenseQr, Scaling::Marquardt),
        ),
        (
            "lm-chol",
            lm_with(LinearSolverKind::NormalCholesky, Scaling::Marquardt),
        ),
        (
            "lm-sample",
            lm_with(LinearSolverKind::SampleSpace, Scaling::Identity),
        ),
        ("lm-qr-classic", {
            let mut c = lm_with(LinearSolverKind::DenseQr, Scaling::Identity);
            c.lm.damping.rule = DampingRuleKind::Classic;
            c
        }),
    ];
    let mut e = SolverConfig::engd();
    e.termination.max_iterations = 2000;
    e.threads = 1;
    v.push(("engd", e.clone()));
    e.engd.solve = EngdSolve::Tikhonov { epsilon: 1e-12 };
    v.push(("engd-tikhonov", e));
    let mut g = SolverConfig::gncg();
    g.termination.max_iterations = 500;
    g.threads = 1;
    v.push(("gncg", g.clone()));
    g.gncg.jacobian = JacobianAccess::MatrixFree;
    v.push(("gncg-matrix-free", g));
    let mut l = SolverConfig::lbfgs();
    l.threads = 1;
    v.push(("lbfgs", l));
    v
}

#[test]
fn rosenbrock_every_method_reaches_minimiser() {
    for (name, c) in all_configs() {
        let mut theta = [-1.2, 1.0];
        let s = solve(&mut Rosenbrock, &mut theta, &c);
        assert!(
            s.is_solution_usable() && s.termination.is_converged(),
            "{name}: {:?}",
            s.termination
        );
        assert!(
            (theta[0] - 1.0).abs() < 1e-7 && (theta[1] - 1.0).abs() < 1e-7,
            "{name}: {theta:?} {}",
            s.brief()
        );
        assert!(s.final_loss < 1e-16, "{name}: {}", s.final_loss);
    }
}

#[test]
fn linear_least_squares_every_method_matches_normal_equations() {
    let p = Linear::new();
    let reference = p.reference();
    for (name, c) in all_configs() {
        let mut p = Linear::new();
        let mut theta = [0.0; 3];
        let s = solve(&mut p, &mut theta, &c);
        assert!(s.is_solution_usable(), "{name}: {:?}", s.termination);
        for k in 0..3 {
            assert!(
                (theta[k] - reference[k]).abs() < 1e-8 * (1.0 + reference[k].abs()),
                "{name}: {theta:?} vs {reference:?}"
            );
        }
    }
}

#[test]
fn powell_singular_every_method_goes_to_zero() {
    for (name, mut c) in all_configs() {
        c.termination.gradient_tolerance = 0.0;
        c.termination.relative_loss_change_tolerance = 0.0;
        c.termination.step_tolerance = 0.0;
        c.termination.loss_tolerance = 1e-40;
        c.termination.max_iterations = 5000;
        let mut theta = [3.0, -1.0, 0.0, 1.0];
        let s = solve(&mut Powell, &mut theta, &c);
        assert!(s.is_solution_usable(), "{name}: {:?}", s.termination);
        // The minimiser is 0 and J is singular there, so convergence is linear; a
        // loss of 1e-40 means ‖θ‖ ≲ 1e-9.
        assert!(
            theta.iter().all(|v| v.abs() < 1e-5),
            "{name}: {theta:?} {}",
            s.brief()
        );
        assert!(s.final_loss < 1e-20, "{name}: {}", s.final_loss);
    }
}

#[test]
fn nan_trials_are_rejected_and_iterate_stays_finite() {
    let mut c = lm_with(LinearSolverKind::DenseQr, Scaling::Identity);
    c.lm.damping.initial_lambda = 1e-3;
    c.termination.max_consecutive_invalid_steps = 10;
    let mut theta = [0.1];
    let s = solve(&mut NanRegion, &mut theta, &c);
    assert!(s.invalid_steps > 0, "{}", s.full());
    assert!(
        s.history
            .iter()
            .any(|r| r.outcome == StepOutcome::Invalid(InvalidReason::NonFiniteResiduals))
    );
    for r in &s.history {
        assert!(r.loss.is_finite());
    }
    // λ = 1e-3, 2e-3, 8e-3 all overshoot past θ = 3 (δ = 0.03/(0.0009 + λ)); 6.4e-2 does not.
    assert_eq!(
        s.history[..3]
            .iter()
            .filter(|r| matches!(r.outcome, StepOutcome::Invalid(_)))
            .count(),
        3
    );
    assert!((theta[0] - 1.0).abs() < 1e-10, "{theta:?}");
}

#[test]
fn termination_reasons_each_triggered() {
    let run = |edit: &dyn Fn(&mut SolverConfig), theta0: [f64; 2]| {
        let mut c = lm_with(LinearSolverKind::DenseQr, Scaling::Marquardt);
        edit(&mut c);
        let mut theta = theta0;
        solve(&mut Rosenbrock, &mut theta, &c).termination
    };
    assert_eq!(
        run(&|c| c.termination.max_iterations = 3, [-1.2, 1.0]),
        TerminationReason::MaxIterations
    );
    assert_eq!(
        run(&|c| c.termination.loss_tolerance = 1.0, [-1.2, 1.0]),
        TerminationReason::LossTolerance
    );
    assert_eq!(
        run(
            &|c| {
                c.termination.gradient_tolerance = 0.5;
            },
            [-1.2, 1.0]
        ),
        TerminationReason::GradientTolerance
    );
    assert_eq!(
        run(
            &|c| {
                c.termination.gradient_tolerance = 0.0;
                c.termination.relative_loss_change_tolerance = 0.5;
            },
            [-1.2, 1.0]
        ),
        TerminationReason::RelativeLossChange
    );
    assert_eq!(
        run(
            &|c| {
                c.termination.gradient_tolerance = 0.0;
                c.termination.relative_loss_change_tolerance = 0.0;
                c.termination.step_tolerance = 10.0;
            },
            [-1.2, 1.0]
        ),
        TerminationReason::StepTolerance
    );
    assert_eq!(
        run(
            &|c| c.termination.time_limit_seconds = Some(1e-300),
            [-1.2, 1.0]
        ),
        TerminationReason::TimeLimit
    );
    assert!(!run(&|c| c.termination.max_iterations = 0, [-1.2, 1.0]).is_solution_usable());
    assert_eq!(
        run(&|_| {}, [f64::NAN, 1.0]),
        TerminationReason::NonFiniteIterate
    );
    // Stalled: every trial is rejected, λ climbs to its cap.
    let mut c = lm_with(LinearSolverKind::DenseQr, Scaling::Identity);
    c.termination.step_tolerance = 0.0;
    c.lm.damping.max_lambda = 1e3;
    let mut theta = [3.0];
    let s = solve(&mut LyingJacobian, &mut theta, &c);
    assert_eq!(s.termination, TerminationReason::Stalled);
    assert_eq!((theta[0], s.accepted_steps), (3.0, 0));
    // Too many invalid steps: every trial lands in the NaN region.
    let mut c = lm_with(LinearSolverKind::DenseQr, Scaling::Identity);
    c.lm.damping.initial_lambda = 1e-16;
    c.lm.damping.min_lambda = 1e-16;
    c.lm.damping.rule = DampingRuleKind::Classic;
    c.termination.max_consecutive_invalid_steps = 2;
    let mut theta = [0.1];
    let s = solve(&mut NanRegion, &mut theta, &c);
    assert_eq!(
        (s.termination, s.iterations),
        (TerminationReason::TooManyInvalidSteps, 2)
    );
    assert_eq!(theta, [0.1]);
    // User stop: flag and observer.
    let c = lm_with(LinearSolverKind::DenseQr, Scaling::Marquardt);
    let mut s = Solver::init(&mut Rosenbrock, &[-1.2, 1.0], &c).unwrap();
    s.step(&mut Rosenbrock).unwrap();
    s.stop_handle()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(s.step(&mut Rosenbrock).is_none());
    assert_eq!(s.terminated(), Some(&TerminationReason::UserStop));
    let mut seen = Vec::new();
    let mut s = Solver::init(&mut Rosenbrock, &[-1.2, 1.0], &c).unwrap();
    s.set_observer(Box::new(|rec, theta| {
        seen.push((rec.iteration, theta[0]));
        if rec.iteration == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }));
    while s.step(&mut Rosenbrock).is_some() {}
    assert_eq!(s.terminated(), Some(&TerminationReason::UserStop));
    let summary = s.summary();
    drop(s);
    assert_eq!(seen.len(), 3);
    assert_eq!(summary.iterations, 3);
    // Invalid configuration.
    let mut bad = SolverConfig::lm();
    bad.lm.damping.acceptance = 2.0;
    let mut theta = [0.0, 0.0];
    let s = solve(&mut Rosenbrock, &mut theta, &bad);
    assert!(
        matches!(s.termination, TerminationReason::InvalidConfig(ref m) if m.contains("lm.damping.acceptance"))
    );
    assert!(!s.is_solution_usable());
}

/// A problem whose residual set changes every 3 iterations: `rᵢ = θ − cᵢ` over a set of
/// targets drawn from two alternating sets with the same mean, so the minimiser is the
/// mean either way.
struct Resampled {
    set: usize,
    resamples: usize,
}
impl LeastSquares for Resampled {
    fn n_params(&self) -> usize {
        1
    }
    fn n_residuals(&self) -> usize {
        2
    }
    fn residuals(&self, t: &[f64], r: &mut [f64]) {
        let c = if self.set == 0 {
            [1.0, 3.0]
        } else {
            [0.0, 4.0]
        };
        r[0] = t[0] - c[0];
        r[1] = t[0] - c[1];
    }
    fn residuals_and_jacobian(&self, t: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(t, r);
        j[(0, 0)] = 1.0;
        j[(1, 0)] = 1.0;
    }
    fn resample(&mut self, iteration: usize, _theta: &[f64]) -> bool {
        if iteration > 0 && iteration.is_multiple_of(3) {
            self.set = 1 - self.set;
            self.resamples += 1;
            true
        } else {
            false
        }
    }
}

#[test]
fn resampling_recomputes_the_loss_before_comparing() {
    let mut c = lm_with(LinearSolverKind::DenseQr, Scaling::Identity);
    c.termination.gradient_tolerance = 0.0;
    c.termination.relative_loss_change_tolerance = 0.0;
    c.termination.step_tolerance = 0.0;
    c.termination.max_iterations = 10;
    let mut p = Resampled {
        set: 0,
        resamples: 0,
    };
    let mut theta = [10.0];
    let s = solve(&mut p, &mut theta, &c);
    assert!((theta[0] - 2.0).abs() < 1e-12);
    assert!(p.resamples >= 2);
    let flagged: Vec<usize> = s
        .history
        .iter()
        .filter(|r| r.resampled)
        .map(|r| r.iteration)
        .collect();
    assert_eq!(&flagged[..2], &[3, 6]);
    // After a resample the record's starting loss is that of the new set at the same θ
    // (θ = 2: set 0 gives ½(1+1) = 1, set 1 gives ½(4+4) = 4).
    for r in s.history.iter().filter(|r| r.resampled) {
        let expected = if p.set == 0 || r.iteration == 6 {
            [1.0, 4.0]
        } else {
            [4.0, 1.0]
        };
        assert!(expected.iter().any(|e| (r.loss - e).abs() < 1e-9), "{r:?}");
    }
}

#[test]
fn switch_runs_first_method_then_second() {
    let mut c = SolverConfig::adam();
    c.adam.learning_rate = 1e-2;
    c.switch = Some(SwitchConfig {
        after_iterations: 20,
        then: Method::Lm,
    });
    c.threads = 1;
    let mut theta = [-1.2, 1.0];
    let s = solve(&mut Rosenbrock, &mut theta, &c);
    assert_eq!(s.methods, vec![Method::Adam, Method::Lm]);
    assert!(s.history[..20].iter().all(|r| r.method == Method::Adam));
    assert!(s.history[20..].iter().all(|r| r.method == Method::Lm));
    assert!((theta[0] - 1.0).abs() < 1e-7, "{theta:?}");
}

#[test]
fn summary_reports_are_complete() {
    let mut theta = [-1.2, 1.0];
    let s = solve(&mut Rosenbrock, &mut theta, &SolverConfig::lm_qr());
    let full = s.full();
    for needle in [
        "parameters P",
        "linear solver given/used  DenseQr / DenseQr",
        "accepted",
        "Termination",
        "residual + Jacobian",
    ] {
        assert!(full.contains(needle), "{needle}\n{full}");
    }
    assert!(s.brief().contains("Lm"));
    assert_eq!(
        s.accepted_steps + s.rejected_steps + s.invalid_steps,
        s.iterations
    );
    assert_eq!(s.history.len(), s.iterations);
    // One Jacobian at θ₀ and one per accepted iterate, except when the solve stops
    // right at an accepted iterate (loss 0 here) before linearising it.
    let last_accepted = s.history.last().is_some_and(|r| r.accepted());
    assert_eq!(
        s.evaluations.jacobians,
        s.accepted_steps + 1 - usize::from(last_accepted)
    );
}

/// `r(θ) = atan θ`: Newton overshoots for |θ| > 1.39 (the step −atan θ·(1 + θ²) lands
/// where |atan| is larger), so from θ₀ = 1.5 a one-point grid (η = 1 only) has no
/// decrease.
struct Arctan;
impl LeastSquares for Arctan {
    fn n_params(&self) -> usize {
        1
    }
    fn n_residuals(&self) -> usize {
        1
    }
    fn residuals(&self, t: &[f64], r: &mut [f64]) {
        r[0] = t[0].atan();
    }
    fn residuals_and_jacobian(&self, t: &[f64], r: &mut [f64], mut j: MatMut<'_, f64>) {
        self.residuals(t, r);
        j[(0, 0)] = 1.0 / (1.0 + t[0] * t[0]);
    }
}

#[test]
fn engd_without_a_decreasing_grid_point_moves_to_the_argmin_or_stalls_as_configured() {
    let mut c = SolverConfig::engd();
    c.engd.grid_steps = 0;
    c.termination.max_iterations = 1;
    let theta0 = 1.5_f64;
    let newton = theta0 - theta0.atan() * (1.0 + theta0 * theta0);
    assert!(
        newton.atan().abs() > theta0.atan().abs(),
        "the step raises the loss"
    );

    // The published rule (Müller & Zeinhofer's grid_line_search_update): move anyway.
    let mut theta = [theta0];
    let s = solve(&mut Arctan, &mut theta, &c);
    assert_eq!(s.termination, TerminationReason::MaxIterations);
    assert!(
        (theta[0] - newton).abs() <= 1e-12,
        "{} vs {newton}",
        theta[0]
    );
    assert!(s.final_loss > s.initial_loss);

    // The conservative rule: stop where we are.
    c.engd.take_argmin_without_decrease = false;
    c.termination.max_iterations = 10;
    let mut theta = [theta0];
    let s = solve(&mut Arctan, &mut theta, &c);
    assert_eq!(s.termination, TerminationReason::Stalled);
    assert_eq!((theta[0], s.accepted_steps), (theta0, 0));
}
