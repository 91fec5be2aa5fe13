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
    let points = inputs.points();
    net.check_shapes(theta, points);
    let (n, m, np) = (points.nrows(), net.n_outputs(), net.n_params());
    assert_eq!(out.len(), np, "out must have one entry per parameter");
    if let Some(r) = &r {
        assert_eq!(r.len(), n, "r must have one entry per point");
    }
    if n == 0 {
        return;
    }
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
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
    let partials: Vec<Vec<f64>> = rows
        .into_par_iter()
        .enumerate()
        .map_init(
            || Workspace::pooled(net.layers(), plan.n_slots(), channels.len(), nb_max, false),
            |ws, (group, mut rg)| {
                let mut g = vec![0.0; np];
                let first = group * per_group;
                for ci in first..((group + 1) * per_group).min(n_chunks) {
                    let i0 = ci * nb_max;
                    let nb = nb_max.min(n - i0);
                    let rc = rg.as_deref_mut().map(|rg| {
                        let start = i0 - first * nb_max;
                        &mut rg[start..start + nb]
                    });
                    let chunk = Chunk { pts, i0, nb };
                    gradient_chunk(net, theta, &plan, chunk, point, rc, ws, &mut g);
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

/// The points `i0 .. i0 + nb` of one kernel call.
#[derive(Clone, Copy)]
struct Chunk<'a> {
    pts: Pts<'a>,
    i0: usize,
    nb: usize,
}

/// Adds `Σ_p cot_pᵀ ∂c(x_p)/∂θ` over one chunk to `g` (and writes its residuals into `r`):
/// the taped forward pass, the cotangents of every point seeded into the output-jet
/// adjoint `Z̄_L`, then the reverse sweep with `∂/∂W_k = Z̄_kᵀ S_k`, `∂/∂b_k = Σ_p Z̄_k`.
#[allow(clippy::too_many_arguments)]
fn gradient_chunk(
    net: &Mlp,
    theta: &[f64],
    plan: &JetPlan,
    chunk: Chunk<'_>,
    point: &Seed<'_>,
    mut r: Option<&mut [f64]>,
    ws: &mut Workspace,
    g: &mut [f64],
) {
    let Chunk { pts, i0, nb } = chunk;
    let m = net.n_outputs();
    let k = plan.channel_slots.len();
    forward(net, theta, plan, pts, i0, nb, ws, true);
    let rows = ws.rows;
    ws.adj_z[..rows * m].fill(0.0);
    for p in 0..nb {
        gather_point(ws, plan, pts.points, m, i0 + p, p);
        ws.a[..k].fill(0.0);
        let ri = point(i0 + p, &ws.x, &ws.c[..k], &mut ws.a[..k]);
        if let Some(r) = r.as_deref_mut() {
            r[p] = ri;
        }
        for (&ck, &(o, slot)) in ws.a[..k].iter().zip(&plan.channel_slots) {
            ws.adj_z[o * rows + slot * nb + p] += ck;
        }
    }
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
