//! `pinn solve --resume` end to end: `2n` iterations straight and `n` then `--resume`
//! `--max-iters n` give the same θ, history (wall times and the time-sampled rel L2
//! excepted), points, loss and stop reason, bit for bit, for LM, ENGD, L-BFGS and a
//! problem whose points are drawn again (uniformly and by RAD) during the solve, and one
//! with residual-based attention (RBA) point weights (stored and restored); a
//! mid-run checkpoint resumes the same way; and every refusal exits 2 naming the file.
//!
//! `--threads 1` throughout: the Jacobian-transpose reduction is thread-order dependent.

use crate::common::{heat_problem, pinn, python, root, scratch};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pinn::output::{RunResult, read, write_atomic};

/// A small Poisson problem (a 2-12-1 network, 240 points) with `layers` and `interior`
/// points as given, so that a mismatch can be built from it.
fn poisson(layers: &str, interior: usize, extra: &str) -> String {
    format!(
        r#"outputs = ["u"]
[domain]
variables = ["x", "y"]
bounds = [[0.0, 1.0], [0.0, 1.0]]
[[blocks]]
name = "interior"
kind = "pde"
equation = "-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)"
points = {{ count = {interior}, sampler = "uniform" }}
[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = {{ count = 40, sampler = "uniform" }}
[exact]
u = "sin(pi*x)*sin(pi*y)"
[model]
layers = {layers}
seed = 3
[collocation]
seed = 1
[evaluation]
count = 300
sampler = "uniform"
seed = 2
{extra}"#
    )
}

/// Heat with an adaptively drawn interior (RAD from a pool) and uniformly re-drawn
/// initial and boundary points, every 3 iterations.
fn heat_redrawn() -> String {
    heat_problem(
        60,
        r#"adaptive = { method = "rad", pool = 400, k = 2, c = 0.5 }"#,
        20,
        r#"[exact]
u = "exp(-0.25*pi^2*t)*sin(pi*x)"
[model]
layers = [2, 8, 1]
[collocation]
seed = 5
resample_every = 3
"#,
    )
}

/// [`heat_redrawn`] with RBA weights on the interior (updated every 2 iterations, restarted
/// from 0 when its points are re-drawn) and the initial points (every iteration).
fn heat_weighted() -> String {
    heat_redrawn()
        .replace(
            "adaptive = { method = \"rad\", pool = 400, k = 2, c = 0.5 }",
            "adaptive = { method = \"rad\", pool = 400, k = 2, c = 0.5 }\nweights = { method = \"rba\", gamma = 0.9, eta = 0.5, every = 2 }",
        )
        .replace(
            "value = \"sin(pi*x)\"",
            "value = \"sin(pi*x)\"\nweights = { method = \"rba\" }",
        )
}

/// The Poisson problem with RBA weights on the interior, updated every iteration, and on
/// the boundary every 3: no points are re-drawn, so the weights at a split are whatever
/// the updates made of them and must be restored.
fn poisson_weighted() -> String {
    poisson("[2, 12, 1]", 200, "")
        .replace(
            "points = { count = 200, sampler = \"uniform\" }",
            "points = { count = 200, sampler = \"uniform\" }\nweights = { method = \"rba\", gamma = 0.9, eta = 0.5 }",
        )
        .replace(
            "value = \"0\"",
            "value = \"0\"\nweights = { method = \"rba\", gamma = 0.8, eta = 1.0, every = 3 }",
        )
}

fn write_problem(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `pinn solve PROBLEM --threads 1 --no-plots --quiet --out OUT ARGS…`.
fn solve(problem: &Path, out: &Path, args: &[&str]) -> Output {
    pinn()
        .args(["solve", "--threads", "1", "--no-plots", "--quiet", "--out"])
        .arg(out)
        .arg(problem)
        .args(args)
        .output()
        .unwrap()
}

/// Solves and reads the result; a run may end in a failed verdict (exit 1, a few
/// iterations from random parameters), but must write its result.
fn solved(problem: &Path, out: &Path, args: &[&str]) -> RunResult {
    let o = solve(problem, out, args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    read(out).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// θ, points, loss, iterations, stop reason and every history column agree bitwise;
/// wall times may differ, and rel L2 (measured on a wall-clock schedule) where both
/// runs measured it.
fn assert_same_run(what: &str, straight: &RunResult, resumed: &RunResult) {
    assert_eq!(bits(&straight.params), bits(&resumed.params), "{what}: θ");
    assert_eq!(
        straight.metrics.final_loss.to_bits(),
        resumed.metrics.final_loss.to_bits(),
        "{what}: final loss"
    );
    assert_eq!(
        straight.metrics.iterations, resumed.metrics.iterations,
        "{what}"
    );
    assert_eq!(
        straight.metrics.termination, resumed.metrics.termination,
        "{what}"
    );
    assert_eq!(straight.collocation.len(), resumed.collocation.len());
    for ((n, a), (_, b)) in straight.collocation.iter().zip(&resumed.collocation) {
        let flat = |m: &faer::Mat<f64>| {
            (0..m.nrows())
                .flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)].to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(flat(a), flat(b), "{what}: points of block {n}");
    }
    let weights = |r: &RunResult| {
        r.collocation_weights
            .iter()
            .map(|(n, w)| (n.clone(), bits(w)))
            .collect::<Vec<_>>()
    };
    assert_eq!(weights(straight), weights(resumed), "{what}: point weights");
    let names: Vec<&str> = straight.history.columns().map(|(n, _)| n).collect();
    let resumed_names: Vec<&str> = resumed.history.columns().map(|(n, _)| n).collect();
    assert_eq!(names, resumed_names, "{what}: history columns");
    for (name, col) in straight.history.columns() {
        let other = resumed.history.column(name).unwrap();
        assert_eq!(col.len(), other.len(), "{what}: history length");
        match name {
            "wall_time_s" => {}
            "rel_l2" => {
                for (k, (a, b)) in col.iter().zip(other).enumerate() {
                    assert!(
                        a.is_nan() || b.is_nan() || a.to_bits() == b.to_bits(),
                        "{what}: rel_l2 at {k}: {a} vs {b}"
                    );
                }
            }
            _ => assert_eq!(bits(col), bits(other), "{what}: history column {name}"),
        }
    }
}

/// `2n` straight vs `n` + resume `n`, through the CLI.
fn straight_vs_split(dir: &Path, problem: &Path, tag: &str, solver: &[&str], n: usize) {
    let (a, b, c) = (
        dir.join(format!("{tag}-straight.h5")),
        dir.join(format!("{tag}-first.h5")),
        dir.join(format!("{tag}-resumed.h5")),
    );
    let (n_s, twice) = (n.to_string(), (2 * n).to_string());
    let straight = solved(problem, &a, &[solver, &["--max-iters", &twice]].concat());
    let first = solved(problem, &b, &[solver, &["--max-iters", &n_s]].concat());
    assert_eq!(first.metrics.iterations, n as u64, "{tag}: first half");
    let resume = ["--resume", b.to_str().unwrap(), "--max-iters", &n_s];
    let resumed = solved(problem, &c, &[solver, &resume].concat());
    assert_eq!(resumed.metrics.iterations, 2 * n as u64, "{tag}");
    assert_same_run(tag, &straight, &resumed);
    // The stored history is the first half's, continued.
    let loss = |r: &RunResult| bits(&r.history.column("loss").unwrap()[..n]);
    assert_eq!(loss(&first), loss(&resumed), "{tag}: history prefix");
    let p = resumed.provenance.as_ref().expect("provenance");
    assert_eq!(p.started_from, "resume");
    assert_eq!(p.first_iteration, n as i64);
    assert_eq!(p.threads, 1);
    assert_eq!(p.source_created.as_deref(), Some(first.created.as_str()));
    let first_id = &first.provenance.as_ref().expect("provenance").run_id;
    assert_eq!(p.parent_run.as_ref(), Some(first_id), "{tag}: parent run");
    assert_ne!(&p.run_id, first_id);
    assert!(
        p.command_line.iter().any(|a| a == "--resume"),
        "{:?}",
        p.command_line
    );
    let v = pinn().arg("validate").arg(&c).output().unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains("solver state"), "{tag}: {text}");
    assert!(!text.contains("DIFFERS"), "{tag}: {text}");
}

#[test]
fn resumed_runs_are_bitwise_straight_ones() {
    let dir = scratch!("split");
    let poisson = write_problem(&dir, "poisson.toml", &poisson("[2, 12, 1]", 200, ""));
    straight_vs_split(&dir, &poisson, "lm", &["--solver", "lm"], 10);
    straight_vs_split(&dir, &poisson, "engd", &["--solver", "engd"], 8);
    straight_vs_split(&dir, &poisson, "lbfgs", &["--solver", "lbfgs"], 15);
    straight_vs_split(&dir, &poisson, "gn-probe", &["--solver", "gn-probe"], 10);
    // Re-drawn points: the split at 7 lies between draws (at 6 and 9), so the stored
    // points must be restored, and the draws after it repeat the straight run's.
    let heat = write_problem(&dir, "heat.toml", &heat_redrawn());
    straight_vs_split(&dir, &heat, "rad-lm", &["--solver", "lm"], 7);
    straight_vs_split(&dir, &heat, "rad-lbfgs", &["--solver", "lbfgs"], 7);
    // Normal equations accumulated over the draws: the saved matrices carry every
    // earlier draw's linearisation across the split.
    let accumulated = format!(
        "{}[solver]\npreset = \"lm\"\n[solver.lm]\nforgetting = 0.8\n",
        heat_redrawn()
    );
    let heat_acc = write_problem(&dir, "heat-accumulated.toml", &accumulated);
    straight_vs_split(
        &dir,
        &heat_acc,
        "rad-lm-accumulated",
        &["--solver", "lm"],
        7,
    );
    // RBA weights, updated at every iteration (interior) and every 3 (boundary, last
    // at 6 before the split at 7), and together with re-drawn points (restarted at 1).
    let weighted = write_problem(&dir, "poisson-rba.toml", &poisson_weighted());
    straight_vs_split(&dir, &weighted, "rba-lm", &["--solver", "lm"], 7);
    straight_vs_split(
        &dir,
        &weighted,
        "rba-ssbroyden",
        &["--solver", "ssbroyden"],
        7,
    );
    let redrawn = write_problem(&dir, "heat-rba.toml", &heat_weighted());
    straight_vs_split(&dir, &redrawn, "rba-rad-lm", &["--solver", "lm"], 7);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The stored weights are the ones in use: the right count per weighted block, none for
/// unweighted blocks; and after one iteration (one update from `λ = 0`, with `η = 1`)
/// they are the normalised residual `|F|/max|F|`: in `[0, 1]`, the largest exactly 1.
#[test]
fn rba_weights_are_stored_and_start_from_the_normalised_residual() {
    let dir = scratch!("rba");
    let weighted = write_problem(&dir, "poisson-rba.toml", &poisson_weighted());
    let r = solved(&weighted, &dir.join("w.h5"), &["--max-iters", "8"]);
    let names: Vec<&str> = r
        .collocation_weights
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["interior", "boundary"]);
    assert_eq!(r.collocation_weights[0].1.len(), 200);
    assert_eq!(r.collocation_weights[1].1.len(), 40);
    for (name, w) in &r.collocation_weights {
        assert!(w.iter().any(|&l| l > 0.0), "{name}: weights never updated");
    }
    let first = heat_redrawn().replace(
        "value = \"sin(pi*x)\"",
        "value = \"sin(pi*x)\"\nweights = { method = \"rba\", gamma = 0.5, eta = 1.0 }",
    );
    let first = write_problem(&dir, "heat-first.toml", &first);
    let mut b = solved(&first, &dir.join("first.h5"), &["--max-iters", "1"]);
    let (name, w) = b
        .collocation_weights
        .pop()
        .expect("the initial block's weights");
    assert_eq!(name, "initial");
    assert_eq!(w.len(), 20);
    assert!(w.iter().all(|l| (0.0..=1.0).contains(l)), "{w:?}");
    assert_eq!(w.iter().fold(0.0f64, |m, l| m.max(*l)), 1.0, "{w:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Both validators read `/collocation_weights`: an untouched file passes; a weight made
/// negative or not finite, or a block's weights one short, fails `pinn validate` (the
/// loss it recomputes with them) and `validation/check_result.py` (their shape and
/// values).
#[test]
fn validators_check_the_stored_weights() {
    let dir = scratch!("weights-validate");
    let weighted = write_problem(&dir, "poisson-rba.toml", &poisson_weighted());
    let run = dir.join("run.h5");
    let r = solved(&weighted, &run, &["--max-iters", "3"]);
    let check = |file: &Path| -> (i32, i32, String) {
        let v = pinn().arg("validate").arg(file).output().unwrap();
        let py = Command::new(python::python())
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("validation/check_result.py"))
            .arg(file)
            .output()
            .expect("python3 with h5py and numpy (python3 -m pip install h5py numpy)");
        let text = String::from_utf8_lossy(&v.stdout).into_owned()
            + &String::from_utf8_lossy(&py.stdout)
            + &String::from_utf8_lossy(&py.stderr);
        (v.status.code().unwrap(), py.status.code().unwrap(), text)
    };
    let (code, py, text) = check(&run);
    assert_eq!((code, py), (0, 0), "{text}");
    assert!(
        text.contains("/collocation_weights/interior: shape (200,) for 200 points")
            && text.contains("/collocation_weights: consistent"),
        "{text}"
    );
    let tampered = dir.join("tampered.h5");
    for (what, value) in [("NEGATIVE", -0.5), ("NOT FINITE", f64::NAN)] {
        let mut bad = r.clone();
        bad.collocation_weights[0].1[7] = value;
        write_atomic(&tampered, &bad).unwrap();
        let (code, py, text) = check(&tampered);
        assert_eq!((code, py), (1, 1), "{what}: {text}");
        assert!(
            text.contains(what) && text.contains("INCONSISTENT"),
            "{text}"
        );
    }
    let mut short = r.clone();
    short.collocation_weights[1].1.pop();
    write_atomic(&tampered, &short).unwrap();
    let (code, py, text) = check(&tampered);
    assert!(code != 0 && py == 1, "{text}");
    assert!(
        text.contains("/collocation_weights/boundary: shape (39,) for 40 points")
            && text.contains("WRONG SHAPE OR TYPE"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A checkpoint written mid-run (here after 7 of 14 iterations, between two draws of the
/// points, copied aside when the eighth iteration is observed) resumes like a final
/// result.
#[test]
fn a_checkpoint_resumes_bitwise() {
    let dir = scratch!("checkpoint");
    let heat = write_problem(&dir, "heat.toml", &heat_redrawn());
    let straight = solved(&heat, &dir.join("straight.h5"), &["--max-iters", "14"]);
    let problem = pinn::problem::load_problem(&heat).unwrap();
    let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
    config.threads = 1;
    config.termination.max_iterations = 14;
    let (live, copy) = (dir.join("live.h5"), dir.join("at7.h5"));
    let schedule =
        pinn::output::Checkpointer::new(Some(7), None, std::time::Instant::now()).unwrap();
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| {
            let plan = pinn::run::CheckpointPlan {
                path: &live,
                schedule,
            };
            let theta0 = problem.initial_params();
            pinn::run::run(&problem, &config, &theta0, Some(plan), |rec, _, _| {
                if rec.iteration == 7 {
                    std::fs::copy(&live, &copy).unwrap();
                }
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        });
    let checkpoint = read(&copy).unwrap();
    assert_eq!(checkpoint.metrics.termination, "Checkpoint");
    assert_eq!(checkpoint.metrics.iterations, 7);
    let resumed = solved(
        &heat,
        &dir.join("resumed.h5"),
        &["--resume", copy.to_str().unwrap(), "--max-iters", "7"],
    );
    assert_same_run("checkpoint", &straight, &resumed);
    // Without --max-iters a resume runs up to the stored run's own total (14 here).
    let again = solved(
        &heat,
        &dir.join("again.h5"),
        &["--resume", copy.to_str().unwrap()],
    );
    assert_same_run("checkpoint, stored budget", &straight, &again);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Exit 2 and a message containing every `needles` entry.
fn refused(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn resumes_that_cannot_continue_are_refused() {
    let dir = scratch!("refusals");
    let poisson = write_problem(&dir, "poisson.toml", &poisson("[2, 12, 1]", 200, ""));
    let run = dir.join("run.h5");
    let r = solved(&poisson, &run, &["--max-iters", "3"]);
    let run_s = run.to_str().unwrap();
    let out = dir.join("out.h5");

    // Both starts at once.
    let o = solve(&poisson, &out, &["--resume", run_s, "--init", run_s]);
    refused(&o, &["--resume", "--init"]);

    // A file without a solver state, as older versions wrote: use --init.
    let old = dir.join("old.h5");
    let mut stateless = r.clone();
    stateless.state = None;
    stateless.provenance = None;
    write_atomic(&old, &stateless).unwrap();
    let o = solve(&poisson, &out, &["--resume", old.to_str().unwrap()]);
    refused(&o, &[old.to_str().unwrap(), "no solver state", "--init"]);
    // ... which --init still reads.
    let o = solve(
        &poisson,
        &out,
        &["--init", old.to_str().unwrap(), "--max-iters", "1"],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");

    // Another network, other blocks, another output transform, another method.
    for (name, text, needle) in [
        ("wider.toml", poisson_with("[2, 10, 1]", 200, ""), "layers"),
        (
            "points.toml",
            poisson_with("[2, 12, 1]", 150, ""),
            "residual blocks",
        ),
        (
            "transform.toml",
            poisson_with("[2, 12, 1]", 200, "[transform]\nu = \"x*(1 - x)*N\"\n"),
            "output transform",
        ),
        (
            "embedded.toml",
            poisson_with(
                "[2, 12, 1]",
                200,
                "[model.embedding]\nfourier = { count = 1, scale = 1.0 }\n",
            ),
            "embedding",
        ),
    ] {
        let other = write_problem(&dir, name, &text);
        let o = solve(&other, &out, &["--resume", run_s]);
        refused(&o, &[run_s, needle]);
    }
    let o = solve(&poisson, &out, &["--resume", run_s, "--solver", "engd"]);
    refused(&o, &[run_s, "Lm", "Engd"]);

    // Not a result file at all.
    let o = solve(&poisson, &out, &["--resume", poisson.to_str().unwrap()]);
    refused(&o, &[poisson.to_str().unwrap()]);
    assert!(!out.exists() || read(&out).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// [`poisson`] with the network table's `layers` (the embedding table, when given,
/// must follow `[model]`, so it goes in `extra` after the `[model]` keys).
fn poisson_with(layers: &str, interior: usize, extra: &str) -> String {
    if extra.starts_with("[model.") {
        poisson(layers, interior, "").replace("seed = 3\n", &format!("seed = 3\n{extra}"))
    } else {
        poisson(layers, interior, extra)
    }
}

/// `pinn validate` and `validation/check_result.py`: a file with and without `/state`
/// and `/provenance` passes; a state that contradicts the file fails both.
#[test]
fn validators_check_the_state_when_present() {
    let dir = scratch!("validate");
    let poisson = write_problem(&dir, "poisson.toml", &poisson("[2, 12, 1]", 200, ""));
    let run = dir.join("run.h5");
    let r = solved(&poisson, &run, &["--max-iters", "4"]);
    let check = |file: &Path| -> (i32, String, i32, String) {
        let v = pinn().arg("validate").arg(file).output().unwrap();
        let root = root();
        let py = Command::new(python::python())
            .arg(root.join("validation/check_result.py"))
            .arg(file)
            .output()
            .expect("python3 with h5py and numpy (python3 -m pip install h5py numpy)");
        (
            v.status.code().unwrap(),
            String::from_utf8_lossy(&v.stdout).into_owned(),
            py.status.code().unwrap(),
            String::from_utf8_lossy(&py.stdout).into_owned() + &String::from_utf8_lossy(&py.stderr),
        )
    };
    let (code, text, py, py_text) = check(&run);
    assert_eq!((code, py), (0, 0), "{text}\n{py_text}");
    assert!(
        text.contains("state iterations") && text.contains("provenance"),
        "{text}"
    );
    assert!(
        py_text.contains("/state: 1 vectors, iteration 4: consistent"),
        "{py_text}"
    );

    let old = dir.join("old.h5");
    let mut stateless = r.clone();
    stateless.state = None;
    stateless.provenance = None;
    write_atomic(&old, &stateless).unwrap();
    let (code, text, py, py_text) = check(&old);
    assert_eq!((code, py), (0, 0), "{text}\n{py_text}");
    assert!(text.contains("no solver state"), "{text}");
    assert!(py_text.contains("no /state"), "{py_text}");

    // The state's θ differs from /model/params in one bit.
    let tampered = dir.join("tampered.h5");
    let mut bad = r.clone();
    let state = bad.state.as_mut().unwrap();
    let theta = &mut state
        .vectors
        .iter_mut()
        .find(|(n, _)| n == "iterate.theta")
        .unwrap()
        .1;
    theta[0] = f64::from_bits(theta[0].to_bits() ^ 1);
    write_atomic(&tampered, &bad).unwrap();
    let (code, text, py, py_text) = check(&tampered);
    assert_eq!((code, py), (1, 1), "{text}\n{py_text}");
    assert!(text.contains("≠ /model/params"), "{text}");
    assert!(py_text.contains("INCONSISTENT"), "{py_text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The thread count reaches rayon's global pool from each place it can be set: the
/// problem file's `[solver] threads`, `--threads`, and a resumed run's stored count.
/// The pool can be sized only before its first use, and a size that comes too late is
/// reported as "threads not applied"; provenance records the pool's actual size. Three
/// threads, a count unlikely to be the machine's default, make a late sizing show.
#[test]
fn thread_counts_reach_the_pool_from_file_flag_and_resume() {
    let dir = scratch!("pool");
    let problem = write_problem(&dir, "poisson.toml", &poisson("[2, 12, 1]", 200, ""));
    let (first, resumed) = (dir.join("first.h5"), dir.join("resumed.h5"));
    let run_file = |file: &Path, args: &[&str], out: &Path| {
        let o = pinn()
            .args(["solve", "--no-plots", "--quiet", "--solver", "lm", "--out"])
            .arg(out)
            .arg(file)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {stderr}");
        assert!(!stderr.contains("not applied"), "{args:?}: {stderr}");
        read(out).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    let run = |args: &[&str], out: &Path| run_file(&problem, args, out);
    let r = run(&["--threads", "3", "--max-iters", "3"], &first);
    assert_eq!(r.provenance.expect("provenance").threads, 3);
    // No --threads: the stored 3 again.
    let resume = ["--resume", first.to_str().unwrap(), "--max-iters", "2"];
    let r = run(&resume, &resumed);
    assert_eq!(r.provenance.expect("provenance").threads, 3);
    assert_eq!(r.metrics.iterations, 5);
    // The file's own setting, with no --threads.
    let set = "[solver]\npreset = \"lm\"\nthreads = 3\n";
    let in_file = write_problem(&dir, "in_file.toml", &poisson("[2, 12, 1]", 200, set));
    let r = run_file(&in_file, &["--max-iters", "2"], &dir.join("in_file.h5"));
    assert_eq!(r.provenance.expect("provenance").threads, 3);
    std::fs::remove_dir_all(&dir).unwrap();
}
