//! Checks of the jets of order 3 and 4 and of their Jacobian against independent
//! references: nested hyper-dual numbers of num-dual, central differences of the
//! lower-order jets, the closed form of a one-hidden-layer network, central differences
//! in θ for `J`, and the assembled `J` for `J·v` and `Jᵀ·w`.

use faer::Mat;
use num_dual::{Dual64, HyperHyperDual, HyperHyperDual64};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::tests::{
    TestSeed, assert_jacobian_matches_differences, channel_jacobians, dual_channel, dual_forward,
    random_points, random_theta, rel_max_err,
};
use super::{Activation, Embedding, Mlp, Periodic};
use crate::residual::{Channel, VarSet};

const ACTS: [Activation; 4] = [
    Activation::Tanh,
    Activation::Sin,
    Activation::Softplus,
    Activation::Sigmoid,
];

fn unit(i: usize, j: usize) -> f64 {
    f64::from(u8::from(i == j))
}

/// `∂^{|vars|} u_o/∂x_vars` at `x` for every output `o`, for 3 or 4 variables: a
/// hyper-hyper-dual number (three nilpotent directions) gives the mixed third
/// derivative in `eps1eps2eps3`; with `Dual64` entries (a fourth direction in every
/// part) that part's tangent is the fourth derivative.
pub(super) fn dual_higher(net: &Mlp, theta: &[f64], x: &[f64], vars: &[usize]) -> Vec<f64> {
    match *vars {
        [a, b, c] => {
            let xd: Vec<HyperHyperDual64> = x
                .iter()
                .enumerate()
                .map(|(i, &xi)| {
                    let (ea, eb, ec) = (unit(i, a), unit(i, b), unit(i, c));
                    HyperHyperDual64::new(xi, ea, eb, ec, 0.0, 0.0, 0.0, 0.0)
                })
                .collect();
            dual_forward(net, theta, &xd)
                .iter()
                .map(|u| u.eps1eps2eps3)
                .collect()
        }
        [a, b, c, e] => {
            let z = Dual64::from(0.0);
            let xd: Vec<HyperHyperDual<Dual64>> = x
                .iter()
                .enumerate()
                .map(|(i, &xi)| {
                    let d = |v: usize| Dual64::from(unit(i, v));
                    let re = Dual64::new(xi, unit(i, e));
                    HyperHyperDual::new(re, d(a), d(b), d(c), z, z, z, z)
                })
                .collect();
            dual_forward(net, theta, &xd)
                .iter()
                .map(|u| u.eps1eps2eps3.eps)
                .collect()
        }
        _ => panic!("dual_higher covers orders 3 and 4, got {vars:?}"),
    }
}

/// Every multi-index of order 3 and 4 in `d` variables (with repetition), for every
/// output, then a few lower-order channels so that both paths share one plan.
fn higher_channels(d: usize, m: usize) -> Vec<Channel> {
    let mut ch = Vec::new();
    for output in 0..m {
        for a in 0..d {
            for b in a..d {
                for c in b..d {
                    ch.push(Channel::higher(output, &[a, b, c]));
                    for e in c..d {
                        ch.push(Channel::higher(output, &[a, b, c, e]));
                    }
                }
            }
        }
        ch.push(Channel::Value { output });
        ch.push(Channel::second(output, 0, d - 1));
        ch.push(Channel::Laplacian {
            output,
            vars: VarSet::all(d),
        });
        ch.push(Channel::First { output, var: 0 });
    }
    ch
}

/// Jets of order 3 and 4 (and the order-≤2 channels in the same plan) against nested
/// hyper-dual numbers: d = 1..3, m = 1 and 2, every activation, several depths; every
/// channel within 1e-11 relative (max norm over the points).
#[test]
fn higher_jets_match_num_dual() {
    let mut rng = StdRng::seed_from_u64(5);
    let hidden: [&[usize]; 3] = [&[7], &[6, 5], &[5, 4, 6]];
    let (mut case, mut worst) = (0, 0.0f64);
    for d in 1..=3 {
        for m in [1, 2] {
            for act in ACTS {
                let hid = hidden[case % hidden.len()];
                case += 1;
                let mut layers = vec![d];
                layers.extend_from_slice(hid);
                layers.push(m);
                let net = Mlp::new(&layers, act);
                let theta = random_theta(&net, 100 + case as u64);
                let pts = random_points(9, d, &mut rng);
                let chans = higher_channels(d, m);
                let got = net.eval_channels(&theta, pts.as_ref(), &chans);
                for (k, &ch) in chans.iter().enumerate() {
                    let want = (0..pts.nrows()).map(|i| {
                        let x: Vec<f64> = (0..d).map(|j| pts[(i, j)]).collect();
                        dual_channel(&net, &theta, &x, ch)
                    });
                    let err = rel_max_err((0..pts.nrows()).map(|i| got[(i, k)]), want);
                    worst = worst.max(err);
                    assert!(err <= 1e-11, "{layers:?} {act:?} {ch:?}: rel err {err:e}");
                }
            }
        }
    }
    eprintln!("order-3/4 jets vs num-dual: worst relative error {worst:e}");
}

/// Jets of order 3 and 4 through input embeddings (periodic features with several
/// harmonics, and Fourier features on top) against nested hyper-dual numbers of the
/// documented embedding and network: the embedding's own higher-order input jets
/// (`d^n/dx^n cos ωx`, and the Faà di Bruno rule of `cos`/`sin` of `B v`) are exact.
#[test]
fn higher_jets_through_embeddings_match_num_dual() {
    let mut rng = StdRng::seed_from_u64(23);
    let per = |period: f64, harmonics: usize| Periodic { period, harmonics };
    for d in 1..=2 {
        let embeddings = [
            Embedding::new(d, &[(d - 1, per(2.0, 2))], None).unwrap(),
            Embedding::new(d, &[(0, per(1.5, 1))], Some((3, 0.9, 4))).unwrap(),
        ];
        for (e, emb) in embeddings.into_iter().enumerate() {
            for act in [Activation::Tanh, Activation::Sin] {
                let net = Mlp::with_embedding(&[d, 6, 5, 1], act, emb.clone()).unwrap();
                let theta = random_theta(&net, 40 + e as u64);
                let pts = random_points(7, d, &mut rng);
                let chans = higher_channels(d, 1);
                let got = net.eval_channels(&theta, pts.as_ref(), &chans);
                for (k, &ch) in chans.iter().enumerate() {
                    let want = (0..pts.nrows()).map(|i| {
                        let x: Vec<f64> = (0..d).map(|j| pts[(i, j)]).collect();
                        dual_channel(&net, &theta, &x, ch)
                    });
                    let err = rel_max_err((0..pts.nrows()).map(|i| got[(i, k)]), want);
                    assert!(
                        err <= 1e-11,
                        "d = {d}, embedding {e}, {act:?} {ch:?}: rel err {err:e}"
                    );
                }
            }
        }
    }
}

/// A one-hidden-layer network `u_o = Σ_q V[o,q] σ(w_q·x + b_q) + c_o` has
/// `∂_α u_o = Σ_q V[o,q] σ^{(|α|)}(z_q) Π_{i∈α} w_{q,i}`: the jets against that closed
/// form, 1e-12 relative.
#[test]
fn higher_jets_match_one_hidden_layer_closed_form() {
    let mut rng = StdRng::seed_from_u64(8);
    let (d, n_hid, m) = (3, 11, 2);
    for act in ACTS {
        let net = Mlp::new(&[d, n_hid, m], act);
        let theta = random_theta(&net, 21);
        let pts = random_points(17, d, &mut rng);
        let chans = higher_channels(d, m);
        let got = net.eval_channels(&theta, pts.as_ref(), &chans);
        let (w, b) = (&theta[..d * n_hid], &theta[d * n_hid..(d + 1) * n_hid]);
        let v = &theta[net.layer_offset(1)..net.layer_offset(1) + m * n_hid];
        for (k, ch) in chans.iter().enumerate() {
            let Channel::Higher { output, vars } = *ch else {
                continue;
            };
            let want = (0..pts.nrows()).map(|i| {
                (0..n_hid)
                    .map(|q| {
                        let z: f64 = b[q] + (0..d).map(|j| w[q * d + j] * pts[(i, j)]).sum::<f64>();
                        let dsig = act.derivs6(z)[vars.order()];
                        v[output * n_hid + q]
                            * dsig
                            * vars.iter().map(|j| w[q * d + j]).product::<f64>()
                    })
                    .sum::<f64>()
            });
            let err = rel_max_err((0..pts.nrows()).map(|i| got[(i, k)]), want);
            assert!(err <= 1e-12, "{act:?} {ch:?}: rel err {err:e}");
        }
    }
}

/// Each order-3/4 jet against a fourth-order central difference, in its last variable,
/// of the jet one order lower (computed in its own plan): relative error ≤ 1e-8.
#[test]
fn higher_jets_are_differences_of_lower_jets() {
    let mut rng = StdRng::seed_from_u64(13);
    let h = 1e-3;
    for (layers, act) in [
        (vec![2, 8, 6, 1], Activation::Tanh),
        (vec![3, 6, 5, 2], Activation::Sin),
        (vec![2, 7, 7, 1], Activation::Softplus),
        (vec![1, 9, 4, 1], Activation::Sigmoid),
    ] {
        let (d, m) = (layers[0], layers[layers.len() - 1]);
        let net = Mlp::new(&layers, act);
        let theta = random_theta(&net, 4);
        let pts = random_points(15, d, &mut rng);
        let chans: Vec<Channel> = higher_channels(d, m)
            .into_iter()
            .filter(|c| c.order() >= 3)
            .collect();
        let got = net.eval_channels(&theta, pts.as_ref(), &chans);
        for (k, ch) in chans.iter().enumerate() {
            let Channel::Higher { output, vars } = *ch else {
                unreachable!()
            };
            let v: Vec<usize> = vars.iter().collect();
            let (last, lower) = v.split_last().unwrap();
            let lower = crate::expr::symbols::derivative(output, lower).unwrap();
            let shifted = |s: f64| {
                let mut p = pts.clone();
                for i in 0..p.nrows() {
                    p[(i, *last)] += s * h;
                }
                net.eval_channels(&theta, p.as_ref(), &[lower])
            };
            let (p2, p1, m1, m2) = (shifted(2.0), shifted(1.0), shifted(-1.0), shifted(-2.0));
            let fd = (0..pts.nrows()).map(|i| {
                (-p2[(i, 0)] + 8.0 * p1[(i, 0)] - 8.0 * m1[(i, 0)] + m2[(i, 0)]) / (12.0 * h)
            });
            let err = rel_max_err((0..pts.nrows()).map(|i| got[(i, k)]), fd);
            assert!(err <= 1e-8, "{layers:?} {act:?} {ch:?}: rel err {err:e}");
        }
    }
}

/// Channels of order 0–4 and a nonlinear seed
/// `F = c0·c1 + c2³ + x0·c3 + c4·c5 + sin(c6)` (KdV- and biharmonic-like terms).
fn jacobian_setup(d: usize) -> (Vec<Channel>, impl TestSeed) {
    let last = d - 1;
    let chans = vec![
        Channel::Value { output: 0 },
        Channel::higher(0, &[0, 0, 0]),
        Channel::First {
            output: 1,
            var: last,
        },
        Channel::higher(1, &[0, 0, last, last]),
        Channel::higher(0, &[last, last, last, last]),
        Channel::higher(1, &[0, last, last]),
        Channel::second(0, 0, last),
    ];
    let seed = |_: usize, x: &[f64], c: &[f64], a: &mut [f64]| {
        a[0] = c[1];
        a[1] = c[0];
        a[2] = 3.0 * c[2] * c[2];
        a[3] = x[0];
        a[4] = c[5];
        a[5] = c[4];
        a[6] = c[6].cos();
        c[0] * c[1] + c[2].powi(3) + x[0] * c[3] + c[4] * c[5] + c[6].sin()
    };
    (chans, seed)
}

/// `J` of residuals reading order-3/4 channels against central differences of the
/// residuals in θ: relative Frobenius error ≤ 1e-6 and every entry within 1e-6 of the
/// column scale; the residuals equal those of the residual-only pass.
#[test]
fn higher_jacobian_matches_central_differences() {
    let mut rng = StdRng::seed_from_u64(17);
    for (layers, act) in [
        (vec![2, 6, 2], Activation::Tanh),
        (vec![3, 5, 4, 2], Activation::Sin),
        (vec![2, 4, 3, 5, 2], Activation::Softplus),
        (vec![1, 6, 5, 2], Activation::Sigmoid),
    ] {
        let d = layers[0];
        let net = Mlp::new(&layers, act);
        let theta = random_theta(&net, 6);
        let pts = random_points(31, d, &mut rng);
        let (chans, seed) = jacobian_setup(d);
        let what = format!("{layers:?} {act:?}");
        let rel = assert_jacobian_matches_differences(&net, &theta, &pts, &chans, &seed, &what);
        eprintln!("order-4 J vs central differences {what}: relative Frobenius {rel:e}");
    }
}

/// `J·v` and `Jᵀ·w` through the order-3/4 jets against the assembled per-channel
/// Jacobians, ≤ 1e-12 relative.
#[test]
fn higher_jvp_and_vjp_match_assembled_jacobian() {
    let mut rng = StdRng::seed_from_u64(19);
    for (layers, act) in [
        (vec![2, 8, 3], Activation::Tanh),
        (vec![3, 6, 7, 2], Activation::Sin),
        (vec![2, 5, 4, 6, 2], Activation::Softplus),
        (vec![1, 7, 2], Activation::Sigmoid),
    ] {
        let d = layers[0];
        let net = Mlp::new(&layers, act);
        let theta = random_theta(&net, 12);
        let pts = random_points(200, d, &mut rng);
        let (chans, _) = jacobian_setup(d);
        let np = net.n_params();
        let jacs = channel_jacobians(&net, &theta, &pts, &chans);
        let v: Vec<f64> = (0..np).map(|_| rng.random_range(-1.0..1.0)).collect();
        let vm = Mat::from_fn(np, 1, |j, _| v[j]);
        let (vals, tans) = net.jvp_channels(&theta, &v, pts.as_ref(), &chans);
        assert!(vals == net.eval_channels(&theta, pts.as_ref(), &chans));
        for (k, jk) in jacs.iter().enumerate() {
            let want = jk * &vm;
            let err = rel_max_err(
                (0..pts.nrows()).map(|i| tans[(i, k)]),
                want.col(0).iter().copied(),
            );
            assert!(
                err <= 1e-12,
                "{layers:?} {act:?} jvp {:?}: {err:e}",
                chans[k]
            );
        }
        let cot = Mat::from_fn(pts.nrows(), chans.len(), |_, _| rng.random_range(-1.0..1.0));
        let mut out = vec![0.25; np];
        net.vjp_channels(&theta, pts.as_ref(), &chans, cot.as_ref(), &mut out);
        let mut want = vec![0.25; np];
        for (k, jk) in jacs.iter().enumerate() {
            let wk = jk.transpose() * cot.col(k);
            want.iter_mut().zip(wk.iter()).for_each(|(a, b)| *a += b);
        }
        let err = rel_max_err(out.iter().copied(), want.iter().copied());
        assert!(err <= 1e-12, "{layers:?} {act:?} vjp: {err:e}");
    }
}

/// Adding order-3/4 channels to a plan leaves its order-≤2 channels (values, `J`)
/// unchanged to rounding: the order-≤2 rules are the same code on the same slots.
#[test]
fn lower_channels_do_not_depend_on_higher_slots() {
    let mut rng = StdRng::seed_from_u64(23);
    let net = Mlp::new(&[2, 9, 7, 1], Activation::Tanh);
    let theta = random_theta(&net, 2);
    let pts = random_points(50, 2, &mut rng);
    let low = vec![
        Channel::Value { output: 0 },
        Channel::First { output: 0, var: 1 },
        Channel::second(0, 0, 0),
    ];
    let mut both = low.clone();
    both.push(Channel::higher(0, &[0, 0, 0, 1]));
    let a = net.eval_channels(&theta, pts.as_ref(), &low);
    let b = net.eval_channels(&theta, pts.as_ref(), &both);
    let err = rel_max_err(
        (0..50)
            .flat_map(|i| (0..3).map(move |k| (i, k)))
            .map(|ik| a[ik]),
        (0..50)
            .flat_map(|i| (0..3).map(move |k| (i, k)))
            .map(|ik| b[ik]),
    );
    assert!(err <= 1e-14, "{err:e}");
}
