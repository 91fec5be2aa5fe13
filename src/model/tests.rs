//! Checks of the jets and the Jacobian against independent references: num-dual
//! hyper-dual numbers for the derivatives in `x`, central differences in θ for `J`, and
//! the assembled `J` for `J·v` and `Jᵀ·w`.

use faer::Mat;
use num_dual::{DualNum, HyperDual64};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Activation, Init, Mlp};
use crate::residual::{Channel, VarSet};

pub(super) const ACTS: [Activation; 4] = [
    Activation::Tanh,
    Activation::Sin,
    Activation::Softplus,
    Activation::Sigmoid,
];

pub(super) type H = HyperDual64;

/// The activation on any dual number type (hyper-dual here; nested hyper-hyper-dual
/// numbers for the jets of order 3 and 4).
pub(super) fn act_dual<D: DualNum<Primitive = f64> + Copy>(act: Activation, z: D) -> D {
    let one = D::from(1.0);
    match act {
        Activation::Tanh => z.tanh(),
        Activation::Sin => z.sin(),
        Activation::Softplus => z.exp().ln_1p(),
        Activation::Sigmoid => (one + (-z).exp()).recip(),
    }
}

/// An independent forward pass of the network on hyper-dual numbers, straight from the
/// documented θ layout (row-major `W`, then `b`, per layer), after the documented
/// embedding.
pub(super) fn dual_forward<D: DualNum<Primitive = f64> + Copy>(
    net: &Mlp,
    theta: &[f64],
    x: &[D],
) -> Vec<D> {
    let layers = net.layers();
    let mut h: Vec<D> = super::embedding_tests::dual_embed(net.embedding(), x);
    let mut off = 0;
    for k in 0..layers.len() - 1 {
        let (n_in, n_out) = (layers[k], layers[k + 1]);
        let mut z = Vec::with_capacity(n_out);
        for r in 0..n_out {
            let mut acc = D::from(theta[off + n_in * n_out + r]);
            for (s, hs) in h.iter().enumerate() {
                acc += D::from(theta[off + r * n_in + s]) * *hs;
            }
            z.push(acc);
        }
        off += (n_in + 1) * n_out;
        h = if k + 2 < layers.len() {
            z.into_iter()
                .map(|v| act_dual(net.activation(), v))
                .collect()
        } else {
            z
        };
    }
    h
}

/// `(u, ∂_a u, ∂_b u, ∂_ab u)` for every output at `x`.
fn dual_derivs(net: &Mlp, theta: &[f64], x: &[f64], a: usize, b: usize) -> Vec<[f64; 4]> {
    let xd: Vec<H> = x
        .iter()
        .enumerate()
        .map(|(i, &xi)| {
            H::new(
                xi,
                f64::from(u8::from(i == a)),
                f64::from(u8::from(i == b)),
                0.0,
            )
        })
        .collect();
    dual_forward(net, theta, &xd)
        .iter()
        .map(|u| [u.re, u.eps1, u.eps2, u.eps1eps2])
        .collect()
}

/// The reference value of one channel at `x`.
pub(super) fn dual_channel(net: &Mlp, theta: &[f64], x: &[f64], ch: Channel) -> f64 {
    match ch {
        Channel::Value { output } => dual_derivs(net, theta, x, 0, 0)[output][0],
        Channel::First { output, var } => dual_derivs(net, theta, x, var, var)[output][1],
        Channel::Second { output, a, b } => dual_derivs(net, theta, x, a, b)[output][3],
        Channel::Laplacian { output, vars } => vars
            .iter()
            .map(|i| dual_derivs(net, theta, x, i, i)[output][3])
            .sum(),
        Channel::Higher { output, vars } => {
            let v: Vec<usize> = vars.iter().collect();
            super::tests_higher::dual_higher(net, theta, x, &v)[output]
        }
    }
}

/// Every channel kind for every output: values, all first derivatives, every pair
/// `(a ≤ b)`, the full Laplacian and the Laplacian over `{0, d−1}`.
pub(super) fn all_channels(d: usize, m: usize) -> Vec<Channel> {
    let mut ch = Vec::new();
    for output in 0..m {
        ch.push(Channel::Value { output });
        for var in 0..d {
            ch.push(Channel::First { output, var });
        }
        for a in 0..d {
            for b in a..d {
                ch.push(Channel::second(output, a, b));
            }
        }
        ch.push(Channel::Laplacian {
            output,
            vars: VarSet::all(d),
        });
        ch.push(Channel::Laplacian {
            output,
            vars: VarSet(1 | 1 << (d - 1)),
        });
    }
    ch
}

pub(super) fn random_points(n: usize, d: usize, rng: &mut StdRng) -> Mat<f64> {
    Mat::from_fn(n, d, |_, _| rng.random_range(-1.0..1.0))
}

/// θ with Xavier weights and non-zero biases, so that no layer is trivially symmetric.
pub(super) fn random_theta(net: &Mlp, seed: u64) -> Vec<f64> {
    let mut theta = net.init(Init::XavierNormal, seed);
    let mut noise = net.init(Init::Normal { std: 0.3 }, seed + 1000);
    for k in 0..net.layers().len() - 1 {
        let (n_in, n_out) = (net.layers()[k], net.layers()[k + 1]);
        let b0 = net.layer_offset(k) + n_in * n_out;
        theta[b0..b0 + n_out].copy_from_slice(&noise[b0..b0 + n_out]);
    }
    noise.clear();
    theta
}

pub(super) fn rel_max_err(got: impl Iterator<Item = f64>, want: impl Iterator<Item = f64>) -> f64 {
    let (mut err, mut scale) = (0.0f64, 0.0f64);
    for (g, w) in got.zip(want) {
        err = err.max((g - w).abs());
        scale = scale.max(w.abs());
    }
    err / scale.max(f64::MIN_POSITIVE)
}

/// Jets against hyper-dual numbers: several depths and widths, d = 1..5, m = 1 and 3,
/// every activation; every channel within 1e-12 relative (max norm over the points).
#[test]
fn jets_match_num_dual() {
    let mut rng = StdRng::seed_from_u64(42);
    let hidden: [&[usize]; 3] = [&[7], &[6, 5], &[9, 4, 8]];
    let mut case = 0;
    let mut worst = 0.0f64;
    for d in 1..=5 {
        for m in [1, 3] {
            for act in ACTS {
                let hid = hidden[case % hidden.len()];
                case += 1;
                let mut layers = vec![d];
                layers.extend_from_slice(hid);
                layers.push(m);
                let net = Mlp::new(&layers, act);
                let theta = random_theta(&net, case as u64);
                let pts = random_points(23, d, &mut rng);
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
                    worst = worst.max(err);
                    assert!(err <= 1e-12, "{layers:?} {act:?} {ch:?}: rel err {err:e}");
                }
                let u = net.eval(&theta, pts.as_ref());
                for i in 0..pts.nrows() {
                    let x: Vec<f64> = (0..d).map(|j| pts[(i, j)]).collect();
                    for o in 0..m {
                        let w = dual_channel(&net, &theta, &x, Channel::Value { output: o });
                        assert!((u[(i, o)] - w).abs() <= 1e-12 * w.abs().max(1.0));
                    }
                }
            }
        }
    }
    eprintln!("jets vs num-dual: worst relative error {worst:e}");
}

/// Channels and a nonlinear seed `F = c0·c1 + c2³ + x0·c3 + c4` used by the Jacobian tests.
/// The seed type of the tests.
pub(super) trait TestSeed: Fn(usize, &[f64], &[f64], &mut [f64]) -> f64 + Sync {}
impl<F: Fn(usize, &[f64], &[f64], &mut [f64]) -> f64 + Sync> TestSeed for F {}

/// `J` from `residuals_and_jacobian` against central differences (h = 1e-5) of
/// `residuals` in θ: asserts a relative Frobenius error ≤ 1e-6, every entry within 1e-6
/// of its value plus 1e-6 of the largest, and that the kernel's residuals equal those of
/// the residual-only pass. Returns the relative Frobenius error.
pub(super) fn assert_jacobian_matches_differences(
    net: &Mlp,
    theta: &[f64],
    pts: &Mat<f64>,
    chans: &[Channel],
    seed: &impl TestSeed,
    what: &str,
) -> f64 {
    let (n, np) = (pts.nrows(), net.n_params());
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, np);
    net.residuals_and_jacobian(
        theta,
        pts.as_ref(),
        chans,
        seed,
        &mut r,
        jac.as_mut(),
        false,
    );
    let h = 1e-5;
    let mut fd = Mat::<f64>::zeros(n, np);
    let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..np {
        let mut t = theta.to_vec();
        t[j] = theta[j] + h;
        net.residuals(&t, pts.as_ref(), chans, seed, &mut rp, false);
        t[j] = theta[j] - h;
        net.residuals(&t, pts.as_ref(), chans, seed, &mut rm, false);
        for i in 0..n {
            fd[(i, j)] = (rp[i] - rm[i]) / (2.0 * h);
        }
    }
    let rel = (&jac - &fd).norm_l2() / fd.norm_l2();
    assert!(rel <= 1e-6, "{what}: relative Frobenius error {rel:e}");
    let floor = 1e-6 * fd.norm_max();
    for j in 0..np {
        for i in 0..n {
            let (a, b) = (jac[(i, j)], fd[(i, j)]);
            assert!(
                (a - b).abs() <= 1e-6 * b.abs() + floor,
                "{what}: J[{i},{j}] {a} vs {b}"
            );
        }
    }
    let mut r2 = vec![0.0; n];
    net.residuals(theta, pts.as_ref(), chans, seed, &mut r2, false);
    assert_eq!(
        r, r2,
        "{what}: the kernel's residuals are those of the residual-only pass"
    );
    rel
}

pub(super) fn jacobian_setup(d: usize) -> (Vec<Channel>, impl TestSeed) {
    let chans = vec![
        Channel::Value { output: 0 },
        Channel::Laplacian {
            output: 0,
            vars: VarSet::all(d),
        },
        Channel::First {
            output: 1,
            var: d - 1,
        },
        Channel::second(1, 0, d - 1),
        Channel::Value { output: 1 },
    ];
    let seed = |_i: usize, x: &[f64], c: &[f64], a: &mut [f64]| {
        a[0] = c[1];
        a[1] = c[0];
        a[2] = 3.0 * c[2] * c[2];
        a[3] = x[0];
        a[4] = 1.0;
        c[0] * c[1] + c[2].powi(3) + x[0] * c[3] + c[4]
    };
    (chans, seed)
}

/// `J` from `residuals_and_jacobian` against central differences of `residuals` in θ:
/// relative Frobenius error ≤ 1e-6, and per entry within 1e-6 of the column scale.
#[test]
fn jacobian_matches_central_differences() {
    let mut rng = StdRng::seed_from_u64(7);
    for (layers, act) in [
        (vec![2, 6, 2], Activation::Tanh),
        (vec![3, 5, 4, 2], Activation::Sin),
        (vec![4, 4, 3, 5, 2], Activation::Softplus),
        (vec![1, 6, 5, 2], Activation::Sigmoid),
    ] {
        let d = layers[0];
        let net = Mlp::new(&layers, act);
        let theta = random_theta(&net, 3);
        let pts = random_points(41, d, &mut rng);
        let (chans, seed) = jacobian_setup(d);
        let what = format!("{layers:?} {act:?}");
        let rel = assert_jacobian_matches_differences(&net, &theta, &pts, &chans, &seed, &what);
        eprintln!("J vs central differences {what}: relative Frobenius {rel:e}");
    }
}

/// `accumulate = true` adds into `r` and `J`; results do not depend on the thread count.
#[test]
fn accumulate_and_parallel_equals_serial() {
    let mut rng = StdRng::seed_from_u64(11);
    let net = Mlp::new(&[3, 16, 12, 2], Activation::Tanh);
    let theta = random_theta(&net, 5);
    let pts = random_points(1000, 3, &mut rng);
    let (chans, seed) = jacobian_setup(3);
    let (n, np) = (pts.nrows(), net.n_params());
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut r = vec![0.0; n];
            let mut jac = Mat::<f64>::zeros(n, np);
            net.residuals_and_jacobian(
                &theta,
                pts.as_ref(),
                &chans,
                &seed,
                &mut r,
                jac.as_mut(),
                false,
            );
            (r, jac)
        })
    };
    let (r1, j1) = run(1);
    let (r3, j3) = run(3);
    assert_eq!(r1, r3, "residuals: 1 thread vs 3 threads");
    assert!(j1 == j3, "Jacobian: 1 thread vs 3 threads");

    let mut r = (0..n).map(|i| i as f64).collect::<Vec<_>>();
    let mut jac = Mat::from_fn(n, np, |i, j| (i + 2 * j) as f64 * 1e-3);
    let (r0, j0) = (r.clone(), jac.clone());
    net.residuals_and_jacobian(
        &theta,
        pts.as_ref(),
        &chans,
        &seed,
        &mut r,
        jac.as_mut(),
        true,
    );
    for i in 0..n {
        assert_eq!(r[i], r0[i] + r1[i]);
        for j in 0..np {
            assert_eq!(jac[(i, j)], j0[(i, j)] + j1[(i, j)]);
        }
    }
    let mut rr = r0.clone();
    net.residuals(&theta, pts.as_ref(), &chans, &seed, &mut rr, true);
    assert_eq!(rr, r);
    // A J held as rows of a larger matrix (row blocks of a stacked J).
    let mut big = Mat::<f64>::zeros(n + 10, np);
    let mut rb = vec![0.0; n];
    let sub = big.as_mut().subrows_mut(10, n);
    net.residuals_and_jacobian(&theta, pts.as_ref(), &chans, &seed, &mut rb, sub, false);
    assert!(big.as_ref().subrows(10, n) == j1.as_ref());
}

/// The Jacobian of each channel alone (seed `a = e_k`), `N × P`.
pub(super) fn channel_jacobians(
    net: &Mlp,
    theta: &[f64],
    pts: &Mat<f64>,
    chans: &[Channel],
) -> Vec<Mat<f64>> {
    (0..chans.len())
        .map(|k| {
            let seed = move |_: usize, _: &[f64], c: &[f64], a: &mut [f64]| {
                a[k] = 1.0;
                c[k]
            };
            let mut r = vec![0.0; pts.nrows()];
            let mut jac = Mat::<f64>::zeros(pts.nrows(), net.n_params());
            net.residuals_and_jacobian(
                theta,
                pts.as_ref(),
                chans,
                &seed,
                &mut r,
                jac.as_mut(),
                false,
            );
            jac
        })
        .collect()
}

/// `J·v` (forward tangent) and `Jᵀ·w` (summed reverse sweep) against the assembled
/// per-channel Jacobians, ≤ 1e-12 relative.
#[test]
fn jvp_and_vjp_match_assembled_jacobian() {
    let mut rng = StdRng::seed_from_u64(3);
    for (layers, act) in [
        (vec![2, 8, 3], Activation::Tanh),
        (vec![3, 6, 7, 2], Activation::Sin),
        (vec![5, 5, 4, 6, 2], Activation::Softplus),
        (vec![4, 7, 2], Activation::Sigmoid),
    ] {
        let d = layers[0];
        let net = Mlp::new(&layers, act);
        let theta = random_theta(&net, 9);
        let pts = random_points(300, d, &mut rng);
        let (chans, _) = jacobian_setup(d);
        let np = net.n_params();
        let jacs = channel_jacobians(&net, &theta, &pts, &chans);
        let v: Vec<f64> = (0..np).map(|_| rng.random_range(-1.0..1.0)).collect();
        let vm = Mat::from_fn(np, 1, |j, _| v[j]);
        let (vals, tans) = net.jvp_channels(&theta, &v, pts.as_ref(), &chans);
        let plain = net.eval_channels(&theta, pts.as_ref(), &chans);
        let mut worst_jvp = 0.0f64;
        assert!(vals == plain, "jvp values are the channel values");
        for (k, jk) in jacs.iter().enumerate() {
            let want = jk * &vm;
            let err = rel_max_err(
                (0..pts.nrows()).map(|i| tans[(i, k)]),
                want.col(0).iter().copied(),
            );
            worst_jvp = worst_jvp.max(err);
            assert!(err <= 1e-12, "{layers:?} {act:?} jvp channel {k}: {err:e}");
        }
        let cot = Mat::from_fn(pts.nrows(), chans.len(), |_, _| rng.random_range(-1.0..1.0));
        let mut out = vec![0.5; np];
        net.vjp_channels(&theta, pts.as_ref(), &chans, cot.as_ref(), &mut out);
        let mut want = vec![0.5; np];
        for (k, jk) in jacs.iter().enumerate() {
            let wk = jk.transpose() * cot.col(k);
            want.iter_mut().zip(wk.iter()).for_each(|(a, b)| *a += b);
        }
        let err = rel_max_err(out.iter().copied(), want.iter().copied());
        eprintln!("{layers:?} {act:?}: worst jvp {worst_jvp:e}, vjp {err:e}");
        assert!(err <= 1e-12, "{layers:?} {act:?} vjp: {err:e}");
    }
}

/// `Jᵀw` sums its points in groups fixed by `N` alone: the same bits on 1, 2 and 3
/// threads, both when every group is one chunk (`N = 1000`) and when groups hold several
/// chunks (`N = 20 000`: 157 chunks of 128 points, more than there are partial sums).
#[test]
fn vjp_same_bits_on_any_thread_count() {
    let mut rng = StdRng::seed_from_u64(17);
    let net = Mlp::new(&[3, 16, 12, 2], Activation::Tanh);
    let theta = random_theta(&net, 4);
    let (chans, _) = jacobian_setup(3);
    for n in [1000, 20_000] {
        let pts = random_points(n, 3, &mut rng);
        let cot = Mat::from_fn(n, chans.len(), |_, _| rng.random_range(-1.0..1.0));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = vec![0.25; net.n_params()];
            pool.install(|| net.vjp_channels(&theta, pts.as_ref(), &chans, cot.as_ref(), &mut out));
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        let one = run(1);
        for threads in [2, 3] {
            assert!(one == run(threads), "N = {n}: 1 vs {threads} threads");
        }
    }
}
