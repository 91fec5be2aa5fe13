//! Multi-stage training end to end: a small Poisson problem whose tanh stage 1 stops at
//! its floor and whose `sin` correction stage lowers the error; the result re-checked by
//! `pinn validate` (the error after every stage recomputed from the stored networks) and
//! by numpy; `--stages` on the command line; the combination with `[time_slabs]` refused.

use crate::common::{assert_refused_at, pinn, python, root, scratch};

use std::path::Path;
use std::process::Command;

use pinn::output::read;
use pinn::problem::load_problem;

/// Poisson on the unit square, 2→16→1 tanh, then a 2→16→1 sin correction; 600 LM
/// iterations each (about 4 s in release on 2 cores).
const POISSON: &str = r#"
[domain]
variables = ["x", "y"]
bounds = [[0.0, 1.0], [0.0, 1.0]]

[[blocks]]
name = "interior"
kind = "pde"
equation = "-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)"
points = { count = 900, sampler = "uniform" }

[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = { count = 160, sampler = "uniform" }

[exact]
u = "sin(pi*x)*sin(pi*y)"

[model]
layers = [2, 16, 1]
activation = "tanh"

[collocation]
seed = 1

[evaluation]
count = 2000
sampler = "uniform"
seed = 2

[solver]
preset = "lm"
max_iters = 600
"#;

const STAGE: &str = r#"
[[stages]]
layers = [2, 16, 1]
activation = "sin"
[stages.solver]
preset = "lm"
max_iters = 600
"#;

/// Runs `pinn ARGS FILE`: its exit code and its stdout and stderr.
fn pinn_on(args: &[&str], file: &Path) -> (i32, String) {
    let o = pinn().args(args).arg(file).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

#[test]
fn a_correction_stage_lowers_the_error_and_the_result_checks_out() {
    let d = scratch!("poisson");
    let file = d.join("poisson.toml");
    std::fs::write(&file, format!("{POISSON}{STAGE}")).unwrap();
    let out = d.join("poisson.h5");
    let (code, text) = pinn_on(
        &["solve", "--no-plots", "--out", out.to_str().unwrap()],
        &file,
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("stage 2/2 (sin [2, 16, 1]"), "{text}");

    let r = read(&out).unwrap();
    let stages = &r.stages.as_ref().expect("/stages").stages;
    assert_eq!(stages.len(), 2);
    let (s1, s2) = (&stages[0], &stages[1]);
    assert_eq!((s1.epsilon, s1.kappa), (1.0, 1.0));
    assert_eq!(s1.activation, "tanh");
    assert_eq!(s2.activation, "sin");
    // ε₂ is of the size of stage 1's error, far below the solution's O(1).
    assert!(s2.epsilon > 0.0 && s2.epsilon < 1e-3, "ε₂ = {}", s2.epsilon);
    assert!(s2.kappa >= 1.0 && s2.frequency.is_finite());
    // The correction measurably lowers the error and the loss of the sum.
    assert!(
        s2.rel_l2 < 0.75 * s1.rel_l2,
        "stage 1 {:e}, stage 2 {:e}",
        s1.rel_l2,
        s2.rel_l2
    );
    assert!(s2.final_loss < s1.final_loss);
    // The summary has a line per stage (its iterations, loss and error as stored) and
    // the total, not the last stage's figures only.
    for (k, s) in [s1, s2].into_iter().enumerate() {
        let head = format!("  stage {}/2 ", k + 1);
        let line = text
            .lines()
            .find(|l| l.starts_with(&head))
            .unwrap_or_else(|| panic!("no summary line for stage {}: {text}", k + 1));
        let want = format!("{} iterations in ", pinn::cli::format::count(s.iterations));
        assert!(line.contains(&want), "{line}");
        let loss = format!(", loss {}", pinn::cli::format::sci(s.final_loss));
        let rel = format!(", rel L2 {} (", pinn::cli::format::sci(s.rel_l2));
        assert!(line.contains(&loss) && line.contains(&rel), "{line}");
        assert!(line.ends_with(&format!("({})", s.termination)), "{line}");
    }
    let total = format!(
        "  total             {} iterations in ",
        pinn::cli::format::count(s1.iterations + s2.iterations)
    );
    assert!(text.lines().any(|l| l.starts_with(&total)), "{text}");
    // The stored per-stage errors are the result's: the last is /metrics, /model is the
    // last stage, and the iterations add up.
    assert_eq!(r.metrics.rel_l2, Some(s2.rel_l2));
    assert_eq!(r.params, s2.params);
    assert_eq!(r.layers, s2.layers);
    assert_eq!(r.metrics.iterations, s1.iterations + s2.iterations);
    assert_eq!(s1.history.len() as u64, s1.iterations);
    assert!(r.state.is_none());

    // The problem rebuilt from the file evaluates the sum exactly as stored.
    let problem = load_problem(&file).unwrap();
    let rebuilt = pinn::stages::stored_problem(&problem, r.stages.as_ref().unwrap())
        .unwrap()
        .unwrap();
    let u = rebuilt.solution(&r.params, r.evaluation.points.as_ref());
    assert_eq!(u, r.evaluation.u);
    // Stage 1 alone is the stored stage-1 error, so evaluation does not use the sum by
    // accident only.
    let u1 = problem.solution(&s1.params, r.evaluation.points.as_ref());
    let e1 = pinn::output::rel_l2(&u1, r.evaluation.u_exact.as_ref().unwrap());
    assert_eq!(e1, s1.rel_l2);

    let (code, text) = pinn_on(&["validate"], &out);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("stage 2 rel L2 of the sum"), "{text}");
    assert!(text.contains("every stored quantity reproduced"), "{text}");

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
    assert!(pt.contains("2 stages") && pt.contains("agree"), "{pt}");

    // pinn eval reads the sum too.
    let pts = d.join("pts.csv");
    std::fs::write(&pts, "x,y\n0.5,0.5\n0.25,0.75\n").unwrap();
    let csv = d.join("u.csv");
    let (code, text) = pinn_on(
        &[
            "eval",
            "--points",
            pts.to_str().unwrap(),
            "--out",
            csv.to_str().unwrap(),
        ],
        &out,
    );
    assert_eq!(code, 0, "{text}");
    let want = rebuilt.solution(&r.params, faer::mat![[0.5, 0.5], [0.25, 0.75]].as_ref());
    let body = std::fs::read_to_string(&csv).unwrap();
    let first: f64 = body
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next_back()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((first - want[(0, 0)]).abs() <= 1e-15, "{body}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A correction that ends above the loss of the sum without it (here two Adam steps
/// of length 1 from its random start) is left out: the result is stage 1's, bit for
/// bit, the later stage is not run, and the output says so.
#[test]
fn a_correction_stage_that_makes_the_sum_worse_is_left_out() {
    let d = scratch!("worse");
    let bad = r#"
[[stages]]
layers = [2, 16, 1]
activation = "sin"
[stages.solver]
preset = "adam"
max_iters = 2
[stages.solver.adam]
learning_rate = 1.0
"#;
    let short = POISSON.replace("max_iters = 600", "max_iters = 100");
    let file = d.join("p.toml");
    std::fs::write(&file, format!("{short}{bad}{bad}")).unwrap();
    let out = d.join("p.h5");
    let (code, text) = pinn_on(
        &["solve", "--no-plots", "--out", out.to_str().unwrap()],
        &file,
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("stage 2 did not lower the loss of the sum")
            && text
                .contains("the result is the sum of stages 1 to 1; the later stages were not run"),
        "{text}"
    );
    assert!(!text.contains("stage 3"), "{text}");
    let r = read(&out).unwrap();
    assert_eq!(r.stages.as_ref().unwrap().stages.len(), 1);

    let alone = d.join("alone.h5");
    let (code, text) = pinn_on(
        &[
            "solve",
            "--no-plots",
            "--stages",
            "1",
            "--out",
            alone.to_str().unwrap(),
        ],
        &file,
    );
    assert_eq!(code, 0, "{text}");
    let a = read(&alone).unwrap();
    assert_eq!(r.params, a.params, "the result is stage 1's network");
    assert_eq!(r.metrics.rel_l2, a.metrics.rel_l2);
    let (code, text) = pinn_on(&["validate"], &out);
    assert_eq!(code, 0, "{text}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn stages_on_the_command_line_repeat_a_default_correction() {
    let d = scratch!("cli");
    let file = d.join("p.toml");
    std::fs::write(&file, POISSON.replace("max_iters = 600", "max_iters = 40")).unwrap();
    let out = d.join("p.h5");
    let (code, text) = pinn_on(
        &[
            "solve",
            "--no-plots",
            "--stages",
            "3",
            "--out",
            out.to_str().unwrap(),
        ],
        &file,
    );
    assert_eq!(code, 0, "{text}");
    let r = read(&out).unwrap();
    let st = &r.stages.unwrap().stages;
    assert_eq!(st.len(), 3);
    for s in &st[1..] {
        assert_eq!(
            (s.activation.as_str(), s.layers.as_slice()),
            ("sin", &[2, 16, 1][..])
        );
        assert_eq!(s.iterations, 40);
    }
    // Different seeds: the repeated stages are not the same network.
    assert_ne!(st[1].params, st[2].params);
    let (code, text) = pinn_on(&["validate"], &out);
    assert_eq!(code, 0, "{text}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_stages_are_refused_at_their_place() {
    let d = scratch!("bad");
    // (tail appended to the file, message, (line in the tail, column)).
    type Case<'a> = (&'a str, &'a str, Option<(usize, usize)>);
    let cases: [Case<'_>; 6] = [
        (
            "[[stages]]\nactivation = \"relu\"\n",
            "unknown activation `relu`",
            Some((2, 14)),
        ),
        (
            "[[stages]]\nlayers = [2, 8, 3]\n",
            "must start with 2 and end with 1",
            Some((2, 10)),
        ),
        (
            "[[stages]]\n[stages.solver]\nmax_iter = 5\n",
            "in `[stages.solver]` of stage 2, `max_iter`",
            Some((3, 1)),
        ),
        (
            "[[stages]]\n[stages.solver]\npreset = \"lm\"\nmax_iters = -3\n",
            "`max_iters`",
            Some((4, 13)),
        ),
        (
            "[[stages]]\n[stages.solver]\npreset = \"lm\"\nthreads = 1\n",
            "`threads` cannot be set in `[stages.solver]` of stage 2",
            Some((4, 1)),
        ),
        (
            "[[stages]]\nresample_every = -2\n",
            "`resample_every` must be ≥ 0, found -2",
            Some((2, 18)),
        ),
    ];
    // `[[stages]]` with `[time_slabs]` trains corrections in every slab; what it refuses
    // is checked in `slab_stages.rs`.
    for (k, (tail, message, place)) in cases.iter().enumerate() {
        let file = d.join(format!("bad{k}.toml"));
        let text = format!("{POISSON}{tail}");
        std::fs::write(&file, &text).unwrap();
        let (code, out) = pinn_on(&["check"], &file);
        assert_ne!(code, 0, "{tail}: {out}");
        assert!(out.contains(message), "{tail}: {out}");
        if let Some((line, col)) = place {
            let line = POISSON.lines().count() + line;
            let want = format!("bad{k}.toml:{line}:{col}");
            assert!(out.contains(&want), "{tail}: want {want}: {out}");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// `STAGE` with `line` added to its `[[stages]]` table.
fn stage_with(line: &str) -> String {
    STAGE.replace(
        "activation = \"sin\"\n",
        &format!("activation = \"sin\"\n{line}\n"),
    )
}

/// Stage 1 at its initial parameters, frozen under a correction of scale 1e-3.
fn frozen_of(p: &pinn::problem::Problem) -> pinn::residual::FrozenStages {
    pinn::residual::FrozenStages {
        stages: vec![pinn::residual::FrozenStage {
            mlp: p.mlp.clone(),
            theta: p.initial_params(),
            epsilon: 1.0,
        }],
        epsilon: 1e-3,
    }
}

/// A stage's own `resample_every` reaches its problem (stage 1 keeps the file's
/// interval), `pinn check` lists it, and 0 (fixed points) is refused where a block draws
/// its points adaptively, at the stage's key.
#[test]
fn a_stage_redraws_its_points_at_its_own_interval() {
    let d = scratch!("redraw");
    let redrawn = POISSON
        .replace("[collocation]\nseed = 1\n", "[collocation]\nseed = 1\nresample_every = 50\n")
        .replace(
            "points = { count = 900, sampler = \"uniform\" }",
            "points = { count = 900, sampler = \"uniform\" }\nadaptive = { method = \"rad\", pool = 4000 }",
        );
    assert!(redrawn.contains("resample_every = 50") && redrawn.contains("adaptive"));
    let text = format!("{redrawn}{}{STAGE}", stage_with("resample_every = 7"));
    let path = d.join("staged.toml");
    std::fs::write(&path, &text).unwrap();
    let p = load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.resample_every, Some(50));
    let (two, three) = (p.stage_setup(2), p.stage_setup(3));
    assert_eq!((two.resample_every, three.resample_every), (Some(7), None));
    let stage = p.stage_problem(&two, frozen_of(&p)).unwrap();
    assert_eq!(stage.resample_every, Some(7));
    assert!(stage.sampling[0].adaptive.is_some());
    assert_eq!(stage.blocks[0].points(), p.blocks[0].points());
    let stage = p.stage_problem(&three, frozen_of(&p)).unwrap();
    assert_eq!(stage.resample_every, Some(50));
    let (code, out) = pinn_on(&["check"], &path);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("stage 2   [2, 16, 1] Sin, P = 65, preset lm, stage 1's points, re-drawn every 7 iterations\n"),
        "{out}"
    );
    assert!(
        out.contains("stage 3   [2, 16, 1] Sin, P = 65, preset lm, stage 1's points\n"),
        "{out}"
    );
    let fixed = format!("{redrawn}{}", stage_with("resample_every = 0"));
    assert_refused_at(
        &d,
        "fixed",
        &fixed,
        "`resample_every = 0` keeps stage 2's points fixed, but block `interior` draws its \
         points adaptively",
        "resample_every = 0",
        18,
    );
    // Without adaptive blocks, 0 keeps a stage's points fixed.
    let plain = POISSON.replace(
        "[collocation]\nseed = 1\n",
        "[collocation]\nseed = 1\nresample_every = 50\n",
    );
    let path = d.join("plain.toml");
    std::fs::write(
        &path,
        format!("{plain}{}", stage_with("resample_every = 0")),
    )
    .unwrap();
    let p = load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let stage = p.stage_problem(&p.stage_setup(2), frozen_of(&p)).unwrap();
    assert_eq!((p.resample_every, stage.resample_every), (Some(50), None));
    // Solved, stage 1 re-drawn and stage 2 on fixed points: `pinn validate` rebuilds
    // stage 2's points from the stored text, finds them bit for bit as stored, and
    // recomputes the final loss on them.
    let out = d.join("plain.h5");
    let (code, text) = pinn_on(
        &[
            "solve",
            "--no-plots",
            "--quiet",
            "--max-iters",
            "60",
            "--out",
            out.to_str().unwrap(),
        ],
        &path,
    );
    assert_eq!(code, 0, "{text}");
    let (code, text) = pinn_on(&["validate"], &out);
    assert_eq!(code, 0, "{text}");
    for want in ["points of interior", "points of boundary", "final_loss"] {
        let line = text.lines().find(|l| l.contains(want));
        assert!(line.is_some_and(|l| l.ends_with("  ok")), "{want}: {text}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_documented_stages_example_and_the_shipped_files_are_valid_problems() {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let section = doc
        .find("## Multi-stage training")
        .expect("the stages section");
    let start = section + doc[section..].find("```toml\n").unwrap() + 8;
    let len = doc[start..].find("```").unwrap();
    let d = scratch!("doc");
    let path = d.join("poisson-staged.toml");
    std::fs::write(&path, &doc[start..start + len]).unwrap();
    let p = load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.stage_count(), 2);
    let s = p.stage_setup(2);
    assert_eq!((s.preset.as_str(), s.init_seed), ("lm", 5));
    assert_eq!(s.config.termination.max_iterations, 300);
    assert_eq!(s.collocation_seed, Some(3));
    assert_eq!(s.resample_every, Some(0));
    assert_eq!(format!("{:?}", s.mlp.activation()), "Sin");
    // Stage 2's problem draws its own points and sums the frozen stage 1.
    let stage = p.stage_problem(&s, frozen_of(&p)).unwrap();
    assert_ne!(stage.blocks[0].points(), p.blocks[0].points());
    assert_eq!(stage.evaluation, p.evaluation);
    let zero = vec![0.0; stage.mlp.n_params()];
    let u = stage.solution(&zero, p.evaluation.as_ref());
    assert_eq!(u, p.solution(&p.initial_params(), p.evaluation.as_ref()));
    for name in ["poisson2d-multistage", "heat1d-multistage"] {
        let p = load_problem(&root().join(format!("problems/{name}.toml")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.stage_count(), 2, "{name}");
        assert_eq!(p.stage_setup(2).preset, "gn-probe", "{name}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}
