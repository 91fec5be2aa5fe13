//! Problem files with derivatives of order 3 and 4: a KdV soliton (`u_xxx`) and the
//! biharmonic equation (`u_xxxx + 2*u_xxyy + u_yyyy`) load, pass `pinn check`, and lower
//! their loss in a few Levenberg–Marquardt iterations; a fifth derivative is a located
//! error.

use crate::common::{pinn, root};

use std::ops::ControlFlow;
use std::path::PathBuf;

use pinn::residual::Channel;

fn problem_path(name: &str) -> PathBuf {
    root().join("tests/problems").join(name)
}

/// Loads `name`, checks the PDE block's channels, and runs 30 LM iterations (rejected trials count).
fn loads_and_trains(name: &str, want: &[Channel]) {
    let path = problem_path(name);
    let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    let pde: Vec<Channel> = p.blocks[0].channels().copied().collect();
    for ch in want {
        assert!(pde.contains(ch), "{name}: {ch:?} not in {pde:?}");
    }
    let model = p.residual_model();
    let theta0 = p.initial_params();
    let loss0 = model.loss(&theta0);
    assert!(loss0.is_finite() && loss0 > 0.0, "{name}: {loss0}");
    let mut config = pinn::presets::solver_config(&p.solver, None).unwrap();
    config.termination.max_iterations = 30;
    config.termination.time_limit_seconds = None;
    let outcome = pinn::run::run(&p, &config, &theta0, None, |_, _, _| {
        ControlFlow::Continue(())
    })
    .unwrap();
    let s = &outcome.summary;
    eprintln!("{name}: loss {:e} -> {:e}", s.initial_loss, s.final_loss);
    assert!(
        s.final_loss.is_finite() && s.final_loss < 0.1 * s.initial_loss,
        "{name}: loss {} -> {}",
        s.initial_loss,
        s.final_loss
    );
}

#[test]
fn kdv_soliton_reads_u_xxx_and_trains() {
    // Variables (t, x): x is variable 1.
    loads_and_trains(
        "kdv-soliton.toml",
        &[
            Channel::higher(0, &[1, 1, 1]),
            Channel::First { output: 0, var: 0 },
        ],
    );
}

#[test]
fn biharmonic_reads_fourth_derivatives_and_trains() {
    loads_and_trains(
        "biharmonic2d.toml",
        &[
            Channel::higher(0, &[0, 0, 0, 0]),
            Channel::higher(0, &[0, 0, 1, 1]),
            Channel::higher(0, &[1, 1, 1, 1]),
        ],
    );
}

#[test]
fn pinn_check_accepts_higher_order_problems() {
    for name in ["kdv-soliton.toml", "biharmonic2d.toml"] {
        let out = pinn()
            .arg("check")
            .arg(problem_path(name))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("parameters"), "{text}");
    }
}

#[test]
fn a_fifth_derivative_is_an_error_at_its_column() {
    let path = root().join("tests/bad_inputs/derivative_of_order_five.toml");
    let Err(err) = pinn::problem::load_problem(&path) else {
        panic!("accepted a fifth derivative")
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let at = err.at.expect("located");
    let line = text.lines().nth(at.line - 1).unwrap();
    // The caret sits on the suffix `xxyyx` of `u_xxyyx` inside the quoted equation.
    assert_eq!(at.column, line.find("xxyyx").unwrap() + 1, "{err}");
    assert!(err.to_string().contains("order > 4 not supported"), "{err}");
    let out = pinn().arg("check").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:{}:{}", path.display(), at.line, at.column)),
        "{stderr}"
    );
}
