//! Per-iteration time and peak memory of the dense self-scaled quasi-Newton methods
//! against dense Levenberg–Marquardt and L-BFGS as the parameter count grows.
//!
//! Problem: `problems/burgers-soft.toml` (Burgers, ν = 0.01/π, 10 000 Latin-hypercube
//! residual rows plus 100 initial/boundary rows) with 2 → w × 4 → 1 tanh networks,
//! w = 20, 40, 57: P = 1 341, 5 081 and 10 147 parameters.
//!
//! What one iteration costs differs by method, and that is what is measured:
//! - `lm`: residuals and the N × P Jacobian, `JᵀJ` (N·P² flops), a Cholesky solve per
//!   trial damping;
//! - `ssbroyden` / `ssbfgs`: the gradient `Jᵀr` at each line-search trial (no stored
//!   Jacobian), a P × P matrix–vector product and the rank-two update of the dense
//!   inverse Hessian (O(P²) each);
//! - `lbfgs`: the gradient at each trial and the two-loop recursion (O(mP)).
//!
//! Each (method, P) runs in a child process of this binary, so that its peak resident
//! memory (`VmHWM` from /proc/self/status, Linux) is its own: problem set-up, one
//! warm-up iteration, then `k` timed iterations (each a `Solver::step`: accepted or
//! rejected). The table gives the median and mean seconds per iteration and the peak
//! memory. Run with `cargo bench --bench quasi_newton_scale`; `-- --quick` runs P = 1 341
//! only. Results: benches/RESULTS.md, "Dense quasi-Newton at scale".

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use pinn::presets::preset;
use pinn::problem::{build_problem, parse_spec};
use pinn_solvers::Solver;

const WIDTHS: [usize; 3] = [20, 40, 57];
const METHODS: [&str; 4] = ["ssbroyden", "ssbfgs", "lbfgs", "lm"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let method = &args[i + 1];
        let width: usize = args[i + 2].parse().expect("width");
        child(method, width);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let widths: &[usize] = if quick { &WIDTHS[..1] } else { &WIDTHS };
    let exe = std::env::current_exe().expect("own path");
    println!("| method | P | iterations timed | median s/iter | mean s/iter | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|");
    for &w in widths {
        for method in METHODS {
            let out = Command::new(&exe)
                .args(["--child", method, &w.to_string()])
                .output()
                .expect("run child");
            let text = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                eprintln!(
                    "{method} w = {w} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            print!("{text}");
        }
    }
}

/// The Burgers problem with 2 → w × 4 → 1.
fn burgers(width: usize) -> pinn::problem::Problem {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/burgers-soft.toml");
    let text = std::fs::read_to_string(&path).expect("burgers-soft.toml");
    let from = "layers = [2, 20, 20, 20, 20, 1]";
    assert!(text.contains(from), "burgers-soft.toml's network changed");
    let to = format!("layers = [2, {width}, {width}, {width}, {width}, 1]");
    let text = text.replace(from, &to);
    let spec = parse_spec(&path, &text).expect("spec");
    build_problem(&path, &text, spec).expect("problem")
}

/// Timed iterations per method: enough for a stable median, few where one costs seconds.
fn timed_iterations(method: &str, p: usize) -> usize {
    match (method, p) {
        ("lm", p) if p > 3000 => 3,
        ("lm", _) => 10,
        _ => 20,
    }
}

fn child(method: &str, width: usize) {
    let problem = burgers(width);
    let mut model = problem.residual_model();
    let theta0 = problem.initial_params();
    let p = theta0.len();
    let mut config = preset(method).expect("preset");
    config.termination.max_iterations = 1_000_000;
    let mut solver = Solver::init(&mut model, &theta0, &config).expect("valid config");
    solver.step(&mut model).expect("warm-up iteration");
    let k = timed_iterations(method, p);
    let mut times = Vec::with_capacity(k);
    for _ in 0..k {
        let start = Instant::now();
        if solver.step(&mut model).is_none() {
            break;
        }
        times.push(start.elapsed().as_secs_f64());
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "| {method} | {p} | {} | {median:.4} | {mean:.4} | {} |",
        times.len(),
        peak_rss()
    );
}

/// The process's peak resident set size in MB (`VmHWM`), or "n/a".
fn peak_rss() -> String {
    common::peak_rss_bytes().map_or_else(|| "n/a".to_string(), |b| format!("{:.0} MB", b / 1e6))
}
