//! Our Levenberg–Marquardt on the poisson2d PINN through argmin's `Executor`, with a
//! small argmin observer that prints progress from the key-value output our adapter
//! reports (loss, ‖∇L‖, λ, ρ, inner iterations, step outcome).
//!
//! `cargo run --release --example argmin_lm_observer [ITERATIONS]`

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{Error, Executor, KV, State};
use pinn_solvers::SolverConfig;
use pinn_solvers::argmin::{ArgminSolver, ArgminState};
use std::path::Path;

/// Prints one line per observed iteration.
struct Progress;

impl Observe<ArgminState> for Progress {
    fn observe_init(&mut self, name: &str, state: &ArgminState, _kv: &KV) -> Result<(), Error> {
        println!("{name}: initial loss {:.6e}", state.get_cost());
        println!(
            "{:>6} {:>13} {:>10} {:>10} {:>10} {:>4} outcome",
            "iter", "loss", "|grad|", "lambda", "rho", "lin"
        );
        Ok(())
    }
    fn observe_iter(&mut self, state: &ArgminState, kv: &KV) -> Result<(), Error> {
        let f = |k: &str| kv.get(k).and_then(|v| v.get_float()).unwrap_or(f64::NAN);
        let inner = kv
            .get("inner_iterations")
            .and_then(|v| v.get_uint())
            .unwrap_or(0);
        let outcome = kv.get("outcome").map(|v| v.as_string()).unwrap_or_default();
        println!(
            "{:>6} {:>13.6e} {:>10.3e} {:>10.3e} {:>10.3e} {:>4} {outcome}",
            state.get_iter(),
            state.get_cost(),
            f("gradient_norm"),
            f("lambda"),
            f("rho"),
            inner
        );
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 300,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/poisson2d.toml");
    let problem = pinn::problem::load_problem(&path)?;
    let theta0 = problem.initial_params();
    let res = Executor::new(
        problem.residual_model(),
        ArgminSolver::new(SolverConfig::lm()),
    )
    .configure(|s| s.param(theta0).max_iters(iterations))
    .add_observer(Progress, ObserverMode::Every(25))
    .run()?;
    let state = res.state();
    let theta = state.get_best_param().ok_or("no parameters")?;
    println!("termination: {}", state.get_termination_status());
    println!("best loss:   {:.6e}", state.get_best_cost());
    if let Some(e) = pinn::run::rel_l2(&problem, theta) {
        println!("rel L2:      {e:.3e}");
    }
    Ok(())
}
