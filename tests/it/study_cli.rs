//! `pinn study` end to end: a tiny sweep of poisson2d, its tables checked against the
//! per-run result files, `study.h5` read back with h5py, a rerun that reuses every
//! completed run (and reruns a damaged or changed one), a run that is bit for bit the
//! `pinn solve` with the same options, and study-file errors located and refused
//! before any run; Ctrl-C stops the study with the summary of the completed runs.

use crate::common::{pinn, python, root, scratch};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn study(spec: &Path) -> Output {
    pinn()
        .args(["study", "--quiet"])
        .arg(spec)
        .output()
        .unwrap()
}

fn write_spec(dir: &Path, body: &str) -> PathBuf {
    let problem = root().join("problems/poisson2d.toml");
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        format!(
            "problem = {:?}\nout = \"out\"\n{body}",
            problem.to_string_lossy()
        ),
    )
    .unwrap();
    spec
}

const TINY: &str = "[sweep]\nwidths = [[8], [16]]\npoint_scale = [0.25]\n\
                    solvers = [\"lm\", \"gn-probe\"]\n[budget]\nmax_iters = 100\n";

/// `study.csv` as one map per row.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let t = std::fs::read_to_string(path).unwrap();
    let mut lines = t.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            head.iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn bits(s: &str) -> u64 {
    s.parse::<f64>()
        .unwrap_or_else(|_| panic!("`{s}` is not a number"))
        .to_bits()
}

#[test]
fn a_tiny_study_runs_tabulates_and_resumes() {
    let dir = scratch!("tiny");
    let spec = write_spec(&dir, TINY);
    let o = study(&spec);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let outdir = dir.join("out");
    let names = [
        "poisson2d-w8-n225_30-s0-lm",
        "poisson2d-w8-n225_30-s0-gn-probe",
        "poisson2d-w16-n225_30-s0-lm",
        "poisson2d-w16-n225_30-s0-gn-probe",
    ];
    let rows = csv_rows(&outdir.join("study.csv"));
    assert_eq!(rows.len(), names.len(), "{rows:?}");
    let md = std::fs::read_to_string(outdir.join("study.md")).unwrap();
    for (row, name) in rows.iter().zip(names) {
        assert_eq!(row["run"], name);
        assert!(md.contains(&format!("| {name} |")), "{md}");
        let r = pinn::output::read(&outdir.join(&row["result_file"])).expect("result file");
        let m = &r.metrics;
        assert_eq!(bits(&row["rel_l2"]), m.rel_l2.unwrap().to_bits(), "{name}");
        assert_eq!(
            bits(&row["max_abs_error"]),
            m.max_abs_error.unwrap().to_bits()
        );
        assert_eq!(bits(&row["final_loss"]), m.final_loss.to_bits());
        assert_eq!(bits(&row["wall_time_s"]), m.wall_time_s.to_bits());
        assert_eq!(row["iterations"], m.iterations.to_string());
        assert!(m.iterations <= 100, "{name}: {}", m.iterations);
        assert_eq!(row["termination"], m.termination);
        assert_eq!(row["n_params"], r.params.len().to_string());
        let n_points: usize = r.collocation.iter().map(|(_, p)| p.nrows()).sum();
        assert_eq!(row["n_points"], n_points.to_string());
        assert_eq!(n_points, 255);
        assert_eq!(row["points_per_block"], "interior=225 boundary=30");
        assert_eq!(row["reused"], "false");
        let hidden = if name.contains("-w8-") { 8 } else { 16 };
        assert_eq!(r.layers, vec![2, hidden, 1]);
        assert_eq!(
            row["solver"],
            if name.ends_with("-lm") {
                "lm"
            } else {
                "gn-probe"
            }
        );
        // The stored problem text is the problem file with the swept values written in.
        assert!(
            r.config_problem
                .contains(&format!("layers = [2, {hidden}, 1]"))
        );
        assert!(r.config_problem.contains("count = 225, sampler"));
        assert!(
            r.config_problem
                .contains("description = \"Poisson equation")
        );
        let v = pinn()
            .arg("validate")
            .arg(outdir.join(&row["result_file"]))
            .output()
            .unwrap();
        assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    }
    for png in ["params", "points", "time"] {
        let p = outdir.join(format!("study_error_vs_{png}.png"));
        assert!(
            std::fs::read(&p).unwrap().starts_with(b"\x89PNG"),
            "{}",
            p.display()
        );
    }
    // study.h5 through the reference HDF5 library.
    let check = format!(
        "import h5py, sys\n\
         f = h5py.File(sys.argv[1], 'r')\n\
         assert f.attrs['format'] == 'pinn-study', f.attrs['format']\n\
         assert list(f.attrs['runs']) == {names:?}, list(f.attrs['runs'])\n\
         for n in f.attrs['runs']:\n\
         \x20   g = f['runs'][n]\n\
         \x20   r = h5py.File(sys.argv[2] + '/' + g.attrs['result_file'], 'r')\n\
         \x20   assert g.attrs['rel_l2'] == r['metrics'].attrs['rel_l2']\n\
         \x20   assert g.attrs['final_loss'] == r['metrics'].attrs['final_loss']\n\
         \x20   assert g.attrs['iterations'] == r['metrics'].attrs['iterations']\n\
         \x20   assert g.attrs['n_params'] == r['model/params'].shape[0]\n\
         \x20   assert (g['history/loss'][:] == r['history/loss'][:]).all()\n\
         \x20   assert g['provenance'].attrs['run_id'] == r['provenance'].attrs['run_id']\n\
         print('ok')\n"
    );
    let py = Command::new(python::python())
        .args(["-c", &check])
        .arg(outdir.join("study.h5"))
        .arg(&outdir)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}{}",
        text(&py.stdout),
        text(&py.stderr)
    );

    // A rerun reuses every run and leaves the result files alone.
    let stamp = |n: &str| {
        std::fs::metadata(outdir.join(format!("{n}.h5")))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before: Vec<_> = names.iter().map(|n| stamp(n)).collect();
    let o = study(&spec);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert_eq!(out.matches("reused:").count(), 4, "{out}");
    assert_eq!(before, names.iter().map(|n| stamp(n)).collect::<Vec<_>>());
    assert!(
        csv_rows(&outdir.join("study.csv"))
            .iter()
            .all(|r| r["reused"] == "true")
    );

    // A damaged result file is run again, the others are still reused.
    std::fs::write(outdir.join(format!("{}.h5", names[1])), b"truncated").unwrap();
    let o = study(&spec);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert_eq!(out.matches("reused:").count(), 3, "{out}");
    assert!(out.contains("cannot be read"), "{out}");
    assert!(pinn::output::read(&outdir.join(format!("{}.h5", names[1]))).is_ok());

    // Another budget is another setting: nothing is reused.
    let spec = write_spec(&dir, &TINY.replace("max_iters = 100", "max_iters = 3"));
    let o = study(&spec);
    let out = text(&o.stdout);
    assert_eq!(out.matches("reused:").count(), 0, "{out}");
    assert_eq!(
        out.matches("holds other solver settings").count(),
        4,
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_study_run_is_the_solve_with_the_same_options() {
    let dir = scratch!("same");
    let spec = write_spec(
        &dir,
        "[sweep]\nseeds = [3]\nsolvers = [\"lm\"]\n[budget]\nmax_iters = 3\n",
    );
    let o = study(&spec);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let solo = dir.join("solo.h5");
    let s = pinn()
        .arg("solve")
        .arg(root().join("problems/poisson2d.toml"))
        .args([
            "--solver",
            "lm",
            "--seed",
            "3",
            "--max-iters",
            "3",
            "--no-plots",
        ])
        .args(["--checkpoint-seconds", "0", "--quiet", "--out"])
        .arg(&solo)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), s.status.code(), "{}", text(&s.stderr));
    let a = pinn::output::read(&dir.join("out/poisson2d-w64-n900_120-s3-lm.h5")).unwrap();
    let b = pinn::output::read(&solo).unwrap();
    assert_eq!(a.config_problem, b.config_problem);
    assert_eq!(a.config_solver, b.config_solver);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.params), bits(&b.params));
    assert_eq!(a.metrics.iterations, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn study_file_errors_are_located_and_refused_before_any_run() {
    let dir = scratch!("errors");
    let cases = [
        (
            TINY.replace("max_iters = 100", "max_iters = 100\nmax_iter = 2"),
            9,
            1,
            "unknown field `max_iter`",
        ),
        (
            TINY.replace("\"gn-probe\"", "\"gn-probes\""),
            6,
            18,
            "unknown solver preset `gn-probes`",
        ),
        (
            TINY.replace("[[8], [16]]", "[[8], [16, -2]]"),
            4,
            21,
            "at least 1",
        ),
        (
            TINY.replace("max_iters = 100", ""),
            7,
            1,
            "needs `max_iters`",
        ),
    ];
    for (body, line, column, expect) in &cases {
        let spec = write_spec(&dir, body);
        let o = study(&spec);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let at = format!("spec.toml:{line}:{column}: error: ");
        assert!(err.contains(&at), "want `{at}`: {err}");
        assert!(err.contains(expect), "want `{expect}`: {err}");
        assert!(!dir.join("out").exists(), "a run started: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_stops_the_study_and_keeps_the_summary_of_completed_runs() {
    let dir = scratch!("interrupt");
    // The LM run stops by itself within a second; the Adam run would take its 60 s.
    let spec = write_spec(
        &dir,
        "[sweep]\nwidths = [[8]]\npoint_scale = [0.25]\nsolvers = [\"lm\", \"adam\"]\n\
         [budget]\nmax_iters = 1000000\ntime_limit = 60\n",
    );
    let mut child = pinn()
        .args(["study", "--quiet"])
        .arg(&spec)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let csv = dir.join("out/study.csv");
    let t0 = std::time::Instant::now();
    while !(csv.exists() && csv_rows(&csv).len() == 1) {
        assert!(t0.elapsed().as_secs() < 120, "the first run did not finish");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(130), "the study ended before the signal");
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["run"], "poisson2d-w8-n225_30-s0-lm");
    // The interrupted run wrote its result but is not complete: a rerun solves it again.
    let adam = dir.join("out/poisson2d-w8-n225_30-s0-adam.h5");
    assert_eq!(
        pinn::output::read(&adam).unwrap().metrics.termination,
        "UserStop"
    );
    let o = pinn()
        .args(["study", "--dry-run"])
        .arg(&spec)
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(
        out.contains("[1/2] poisson2d-w8-n225_30-s0-lm (complete)"),
        "{out}"
    );
    assert!(
        out.contains("[2/2] poisson2d-w8-n225_30-s0-adam\n"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
