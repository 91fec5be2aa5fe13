//! Checks of the input embedding: jets through `φ` against hyper-dual numbers and finite
//! differences, the parameter Jacobian against central differences, `J·v` and `Jᵀ·w`,
//! and exact periodicity of every channel.

use faer::Mat;
use num_dual::DualNum;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::embedding::harmonic_derivative;
use super::tests::{
    ACTS, H, all_channels, assert_jacobian_matches_differences, channel_jacobians, dual_channel,
    jacobian_setup, random_points, random_theta, rel_max_err,
};
use super::{Activation, Embedding, Mlp, ModelError, Periodic};
use crate::residual::Channel;

/// `φ(x)` on hyper-dual numbers, written from the documented feature order (per variable:
/// `x_j`, or `cos(ω_k x_j), sin(ω_k x_j)` for `k = 1..K`; then `[cos(Bv), sin(Bv)]`).
pub(super) fn dual_embed<D: DualNum<Primitive = f64> + Copy>(emb: &Embedding, x: &[D]) -> Vec<D> {
    let mut v = Vec::new();
    for (j, &xj) in x.iter().enumerate() {
        match emb.periodic(j) {
            None => v.push(xj),
            Some(p) => {
                for k in 1..=p.harmonics {
                    let w = 2.0 * std::f64::consts::PI * k as f64 / p.period;
                    v.push((xj * D::from(w)).cos());
                    v.push((xj * D::from(w)).sin());
                }
            }
        }
    }
    let Some(f) = emb.fourier() else {
        return v;
    };
    let z: Vec<D> = (0..f.count)
        .map(|k| {
            v.iter().enumerate().fold(D::from(0.0), |acc, (l, &vl)| {
                acc + vl * D::from(f.matrix[k * v.len() + l])
            })
        })
        .collect();
    z.iter()
        .map(|zk| zk.cos())
        .chain(z.iter().map(|zk| zk.sin()))
        .collect()
}

fn per(period: f64, harmonics: usize) -> Periodic {
    Periodic { period, harmonics }
}

/// Embeddings of `d` variables: periodic in the last, periodic with 3 harmonics in the
/// first plus Fourier features, and Fourier features alone.
fn embeddings(d: usize) -> Vec<Embedding> {
    vec![
        Embedding::new(d, &[(d - 1, per(2.0, 1))], None).unwrap(),
        Embedding::new(d, &[(0, per(1.5, 3))], Some((4, 1.3, 7))).unwrap(),
        Embedding::new(d, &[], Some((3, 0.8, 1))).unwrap(),
    ]
}

#[test]
fn sizes_and_parameter_count() {
    let emb = Embedding::new(2, &[(1, per(2.0, 2))], None).unwrap();
    assert_eq!((emb.n_inputs(), emb.width()), (2, 5));
    let net = Mlp::with_embedding(&[2, 20, 1], Activation::Tanh, emb).unwrap();
    assert_eq!(net.n_inputs(), 2);
    assert_eq!(net.layers(), &[5, 20, 1]);
    assert_eq!(net.n_params(), 6 * 20 + 21);
    let emb = Embedding::new(2, &[(1, per(2.0, 1))], Some((16, 1.0, 0))).unwrap();
    assert_eq!((emb.periodic_width(), emb.width()), (3, 32));
    assert_eq!(emb.fourier().unwrap().matrix.len(), 16 * 3);
    // The identity is the plain network, bit for bit.
    let plain = Mlp::new(&[2, 5, 1], Activation::Tanh);
    let same = Mlp::with_embedding(&[2, 5, 1], Activation::Tanh, Embedding::identity(2)).unwrap();
    assert_eq!(plain, same);
    assert!(plain.embedding().is_identity());
}

#[test]
fn invalid_embeddings_are_errors() {
    let e = |p: &[(usize, Periodic)], f| Embedding::new(2, p, f).unwrap_err();
    assert_eq!(
        e(&[(2, per(1.0, 1))], None),
        ModelError::UnknownEmbeddedVariable { var: 2, d: 2 }
    );
    assert_eq!(
        e(&[(0, per(1.0, 1)), (0, per(2.0, 1))], None),
        ModelError::DuplicateEmbeddedVariable(0)
    );
    assert_eq!(e(&[(0, per(0.0, 1))], None), ModelError::BadPeriod(0.0));
    assert!(matches!(
        e(&[(0, per(f64::NAN, 1))], None),
        ModelError::BadPeriod(_)
    ));
    assert_eq!(e(&[(1, per(1.0, 0))], None), ModelError::NoHarmonics(1));
    assert_eq!(e(&[], Some((0, 1.0, 0))), ModelError::NoFourierFeatures);
    assert_eq!(
        e(&[], Some((3, -1.0, 0))),
        ModelError::BadFourierScale(-1.0)
    );
    let emb = Embedding::identity(3);
    assert_eq!(
        Mlp::with_embedding(&[2, 4, 1], Activation::Tanh, emb).unwrap_err(),
        ModelError::EmbeddingInputs {
            embedding: 3,
            layers: 2
        }
    );
}

/// The derivative cycle against the closed forms `ωⁿ cos(ωx + nπ/2)`.
#[test]
fn harmonic_derivatives_follow_the_cycle() {
    let (w, x) = (2.7, 0.37);
    let (s, c) = (w * x).sin_cos();
    for n in 0..9u32 {
        let shift = w * x + f64::from(n) * std::f64::consts::FRAC_PI_2;
        let scale = w.powi(n as i32);
        let got_c = harmonic_derivative(n, w, c, s, true);
        let got_s = harmonic_derivative(n, w, c, s, false);
        assert!((got_c - scale * shift.cos()).abs() <= 1e-13 * scale, "{n}");
        assert!((got_s - scale * shift.sin()).abs() <= 1e-13 * scale, "{n}");
    }
}

/// `Embedding::apply` is the value slot of the jets (via a linear network that copies
/// its input) and the hyper-dual embedding.
#[test]
fn apply_matches_the_dual_embedding() {
    for emb in embeddings(2) {
        let x = [0.3, -0.8];
        let mut out = vec![0.0; emb.width()];
        emb.apply(&x, &mut out);
        let xd: Vec<H> = x.iter().map(|&v| H::from_re(v)).collect();
        let want = dual_embed(&emb, &xd);
        for (a, b) in out.iter().zip(&want) {
            assert!((a - b.re).abs() <= 1e-15, "{a} vs {}", b.re);
        }
    }
}

/// Every channel through each embedding against hyper-dual numbers (≤ 1e-12 relative).
#[test]
fn jets_through_the_embedding_match_num_dual() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut case = 0;
    for d in 1..=3 {
        for emb in embeddings(d) {
            for m in [1, 2] {
                let act = ACTS[case % ACTS.len()];
                case += 1;
                let net = Mlp::with_embedding(&[d, 7, 5, m], act, emb.clone()).unwrap();
                let theta = random_theta(&net, case as u64);
                let pts = random_points(19, d, &mut rng);
                let chans = all_channels(d, m);
                let got = net.eval_channels(&theta, pts.as_ref(), &chans);
                for (k, &ch) in chans.iter().enumerate() {
                    let want: Vec<f64> = (0..pts.nrows())
                        .map(|i| {
                            let x: Vec<f64> = (0..d).map(|j| pts[(i, j)]).collect();
                            dual_channel(&net, &theta, &x, ch)
                        })
                        .collect();
                    let err = rel_max_err((0..pts.nrows()).map(|i| got[(i, k)]), want.into_iter());
                    assert!(err <= 1e-12, "d={d} {emb:?} {ch:?}: rel err {err:e}");
                }
            }
        }
    }
}

/// First and second derivatives through the embedding against central differences of
/// the network's values (independent of any derivative code).
#[test]
fn jets_through_the_embedding_match_finite_differences() {
    let mut rng = StdRng::seed_from_u64(9);
    let d = 2;
    for emb in embeddings(d) {
        let net = Mlp::with_embedding(&[d, 8, 6, 1], Activation::Tanh, emb).unwrap();
        let theta = random_theta(&net, 2);
        let pts = random_points(11, d, &mut rng);
        let chans = all_channels(d, 1);
        let got = net.eval_channels(&theta, pts.as_ref(), &chans);
        let u = |x: &[f64]| {
            let p = Mat::from_fn(1, d, |_, j| x[j]);
            net.eval(&theta, p.as_ref())[(0, 0)]
        };
        for i in 0..pts.nrows() {
            let x: Vec<f64> = (0..d).map(|j| pts[(i, j)]).collect();
            let shifted = |da: &[(usize, f64)]| {
                let mut y = x.clone();
                for &(j, s) in da {
                    y[j] += s;
                }
                u(&y)
            };
            let second = |a: usize, b: usize, h: f64| {
                (shifted(&[(a, h), (b, h)])
                    - shifted(&[(a, h), (b, -h)])
                    - shifted(&[(a, -h), (b, h)])
                    + shifted(&[(a, -h), (b, -h)]))
                    / (4.0 * h * h)
            };
            let diff = |ch: Channel, h: f64| match ch {
                Channel::Value { .. } => u(&x),
                Channel::First { var, .. } => {
                    (shifted(&[(var, h)]) - shifted(&[(var, -h)])) / (2.0 * h)
                }
                Channel::Second { a, b, .. } => second(a, b, h),
                Channel::Laplacian { vars, .. } => vars.iter().map(|v| second(v, v, h)).sum(),
                Channel::Higher { .. } => unreachable!("all_channels has order ≤ 2"),
            };
            for (k, &ch) in chans.iter().enumerate() {
                // Central differences err by O(h²); Richardson's (4 D(h/2) − D(h))/3 by
                // O(h⁴): (hω)⁴ stays below 1e-8 for the effective frequencies ω ≲ 40 here.
                let h = 1e-4;
                let fd = (4.0 * diff(ch, h / 2.0) - diff(ch, h)) / 3.0;
                let g = got[(i, k)];
                assert!(
                    (g - fd).abs() <= 1e-5 * fd.abs().max(1.0),
                    "{ch:?} at {x:?}: jets {g} vs differences {fd}"
                );
            }
        }
    }
}

/// `J` through the embedding against central differences in θ, and `J·v`, `Jᵀ·w`
/// against the assembled Jacobian.
#[test]
fn jacobian_through_the_embedding_matches_differences() {
    let mut rng = StdRng::seed_from_u64(13);
    for (k, emb) in embeddings(2).into_iter().enumerate() {
        let net = Mlp::with_embedding(&[2, 6, 5, 2], ACTS[k], emb).unwrap();
        let theta = random_theta(&net, 4);
        let pts = random_points(29, 2, &mut rng);
        let (chans, seed) = jacobian_setup(2);
        let what = format!("embedding {k}");
        assert_jacobian_matches_differences(&net, &theta, &pts, &chans, &seed, &what);
        let (n, np) = (pts.nrows(), net.n_params());

        let jacs = channel_jacobians(&net, &theta, &pts, &chans);
        let v: Vec<f64> = (0..np).map(|_| rng.random_range(-1.0..1.0)).collect();
        let vm = Mat::from_fn(np, 1, |j, _| v[j]);
        let (_, tans) = net.jvp_channels(&theta, &v, pts.as_ref(), &chans);
        for (c, jc) in jacs.iter().enumerate() {
            let want = jc * &vm;
            let err = rel_max_err((0..n).map(|i| tans[(i, c)]), want.col(0).iter().copied());
            assert!(err <= 1e-12, "embedding {k} jvp channel {c}: {err:e}");
        }
        let cot = Mat::from_fn(n, chans.len(), |_, _| rng.random_range(-1.0..1.0));
        let mut out = vec![0.0; np];
        net.vjp_channels(&theta, pts.as_ref(), &chans, cot.as_ref(), &mut out);
        let mut want = vec![0.0; np];
        for (c, jc) in jacs.iter().enumerate() {
            let wc = jc.transpose() * cot.col(c);
            want.iter_mut().zip(wc.iter()).for_each(|(a, b)| *a += b);
        }
        let err = rel_max_err(out.iter().copied(), want.iter().copied());
        assert!(err <= 1e-12, "embedding {k} vjp: {err:e}");
    }
}

/// With `x` periodic (period L), every channel (values, all first and second
/// derivatives, Laplacians) at `(t, x)` equals the one at `(t, x + L)` and `(t, x − 3L)`
/// to rounding, with and without Fourier features on top.
#[test]
fn periodic_channels_are_exactly_periodic() {
    let mut rng = StdRng::seed_from_u64(21);
    let l = 2.0;
    for (emb, act) in [
        (
            Embedding::new(2, &[(1, per(l, 1))], None).unwrap(),
            Activation::Tanh,
        ),
        (
            Embedding::new(2, &[(1, per(l, 3))], Some((8, 1.0, 3))).unwrap(),
            Activation::Sin,
        ),
    ] {
        let net = Mlp::with_embedding(&[2, 12, 12, 2], act, emb).unwrap();
        let theta = random_theta(&net, 8);
        let pts = random_points(50, 2, &mut rng);
        let chans = all_channels(2, 2);
        let base = net.eval_channels(&theta, pts.as_ref(), &chans);
        for shift in [l, -3.0 * l] {
            let moved = Mat::from_fn(50, 2, |i, j| pts[(i, j)] + if j == 1 { shift } else { 0.0 });
            let got = net.eval_channels(&theta, moved.as_ref(), &chans);
            for (k, ch) in chans.iter().enumerate() {
                let err = rel_max_err((0..50).map(|i| got[(i, k)]), (0..50).map(|i| base[(i, k)]));
                assert!(err <= 1e-12, "{ch:?} shifted by {shift}: rel diff {err:e}");
            }
        }
    }
}
