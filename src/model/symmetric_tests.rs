//! Checks of the network averaged over reflections: its channels against the plain
//! network's at the reflected points and against finite differences of its own values,
//! exact parity, the parameter Jacobian against central differences, `J·v`, `Jᵀ·w` and
//! the fused gradient against the assembled Jacobian, and the stored input jets.

use faer::Mat;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::input_jets::Inputs;
use super::tests::{
    assert_jacobian_matches_differences, channel_jacobians, jacobian_setup, random_points,
    random_theta, rel_max_err,
};
use super::{Activation, Embedding, Mlp, ModelError, Periodic, Reflection};
use crate::residual::{Channel, VarSet};

fn odd(var: usize, center: f64) -> Reflection {
    Reflection {
        var,
        center,
        odd: true,
    }
}

fn even(var: usize, center: f64) -> Reflection {
    Reflection {
        var,
        center,
        odd: false,
    }
}

/// Networks on `(t, x)` (2 inputs, 2 outputs): odd in x about 0 through the periodic
/// embedding (the Burgers setup), even in x about 0.3 without an embedding, and odd in
/// t about 0.5 and even in x about −0.2 together.
fn symmetric_nets() -> Vec<(Mlp, Mlp)> {
    let periodic = Embedding::new(
        2,
        &[(
            1,
            Periodic {
                period: 2.0,
                harmonics: 1,
            },
        )],
        None,
    )
    .unwrap();
    let plain = Embedding::identity(2);
    [
        (periodic, vec![odd(1, 0.0)], Activation::Tanh),
        (plain.clone(), vec![even(1, 0.3)], Activation::Sin),
        (plain, vec![odd(0, 0.5), even(1, -0.2)], Activation::Tanh),
    ]
    .into_iter()
    .map(|(emb, refl, act)| {
        let sym = emb.clone().with_reflections(&refl).unwrap();
        (
            Mlp::with_embedding(&[2, 7, 6, 2], act, emb).unwrap(),
            Mlp::with_embedding(&[2, 7, 6, 2], act, sym).unwrap(),
        )
    })
    .collect()
}

/// Values, first and second derivatives, a Laplacian and third-order channels of both
/// outputs.
fn channels() -> Vec<Channel> {
    let mut ch = Vec::new();
    for output in 0..2 {
        ch.extend([
            Channel::Value { output },
            Channel::First { output, var: 0 },
            Channel::First { output, var: 1 },
            Channel::second(output, 0, 0),
            Channel::second(output, 0, 1),
            Channel::second(output, 1, 1),
            Channel::Laplacian {
                output,
                vars: VarSet::all(2),
            },
            Channel::higher(output, &[1, 1, 1]),
            Channel::higher(output, &[0, 1, 1]),
        ]);
    }
    ch
}

fn reflect(refl: &[Reflection], copy: usize, pts: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(pts.nrows(), pts.ncols(), |i, j| {
        match refl.iter().position(|r| r.var == j) {
            Some(b) if copy >> b & 1 == 1 => 2.0 * refl[b].center - pts[(i, j)],
            _ => pts[(i, j)],
        }
    })
}

/// The order of `ch` in variable `var`, written out per channel kind.
fn order_in(ch: &Channel, var: usize) -> usize {
    match *ch {
        Channel::Value { .. } => 0,
        Channel::First { var: v, .. } => usize::from(v == var),
        Channel::Second { a, b, .. } => usize::from(a == var) + usize::from(b == var),
        Channel::Laplacian { .. } => 2,
        Channel::Higher { vars, .. } => vars.iter().filter(|&v| v == var).count(),
    }
}

/// Every channel of the averaged network is `2^{-m} Σ_S p_S (−1)^{α·S} (D^α N)(R_S x)`,
/// computed here from the plain network at the reflected points (to 1e-14 relative).
#[test]
fn channels_are_the_signed_average_over_the_reflections() {
    let mut rng = StdRng::seed_from_u64(5);
    let chans = channels();
    for (plain, sym) in symmetric_nets() {
        let refl = sym.embedding().reflections().to_vec();
        let theta = random_theta(&plain, 3);
        let pts = random_points(40, 2, &mut rng);
        let got = sym.eval_channels(&theta, pts.as_ref(), &chans);
        let copies = 1usize << refl.len();
        let mut want = Mat::<f64>::zeros(40, chans.len());
        for copy in 0..copies {
            let c = plain.eval_channels(&theta, reflect(&refl, copy, &pts).as_ref(), &chans);
            for (k, ch) in chans.iter().enumerate() {
                let mut sign = 1.0 / copies as f64;
                for (b, r) in refl.iter().enumerate() {
                    if copy >> b & 1 == 1 && (r.odd ^ (order_in(ch, r.var) % 2 == 1)) {
                        sign = -sign;
                    }
                }
                for i in 0..40 {
                    want[(i, k)] += sign * c[(i, k)];
                }
            }
        }
        for (k, ch) in chans.iter().enumerate() {
            let err = rel_max_err((0..40).map(|i| got[(i, k)]), (0..40).map(|i| want[(i, k)]));
            assert!(err <= 1e-14, "{refl:?} {ch:?}: {err:e}");
        }
    }
}

/// The derivative channels of the averaged network against central differences of its
/// own lower channels (h = 1e-5): an independent check of the signs.
#[test]
fn derivative_channels_match_differences_of_the_average() {
    let mut rng = StdRng::seed_from_u64(6);
    let h = 1e-5;
    let pairs = [
        (
            Channel::First { output: 1, var: 1 },
            Channel::Value { output: 1 },
            1,
        ),
        (
            Channel::First { output: 0, var: 0 },
            Channel::Value { output: 0 },
            0,
        ),
        (
            Channel::second(0, 1, 1),
            Channel::First { output: 0, var: 1 },
            1,
        ),
        (
            Channel::second(1, 0, 1),
            Channel::First { output: 1, var: 1 },
            0,
        ),
        (Channel::higher(0, &[1, 1, 1]), Channel::second(0, 1, 1), 1),
    ];
    for (_, sym) in symmetric_nets() {
        let theta = random_theta(&sym, 4);
        let pts = random_points(25, 2, &mut rng);
        for (deriv, lower, var) in pairs {
            let got = sym.eval_channels(&theta, pts.as_ref(), &[deriv]);
            let shifted = |s: f64| {
                let moved =
                    Mat::from_fn(25, 2, |i, j| pts[(i, j)] + if j == var { s } else { 0.0 });
                sym.eval_channels(&theta, moved.as_ref(), &[lower])
            };
            let (up, down) = (shifted(h), shifted(-h));
            let err = rel_max_err(
                (0..25).map(|i| got[(i, 0)]),
                (0..25).map(|i| (up[(i, 0)] - down[(i, 0)]) / (2.0 * h)),
            );
            assert!(err <= 1e-7, "{deriv:?}: {err:e}");
        }
    }
}

/// `u(Rx) = p u(x)` for any θ, and a derivative of order `α_j` in the reflected variable
/// picks up `(−1)^{α_j}`: exactly (bitwise) for a reflection about 0, to rounding otherwise.
#[test]
fn the_average_has_the_parity_exactly() {
    let mut rng = StdRng::seed_from_u64(8);
    let chans = channels();
    for (_, sym) in symmetric_nets() {
        let refl = sym.embedding().reflections().to_vec();
        let theta = random_theta(&sym, 5);
        let pts = random_points(30, 2, &mut rng);
        let base = sym.eval_channels(&theta, pts.as_ref(), &chans);
        for (b, r) in refl.iter().enumerate() {
            let moved = reflect(&refl, 1 << b, &pts);
            let got = sym.eval_channels(&theta, moved.as_ref(), &chans);
            for (k, ch) in chans.iter().enumerate() {
                let flip = r.odd ^ (order_in(ch, r.var) % 2 == 1);
                let sign = if flip { -1.0 } else { 1.0 };
                if r.center == 0.0 && refl.len() == 1 {
                    for i in 0..30 {
                        assert_eq!(got[(i, k)], sign * base[(i, k)], "{r:?} {ch:?}");
                    }
                } else {
                    let err = rel_max_err(
                        (0..30).map(|i| got[(i, k)]),
                        (0..30).map(|i| sign * base[(i, k)]),
                    );
                    assert!(err <= 1e-12, "{r:?} {ch:?}: {err:e}");
                }
            }
        }
    }
}

/// `J` against central differences in θ; `J·v`, `Jᵀ·w` and the fused gradient of `½‖r‖²`
/// against the assembled Jacobian (1e-12 relative); the batched residuals bitwise those
/// of one θ at a time.
#[test]
fn jacobian_products_and_gradient_match() {
    let mut rng = StdRng::seed_from_u64(9);
    for (k, (_, sym)) in symmetric_nets().into_iter().enumerate() {
        let theta = random_theta(&sym, 6);
        let pts = random_points(31, 2, &mut rng);
        let (chans, seed) = jacobian_setup(2);
        let what = format!("symmetric net {k}");
        assert_jacobian_matches_differences(&sym, &theta, &pts, &chans, &seed, &what);
        let (n, np) = (pts.nrows(), sym.n_params());

        let jacs = channel_jacobians(&sym, &theta, &pts, &chans);
        let v: Vec<f64> = (0..np).map(|_| rng.random_range(-1.0..1.0)).collect();
        let vm = Mat::from_fn(np, 1, |j, _| v[j]);
        let (vals, tans) = sym.jvp_channels(&theta, &v, pts.as_ref(), &chans);
        assert!(vals == sym.eval_channels(&theta, pts.as_ref(), &chans));
        for (c, jc) in jacs.iter().enumerate() {
            let want = jc * &vm;
            let err = rel_max_err((0..n).map(|i| tans[(i, c)]), want.col(0).iter().copied());
            assert!(err <= 1e-12, "{what} jvp channel {c}: {err:e}");
        }
        let cot = Mat::from_fn(n, chans.len(), |_, _| rng.random_range(-1.0..1.0));
        let mut out = vec![0.5; np];
        sym.vjp_channels(&theta, pts.as_ref(), &chans, cot.as_ref(), &mut out);
        let mut want = vec![0.5; np];
        for (c, jc) in jacs.iter().enumerate() {
            let wc = jc.transpose() * cot.col(c);
            want.iter_mut().zip(wc.iter()).for_each(|(a, b)| *a += b);
        }
        let err = rel_max_err(out.iter().copied(), want.iter().copied());
        assert!(err <= 1e-12, "{what} vjp: {err:e}");

        // The fused gradient of ½‖r‖² is Jᵀr, with the residuals of the plain pass.
        let mut r = vec![0.0; n];
        let mut jac = Mat::<f64>::zeros(n, np);
        sym.residuals_and_jacobian(
            &theta,
            pts.as_ref(),
            &chans,
            &seed,
            &mut r,
            jac.as_mut(),
            false,
        );
        let fused = |i: usize, x: &[f64], c: &[f64], cot: &mut [f64]| {
            let ri = seed(i, x, c, cot);
            cot.iter_mut().for_each(|a| *a *= ri);
            ri
        };
        let (mut g, mut rg) = (vec![0.0; np], vec![0.0; n]);
        sym.gradient(&theta, pts.as_ref(), &chans, &fused, Some(&mut rg), &mut g);
        assert_eq!(r, rg, "{what}: the gradient pass's residuals");
        let rm = Mat::from_fn(n, 1, |i, _| r[i]);
        let jtr = jac.transpose() * &rm;
        let err = rel_max_err(g.iter().copied(), jtr.col(0).iter().copied());
        assert!(err <= 1e-12, "{what} gradient: {err:e}");

        let theta2 = random_theta(&sym, 7);
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        sym.residuals_many(
            &[&theta, &theta2],
            pts.as_ref(),
            &chans,
            &seed,
            &mut [&mut a, &mut b],
            false,
        );
        let mut b1 = vec![0.0; n];
        sym.residuals(&theta2, pts.as_ref(), &chans, &seed, &mut b1, false);
        assert_eq!((a, b), (r, b1), "{what}: batched residuals");
    }
}

/// Stored input jets (with the reflected copies' jets) give the same bits as none, for a
/// whole set and for a run of it; and the same on one thread as on two.
#[test]
fn stored_jets_and_threads_give_the_same_bits() {
    let mut rng = StdRng::seed_from_u64(10);
    let (_, sym) = symmetric_nets().swap_remove(0);
    let theta = random_theta(&sym, 2);
    let (chans, seed) = jacobian_setup(2);
    let pts = random_points(600, 2, &mut rng);
    let jets = sym.input_jets(pts.as_ref(), &chans).unwrap();
    assert!(jets.serves(&sym, &chans));
    let run = |inputs: Inputs<'_>| {
        let n = inputs.points().nrows();
        let mut r = vec![0.0; n];
        let mut jac = Mat::<f64>::zeros(n, sym.n_params());
        sym.residuals_and_jacobian(&theta, inputs, &chans, &seed, &mut r, jac.as_mut(), false);
        let mut g = vec![0.0; sym.n_params()];
        let fused = |i: usize, x: &[f64], c: &[f64], cot: &mut [f64]| seed(i, x, c, cot);
        sym.gradient(&theta, inputs, &chans, &fused, None, &mut g);
        (r, jac, g)
    };
    assert!(run(pts.as_ref().into()) == run(Inputs::new(pts.as_ref(), Some(&jets), 0)));
    let part = pts.as_ref().subrows(100, 200);
    assert!(run(part.into()) == run(Inputs::new(part, Some(&jets), 100)));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| run(pts.as_ref().into()));
    assert!(one == run(pts.as_ref().into()));
    // Jets of the network without the reflections do not serve the averaged one.
    let plain = symmetric_nets().swap_remove(0).0;
    assert!(
        !plain
            .input_jets(pts.as_ref(), &chans)
            .unwrap()
            .serves(&sym, &chans)
    );
}

#[test]
fn invalid_reflections_are_errors() {
    let emb = Embedding::identity(3);
    let four = [odd(0, 0.0), odd(1, 0.0), odd(2, 0.0), odd(0, 1.0)];
    assert_eq!(
        emb.clone().with_reflections(&four),
        Err(ModelError::TooManyReflections(4))
    );
    assert_eq!(
        emb.clone().with_reflections(&[odd(1, 0.0), even(1, 0.0)]),
        Err(ModelError::DuplicateReflection(1))
    );
    assert_eq!(
        emb.clone().with_reflections(&[odd(3, 0.0)]),
        Err(ModelError::UnknownEmbeddedVariable { var: 3, d: 3 })
    );
    assert!(matches!(
        emb.clone().with_reflections(&[odd(0, f64::NAN)]),
        Err(ModelError::BadReflectionCenter(c)) if c.is_nan()
    ));
    let ok = emb.with_reflections(&[even(2, 1.0), odd(0, 0.0)]).unwrap();
    assert_eq!(ok.reflections(), &[odd(0, 0.0), even(2, 1.0)]);
}
