//! NIST StRD nonlinear regression, end to end: Levenberg–Marquardt with the dense QR
//! linear solver (`SolverConfig::lm_qr()`, see [`nist_config`]) on all 17 data sets in `data/nist/` from both
//! NIST starting points.
//!
//! Score: LRE = −log10(|b − b*|/|b*|), minimum over parameters, capped at 11
//! ([`lre`]). The floors below are the LREs measured on this code (solvers/NIST.md),
//! rounded down by about half a digit, so that any regression in the solver, the
//! linear algebra or the problem code fails here. `None` marks a run that does not
//! reach LRE 4, with the reason in NIST.md; for those only sanity is checked.
//!
//! Run `cargo test --release -p pinn-solvers --test it nist:: -- --nocapture` for the table.

use pinn_solvers::test_problems::nist::{
    DATA_SETS, NistDataSet, NistProblem, Start, lre, lre_scalar,
};
use pinn_solvers::{LeastSquares, SolverConfig, solve};

/// One LM+QR run.
struct Run {
    name: &'static str,
    difficulty: &'static str,
    start: Start,
    lre_params: f64,
    lre_rss: f64,
    iterations: usize,
    termination: String,
    initial_loss: f64,
    final_loss: f64,
}

/// `SolverConfig::lm_qr()` with the relative-loss-change and gradient tests off, so
/// that LM stops only on the step test or when no step can be accepted (λ at its cap).
///
/// Why: both tests fire while the parameters still move in the 8th–9th digit. The
/// loss is quadratic in the parameter error, so `|ΔL|/L ≤ 1e-15` is met once the
/// error is ~√1e-15 ≈ 3e-8; the gradient test is relative to ‖∇L(b₀)‖, which is
/// huge from NIST's start 1. With them on, the average LRE is 9.30; off, 9.60.
fn nist_config() -> SolverConfig {
    let mut c = SolverConfig::lm_qr();
    c.termination.relative_loss_change_tolerance = 0.0;
    c.termination.gradient_tolerance = 0.0;
    c
}

fn run(name: &'static str, start: Start) -> Run {
    let data = NistDataSet::load_named(name).expect("data set parses");
    let mut problem = NistProblem::new(&data).expect("model coded");
    let mut b = data.start(start);
    let summary = solve(&mut problem, &mut b, &nist_config());
    let rss = problem.rss(&b);
    assert_eq!(b.len(), problem.n_params());
    Run {
        name,
        difficulty: data.difficulty.as_str(),
        start,
        lre_params: lre(&b, &data.certified()),
        lre_rss: lre_scalar(rss, data.certified_rss),
        iterations: summary.iterations,
        termination: format!("{:?}", summary.termination),
        initial_loss: summary.initial_loss,
        final_loss: summary.final_loss,
    }
}

/// Measured floors `(data set, start 1, start 2)`; see the module doc.
const FLOORS: [(&str, Option<f64>, Option<f64>); 17] = [
    ("Misra1a", Some(10.5), Some(10.5)),
    ("Chwirut2", Some(10.4), Some(10.4)),
    ("Chwirut1", Some(10.2), Some(10.2)),
    ("Lanczos3", Some(10.0), Some(10.0)),
    ("Gauss1", Some(10.1), Some(10.1)),
    ("Gauss2", Some(9.8), Some(9.8)),
    ("DanWood", Some(10.5), Some(10.5)),
    ("Misra1b", Some(10.5), Some(10.5)),
    ("Kirby2", Some(10.0), Some(10.0)),
    ("Hahn1", Some(10.3), Some(10.3)),
    ("MGH17", Some(10.3), Some(10.3)),
    ("Lanczos1", Some(10.1), Some(10.1)),
    ("Gauss3", Some(10.0), Some(10.0)),
    // MGH09 stops in a flat valley: a rounding-level change of the Marquardt diagonal
    // moved start 1 from 10.5 to 9.5 (RSS still to 11 digits).
    ("MGH09", Some(9.4), Some(9.4)),
    ("Thurber", Some(9.9), Some(9.9)),
    ("BoxBOD", None, Some(10.5)),
    ("Rat42", Some(10.5), Some(10.5)),
];

/// Floor on the average LRE over all 34 runs (failed runs count with their LRE).
const AVERAGE_FLOOR: f64 = 10.2;

#[test]
fn lm_qr_reaches_the_certified_values() {
    assert_eq!(FLOORS.len(), DATA_SETS.len());
    let mut runs = Vec::new();
    for (name, _, _) in FLOORS {
        for start in [Start::One, Start::Two] {
            runs.push(run(name, start));
        }
    }

    println!("| data set | difficulty | start | LRE params | LRE RSS | iterations | termination |");
    println!("|---|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {} | {} |",
            r.name,
            r.difficulty,
            if r.start == Start::One { 1 } else { 2 },
            r.lre_params,
            r.lre_rss,
            r.iterations,
            r.termination
        );
    }
    let average = runs.iter().map(|r| r.lre_params).sum::<f64>() / runs.len() as f64;
    let solved = runs.iter().filter(|r| r.lre_params >= 4.0).count();
    println!(
        "average LRE {average:.2}; solved (LRE ≥ 4) {solved}/{}",
        runs.len()
    );

    let mut failures = Vec::new();
    for (name, floor1, floor2) in FLOORS {
        for (start, floor) in [(Start::One, floor1), (Start::Two, floor2)] {
            let r = runs
                .iter()
                .find(|r| r.name == name && r.start == start)
                .unwrap();
            // Every run, solved or not, must end no worse than it started.
            if !(r.final_loss.is_finite() && r.final_loss <= r.initial_loss) {
                failures.push(format!(
                    "{name} {start:?}: loss {} → {}",
                    r.initial_loss, r.final_loss
                ));
            }
            if let Some(floor) = floor
                && r.lre_params < floor
            {
                failures.push(format!(
                    "{name} {start:?}: LRE {:.2} < floor {floor}",
                    r.lre_params
                ));
            }
        }
    }
    if average < AVERAGE_FLOOR {
        failures.push(format!("average LRE {average:.2} < {AVERAGE_FLOOR}"));
    }
    assert!(failures.is_empty(), "regressions:\n{}", failures.join("\n"));
}
