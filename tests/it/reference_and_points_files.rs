//! Points and reference solutions read from HDF5 files: a run on points another program
//! chose, measured against a solution tabulated at points, checked end to end (the
//! error measured through `[reference]` equals the error against the closed form at the
//! same points, and `pinn validate` reproduces the stored claims).

use crate::common::{root, scratch};

use std::ops::ControlFlow;

use faer::Mat;
use hdf5_pure::{AttrValue, FileBuilder};
use pinn::problem::{ExactSolution, load_problem};

fn rows(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| (i, j)))
        .map(|(i, j)| m[(i, j)])
        .collect()
}

/// `n` pseudo-random points in the open unit square (a fixed LCG, no shared seed with
/// the problem's samplers).
fn points(n: usize, salt: u64) -> Mat<f64> {
    let mut s = 0x9e37_79b9_7f4a_7c15_u64 ^ salt;
    let mut next = || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    Mat::from_fn(n, 2, |_, _| next())
}

fn exact(x: f64, y: f64) -> f64 {
    (std::f64::consts::PI * x).sin() * (std::f64::consts::PI * y).sin()
}

const PROBLEM: &str = r#"
name = "poisson-files"
source = "test"
[domain]
variables = ["x", "y"]
bounds = [[0.0, 1.0], [0.0, 1.0]]
[[blocks]]
name = "interior"
kind = "pde"
equation = "-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)"
points = { file = "points.h5", dataset = "sets/interior" }
[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = { count = 40, sampler = "uniform" }
[reference]
file = "reference.h5"
[model]
layers = [2, 8, 1]
[solver]
preset = "lm"
"#;

#[test]
fn a_run_on_hdf5_points_measured_against_an_hdf5_reference_validates() {
    let dir = scratch!("ref-files");
    let interior = points(64, 1);
    let mut fb = FileBuilder::new();
    let mut g = fb.create_group("sets");
    g.create_dataset("interior")
        .with_f64_data(&rows(&interior))
        .with_shape(&[64, 2]);
    fb.add_group(g.finish());
    std::fs::write(dir.join("points.h5"), fb.finish().unwrap()).unwrap();

    let eval = points(300, 2);
    let values: Vec<f64> = (0..300)
        .map(|i| exact(eval[(i, 0)], eval[(i, 1)]))
        .collect();
    let mut fb = FileBuilder::new();
    fb.set_attr(
        "method",
        AttrValue::VarLenString("sin(πx) sin(πy). By hand.".into()),
    );
    fb.create_dataset("points")
        .with_f64_data(&rows(&eval))
        .with_shape(&[300, 2])
        .set_attr(
            "variables",
            AttrValue::VarLenStringArray(vec!["x".into(), "y".into()]),
        );
    fb.create_dataset("values")
        .with_f64_data(&values)
        .with_shape(&[300, 1]);
    std::fs::write(dir.join("reference.h5"), fb.finish().unwrap()).unwrap();
    let problem_path = dir.join("poisson-files.toml");
    std::fs::write(&problem_path, PROBLEM).unwrap();

    let p = load_problem(&problem_path).unwrap_or_else(|e| panic!("{e}"));
    let block = p.blocks[0].points();
    assert_eq!(
        rows(&block.to_owned()),
        rows(&interior),
        "the file's points, in order"
    );
    assert_eq!(
        rows(&p.evaluation),
        rows(&eval),
        "evaluation = reference points"
    );
    assert!(matches!(p.exact, Some(ExactSolution::Reference { .. })));
    assert!(pinn::cli::check::check_report(&p).contains("reference `reference.h5`"));

    let config = pinn::presets::solver_config(&p.solver, None).unwrap();
    let mut config = config;
    config.termination.max_iterations = 5;
    let out = pinn::run::run(&p, &config, &p.initial_params(), None, |_, _, _| {
        ControlFlow::Continue(())
    })
    .unwrap();
    let u = &out.result.evaluation.u;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..300 {
        let e = exact(eval[(i, 0)], eval[(i, 1)]);
        num += (u[(i, 0)] - e) * (u[(i, 0)] - e);
        den += e * e;
    }
    let rel = out.result.metrics.rel_l2.expect("a reference gives errors");
    assert!(((num / den).sqrt() - rel).abs() <= 1e-14 * rel, "{rel}");

    let result_path = dir.join("r.h5");
    pinn::output::write_atomic(&result_path, &out.result).unwrap();
    // Validate from elsewhere: the files are found beside the recorded problem file.
    assert_eq!(pinn::cli::validate::validate(&result_path), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_shipped_references_cover_their_grids() {
    let root = root().join("problems");
    for (name, nt, nx) in [
        ("burgers", 100, 256),
        ("burgers-nu001", 100, 1024),
        ("allen-cahn", 101, 256),
    ] {
        let path = root.join(format!("{name}.toml"));
        let p = load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.evaluation.nrows(), nt * nx, "{name}");
        let Some(ExactSolution::Reference { values, method, .. }) = &p.exact else {
            panic!("{name}: a reference solution");
        };
        assert!(
            !method.is_empty(),
            "{name}: the file says how it was computed"
        );
        assert!(values.nrows() == nt * nx && values.ncols() == 1);
    }
}
