//! Every shipped problem file parses against the problem-file schema.

use crate::common::{root, scratch};

#[test]
fn every_shipped_problem_file_parses() {
    let dir = root().join("problems");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("problems/ exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let (_, spec) = pinn::problem::load_spec(&path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(
            spec.name.as_ref().map(|n| n.get_ref().as_str()),
            Some(stem),
            "{}: name must match the file name",
            path.display()
        );
        assert!(
            spec.source.is_some(),
            "{}: every problem says where its setup comes from",
            path.display()
        );
        n += 1;
    }
    assert!(
        n >= 9,
        "expected the benchmark set in problems/, found {n} files"
    );
}

#[test]
fn every_shipped_problem_file_builds_into_blocks_with_points() {
    let dir = root().join("problems");
    for entry in std::fs::read_dir(&dir).expect("problems/ exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.blocks.is_empty(), "{}", path.display());
        for b in &p.blocks {
            assert!(b.n_points() > 0, "{}: block {}", path.display(), b.name());
            assert_eq!(b.dim(), p.domain.dim());
        }
        assert_eq!(p.mlp.n_inputs(), p.domain.dim());
        assert!(p.evaluation.nrows() > 0);
        assert!(
            p.exact.is_some(),
            "{}: every shipped problem has an exact solution",
            path.display()
        );
    }
}

#[test]
fn poisson2d_from_its_file_has_the_published_sizes_and_a_finite_loss() {
    use pinn::solvers::LeastSquares;
    let path = root().join("problems/poisson2d.toml");
    let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let model = p.residual_model();
    assert_eq!(model.n_params(), 257);
    assert_eq!(model.n_residuals(), 900 + 120);
    assert_eq!(p.evaluation.nrows(), 9000);
    let theta = p.initial_params();
    let loss = model.loss(&theta);
    assert!(loss.is_finite() && loss > 0.0, "{loss}");
}

#[test]
fn poisson5d_resamples_its_collocation_points() {
    use pinn::solvers::LeastSquares;
    let path = root().join("problems/poisson5d.toml");
    let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut model = p.residual_model();
    let before = model.blocks()[0].points().to_owned();
    assert!(
        model.resample(1, &p.initial_params()),
        "resample_every = 1 draws new points at iteration 1"
    );
    let after = model.blocks()[0].points().to_owned();
    assert_eq!(
        (after.nrows(), after.ncols()),
        (before.nrows(), before.ncols())
    );
    assert!((0..after.nrows()).any(|i| after[(i, 0)] != before[(i, 0)]));
}

#[test]
fn the_documented_example_is_a_valid_problem() {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let start = doc
        .find("```toml\n")
        .expect("docs/problem-files.md has a toml example")
        + 8;
    let len = doc[start..].find("```").unwrap();
    let dir = scratch!("doc");
    let path = dir.join("heat1d.toml");
    std::fs::write(&path, &doc[start..start + len]).unwrap();
    let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let c = pinn::presets::solver_config(&p.solver, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.termination.time_limit_seconds, Some(60.0));
    assert_eq!(p.blocks.len(), 3);
    std::fs::remove_dir_all(&dir).ok();
}
