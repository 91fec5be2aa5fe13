//! Residual blocks read through output transforms, end to end: for every block kind and
//! for linear and nonlinear ansätze,
//!
//! - the assembled `J` against central differences of `r` (≤ 1e-6 relative, Frobenius);
//! - `J·v` and `Jᵀ·w` against the assembled `J` (≤ 1e-12 relative);
//! - the Burgers residual against the residual formula applied to finite differences of
//!   the transformed solution `u(x) = T(x, N_θ(x))` (independent of the derivative tapes).

use std::f64::consts::PI;
use std::sync::Arc;

use faer::{Col, Mat};
use pinn::expr::{Context, OutputTransform, parse_residual};
use pinn::model::{Activation, Init, Mlp};
use pinn::residual::equations::Burgers;
use pinn::residual::{
    BlockKind, Face, PointFunction, PointResidual, Residual, ResidualBlock, ResidualModel,
    RustResidual, identically_satisfied,
};
use pinn::solvers::LeastSquares;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const LO: [f64; 2] = [-1.0, 0.0];
const HI: [f64; 2] = [1.0, 1.0];

fn interior(rng: &mut StdRng, n: usize) -> Mat<f64> {
    Mat::from_fn(n, 2, |_, j| rng.random_range(LO[j]..HI[j]))
}

fn on_face(rng: &mut StdRng, n: usize, face: Face) -> Mat<f64> {
    let mut p = interior(rng, n);
    for i in 0..n {
        p[(i, face.axis)] = if face.upper {
            HI[face.axis]
        } else {
            LO[face.axis]
        };
    }
    p
}

/// `‖a − b‖ / ‖b‖`, or `‖a − b‖` when `b = 0` (a block whose Jacobian vanishes, e.g.
/// Dirichlet data at `x = ±1` under `(1 − x²) N`).
fn rel(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    if den == 0.0 {
        num.sqrt()
    } else {
        (num / den).sqrt()
    }
}

fn ctx() -> Context {
    Context::new(&["x", "t"], &["u"])
        .unwrap()
        .with_laplacian_vars(&["x"])
        .unwrap()
}

const ANSATZ: [&str; 3] = [
    // the initial condition and the Dirichlet data of Burgers built in
    "-sin(pi*x) + t*(1 - x^2)*N",
    // nonlinear in N, with a coordinate-dependent exponent
    "tanh(N)*x + exp(-t)*N^2 + (1 + t)^x*sin(N)",
    // a quotient and a square root
    "N/(2 + x*t) + sqrt(1 + N^2)",
];

/// One block of every kind on Burgers' box.
fn blocks(rng: &mut StdRng) -> Vec<ResidualBlock> {
    let g: Arc<dyn PointFunction> = Arc::new(|x: &[f64]| -(PI * x[0]).sin() + 0.1 * x[1]);
    let burgers: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Burgers::new(0.01 / PI)));
    let parsed: Arc<dyn PointResidual> =
        Arc::new(parse_residual("u_t + u*u_x - 0.1*lap(u) + u_tt*u_xt", &ctx()).unwrap());
    let x_min = Face {
        axis: 0,
        upper: false,
    };
    let x_max = Face {
        axis: 0,
        upper: true,
    };
    let t_min = Face {
        axis: 1,
        upper: false,
    };
    let robin: Arc<dyn PointResidual> =
        Arc::new(parse_residual("u_x + 2*u - x*t", &ctx()).unwrap());
    let kinds = vec![
        (
            "pde",
            interior(rng, 12),
            BlockKind::Pde {
                equations: vec![burgers, parsed],
            },
        ),
        (
            "dirichlet",
            on_face(rng, 6, x_max),
            BlockKind::Dirichlet {
                output: 0,
                face: x_max,
                g: g.clone(),
            },
        ),
        (
            "neumann",
            on_face(rng, 6, x_min),
            BlockKind::Neumann {
                output: 0,
                face: x_min,
                g: g.clone(),
            },
        ),
        (
            "initial",
            on_face(rng, 6, t_min),
            BlockKind::InitialValue {
                output: 0,
                time_var: 1,
                g: g.clone(),
            },
        ),
        (
            "initial_velocity",
            on_face(rng, 6, t_min),
            BlockKind::InitialVelocity {
                output: 0,
                time_var: 1,
                g,
            },
        ),
        (
            "periodic",
            on_face(rng, 6, x_min),
            BlockKind::Periodic {
                output: 0,
                axis: 0,
                period: 2.0,
                derivatives: true,
            },
        ),
        (
            "robin",
            on_face(rng, 5, x_max),
            BlockKind::Condition {
                face: Some(x_max),
                equations: vec![robin],
            },
        ),
    ];
    kinds
        .into_iter()
        .map(|(name, pts, kind)| ResidualBlock::new(name, pts, kind, 1.5).unwrap())
        .collect()
}

fn transformed(tr: &OutputTransform, blocks: Vec<ResidualBlock>) -> Vec<ResidualBlock> {
    blocks
        .into_iter()
        .map(|b| b.map_residuals(|r| tr.wrap(r.clone())).unwrap())
        .collect()
}

fn network() -> (Mlp, Vec<f64>) {
    let mlp = Mlp::new(&[2, 12, 12, 1], Activation::Tanh);
    let theta = mlp.init(Init::Normal { std: 0.5 }, 21);
    (mlp, theta)
}

/// `(‖J − J_fd‖/‖J‖, J·v error, Jᵀ·w error)`.
fn jacobian_errors(model: &ResidualModel, theta: &[f64]) -> (f64, f64, f64) {
    let (n, p) = (model.n_residuals(), model.n_params());
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, p);
    model.residuals_and_jacobian(theta, &mut r, jac.as_mut());
    let mut r2 = vec![0.0; n];
    model.residuals(theta, &mut r2);
    assert!(
        rel(&r2, &r) < 1e-14,
        "residuals agree with the Jacobian pass"
    );
    let h = 1e-5;
    let mut fd = Mat::<f64>::zeros(n, p);
    let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
    let mut th = theta.to_vec();
    for j in 0..p {
        th[j] = theta[j] + h;
        model.residuals(&th, &mut rp);
        th[j] = theta[j] - h;
        model.residuals(&th, &mut rm);
        th[j] = theta[j];
        for i in 0..n {
            fd[(i, j)] = (rp[i] - rm[i]) / (2.0 * h);
        }
    }
    let norm = jac.norm_l2();
    let fd_err = (&jac - &fd).norm_l2() / if norm == 0.0 { 1.0 } else { norm };
    let mut rng = StdRng::seed_from_u64(5);
    let v: Vec<f64> = (0..p).map(|_| rng.random_range(-1.0..1.0)).collect();
    let w: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let jv_ref = &jac * Col::from_fn(p, |j| v[j]);
    let jtw_ref = jac.transpose() * Col::from_fn(n, |i| w[i]);
    let (mut jv, mut jtw) = (vec![0.0; n], vec![0.0; p]);
    model.jvp(theta, &v, &mut jv);
    model.vjp(theta, &w, &mut jtw);
    let jv_ref: Vec<f64> = (0..n).map(|i| jv_ref[i]).collect();
    let jtw_ref: Vec<f64> = (0..p).map(|j| jtw_ref[j]).collect();
    (fd_err, rel(&jv, &jv_ref), rel(&jtw, &jtw_ref))
}

#[test]
fn the_jacobian_of_every_transformed_block_kind_is_exact() {
    let (mlp, theta) = network();
    for src in ANSATZ {
        let tr = OutputTransform::new(&ctx(), &[Some(src)]).unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        for block in transformed(&tr, blocks(&mut rng)) {
            let label = format!("{src}: {}", block.name());
            if identically_satisfied(&block) {
                // Nothing to differentiate: the rows and their Jacobian vanish.
                let model = ResidualModel::new(mlp.clone(), vec![block]).unwrap();
                assert!(model.loss(&theta) < 1e-28, "{label}");
                continue;
            }
            let model = ResidualModel::new(mlp.clone(), vec![block]).unwrap();
            let (fd, jv, jtw) = jacobian_errors(&model, &theta);
            eprintln!("{label}: fd {fd:e} jvp {jv:e} vjp {jtw:e}");
            assert!(fd <= 1e-6, "{label}: J vs central differences {fd:e}");
            assert!(jv <= 1e-12, "{label}: J·v {jv:e}");
            assert!(jtw <= 1e-12, "{label}: Jᵀ·w {jtw:e}");
        }
    }
}

/// With `u = −sin(πx) + t(1 − x²)N` the initial and the `x = ±1` Dirichlet blocks hold
/// identically; no other block does.
#[test]
fn built_in_conditions_hold_identically() {
    let tr = OutputTransform::new(&ctx(), &[Some(ANSATZ[0])]).unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let held: Vec<String> = transformed(&tr, blocks(&mut rng))
        .iter()
        .filter(|b| identically_satisfied(b))
        .map(|b| b.name().to_string())
        .collect();
    // The Dirichlet data g = −sin(πx) + 0.1 t differs from the ansatz's at t > 0.
    assert_eq!(held, vec!["initial".to_string()]);
    let exact_g: Arc<dyn PointFunction> = Arc::new(|x: &[f64]| -(PI * x[0]).sin());
    let face = Face {
        axis: 0,
        upper: true,
    };
    let b = ResidualBlock::new(
        "dirichlet",
        on_face(&mut rng, 8, face),
        BlockKind::Dirichlet {
            output: 0,
            face,
            g: exact_g,
        },
        1.0,
    )
    .unwrap();
    assert!(identically_satisfied(
        &b.map_residuals(|r| tr.wrap(r.clone())).unwrap()
    ));
}

/// The Burgers residual of the transformed solution, against Burgers applied to
/// central differences of `u(x) = T(x, N_θ(x))`.
#[test]
fn transformed_residuals_match_finite_differences_of_the_solution() {
    let (mlp, theta) = network();
    let nu = 0.01 / PI;
    for src in ANSATZ {
        let tr = OutputTransform::new(&ctx(), &[Some(src)]).unwrap();
        let burgers: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Burgers::new(nu)));
        let mut rng = StdRng::seed_from_u64(9);
        let pts = interior(&mut rng, 10);
        let block = ResidualBlock::new(
            "pde",
            pts.clone(),
            BlockKind::Pde {
                equations: vec![tr.wrap(burgers).unwrap()],
            },
            1.0,
        )
        .unwrap();
        let model = ResidualModel::new(mlp.clone(), vec![block]).unwrap();
        let mut r = vec![0.0; 10];
        model.residuals(&theta, &mut r);
        let scale = (1.0f64 / 10.0).sqrt();
        let u = |x: f64, t: f64| -> f64 {
            let p = Mat::from_fn(1, 2, |_, j| [x, t][j]);
            tr.apply(p.as_ref(), mlp.eval(&theta, p.as_ref()))[(0, 0)]
        };
        let (h, h2) = (1e-5, 1e-4);
        for i in 0..10 {
            let (x, t) = (pts[(i, 0)], pts[(i, 1)]);
            // Burgers reads (u, u_t, u_x, u_xx).
            let c = [
                u(x, t),
                (u(x, t + h) - u(x, t - h)) / (2.0 * h),
                (u(x + h, t) - u(x - h, t)) / (2.0 * h),
                (u(x + h2, t) - 2.0 * u(x, t) + u(x - h2, t)) / (h2 * h2),
            ];
            let want = Burgers::new(nu).eval(&[x, t], &c);
            let got = r[i] / scale;
            assert!(
                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                "{src} at point {i}: {got} vs {want}"
            );
        }
    }
}
