//! Generates the Kuramoto–Sivashinsky reference file (`problems/data/ks.h5`).
//!
//! `cargo run --release -p pinn-references --bin ks -- OUT.h5`
//!
//! Solves `u_t + (100/16) u u_x + (100/16²) u_xx + (100/16⁴) u_xxxx = 0`,
//! `u(0, x) = cos(x)(1 + sin(x))`, periodic on `[0, 2π]`, with [`pinn_references::ks`]
//! (Fourier pseudo-spectral with the 2/3 rule, ETDRK4) at `N = 1024`, `dt = 1e−5`,
//! measures the self-convergence against `N = 2048`, `dt = 5e−6` at every tabulated
//! point (reported per time span: the dynamics are chaotic, so the agreement decays with
//! t), and writes `u` at jaxpi's grid `t = linspace(0, 1, 251)` × `x = linspace(0, 2π,
//! 512)` (both ends), rows `(t, x)`, `t` outer.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use pinn_references::ks::{DOMAIN, solve};
use pinn_references::reference_file::write;
use pinn_references::spectral::integral;
use pinn_references::table::{grid_reference, linspace, max_up_to, row_differences, solve_rows};

const N: usize = 1024;
const DT: f64 = 1e-5;
const NT: usize = 251;
const NX: usize = 512;

fn run(out: PathBuf) -> Result<(), String> {
    let start = Instant::now();
    let times = linspace(0.0, 1.0, NT);
    let xs = linspace(0.0, 2.0 * std::f64::consts::PI, NX);
    let err = |e: pinn_references::spectral::SpectralError| e.to_string();
    let (coeffs, table) = solve_rows(solve, (N, DT), DOMAIN, &times, &xs).map_err(err)?;
    let solve_secs = start.elapsed().as_secs_f64();
    let (_, fine) = solve_rows(solve, (2 * N, DT / 2.0), DOMAIN, &times, &xs).map_err(err)?;
    let diffs = row_differences(&table, &fine);
    let spans: Vec<String> = [0.1, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&t| format!("{:.1e} for t <= {t}", max_up_to(&times, &diffs, t)))
        .collect();
    let mass = coeffs
        .iter()
        .map(|v| integral(v, DOMAIN).abs())
        .fold(0.0, f64::max);
    let max_u = table.iter().flatten().fold(0.0f64, |m, u| m.max(u.abs()));
    let method = format!(
        "Fourier pseudo-spectral in x (N = {N} points, period 2 pi, de-aliased by the 2/3 rule) \
         and ETDRK4 in t (Cox & Matthews 2002; phi-functions by the contour-integral mean of \
         Kassam & Trefethen 2005, 64 points on the circle), dt = {DT:e}; linear part \
         L = (100/16^2) k^2 - (100/16^4) k^4 (k = m, integrated exactly), nonlinear part \
         -(100/16)(u^2)_x/2. u(0,x) = cos x + sin(2x)/2, sampled exactly. Values off the grid \
         by exact evaluation of the Fourier series. Self-convergence, max |u(N, dt) - u(2N, \
         dt/2)| (max |u| = {max_u:.2}): {}. The growth with t is the chaos of the equation \
         (the Kassam-Trefethen run on [0, 32 pi] up to t = 100, rescaled): a perturbation of \
         the rounding size grows by about 10 per 0.1 in t, which bounds any float64 solution \
         at t = 1 to about this accuracy. int u stays at {mass:.1e}.",
        spans.join(", ")
    );
    let command = format!(
        "cargo run --release -p pinn-references --bin ks -- {}",
        out.display()
    );
    write(
        &out,
        &grid_reference("ks", method.clone(), command, &times, &xs, &table),
    )?;
    pinn_references::binary::report_spectral(&method, &out, NT * NX, N, solve_secs, start);
    Ok(())
}

fn main() -> ExitCode {
    pinn_references::binary::main_with_output("ks", run)
}
