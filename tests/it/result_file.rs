//! End-to-end tests of the HDF5 result file: bitwise round trip through our reader,
//! read-back by h5py (the reference HDF5 C library, a client we did not write), typed
//! errors on bad files, and atomicity under SIGKILL/SIGTERM/SIGINT of a writer process.
//!
//! h5py and numpy are required (CI's `.ci/run` installs them); without them the h5py
//! tests fail with instructions rather than skip.

use crate::common::{python, root, scratch, test_name};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use faer::Mat;
use pinn::output::{
    EmbeddingRecord, Evaluation, FourierRecord, History, HistoryRow, Metrics, OutputError,
    Provenance, RunResult, StateRecord, iso8601_utc, read, remove_stale_temps, write_atomic,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "../result_file/expected.rs"]
mod expected;
use expected::expected_json;

// ---------------------------------------------------------------- fixtures

/// A deterministic result with awkward contents: faer matrices whose row counts force
/// padded column strides, subnormals, -0.0, huge values, NaN in the history, non-ASCII
/// and multi-line strings. `m` rows on the evaluation grid; `generation` varies
/// every value so versions are distinguishable.
fn sample(exact: bool, m: usize, generation: u64) -> RunResult {
    let mut rng = StdRng::seed_from_u64(0x5eed ^ generation);
    let g = generation as f64;
    let mut rand_mat =
        |n: usize, d: usize| Mat::<f64>::from_fn(n, d, |_, _| rng.random_range(-1.0..1.0));
    let points = rand_mat(m, 2);
    let u_exact = Mat::from_fn(m, 1, |i, _| {
        (points[(i, 0)] * 3.0).sin() * (-points[(i, 1)]).exp() + g
    });
    let u = Mat::from_fn(m, 1, |i, _| {
        u_exact[(i, 0)] + 1e-9 * ((i * 7919) % 13) as f64 - 6e-9
    });
    let mut coll_interior = rand_mat(1001, 2);
    coll_interior[(0, 0)] = -0.0;
    coll_interior[(1, 1)] = 5e-324; // smallest subnormal
    coll_interior[(2, 0)] = 1.7e308;
    let coll_boundary = rand_mat(37, 2);
    let evaluation = Evaluation::new(
        vec!["x".into(), "t".into()],
        vec!["u".into()],
        points,
        u,
        exact.then_some(u_exact),
    );
    let metrics = Metrics::from_evaluation(
        &evaluation,
        1.25e-17 + g,
        412 + generation,
        "gtol reached: ‖g‖ ≤ 1e-12",
        3.5 + g,
    );
    let mut history = History::new(exact, &["cg_iterations"]);
    for k in 0..25u64 {
        let kf = k as f64;
        history.push(
            &HistoryRow {
                iteration: k,
                loss: 10f64.powf(-kf) + g,
                rel_l2: exact.then_some(10f64.powf(-kf / 3.0)),
                grad_norm: 2f64.powf(-kf),
                step_norm: 0.5 * kf,
                damping: if k == 0 { f64::NAN } else { 1e-3 / kf },
                step_size: 1.0,
                rho: 0.75 - 0.01 * kf,
                accepted: k % 3 != 2,
                wall_time_s: 0.01 * kf,
            },
            &[(k % 5) as f64],
        );
    }
    RunResult {
        problem_name: "burgers-1d".into(),
        problem_file: generation.is_multiple_of(2).then(|| "/data/problems/burgers.toml".into()),
        pinn_version: format!("0.1.0-gen{generation}"),
        created: iso8601_utc(std::time::UNIX_EPOCH + Duration::from_secs(1_795_000_000)),
        config_problem: "[problem]\nname = \"burgers-1d\"\npde = \"u_t + u*u_x - (0.01/π)*u_xx\"\n# ünïcödé, \"quotes\", \\backslash\n".into(),
        config_solver: "method = \"levenberg-marquardt\"\nmax_iters = 500\n".into(),
        layers: vec![2, 20, 20, 1],
        // Generation 0 (the round trip and h5py tests with an exact solution) is embedded.
        embedding: (generation == 0).then(|| EmbeddingRecord {
            periodic: vec![(1, 2.0, 2)],
            fourier: Some(FourierRecord { matrix: rand_mat(3, 5), scale: 1.5, seed: 7 }),
            reflections: vec![(1, 0.0, -1), (0, 0.25, 1)],
        }),
        activation: "tanh".into(),
        params: (0..481).map(|i| ((i as f64) * 0.37 + g).sin()).collect(),
        transform: vec![if generation.is_multiple_of(2) {
            "N".into()
        } else {
            "sin(pi*x)·exp(-nu*t) + t*(1 − t)*N".into()
        }],
        transform_constants: if generation.is_multiple_of(2) {
            vec![]
        } else {
            vec![("nu".into(), 0.01 + g), ("tiny".into(), 5e-324)]
        },
        collocation: vec![("interior".into(), coll_interior), ("boundary-left".into(), coll_boundary)],
        collocation_weights: Vec::new(),
        evaluation,
        metrics,
        history,
        // Generation 0 also records how it was started and its solver state.
        provenance: (generation == 0).then(|| Provenance {
            run_id: "2026-11-30T19:00:00Z-42-000000007".into(),
            seed: i64::MAX,
            command_line: vec!["pinn".into(), "solve".into(), "ünï cödé.toml".into()],
            threads: 2,
            started_from: "resume".into(),
            first_iteration: 12,
            source_file: Some("/data/runs/first.h5".into()),
            source_created: Some("2026-11-30T18:00:00Z".into()),
            parent_run: None,
        }),
        state: (generation == 0).then(|| StateRecord {
            solver: "n_params = 481\n[ledger]\niteration = 412\n".into(),
            vectors: vec![
                ("iterate.theta".into(), vec![-0.0, 5e-324, f64::NAN]),
                ("descent.s".into(), Vec::new()),
            ],
        }),
        time_slabs: None,
        stages: None,
    }
}

// ---------------------------------------------------------------- bitwise equality

fn mat_bits(m: &Mat<f64>) -> (usize, usize, Vec<u64>) {
    let mut v = Vec::new();
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            v.push(m[(i, j)].to_bits());
        }
    }
    (m.nrows(), m.ncols(), v)
}

fn vec_bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Panics unless `a` and `b` hold the same data, f64 compared bit for bit (so NaN
/// equals NaN and -0.0 differs from 0.0).
fn assert_bitwise_eq(a: &RunResult, b: &RunResult) {
    assert_eq!(a.problem_name, b.problem_name);
    assert_eq!(a.time_slabs, b.time_slabs);
    assert_eq!(a.stages, b.stages);
    assert_eq!(a.problem_file, b.problem_file);
    assert_eq!(a.pinn_version, b.pinn_version);
    assert_eq!(a.created, b.created);
    assert_eq!(a.config_problem, b.config_problem);
    assert_eq!(a.config_solver, b.config_solver);
    assert_eq!(a.layers, b.layers);
    // Finite periods and B entries: equal values are equal bits.
    assert_eq!(a.embedding, b.embedding);
    assert_eq!(a.activation, b.activation);
    assert_eq!(vec_bits(&a.params), vec_bits(&b.params));
    assert_eq!(a.transform, b.transform);
    assert_eq!(a.transform_constants.len(), b.transform_constants.len());
    for ((na, va), (nb, vb)) in a.transform_constants.iter().zip(&b.transform_constants) {
        assert_eq!((na, va.to_bits()), (nb, vb.to_bits()));
    }
    assert_eq!(a.collocation.len(), b.collocation.len());
    for ((na, ma), (nb, mb)) in a.collocation.iter().zip(&b.collocation) {
        assert_eq!(na, nb);
        assert_eq!(mat_bits(ma), mat_bits(mb), "collocation block {na}");
    }
    let (ea, eb) = (&a.evaluation, &b.evaluation);
    assert_eq!(ea.variables, eb.variables);
    assert_eq!(ea.outputs, eb.outputs);
    assert_eq!(mat_bits(&ea.points), mat_bits(&eb.points));
    assert_eq!(mat_bits(&ea.u), mat_bits(&eb.u));
    assert_eq!(
        ea.u_exact.as_ref().map(mat_bits),
        eb.u_exact.as_ref().map(mat_bits)
    );
    let (ma, mb) = (&a.metrics, &b.metrics);
    assert_eq!(ma.rel_l2.map(f64::to_bits), mb.rel_l2.map(f64::to_bits));
    assert_eq!(
        ma.max_abs_error.map(f64::to_bits),
        mb.max_abs_error.map(f64::to_bits)
    );
    let bits = |v: &Option<Vec<f64>>| v.as_ref().map(|v| vec_bits(v));
    assert_eq!(bits(&ma.rel_l2_per_output), bits(&mb.rel_l2_per_output));
    assert_eq!(
        bits(&ma.max_abs_error_per_output),
        bits(&mb.max_abs_error_per_output)
    );
    assert_eq!(ma.final_loss.to_bits(), mb.final_loss.to_bits());
    assert_eq!(ma.iterations, mb.iterations);
    assert_eq!(ma.termination, mb.termination);
    assert_eq!(ma.wall_time_s.to_bits(), mb.wall_time_s.to_bits());
    let cols = |h: &History| -> Vec<(String, Vec<u64>)> {
        h.columns()
            .map(|(n, c)| (n.to_string(), vec_bits(c)))
            .collect()
    };
    assert_eq!(cols(&a.history), cols(&b.history));
    assert_eq!(a.provenance, b.provenance);
    let state = |r: &RunResult| {
        r.state.as_ref().map(|s| {
            let v: Vec<(String, Vec<u64>)> = s
                .vectors
                .iter()
                .map(|(n, v)| (n.clone(), vec_bits(v)))
                .collect();
            (s.solver.clone(), v)
        })
    };
    assert_eq!(state(a), state(b));
}

// ---------------------------------------------------------------- round trip

#[test]
fn round_trip_is_bitwise_with_exact_solution() {
    let d = scratch!("rt-exact");
    let p = d.join("run.h5");
    let r = sample(true, 1001, 0);
    write_atomic(&p, &r).unwrap();
    let back = read(&p).unwrap();
    assert_bitwise_eq(&r, &back);
    // The solver settings alone, as `--resume` reads them first.
    let solver = pinn::output::read_stored_solver_config(&p).unwrap();
    assert_eq!(solver, r.config_solver);
    // The stored metrics are those computed from the evaluation data.
    assert!(back.metrics.rel_l2.unwrap() > 1e-10 && back.metrics.rel_l2.unwrap() < 1e-8);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn round_trip_is_bitwise_without_exact_solution() {
    let d = scratch!("rt-noexact");
    let p = d.join("run.h5");
    let r = sample(false, 64, 3);
    assert!(r.metrics.rel_l2.is_none() && r.metrics.max_abs_error.is_none());
    write_atomic(&p, &r).unwrap();
    let back = read(&p).unwrap();
    assert_bitwise_eq(&r, &back);
    assert!(back.evaluation.u_exact.is_none() && !back.history.has_rel_l2());
    fs::remove_dir_all(&d).unwrap();
}

/// A checkpoint before the first iteration: empty history, an empty collocation block
/// and a one-point grid.
fn degenerate() -> RunResult {
    let mut r = sample(true, 1, 1);
    r.history = History::new(true, &[]);
    r.collocation.push(("empty".into(), Mat::zeros(0, 2)));
    r.params.clear();
    r.metrics.iterations = 0;
    r
}

#[test]
fn round_trip_of_degenerate_shapes() {
    let d = scratch!("rt-degenerate");
    let p = d.join("run.h5");
    let r = degenerate();
    write_atomic(&p, &r).unwrap();
    assert_bitwise_eq(&r, &read(&p).unwrap());
    fs::remove_dir_all(&d).unwrap();
}

// ---------------------------------------------------------------- h5py

fn python() -> String {
    python::python()
}

/// Fails (never skips) when Python or h5py is missing, saying how to install them.
fn h5py_probe() {
    let probe = Command::new(python())
        .args(["-c", "import h5py, numpy"])
        .output();
    match probe {
        Err(e) => panic!(
            "cannot run `{}` ({e}): the result-file tests need Python 3 with h5py and numpy",
            python()
        ),
        Ok(o) if !o.status.success() => panic!(
            "h5py/numpy not importable by `{}`: {}\ninstall them with `python3 -m pip install h5py numpy` \
             (CI's .ci/run does this)",
            python(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => {}
    }
}

/// Runs tests/py/check_result_file.py (after [`h5py_probe`]).
fn h5py_check(file: &Path, r: &RunResult) -> String {
    h5py_probe();
    let expected = file.with_extension("expected.json");
    fs::write(&expected, expected_json(r)).unwrap();
    let script = root().join("tests/py/check_result_file.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(file)
        .arg(&expected)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "h5py check of {} failed:\n{stdout}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.trim_end().ends_with("OK"), "{stdout}");
    stdout
}

#[test]
fn h5py_reads_every_object_with_exact_solution() {
    let d = scratch!("h5py-exact");
    let p = d.join("run.h5");
    let r = sample(true, 1001, 0);
    write_atomic(&p, &r).unwrap();
    let out = h5py_check(&p, &r);
    assert!(
        out.contains("rel_l2 numpy="),
        "rel_l2 was recomputed: {out}"
    );
    println!("{out}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn h5py_reads_every_object_without_exact_solution() {
    let d = scratch!("h5py-noexact");
    let p = d.join("run.h5");
    let r = sample(false, 50, 2);
    write_atomic(&p, &r).unwrap();
    h5py_check(&p, &r);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn h5py_reads_degenerate_shapes() {
    let d = scratch!("h5py-degenerate");
    let p = d.join("run.h5");
    let r = degenerate();
    write_atomic(&p, &r).unwrap();
    h5py_check(&p, &r);
    fs::remove_dir_all(&d).unwrap();
}

/// The checker itself must be able to fail: a file whose content differs from the
/// expectation in one bit of one value is rejected.
#[test]
fn h5py_check_detects_a_one_bit_difference() {
    h5py_probe();
    let d = scratch!("h5py-negative");
    let p = d.join("run.h5");
    let r = sample(true, 20, 0);
    write_atomic(&p, &r).unwrap();
    let mut claimed = r.clone();
    claimed.params[7] = f64::from_bits(claimed.params[7].to_bits() ^ 1);
    let expected = p.with_extension("expected.json");
    fs::write(&expected, expected_json(&claimed)).unwrap();
    let script = root().join("tests/py/check_result_file.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(&p)
        .arg(&expected)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("/model/params: 1 of 481 values differ bitwise"),
        "{stdout}"
    );
    fs::remove_dir_all(&d).unwrap();
}

// ---------------------------------------------------------------- bad files

#[test]
fn read_rejects_bad_files_with_typed_errors() {
    let d = scratch!("bad");
    let missing = d.join("missing.h5");
    assert!(matches!(
        read(&missing),
        Err(OutputError::Io { op: "read", .. })
    ));

    let empty = d.join("empty.h5");
    fs::write(&empty, b"").unwrap();
    let e = read(&empty).unwrap_err();
    assert!(matches!(e, OutputError::Hdf5 { .. }), "{e}");
    assert!(
        e.to_string().contains("empty.h5"),
        "error names the file: {e}"
    );

    let garbage = d.join("garbage.h5");
    let mut rng = StdRng::seed_from_u64(7);
    let bytes: Vec<u8> = (0..4096).map(|_| rng.random()).collect();
    fs::write(&garbage, &bytes).unwrap();
    assert!(matches!(read(&garbage), Err(OutputError::Hdf5 { .. })));

    let text = d.join("text.h5");
    fs::write(&text, "[problem]\nname = \"not hdf5\"\n").unwrap();
    assert!(matches!(read(&text), Err(OutputError::Hdf5 { .. })));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn read_rejects_every_truncation() {
    let d = scratch!("truncated");
    let p = d.join("run.h5");
    write_atomic(&p, &sample(true, 40, 0)).unwrap();
    let full = fs::read(&p).unwrap();
    let t = d.join("t.h5");
    let mut n = 0;
    // Every prefix up to 1 KiB, then every 97th length, plus the last byte removed.
    let lens = (0..1024.min(full.len()))
        .chain((1024..full.len()).step_by(97))
        .chain([full.len() - 1]);
    for len in lens {
        fs::write(&t, &full[..len]).unwrap();
        assert!(
            read(&t).is_err(),
            "a file truncated to {len} of {} bytes was accepted",
            full.len()
        );
        n += 1;
    }
    println!("{n} truncations of a {}-byte file rejected", full.len());
    fs::remove_dir_all(&d).unwrap();
}

/// Random byte corruption may or may not be detectable (HDF5 has no checksum on
/// contiguous raw data), but the reader must return, never panic.
#[test]
fn read_never_panics_on_corrupted_bytes() {
    let d = scratch!("corrupt");
    let p = d.join("run.h5");
    write_atomic(&p, &sample(true, 40, 0)).unwrap();
    let full = fs::read(&p).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let c = d.join("c.h5");
    let (mut ok, mut err) = (0, 0);
    for _ in 0..300 {
        let mut b = full.clone();
        for _ in 0..rng.random_range(1..8) {
            let i = rng.random_range(0..b.len());
            b[i] = rng.random();
        }
        fs::write(&c, &b).unwrap();
        match read(&c) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    println!("corrupted files: {ok} read, {err} rejected");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn read_rejects_other_hdf5_files_and_versions() {
    let d = scratch!("schema");
    // A valid HDF5 file that is not a pinn result (written by h5py when available is
    // not required here: hdf5-pure writes one).
    let other = d.join("other.h5");
    let mut fb = hdf5_pure::FileBuilder::new();
    fb.create_dataset("x").with_f64_data(&[1.0, 2.0]);
    fb.write(&other).unwrap();
    let e = read(&other).unwrap_err();
    assert!(
        matches!(&e, OutputError::Schema { object, .. } if object == "/"),
        "{e}"
    );

    let wrong_version = d.join("v6.h5");
    let mut fb = hdf5_pure::FileBuilder::new();
    fb.set_attr(
        "format",
        hdf5_pure::AttrValue::VarLenString("pinn-result".into()),
    );
    fb.set_attr("format_version", hdf5_pure::AttrValue::I64(6));
    fb.write(&wrong_version).unwrap();
    let e = read(&wrong_version).unwrap_err();
    assert!(
        e.to_string().contains("format_version 6 is not supported"),
        "{e}"
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn invalid_names_are_refused_and_target_untouched() {
    let d = scratch!("names");
    let p = d.join("run.h5");
    let good = sample(false, 10, 0);
    write_atomic(&p, &good).unwrap();
    for bad in ["", "a/b", ".", "..", "interior"] {
        let mut r = good.clone();
        r.collocation.push((bad.to_string(), Mat::zeros(1, 2)));
        let e = write_atomic(&p, &r).unwrap_err();
        assert!(
            matches!(
                e,
                OutputError::InvalidName {
                    what: "collocation block",
                    ..
                }
            ),
            "{bad:?}: {e}"
        );
    }
    assert_bitwise_eq(&good, &read(&p).unwrap());
    assert_eq!(
        fs::read_dir(&d).unwrap().count(),
        1,
        "no temporary file left"
    );
    fs::remove_dir_all(&d).unwrap();
}

// ---------------------------------------------------------------- atomicity

const CHILD_ENV: &str = "PINN_ATOMIC_WRITER_TARGET";
const CHILD_START_ENV: &str = "PINN_ATOMIC_WRITER_FIRST_GENERATION";
/// Evaluation grid of the writer child: 200 000 points × (2 + 1 + 1 + 1) columns ≈ 8 MB.
const BIG_M: usize = 200_000;

/// Writes generations n, n + 1, ... of a large result to the target, forever when run
/// as the child of [`killed_writer_never_leaves_a_truncated_file`] (environment
/// variable set). Run directly, it writes three generations and checks each.
#[test]
fn atomic_writer_child_process() {
    match std::env::var_os(CHILD_ENV) {
        Some(target) => {
            let target = PathBuf::from(target);
            let start: u64 = std::env::var(CHILD_START_ENV).unwrap().parse().unwrap();
            let base = sample(true, BIG_M, 0);
            // Bounded, so a child orphaned by a failing parent stops by itself.
            let t0 = Instant::now();
            for generation in start.. {
                write_atomic(&target, &generation_result(&base, generation)).unwrap();
                if t0.elapsed() > Duration::from_secs(120) {
                    break;
                }
            }
        }
        None => {
            let d = scratch!("writer-inproc");
            let p = d.join("run.h5");
            for generation in 1..=3 {
                let r = sample(true, 2000, generation);
                write_atomic(&p, &r).unwrap();
                assert_bitwise_eq(&r, &read(&p).unwrap());
            }
            fs::remove_dir_all(&d).unwrap();
        }
    }
}

/// Generation `g` of the writer child's result: the large base result with a few
/// values changed, so that most of the child's time goes to writing, not building.
fn generation_result(base: &RunResult, g: u64) -> RunResult {
    let mut r = base.clone();
    r.pinn_version = format!("0.1.0-gen{g}");
    r.params[0] = g as f64;
    r.metrics.iterations = g;
    r
}

fn generation_of(r: &RunResult) -> u64 {
    r.pinn_version
        .rsplit("gen")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The write counter `n` of the temporary file `.<target>.<pid>.<n>.pinn-tmp` the
/// process `pid` has in `dir`, if any (its `n + 1`-th write is in progress).
fn temp_of(dir: &Path, target: &str, pid: u32) -> Option<u64> {
    let prefix = format!(".{target}.{pid}.");
    fs::read_dir(dir).unwrap().find_map(|e| {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        name.strip_prefix(&prefix)?
            .strip_suffix(".pinn-tmp")?
            .parse()
            .ok()
    })
}

/// Whether this process ignores SIGINT (bit 2 of `SigIgn` in `/proc/self/status`), as
/// its children then do; false where that file cannot be read.
fn sigint_ignored() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            let mask = t.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|m| m & (1 << 1) != 0)
}

/// `kill -<signal> <pid>`.
fn signal(pid: u32, signal: &str) {
    let st = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
    assert!(
        st.as_ref().is_ok_and(|s| s.success()),
        "`kill -{signal} {pid}` failed: {st:?}"
    );
}

/// SIGKILL (and SIGTERM, SIGINT: no handler, so they kill too) a process that writes
/// an 8 MB result over and over, always in the middle of a write: the parent waits for
/// the child's temporary file of its `skip + 1`-th write (`skip` = 0, 1, 2), freezes
/// the child with SIGSTOP, and kills it only if the temporary file is still there (else
/// it lets the child go on to its next write). So every kill lands with a write in
/// progress, whatever the machine's load, and the target must then be exactly the last
/// complete generation: absent before any, the previous round's after a kill during a
/// child's first write, else the generation before the one being written, bitwise.
#[test]
fn killed_writer_never_leaves_a_truncated_file() {
    let d = scratch!("kill");
    let target = d.join("run.h5");
    let exe = std::env::current_exe().unwrap();
    let child_test = test_name(module_path!(), "atomic_writer_child_process");
    let (mut absent, mut complete) = (0, 0);
    let mut last_gen = 0;
    let base = sample(true, BIG_M, 0);
    // Every signal with every number of complete writes before the kill. A test run
    // started with SIGINT ignored (say a background job of a non-interactive shell)
    // passes that on to the child, which SIGINT then cannot stop: those rounds are left
    // out, and said so.
    let int_ignored = sigint_ignored();
    if int_ignored {
        println!("SIGINT is ignored by this process and its children: no SIGINT rounds");
    }
    let rounds: Vec<usize> = (0..9).filter(|r| !(int_ignored && r / 3 == 2)).collect();
    for &round in &rounds {
        let (skip, signal_name) = ((round % 3) as u64, ["KILL", "TERM", "INT"][round / 3]);
        // Each child writes generations first_gen, first_gen + 1, ...
        let first_gen = 1000 * (round as u64 + 1);
        let mut child = Command::new(&exe)
            .args(["--exact", &child_test, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &target)
            .env(CHILD_START_ENV, first_gen.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(100);
        let mut stops = 0;
        let writing = loop {
            if temp_of(&d, "run.h5", pid).is_some_and(|n| n >= skip) {
                signal(pid, "STOP");
                stops += 1;
                // Frozen: the directory stays as it is until the kill.
                if let Some(n) = temp_of(&d, "run.h5", pid) {
                    break n;
                }
                signal(pid, "CONT");
            }
            let exited = child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("round {round}: no write of the child caught in progress ({exited:?})");
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        if signal_name == "KILL" {
            child.kill().unwrap(); // SIGKILL on Unix, delivered to a stopped process too
        } else {
            // Pending while the child is stopped; fatal as soon as it continues, before
            // it runs another instruction of its own.
            signal(pid, signal_name);
            signal(pid, "CONT");
        }
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "the child was killed, not finished: {status:?}"
        );

        let want = if writing == 0 {
            last_gen
        } else {
            first_gen + writing - 1
        };
        if target.exists() {
            let got =
                read(&target).unwrap_or_else(|e| panic!("round {round} (SIG{signal_name}): {e}"));
            let g = generation_of(&got);
            assert_eq!(
                g,
                want,
                "round {round}: killed while writing generation {}",
                first_gen + writing
            );
            last_gen = g;
            assert_bitwise_eq(&generation_result(&base, g), &got);
            complete += 1;
        } else {
            assert_eq!(
                want, 0,
                "round {round}: the target vanished after a complete write"
            );
            absent += 1;
        }
        // The interrupted write's temporary file is the only debris.
        assert_eq!(remove_stale_temps(&target).unwrap(), 1, "round {round}");
        println!(
            "round {round}: SIG{signal_name} during write {} ({stops} stop(s)), target generation {last_gen}",
            writing + 1
        );
    }
    println!(
        "{} kills mid-write: target absent {absent}, complete {complete}",
        rounds.len()
    );
    // Rounds 1 and 2 let the child complete a write first.
    assert!(complete >= 2, "absent {absent}, complete {complete}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn checkpointer_writes_a_readable_file_when_due() {
    use pinn::output::Checkpointer;
    let d = scratch!("checkpoint");
    let p = d.join("run.h5");
    let t0 = Instant::now();
    let mut c = Checkpointer::new(Some(5), None, t0).unwrap();
    let mut written = Vec::new();
    for k in 1..=12u64 {
        let mut built = false;
        if c.maybe_write(&p, k, t0, || {
            built = true;
            let mut r = sample(false, 10, 0);
            r.metrics.iterations = k;
            r
        })
        .unwrap()
        {
            written.push(k);
        }
        assert_eq!(
            built,
            written.last() == Some(&k),
            "result built only when due"
        );
    }
    assert_eq!(written, [5, 10]);
    assert_eq!(read(&p).unwrap().metrics.iterations, 10);
    fs::remove_dir_all(&d).unwrap();
}

// ---------------------------------------------------------------- XDMF sidecar

fn xdmf_check(sidecar: &Path) -> String {
    h5py_probe();
    let script = root().join("tests/py/check_xdmf.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(sidecar)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "XDMF check of {} failed:\n{stdout}\n{}",
        sidecar.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.trim_end().ends_with("OK"), "{stdout}");
    stdout
}

#[test]
fn xdmf_sidecar_describes_the_evaluation_grid() {
    use pinn::output::write_xdmf_sidecar;
    let d = scratch!("xdmf");
    // 2-D points, one output, with exact solution.
    let p = d.join("run.h5");
    let r = sample(true, 300, 0);
    write_atomic(&p, &r).unwrap();
    let x = write_xdmf_sidecar(&p, &r.evaluation).unwrap().unwrap();
    assert_eq!(x, d.join("run.xmf"));
    println!("2-D: {}", xdmf_check(&x));
    // 3-D points, two outputs, no exact solution.
    let p3 = d.join("run3.h5");
    let mut r3 = sample(false, 40, 1);
    let pts = Mat::from_fn(40, 3, |i, j| (i * 3 + j) as f64 * 0.25);
    let u = Mat::from_fn(40, 2, |i, j| (i as f64).sqrt() + j as f64);
    r3.evaluation = Evaluation::new(
        vec!["x".into(), "y".into(), "z".into()],
        vec!["u".into(), "p".into()],
        pts,
        u,
        None,
    );
    write_atomic(&p3, &r3).unwrap();
    let x3 = write_xdmf_sidecar(&p3, &r3.evaluation).unwrap().unwrap();
    println!("3-D: {}", xdmf_check(&x3));
    fs::remove_dir_all(&d).unwrap();
}
