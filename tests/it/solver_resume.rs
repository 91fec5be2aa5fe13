//! Save and resume on poisson2d: `k` iterations, [`Solver::save`], a round trip of the
//! state through TOML text, [`Solver::resume`] into a fresh solver, and the rest of the
//! budget give θ, the history (times excepted) and the stop reason of the
//! uninterrupted run, bit for bit, for lm, lm-qr, engd, lbfgs, adam→lbfgs, GN-CG with
//! the Nyström preconditioner rebuilt every third iterate (the split then falls between
//! two rebuilds, so the saved preconditioner is the one in use), and lm on normal
//! equations accumulated with a forgetting factor (the saved matrices are the model).
//!
//! The uninterrupted runs use one thread (pool and `threads = 1`), the resumed ones two:
//! a run's bits do not depend on the thread count, so the split may change it.

use crate::common::root;

use pinn::presets::preset;
use pinn_solvers::config::{CgPreconditioner, SwitchConfig};
use pinn_solvers::test_problems::snapshot::{hash_floats, hash_history};
use pinn_solvers::{Method, Solver, SolverState};

#[test]
fn poisson2d_resumes_bitwise() {
    let root = root();
    let problem = pinn::problem::load_problem(&root.join("problems/poisson2d.toml"))
        .expect("poisson2d loads");
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| {
            for name in [
                "lm",
                "lm-qr",
                "engd",
                "lbfgs",
                "adam-lbfgs",
                "gncg-nystrom",
                "lm-accumulated",
            ] {
                let base = name
                    .trim_end_matches("-nystrom")
                    .trim_end_matches("-accumulated");
                let mut config = preset(base).expect("preset");
                if name == "lm-accumulated" {
                    config.lm.forgetting = 0.9;
                }
                if name == "gncg-nystrom" {
                    config.gncg.preconditioner = CgPreconditioner::Nystrom;
                    config.gncg.rank = 40;
                    config.gncg.refresh_every = 3;
                }
                config.threads = 1;
                config.termination.max_iterations = 30;
                if name == "adam-lbfgs" {
                    config.switch = Some(SwitchConfig {
                        after_iterations: 10,
                        then: Method::Lbfgs,
                    });
                }
                let theta0 = problem.initial_params();
                let mut model = problem.residual_model();
                let mut s = Solver::init(&mut model, &theta0, &config).expect("valid");
                while s.step(&mut model).is_some() {}
                let want = (
                    hash_floats(s.theta()),
                    hash_history(&s.summary()),
                    format!("{:?}", s.summary().termination),
                );
                let mut two_config = config.clone();
                two_config.threads = 2;
                for k in [7, 13] {
                    let got = two.install(|| {
                        let config = &two_config;
                        let mut model = problem.residual_model();
                        let mut s = Solver::init(&mut model, &theta0, config).expect("valid");
                        while s.history().len() < k && s.step(&mut model).is_some() {}
                        let text = toml::to_string(&s.save()).expect("serialises");
                        let state: SolverState = toml::from_str(&text).expect("deserialises");
                        let mut model = problem.residual_model();
                        let mut s = Solver::resume(&mut model, &state, config).expect("loads");
                        while s.step(&mut model).is_some() {}
                        (
                            hash_floats(s.theta()),
                            hash_history(&s.summary()),
                            format!("{:?}", s.summary().termination),
                        )
                    });
                    assert_eq!(got, want, "{name}: split at {k}");
                }
            }
        });
}
