//! Every shipped problem file parses against the problem-file schema.

use std::path::Path;

#[test]
fn every_shipped_problem_file_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("problems/ exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let (_, spec) = pinn::problem::load_spec(&path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(
            spec.name.get_ref(),
            stem,
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems");
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
