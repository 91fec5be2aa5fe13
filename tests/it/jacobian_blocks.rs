//! End-to-end checks of the residual model: for every block kind, on Burgers
//! (2 → 16 → 16 → 1) and on steady Navier–Stokes / Kovasznay (2 → 16 → 16 → 3, Re = 40),
//!
//! - the assembled `J` against central differences of `r` (≤ 1e-6 relative, Frobenius);
//! - `J·v` and `Jᵀ·w` against the assembled `J` (≤ 1e-12 relative);
//! - the loss against `½ Σ_b w_b Σ_e mean_i F²`, computed independently from the network
//!   outputs and channels (not through the blocks' row groups, scales or row offsets).
//!
//! and the same for residuals of order 3 and 4: KdV written in Rust (dual numbers) and the
//! biharmonic operator compiled from an expression, with a `Δu = 0` boundary condition.

use std::f64::consts::PI;
use std::sync::Arc;

use faer::{Col, Mat, MatRef};
use pinn::model::{Activation, Init, Mlp};
use pinn::residual::equations::{Burgers, Kovasznay, SteadyNavierStokes2d};
use pinn::residual::{
    BlockKind, Channel, Face, PointFunction, PointResidual, Residual, ResidualBlock, ResidualModel,
    RustResidual,
};
use pinn::solvers::LeastSquares;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A 2-D box `[lo, hi]`.
#[derive(Clone, Copy)]
struct Box2 {
    lo: [f64; 2],
    hi: [f64; 2],
}

impl Box2 {
    fn interior(&self, rng: &mut StdRng, n: usize) -> Mat<f64> {
        Mat::from_fn(n, 2, |_, j| rng.random_range(self.lo[j]..self.hi[j]))
    }
    fn face(&self, rng: &mut StdRng, n: usize, face: Face) -> Mat<f64> {
        let mut p = self.interior(rng, n);
        let v = if face.upper {
            self.hi[face.axis]
        } else {
            self.lo[face.axis]
        };
        for i in 0..n {
            p[(i, face.axis)] = v;
        }
        p
    }
    fn width(&self, axis: usize) -> f64 {
        self.hi[axis] - self.lo[axis]
    }
}

const BURGERS_BOX: Box2 = Box2 {
    lo: [-1.0, 0.0],
    hi: [1.0, 1.0],
};
const KOVASZNAY_BOX: Box2 = Box2 {
    lo: [-0.5, -0.5],
    hi: [1.0, 1.5],
};

fn sides() -> [Face; 4] {
    [
        Face {
            axis: 0,
            upper: false,
        },
        Face {
            axis: 0,
            upper: true,
        },
        Face {
            axis: 1,
            upper: false,
        },
        Face {
            axis: 1,
            upper: true,
        },
    ]
}

/// `‖a − b‖ / ‖b‖`.
fn rel(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

fn row(p: MatRef<'_, f64>, i: usize) -> Vec<f64> {
    (0..p.ncols()).map(|j| p[(i, j)]).collect()
}

/// The measured errors of one model.
#[derive(Debug)]
struct Errors {
    fd: f64,
    jvp: f64,
    vjp: f64,
    loss: f64,
}

/// The independent reference loss `½ Σ_b w_b Σ_e mean_i F_b,e²`, with `F` computed
/// from the network's outputs and channels by the formula of each kind.
fn reference_loss(model: &ResidualModel, theta: &[f64]) -> f64 {
    let mlp = model.mlp();
    let mut total = 0.0;
    for block in model.blocks() {
        let pts = block.points();
        let n = pts.nrows();
        let channel = |pts: MatRef<'_, f64>, ch: Channel| mlp.eval_channels(theta, pts, &[ch]);
        // one vector of F values per equation
        let equations: Vec<Vec<f64>> = match block.kind() {
            BlockKind::Pde { equations } | BlockKind::Condition { equations, .. } => equations
                .iter()
                .map(|eq| {
                    let c = mlp.eval_channels(theta, pts, eq.channels());
                    (0..n)
                        .map(|i| eq.value(&row(pts, i), &row(c.as_ref(), i)))
                        .collect()
                })
                .collect(),
            BlockKind::Dirichlet { output, g, .. } | BlockKind::InitialValue { output, g, .. } => {
                let u = mlp.eval(theta, pts);
                vec![
                    (0..n)
                        .map(|i| u[(i, *output)] - g.eval(&row(pts, i)))
                        .collect(),
                ]
            }
            BlockKind::Neumann { output, face, g } => {
                let sign = if face.upper { 1.0 } else { -1.0 };
                let du = channel(
                    pts,
                    Channel::First {
                        output: *output,
                        var: face.axis,
                    },
                );
                vec![
                    (0..n)
                        .map(|i| sign * du[(i, 0)] - g.eval(&row(pts, i)))
                        .collect(),
                ]
            }
            BlockKind::InitialVelocity {
                output,
                time_var,
                g,
            } => {
                let du = channel(
                    pts,
                    Channel::First {
                        output: *output,
                        var: *time_var,
                    },
                );
                vec![(0..n).map(|i| du[(i, 0)] - g.eval(&row(pts, i))).collect()]
            }
            BlockKind::Periodic {
                output,
                axis,
                period,
                derivatives,
            } => {
                let mut shifted = pts.to_owned();
                for i in 0..n {
                    shifted[(i, *axis)] += period;
                }
                let mut chans = vec![Channel::Value { output: *output }];
                if *derivatives {
                    chans.extend((0..pts.ncols()).map(|var| Channel::First {
                        output: *output,
                        var,
                    }));
                }
                chans
                    .into_iter()
                    .map(|ch| {
                        let lo = channel(pts, ch);
                        let hi = channel(shifted.as_ref(), ch);
                        (0..n).map(|i| lo[(i, 0)] - hi[(i, 0)]).collect()
                    })
                    .collect()
            }
        };
        for f in equations {
            let mean_sq = f.iter().map(|v| v * v).sum::<f64>() / n as f64;
            total += 0.5 * block.weight() * mean_sq;
        }
    }
    total
}

/// Checks `J` against central differences, `J·v` and `Jᵀ·w` against `J`, and the loss
/// against [`reference_loss`]; returns the errors.
fn check(model: &ResidualModel, theta: &[f64], seed: u64) -> Errors {
    let (n, p) = (model.n_residuals(), model.n_params());
    assert_eq!(n, model.n_rows_per_block().iter().sum::<usize>());
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, p);
    model.residuals_and_jacobian(theta, &mut r, jac.as_mut());
    let mut r2 = vec![0.0; n];
    model.residuals(theta, &mut r2);
    assert!(
        rel(&r2, &r) < 1e-14,
        "residuals agree with the Jacobian pass"
    );

    // J against central differences, column by column
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
    let fd_err = (&jac - &fd).norm_l2() / jac.norm_l2();

    // J·v and Jᵀ·w against the assembled J
    let mut rng = StdRng::seed_from_u64(seed);
    let v: Vec<f64> = (0..p).map(|_| rng.random_range(-1.0..1.0)).collect();
    let w: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let jv_ref = &jac * Col::from_fn(p, |j| v[j]);
    let jtw_ref = jac.transpose() * Col::from_fn(n, |i| w[i]);
    let mut jv = vec![0.0; n];
    model.jvp(theta, &v, &mut jv);
    let mut jtw = vec![1.0; p];
    model.vjp(theta, &w, &mut jtw);
    let jv_ref: Vec<f64> = (0..n).map(|i| jv_ref[i]).collect();
    let jtw_ref: Vec<f64> = (0..p).map(|j| jtw_ref[j]).collect();

    let loss = model.loss(theta);
    let reference = reference_loss(model, theta);
    let block_sum: f64 = model.block_losses(theta).iter().sum();
    assert!(
        (block_sum - loss).abs() <= 1e-13 * loss,
        "block losses sum to the loss"
    );
    Errors {
        fd: fd_err,
        jvp: rel(&jv, &jv_ref),
        vjp: rel(&jtw, &jtw_ref),
        loss: (loss - reference).abs() / reference,
    }
}

fn assert_ok(label: &str, model: &ResidualModel, theta: &[f64]) {
    let e = check(model, theta, 7);
    eprintln!("{label}: {e:?}");
    assert!(e.fd <= 1e-6, "{label}: J vs central differences {:e}", e.fd);
    assert!(e.jvp <= 1e-12, "{label}: J·v {:e}", e.jvp);
    assert!(e.vjp <= 1e-12, "{label}: Jᵀ·w {:e}", e.vjp);
    assert!(e.loss <= 1e-12, "{label}: loss {:e}", e.loss);
}

// ---------------------------------------------------------------- the two problems

/// Burgers on `(x, t) ∈ [−1, 1] × [0, 1]`, `ν = 0.01/π`.
struct BurgersSetup {
    mlp: Mlp,
    theta: Vec<f64>,
}

fn burgers() -> BurgersSetup {
    let mlp = Mlp::new(&[2, 16, 16, 1], Activation::Tanh);
    let theta = mlp.init(Init::Normal { std: 0.5 }, 11);
    BurgersSetup { mlp, theta }
}

fn burgers_pde(rng: &mut StdRng) -> ResidualBlock {
    let eq: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Burgers::new(0.01 / PI)));
    ResidualBlock::new(
        "pde",
        BURGERS_BOX.interior(rng, 24),
        BlockKind::Pde {
            equations: vec![eq],
        },
        1.0,
    )
    .unwrap()
}

/// Kovasznay flow: outputs `(u, v, p)` on `(x, y)`.
fn kovasznay() -> BurgersSetup {
    let mlp = Mlp::new(&[2, 16, 16, 3], Activation::Tanh);
    let theta = mlp.init(Init::Normal { std: 0.5 }, 12);
    BurgersSetup { mlp, theta }
}

fn kovasznay_pde(rng: &mut StdRng) -> ResidualBlock {
    let eqs = SteadyNavierStokes2d::system(40.0);
    ResidualBlock::new(
        "ns",
        KOVASZNAY_BOX.interior(rng, 20),
        BlockKind::Pde { equations: eqs },
        1.0,
    )
    .unwrap()
}

/// The exact Kovasznay output `o` as a boundary function.
fn exact(o: usize) -> Arc<dyn PointFunction> {
    let k = Kovasznay::new(40.0);
    Arc::new(move |x: &[f64]| match o {
        0 => k.u(x),
        1 => k.v(x),
        _ => k.p(x),
    })
}

/// Each kind's blocks for a problem on `bx` with `m` outputs: one model per kind, so a
/// failure names the kind.
fn kinds(bx: Box2, m: usize, rng: &mut StdRng) -> Vec<(&'static str, Vec<ResidualBlock>)> {
    let g = |o: usize| -> Arc<dyn PointFunction> {
        if m == 3 {
            exact(o)
        } else {
            Arc::new(move |x: &[f64]| -(PI * x[0]).sin() + 0.1 * x[1])
        }
    };
    let dirichlet = sides()
        .into_iter()
        .enumerate()
        .map(|(s, face)| {
            let output = s % m;
            let kind = BlockKind::Dirichlet {
                output,
                face,
                g: g(output),
            };
            ResidualBlock::new(
                format!("dirichlet {face:?}"),
                bx.face(rng, 9, face),
                kind,
                1.0 + s as f64,
            )
            .unwrap()
        })
        .collect();
    let neumann = sides()
        .into_iter()
        .enumerate()
        .map(|(s, face)| {
            let output = (s + 1) % m;
            let kind = BlockKind::Neumann {
                output,
                face,
                g: g(output),
            };
            ResidualBlock::new(
                format!("neumann {face:?}"),
                bx.face(rng, 7, face),
                kind,
                0.5 + s as f64,
            )
            .unwrap()
        })
        .collect();
    let t0 = Face {
        axis: 1,
        upper: false,
    };
    let initial_value = (0..m)
        .map(|output| {
            let kind = BlockKind::InitialValue {
                output,
                time_var: 1,
                g: g(output),
            };
            ResidualBlock::new("initial value", bx.face(rng, 11, t0), kind, 3.0).unwrap()
        })
        .collect();
    let initial_velocity = (0..m)
        .map(|output| {
            let kind = BlockKind::InitialVelocity {
                output,
                time_var: 1,
                g: g(output),
            };
            ResidualBlock::new("initial velocity", bx.face(rng, 10, t0), kind, 2.0).unwrap()
        })
        .collect();
    let periodic = |derivatives: bool, rng: &mut StdRng| -> Vec<ResidualBlock> {
        (0..2)
            .map(|axis| {
                let output = (axis + 2) % m;
                let kind = BlockKind::Periodic {
                    output,
                    axis,
                    period: bx.width(axis),
                    derivatives,
                };
                ResidualBlock::new(
                    "periodic",
                    bx.face(rng, 8, Face { axis, upper: false }),
                    kind,
                    1.5,
                )
                .unwrap()
            })
            .collect()
    };
    let periodic_values = periodic(false, rng);
    let periodic_derivatives = periodic(true, rng);
    // a Robin condition ∂u/∂n + 2u − g on the upper x face, written as a residual
    let robin: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Robin { output: m - 1 }));
    let condition = vec![
        ResidualBlock::new(
            "robin",
            bx.face(
                rng,
                9,
                Face {
                    axis: 0,
                    upper: true,
                },
            ),
            BlockKind::Condition {
                face: Some(Face {
                    axis: 0,
                    upper: true,
                }),
                equations: vec![robin],
            },
            1.0,
        )
        .unwrap(),
    ];
    vec![
        ("dirichlet", dirichlet),
        ("neumann", neumann),
        ("initial value", initial_value),
        ("initial velocity", initial_velocity),
        ("periodic", periodic_values),
        ("periodic with derivatives", periodic_derivatives),
        ("robin condition", condition),
    ]
}

/// `F = ∂u_o/∂x_0 + 2 u_o − sin(x_1)` (a Robin condition on the upper `x_0` face).
struct Robin {
    output: usize,
}

impl Residual for Robin {
    fn channels(&self) -> Vec<Channel> {
        vec![
            Channel::First {
                output: self.output,
                var: 0,
            },
            Channel::Value {
                output: self.output,
            },
        ]
    }
    fn eval<S: num_traits::Float>(&self, x: &[f64], c: &[S]) -> S {
        c[0] + S::from(2.0).unwrap() * c[1] - S::from(x[1].sin()).unwrap()
    }
}

/// KdV `F = u_t + u u_x + δ² u_xxx` on `(x, t)` (x is variable 0), δ = 0.022.
struct Kdv;

impl Residual for Kdv {
    fn channels(&self) -> Vec<Channel> {
        vec![
            Channel::First { output: 0, var: 1 },
            Channel::Value { output: 0 },
            Channel::First { output: 0, var: 0 },
            Channel::higher(0, &[0, 0, 0]),
        ]
    }
    fn eval<S: num_traits::Float>(&self, _x: &[f64], c: &[S]) -> S {
        c[0] + c[1] * c[2] + S::from(0.000484).unwrap() * c[3]
    }
}

#[test]
fn third_and_fourth_order_blocks() {
    let s = burgers();
    let mut rng = StdRng::seed_from_u64(8);
    let kdv: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Kdv));
    let pde = |eq: Arc<dyn PointResidual>, rng: &mut StdRng| {
        let equations = vec![eq];
        let pts = BURGERS_BOX.interior(rng, 24);
        ResidualBlock::new("pde", pts, BlockKind::Pde { equations }, 1.0).unwrap()
    };
    let model = ResidualModel::new(s.mlp.clone(), vec![pde(kdv, &mut rng)]).unwrap();
    assert_ok("kdv pde (Rust, u_xxx)", &model, &s.theta);

    let ctx = pinn::expr::Context::new(&["x", "y"], &["u"]).unwrap();
    let parse = |src: &str| -> Arc<dyn PointResidual> {
        Arc::new(pinn::expr::parse_residual(src, &ctx).unwrap())
    };
    let biharmonic = parse("u_xxxx + 2*u_xxyy + u_yyyy - 4*pi^4*sin(pi*x)*sin(pi*y)");
    let mut blocks = vec![pde(biharmonic, &mut rng)];
    let face = Some(sides()[0]);
    let pts = BURGERS_BOX.face(&mut rng, 16, sides()[0]);
    let equations = vec![parse("lap(u) + u_xyy")];
    let kind = BlockKind::Condition { face, equations };
    blocks.push(ResidualBlock::new("moment", pts, kind, 0.5).unwrap());
    let model = ResidualModel::new(s.mlp.clone(), blocks).unwrap();
    assert_ok("biharmonic (expression, u_xxxx, u_xxyy)", &model, &s.theta);
}

#[test]
fn burgers_pde_block() {
    let s = burgers();
    let mut rng = StdRng::seed_from_u64(1);
    let model = ResidualModel::new(s.mlp.clone(), vec![burgers_pde(&mut rng)]).unwrap();
    assert_ok("burgers pde", &model, &s.theta);
}

#[test]
fn burgers_every_block_kind() {
    let s = burgers();
    let mut rng = StdRng::seed_from_u64(2);
    for (label, blocks) in kinds(BURGERS_BOX, 1, &mut rng) {
        let model = ResidualModel::new(s.mlp.clone(), blocks).unwrap();
        assert_ok(&format!("burgers {label}"), &model, &s.theta);
    }
}

#[test]
fn kovasznay_pde_block() {
    let s = kovasznay();
    let mut rng = StdRng::seed_from_u64(3);
    let model = ResidualModel::new(s.mlp.clone(), vec![kovasznay_pde(&mut rng)]).unwrap();
    assert_eq!(model.n_rows_per_block(), vec![60]);
    assert_ok("kovasznay pde", &model, &s.theta);
}

#[test]
fn kovasznay_every_block_kind() {
    let s = kovasznay();
    let mut rng = StdRng::seed_from_u64(4);
    for (label, blocks) in kinds(KOVASZNAY_BOX, 3, &mut rng) {
        let model = ResidualModel::new(s.mlp.clone(), blocks).unwrap();
        assert_ok(&format!("kovasznay {label}"), &model, &s.theta);
    }
}

/// All kinds together in one model: row offsets of many blocks of different sizes.
#[test]
fn full_models() {
    for (m, bx, seed) in [(1, BURGERS_BOX, 5), (3, KOVASZNAY_BOX, 6)] {
        let s = if m == 1 { burgers() } else { kovasznay() };
        let mut rng = StdRng::seed_from_u64(seed);
        let mut blocks = vec![if m == 1 {
            burgers_pde(&mut rng)
        } else {
            kovasznay_pde(&mut rng)
        }];
        for (_, b) in kinds(bx, m, &mut rng) {
            blocks.extend(b);
        }
        let model = ResidualModel::new(s.mlp.clone(), blocks).unwrap();
        assert_ok(&format!("full model, {m} outputs"), &model, &s.theta);
    }
}

/// Resampling replaces the points of the blocks that are due, keeps the row count, and
/// rejects a sampler that changes the shape.
#[test]
fn resampling() {
    let s = burgers();
    let mut rng = StdRng::seed_from_u64(8);
    let pde = burgers_pde(&mut rng);
    let dir = ResidualBlock::new(
        "dirichlet",
        BURGERS_BOX.face(
            &mut rng,
            6,
            Face {
                axis: 0,
                upper: false,
            },
        ),
        BlockKind::Dirichlet {
            output: 0,
            face: Face {
                axis: 0,
                upper: false,
            },
            g: Arc::new(|_: &[f64]| 0.0),
        },
        1.0,
    )
    .unwrap();
    let mut model = ResidualModel::new(s.mlp.clone(), vec![pde, dir]).unwrap();
    let n = model.n_residuals();
    let mut draw_rng = StdRng::seed_from_u64(9);
    model
        .set_sampler(0, 3, move |_| BURGERS_BOX.interior(&mut draw_rng, 24))
        .unwrap();
    let before = model.blocks()[0].points().to_owned();
    let l0 = model.loss(&s.theta);
    assert!(!model.resample(0, &s.theta));
    assert!(!model.resample(2, &s.theta));
    assert_eq!(model.loss(&s.theta), l0);
    assert!(model.resample(3, &s.theta));
    assert_eq!(model.n_residuals(), n);
    assert!((&model.blocks()[0].points().to_owned() - &before).norm_l2() > 0.0);
    assert_ne!(model.loss(&s.theta), l0);
    assert_ok("after resampling", &model, &s.theta);
    // a sampler with the wrong point count is an error, and the old points stay
    model.set_sampler(1, 1, |_| Mat::zeros(5, 2)).unwrap();
    let kept = model.blocks()[1].points().to_owned();
    assert!(model.try_resample(4, &s.theta).is_err());
    assert_eq!(model.blocks()[1].points().to_owned(), kept);
    assert!(model.set_sampler(2, 1, |_| Mat::zeros(1, 2)).is_err());
    assert!(model.set_sampler(0, 0, |_| Mat::zeros(1, 2)).is_err());
}
