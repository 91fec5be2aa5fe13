//! The gradient kernel: `Jᵀw` summed over points, from one taped forward pass per chunk,
//! and, fused into the same pass, the residuals `r` themselves.
//!
//! For a residual `r_i = s_i F(x_i, c_i(θ))` the gradient of `½‖r‖²` (or any `Jᵀw`) is
//! `Σ_i Σ_k cot_ik ∂c_ik/∂θ` with the channel cotangents `cot_ik = w_i s_i ∂F/∂c_k`,
//! which need the channel values `c_i`. The reverse sweep ([`super::kernel`]) runs on
//! a chunk's taped forward jets, and those jets hold the channel values already, so the
//! cotangents are formed per point from them ([`Seed`]-shaped closure) right before the
//! sweep: one forward pass per chunk instead of one to find `c` and one to tape.
//! With residuals asked for, the same closure returns `r_i`, written into `r`, and may
//! use it as `w_i` (the gradient of `½‖r‖²`): one forward and one reverse pass for both.
//!
//! The taped forward computes the same jets as the plain one (it keeps the activation's
//! extra derivative for the sweep, [`super::jets::activate`]), so the channel values, the
//! residuals and hence every cotangent are the numbers a separate channel or residual
//! sweep would give.
//!
//! # Summation order
//! The chunks are summed in fixed groups of consecutive chunks, each into its own partial
//! gradient, and the partials are then added in group order; the grouping depends on `N`
//! alone, so the sum is bitwise the same on any number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, Par};
use rayon::prelude::*;

use super::Mlp;
use super::input_jets::Inputs;
use super::jets::{Workspace, view};
use super::kernel::{Pts, chunk_size, forward, gather_point, reverse};
use super::mlp::Seed;
use super::plan::JetPlan;
use crate::residual::Channel;

/// At most this many partial gradients: bounds the memory to `PARTIALS · P` while
/// leaving enough independent groups of chunks to keep every thread busy.
const PARTIALS: usize = 64;

/// `out += Σ_i Σ_k cot_ik ∂c_ik/∂θ` over the points of `inputs`, with `cot_i` written by
/// `point(i, x_i, c_i, cot_i)` from point `i`'s coordinates and channel values (every
/// entry of `cot_i`). With `r`, the value `point` returns is stored as `r[i]`.
///
/// # Panics
/// On shape mismatches (`out` must have `P` entries, `r` one per point).
pub(crate) fn gradient(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    point: &Seed<'_>,
    r: Option<&mut [f64]>,
    out: &mut [f64],
) {
    gradient_over_copies(net, theta, &[inputs], None, channels, point, r, out)
}

/// [`gradient`] of the network averaged over copies of the points (the reflections of
/// [`super::symmetric`]): `copies[s]` are the points of copy `s` (copy 0 the caller's),
/// `weights[s][k]` the weight of channel `k` of copy `s`. Per chunk, every copy's taped
/// forward pass runs, `point` sees the combined channels `ũ_k = Σ_s w_{s,k} c_{s,k}`
/// (summed in copy order) at the coordinates of copy 0, and each copy's reverse sweep is
/// seeded with `w_s ∘ cot`: one forward and one reverse pass per copy. Without weights
/// there is one copy and its channels are passed as they are.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gradient_over_copies(
    net: &Mlp,
    theta: &[f64],
    copies: &[Inputs<'_>],
    weights: Option<&[Vec<f64>]>,
    channels: &[Channel],
    point: &Seed<'_>,
    r: Option<&mut [f64]>,
    out: &mut [f64],
) {
    let points = copies[0].points();
    let (n, m, np) = (points.nrows(), net.n_outputs(), net.n_params());
    for c in copies {
        net.check_shapes(theta, c.points());
        assert_eq!(c.points().nrows(), n, "every copy has the same points");
    }
    assert_eq!(weights.map_or(1, <[Vec<f64>]>::len), copies.len());
    assert_eq!(out.len(), np, "out must have one entry per parameter");
    if let Some(r) = &r {
        assert_eq!(r.len(), n, "r must have one entry per point");
    }
    if n == 0 {
        return;
    }
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts: Vec<Pts<'_>> = copies.iter().map(|&c| Pts::new(net, c, &plan)).collect();
    let nb_max = chunk_size(n);
    let n_chunks = n.div_ceil(nb_max);
    let per_group = n_chunks.div_ceil(PARTIALS);
    let n_groups = n_chunks.div_ceil(per_group);
    // Each group writes the residuals of its own points.
    let rows: Vec<Option<&mut [f64]>> = match r {
        Some(r) => r.chunks_mut(per_group * nb_max).map(Some).collect(),
        None => (0..n_groups).map(|_| None).collect(),
    };
    debug_assert_eq!(rows.len(), n_groups);
    let k = channels.len();
    let partials: Vec<Vec<f64>> = rows
        .into_par_iter()
        .enumerate()
        .map_init(
            || {
                let wss: Vec<_> = pts
                    .iter()
                    .map(|_| Workspace::pooled(net.layers(), plan.n_slots(), k, nb_max, false))
                    .collect();
                (wss, vec![0.0; 2 * k])
            },
            |(wss, scratch), (group, mut rg)| {
                let mut g = vec![0.0; np];
                let first = group * per_group;
                for ci in first..((group + 1) * per_group).min(n_chunks) {
                    let i0 = ci * nb_max;
                    let nb = nb_max.min(n - i0);
                    let rc = rg.as_deref_mut().map(|rg| {
                        let start = i0 - first * nb_max;
                        &mut rg[start..start + nb]
                    });
                    let chunk = Chunk { pts: &pts, i0, nb };
                    gradient_chunk(
                        net, theta, &plan, chunk, weights, point, rc, wss, scratch, &mut g,
                    );
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

/// The points `i0 .. i0 + nb` of one kernel call, in every copy.
#[derive(Clone, Copy)]
struct Chunk<'a, 'p> {
    pts: &'a [Pts<'p>],
    i0: usize,
    nb: usize,
}

/// Adds `Σ_p cot_pᵀ ∂c(x_p)/∂θ` over one chunk to `g` (and writes its residuals into `r`):
/// the taped forward pass of every copy, the cotangents of every point seeded into each
/// copy's output-jet adjoint `Z̄_L` (times the copy's weights, see
/// [`gradient_over_copies`]), then each copy's reverse sweep with `∂/∂W_k = Z̄_kᵀ S_k`,
/// `∂/∂b_k = Σ_p Z̄_k`.
#[allow(clippy::too_many_arguments)]
fn gradient_chunk<W: std::ops::DerefMut<Target = Workspace>>(
    net: &Mlp,
    theta: &[f64],
    plan: &JetPlan,
    chunk: Chunk<'_, '_>,
    weights: Option<&[Vec<f64>]>,
    point: &Seed<'_>,
    mut r: Option<&mut [f64]>,
    wss: &mut [W],
    scratch: &mut [f64],
    g: &mut [f64],
) {
    let Chunk { pts, i0, nb } = chunk;
    let m = net.n_outputs();
    let k = plan.channel_slots.len();
    for (ws, &p) in wss.iter_mut().zip(pts) {
        forward(net, theta, plan, p, i0, nb, ws, true);
        let rows = ws.rows;
        ws.adj_z[..rows * m].fill(0.0);
    }
    let rows = wss[0].rows;
    let last = wss[0].z.len() - 1;
    let (u, a) = scratch.split_at_mut(k);
    for p in 0..nb {
        let ri = match weights {
            None => {
                let ws = &mut *wss[0];
                gather_point(ws, plan, pts[0].points, m, i0 + p, p);
                ws.a[..k].fill(0.0);
                let ri = point(i0 + p, &ws.x, &ws.c[..k], &mut ws.a[..k]);
                for (&ck, &(o, slot)) in ws.a[..k].iter().zip(&plan.channel_slots) {
                    ws.adj_z[o * rows + slot * nb + p] += ck;
                }
                ri
            }
            Some(w) => {
                gather_point(&mut wss[0], plan, pts[0].points, m, i0 + p, p);
                for (kk, &(o, slot)) in plan.channel_slots.iter().enumerate() {
                    let at = o * rows + slot * nb + p;
                    let mut v = w[0][kk] * wss[0].c[kk];
                    for (s, ws) in wss.iter().enumerate().skip(1) {
                        v += w[s][kk] * ws.z[last][at];
                    }
                    u[kk] = v;
                }
                a.fill(0.0);
                let ri = point(i0 + p, &wss[0].x, u, a);
                for (s, ws) in wss.iter_mut().enumerate() {
                    for (kk, &(o, slot)) in plan.channel_slots.iter().enumerate() {
                        ws.adj_z[o * rows + slot * nb + p] += w[s][kk] * a[kk];
                    }
                }
                ri
            }
        };
        if let Some(r) = r.as_deref_mut() {
            r[p] = ri;
        }
    }
    for ws in wss.iter_mut() {
        reverse(net, theta, plan, ws, |layer, adj_z, s, _| {
            let (n_in, n_out) = (net.layers()[layer], net.layers()[layer + 1]);
            let w_off = net.layer_offset(layer);
            let (gw, rest) = g[w_off..].split_at_mut(n_in * n_out);
            // ∂/∂W_k = Σ_rows Z̄_kᵀ S_k, written into the row-major W block.
            matmul(
                MatMut::from_row_major_slice_mut(gw, n_out, n_in),
                Accum::Add,
                view(adj_z, rows, n_out).transpose(),
                view(s, rows, n_in),
                1.0,
                Par::Seq,
            );
            for (row, gb) in rest[..n_out].iter_mut().enumerate() {
                *gb += adj_z[row * rows..row * rows + nb].iter().sum::<f64>();
            }
        });
    }
}
