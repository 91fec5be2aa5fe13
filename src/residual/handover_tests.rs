use std::sync::Arc;

use faer::Mat;

use super::*;
use crate::expr::{Context, parse_residual};
use crate::model::{Activation, Init, Mlp};

/// A 2 → 6 → 6 → 1 tanh network of (t, x) and two earlier slabs' parameters.
fn earlier() -> (Mlp, Vec<Vec<f64>>) {
    let mlp = Mlp::new(&[2, 6, 6, 1], Activation::Tanh);
    let thetas = vec![
        mlp.init(Init::XavierNormal, 3),
        mlp.init(Init::XavierNormal, 4),
    ];
    (mlp, thetas)
}

fn points() -> Mat<f64> {
    Mat::from_fn(11, 2, |i, j| {
        if j == 0 {
            0.05 * i as f64
        } else {
            -1.0 + 0.17 * i as f64
        }
    })
}

/// `B = Σ h_j N_j(τ_j, x)`: every channel by the networks at the slab ends, the ones
/// with a time derivative zero, and a Laplacian over (t, x) that of x alone.
#[test]
fn the_base_is_the_scaled_sum_of_the_earlier_networks_at_their_end_times() {
    let (mlp, thetas) = earlier();
    let boundaries = [0.0, 0.25, 0.6, 1.0];
    let base = HandoverBase::new(&mlp, 0, &boundaries, &thetas);
    let pts = points();
    let ch = [
        Channel::Value { output: 0 },
        Channel::First { output: 0, var: 1 },
        Channel::First { output: 0, var: 0 },
        Channel::higher(0, &[1, 1, 1]),
        Channel::higher(0, &[0, 1, 1]),
        Channel::second(0, 0, 1),
        Channel::Laplacian {
            output: 0,
            vars: VarSet::all(2),
        },
    ];
    let b = base.channels(pts.as_ref(), &ch);
    let spatial = [
        Channel::Value { output: 0 },
        Channel::First { output: 0, var: 1 },
        Channel::higher(0, &[1, 1, 1]),
        Channel::second(0, 1, 1),
    ];
    let mut want = Mat::<f64>::zeros(pts.nrows(), spatial.len());
    for (j, (a, z)) in [(0.0, 0.25), (0.25, 0.6)].into_iter().enumerate() {
        let at = Mat::from_fn(pts.nrows(), 2, |i, c| if c == 0 { z } else { pts[(i, 1)] });
        let c = mlp.eval_channels(&thetas[j], at.as_ref(), &spatial);
        want += faer::Scale(z - a) * &c;
    }
    for i in 0..pts.nrows() {
        let close = |got: f64, w: f64| (got - w).abs() <= 1e-14 * (1.0 + w.abs());
        assert!(close(b[(i, 0)], want[(i, 0)]));
        assert!(close(b[(i, 1)], want[(i, 1)]));
        assert_eq!(b[(i, 2)], 0.0, "∂t of a function of x");
        assert!(close(b[(i, 3)], want[(i, 2)]));
        assert_eq!(b[(i, 4)], 0.0, "∂t∂x∂x of a function of x");
        assert_eq!(b[(i, 5)], 0.0, "∂t∂x of a function of x");
        assert!(close(b[(i, 6)], want[(i, 3)]), "the Laplacian over x alone");
        assert!(b[(i, 0)].abs() > 1e-3, "a base that is not trivially zero");
    }
    let v = base.values(pts.as_ref());
    for i in 0..pts.nrows() {
        assert_eq!(v[(i, 0)], b[(i, 0)]);
    }
    assert!(HandoverBase::new(&mlp, 0, &boundaries, &[]).is_empty());
}

/// The shifted residual reads `F(x, c + B(x))`: from its stored parts bit for bit as
/// the inner residual at the shifted channels, and computed afresh at one point to
/// rounding; the inner residual's own point-only parts (a source term) follow B's.
#[test]
fn a_shifted_residual_reads_the_inner_residual_at_the_shifted_channels() {
    let (mlp, thetas) = earlier();
    let base = Arc::new(HandoverBase::new(&mlp, 0, &[0.0, 0.3, 0.5], &thetas));
    let ctx = Context::new(&["t", "x"], &["u"]).unwrap();
    let inner: Arc<dyn PointResidual> =
        Arc::new(parse_residual("u_t + u*u_x + 0.01*u_xxx - sin(x)*exp(t)", &ctx).unwrap());
    let shifted = ShiftedResidual::new(inner.clone(), base.clone());
    assert_eq!(shifted.channels(), inner.channels());
    let k = inner.channels().len();
    assert_eq!(shifted.point_part_len(), k + inner.point_part_len());
    let pts = points();
    let len = shifted.point_part_len();
    let mut parts = vec![0.0; pts.nrows() * len];
    shifted.point_parts_block(pts.as_ref(), &mut parts);
    let b = base.channels(pts.as_ref(), inner.channels());
    for i in 0..pts.nrows() {
        let x = [pts[(i, 0)], pts[(i, 1)]];
        let pre = &parts[i * len..(i + 1) * len];
        let c: Vec<f64> = (0..k)
            .map(|m| 0.3 + 0.1 * m as f64 - 0.02 * i as f64)
            .collect();
        let sum: Vec<f64> = (0..k).map(|m| c[m] + b[(i, m)]).collect();
        let mut inner_pre = vec![0.0; inner.point_part_len()];
        inner.point_part(&x, &mut inner_pre);
        assert_eq!(&pre[k..], &inner_pre[..]);
        let (mut d1, mut d2, mut d3) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let want = inner.eval(&x, &sum, &mut d1);
        assert_eq!(shifted.eval_with(&x, pre, &c, &mut d2), want);
        assert_eq!(d1, d2);
        assert_eq!(shifted.value_with(&x, pre, &c), want);
        let fresh = shifted.eval(&x, &c, &mut d3);
        assert!(
            (fresh - want).abs() <= 1e-13 * (1.0 + want.abs()),
            "{fresh} {want}"
        );
        assert!((shifted.value(&x, &c) - want).abs() <= 1e-13 * (1.0 + want.abs()));
        let mut one = vec![0.0; len];
        shifted.point_part(&x, &mut one);
        for (a, z) in one.iter().zip(pre) {
            assert!((a - z).abs() <= 1e-14 * (1.0 + z.abs()));
        }
    }
}

/// A slab whose network is a sum of stages hands over `h_j Σ_s ε_s N_s(τ_j, x)`: the
/// base of two one-network slabs plus `ε` times the base of a second network in slab 0,
/// and a single stage of `ε = 1` gives the plain base bit for bit.
#[test]
fn a_slab_of_several_stages_hands_over_their_scaled_sum() {
    let (mlp, thetas) = earlier();
    let corr = Mlp::new(&[2, 5, 1], Activation::Sin);
    let theta_c = corr.init(Init::XavierNormal, 9);
    let eps = 3.7e-3;
    let boundaries = [0.0, 0.25, 0.6, 1.0];
    let stage = |mlp: &Mlp, theta: &[f64], epsilon: f64| FrozenStage {
        mlp: mlp.clone(),
        theta: theta.to_vec(),
        epsilon,
    };
    let sums = vec![
        vec![stage(&mlp, &thetas[0], 1.0), stage(&corr, &theta_c, eps)],
        vec![stage(&mlp, &thetas[1], 1.0)],
    ];
    let pts = points();
    let ch = [
        Channel::Value { output: 0 },
        Channel::higher(0, &[1, 1, 1]),
        Channel::First { output: 0, var: 0 },
    ];
    let got = HandoverBase::of_sums(0, &boundaries, &sums).channels(pts.as_ref(), &ch);
    let plain = HandoverBase::new(&mlp, 0, &boundaries, &thetas).channels(pts.as_ref(), &ch);
    let at = Mat::from_fn(
        pts.nrows(),
        2,
        |i, c| if c == 0 { 0.25 } else { pts[(i, 1)] },
    );
    let c = corr.eval_channels(&theta_c, at.as_ref(), &ch[..2]);
    for i in 0..pts.nrows() {
        for k in 0..2 {
            let want = plain[(i, k)] + 0.25 * eps * c[(i, k)];
            assert!(
                (got[(i, k)] - want).abs() <= 1e-14 * (1.0 + want.abs()),
                "point {i} channel {k}: {} vs {want}",
                got[(i, k)]
            );
        }
        assert_eq!(got[(i, 2)], 0.0, "∂t of a function of x");
        assert!(
            (0.25 * eps * c[(i, 0)]).abs() > 1e-8,
            "a correction that counts"
        );
    }
    let one = vec![
        vec![stage(&mlp, &thetas[0], 1.0)],
        vec![stage(&mlp, &thetas[1], 1.0)],
    ];
    let same = HandoverBase::of_sums(0, &boundaries, &one).channels(pts.as_ref(), &ch);
    assert_eq!(same, plain);
}
