//! Moré–Garbow–Hillstrom (1981) functions, end to end: each solver runs from MGH's
//! standard starting point and must reach a known minimum value of `½‖r‖²`.
//!
//! Tolerance on the loss `f` against a known minimum `f*` (both in our ½ convention):
//!
//! `|f − f*| ≤ rtol · f* + atol`, with `rtol = max(method rtol, reference precision)`.
//!
//! | method | rtol | atol | why |
//! |---|---|---|---|
//! | LM (QR, Cholesky) | 1e-9 | 1e-20 | second order: converges to the last digits |
//! | GN-CG | 1e-9 | 1e-20 | inexact Gauss–Newton, same fixed points |
//! | L-BFGS (the solve loop's) | 1e-9 | 1e-20 | runs until the tolerances or the line search finds no decrease |
//! | ENGD (zero-residual only) | — | 1e-16 | |
//!
//! Exception: Powell singular and extended Powell (singular Jacobian at x* = 0, linear
//! convergence) get `atol = max(atol, 1e-16)`.
//!
//! Functions a method does not reach are listed per method with the reason, in
//! `EXCLUDED_*` below; a change that makes one of them pass should move it back.

use pinn_solvers::config::{CgPreconditioner, JacobianAccess, LinearSolverKind, Scaling};
use pinn_solvers::test_problems::mgh::{MghFunction, MghProblem, standard_set};
use pinn_solvers::{SolverConfig, solve};

struct Outcome {
    name: String,
    loss: f64,
    target: f64,
    ok: bool,
    iterations: usize,
    termination: String,
}

/// How one method is run: returns (final loss, iterations, stop reason).
type Runner<'a> = &'a dyn Fn(&MghProblem) -> (f64, usize, String);

/// The shared solve loop with `config`.
fn solve_with(config: &SolverConfig) -> impl Fn(&MghProblem) -> (f64, usize, String) + '_ {
    move |p| {
        let mut problem = *p;
        let mut x = p.standard_start();
        let summary = solve(&mut problem, &mut x, config);
        (
            summary.final_loss,
            summary.iterations,
            format!("{:?}", summary.termination),
        )
    }
}

fn check(p: &MghProblem, runner: Runner, rtol: f64, atol: f64) -> Outcome {
    let (loss, iterations, termination) = runner(p);
    let rtol = rtol.max(p.reference_precision());
    // The closest known minimum.
    let target = p
        .known_minima()
        .into_iter()
        .min_by(|a, b| (loss - a).abs().total_cmp(&(loss - b).abs()))
        .unwrap();
    // Powell singular has a singular Jacobian at x* = 0: every method converges only
    // linearly there and stops (by the relative gradient test) near f ~ 1e-19.
    let atol = if matches!(
        p.function,
        MghFunction::PowellSingular | MghFunction::ExtendedPowell
    ) {
        atol.max(1e-16)
    } else {
        atol
    };
    let ok = loss.is_finite() && (loss - target).abs() <= rtol * target + atol;
    Outcome {
        name: p.name(),
        loss,
        target,
        ok,
        iterations,
        termination,
    }
}

/// Runs `config` on the functions of the standard set that pass `filter`, minus
/// `excluded`; prints a table and fails on any miss or if fewer than `min_count`
/// functions were run.
fn run_set(
    label: &str,
    runner: Runner,
    rtol: f64,
    atol: f64,
    filter: impl Fn(&MghProblem) -> bool,
    excluded: &[MghFunction],
    min_count: usize,
) {
    let mut misses = Vec::new();
    let mut count = 0;
    println!("{label}: | function | f | f* | iterations | termination |");
    for p in standard_set() {
        if !filter(&p) || excluded.contains(&p.function) {
            continue;
        }
        let o = check(&p, runner, rtol, atol);
        count += 1;
        println!(
            "{label}: | {} | {:.12e} | {:.12e} | {} | {} |{}",
            o.name,
            o.loss,
            o.target,
            o.iterations,
            o.termination,
            if o.ok { "" } else { " MISS" }
        );
        if !o.ok {
            misses.push(format!(
                "{}: f = {:e}, nearest f* = {:e} ({})",
                o.name, o.loss, o.target, o.termination
            ));
        }
    }
    assert!(count >= min_count, "{label}: only {count} functions tested");
    assert!(misses.is_empty(), "{label} misses:\n{}", misses.join("\n"));
}

fn tight(mut c: SolverConfig) -> SolverConfig {
    c.termination.max_iterations = 10_000;
    c.termination.relative_loss_change_tolerance = 1e-15;
    c.termination.gradient_tolerance = 1e-15;
    c.termination.step_tolerance = 1e-15;
    c
}

/// LM with dense QR. Penalty I: with Marquardt scaling `D² = diag(JᵀJ)` taken at the
/// current iterate (Ceres's choice, not MINPACK's running maximum), the components
/// of x that pass near 0 lose their damping, steps are rejected, λ climbs to ~1e5 and
/// 10 000 iterations end at f ≈ 4.55 (n = 4); with identity scaling LM solves it in
/// 24 iterations (`lm_identity_scaling_solves_penalty_i`).
///
/// Gulf: `lm_qr()`'s trust-region bound. The first trial from x₀ raises the loss
/// 5000-fold, so the radius drops to a tenth of that step; the bounded second step is
/// accepted with ρ = 0.25 (where the λ rule alone would have rejected four more trials
/// and taken a shorter one), and the path falls into the region where `x₁ → 0`
/// (`x₁` reaches 1e-157) and crawls at f ≈ 0.148 for the 10 000 iterations. Without
/// the bound (`lm.trust_region_factor = 0`, `lm_qr_without_the_bound_solves_gulf`) LM
/// solves it in 38 iterations.
const EXCLUDED_LM_QR: &[MghFunction] = &[MghFunction::PenaltyI, MghFunction::Gulf];
/// LM with normal-equations Cholesky: as for QR.
const EXCLUDED_LM_CHOLESKY: &[MghFunction] = &[MghFunction::PenaltyI];
/// GN-CG.
const EXCLUDED_GNCG: &[MghFunction] = &[];
/// ENGD (zero-residual functions only). Powell badly scaled: the Gramian `JᵀJ` has
/// condition ~1e16 at the start and the eigenvalue cutoff drops the direction that
/// matters, so the loss creeps and the relative-change test stops at f ≈ 4e-7.
/// Gulf: stops on the step test at f ≈ 0.22 after ~550 iterations (the line search
/// grid accepts ever smaller steps along x3).
const EXCLUDED_ENGD: &[MghFunction] = &[MghFunction::PowellBadlyScaled, MghFunction::Gulf];

#[test]
fn lm_qr_reaches_known_minima() {
    run_set(
        "lm-qr",
        &solve_with(&SolverConfig::lm_qr()),
        1e-9,
        1e-20,
        |_| true,
        EXCLUDED_LM_QR,
        30,
    );
}

/// Gulf, excluded above for the bound, is solved without it.
#[test]
fn lm_qr_without_the_bound_solves_gulf() {
    let mut c = SolverConfig::lm_qr();
    c.lm.trust_region_factor = 0.0;
    run_set(
        "lm-qr-unbounded",
        &solve_with(&c),
        1e-9,
        1e-20,
        |p| p.function == MghFunction::Gulf,
        &[],
        1,
    );
}

#[test]
fn lm_cholesky_reaches_known_minima() {
    let mut c = tight(SolverConfig::lm());
    c.lm.linear_solver = LinearSolverKind::NormalCholesky;
    run_set(
        "lm-chol",
        &solve_with(&c),
        1e-9,
        1e-20,
        |_| true,
        EXCLUDED_LM_CHOLESKY,
        30,
    );
}

/// Penalty I, excluded above for Marquardt scaling, is solved with identity scaling.
#[test]
fn lm_identity_scaling_solves_penalty_i() {
    let mut c = SolverConfig::lm_qr();
    c.lm.scaling = Scaling::Identity;
    run_set(
        "lm-qr-identity",
        &solve_with(&c),
        1e-9,
        1e-20,
        |p| p.function == MghFunction::PenaltyI,
        &[],
        2,
    );
}

#[test]
fn gncg_reaches_known_minima() {
    run_set(
        "gncg",
        &solve_with(&tight(SolverConfig::gncg())),
        1e-9,
        1e-20,
        |_| true,
        EXCLUDED_GNCG,
        20,
    );
}

/// The same set with CG preconditioned by the randomised Nyström approximation of
/// `JᵀJ`: at full rank (the default rank is capped at P) and at rank 2, refreshed every
/// second iterate (most of these problems have P > 2, so that preconditioner is partial
/// and often stale).
#[test]
fn gncg_nystrom_reaches_known_minima() {
    let mut c = tight(SolverConfig::gncg());
    c.gncg.preconditioner = CgPreconditioner::Nystrom;
    run_set(
        "gncg-nystrom",
        &solve_with(&c),
        1e-9,
        1e-20,
        |_| true,
        EXCLUDED_GNCG,
        20,
    );
    c.gncg.rank = 2;
    c.gncg.refresh_every = 2;
    c.gncg.jacobian = JacobianAccess::MatrixFree;
    run_set(
        "gncg-nystrom-rank-2",
        &solve_with(&c),
        1e-9,
        1e-20,
        |_| true,
        EXCLUDED_GNCG,
        20,
    );
}

#[test]
fn engd_solves_zero_residual_functions() {
    run_set(
        "engd",
        &solve_with(&tight(SolverConfig::engd())),
        0.0,
        1e-16,
        |p| p.is_zero_residual(),
        EXCLUDED_ENGD,
        12,
    );
}

/// L-BFGS through the shared solve loop (`SolverConfig::lbfgs()`: two-loop direction,
/// Moré–Thuente strong Wolfe search run step by step inside the loop).
#[test]
fn loop_lbfgs_reaches_known_minima() {
    let mut c = tight(SolverConfig::lbfgs());
    c.termination.max_iterations = 20_000;
    run_set(
        "loop-lbfgs",
        &solve_with(&c),
        1e-9,
        1e-20,
        |_| true,
        EXCLUDED_LOOP_LBFGS,
        20,
    );
}

const EXCLUDED_LOOP_LBFGS: &[MghFunction] = &[];

/// Dense quasi-Newton methods through the loop (dense inverse Hessian, strong Wolfe):
/// every instance of the standard set, none excluded.
fn dense_quasi_newton(c: SolverConfig, label: &str, excluded: &[MghFunction]) {
    let mut c = tight(c);
    c.termination.max_iterations = 20_000;
    run_set(label, &solve_with(&c), 1e-9, 1e-20, |_| true, excluded, 20);
}

#[test]
fn bfgs_reaches_known_minima() {
    dense_quasi_newton(SolverConfig::bfgs(), "bfgs", &[]);
}

#[test]
fn ss_bfgs_reaches_known_minima() {
    dense_quasi_newton(SolverConfig::ss_bfgs(), "ss-bfgs", &[]);
}

#[test]
fn ss_broyden_reaches_known_minima() {
    dense_quasi_newton(SolverConfig::ss_broyden(), "ss-broyden", &[]);
}

/// The probe-selected trust region on the SVD Gauss–Newton step.
#[test]
fn gn_probe_reaches_known_minima() {
    let c = tight(SolverConfig::gn_probe());
    run_set("gn-probe", &solve_with(&c), 1e-9, 1e-20, |_| true, &[], 20);
}

/// The same control on the sketched model with `s₂ = P` and `s₁ = N` (the default
/// sizes clip to the problem) and one hash: the row sketch is a signed permutation and
/// the SRCT an orthogonal change of basis, both redrawn at every iterate, so the model
/// is the unsketched one in a random basis and the minima are the same. (With four
/// hashes the row sketch at `s₁ = N` is not orthogonal — for N = 2 it is often
/// singular — and a nonzero-residual solve stops where `JᵀSᵀS r = 0`, not `Jᵀr = 0`.)
#[test]
fn gn_probe_sketch_with_full_columns_reaches_known_minima() {
    let mut c = tight(SolverConfig::gn_probe_sketch());
    c.probe.sketch = Some(pinn_solvers::linalg::SketchParams {
        hashes: 1,
        ..Default::default()
    });
    run_set(
        "gn-probe-sketch",
        &solve_with(&c),
        1e-9,
        1e-20,
        |_| true,
        &[],
        20,
    );
}
