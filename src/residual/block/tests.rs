//! Unit tests of residual blocks: each kind's rows and partials against an analytic
//! stand-in for the network, equation order, and the typed errors of invalid blocks.

use super::*;
use std::f64::consts::PI;

/// An analytic stand-in for the network: outputs `u_0 = sin(x0) e^{x1}` and
/// `u_1 = x0² x1`, with exact channel values.
fn oracle(x: &[f64], ch: &Channel) -> f64 {
    let (a, b) = (x[0], x[1]);
    match *ch {
        Channel::Value { output: 0 } => a.sin() * b.exp(),
        Channel::Value { output: 1 } => a * a * b,
        Channel::First { output: 0, var: 0 } => a.cos() * b.exp(),
        Channel::First { output: 0, var: 1 } => a.sin() * b.exp(),
        Channel::First { output: 1, var: 0 } => 2.0 * a * b,
        Channel::First { output: 1, var: 1 } => a * a,
        Channel::Second {
            output: 0,
            a: 0,
            b: 0,
        } => -a.sin() * b.exp(),
        _ => unreachable!("channel {ch:?} not in the oracle"),
    }
}

/// Unscaled residual rows and `∂F/∂c` of every term, evaluated with the oracle,
/// equation-major. Returns rows and per-row lists of (term, partials).
fn rows(block: &ResidualBlock) -> (Vec<f64>, Vec<Vec<Vec<f64>>>) {
    let mut out = Vec::new();
    let mut partials = Vec::new();
    for g in block.row_groups() {
        for i in 0..block.n_points() {
            let mut f = 0.0;
            let mut per_term = Vec::new();
            for t in &g.terms {
                let pts = block.points_of(t.set);
                let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
                let c: Vec<f64> = t
                    .residual
                    .channels()
                    .iter()
                    .map(|ch| oracle(&x, ch))
                    .collect();
                let mut a = vec![0.0; c.len()];
                f += t.residual.eval(&x, &c, &mut a);
                per_term.push(a);
            }
            out.push(f);
            partials.push(per_term);
        }
    }
    (out, partials)
}

fn face_points(axis: usize, value: f64) -> Mat<f64> {
    Mat::from_fn(4, 2, |i, j| {
        if j == axis {
            value
        } else {
            0.1 + 0.2 * i as f64
        }
    })
}

/// The lower face `x_axis = lo`.
fn lower(axis: usize) -> Face {
    Face { axis, upper: false }
}

fn g() -> Arc<dyn PointFunction> {
    Arc::new(|x: &[f64]| 0.5 * x[0] - x[1])
}

#[test]
fn dirichlet_is_value_minus_g() {
    let pts = face_points(1, 0.0);
    let b = ResidualBlock::new(
        "d",
        pts.clone(),
        BlockKind::Dirichlet {
            output: 1,
            face: lower(1),
            g: g(),
        },
        2.0,
    )
    .unwrap();
    let (r, a) = rows(&b);
    assert_eq!(b.n_rows(), 4);
    assert_eq!(b.scale(), (2.0f64 / 4.0).sqrt());
    for i in 0..4 {
        let x = [pts[(i, 0)], pts[(i, 1)]];
        assert_eq!(r[i], x[0] * x[0] * x[1] - (0.5 * x[0] - x[1]));
        assert_eq!(a[i], vec![vec![1.0]]);
    }
}

#[test]
fn neumann_uses_the_outward_normal_on_each_side() {
    for (axis, upper) in [(0, false), (0, true), (1, false), (1, true)] {
        let face = Face { axis, upper };
        let pts = face_points(axis, if upper { 1.0 } else { -1.0 });
        let b = ResidualBlock::new(
            "n",
            pts.clone(),
            BlockKind::Neumann {
                output: 0,
                face,
                g: g(),
            },
            1.0,
        )
        .unwrap();
        let (r, a) = rows(&b);
        let sign = if upper { 1.0 } else { -1.0 };
        for i in 0..4 {
            let x = [pts[(i, 0)], pts[(i, 1)]];
            let du = oracle(
                &x,
                &Channel::First {
                    output: 0,
                    var: axis,
                },
            );
            assert_eq!(r[i], sign * du - (0.5 * x[0] - x[1]), "{face:?}");
            assert_eq!(a[i], vec![vec![sign]]);
        }
    }
}

#[test]
fn initial_value_and_velocity() {
    let pts = face_points(1, 0.0);
    let iv = ResidualBlock::new(
        "iv",
        pts.clone(),
        BlockKind::InitialValue {
            output: 0,
            time_var: 1,
            g: g(),
        },
        1.0,
    )
    .unwrap();
    let vel = ResidualBlock::new(
        "ivel",
        pts.clone(),
        BlockKind::InitialVelocity {
            output: 0,
            time_var: 1,
            g: g(),
        },
        1.0,
    )
    .unwrap();
    let (r0, a0) = rows(&iv);
    let (r1, a1) = rows(&vel);
    for i in 0..4 {
        let x = [pts[(i, 0)], pts[(i, 1)]];
        let gx = 0.5 * x[0] - x[1];
        assert_eq!(r0[i], x[0].sin() * x[1].exp() - gx);
        assert_eq!(r1[i], x[0].sin() * x[1].exp() - gx); // ∂_t (sin x e^t) = sin x e^t
        assert_eq!(a0[i], vec![vec![1.0]]);
        assert_eq!(a1[i], vec![vec![1.0]]);
    }
    assert_eq!(
        vel.row_groups()[0].terms[0].residual.channels(),
        &[Channel::First { output: 0, var: 1 }]
    );
}

#[test]
fn periodic_pairs_values_and_derivatives() {
    let pts = face_points(0, -1.0);
    let kind = |derivatives| BlockKind::Periodic {
        output: 0,
        axis: 0,
        period: 2.0,
        derivatives,
    };
    let plain = ResidualBlock::new("p", pts.clone(), kind(false), 1.0).unwrap();
    let full = ResidualBlock::new("pd", pts.clone(), kind(true), 3.0).unwrap();
    assert_eq!(plain.n_rows(), 4);
    assert_eq!(full.n_rows(), 12);
    let partner = full.partner_points().unwrap();
    for i in 0..4 {
        assert_eq!(partner[(i, 0)], 1.0);
        assert_eq!(partner[(i, 1)], pts[(i, 1)]);
    }
    let (r, a) = rows(&full);
    // rows: value (0..4), ∂/∂x0 (4..8), ∂/∂x1 (8..12)
    for i in 0..4 {
        let y = pts[(i, 1)];
        let e = y.exp();
        assert_eq!(r[i], (-1f64).sin() * e - 1f64.sin() * e);
        assert_eq!(r[4 + i], (-1f64).cos() * e - 1f64.cos() * e);
        assert_eq!(r[8 + i], (-1f64).sin() * e - 1f64.sin() * e);
        for row in [i, 4 + i, 8 + i] {
            assert_eq!(a[row], vec![vec![1.0], vec![-1.0]]);
        }
    }
    assert_eq!(rows(&plain).0, r[..4].to_vec());
}

#[test]
fn pde_blocks_keep_equation_order() {
    use crate::residual::equations::{Burgers, SteadyNavierStokes2d};
    use crate::residual::generic::RustResidual;
    let pts = Mat::from_fn(5, 2, |i, j| 0.1 * (i + j) as f64);
    let ns = ResidualBlock::new(
        "ns",
        pts.clone(),
        BlockKind::Pde {
            equations: SteadyNavierStokes2d::system(40.0),
        },
        1.0,
    )
    .unwrap();
    assert_eq!(ns.n_rows(), 15);
    assert_eq!(ns.row_groups()[2].terms[0].residual.channels().len(), 2);
    let burgers: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Burgers::new(0.01 / PI)));
    let b = ResidualBlock::new(
        "b",
        pts,
        BlockKind::Pde {
            equations: vec![burgers],
        },
        1.0,
    )
    .unwrap();
    let (r, _) = rows(&b);
    for (i, ri) in r.iter().enumerate() {
        let x = [0.1 * i as f64, 0.1 * (i + 1) as f64];
        let u = x[0].sin() * x[1].exp();
        let expect = u + u * x[0].cos() * x[1].exp() + 0.01 / PI * u;
        assert!((ri - expect).abs() < 1e-15, "row {i}");
    }
}

#[test]
fn invalid_blocks_are_typed_errors() {
    let pts = face_points(1, 0.0);
    let dir = |face| BlockKind::Dirichlet {
        output: 0,
        face,
        g: g(),
    };
    assert!(matches!(
        ResidualBlock::new("w", pts.clone(), dir(lower(1)), -1.0),
        Err(BlockError::BadWeight { .. })
    ));
    assert!(matches!(
        ResidualBlock::new("w", pts.clone(), dir(lower(1)), f64::NAN),
        Err(BlockError::BadWeight { .. })
    ));
    assert!(matches!(
        ResidualBlock::new("e", Mat::zeros(0, 2), dir(lower(1)), 1.0),
        Err(BlockError::NoPoints { .. })
    ));
    assert!(matches!(
        ResidualBlock::new("axis", pts.clone(), dir(lower(2)), 1.0),
        Err(BlockError::VariableOutOfRange { var: 2, dim: 2, .. })
    ));
    // points on x1 = 0 are not on a face x0 = const
    assert!(matches!(
        ResidualBlock::new("off", pts.clone(), dir(lower(0)), 1.0),
        Err(BlockError::PointsOffFace {
            var: 0,
            point: 1,
            ..
        })
    ));
    assert!(matches!(
        ResidualBlock::new(
            "pde",
            pts.clone(),
            BlockKind::Pde { equations: vec![] },
            1.0
        ),
        Err(BlockError::NoEquations { .. })
    ));
    let wide: Arc<dyn PointResidual> = Arc::new(crate::residual::generic::RustResidual::new(
        crate::residual::equations::Burgers {
            nu: 0.1,
            x_var: 2,
            t_var: 1,
        },
    ));
    assert!(matches!(
        ResidualBlock::new(
            "ch",
            pts.clone(),
            BlockKind::Pde {
                equations: vec![wide]
            },
            1.0
        ),
        Err(BlockError::ChannelOutOfRange { dim: 2, .. })
    ));
    assert!(matches!(
        ResidualBlock::new(
            "per",
            pts.clone(),
            BlockKind::Periodic {
                output: 0,
                axis: 1,
                period: 0.0,
                derivatives: false
            },
            1.0
        ),
        Err(BlockError::BadPeriod { .. })
    ));
    let mut nan = pts.clone();
    nan[(2, 0)] = f64::NAN;
    assert!(matches!(
        ResidualBlock::new("nan", nan, dir(lower(1)), 1.0),
        Err(BlockError::NonFinitePoint { point: 2, .. })
    ));
    let mut b = ResidualBlock::new("ok", pts.clone(), dir(lower(1)), 1.0).unwrap();
    assert!(matches!(
        b.set_points(Mat::zeros(3, 2)),
        Err(BlockError::ShapeChanged { .. })
    ));
    assert!(b.set_points(face_points(1, 0.0)).is_ok());
}
