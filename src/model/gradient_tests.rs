//! The gradient kernel against the two-pass `Jᵀw` it replaced, bit for bit: the
//! reference below takes an `N × K` matrix of cotangents (which a caller had to form
//! from a separate channel sweep) and runs its own taped forward pass per chunk, with the
//! same groups of chunks and the same order of every sum.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::gradient::gradient;
use super::input_jets::Inputs;
use super::jets::{Workspace, view};
use super::kernel::{Pts, chunk_size, forward, reverse};
use super::plan::JetPlan;
use super::tests::{all_channels, random_points, random_theta};
use super::{Activation, Embedding, Mlp, Periodic};
use crate::residual::Channel;

/// `out += Σ_i Σ_k cot[i,k] ∂c_ik/∂θ` as computed before the gradient kernel: the
/// cotangents read from a matrix, seeded channel by channel, 64 groups of chunks.
pub(crate) fn reference_vjp_channels(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    cotangents: MatRef<'_, f64>,
    out: &mut [f64],
) {
    let points = inputs.points();
    let (n, m, np) = (points.nrows(), net.n_outputs(), net.n_params());
    if n == 0 {
        return;
    }
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
    let nb_max = chunk_size(n);
    let n_chunks = n.div_ceil(nb_max);
    let per_group = n_chunks.div_ceil(64);
    let n_groups = n_chunks.div_ceil(per_group);
    let partials: Vec<Vec<f64>> = (0..n_groups)
        .into_par_iter()
        .map_init(
            || Workspace::new(net.layers(), plan.n_slots(), channels.len(), nb_max, false),
            |ws, group| {
                let mut g = vec![0.0; np];
                let chunks = group * per_group..((group + 1) * per_group).min(n_chunks);
                for ci in chunks {
                    let i0 = ci * nb_max;
                    let nb = nb_max.min(n - i0);
                    forward(net, theta, &plan, pts, i0, nb, ws, true);
                    let rows = ws.rows;
                    ws.adj_z[..rows * m].fill(0.0);
                    for (k, &(o, slot)) in plan.channel_slots.iter().enumerate() {
                        for p in 0..nb {
                            ws.adj_z[o * rows + slot * nb + p] += cotangents[(i0 + p, k)];
                        }
                    }
                    reverse(net, theta, &plan, ws, |k, adj_z, s, _| {
                        let (n_in, n_out) = (net.layers()[k], net.layers()[k + 1]);
                        let w_off = net.layer_offset(k);
                        let (gw, rest) = g[w_off..].split_at_mut(n_in * n_out);
                        matmul(
                            MatMut::from_row_major_slice_mut(gw, n_out, n_in),
                            Accum::Add,
                            view(adj_z, rows, n_out).transpose(),
                            view(s, rows, n_in),
                            1.0,
                            Par::Seq,
                        );
                        for (r, gb) in rest[..n_out].iter_mut().enumerate() {
                            *gb += adj_z[r * rows..r * rows + nb].iter().sum::<f64>();
                        }
                    });
                }
                g
            },
        )
        .collect();
    let mut grad = vec![0.0; np];
    for g in &partials {
        grad.iter_mut().zip(g).for_each(|(x, y)| *x += y);
    }
    out.iter_mut().zip(&grad).for_each(|(o, g)| *o += g);
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Networks with and without an embedding, with first, second and higher channels.
fn networks() -> Vec<(Mlp, Vec<Channel>)> {
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
    let fourier = Embedding::new(3, &[], Some((4, 0.8, 1))).unwrap();
    let mut higher = all_channels(2, 1);
    higher.push(Channel::higher(0, &[0, 0, 1]));
    higher.push(Channel::higher(0, &[1, 1, 1, 1]));
    vec![
        (
            Mlp::new(&[2, 16, 12, 2], Activation::Tanh),
            all_channels(2, 2),
        ),
        (
            Mlp::with_embedding(&[2, 20, 1], Activation::Tanh, periodic).unwrap(),
            all_channels(2, 1),
        ),
        (
            Mlp::with_embedding(&[3, 9, 2], Activation::Sin, fourier).unwrap(),
            all_channels(3, 2),
        ),
        (Mlp::new(&[2, 7, 7, 1], Activation::Softplus), higher),
    ]
}

/// Channel cotangents as a matrix and as a per-point rule give the bits of the reference,
/// for one chunk, several groups of one chunk, and groups of several chunks (20 000
/// points: 157 chunks, more than there are partial sums); on 1 and 2 threads.
#[test]
fn matrix_and_rule_cotangents_give_the_reference_bits() {
    let mut rng = StdRng::seed_from_u64(23);
    for (net, chans) in networks() {
        let theta = random_theta(&net, 2);
        let d = net.n_inputs();
        for n in [37, 1000, 20_000] {
            let pts = random_points(n, d, &mut rng);
            let cot = Mat::from_fn(n, chans.len(), |_, _| rng.random_range(-1.0..1.0));
            let mut want = vec![0.5; net.n_params()];
            let inputs = Inputs::from(pts.as_ref());
            reference_vjp_channels(&net, &theta, inputs, &chans, cot.as_ref(), &mut want);
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut got = vec![0.5; net.n_params()];
                pool.install(|| {
                    net.vjp_channels(&theta, pts.as_ref(), &chans, cot.as_ref(), &mut got)
                });
                assert_eq!(
                    bits(&got),
                    bits(&want),
                    "matrix, N = {n}, {threads} threads"
                );
                let rule = |i: usize, _: &[f64], _: &[f64], c: &mut [f64]| {
                    for (k, ck) in c.iter_mut().enumerate() {
                        *ck = cot[(i, k)];
                    }
                    f64::NAN
                };
                let mut got = vec![0.5; net.n_params()];
                pool.install(|| gradient(&net, &theta, inputs, &chans, &rule, None, &mut got));
                assert_eq!(bits(&got), bits(&want), "rule, N = {n}, {threads} threads");
            }
        }
    }
}

/// With residuals asked for, each point's value lands in `r` (the bits of the residual
/// kernel for the same seed), and cotangents formed from the channel values the pass
/// computed equal those formed from a separate channel sweep.
#[test]
fn fused_residuals_are_the_residual_kernels_and_the_cotangents_see_the_channels() {
    let mut rng = StdRng::seed_from_u64(5);
    for (net, chans) in networks() {
        let theta = random_theta(&net, 7);
        let n = 3000;
        let pts = random_points(n, net.n_inputs(), &mut rng);
        let value = |_: usize, x: &[f64], c: &[f64], _: &mut [f64]| {
            c.iter()
                .enumerate()
                .map(|(k, ck)| ck * ck * (k as f64 + x[0]))
                .sum::<f64>()
        };
        let mut want_r = vec![0.0; n];
        net.residuals(&theta, pts.as_ref(), &chans, &value, &mut want_r, false);
        let values = net.eval_channels(&theta, pts.as_ref(), &chans);
        let cot = Mat::from_fn(n, chans.len(), |i, k| want_r[i] * values[(i, k)]);
        let mut want_g = vec![0.0; net.n_params()];
        let inputs = Inputs::from(pts.as_ref());
        reference_vjp_channels(&net, &theta, inputs, &chans, cot.as_ref(), &mut want_g);
        let fused = |i: usize, x: &[f64], c: &[f64], out: &mut [f64]| {
            let ri = value(i, x, c, out);
            for (o, ck) in out.iter_mut().zip(c) {
                *o = ri * ck;
            }
            ri
        };
        let (mut r, mut g) = (vec![f64::NAN; n], vec![0.0; net.n_params()]);
        gradient(&net, &theta, inputs, &chans, &fused, Some(&mut r), &mut g);
        assert_eq!(bits(&r), bits(&want_r), "{:?}", net.layers());
        assert_eq!(bits(&g), bits(&want_g), "{:?}", net.layers());
    }
}
