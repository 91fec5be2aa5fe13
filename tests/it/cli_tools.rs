//! The tools around a solve, end to end through the `pinn` program: `pinn presets`,
//! `pinn solve --print-config`, `pinn eval`, `pinn export` (CSV, VTK XML and legacy,
//! parsed back) and `pinn plot` (with slices).

use crate::common::{pinn, python, root, scratch};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pinn_solvers::config::CgPreconditioner;
use pinn_solvers::{Method, SolverConfig};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

/// A one-iteration Adam solve of `problems/<name>.toml` into `dir/<name>.h5`. The
/// network is barely trained, so the verdict may fail (exit 1); the file is written.
fn quick_result(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.h5"));
    let o = run(pinn()
        .args([
            "solve",
            "--quiet",
            "--no-plots",
            "--solver",
            "adam",
            "--max-iters",
            "1",
        ])
        .args(["--checkpoint-seconds", "0", "--out"])
        .arg(&out)
        .arg(root().join(format!("problems/{name}.toml"))));
    assert!(
        matches!(o.status.code(), Some(0 | 1)) && out.exists(),
        "{name}: {}",
        text(&o.stderr)
    );
    out
}

/// A CSV written by pinn: the header and the rows as numbers.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let t = std::fs::read_to_string(path).unwrap();
    let mut lines = t.lines();
    let names = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    (names, rows)
}

#[test]
fn presets_list_every_preset_and_every_option() {
    let o = run(pinn().arg("presets"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let all = text(&o.stdout);
    for (name, _) in pinn::presets::PRESETS {
        assert!(all.contains(&format!("# preset = \"{name}\"")), "{name}");
        let o = run(pinn().args(["presets", name]));
        assert_eq!(o.status.code(), Some(0));
        let one: SolverConfig = toml::from_str(&text(&o.stdout)).unwrap();
        assert_eq!(one, pinn::presets::preset(name).unwrap(), "{name}");
    }
    let o = run(pinn().args(["presets", "newton"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown solver preset `newton`"));
}

#[test]
fn print_config_shows_preset_file_overrides_and_command_line_without_solving() {
    let dir = scratch!("print-config");
    let file = dir.join("p.toml");
    let base = std::fs::read_to_string(root().join("problems/heat1d.toml"))
        .unwrap()
        // Copies are named after their files.
        .replace("name = \"heat1d\"\n", "");
    let solver_at = base.find("[solver]").expect("heat1d has a [solver] table");
    let mine = format!(
        "{}[solver]\npreset = \"gncg\"\nmax_iters = 77\n[solver.gncg]\nmax_cg_iterations = 9\npreconditioner = \"nystrom\"\nrank = 12\nrefresh_every = 5\n",
        &base[..solver_at]
    );
    std::fs::write(&file, mine).unwrap();
    let out = dir.join("never.h5");
    let o = run(pinn()
        .args(["solve", "--print-config", "--time-limit", "4.5", "--out"])
        .arg(&out)
        .arg(&file));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let c: SolverConfig = toml::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(c.method, Method::GnCg);
    assert_eq!(c.termination.max_iterations, 77);
    assert_eq!(c.gncg.max_cg_iterations, 9);
    assert_eq!(
        (c.gncg.preconditioner, c.gncg.rank, c.gncg.refresh_every),
        (CgPreconditioner::Nystrom, 12, 5)
    );
    assert_eq!(c.termination.time_limit_seconds, Some(4.5));
    assert!(!out.exists(), "--print-config must not solve");
    // --solver replaces the file's preset; the file's overrides still apply.
    let o = run(pinn()
        .args(["solve", "--print-config", "--solver", "lbfgs"])
        .arg(&file));
    let c: SolverConfig = toml::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(
        (c.method, c.termination.max_iterations),
        (Method::Lbfgs, 77)
    );
}

#[test]
fn eval_at_the_exported_points_reproduces_every_shipped_problems_solution() {
    let dir = scratch!("every");
    let mut names: Vec<String> = std::fs::read_dir(root().join("problems"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 14);
    for name in &names {
        let result = quick_result(&dir, name);
        let exported = dir.join(format!("{name}.csv"));
        let o = run(pinn()
            .arg("export")
            .arg(&result)
            .arg("--csv")
            .arg(&exported));
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        let stored = pinn::output::read(&result).unwrap();
        let ev = &stored.evaluation;
        let (d, m) = (ev.variables.len(), ev.outputs.len());
        let (cols, rows) = read_csv(&exported);
        assert_eq!(&cols[..d], ev.variables.as_slice(), "{name}");
        assert_eq!(rows.len(), ev.points.nrows(), "{name}");
        // The variables, space-separated with a header, are eval's input.
        let points = dir.join(format!("{name}.txt"));
        let mut t = ev.variables.join(" ") + "\n";
        for r in &rows {
            let f: Vec<String> = r[..d].iter().map(|v| format!("{v:?}")).collect();
            t += &(f.join(" ") + "\n");
        }
        std::fs::write(&points, t).unwrap();
        let evaluated = dir.join(format!("{name}-eval.csv"));
        let o = run(pinn()
            .arg("eval")
            .arg(&result)
            .arg("--points")
            .arg(&points)
            .arg("--out")
            .arg(&evaluated));
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        let (ecols, erows) = read_csv(&evaluated);
        assert_eq!(ecols.len(), d + m, "{name}");
        assert_eq!(&ecols[d..], ev.outputs.as_slice(), "{name}");
        for (i, r) in erows.iter().enumerate() {
            for k in 0..m {
                // Bit for bit: the same code path as the solve's evaluation.
                assert_eq!(r[d + k], ev.u[(i, k)], "{name}: point {i}, output {k}");
            }
        }
    }
}

#[test]
fn eval_refuses_bad_points_files_with_the_line() {
    let dir = scratch!("eval-bad");
    let result = quick_result(&dir, "heat1d");
    let cases = [
        (
            "short.csv",
            "x,t\n0.1,0.2\n0.3\n",
            "line 3: expected 2 numbers (t, x), found 1 field",
        ),
        (
            "word.csv",
            "0.1 0.2\n0.3 zero\n",
            "line 2: `zero` is not a number",
        ),
        (
            "head.csv",
            "x,y\n0.1,0.2\n",
            "line 1: `y` in the header is not a variable",
        ),
        ("empty.csv", "# nothing\n", "no points"),
    ];
    for (file, content, message) in cases {
        let p = dir.join(file);
        std::fs::write(&p, content).unwrap();
        let o = run(pinn().arg("eval").arg(&result).arg("--points").arg(&p));
        assert_eq!(o.status.code(), Some(2), "{file}");
        let err = text(&o.stderr);
        assert!(err.contains(message) && err.contains(file), "{file}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // To standard output without --out; a point set of the user's choosing.
    let p = dir.join("ok.csv");
    std::fs::write(&p, "x t\n0.25 0.5\n").unwrap();
    let o = run(pinn().arg("eval").arg(&result).arg("--points").arg(&p));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("t,x,u"));
    let row: Vec<f64> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!((row[0], row[1]), (0.5, 0.25));
    assert!(row[2].is_finite());
    let o = run(pinn()
        .arg("eval")
        .arg(dir.join("missing.h5"))
        .arg("--points")
        .arg(&p));
    assert_eq!(o.status.code(), Some(2));
}

fn python_checks(vtk: &Path, csv: &Path, d: usize) {
    let o = Command::new(python::python())
        .arg(root().join("tests/py/check_vtk.py"))
        .arg(vtk)
        .arg(csv)
        .arg(d.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success() && text(&o.stdout).contains("OK"),
        "{}: {}{}",
        vtk.display(),
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn export_writes_csv_and_vtk_files_that_read_back_bitwise() {
    let dir = scratch!("export");
    // kovasznay: three outputs with an exact solution; poisson5d: five variables.
    for (name, d) in [("kovasznay", 2), ("poisson5d", 5), ("heat1d", 2)] {
        let result = quick_result(&dir, name);
        let (csv, vtu, vtk) = (
            dir.join(format!("{name}.csv")),
            dir.join(format!("{name}.vtu")),
            dir.join(format!("{name}.vtk")),
        );
        let o = run(pinn()
            .arg("export")
            .arg(&result)
            .arg("--csv")
            .arg(&csv)
            .arg("--vtk")
            .arg(&vtu));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let o = run(pinn().arg("export").arg(&result).arg("--vtk").arg(&vtk));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let stored = pinn::output::read(&result).unwrap();
        let ev = &stored.evaluation;
        let (cols, rows) = read_csv(&csv);
        let err = ev.error().unwrap();
        for (k, out) in ev.outputs.iter().enumerate() {
            let j = cols
                .iter()
                .position(|c| *c == format!("error_{out}"))
                .unwrap();
            assert!((0..rows.len()).all(|i| rows[i][j] == err[(i, k)]), "{name}");
        }
        python_checks(&vtu, &csv, d);
        python_checks(&vtk, &csv, d);
    }
    let result = dir.join("heat1d.h5");
    let o = run(pinn().arg("export").arg(&result));
    assert_eq!(o.status.code(), Some(2), "a format is required");
    let o = run(pinn()
        .arg("export")
        .arg(&result)
        .arg("--vtk")
        .arg(dir.join("x.vtp")));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains(".vtu (XML) or .vtk (legacy)"));
}

#[test]
fn plot_redraws_a_result_and_its_slices() {
    let dir = scratch!("plot");
    let result = quick_result(&dir, "heat1d");
    let pngs = dir.join("pngs");
    let o = run(pinn().arg("plot").arg(&result).arg("--out").arg(&pngs));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in [
        "heat1d_u_solution",
        "heat1d_u_exact",
        "heat1d_u_error",
        "heat1d_history",
    ] {
        assert!(pngs.join(format!("{f}.png")).exists(), "{f}");
    }
    let o = run(pinn().arg("plot").arg(&result).args(["--slice", "t=0.5"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in [
        "heat1d_u_t=0.5_solution",
        "heat1d_u_t=0.5_exact",
        "heat1d_u_t=0.5_error",
    ] {
        assert!(dir.join(format!("{f}.png")).exists(), "{f}");
    }
    let five = quick_result(&dir, "poisson5d");
    let o = run(pinn().arg("plot").arg(&five).args(["--slice", "x=0.25"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let listed = text(&o.stdout);
    assert!(listed.contains("poisson5d_u_x=0.25_error.png"), "{listed}");
    for (slice, message) in [
        ("q=1", "`q` is not a variable"),
        ("t=7", "outside the domain"),
        ("t", "VAR=VALUE"),
    ] {
        let o = run(pinn().arg("plot").arg(&result).args(["--slice", slice]));
        assert_eq!(o.status.code(), Some(2), "{slice}");
        assert!(
            text(&o.stderr).contains(message),
            "{slice}: {}",
            text(&o.stderr)
        );
    }
}

/// A reader that goes away (`pinn solve … | head -2`) does not abort the solve: the
/// lines after it are dropped, the result is still written, and the exit code is the
/// solve's. `presets` piped into a closed reader exits 0 without a panic message too.
#[test]
fn a_closed_stdout_neither_panics_nor_stops_the_solve() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = scratch!("pipe");
    let out = dir.join("r.h5");
    let mut child = pinn()
        .args([
            "solve",
            "--no-plots",
            "--log-every",
            "1",
            "--max-iters",
            "60",
        ])
        .arg("--out")
        .arg(&out)
        .arg(root().join("problems/heat1d.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("iter 0"), "{first}");
    // The reader is dropped here: every later write of the solve meets a closed pipe.
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(pinn::output::read(&out).unwrap().metrics.iterations == 60);

    let mut child = pinn()
        .arg("presets")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("panicked"));
    let _ = std::fs::remove_dir_all(dir);
}
