//! What the end-to-end tests share: the built `pinn` program, the repository root, a
//! fresh scratch directory per test, problems given as text, and the Python interpreter
//! the result files are read back with ([`python`]).
//!
//! It is compiled once, as `crate::common` of the single test program `it`
//! (`tests/it/main.rs`), where every former test file is a module whose tests run in
//! parallel threads of one process: hence [`scratch!`] names its directories after the
//! calling module, and [`test_name`] gives a test's full name for re-running it alone.

pub mod python;

use std::path::{Path, PathBuf};
use std::process::Command;

use pinn::problem::{Problem, build_problem, parse_spec};

/// The `pinn` program cargo built for these tests.
pub fn pinn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pinn"))
}

/// The repository root (where `problems/`, `docs/` and `validation/` are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An empty directory for one test: `scratch!("name")` is
/// [`scratch_dir`]`(module_path!(), "name")`, so that the calling module (the former
/// test file) is part of the directory's name.
macro_rules! scratch {
    ($name:expr) => {
        $crate::common::scratch_dir(module_path!(), $name)
    };
}
pub(crate) use scratch;

/// An empty directory for one test: `pinn-<module>-<name>-<process id>` in the system's
/// temporary directory (`<module>` is `module`, the caller's `module_path!()`, with `.`
/// for `::`, e.g. `it.kill_run`), emptied first if an earlier run left it. All tests of
/// the test program run in parallel threads of one process: the module keeps the
/// modules' tests apart, the process id concurrent test programs; `name` must differ
/// between the tests of one module. Call it through [`scratch!`].
pub fn scratch_dir(module: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "pinn-{}-{name}-{}",
        module.replace("::", "."),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The full name of the test function `test` of the module `module` (the caller's
/// `module_path!()`) in this test program, e.g. `memory_estimate::estimates_hold…`: what
/// `--exact` needs to run that one test alone in a child process.
pub fn test_name(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{test}"),
        None => test.to_string(),
    }
}

/// The problem of the problem-file text `text`, as if read from `<name>.toml` (so a
/// `name` key in the text must be `name`). Panics with the located error.
pub fn problem_from_text(name: &str, text: &str) -> Problem {
    let path = PathBuf::from(format!("{name}.toml"));
    let spec = parse_spec(&path, text).unwrap_or_else(|e| panic!("{e}"));
    build_problem(&path, text, spec).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts that the problem-file text `text`, written to `<dir>/<name>.toml`, is refused
/// before any work with an error that says `want` and points at column `col` of the first
/// line that starts with `line_start` (`<name>.toml:<line>:<col>`).
pub fn assert_refused_at(
    dir: &Path,
    name: &str,
    text: &str,
    want: &str,
    line_start: &str,
    col: usize,
) {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    let err = match pinn::problem::load_problem(&file) {
        Ok(_) => panic!("{name}: accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(want), "{name}: {err}");
    let line = text
        .lines()
        .position(|l| l.starts_with(line_start))
        .unwrap_or_else(|| panic!("{name}: no line starts with {line_start:?}"))
        + 1;
    assert!(
        err.contains(&format!("{name}.toml:{line}:{col}")),
        "{name}: {err}"
    );
}

/// The heat equation `u_t = u_xx / 4` on `(t, x) ∈ [0, 1]²` with `u(0, x) = sin(πx)` and
/// `u = 0` at `x = 0, 1` (solution `exp(−π²t/4) sin(πx)`), as problem-file text without
/// a `name`: `interior` PDE points (Latin hypercube) with the extra keys `interior_keys`
/// (e.g. `adaptive = …` or `weights = …`), `edge` initial and as many boundary points,
/// then `rest` (the `[exact]`, `[model]` and `[collocation]` sections).
pub fn heat_problem(interior: usize, interior_keys: &str, edge: usize, rest: &str) -> String {
    format!(
        r#"[domain]
variables = ["t", "x"]
bounds = [[0.0, 1.0], [0.0, 1.0]]
time = "t"
[[blocks]]
name = "interior"
kind = "pde"
equation = "u_t - 0.25*u_xx"
points = {{ count = {interior}, sampler = "lhs" }}
{interior_keys}
[[blocks]]
name = "initial"
kind = "initial"
value = "sin(pi*x)"
points = {{ count = {edge} }}
[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = {{ count = {edge} }}
{rest}"#
    )
}

/// Heat equation `u_t = ν u_xx` on `[0, 1] × [−1, 1]`, solution `exp(−νπ²t) sin(πx)`
/// (2-periodic in x), with `extra` blocks and `embedding` under `[model.embedding]`.
pub fn embedded_heat_problem(dir: &Path, name: &str, extra: &str, embedding: &str) -> PathBuf {
    let text = format!(
        r#"name = "{name}"
source = "test"

[constants]
nu = 0.1

[domain]
variables = ["t", "x"]
bounds = [[0.0, 1.0], [-1.0, 1.0]]
time = "t"

[[blocks]]
name = "interior"
kind = "pde"
equation = "u_t - nu*u_xx"
points = {{ count = 60, sampler = "lhs" }}

[[blocks]]
name = "initial"
kind = "initial"
value = "sin(pi*x)"
points = {{ count = 20, sampler = "uniform" }}
{extra}
[exact]
u = "exp(-nu*pi^2*t)*sin(pi*x)"

[evaluation]
count = 50

[model]
layers = [2, 8, 8, 1]

[model.embedding]
{embedding}
"#
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// `pinn validate` and `validation/check_result.py` (h5py and numpy) both accept the
/// result file `out`: every stored quantity reproduced, every number agrees.
pub fn assert_validate_and_numpy_agree(out: &Path) {
    let v = pinn().arg("validate").arg(out).output().unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{text}");
    assert!(text.contains("every stored quantity reproduced"), "{text}");
    let py = Command::new(python::python())
        .arg(root().join("validation/check_result.py"))
        .arg(out)
        .output()
        .expect("python3 with h5py and numpy (python3 -m pip install h5py numpy)");
    let text = String::from_utf8_lossy(&py.stdout);
    assert_eq!(
        py.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert!(text.contains("agree"), "{text}");
}

/// Both refuse `bad`, a result whose stored embedding is not the problem's: `pinn
/// validate` names the embedding as differing, numpy's network no longer gives the
/// stored u.
pub fn assert_validate_and_numpy_refuse_embedding(bad: &Path) {
    let v = pinn().arg("validate").arg(bad).output().unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(1), "{text}");
    assert!(
        text.contains("embedding") && text.contains("DIFFERS"),
        "{text}"
    );
    let py = Command::new(python::python())
        .arg(root().join("validation/check_result.py"))
        .arg(bad)
        .output()
        .unwrap();
    assert_eq!(
        py.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&py.stdout)
    );
}

/// `iterations` of the problem's own preset from its seeded start.
pub fn solve(problem: &Problem, iterations: usize) -> pinn::run::RunOutcome {
    let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
    config.termination.max_iterations = iterations;
    pinn::run::run(
        problem,
        &config,
        &problem.initial_params(),
        None,
        |_, _, _| std::ops::ControlFlow::Continue(()),
    )
    .unwrap()
}

/// `pinn solve --no-plots ARGS --out OUT PROBLEM`, which must succeed; its standard output.
pub fn solve_with(problem: &Path, out: &Path, args: &[&str]) -> String {
    let o = pinn()
        .args(["solve", "--no-plots"])
        .args(args)
        .arg("--out")
        .arg(out)
        .arg(problem)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}
