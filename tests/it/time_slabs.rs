//! Time slabs end to end: a small heat problem marched in three slabs through
//! `pinn solve`, its result re-checked by `pinn validate` and by numpy, the carried
//! initial data (values and, for the wave equation, velocities), and a one-slab march
//! that is the plain run bit for bit.

use crate::common::{pinn, python, root, scratch, solve_with};

use std::path::Path;
use std::process::Command;

use faer::Mat;
use pinn::output::read;
use pinn::problem::{Problem, load_problem};
use pinn::residual::BlockKind;

fn solve(problem: &Path, out: &Path, iters: &str) -> String {
    solve_with(problem, out, &["--max-iters", iters])
}

/// The initial block `name` of `slab` with its points and carried data.
fn initial_data(slab: &Problem, name: &str) -> (Mat<f64>, Vec<f64>) {
    let b = slab.blocks.iter().find(|b| b.name() == name).unwrap();
    let g = match b.kind() {
        BlockKind::InitialValue { g, .. } | BlockKind::InitialVelocity { g, .. } => g.clone(),
        _ => panic!("`{name}` is not an initial block"),
    };
    let pts = b.points().to_owned();
    let values = (0..pts.nrows())
        .map(|i| g.eval(&(0..pts.ncols()).map(|j| pts[(i, j)]).collect::<Vec<_>>()))
        .collect();
    (pts, values)
}

#[test]
fn a_three_slab_heat_march_is_accurate_valid_and_carries_its_initial_data() {
    let d = scratch!("heat");
    let file = root().join("tests/problems/heat-slabs.toml");
    let out = d.join("heat.h5");
    let text = solve(&file, &out, "100");
    for k in 1..=3 {
        assert!(text.contains(&format!("slab {k}/3 t in")), "{text}");
    }
    // The summary speaks for the whole march: its iteration count is the slabs' sum.
    assert!(
        text.contains("in 3 time slabs for") && !text.contains("(last stage)"),
        "{text}"
    );
    let per_slab: usize = text
        .lines()
        .filter(|l| l.starts_with("slab ") && l.contains(" t in ["))
        .map(|l| {
            let after = l.split("]: ").nth(1).unwrap();
            after.split(' ').next().unwrap().parse::<usize>().unwrap()
        })
        .sum();
    assert!(
        text.contains(&format!("iterations        {per_slab} (")),
        "{per_slab}: {text}"
    );

    let v = pinn().arg("validate").arg(&out).output().unwrap();
    let vt = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{vt}");
    assert!(vt.contains("slab 3 final_loss"), "{vt}");
    let py = Command::new(python::python())
        .arg(root().join("validation/check_result.py"))
        .arg(&out)
        .output()
        .expect("python3 with h5py and numpy is needed");
    let pt = String::from_utf8_lossy(&py.stdout);
    assert_eq!(
        py.status.code(),
        Some(0),
        "{pt}{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert!(
        pt.contains("3 of 3 time slabs") && pt.contains("agree"),
        "{pt}"
    );

    let r = read(&out).unwrap();
    let slabs = r.time_slabs.as_ref().unwrap();
    assert_eq!(slabs.slabs.len(), 3);
    assert_eq!(slabs.boundaries, vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
    assert_eq!(r.params, slabs.slabs[2].params);
    assert_eq!(r.evaluation.points.nrows(), 2000);
    let rel = r.metrics.rel_l2.unwrap();
    assert!(rel < 1e-2, "rel L2 {rel}");
    let slab_column = r.history.column("slab").unwrap();
    assert_eq!(slab_column.first(), Some(&0.0));
    assert_eq!(slab_column.last(), Some(&2.0));

    let problem = load_problem(&file).unwrap();
    for k in 1..3 {
        let prev = &slabs.slabs[k - 1].params;
        let slab = problem.slab_problem(k, Some(prev)).unwrap();
        let (pts, targets) = initial_data(&slab, "initial");
        let t_k = slabs.boundaries[k];
        assert!((0..pts.nrows()).all(|i| pts[(i, 0)] == t_k));
        let u_prev = problem.solution(prev, pts.as_ref());
        let u_next = problem.solution(&slabs.slabs[k].params, pts.as_ref());
        for (i, &g) in targets.iter().enumerate() {
            assert!((g - u_prev[(i, 0)]).abs() <= 1e-14, "slab {k} point {i}");
            // The trained slab continues its predecessor.
            assert!((u_next[(i, 0)] - g).abs() < 5e-3, "slab {k} point {i}");
        }
        // The other blocks keep the file's data, drawn inside the slab.
        let interior = slab.blocks.iter().find(|b| b.name() == "interior").unwrap();
        let p = interior.points();
        assert!((0..p.nrows()).all(|i| p[(i, 0)] >= t_k && p[(i, 0)] <= slabs.boundaries[k + 1]));
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_wave_velocity_is_carried_over_as_the_previous_slabs_time_derivative() {
    let file = root().join("tests/problems/wave-slabs-small.toml");
    let problem = load_problem(&file).unwrap();
    let slabs = problem.time_slabs.clone().unwrap();
    assert_eq!(slabs.boundaries, vec![0.0, 0.25, 0.6, 1.0]);
    let theta = problem.initial_params();
    let slab = problem.slab_problem(2, Some(&theta)).unwrap();
    let (pts, velocity) = initial_data(&slab, "initial_velocity");
    let (vpts, values) = initial_data(&slab, "initial");
    let u = problem.solution(&theta, vpts.as_ref());
    for (i, &g) in values.iter().enumerate() {
        assert!((g - u[(i, 0)]).abs() <= 1e-14);
    }
    // u_t by central differences in t (column 1) of the previous network.
    let h = 1e-5;
    let shifted = |s: f64| {
        Mat::from_fn(pts.nrows(), 2, |i, j| {
            pts[(i, j)] + if j == 1 { s } else { 0.0 }
        })
    };
    let up = problem.solution(&theta, shifted(h).as_ref());
    let um = problem.solution(&theta, shifted(-h).as_ref());
    let mut scale: f64 = 0.0;
    for (i, &g) in velocity.iter().enumerate() {
        assert_eq!(pts[(i, 1)], 0.6);
        let fd = (up[(i, 0)] - um[(i, 0)]) / (2.0 * h);
        assert!(
            (g - fd).abs() <= 1e-7 * fd.abs().max(1.0),
            "point {i}: {g} vs {fd}"
        );
        scale = scale.max(g.abs());
    }
    assert!(scale > 1e-3, "a vanishing velocity would test nothing");
    // Slab 0 keeps the file's data: u_t = 0.
    let first = problem.slab_problem(0, None).unwrap();
    let (_, v0) = initial_data(&first, "initial_velocity");
    assert!(v0.iter().all(|&v| v == 0.0));
}

#[test]
fn one_slab_trains_bit_for_bit_like_no_slabs_and_a_plain_file_has_no_slab_group() {
    let d = scratch!("one");
    let text = std::fs::read_to_string(root().join("tests/problems/heat-slabs.toml")).unwrap();
    // The copies are named after their files.
    let text = text.replace("name = \"heat-slabs\"\n", "");
    let plain = text.replace("[time_slabs]\ncount = 3\n", "");
    assert_ne!(plain, text);
    let one = plain.clone() + "\n[time_slabs]\ncount = 1\n";
    std::fs::write(d.join("plain.toml"), &plain).unwrap();
    std::fs::write(d.join("one.toml"), &one).unwrap();
    solve(&d.join("plain.toml"), &d.join("plain.h5"), "30");
    solve(&d.join("one.toml"), &d.join("one.h5"), "30");
    let (a, b) = (
        read(&d.join("plain.h5")).unwrap(),
        read(&d.join("one.h5")).unwrap(),
    );
    assert!(a.time_slabs.is_none());
    assert_eq!(b.time_slabs.as_ref().unwrap().slabs.len(), 1);
    // A march records its provenance like a plain run (but no solver state).
    let p = b.provenance.as_ref().expect("a march's provenance");
    assert_eq!((p.started_from.as_str(), p.first_iteration), ("random", 0));
    assert!(b.state.is_none());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.params), bits(&b.params));
    assert_eq!(
        bits(a.history.column("loss").unwrap()),
        bits(b.history.column("loss").unwrap())
    );
    assert_eq!(
        a.metrics.rel_l2.map(f64::to_bits),
        b.metrics.rel_l2.map(f64::to_bits)
    );

    let groups = Command::new(python::python())
        .arg("-c")
        .arg("import h5py,sys; f=h5py.File(sys.argv[1]); print(sorted(f.keys()), f.attrs['format_version'])")
        .arg(d.join("plain.h5"))
        .output()
        .expect("python3 with h5py is needed");
    let g = String::from_utf8_lossy(&groups.stdout);
    assert_eq!(
        g.trim(),
        format!(
            "['collocation', 'config', 'evaluation', 'history', 'metrics', 'model', 'provenance', 'state'] {}",
            pinn::output::FORMAT_VERSION
        ),
        "{}",
        String::from_utf8_lossy(&groups.stderr)
    );

    // --init from a slab result is refused, with the reason.
    let o = pinn()
        .args(["solve", "--no-plots", "--max-iters", "1", "--init"])
        .arg(d.join("one.h5"))
        .arg("--out")
        .arg(d.join("again.h5"))
        .arg(d.join("plain.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("one network per slab"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_documented_time_slab_example_is_a_valid_problem() {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let section = doc.find("## Time slabs").expect("the time slab section");
    let start = section + doc[section..].find("```toml\n").unwrap() + 8;
    let len = doc[start..].find("```").unwrap();
    let d = scratch!("doc");
    let path = d.join("heat-marched.toml");
    std::fs::write(&path, &doc[start..start + len]).unwrap();
    let p = load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let s = p.time_slabs.clone().unwrap();
    assert_eq!(s.boundaries, vec![0.0, 0.2, 0.5, 1.0]);
    assert_eq!(s.time_var, 0);
    let slab = p.slab_problem(1, Some(&p.initial_params())).unwrap();
    assert_eq!((slab.domain.lo()[0], slab.domain.hi()[0]), (0.2, 0.5));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_checkpoint_and_a_stopped_march_are_valid_files_of_the_slabs_so_far() {
    let d = scratch!("checkpoint");
    let problem = load_problem(&root().join("tests/problems/heat-slabs.toml")).unwrap();
    let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
    config.termination.max_iterations = 20;
    let checkpoint = d.join("checkpoint.h5");
    let schedule =
        pinn::output::Checkpointer::new(Some(7), None, std::time::Instant::now()).unwrap();
    let plan = pinn::run::CheckpointPlan {
        path: &checkpoint,
        schedule,
    };
    let outcome = pinn::march::run_slabs(
        &problem,
        &config,
        &problem.initial_params(),
        Some(plan),
        |k, rec, _, _| {
            if k == 1 && rec.iteration == 9 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        },
    )
    .unwrap();
    // Stopped in slab 2 of 3: two slabs stored, evaluation on their points only.
    assert_eq!(outcome.slabs.len(), 2);
    let stopped = d.join("stopped.h5");
    pinn::output::write_atomic(&stopped, &outcome.result).unwrap();
    let cp = read(&checkpoint).unwrap();
    let slabs = cp.time_slabs.as_ref().unwrap();
    assert_eq!(slabs.slabs.len(), 2);
    assert_eq!(slabs.slabs[1].termination, "Checkpoint");
    let t_end = 2.0 / 3.0;
    assert!((0..cp.evaluation.points.nrows()).all(|i| cp.evaluation.points[(i, 0)] < t_end));
    assert!(cp.evaluation.points.nrows() > 0 && cp.evaluation.points.nrows() < 2000);
    for f in [&checkpoint, &stopped] {
        let v = pinn().arg("validate").arg(f).output().unwrap();
        let vt = String::from_utf8_lossy(&v.stdout);
        assert_eq!(v.status.code(), Some(0), "{}: {vt}", f.display());
        assert!(vt.contains("slab 2 final_loss"), "{vt}");
        let py = Command::new(python::python())
            .arg(root().join("validation/check_result.py"))
            .arg(f)
            .output()
            .unwrap();
        let pt = String::from_utf8_lossy(&py.stdout);
        assert_eq!(py.status.code(), Some(0), "{pt}");
        assert!(pt.contains("2 of 3 time slabs"), "{pt}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn progress_lines_count_the_time_of_the_whole_march() {
    // Each slab's solver clock starts at zero; the log must not: its elapsed time rises
    // and the time left of the march's one budget falls from slab to slab.
    let d = scratch!("heat-progress");
    let text = solve_with(
        &root().join("tests/problems/heat-slabs.toml"),
        &d.join("heat.h5"),
        &[
            "--threads",
            "1",
            "--time-limit",
            "1.5",
            "--max-iters",
            "100000000",
            "--log-every",
            "100",
        ],
    );
    let seconds = |field: &str| -> f64 {
        let v: Vec<&str> = field.split_whitespace().collect();
        assert_eq!(v.len(), 2, "{field}");
        assert_eq!(v[1], "s", "{field}");
        v[0].parse().unwrap()
    };
    let mut times = Vec::new();
    for l in text
        .lines()
        .filter(|l| l.starts_with("slab ") && l.contains(" iter "))
    {
        let fields: Vec<&str> = l.split("  ").collect();
        let left = fields.last().unwrap().trim_end_matches(" left");
        times.push((seconds(fields[1]), seconds(left), l.to_string()));
    }
    assert!(times.iter().any(|t| t.2.starts_with("slab 3/3")), "{text}");
    for w in times.windows(2) {
        assert!(
            w[1].0 >= w[0].0,
            "elapsed went back: {} / {}",
            w[0].2,
            w[1].2
        );
        assert!(
            w[1].1 <= w[0].1,
            "time left went up: {} / {}",
            w[0].2,
            w[1].2
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// An ansatz that adds a known function of `t` to the network (`u = N + g(t, x)`) builds
/// in no data at the first time, so a march accepts it; each later slab's initial data
/// is the previous slab's solution through the ansatz. An ansatz that multiplies `N` by
/// a function of `t` stays refused.
#[test]
fn a_march_carries_an_additive_ansatz_in_time_and_refuses_a_constraining_one() {
    let d = scratch!("heat-additive");
    let text = std::fs::read_to_string(root().join("tests/problems/heat-slabs.toml")).unwrap();
    let additive = text.replace("name = \"heat-slabs\"", "name = \"heat-additive\"")
        + "\n[transform]\nu = \"N + t*x*(1 - x)*exp(-t)\"\n";
    let file = d.join("heat-additive.toml");
    std::fs::write(&file, &additive).unwrap();
    let out = d.join("heat-additive.h5");
    solve(&file, &out, "100");
    let r = read(&out).unwrap();
    let rel = r.metrics.rel_l2.unwrap();
    assert!(rel < 1e-2, "rel L2 {rel}");
    let slabs = r.time_slabs.as_ref().unwrap();
    let problem = load_problem(&file).unwrap();
    for k in 1..3 {
        let prev = &slabs.slabs[k - 1].params;
        let slab = problem.slab_problem(k, Some(prev)).unwrap();
        let (pts, targets) = initial_data(&slab, "initial");
        let u_prev = problem.solution(prev, pts.as_ref());
        for (i, &g) in targets.iter().enumerate() {
            assert!((g - u_prev[(i, 0)]).abs() <= 1e-14, "slab {k} point {i}");
        }
    }

    let bound = d.join("heat-bound.toml");
    std::fs::write(
        &bound,
        additive
            .replace("name = \"heat-additive\"", "name = \"heat-bound\"")
            .replace("N + t*x*(1 - x)*exp(-t)", "N*exp(-t)"),
    )
    .unwrap();
    let o = pinn().arg("check").arg(&bound).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0));
    assert!(err.contains("reads the time variable `t`"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// `warm_start = "first_slab"`: a solver that switches from Adam to L-BFGS runs Adam in
/// the first slab only, every later slab L-BFGS from its first iteration; by default
/// each slab starts with Adam again. The option is read from the file.
#[test]
fn the_warm_start_runs_in_every_slab_or_in_the_first_only() {
    let path = root().join("tests/problems/heat-slabs.toml");
    let mut problem = load_problem(&path).unwrap();
    let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
    config.method = pinn_solvers::Method::Adam;
    config.switch = Some(pinn_solvers::config::SwitchConfig {
        after_iterations: 4,
        then: pinn_solvers::Method::Lbfgs,
    });
    config.termination.max_iterations = 10;
    let methods = |problem: &Problem| {
        let mut seen: Vec<Vec<pinn_solvers::Method>> = vec![Vec::new(); 3];
        pinn::march::run_slabs(
            problem,
            &config,
            &problem.initial_params(),
            None,
            |k, rec, _, _| {
                seen[k].push(rec.method);
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap();
        seen
    };
    use pinn_solvers::Method::{Adam, Lbfgs};
    let every = methods(&problem);
    for slab in &every {
        assert_eq!(slab[..4], [Adam; 4], "{every:?}");
        assert!(slab[4..].iter().all(|&m| m == Lbfgs), "{every:?}");
    }
    assert!(problem.time_slabs.as_ref().unwrap().warm_start_every_slab);
    problem.time_slabs.as_mut().unwrap().warm_start_every_slab = false;
    let first = methods(&problem);
    assert_eq!(first[0], every[0]);
    for slab in &first[1..] {
        assert!(
            !slab.is_empty() && slab.iter().all(|&m| m == Lbfgs),
            "{first:?}"
        );
    }

    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("name = \"heat-slabs\"\n", "")
        + "warm_start = \"first_slab\"\n";
    let d = scratch!("warm-start");
    let file = d.join("heat-first-slab.toml");
    std::fs::write(&file, text).unwrap();
    let loaded = load_problem(&file).unwrap();
    assert!(!loaded.time_slabs.as_ref().unwrap().warm_start_every_slab);
    std::fs::remove_dir_all(&d).unwrap();
}

/// `curvature = "carried"`: every slab after the first starts SSBroyden from the inverse
/// Hessian the previous slab's solver ended with. Slab 0 runs the same bits either way
/// (so slab 1 starts from the same θ), the later slabs differ from a fresh start, and `"fresh"` is the default bit for bit.
/// The option is read from the file, and a bad value is refused at its place.
#[test]
fn a_slab_may_start_from_the_previous_slabs_curvature_memory() {
    let path = root().join("tests/problems/heat-slabs.toml");
    let mut problem = load_problem(&path).unwrap();
    let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
    config.method = pinn_solvers::Method::SsBroyden;
    config.switch = None;
    config.termination.max_iterations = 12;
    let losses = |problem: &Problem| {
        let mut seen: Vec<Vec<u64>> = vec![Vec::new(); 3];
        let out = pinn::march::run_slabs(
            problem,
            &config,
            &problem.initial_params(),
            None,
            |k, rec, _, _| {
                seen[k].push(rec.loss.to_bits());
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert!(out.summary.final_loss.is_finite());
        seen
    };
    assert!(!problem.time_slabs.as_ref().unwrap().carry_curvature);
    let fresh = losses(&problem);
    problem.time_slabs.as_mut().unwrap().carry_curvature = true;
    let carried = losses(&problem);
    assert_eq!(carried[0], fresh[0]);
    for k in 1..3 {
        assert_ne!(carried[k], fresh[k], "slab {k} ran as if started afresh");
    }

    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("name = \"heat-slabs\"\n", "");
    let d = scratch!("curvature");
    let file = d.join("heat-carried.toml");
    std::fs::write(&file, text.clone() + "curvature = \"carried\"\n").unwrap();
    assert!(
        load_problem(&file)
            .unwrap()
            .time_slabs
            .unwrap()
            .carry_curvature
    );
    std::fs::write(&file, text.clone() + "curvature = \"fresh\"\n").unwrap();
    let explicit = load_problem(&file).unwrap();
    assert!(!explicit.time_slabs.as_ref().unwrap().carry_curvature);
    problem.time_slabs.as_mut().unwrap().carry_curvature = false;
    assert_eq!(losses(&explicit), fresh);
    std::fs::write(&file, text.clone() + "curvature = \"kept\"\n").unwrap();
    let err = load_problem(&file).err().expect("a bad value").to_string();
    let line = text.lines().count() + 1;
    assert!(
        err.contains(&format!(":{line}:13"))
            && err.contains("\"fresh\"")
            && err.contains("\"kept\""),
        "{err}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}
