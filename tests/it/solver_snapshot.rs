//! Bitwise snapshot of 200 iterations of every solver preset on poisson2d: iteration
//! counts, stop reasons and hashes of the final θ and of the history must stay
//! identical through any refactor of the solve loop (see
//! `pinn_solvers::test_problems::snapshot`). An intended change of behaviour rewrites
//! `tests/snapshots/poisson2d.snap` with `UPDATE_SNAPSHOTS=1`, in a commit of its own.
//!
//! The runs execute in a single-thread rayon pool with `threads = 1`. A run's bits do not
//! depend on the thread count (`tests/it/thread_count.rs`), so the snapshot holds on any.

use crate::common::root;

use pinn::presets::preset;
use pinn_solvers::config::SwitchConfig;
use pinn_solvers::test_problems::snapshot::{check_snapshot, snapshot_line};
use pinn_solvers::{Method, solve};

#[test]
fn poisson2d_runs_are_bitwise_unchanged() {
    let root = root();
    let problem = pinn::problem::load_problem(&root.join("problems/poisson2d.toml"))
        .expect("poisson2d loads");
    let lines = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| {
            let mut lines = Vec::new();
            for name in ["lm", "lm-qr", "engd", "gncg", "lbfgs", "adam-lbfgs"] {
                let mut config = preset(name).expect("preset exists");
                config.threads = 1;
                config.termination.max_iterations = 200;
                if name == "adam-lbfgs" {
                    // Switch inside the budget so that both phases are covered.
                    config.switch = Some(SwitchConfig {
                        after_iterations: 100,
                        then: Method::Lbfgs,
                    });
                }
                let mut model = problem.residual_model();
                let mut theta = problem.initial_params();
                let summary = solve(&mut model, &mut theta, &config);
                lines.push(snapshot_line(
                    &format!("poisson2d/{name}"),
                    &summary,
                    &theta,
                ));
            }
            lines
        });
    check_snapshot(&root.join("tests/snapshots/poisson2d.snap"), &lines);
}
