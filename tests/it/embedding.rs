//! Input embeddings end to end: `[model.embedding]` in problem files (sizes, notes,
//! the documented example), exact periodicity of a built network, and an embedded result
//! file re-checked by `pinn validate` and by numpy (validation/check_result.py), with a
//! mismatched `--init` refused.

use crate::common::{
    assert_validate_and_numpy_agree, assert_validate_and_numpy_refuse_embedding,
    embedded_heat_problem as heat_problem, pinn, root, scratch, solve,
};

use faer::Mat;
use pinn::residual::{Channel, VarSet};

const PERIODIC_BLOCK: &str = r#"
[[blocks]]
name = "wrap"
kind = "periodic"
axis = "x"
points = { count = 10 }
"#;

#[test]
fn embedded_sizes_and_parameter_count() {
    let d = scratch!("sizes");
    let p = pinn::problem::load_problem(&heat_problem(&d, "a", "", "periodic = { x = 2.0 }"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.mlp.n_inputs(), 2);
    assert_eq!(p.mlp.layers(), &[3, 8, 8, 1]);
    assert_eq!(p.mlp.n_params(), 4 * 8 + 9 * 8 + 9);
    let e =
        "periodic = { x = { period = 2.0, harmonics = 3 } }\nfourier = { count = 5, scale = 2.0 }";
    let p = pinn::problem::load_problem(&heat_problem(&d, "b", "", e)).unwrap();
    assert_eq!(p.mlp.embedding().periodic_width(), 7);
    assert_eq!(p.mlp.layers(), &[10, 8, 8, 1]);
    let f = p.mlp.embedding().fourier().unwrap();
    assert_eq!((f.count, f.scale, f.seed), (5, 2.0, 0));
    assert!(p.notes.is_empty(), "{:?}", p.notes);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn notes_for_a_redundant_periodic_block_and_a_period_off_the_domain() {
    let d = scratch!("notes");
    let path = heat_problem(&d, "redundant", PERIODIC_BLOCK, "periodic = { x = 2.0 }");
    let p = pinn::problem::load_problem(&path).unwrap();
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l == "kind = \"periodic\"")
        .unwrap();
    let want = format!(
        "{}:{line}:8: note: block `wrap` is redundant",
        path.display()
    );
    assert!(p.notes[0].starts_with(&want), "{}", p.notes[0]);
    // Period 1 divides the interval length 2: still exactly periodic across it.
    let p = pinn::problem::load_problem(&heat_problem(
        &d,
        "one",
        PERIODIC_BLOCK,
        "periodic = { x = 1 }",
    ))
    .unwrap();
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    // Period 3: a note on the period, and the block is not redundant.
    let path = heat_problem(
        &d,
        "three",
        PERIODIC_BLOCK,
        "periodic = { x = { period = 3.0 } }",
    );
    let p = pinn::problem::load_problem(&path).unwrap();
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    assert!(
        p.notes[0]
            .contains("note: the period 3 of `x` is not the length 2 of its interval [-1, 1]"),
        "{}",
        p.notes[0]
    );
    // `pinn check` prints the embedded width, P and the notes.
    let out = pinn()
        .arg("check")
        .arg(heat_problem(
            &d,
            "check",
            PERIODIC_BLOCK,
            "periodic = { x = 2.0 }",
        ))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("network   [2, 8, 8, 1] Tanh, P = 113 parameters"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "embedding x periodic (period 2, 1 harmonic): embedded width D = 3, first layer 8 × 3"
        ),
        "{shown}"
    );
    assert!(shown.contains("note: block `wrap` is redundant"), "{shown}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn the_documented_embedding_example_is_a_valid_problem() {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let section = doc
        .find("## Input embeddings")
        .expect("the embedding section");
    let start = section + doc[section..].find("```toml\n").unwrap() + 8;
    let len = doc[start..].find("```").unwrap();
    let d = scratch!("doc");
    let path = d.join("allen-cahn-periodic.toml");
    std::fs::write(&path, &doc[start..start + len]).unwrap();
    let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let e = p.mlp.embedding();
    assert_eq!((e.periodic_width(), e.width()), (5, 32));
    assert_eq!(p.mlp.layers(), &[32, 32, 32, 1]);
    std::fs::remove_dir_all(&d).ok();
}

/// The shipped embedded problems: every channel at x = −1 equals the one at x = 1.
#[test]
fn shipped_embedded_problems_are_exactly_periodic() {
    for name in ["burgers", "allen-cahn"] {
        let p = pinn::problem::load_problem(&root().join(format!("problems/{name}.toml"))).unwrap();
        assert!(
            p.blocks
                .iter()
                .all(|b| b.name() != "periodic" && b.name() != "boundary")
        );
        let theta = p.initial_params();
        let ts = [0.0, 0.3, 0.77, 1.0];
        let lo = Mat::from_fn(4, 2, |i, j| if j == 0 { ts[i] } else { -1.0 });
        let hi = Mat::from_fn(4, 2, |i, j| if j == 0 { ts[i] } else { 1.0 });
        let chans = [
            Channel::Value { output: 0 },
            Channel::First { output: 0, var: 0 },
            Channel::First { output: 0, var: 1 },
            Channel::second(0, 0, 1),
            Channel::second(0, 1, 1),
            Channel::Laplacian {
                output: 0,
                vars: VarSet::all(2),
            },
        ];
        let a = p.mlp.eval_channels(&theta, lo.as_ref(), &chans);
        let b = p.mlp.eval_channels(&theta, hi.as_ref(), &chans);
        for i in 0..4 {
            for k in 0..chans.len() {
                let (x, y) = (a[(i, k)], b[(i, k)]);
                assert!(
                    (x - y).abs() <= 1e-13 * x.abs().max(1.0),
                    "{name} {:?}: {x} vs {y}",
                    chans[k]
                );
            }
        }
    }
}

#[test]
fn an_embedded_result_is_rechecked_by_validate_and_numpy() {
    let d = scratch!("result");
    let e = "periodic = { x = { period = 2.0, harmonics = 2 } }\nfourier = { count = 6, scale = 1.0, seed = 3 }";
    let path = heat_problem(&d, "heat", "", e);
    let problem = pinn::problem::load_problem(&path).unwrap();
    let outcome = solve(&problem, 3);
    let out = d.join("heat.h5");
    pinn::output::write_atomic(&out, &outcome.result).unwrap();
    let back = pinn::output::read(&out).unwrap();
    let emb = back.embedding.as_ref().expect("stored");
    assert_eq!(emb.periodic, vec![(1, 2.0, 2)]);
    let f = emb.fourier.as_ref().unwrap();
    let b = problem.mlp.embedding().fourier().unwrap();
    assert_eq!((f.matrix.nrows(), f.matrix.ncols(), f.seed), (6, 5, 3));
    for k in 0..6 {
        for l in 0..5 {
            assert_eq!(f.matrix[(k, l)].to_bits(), b.matrix[k * 5 + l].to_bits());
        }
    }
    assert_eq!(back.layers, vec![12, 8, 8, 1]);

    assert_validate_and_numpy_agree(&out);

    // Another embedding in the file: validate refuses it, numpy's u no longer agrees.
    let mut bad = back.clone();
    bad.embedding.as_mut().unwrap().periodic[0].1 = 2.5;
    let bad_file = d.join("bad.h5");
    pinn::output::write_atomic(&bad_file, &bad).unwrap();
    assert_validate_and_numpy_refuse_embedding(&bad_file);

    // --init restores the parameters only into the same network: the same problem
    // continues, a problem with another embedding (same P) is refused with the reason.
    let cont = pinn()
        .args([
            "solve",
            "--max-iters",
            "1",
            "--no-plots",
            "--quiet",
            "--init",
        ])
        .arg(&out)
        .arg("--out")
        .arg(d.join("cont.h5"))
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        cont.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cont.stderr)
    );
    let other = heat_problem(&d, "other", "", &e.replace("seed = 3", "seed = 4"));
    let refused = pinn()
        .args([
            "solve",
            "--max-iters",
            "1",
            "--no-plots",
            "--quiet",
            "--init",
        ])
        .arg(&out)
        .arg("--out")
        .arg(d.join("other.h5"))
        .arg(&other)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot start from this result") && err.contains("seed 4"),
        "{err}"
    );
    std::fs::remove_dir_all(&d).ok();
}

/// An output transform with `erf` (as allen-cahn's) is re-evaluated by numpy too.
#[test]
fn a_transform_with_erf_is_rechecked_by_numpy() {
    let d = scratch!("erf");
    let extra = "[transform]\nu = \"N + 0.5*erf(2*x)*t\"\n";
    let path = heat_problem(&d, "heat", extra, "periodic = { x = 2.0 }");
    let problem = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!problem.transform.is_identity());
    let outcome = solve(&problem, 2);
    let out = d.join("heat.h5");
    pinn::output::write_atomic(&out, &outcome.result).unwrap();
    assert_validate_and_numpy_agree(&out);
    std::fs::remove_dir_all(&d).ok();
}
