//! The loader's memory estimate against the memory a real solve takes: for `lm`,
//! `gn-probe`, `gn-probe-sketch` and `ssbroyden`, a child process (this test binary
//! again, one preset each, so that every peak is its own) builds a Burgers problem,
//! runs two solver iterations and reports its resident memory at start (`VmRSS`) and
//! its peak (`VmHWM`, /proc/self/status). The estimate must lie within a factor
//! [`FACTOR`] of what the solve added (peak − start): an estimate that forgets a
//! buffer of the size of the Jacobian, or counts one twice, fails. Measured when
//! written: lm 0.89, gn-probe 1.04, gn-probe-sketch 1.00, ssbroyden 0.97.
//!
//! Sizes: Burgers (2 → 20 × 4 → 1 with the periodic embedding, P = 1 361) on 6 050
//! rows for the Gauss–Newton presets (J is 66 MB, the QR runs in two row blocks), and
//! 2 → 40 × 4 → 1 (P = 5 121, a 210 MB inverse Hessian) on 1 050 rows for
//! `ssbroyden`.

use std::path::Path;
use std::process::Command;

use crate::common::test_name;

use pinn::presets::preset;
use pinn::problem::{Problem, build_problem, parse_spec};
use pinn_solvers::{LeastSquares, Solver};

/// The child's environment variable: the preset it runs.
const CHILD: &str = "PINN_MEMORY_ESTIMATE_PRESET";
/// Estimate and measured memory agree within this factor either way.
const FACTOR: f64 = 1.25;

/// A field of /proc/self/status in bytes.
fn status_bytes(field: &str) -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// `problems/burgers.toml` with `residual_points` interior points and layers of
/// `width`.
fn burgers(residual_points: usize, width: usize) -> Problem {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/burgers.toml");
    let mut text = std::fs::read_to_string(&path).expect("problems/burgers.toml");
    for (from, to) in [
        (
            "points = { count = 10000, sampler = \"lhs\" }".to_string(),
            format!("points = {{ count = {residual_points}, sampler = \"lhs\" }}"),
        ),
        (
            "layers = [2, 20, 20, 20, 20, 1]".to_string(),
            format!("layers = [2, {width}, {width}, {width}, {width}, 1]"),
        ),
    ] {
        assert!(text.contains(&from), "burgers.toml changed: `{from}`");
        text = text.replace(&from, &to);
    }
    let spec = parse_spec(&path, &text).expect("spec");
    build_problem(&path, &text, spec).expect("problem")
}

/// In the child: builds the problem, runs two iterations of `method` and prints
/// `estimate start peak` in bytes.
fn child(method: &str) {
    let start = status_bytes("VmRSS:").expect("/proc/self/status");
    let problem = if method == "ssbroyden" {
        burgers(1_000, 40)
    } else {
        burgers(6_000, 20)
    };
    let estimate = problem.memory_estimate(method).total() as f64;
    let mut model = problem.residual_model();
    let theta0 = problem.initial_params();
    let mut config = preset(method).expect("preset");
    config.termination.max_iterations = 1_000;
    let mut solver = Solver::init(&mut model, &theta0, &config).expect("config");
    assert!(model.n_residuals() > 0);
    for _ in 0..2 {
        solver.step(&mut model).expect("an iteration");
    }
    let peak = status_bytes("VmHWM:").expect("/proc/self/status");
    println!("\nMEMORY {estimate} {start} {peak}");
}

#[test]
fn estimates_hold_against_the_peak_memory_of_a_solve() {
    if let Ok(method) = std::env::var(CHILD) {
        child(&method);
        return;
    }
    if status_bytes("VmHWM:").is_none() {
        eprintln!("no /proc/self/status: nothing to measure on this system");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    // This test alone: the child's peak is its own, not that of tests running beside it.
    let this_test = test_name(
        module_path!(),
        "estimates_hold_against_the_peak_memory_of_a_solve",
    );
    let mut report = Vec::new();
    for method in ["lm", "gn-probe", "gn-probe-sketch", "ssbroyden"] {
        let out = Command::new(&exe)
            .args(["--exact", &this_test, "--nocapture", "--test-threads=1"])
            .env(CHILD, method)
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{method}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("MEMORY ").map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("{method}: no report in {stdout}"));
        let v: Vec<f64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        let (estimate, used) = (v[0], v[2] - v[1]);
        let ratio = estimate / used;
        report.push(format!(
            "{method}: estimate {:.1} MiB, solve {:.1} MiB (peak {:.1} MiB), ratio {ratio:.2}",
            estimate / 1048576.0,
            used / 1048576.0,
            v[2] / 1048576.0
        ));
        eprintln!("{}", report.last().unwrap());
    }
    for line in &report {
        let ratio: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(
            (1.0 / FACTOR..=FACTOR).contains(&ratio),
            "not within a factor {FACTOR}:\n{}",
            report.join("\n")
        );
    }
}
