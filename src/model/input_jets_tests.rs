//! Stored input jets: every kernel reads back exactly the numbers it computes itself.

use faer::Mat;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::super::tests::{all_channels, random_points, random_theta};
use super::*;
use crate::model::{Activation, Embedding, Periodic};

/// Periodic features alone (pointwise), periodic plus Fourier features, and Fourier
/// features alone, on `d = 2` variables.
fn embeddings() -> Vec<Embedding> {
    let per = |period: f64, harmonics: usize| Periodic { period, harmonics };
    vec![
        Embedding::new(2, &[(1, per(2.0, 2))], None).unwrap(),
        Embedding::new(2, &[(0, per(1.5, 1))], Some((4, 1.3, 7))).unwrap(),
        Embedding::new(2, &[], Some((3, 0.8, 1))).unwrap(),
    ]
}

/// Every order-≤2 channel of both outputs and two of order 3 and 4.
fn channels() -> Vec<Channel> {
    let mut ch = all_channels(2, 2);
    ch.push(Channel::higher(0, &[1, 1, 1]));
    ch.push(Channel::higher(1, &[0, 1, 1, 1]));
    ch
}

/// A nonlinear seed over every channel: `F = Σ_k (k+1)/7 c_k + c_0 c_1 + x_0 c_2`.
fn seed(_i: usize, x: &[f64], c: &[f64], a: &mut [f64]) -> f64 {
    let mut f = c[0] * c[1] + x[0] * c[2];
    for (k, (ak, ck)) in a.iter_mut().zip(c).enumerate() {
        *ak = (k + 1) as f64 / 7.0;
        f += *ak * ck;
    }
    a[0] += c[1];
    a[1] += c[0];
    a[2] += x[0];
    f
}

fn bits(v: impl IntoIterator<Item = f64>) -> Vec<u64> {
    v.into_iter().map(f64::to_bits).collect()
}

fn mat_bits(m: &Mat<f64>) -> Vec<u64> {
    bits((0..m.ncols()).flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)])))
}

/// Every kernel at `a` and `b` (the same points, stored jets or not): the same bits.
fn assert_same_bits(net: &Mlp, theta: &[f64], a: Inputs<'_>, b: Inputs<'_>, what: &str) {
    let ch = channels();
    let n = a.points().nrows();
    let eval = |p: Inputs<'_>| net.eval_channels(theta, p, &ch);
    assert_eq!(mat_bits(&eval(a)), mat_bits(&eval(b)), "{what}: values");
    let v: Vec<f64> = (0..net.n_params())
        .map(|i| (i as f64 * 0.37).sin())
        .collect();
    let (va, ta) = net.jvp_channels(theta, &v, a, &ch);
    let (vb, tb) = net.jvp_channels(theta, &v, b, &ch);
    assert_eq!(mat_bits(&va), mat_bits(&vb), "{what}: J·v values");
    assert_eq!(mat_bits(&ta), mat_bits(&tb), "{what}: J·v tangents");
    let res = |p: Inputs<'_>| {
        let mut r = vec![0.0; n];
        net.residuals(theta, p, &ch, &seed, &mut r, false);
        r
    };
    assert_eq!(bits(res(a)), bits(res(b)), "{what}: residuals");
    let other: Vec<f64> = theta.iter().map(|t| t * 0.9).collect();
    let many = |p: Inputs<'_>| {
        let (mut r0, mut r1) = (vec![0.0; n], vec![0.0; n]);
        let mut outs: Vec<&mut [f64]> = vec![&mut r0, &mut r1];
        net.residuals_many(&[theta, &other], p, &ch, &seed, &mut outs, false);
        [r0, r1].concat()
    };
    assert_eq!(bits(many(a)), bits(many(b)), "{what}: batched residuals");
    let rj = |p: Inputs<'_>| {
        let mut r = vec![0.0; n];
        let mut j = Mat::<f64>::zeros(n, net.n_params());
        net.residuals_and_jacobian(theta, p, &ch, &seed, &mut r, j.as_mut(), false);
        (r, j)
    };
    let ((ra, ja), (rb, jb)) = (rj(a), rj(b));
    assert_eq!(bits(ra), bits(rb), "{what}: residuals with J");
    assert_eq!(mat_bits(&ja), mat_bits(&jb), "{what}: J");
    let cot = Mat::from_fn(n, ch.len(), |i, k| ((i * 31 + k) as f64 * 0.11).cos());
    let vjp = |p: Inputs<'_>| {
        let mut g = vec![0.0; net.n_params()];
        net.vjp_channels(theta, p, &ch, cot.as_ref(), &mut g);
        g
    };
    assert_eq!(bits(vjp(a)), bits(vjp(b)), "{what}: Jᵀ·w");
}

/// 300 points (8 chunks, enough work for the parallel path): every kernel with the
/// stored jets gives the bits of the kernel that computes them, for every embedding.
#[test]
fn stored_jets_give_the_kernels_own_bits() {
    let mut rng = StdRng::seed_from_u64(5);
    for (e, emb) in embeddings().into_iter().enumerate() {
        let net = Mlp::with_embedding(&[2, 7, 6, 2], Activation::Tanh, emb).unwrap();
        let theta = random_theta(&net, 3 + e as u64);
        let pts = random_points(300, 2, &mut rng);
        let jets = net.input_jets(pts.as_ref(), &channels()).expect("embedded");
        let stored = Inputs::new(pts.as_ref(), Some(&jets), 0);
        let plan = JetPlan::new(&channels(), 2, 2);
        assert!(stored.usable(&net, &plan).is_some(), "embedding {e}");
        assert_same_bits(&net, &theta, stored, pts.as_ref().into(), &format!("{e}"));
        // 8 bytes per embedded input, slot and point.
        let want = 8 * net.layers()[0] * plan.n_slots() * 300;
        assert_eq!(jets.bytes(), want, "embedding {e}");
        // Jets of a plan with the same slots serve other channels too (the slots'
        // order is that of the channels, so a reordered list may need other jets).
        let mut same_slots = channels();
        same_slots.push(Channel::Value { output: 1 });
        same_slots.push(Channel::First { output: 0, var: 1 });
        assert!(jets.serves(&net, &same_slots));
        assert!(!jets.serves(&net, &[Channel::Value { output: 0 }]));
    }
}

/// A run of the points (a block of Jacobian rows) reads the stored jets of periodic
/// features, which are pointwise, and computes its own with Fourier features, whose
/// per-chunk product may round with the chunk's shape: the bits of the plain kernel
/// on that run either way.
#[test]
fn a_run_of_the_points_reads_pointwise_jets_only() {
    let mut rng = StdRng::seed_from_u64(6);
    let plan = JetPlan::new(&channels(), 2, 2);
    for (e, emb) in embeddings().into_iter().enumerate() {
        let pointwise = emb.fourier().is_none();
        let net = Mlp::with_embedding(&[2, 5, 2], Activation::Sin, emb).unwrap();
        let theta = random_theta(&net, 9 + e as u64);
        let pts = random_points(250, 2, &mut rng);
        let jets = net.input_jets(pts.as_ref(), &channels()).unwrap();
        for (start, len) in [(0, 100), (37, 150), (249, 1), (10, 240)] {
            let run = pts.as_ref().subrows(start, len);
            let stored = Inputs::new(run, Some(&jets), start);
            assert_eq!(stored.usable(&net, &plan).is_some(), pointwise, "{e}");
            let what = format!("embedding {e}, points {start}..{}", start + len);
            assert_same_bits(&net, &theta, stored, run.into(), &what);
        }
    }
}

/// The identity embedding stores nothing; an empty set stores an empty table.
#[test]
fn nothing_to_store_without_an_embedding() {
    let net = Mlp::new(&[2, 4, 1], Activation::Tanh);
    let pts = Mat::<f64>::zeros(5, 2);
    assert!(net.input_jets(pts.as_ref(), &all_channels(2, 1)).is_none());
    let emb = embeddings().remove(0);
    let net = Mlp::with_embedding(&[2, 4, 1], Activation::Tanh, emb).unwrap();
    let none = Mat::<f64>::zeros(0, 2);
    let jets = net.input_jets(none.as_ref(), &all_channels(2, 1)).unwrap();
    assert_eq!((jets.n_points(), jets.bytes()), (0, 0));
}

/// Jets stored for other slots are a contract violation, never silently wrong numbers.
#[test]
#[should_panic(expected = "another jet plan")]
fn jets_of_other_slots_are_refused() {
    let emb = embeddings().remove(0);
    let net = Mlp::with_embedding(&[2, 4, 1], Activation::Tanh, emb).unwrap();
    let pts = Mat::from_fn(20, 2, |i, j| 0.05 * (i + j) as f64);
    let values = [Channel::Value { output: 0 }];
    let jets = net.input_jets(pts.as_ref(), &values).unwrap();
    let theta = net.init(crate::model::Init::XavierNormal, 0);
    let wider = [Channel::First { output: 0, var: 1 }];
    net.eval_channels(&theta, Inputs::new(pts.as_ref(), Some(&jets), 0), &wider);
}

/// A run past the end of the set the jets were stored for is refused.
#[test]
#[should_panic(expected = "of a set of 20")]
fn a_run_past_the_set_is_refused() {
    let emb = embeddings().remove(0);
    let net = Mlp::with_embedding(&[2, 4, 1], Activation::Tanh, emb).unwrap();
    let pts = Mat::from_fn(20, 2, |i, j| 0.05 * (i + j) as f64);
    let jets = net.input_jets(pts.as_ref(), &[Channel::Value { output: 0 }]);
    let _ = Inputs::new(pts.as_ref().subrows(5, 15), jets.as_ref(), 6);
}
