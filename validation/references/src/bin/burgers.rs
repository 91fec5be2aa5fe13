//! Writes a Burgers reference (Cole–Hopf, see `pinn_references::burgers`) to the HDF5
//! file given as the last argument:
//!
//! ```text
//! cargo run --release -p pinn-references --bin burgers -- problems/data/burgers.h5
//! cargo run --release -p pinn-references --bin burgers -- nu001 problems/data/burgers-nu001.h5
//! ```
//!
//! Without a case (or with `raissi`): ν = 0.01/π on Raissi's grid (problem `burgers`).
//! With `nu001`: ν = 0.01 on the grid of Webb, Jerad & Cartis (problem
//! `burgers-nu001`). Before writing, it recomputes every value with twice the nodes and
//! puts the largest difference (the measured self-convergence) into the file's
//! `method` paragraph.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use pinn_references::burgers::{ColeHopf, NU, NU_001, raissi_grid, tabulate, webb_grid};
use pinn_references::reference_file::{self, Reference};

/// One tabulated Burgers problem.
struct Case {
    /// The problem name (and the `name` of its problem file).
    problem: &'static str,
    /// The command-line name of the case.
    arg: &'static str,
    nu: f64,
    /// ν as written in the method paragraph.
    nu_text: &'static str,
    grid: fn() -> (Vec<f64>, Vec<f64>),
    /// The grid as written in the method paragraph.
    grid_text: &'static str,
}

const CASES: [Case; 2] = [
    Case {
        problem: "burgers",
        arg: "raissi",
        nu: NU,
        nu_text: "0.01/pi",
        grid: raissi_grid,
        grid_text: "Raissi's grid t = linspace(0, 0.99, 100), x = linspace(-1, 1, 256)",
    },
    Case {
        problem: "burgers-nu001",
        arg: "nu001",
        nu: NU_001,
        nu_text: "0.01",
        grid: webb_grid,
        grid_text: "the grid of Webb, Jerad & Cartis (arXiv 2607.02194): t = linspace(0, 1, 100), \
                    x = -1 + 2j/1024, j = 0..1023",
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (case, out) = match args.as_slice() {
        [_, out] => (&CASES[0], out),
        [_, name, out] => match CASES.iter().find(|c| c.arg == name) {
            Some(c) => (c, out),
            None => {
                eprintln!("burgers: unknown case `{name}` (raissi or nu001)");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: burgers [raissi|nu001] OUT.h5");
            return ExitCode::from(2);
        }
    };
    match run(case, PathBuf::from(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("burgers: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(case: &Case, out: PathBuf) -> Result<(), String> {
    let start = Instant::now();
    let err = |e: pinn_references::burgers::BurgersError| e.to_string();
    let base = ColeHopf::with_viscosity(case.nu).map_err(err)?;
    let fine = base.refine(2.0).map_err(err)?;
    let args = if case.arg == "raissi" {
        String::new()
    } else {
        format!("{} ", case.arg)
    };
    let command = format!(
        "cargo run --release -p pinn-references --bin burgers -- {args}{}",
        out.display()
    );
    let (ts, xs) = (case.grid)();
    let grid = (ts.as_slice(), xs.as_slice());
    let coarse =
        tabulate(&base, grid, case.problem, String::new(), command.clone()).map_err(err)?;
    let check = tabulate(&fine, grid, case.problem, String::new(), command).map_err(err)?;
    let diff = coarse
        .values
        .iter()
        .zip(&check.values)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f64, f64::max);
    let range = |ch: &ColeHopf| {
        let counts = ts.iter().filter(|&&t| t > 0.0).map(|&t| ch.nodes(t));
        let (lo, hi) = counts.fold((usize::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c)));
        (lo, hi)
    };
    let ((n_min, n_max), (f_min, f_max)) = (range(&base), range(&fine));
    let method = format!(
        "Cole-Hopf transform (Hopf 1950, Cole 1951; form of Basdevant et al., Computers & Fluids 1986): \
         u(t,x) = -int sin(pi(x-eta)) f(x-eta) G(eta) deta / int f(x-eta) G(eta) deta with \
         f(y) = exp(-cos(pi y)/(2 pi nu)), G(eta) = exp(-eta^2/(4 nu t)), nu = {}; u(0,x) = -sin(pi x). \
         Quadrature: trapezoid rule on the window |eta| <= sqrt(4 nu t (1/(pi nu) + 40)) (tail < e^-40 of the peak), \
         step h = sigma/2 with sigma = (pi^2/(2 pi nu) + 1/(2 nu t))^(-1/2) the narrowest local Gaussian width of \
         the integrand, log-weights shifted by their maximum before exponentiating; {n_min} to {n_max} nodes per point. \
         Self-convergence: recomputing all {} values with h halved ({f_min} to {f_max} nodes) changes them by at most {diff:.1e}. \
         Grid: {}. Independent checks (validation/references/tests/burgers.rs): odd symmetry, u(t,+-1) = 0, the PDE residual \
         by finite differences, Basdevant's max slope at nu = 0.01/pi, and agreement with a Fourier spectral ETDRK4 solve \
         at nu = 0.01.",
        case.nu_text,
        coarse.values.len(),
        case.grid_text,
    );
    let r = Reference { method, ..coarse };
    reference_file::write(&out, &r)?;
    println!(
        "wrote {} ({} points; {n_min}-{n_max} nodes; self-convergence {diff:.1e}) in {:.2} s",
        out.display(),
        r.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
