//! The table of benches/RESULTS.md "## argmin": argmin's L-BFGS (Moré–Thuente and
//! Hager–Zhang) against our L-BFGS, LM and ENGD on the poisson2d PINN, each for a fixed
//! iteration budget (our iterations count every trial). Prints a markdown table:
//! iterations, wall time, final loss, rel L2 on the 9000 evaluation points, and
//! evaluations (r: residual vectors, J: Jacobians, Jᵀw: vector-Jacobian products; an
//! argmin gradient call is one r and one Jᵀw).
//!
//! `cargo run --release --example argmin_compare_poisson2d [LBFGS_IT] [LM_IT] [ENGD_IT]`
//! (defaults 1000, 1000, 300).

use argmin::core::{Executor, IterState, State};
use pinn::argmin::{argmin_lbfgs_hager_zhang, argmin_lbfgs_more_thuente};
use pinn_solvers::{SolverConfig, solve};
use std::path::Path;
use std::time::Instant;

type LbfgsState = IterState<Vec<f64>, Vec<f64>, (), (), (), f64>;

fn arg(i: usize, default: usize) -> Result<usize, std::num::ParseIntError> {
    std::env::args().nth(i).map_or(Ok(default), |s| s.parse())
}

/// Our own stopping tests off: only the budget stops a run.
fn budget_only(mut c: SolverConfig, iterations: usize) -> SolverConfig {
    c.termination.max_iterations = iterations;
    c.termination.time_limit_seconds = None;
    c.termination.gradient_tolerance = 0.0;
    c.termination.relative_loss_change_tolerance = 0.0;
    c.termination.step_tolerance = 0.0;
    c
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (lbfgs_it, lm_it, engd_it) = (arg(1, 1000)?, arg(2, 1000)?, arg(3, 300)?);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/poisson2d.toml");
    let problem = pinn::problem::load_problem(&path)?;
    let theta0 = problem.initial_params();
    println!("| solver | iterations | time (s) | final loss | rel L2 | evaluations | stop |");
    println!("|---|---|---|---|---|---|---|");
    let lbfgs = budget_only(SolverConfig::lbfgs(), lbfgs_it);
    for hz in [false, true] {
        let t = Instant::now();
        let st = |s: LbfgsState| {
            s.param(theta0.clone())
                .max_iters(lbfgs_it as u64)
                .counting(true)
        };
        let model = problem.residual_model();
        let res = if hz {
            Executor::new(model, argmin_lbfgs_hager_zhang(&lbfgs.lbfgs)?)
                .configure(st)
                .run()?
                .state()
                .clone()
        } else {
            Executor::new(model, argmin_lbfgs_more_thuente(&lbfgs.lbfgs)?)
                .configure(st)
                .run()?
                .state()
                .clone()
        };
        let secs = t.elapsed().as_secs_f64();
        let theta = res.get_best_param().ok_or("no parameters")?;
        let name = if hz {
            "argmin LBFGS + Hager–Zhang"
        } else {
            "argmin LBFGS + Moré–Thuente"
        };
        let count = |k: &str| res.get_func_counts().get(k).copied().unwrap_or(0);
        let (c, g) = (count("cost_count"), count("gradient_count"));
        println!(
            "| {name} | {} | {secs:.2} | {:.3e} | {:.3e} | r {}, Jᵀw {g} | {} |",
            res.get_iter(),
            res.get_best_cost(),
            pinn::run::rel_l2(&problem, theta).unwrap_or(f64::NAN),
            c + g,
            res.get_termination_status()
        );
    }
    for (name, config) in [
        ("our L-BFGS (Moré–Thuente)", lbfgs.clone()),
        ("our LM", budget_only(SolverConfig::lm(), lm_it)),
        ("our ENGD", budget_only(SolverConfig::engd(), engd_it)),
    ] {
        let mut model = problem.residual_model();
        let mut theta = theta0.clone();
        let t = Instant::now();
        let s = solve(&mut model, &mut theta, &config);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "| {name} | {} | {secs:.2} | {:.3e} | {:.3e} | r {}, J {}, Jᵀw {} | {:?} |",
            s.iterations,
            s.final_loss,
            pinn::run::rel_l2(&problem, &theta).unwrap_or(f64::NAN),
            s.evaluations.residuals,
            s.evaluations.jacobians,
            s.evaluations.vjps,
            s.termination
        );
    }
    Ok(())
}
