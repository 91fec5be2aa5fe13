//! Our Levenberg–Marquardt (the NIST preset `SolverConfig::lm_qr()`) driven by argmin's
//! `Executor` on a NIST StRD data set, with argmin's timeout; prints argmin's result
//! and the log relative error (LRE) against NIST's certified values.
//!
//! `cargo run --release --example argmin_lm_nist [DATA_SET]` (default `Thurber`).

use argmin::core::{Executor, State};
use pinn_solvers::SolverConfig;
use pinn_solvers::argmin::{ArgminProblem, ArgminSolver};
use pinn_solvers::test_problems::nist::{NistDataSet, NistProblem, Start, lre};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "Thurber".into());
    let data = NistDataSet::load_named(&name)?;
    let problem = ArgminProblem(NistProblem::new(&data)?);
    let b0 = data.start(Start::One);
    let res = Executor::new(problem, ArgminSolver::new(SolverConfig::lm_qr()))
        .configure(|s| s.param(b0))
        .timeout(Duration::from_secs(30))
        .run()?;
    println!("{res}");
    let b = res.state().get_best_param().ok_or("no parameters")?;
    println!(
        "NIST {name} (start 1): LRE {:.2}",
        lre(b, &data.certified())
    );
    if let Some(s) = res.solver().summary() {
        println!("{}", s.brief());
    }
    Ok(())
}
