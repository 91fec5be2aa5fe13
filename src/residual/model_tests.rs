//! Unit tests of the residual model: rows, Jacobians, samplers and row blocks.

use std::sync::Arc;

use super::*;
use crate::model::Activation;
use crate::residual::Rad;
use crate::residual::block::{BlockKind, Face};

fn dirichlet(output: usize, d: usize) -> ResidualBlock {
    let pts = Mat::from_fn(3, d, |i, j| if j == 0 { 0.0 } else { 0.1 * i as f64 });
    let kind = BlockKind::Dirichlet {
        output,
        face: Face {
            axis: 0,
            upper: false,
        },
        g: Arc::new(|_: &[f64]| 1.0),
    };
    ResidualBlock::new("d", pts, kind, 1.0).unwrap()
}

/// Solvers may evaluate the problem from several threads.
#[test]
fn the_model_is_send_and_sync() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<ResidualModel>();
    is_send_sync::<ResidualBlock>();
}

#[test]
fn blocks_must_fit_the_network() {
    let mlp = Mlp::new(&[2, 4, 2], Activation::Tanh);
    assert!(matches!(
        ResidualModel::new(mlp.clone(), vec![]),
        Err(ResidualModelError::NoBlocks)
    ));
    assert!(matches!(
        ResidualModel::new(mlp.clone(), vec![dirichlet(0, 3)]),
        Err(ResidualModelError::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        ResidualModel::new(mlp.clone(), vec![dirichlet(2, 2)]),
        Err(ResidualModelError::OutputOutOfRange { n_outputs: 2, .. })
    ));
    let model = ResidualModel::new(mlp, vec![dirichlet(1, 2), dirichlet(0, 2)]).unwrap();
    assert_eq!(model.n_rows_per_block(), vec![3, 3]);
    assert_eq!(model.block_rows(1), 3..6);
    assert_eq!(model.n_residuals(), 6);
}

#[test]
fn set_points_replaces_a_blocks_points_or_says_why_not() {
    let mlp = Mlp::new(&[2, 4, 1], Activation::Tanh);
    let mut model = ResidualModel::new(mlp, vec![dirichlet(0, 2)]).unwrap();
    let moved = Mat::from_fn(3, 2, |i, j| if j == 0 { 0.0 } else { 0.3 + 0.2 * i as f64 });
    model.set_points(0, moved.clone()).unwrap();
    assert_eq!(model.blocks()[0].points(), moved.as_ref());
    assert!(matches!(
        model.set_points(1, moved.clone()),
        Err(ResidualModelError::NoSuchBlock {
            index: 1,
            n_blocks: 1
        })
    ));
    // Another shape, or a non-finite point, is refused; the points stay.
    assert!(model.set_points(0, Mat::zeros(4, 2)).is_err());
    assert!(
        model
            .set_points(0, Mat::from_fn(3, 2, |_, _| f64::NAN))
            .is_err()
    );
    assert_eq!(model.blocks()[0].points(), moved.as_ref());
}

#[test]
fn rad_samplers_check_their_block_and_pool() {
    let mlp = Mlp::new(&[2, 4, 1], Activation::Tanh);
    let pts = Mat::from_fn(3, 2, |i, j| if j == 0 { 0.0 } else { 0.1 * i as f64 });
    let periodic = ResidualBlock::new(
        "p",
        pts,
        BlockKind::Periodic {
            output: 0,
            axis: 0,
            period: 1.0,
            derivatives: false,
        },
        1.0,
    )
    .unwrap();
    let mut model = ResidualModel::new(mlp.clone(), vec![dirichlet(0, 2), periodic]).unwrap();
    let pool = |_: usize| Mat::from_fn(2, 2, |_, _| 0.0);
    assert!(matches!(
        model.set_rad_sampler(1, 1, pool, Rad::default(), 0),
        Err(ResidualModelError::NotAdaptable { .. })
    ));
    assert!(matches!(
        model.set_rad_sampler(2, 1, pool, Rad::default(), 0),
        Err(ResidualModelError::NoSuchBlock { .. })
    ));
    // A pool of 2 cannot supply the Dirichlet block's 3 points: an error, points kept.
    model
        .set_rad_sampler(0, 1, pool, Rad::default(), 0)
        .unwrap();
    assert!(model.is_adaptive(0) && !model.is_adaptive(1));
    let kept = model.blocks()[0].points().to_owned();
    let theta = vec![0.0; mlp.n_params()];
    assert!(matches!(
        model.try_resample(1, &theta),
        Err(ResidualModelError::Adaptive {
            source: AdaptiveError::PoolTooSmall { pool: 2, needed: 3 },
            ..
        })
    ));
    assert_eq!(model.blocks()[0].points(), kept.as_ref());
}

/// Any row range of `J` (crossing blocks and equations, and the second term of a
/// periodic equation) equals those rows of the assembled Jacobian.
#[test]
fn jacobian_rows_are_the_rows_of_the_assembled_jacobian() {
    let mlp = Mlp::new(&[2, 5, 2], Activation::Tanh);
    let periodic = ResidualBlock::new(
        "p",
        Mat::from_fn(4, 2, |i, j| if j == 0 { 0.0 } else { 0.2 * i as f64 }),
        BlockKind::Periodic {
            output: 1,
            axis: 0,
            period: 1.0,
            derivatives: true,
        },
        2.0,
    )
    .unwrap();
    let model = ResidualModel::new(
        mlp.clone(),
        vec![dirichlet(0, 2), periodic, dirichlet(1, 2)],
    )
    .unwrap();
    let (n, p) = (model.n_residuals(), model.n_params());
    let theta: Vec<f64> = (0..p).map(|i| 0.3 * (i as f64 * 1.7).sin()).collect();
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, p);
    model.residuals_and_jacobian(&theta, &mut r, jac.as_mut());
    for (lo, hi) in [(0, n), (0, 1), (2, 7), (3, n), (n - 1, n)] {
        let mut rb = vec![f64::NAN; hi - lo];
        let mut jb = Mat::<f64>::from_fn(hi - lo, p, |_, _| f64::NAN);
        model.jacobian_rows(&theta, lo..hi, &mut rb, jb.as_mut());
        for i in lo..hi {
            assert!((rb[i - lo] - r[i]).abs() <= 1e-14, "r row {i}");
            for k in 0..p {
                assert!(
                    (jb[(i - lo, k)] - jac[(i, k)]).abs() <= 1e-14,
                    "J row {i} col {k} of rows {lo}..{hi}"
                );
            }
        }
    }
}

/// With θ = 0 the network is identically 0, so a Dirichlet residual is `−g` and the
/// loss is `½ w g²` exactly.
#[test]
fn loss_of_the_zero_network() {
    let mlp = Mlp::new(&[2, 4, 1], Activation::Tanh);
    let mut b = dirichlet(0, 2);
    b = ResidualBlock::new("d", b.points().to_owned(), b.kind().clone(), 4.0).unwrap();
    let model = ResidualModel::new(mlp.clone(), vec![b]).unwrap();
    let theta = vec![0.0; mlp.n_params()];
    assert_eq!(model.loss(&theta), 0.5 * 4.0);
    let mut r = vec![0.0; 3];
    model.residuals(&theta, &mut r);
    let s = (4.0f64 / 3.0).sqrt();
    assert_eq!(r, vec![-s; 3]);
}
