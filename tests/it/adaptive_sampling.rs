//! Residual-based adaptive sampling (RAD) end to end: the documented syntax, the law of
//! the drawn points, reproducibility, located errors, and every solver preset training
//! through the solve loop on re-drawn point sets; the same for residual-based attention
//! (RBA) point weights, which change the problem through the same loop contract.

use crate::common::{heat_problem, problem_from_text, root};

use pinn::problem::{Problem, load_problem};
use pinn::solvers::LeastSquares;

/// The RAD example of docs/problem-files.md (the toml block with `adaptive =`), completed
/// with a domain, a small network and the Burgers conditions.
#[test]
fn the_documented_rad_example_loads_and_is_reported() {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let at = doc.find("adaptive = { method").expect("the RAD example");
    let start = doc[..at].rfind("```toml\n").unwrap() + 8;
    let len = doc[start..].find("```").unwrap();
    let fragment = &doc[start..start + len];
    let text = format!(
        r#"name = "burgers-rad"
[constants]
nu = 0.0031830988618379067
[domain]
variables = ["t", "x"]
bounds = [[0.0, 1.0], [-1.0, 1.0]]
time = "t"
[model]
layers = [2, 8, 1]
{fragment}
[[blocks]]
name = "initial"
kind = "initial"
value = "-sin(pi*x)"
points = {{ count = 50 }}
[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = {{ count = 50 }}
"#
    );
    let p = problem_from_text("burgers-rad", &text);
    let a = p.sampling[0]
        .adaptive
        .expect("the interior block is adaptive");
    assert_eq!(a.pool, 100_000);
    assert_eq!(
        a.density,
        pinn::residual::adaptive::Rad::new(1.0, 1.0).unwrap().into()
    );
    assert_eq!(p.resample_every, Some(20));
    assert!(p.sampling[1].adaptive.is_none());
    let report = pinn::cli::check::check_report(&p);
    assert!(
        report.contains("interior: 10000 of a pool of 100000 points by RAD (k = 1, c = 1)"),
        "{report}"
    );
    // 10⁵ × (2 + 4) × 8 bytes.
    assert!(report.contains("pool memory 4.6 MiB"), "{report}");
    let mut model = p.residual_model();
    assert!(model.is_adaptive(0) && !model.is_adaptive(1));
    let theta = p.initial_params();
    let before = model.blocks()[0].points().to_owned();
    assert!(!model.resample(10, &theta));
    assert!(model.resample(20, &theta));
    let after = model.blocks()[0].points().to_owned();
    assert_eq!(after.nrows(), 10_000);
    assert!((0..10_000).any(|i| after[(i, 1)] != before[(i, 1)]));
}

/// `u_x − x = 0` on `[0, 1]`: at θ = 0 the network is 0 and the residual is `−x`.
fn ramp(k: f64, c: f64, count: usize, pool: usize) -> Problem {
    ramp_with(
        &format!(r#"{{ method = "rad", pool = {pool}, k = {k:?}, c = {c:?} }}"#),
        count,
    )
}

/// [`ramp`] with the interior's `adaptive` table given as text.
fn ramp_with(adaptive: &str, count: usize) -> Problem {
    problem_from_text(
        "ramp",
        &format!(
            r#"name = "ramp"
[domain]
variables = ["x"]
bounds = [[0.0, 1.0]]
[[blocks]]
name = "interior"
kind = "pde"
equation = "u_x - x"
points = {{ count = {count}, sampler = "uniform" }}
adaptive = {adaptive}
[[blocks]]
name = "left"
kind = "dirichlet"
faces = ["x_min"]
value = "0"
points = {{ count = 1 }}
[model]
layers = [1, 4, 1]
[collocation]
seed = 3
resample_every = 1
"#
        ),
    )
}

/// The Kolmogorov–Smirnov distance between the sample and the CDF `F`.
fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max((f - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max)
}

/// With `|r| = x`, RAD's density on `[0, 1]` is `(x/E x + c)/(1 + c)`: for `k = 1, c = 0`
/// the CDF is `x²`, for `c = 1` it is `(x² + x)/2`. 2 000 points drawn from a pool of
/// 200 000 (so drawing without replacement is nearly independent): the KS distance must
/// be below `1.95/√n = 0.0436`, the 0.999 quantile. Fixed seeds; a uniform draw is at
/// distance ≈ 0.25 from `x²` and fails.
#[test]
fn drawn_points_follow_the_rad_density() {
    for (c, cdf) in [
        (0.0, (|x: f64| x * x) as fn(f64) -> f64),
        (1.0, |x: f64| 0.5 * (x * x + x)),
    ] {
        let p = ramp(1.0, c, 2000, 200_000);
        let mut model = p.residual_model();
        let theta = vec![0.0; model.n_params()];
        for iteration in [1, 2] {
            assert!(model.resample(iteration, &theta));
            let pts = model.blocks()[0].points();
            let xs: Vec<f64> = (0..pts.nrows()).map(|i| pts[(i, 0)]).collect();
            let d = ks(xs.clone(), cdf);
            assert!(
                d < 0.0436,
                "c = {c}, iteration {iteration}: KS distance {d}"
            );
            assert!(ks(xs, |x| x) > 0.1, "the draw is not uniform");
        }
    }
}

/// vRBA's annealed exponential density on the ramp `|r| = x` (max ≈ 1): at draw `n` the
/// weight is `(n + 2)^{(x − 1)/c_log}`, a density `∝ aˣ` with `a = (n + 2)^{1/c_log}` and
/// the CDF `(aˣ − 1)/(a − 1)`. With `resample_every = 1` the draw at iteration `n` is
/// draw `n`: iterations 1 and 30 (a = 3 and 32 for c_log = 1; a = √32 for c_log = 2)
/// each follow their own law (KS below the 0.999 quantile 0.0436, 2 000 of 200 000
/// points) and not the other's, so the density sharpens as the draws go on; `pinn
/// check` names the rule.
#[test]
fn drawn_points_follow_the_annealed_vrba_density() {
    let cdf = |a: f64| move |x: f64| (a.powf(x) - 1.0) / (a - 1.0);
    for c_log in [1.0, 2.0] {
        let p = ramp_with(
            &format!(r#"{{ method = "vrba", pool = 200000, c_log = {c_log:?} }}"#),
            2000,
        );
        let report = pinn::cli::check::check_report(&p);
        assert!(
            report.contains(&format!(
                "interior: 2000 of a pool of 200000 points by vRBA, exponential potential annealed by ln(draw + 2) (c_log = {c_log})"
            )),
            "{report}"
        );
        let mut model = p.residual_model();
        let theta = vec![0.0; model.n_params()];
        let draw = |model: &mut pinn::residual::model::ResidualModel, iteration| {
            assert!(model.resample(iteration, &theta));
            let pts = model.blocks()[0].points();
            (0..pts.nrows()).map(|i| pts[(i, 0)]).collect::<Vec<f64>>()
        };
        let (early, late) = (draw(&mut model, 1), draw(&mut model, 30));
        let (a_early, a_late) = (3f64.powf(1.0 / c_log), 32f64.powf(1.0 / c_log));
        let d = ks(early.clone(), cdf(a_early));
        assert!(d < 0.0436, "c_log = {c_log}, draw 1: KS distance {d}");
        let d = ks(late.clone(), cdf(a_late));
        assert!(d < 0.0436, "c_log = {c_log}, draw 30: KS distance {d}");
        assert!(
            ks(early, cdf(a_late)) > 0.1,
            "draw 1 is as sharp as draw 30"
        );
        assert!(ks(late, cdf(a_early)) > 0.1, "draw 30 is as flat as draw 1");
    }
}

#[test]
fn draws_are_reproducible_from_the_seed_and_iteration() {
    let p = ramp(1.0, 1.0, 200, 5000);
    let theta: Vec<f64> = (0..p.mlp.n_params()).map(|i| 0.1 * i as f64).collect();
    let (mut a, mut b) = (p.residual_model(), p.residual_model());
    assert!(a.resample(4, &theta) && b.resample(4, &theta));
    assert_eq!(a.blocks()[0].points(), b.blocks()[0].points());
    let first = a.blocks()[0].points().to_owned();
    assert!(a.resample(5, &theta));
    assert_ne!(a.blocks()[0].points(), first.as_ref());
    // Another θ changes the residuals and so the draw, from the same pool.
    let other: Vec<f64> = theta.iter().map(|t| 0.5 * t).collect();
    assert!(b.resample(5, &other));
    assert_ne!(a.blocks()[0].points(), b.blocks()[0].points());
}

/// Every error of the `adaptive` table names the file, line and column of the value.
#[test]
fn bad_adaptive_settings_are_located_errors() {
    let dir = root().join("tests/bad_inputs");
    for (file, line, column) in [
        ("adaptive_negative_k", 13, 47),
        ("adaptive_negative_c", 13, 47),
        ("adaptive_pool_too_small", 13, 37),
        ("adaptive_without_resample", 13, 12),
        ("adaptive_on_condition", 20, 12),
        ("adaptive_grid_pool", 13, 37),
        ("adaptive_vrba_zero_c_log", 13, 52),
        ("adaptive_vrba_with_k", 13, 48),
        ("adaptive_rad_with_c_log", 13, 51),
    ] {
        let path = dir.join(format!("{file}.toml"));
        let Err(e) = load_problem(&path) else {
            panic!("{file}: accepted")
        };
        let at = e.at.unwrap_or_else(|| panic!("{file}: no place: {e}"));
        assert_eq!((at.line, at.column), (line, column), "{file}: {e}");
    }
}

/// Every solver preset trains on RAD-drawn points through the loop: 12 iterations with a
/// re-draw every 3, the loss finite, the final points those of the last draw (stored in
/// the result), every re-draw flagged in the history.
#[test]
fn every_preset_trains_with_rad() {
    let p = problem_from_text(
        "heat-rad",
        &format!(
            "name = \"heat-rad\"\n{}",
            heat_problem(
                60,
                r#"adaptive = { method = "rad", pool = 600, k = 2, c = 0.5 }"#,
                20,
                "[model]\nlayers = [2, 6, 1]\n[collocation]\nseed = 5\nresample_every = 3\n",
            )
        ),
    );
    let first = p.blocks[0].points().to_owned();
    for (name, _) in pinn::presets::PRESETS {
        let mut table = toml::Table::new();
        table.insert("preset".into(), toml::Value::String(name.to_string()));
        let mut config = pinn::presets::solver_config(&table, None).unwrap();
        config.termination.max_iterations = 12;
        config.termination.time_limit_seconds = None;
        if let Some(sw) = config.switch.as_mut() {
            sw.after_iterations = 5;
        }
        let theta0 = p.initial_params();
        let outcome = pinn::run::run(&p, &config, &theta0, None, |_, _, _| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = &outcome.summary;
        assert!(s.final_loss.is_finite(), "{name}: {}", s.final_loss);
        let redrawn: Vec<usize> = s
            .history
            .iter()
            .filter(|r| r.resampled)
            .map(|r| r.iteration)
            .collect();
        assert!(!redrawn.is_empty(), "{name}: no re-draw");
        assert!(redrawn.iter().all(|i| i % 3 == 0), "{name}: {redrawn:?}");
        let (block, stored) = &outcome.result.collocation[0];
        assert_eq!(block, "interior");
        assert_eq!(stored.nrows(), 60);
        assert_ne!(stored.as_ref(), first.as_ref(), "{name}: points unchanged");
    }
}

/// The RBA example of docs/problem-files.md (the toml block with `weights =`),
/// completed like the RAD example; `pinn check` reports the weights.
#[test]
fn the_documented_rba_example_loads_and_is_reported() {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let at = doc.find("weights = { method").expect("the RBA example");
    let start = doc[..at].rfind("```toml\n").unwrap() + 8;
    let len = doc[start..].find("```").unwrap();
    let fragment = &doc[start..start + len];
    let text = format!(
        r#"name = "burgers-rba"
[constants]
nu = 0.0031830988618379067
[domain]
variables = ["t", "x"]
bounds = [[0.0, 1.0], [-1.0, 1.0]]
time = "t"
[model]
layers = [2, 8, 1]
{fragment}
[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = {{ count = 50 }}
"#
    );
    let p = problem_from_text("burgers-rba", &text);
    let w = p.sampling[0]
        .weights
        .expect("the interior block is weighted");
    assert_eq!((w.gamma(), w.eta(), w.every()), (0.999, 0.01, 1));
    assert!(p.sampling[1].weights.is_some() && p.sampling[2].weights.is_none());
    let report = pinn::cli::check::check_report(&p);
    assert!(
        report.contains(
            "weights   interior: RBA, λ ← 0.999·λ + 0.01·|r|/max|r| every 1 iteration(s), from 0 with a first update at θ₀"
        ),
        "{report}"
    );
    let mut model = p.residual_model();
    let theta = p.initial_params();
    assert!(model.point_weights(0).unwrap().iter().all(|&l| l == 0.0));
    model.start_point_weights(&theta);
    let w = model.point_weights(0).unwrap();
    assert!(w.iter().all(|&l| (0.0..=0.01).contains(&l)), "{w:?}");
    assert!(w.contains(&0.01), "the largest residual gets the full rate");
}

/// Every solver preset trains with RBA weights changing every 2 iterations: the loss
/// finite, the weights stored, updated and within `[0, η/(1 − γ)]`.
#[test]
fn every_preset_trains_with_rba_weights() {
    let p = problem_from_text(
        "heat-rba",
        &format!(
            "name = \"heat-rba\"\n{}",
            heat_problem(
                60,
                r#"weights = { method = "rba", gamma = 0.9, eta = 0.2, every = 2 }"#,
                20,
                "[model]\nlayers = [2, 6, 1]\n",
            )
        ),
    );
    for (name, _) in pinn::presets::PRESETS {
        let mut table = toml::Table::new();
        table.insert("preset".into(), toml::Value::String(name.to_string()));
        let mut config = pinn::presets::solver_config(&table, None).unwrap();
        config.termination.max_iterations = 12;
        config.termination.time_limit_seconds = None;
        if let Some(sw) = config.switch.as_mut() {
            sw.after_iterations = 5;
        }
        let theta0 = p.initial_params();
        let outcome = pinn::run::run(&p, &config, &theta0, None, |_, _, _| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = &outcome.summary;
        assert!(s.final_loss.is_finite(), "{name}: {}", s.final_loss);
        let changed: Vec<usize> = s
            .history
            .iter()
            .filter(|r| r.resampled)
            .map(|r| r.iteration)
            .collect();
        assert!(!changed.is_empty(), "{name}: no weight update");
        assert!(changed.iter().all(|i| i % 2 == 0), "{name}: {changed:?}");
        let (block, w) = &outcome.result.collocation_weights[0];
        assert_eq!((block.as_str(), w.len()), ("interior", 60));
        assert!(w.iter().any(|&l| l > 0.0), "{name}: weights never updated");
        assert!(
            w.iter().all(|&l| (0.0..=0.2 / 0.1).contains(&l)),
            "{name}: {w:?}"
        );
    }
}
