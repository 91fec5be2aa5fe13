//! Seconds per iteration, split by phase, and peak memory of the dense and sketched
//! Gauss–Newton solvers on Burgers at two sizes:
//! - `small`: `problems/burgers.toml` as it is (2 → 20 × 4 → 1 tanh with the periodic
//!   embedding of x, 10 000 Latin-hypercube residual points + 50 initial points);
//! - `large`: `problems/burgers-nu001.toml` rebuilt at the size of Webb, Jerad & Cartis
//!   (2026): 2 → 40 × 4 → 1 with the periodic embedding `cos πx, sin πx` (no boundary
//!   block), 2¹⁵ residual + 2¹⁴ initial points = 49 152 rows;
//! - `wide` (`lm` only unless asked): `problems/burgers-soft.toml` with 2 → 57 × 4 → 1,
//!   P = 10 147 on 10 100 rows, the largest LM case of the dense quasi-Newton bench.
//!
//! Methods: `lm` (`JᵀJ` on one triangle, a Cholesky solve per trial damping), `gn-probe`
//! (thin QR of the column-scaled `J`, SVD of `R`, probe-selected trust region) and
//! `gn-probe-sketch` (the same on the count-sketched, SRCT-compressed core; `J` built
//! in row batches, never whole). An iteration is one `Solver::step`, accepted or
//! rejected; its time is split as the solver records it: "J" (residuals and Jacobian
//! rows), "factorisation" (`JᵀJ`, QR, SVD, sketch: once per accepted iterate),
//! "solve" (per-trial solves) and "rest" (trial residuals, bookkeeping), means over the
//! timed iterations; "CPU s/iter" is the process CPU time (all threads) per iteration,
//! the fairer figure on a shared machine.
//!
//! Each (size, method) runs in its own child process of this binary, one after the
//! other, so its peak resident memory (`VmHWM`, /proc/self/status) is its own and two
//! large runs never overlap. Before allocating, a child prints the memory estimate the
//! problem loader would refuse a solve with and stops if it exceeds the machine's
//! memory. Run with `cargo bench --bench gn_step_scale [-- SIZE… METHOD…]` (default:
//! every size and method); results in
//! benches/RESULTS.md, "Gauss–Newton at scale".

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use pinn::presets::preset;
use pinn::problem::memory::MachineMemory;
use pinn::problem::{Problem, build_problem, parse_spec};
use pinn_solvers::record::StepOutcome;
use pinn_solvers::{LeastSquares, Solver};

const METHODS: [&str; 3] = ["lm", "gn-probe", "gn-probe-sketch"];
const SIZES: [&str; 3] = ["small", "large", "wide"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], &args[i + 2]);
        return;
    }
    let named = |s: &str| args.iter().any(|a| a == s);
    let sizes: Vec<&str> = if SIZES.iter().any(|s| named(s)) {
        SIZES.into_iter().filter(|s| named(s)).collect()
    } else {
        SIZES.to_vec()
    };
    let methods: Vec<&str> = if METHODS.iter().any(|m| named(m)) {
        METHODS.into_iter().filter(|m| named(m)).collect()
    } else {
        METHODS.to_vec()
    };
    let exe = std::env::current_exe().expect("own path");
    println!(
        "| size | method | N × P | iterations (accepted) | median s/iter | CPU s/iter | J | factorisation | solve | rest | peak RSS | estimate |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for size in sizes {
        for &method in &methods {
            if size == "wide" && method != "lm" && methods.len() > 1 {
                continue;
            }
            let out = Command::new(&exe)
                .args(["--child", size, method])
                .output()
                .expect("run child");
            if !out.status.success() {
                eprintln!(
                    "{size} {method} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
    }
}

/// The problem of `size` (see the module documentation).
fn burgers(size: &str) -> Problem {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (file, edits): (&str, &[(&str, &str)]) = match size {
        "small" => ("problems/burgers.toml", &[]),
        "large" => (
            "problems/burgers-nu001.toml",
            &[
                (
                    "layers = [2, 20, 20, 20, 20, 1]",
                    "layers = [2, 40, 40, 40, 40, 1]",
                ),
                (
                    "\n[collocation]",
                    "\n[model.embedding]\nperiodic = { x = 2.0 }\n\n[collocation]",
                ),
                (
                    "points = { count = 10000, sampler = \"lhs\" }",
                    "points = { count = 32768, sampler = \"lhs\" }",
                ),
                (
                    "value = \"-sin(pi*x)\"\npoints = { count = 50, sampler = \"uniform\" }",
                    "value = \"-sin(pi*x)\"\npoints = { count = 16384, sampler = \"uniform\" }",
                ),
                (
                    "[[blocks]]\nname = \"boundary\"\nkind = \"dirichlet\"\nfaces = [\"x_min\", \"x_max\"]\nvalue = \"0\"\npoints = { count = 50, sampler = \"uniform\" }\n",
                    "",
                ),
            ],
        ),
        "wide" => (
            "problems/burgers-soft.toml",
            &[(
                "layers = [2, 20, 20, 20, 20, 1]",
                "layers = [2, 57, 57, 57, 57, 1]",
            )],
        ),
        other => panic!("unknown size {other}"),
    };
    let path = root.join(file);
    let mut text = std::fs::read_to_string(&path).expect("problem file");
    for (from, to) in edits {
        assert!(text.contains(from), "{file} changed: `{from}` not found");
        text = text.replace(from, to);
    }
    let spec = parse_spec(&path, &text).expect("spec");
    build_problem(&path, &text, spec).expect("problem")
}

/// Timed iterations: a few; the large size costs tens of seconds to minutes per step.
fn timed_iterations(size: &str) -> usize {
    match size {
        "large" => 2,
        "wide" => 3,
        _ => 5,
    }
}

fn child(size: &str, method: &str) {
    let problem = burgers(size);
    let estimate = problem.memory_estimate(method);
    if let Some(machine) = MachineMemory::read()
        && let Err(why) = estimate.check(machine.total, &machine.describe())
    {
        eprintln!("refused: {why}");
        std::process::exit(1);
    }
    let mut model = problem.residual_model();
    let theta0 = problem.initial_params();
    let mut config = preset(method).expect("preset");
    config.termination.max_iterations = 1_000_000;
    let mut solver = Solver::init(&mut model, &theta0, &config).expect("valid config");
    let (n, p) = (model.n_residuals(), theta0.len());
    // The large size's first step is timed too: it is the same work as the next ones.
    if size != "large" {
        solver.step(&mut model).expect("warm-up iteration");
    }
    let k = timed_iterations(size);
    let (mut times, mut split, mut accepted) = (Vec::new(), [0.0; 4], 0);
    let cpu0 = common::cpu_seconds();
    for _ in 0..k {
        let start = Instant::now();
        let Some(record) = solver.step(&mut model) else {
            break;
        };
        let total = start.elapsed().as_secs_f64();
        let t = record.time;
        let rest = total - t.residual_jacobian - t.matrix - t.solve;
        for (s, v) in split
            .iter_mut()
            .zip([t.residual_jacobian, t.matrix, t.solve, rest])
        {
            *s += v;
        }
        accepted += usize::from(record.outcome == StepOutcome::Accepted);
        times.push(total);
    }
    let m = times.len() as f64;
    let cpu = (common::cpu_seconds() - cpu0) / m;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "| {size} | {method} | {n} × {p} | {} ({accepted}) | {:.3} | {cpu:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |",
        times.len(),
        sorted[sorted.len() / 2],
        split[0] / m,
        split[1] / m,
        split[2] / m,
        split[3] / m,
        common::peak_rss_bytes().map_or_else(|| "n/a".to_string(), gib),
        gib(estimate.total() as f64),
    );
}

fn gib(bytes: f64) -> String {
    format!("{:.2} GiB", bytes / (1u64 << 30) as f64)
}
