//! Bitwise snapshot of every solver configuration on the NIST StRD and Moré–Garbow–
//! Hillstrom problems: iteration counts, stop reasons and hashes of the final θ and
//! of the history must stay identical through any refactor of the loop (see
//! `pinn_solvers::test_problems::snapshot`). An intended change of behaviour rewrites
//! `tests/snapshots/solvers.snap` with `UPDATE_SNAPSHOTS=1`, in a commit of its own.

use pinn_solvers::config::{
    DampingRuleKind, EngdSolve, JacobianAccess, LinearSolverKind, Scaling, SwitchConfig,
};
use pinn_solvers::test_problems::mgh::standard_set;
use pinn_solvers::test_problems::nist::{DATA_SETS, NistDataSet, NistProblem, Start};
use pinn_solvers::test_problems::snapshot::{check_snapshot, snapshot_line};
use pinn_solvers::{LeastSquares, Method, SolverConfig, solve};
use std::path::Path;

fn tight(mut c: SolverConfig) -> SolverConfig {
    c.termination.max_iterations = 10_000;
    c.termination.relative_loss_change_tolerance = 1e-15;
    c.termination.gradient_tolerance = 1e-15;
    c.termination.step_tolerance = 1e-15;
    c
}

/// Every configuration the MGH runs use, by name.
fn mgh_configs() -> Vec<(&'static str, SolverConfig)> {
    let mut lm_chol = tight(SolverConfig::lm());
    lm_chol.lm.linear_solver = LinearSolverKind::NormalCholesky;
    let mut lm_identity = SolverConfig::lm_qr();
    lm_identity.lm.scaling = Scaling::Identity;
    let mut lm_classic = tight(SolverConfig::lm());
    lm_classic.lm.damping.rule = DampingRuleKind::Classic;
    let mut gncg_free = tight(SolverConfig::gncg());
    gncg_free.gncg.jacobian = JacobianAccess::MatrixFree;
    let mut engd_tikhonov = tight(SolverConfig::engd());
    engd_tikhonov.engd.solve = EngdSolve::Tikhonov { epsilon: 1e-10 };
    let mut lbfgs = tight(SolverConfig::lbfgs());
    lbfgs.termination.max_iterations = 20_000;
    let mut adam = SolverConfig::adam();
    adam.adam.learning_rate = 1e-2;
    adam.termination.max_iterations = 2_000;
    let mut adam_lbfgs = tight(SolverConfig::adam());
    adam_lbfgs.switch = Some(SwitchConfig {
        after_iterations: 50,
        then: Method::Lbfgs,
    });
    adam_lbfgs.termination.max_iterations = 5_000;
    let mut engd_lm = tight(SolverConfig::engd());
    engd_lm.switch = Some(SwitchConfig {
        after_iterations: 20,
        then: Method::Lm,
    });
    vec![
        ("lm-qr", SolverConfig::lm_qr()),
        ("lm-chol", lm_chol),
        ("lm-auto", tight(SolverConfig::lm())),
        ("lm-qr-identity", lm_identity),
        ("lm-classic", lm_classic),
        ("gncg", tight(SolverConfig::gncg())),
        ("gncg-free", gncg_free),
        ("engd", tight(SolverConfig::engd())),
        ("engd-tikhonov", engd_tikhonov),
        ("lbfgs", lbfgs),
        ("adam", adam),
        ("adam-lbfgs", adam_lbfgs),
        ("engd-lm", engd_lm),
    ]
}

fn single_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(f)
}

#[test]
fn solver_runs_are_bitwise_unchanged() {
    let lines = single_thread(|| {
        let mut lines = Vec::new();
        for name in DATA_SETS {
            let data = NistDataSet::load_named(name).expect("data set parses");
            for start in [Start::One, Start::Two] {
                let mut problem = NistProblem::new(&data).expect("model coded");
                let mut b = data.start(start);
                let mut c = SolverConfig::lm_qr();
                c.threads = 1;
                let summary = solve(&mut problem, &mut b, &c);
                assert_eq!(b.len(), problem.n_params());
                let s = if start == Start::One { 1 } else { 2 };
                lines.push(snapshot_line(
                    &format!("nist/{name}/start{s}/lm-qr"),
                    &summary,
                    &b,
                ));
            }
        }
        for (label, mut config) in mgh_configs() {
            config.threads = 1;
            for p in standard_set() {
                let mut problem = p;
                let mut x = p.standard_start();
                let summary = solve(&mut problem, &mut x, &config);
                lines.push(snapshot_line(
                    &format!("mgh/{}/x0/{label}", p.name().replace(' ', "_")),
                    &summary,
                    &x,
                ));
            }
        }
        lines
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/solvers.snap");
    check_snapshot(&path, &lines);
}
