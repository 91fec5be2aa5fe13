//! Reflection symmetries end to end: `symmetry = { x = "odd" }` in a problem file gives
//! a network that is exactly odd in x, `pinn check` says so, a solve converges on an odd
//! solution, and the result file stores the reflections, which `pinn validate` and numpy
//! (validation/check_result.py) use to re-evaluate the network and a tampered file fails.

use crate::common::{
    assert_validate_and_numpy_agree, assert_validate_and_numpy_refuse_embedding,
    embedded_heat_problem, pinn, scratch, solve,
};

use std::path::{Path, PathBuf};

use faer::Mat;
use pinn::residual::Channel;

/// The heat problem of [`embedded_heat_problem`] (odd solution `exp(−νπ²t) sin(πx)`)
/// with `embedding` under `[model.embedding]` and no extra blocks.
fn heat_problem(dir: &Path, name: &str, embedding: &str) -> PathBuf {
    embedded_heat_problem(dir, name, "", embedding)
}

const ODD_PERIODIC: &str = "periodic = { x = 2.0 }\nsymmetry = { x = \"odd\" }";

/// The built network is odd in x at every θ (here the initial one), bitwise: the
/// reflection about the midpoint 0 of [−1, 1] maps x to −x exactly.
#[test]
fn the_network_of_an_odd_problem_is_odd() {
    let d = scratch!("odd");
    for (k, e) in [ODD_PERIODIC, "symmetry = { x = \"odd\" }"]
        .iter()
        .enumerate()
    {
        let p = pinn::problem::load_problem(&heat_problem(&d, &format!("h{k}"), e))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = p.mlp.embedding().reflections();
        assert_eq!(
            (r.len(), r[0].var, r[0].center, r[0].odd),
            (1, 1, 0.0, true)
        );
        let theta = p.initial_params();
        let pts = Mat::from_fn(6, 2, |i, j| {
            if j == 0 {
                0.1 * i as f64
            } else {
                0.37 - 0.3 * i as f64
            }
        });
        let neg = Mat::from_fn(6, 2, |i, j| if j == 0 { pts[(i, 0)] } else { -pts[(i, 1)] });
        let chans = [
            Channel::Value { output: 0 },
            Channel::First { output: 0, var: 1 },
            Channel::second(0, 1, 1),
        ];
        let a = p.mlp.eval_channels(&theta, pts.as_ref(), &chans);
        let b = p.mlp.eval_channels(&theta, neg.as_ref(), &chans);
        for i in 0..6 {
            assert_eq!(b[(i, 0)], -a[(i, 0)], "u is odd");
            assert_eq!(b[(i, 1)], a[(i, 1)], "u_x is even");
            assert_eq!(b[(i, 2)], -a[(i, 2)], "u_xx is odd");
        }
    }
    let out = pinn()
        .arg("check")
        .arg(heat_problem(&d, "check", ODD_PERIODIC))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("symmetry  odd in x about 0"), "{shown}");
    std::fs::remove_dir_all(&d).ok();
}

/// Levenberg–Marquardt on the odd network solves the heat problem: 200 iterations from
/// the seeded start reach a relative L2 error below 1e-4.
#[test]
fn an_odd_network_solves_an_odd_problem() {
    let d = scratch!("solve");
    let problem = pinn::problem::load_problem(&heat_problem(&d, "heat", ODD_PERIODIC)).unwrap();
    let outcome = solve(&problem, 200);
    let rel = outcome.result.metrics.rel_l2.expect("an exact solution");
    assert!(rel < 1e-4, "rel L2 {rel:e}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn an_odd_result_is_rechecked_by_validate_and_numpy() {
    let d = scratch!("result");
    for (k, e) in [ODD_PERIODIC, "symmetry = { x = \"odd\" }"]
        .iter()
        .enumerate()
    {
        let problem =
            pinn::problem::load_problem(&heat_problem(&d, &format!("heat{k}"), e)).unwrap();
        let outcome = solve(&problem, 3);
        let out = d.join(format!("heat{k}.h5"));
        pinn::output::write_atomic(&out, &outcome.result).unwrap();
        let back = pinn::output::read(&out).unwrap();
        let emb = back.embedding.as_ref().expect("stored");
        assert_eq!(emb.reflections, vec![(1, 0.0, -1)]);
        assert_eq!(emb.periodic.len(), 1 - k);

        assert_validate_and_numpy_agree(&out);

        // The same network stored as even: validate refuses it, numpy's u disagrees.
        let mut bad = back.clone();
        bad.embedding.as_mut().unwrap().reflections[0].2 = 1;
        let bad_file = d.join(format!("bad{k}.h5"));
        pinn::output::write_atomic(&bad_file, &bad).unwrap();
        assert_validate_and_numpy_refuse_embedding(&bad_file);
    }
    std::fs::remove_dir_all(&d).ok();
}
