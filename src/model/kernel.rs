//! The parallel drivers: channel values, residuals, the exact Jacobian and `J·v`, over
//! chunks of points, and the forward and reverse sweeps that `Jᵀ·w` ([`super::gradient`])
//! runs on them.
//!
//! # The Jacobian without a tape
//! A residual `F(x, c_1(θ), …, c_K(θ))` has the Jacobian row `Σ_k a_k ∂c_k/∂θ` with
//! `a_k = ∂F/∂c_k`, i.e. the gradient of `s = Σ_k a_k c_k` at fixed `a`. The jets are a
//! fixed computation (per layer one product `Z = S Wᵀ + b`, then the elementwise jet rule
//! of the activation, see [`super::jets`]), so the gradient of `s` is one reverse sweep
//! over it: seed the output-jet adjoint `Z̄_L` with `a`, then per layer (backwards)
//!
//! ```text
//!   ∂s/∂W_k = Σ_slots Z̄_k[slot] ⊗ S_k[slot]      ∂s/∂b_k = Z̄_k[value]
//!   Ŝ_k = Z̄_k W_k                                 Z̄_{k-1} = (jet rule)ᵀ (Ŝ_k)
//! ```
//!
//! Every point's sweep is independent, so a chunk of `nb` points does it for all its
//! points at once: the products are `(C·nb) × n` matrices, and the Jacobian entry of
//! `W_k[r, s]` for point `p` is `Σ_c Z̄_k[c·nb + p, r] · S_k[c·nb + p, s]`, a run of `C`
//! fused multiply-adds on contiguous vectors of length `nb` written straight into the
//! chunk's rows of the column-major `J`. `J·v` pushes a θ-tangent forward through the
//! same jets; `Jᵀw` runs the same sweep with the cotangents as seeds and sums over points
//! (then `∂/∂W_k` is one product `Z̄_kᵀ S_k`, see [`super::gradient`]).

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Mlp;
use super::input_jets::{InputJets, Inputs, seed_chunk};
use super::jets::{self, Workspace, view, view_mut};
use super::mlp::{BlockSeed, Seed};
use super::plan::JetPlan;
use super::value_jets::{self, PostActivations, PreActivations};
use crate::residual::Channel;

/// Points per chunk (at most). Small enough that a chunk's jets stay in cache, large
/// enough that the per-layer products are efficient.
pub(crate) const CHUNK: usize = 128;

/// Points per chunk for `n` points: at most [`CHUNK`], at least 16, and otherwise about
/// `n/8` so that small blocks still spread over the threads. It depends on `n` only, never
/// on the thread count, so results are bitwise the same on any number of threads.
pub(super) fn chunk_size(n: usize) -> usize {
    CHUNK.min(n.div_ceil(8)).max(16)
}

/// Splits `m` into consecutive row blocks of `nb` rows (the last one shorter).
fn split_rows<'a>(mut m: MatMut<'a, f64>, nb: usize) -> Vec<MatMut<'a, f64>> {
    let mut out = Vec::with_capacity(m.nrows().div_ceil(nb));
    while m.nrows() > 0 {
        let take = nb.min(m.nrows());
        let (head, tail) = m.split_at_row_mut(take);
        out.push(head);
        m = tail;
    }
    out
}

/// Below this much work (points × parameters × jet slots × parameter vectors) a sweep
/// runs on the calling thread, where handing its chunks to rayon's workers would cost
/// more than the sweep. Measured on two idle cores at 900 points and 129 parameters
/// (work 5.8e5 for `r` and `J`): the residual sweep took 0.137 ms of wall time in
/// parallel against 0.157 ms on the calling thread, `r` and `J` 0.25 against 0.35 ms,
/// and the 31-vector line-search batch 2.5 against 3.75 ms (its boundary block, work
/// 4.6e5, had run on one thread). Only sweeps far below that stay sequential.
const SEQUENTIAL_WORK: usize = 1 << 17;

/// Runs `f(ws, (chunk index, item))` over the chunks, in parallel (one workspace per
/// rayon job, from `init`) unless `work` is below [`SEQUENTIAL_WORK`], then in order on
/// the calling thread with one workspace. Each chunk's arithmetic is the same either way,
/// so the results are bitwise the same.
fn for_each_chunk<T: Send, W>(
    items: Vec<T>,
    work: usize,
    init: impl Fn() -> W + Sync + Send,
    f: impl Fn(&mut W, (usize, T)) + Sync + Send,
) {
    if work < SEQUENTIAL_WORK {
        let mut ws = init();
        items
            .into_iter()
            .enumerate()
            .for_each(|item| f(&mut ws, item));
    } else {
        items.into_par_iter().enumerate().for_each_init(init, f);
    }
}

/// The work measure of [`for_each_chunk`] for `k` parameter vectors.
fn work(net: &Mlp, n: usize, plan: &JetPlan, k: usize) -> usize {
    n.saturating_mul(net.n_params())
        .saturating_mul(plan.n_slots())
        .saturating_mul(k)
}

/// The points of one kernel call: their coordinates and the stored input jets it may
/// read (see [`Inputs::usable`]).
#[derive(Clone, Copy)]
pub(super) struct Pts<'a> {
    pub(super) points: MatRef<'a, f64>,
    stored: Option<(&'a InputJets, usize)>,
}

impl<'a> Pts<'a> {
    pub(super) fn new(net: &Mlp, inputs: Inputs<'a>, plan: &JetPlan) -> Self {
        Pts {
            points: inputs.points(),
            stored: inputs.usable(net, plan),
        }
    }

    /// Seeds the input jets of the chunk `i0 .. i0 + nb` into `ws`.
    fn seed(&self, net: &Mlp, ws: &mut Workspace, plan: &JetPlan, i0: usize, nb: usize) {
        ws.nb = nb;
        ws.rows = plan.n_slots() * nb;
        seed_chunk(net, ws, plan, self.points, self.stored, i0);
    }
}

/// The forward jets of points `i0 .. i0 + nb` into `ws` (`ws.z[L-1]` holds the outputs);
/// `for_reverse` keeps what a reverse sweep reads (see [`jets::activate`]).
#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    net: &Mlp,
    theta: &[f64],
    plan: &JetPlan,
    pts: Pts<'_>,
    i0: usize,
    nb: usize,
    ws: &mut Workspace,
    for_reverse: bool,
) {
    pts.seed(net, ws, plan, i0, nb);
    forward_layers(net, theta, plan, ws, for_reverse);
}

/// The layers of the forward pass, from the input jets already seeded in `ws.s[0]`
/// (which they only read, so one seeding serves any number of θ). Without an embedding
/// the input jets' derivative rows are the same at every point, and the first layer
/// computes them once per slot ([`jets::linear_input`], the same numbers).
fn forward_layers(net: &Mlp, theta: &[f64], plan: &JetPlan, ws: &mut Workspace, for_reverse: bool) {
    if !for_reverse {
        return forward_values(net, theta, plan, ws);
    }
    let nb = ws.nb;
    let n_lin = net.layers().len() - 1;
    for k in 0..n_lin {
        let lp = net.layer(theta, k);
        forward_linear(net, &lp, k, ws, false);
        if k + 1 < n_lin {
            let act = net.activation();
            jets::activate(
                act,
                plan,
                &ws.z[k],
                &mut ws.s[k + 1],
                lp.n_out,
                nb,
                &mut ws.sig[k],
                for_reverse,
            );
        }
    }
}

/// Linear layer `k` of a forward pass, from `ws.s[k]` into `ws.z[k]`. Without an
/// embedding the input jets' derivative rows are the same at every point, and the first
/// layer computes them once per slot ([`jets::linear_input`], the same numbers): copied to
/// every row, or with `compact` left at each slot's first row. Returns whether it took
/// that input path.
fn forward_linear(
    net: &Mlp,
    lp: &jets::LayerParams<'_>,
    k: usize,
    ws: &mut Workspace,
    compact: bool,
) -> bool {
    let (nb, rows) = (ws.nb, ws.rows);
    let input = k == 0 && net.embedding().is_identity() && jets::has_input_path(lp);
    if input {
        jets::linear_input(&ws.s[0], &mut ws.z[0], lp, rows, nb, !compact);
    } else {
        jets::linear(&ws.s[k], &mut ws.z[k], lp, rows, nb, Accum::Replace);
    }
    input
}

/// [`forward_layers`] for a pass that ends with the output jets: the same numbers, with
/// the input layer's constant slots and a single output fused into the activations
/// around them ([`super::value_jets`]); other layers as in the reverse-ready pass.
fn forward_values(net: &Mlp, theta: &[f64], plan: &JetPlan, ws: &mut Workspace) {
    let nb = ws.nb;
    let n_lin = net.layers().len() - 1;
    let act = net.activation();
    let compact = value_jets::takes_input_layer(plan);
    let mut k = 0;
    while k < n_lin {
        let lp = net.layer(theta, k);
        let input = forward_linear(net, &lp, k, ws, compact) && compact;
        if k + 1 == n_lin {
            break;
        }
        let next = net.layer(theta, k + 1);
        let to_output = k + 2 == n_lin
            && jets::has_single_output_path(&next)
            && value_jets::takes_input_layer(plan);
        if !input && !to_output {
            jets::activate(
                act,
                plan,
                &ws.z[k],
                &mut ws.s[k + 1],
                lp.n_out,
                nb,
                &mut ws.sig[k],
                false,
            );
            k += 1;
            continue;
        }
        let Workspace { z, s, sig, .. } = &mut *ws;
        let (z_in, z_out) = z.split_at_mut(k + 1);
        let pre = if input {
            PreActivations::InputLayer(&z_in[k])
        } else {
            PreActivations::Jets(&z_in[k])
        };
        let post = if to_output {
            PostActivations::SingleOutput {
                w: next.w,
                b: next.b[0],
                z: &mut z_out[0],
                scratch: &mut s[k + 1],
            }
        } else {
            PostActivations::Jets(&mut s[k + 1])
        };
        value_jets::activate_values(act, plan, pre, post, lp.n_out, nb, &mut sig[k]);
        // A fused single output is the last layer, already computed.
        k += if to_output { 2 } else { 1 };
    }
}

/// The forward jets and their tangent in the direction `v` of θ (`ws.dz[L-1]`).
#[allow(clippy::too_many_arguments)]
fn forward_tangent(
    net: &Mlp,
    theta: &[f64],
    v: &[f64],
    plan: &JetPlan,
    pts: Pts<'_>,
    i0: usize,
    nb: usize,
    ws: &mut Workspace,
) {
    pts.seed(net, ws, plan, i0, nb);
    let rows = ws.rows;
    let n_lin = net.layers().len() - 1;
    let act = net.activation();
    for k in 0..n_lin {
        let lp = net.layer(theta, k);
        let lv = net.layer(v, k);
        jets::linear(&ws.s[k], &mut ws.z[k], &lp, rows, nb, Accum::Replace);
        // ż = S V_Wᵀ + v_b (value rows) + Ṡ Wᵀ; the input jets do not depend on θ.
        jets::linear(&ws.s[k], &mut ws.dz[k], &lv, rows, nb, Accum::Replace);
        if k > 0 {
            let dz = view_mut(&mut ws.dz[k], rows, lp.n_out);
            matmul(
                dz,
                Accum::Add,
                view(&ws.ds[k], rows, lp.n_in),
                lp.wt(),
                1.0,
                Par::Seq,
            );
        }
        if k + 1 < n_lin {
            jets::activate(
                act,
                plan,
                &ws.z[k],
                &mut ws.s[k + 1],
                lp.n_out,
                nb,
                &mut ws.sig[k],
                true,
            );
            jets::activate_tangent(
                plan,
                &ws.z[k],
                &ws.dz[k],
                &mut ws.ds[k + 1],
                lp.n_out,
                nb,
                &ws.sig[k],
            );
        }
    }
}

/// The reverse sweep from the output adjoint in `ws.adj_z` (width `m`). For every linear
/// layer `k` (last first) calls `emit(k, Z̄_k, S_k, ws.col)` with the adjoint of its
/// output jets and its input jets, both `(C·nb) × width` column-major.
pub(super) fn reverse(
    net: &Mlp,
    theta: &[f64],
    plan: &JetPlan,
    ws: &mut Workspace,
    mut emit: impl FnMut(usize, &[f64], &[f64], &mut [f64]),
) {
    let (nb, rows) = (ws.nb, ws.rows);
    let n_lin = net.layers().len() - 1;
    for k in (0..n_lin).rev() {
        let lp = net.layer(theta, k);
        emit(k, &ws.adj_z, &ws.s[k], &mut ws.col);
        if k > 0 {
            if lp.n_out <= jets::SMALL_K {
                jets::linear_adjoint_small(&mut ws.adj_s, &ws.adj_z, &lp, rows);
            } else {
                let adj_s = view_mut(&mut ws.adj_s, rows, lp.n_in);
                let adj_z = view(&ws.adj_z, rows, lp.n_out);
                matmul(adj_s, Accum::Replace, adj_z, lp.w(), 1.0, Par::Seq);
            }
            jets::activate_adjoint(
                plan,
                &ws.z[k - 1],
                &ws.adj_s,
                &mut ws.adj_z,
                lp.n_in,
                nb,
                &ws.sig[k - 1],
            );
        }
    }
}

/// Copies point `p`'s coordinates and channel values into `ws.x`, `ws.c`.
pub(super) fn gather_point(
    ws: &mut Workspace,
    plan: &JetPlan,
    points: MatRef<'_, f64>,
    m: usize,
    i: usize,
    p: usize,
) {
    let (nb, rows) = (ws.nb, ws.rows);
    // The point has d coordinates; the workspace was sized by the first layer (D).
    ws.x.resize(points.ncols(), 0.0);
    for (j, x) in ws.x.iter_mut().enumerate() {
        *x = points[(i, j)];
    }
    let out = &ws.z[ws.z.len() - 1][..rows * m];
    for (c, &(o, slot)) in ws.c.iter_mut().zip(&plan.channel_slots) {
        *c = out[o * rows + slot * nb + p];
    }
}

/// One linear layer's share of the chunk's Jacobian rows.
struct EmitLayer<'a> {
    /// `Z̄_k`, `(C·nb) × n_out` column-major.
    adj_z: &'a [f64],
    /// `S_k`, `(C·nb) × n_in` column-major.
    s: &'a [f64],
    rows: usize,
    nb: usize,
    n_slots: usize,
    n_in: usize,
    n_out: usize,
    w_off: usize,
    b_off: usize,
    accumulate: bool,
    /// For the input layer without an embedding only: the first-derivative slot of each
    /// input variable (if any). The input jets are then `x` in the value slot, a unit
    /// vector in the slot of `∂/∂x_s` and zero elsewhere, so
    /// `J[p, W_0(r, s)] = Z̄[p, r] x_s + Z̄[slot(s)·nb + p, r]`. Embedded input jets are
    /// general and take the sum over all slots.
    input_slots: Option<&'a [Option<usize>]>,
}

/// Writes the Jacobian columns of layer `e` for the chunk's rows `jb`:
/// `J[p, W(r,s)] = Σ_c Z̄[c·nb+p, r] S[c·nb+p, s]`, `J[p, b(r)] = Z̄[p, r]`.
///
/// The loops are plain Rust; this dispatches at run time to a copy compiled with AVX-512F
/// or AVX2 enabled when the CPU has them (the default target is baseline x86-64, i.e.
/// SSE2). No fused multiply-adds are introduced, so every version gives bitwise the same
/// result.
fn emit_jacobian_layer(e: &EmitLayer<'_>, jb: MatMut<'_, f64>, col: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            return unsafe { emit_avx512(e, jb, col) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { emit_avx2(e, jb, col) };
        }
    }
    emit_generic(e, jb, col)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn emit_avx512(e: &EmitLayer<'_>, jb: MatMut<'_, f64>, col: &mut [f64]) {
    emit_generic(e, jb, col)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn emit_avx2(e: &EmitLayer<'_>, jb: MatMut<'_, f64>, col: &mut [f64]) {
    emit_generic(e, jb, col)
}

#[inline(always)]
fn emit_generic(e: &EmitLayer<'_>, mut jb: MatMut<'_, f64>, col: &mut [f64]) {
    let (rows, nb) = (e.rows, e.nb);
    for r in 0..e.n_out {
        let g = &e.adj_z[r * rows..(r + 1) * rows];
        store(jb.as_mut().col_mut(e.b_off + r), &g[..nb], e.accumulate);
        for si in 0..e.n_in {
            let sv = &e.s[si * rows..(si + 1) * rows];
            let jcol = jb.as_mut().col_mut(e.w_off + r * e.n_in + si);
            let jcol = jcol
                .try_as_col_major_mut()
                .expect("unit row stride")
                .as_slice_mut();
            // Without accumulation the sum goes straight into J; with it, into `col` first
            // so that J gets exactly `J + (Σ_c …)`.
            let dst: &mut [f64] = if e.accumulate { &mut col[..nb] } else { jcol };
            for ((o, &a), &b) in dst.iter_mut().zip(&g[..nb]).zip(&sv[..nb]) {
                *o = a * b;
            }
            if let Some(slots) = e.input_slots {
                if let Some(c) = slots[si] {
                    for (o, &a) in dst.iter_mut().zip(&g[c * nb..(c + 1) * nb]) {
                        *o += a;
                    }
                }
            } else {
                for c in 1..e.n_slots {
                    let (gc, sc) = (&g[c * nb..(c + 1) * nb], &sv[c * nb..(c + 1) * nb]);
                    for ((o, &a), &b) in dst.iter_mut().zip(gc).zip(sc) {
                        *o += a * b;
                    }
                }
            }
            if e.accumulate {
                store(
                    jb.as_mut().col_mut(e.w_off + r * e.n_in + si),
                    &col[..nb],
                    true,
                );
            }
        }
    }
}

/// Writes (or adds) `v` into the column `col`.
#[inline]
fn store(col: ColMut<'_, f64>, v: &[f64], accumulate: bool) {
    if let Some(c) = col.try_as_col_major_mut() {
        let c = c.as_slice_mut();
        if accumulate {
            c.iter_mut().zip(v).for_each(|(a, b)| *a += b);
        } else {
            c.copy_from_slice(v);
        }
    } else {
        unreachable!("row blocks of a column-major J have unit row stride")
    }
}

fn assert_col_major(jac: &MatMut<'_, f64>) {
    assert!(
        jac.nrows() <= 1 || jac.row_stride() == 1,
        "J must be column-major (unit row stride)"
    );
}

pub(crate) fn eval_channels(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
) -> Mat<f64> {
    let points = inputs.points();
    net.check_shapes(theta, points);
    let (n, m) = (points.nrows(), net.n_outputs());
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
    let mut out = Mat::<f64>::zeros(n, channels.len());
    if n == 0 {
        return out;
    }
    let nb_max = chunk_size(n);
    let blocks = split_rows(out.as_mut(), nb_max);
    for_each_chunk(
        blocks,
        work(net, n, &plan, 1),
        || Workspace::pooled(net.layers(), plan.n_slots(), channels.len(), nb_max, false),
        |ws, (ci, mut ob)| {
            let (i0, nb) = (ci * nb_max, ob.nrows());
            forward(net, theta, &plan, pts, i0, nb, ws, false);
            extract(ws, &plan, m, ws.z.len() - 1, false, ob.as_mut());
        },
    );
    out
}

/// Writes the channel values (or, with `tangent`, their tangents) of the chunk into `ob`.
fn extract(
    ws: &Workspace,
    plan: &JetPlan,
    m: usize,
    last: usize,
    tangent: bool,
    mut ob: MatMut<'_, f64>,
) {
    let (nb, rows) = (ws.nb, ws.rows);
    let src = if tangent { &ws.dz[last] } else { &ws.z[last] };
    let src = &src[..rows * m];
    for (k, &(o, slot)) in plan.channel_slots.iter().enumerate() {
        let run = &src[o * rows + slot * nb..o * rows + (slot + 1) * nb];
        for (p, &v) in run.iter().enumerate() {
            ob[(p, k)] = v;
        }
    }
}

pub(crate) fn jvp_channels(
    net: &Mlp,
    theta: &[f64],
    v: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
) -> (Mat<f64>, Mat<f64>) {
    let points = inputs.points();
    net.check_shapes(theta, points);
    assert_eq!(v.len(), net.n_params(), "v has the wrong length");
    let (n, m) = (points.nrows(), net.n_outputs());
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
    let mut vals = Mat::<f64>::zeros(n, channels.len());
    let mut tans = Mat::<f64>::zeros(n, channels.len());
    if n == 0 {
        return (vals, tans);
    }
    let nb_max = chunk_size(n);
    let blocks = split_rows(vals.as_mut(), nb_max);
    let tblocks = split_rows(tans.as_mut(), nb_max);
    blocks
        .into_par_iter()
        .zip(tblocks)
        .enumerate()
        .for_each_init(
            || Workspace::pooled(net.layers(), plan.n_slots(), channels.len(), nb_max, true),
            |ws, (ci, (mut vb, mut tb))| {
                let (i0, nb) = (ci * nb_max, vb.nrows());
                forward_tangent(net, theta, v, &plan, pts, i0, nb, ws);
                let last = ws.z.len() - 1;
                extract(ws, &plan, m, last, false, vb.as_mut());
                extract(ws, &plan, m, last, true, tb.as_mut());
            },
        );
    (vals, tans)
}

/// The seeds of a sweep that ends with the residuals: a closure per point ([`Seed`],
/// which also serves the Jacobian and gradient sweeps), or one per chunk ([`BlockSeed`]),
/// which evaluates the residual formula over the chunk's points at once.
#[derive(Clone, Copy)]
pub(crate) enum ValueSeeds<'s> {
    Point(&'s Seed<'s>),
    Block(&'s BlockSeed<'s>),
}

/// Channels a [`BlockSeed`] receives without allocating; more take a heap list.
const INLINE_CHANNELS: usize = 16;

/// Writes (or adds) the residuals of a chunk whose forward jets are in `ws`, from
/// either kind of seed; a block seed gets the chunk's points and every channel's
/// column of values (`c[k][p]`, straight from the output jets), and its numbers are
/// stored or added exactly as [`apply_seeds`] stores or adds a point seed's.
#[allow(clippy::too_many_arguments)]
fn apply_value_seeds(
    ws: &mut Workspace,
    plan: &JetPlan,
    points: MatRef<'_, f64>,
    m: usize,
    i0: usize,
    seeds: ValueSeeds<'_>,
    r: &mut [f64],
    accumulate: bool,
) {
    let seed = match seeds {
        ValueSeeds::Point(seed) => {
            return apply_seeds(ws, plan, points, m, i0, seed, r, accumulate, false);
        }
        ValueSeeds::Block(seed) => seed,
    };
    let (nb, rows) = (ws.nb, ws.rows);
    let Workspace { z, col, .. } = ws;
    let out = &z[z.len() - 1][..rows * m];
    let column =
        |&(o, slot): &(usize, usize)| &out[o * rows + slot * nb..o * rows + (slot + 1) * nb];
    let vals = &mut col[..nb];
    let k = plan.channel_slots.len();
    if k <= INLINE_CHANNELS {
        let mut cols: [&[f64]; INLINE_CHANNELS] = [&[]; INLINE_CHANNELS];
        for (c, cs) in cols.iter_mut().zip(&plan.channel_slots) {
            *c = column(cs);
        }
        seed(i0, points.subrows(i0, nb), &cols[..k], vals);
    } else {
        let cols: Vec<&[f64]> = plan.channel_slots.iter().map(column).collect();
        seed(i0, points.subrows(i0, nb), &cols, vals);
    }
    for (rp, &v) in r.iter_mut().zip(vals.iter()) {
        if accumulate {
            *rp += v;
        } else {
            *rp = v;
        }
    }
}

/// Evaluates the seeds of a chunk whose forward jets are in `ws`: writes `r` (or adds),
/// and, with `adjoint`, seeds `ws.adj_z` with `a = ∂F/∂c` for the reverse sweep.
#[allow(clippy::too_many_arguments)]
fn apply_seeds(
    ws: &mut Workspace,
    plan: &JetPlan,
    points: MatRef<'_, f64>,
    m: usize,
    i0: usize,
    seed: &Seed<'_>,
    r: &mut [f64],
    accumulate: bool,
    adjoint: bool,
) {
    let (nb, rows) = (ws.nb, ws.rows);
    if adjoint {
        ws.adj_z[..rows * m].fill(0.0);
    }
    for (p, rp) in r.iter_mut().enumerate().take(nb) {
        gather_point(ws, plan, points, m, i0 + p, p);
        let k = plan.channel_slots.len();
        ws.a[..k].fill(0.0);
        let ri = seed(i0 + p, &ws.x, &ws.c[..k], &mut ws.a[..k]);
        if accumulate {
            *rp += ri;
        } else {
            *rp = ri;
        }
        if adjoint {
            for (&ak, &(o, slot)) in ws.a.iter().zip(&plan.channel_slots) {
                ws.adj_z[o * rows + slot * nb + p] += ak;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn residuals_and_jacobian(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    seed: &Seed<'_>,
    r: &mut [f64],
    jac: MatMut<'_, f64>,
    accumulate: bool,
) {
    let points = inputs.points();
    net.check_shapes(theta, points);
    let (n, m) = (points.nrows(), net.n_outputs());
    assert_eq!(r.len(), n, "r must have one entry per point");
    assert_eq!(jac.nrows(), n, "J must have one row per point");
    assert_eq!(
        jac.ncols(),
        net.n_params(),
        "J must have one column per parameter"
    );
    assert_col_major(&jac);
    if n == 0 {
        return;
    }
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
    let input_slots: Vec<Option<usize>> = (0..net.n_inputs())
        .map(|v| {
            plan.first_vars
                .iter()
                .position(|&fv| fv == v)
                .map(|f| plan.first_slot(f))
        })
        .collect();
    let identity = net.embedding().is_identity();
    let nb_max = chunk_size(n);
    let blocks: Vec<_> = split_rows(jac, nb_max)
        .into_iter()
        .zip(r.chunks_mut(nb_max))
        .collect();
    for_each_chunk(
        blocks,
        work(net, n, &plan, 1),
        || Workspace::pooled(net.layers(), plan.n_slots(), channels.len(), nb_max, false),
        |ws, (ci, (mut jb, rc))| {
            let (i0, nb) = (ci * nb_max, rc.len());
            forward(net, theta, &plan, pts, i0, nb, ws, true);
            apply_seeds(ws, &plan, points, m, i0, seed, rc, accumulate, true);
            let n_slots = plan.n_slots();
            let rows = ws.rows;
            reverse(net, theta, &plan, ws, |k, adj_z, s, col| {
                let (n_in, n_out) = (net.layers()[k], net.layers()[k + 1]);
                let w_off = net.layer_offset(k);
                let layer = EmitLayer {
                    adj_z,
                    s,
                    rows,
                    nb,
                    n_slots,
                    n_in,
                    n_out,
                    w_off,
                    b_off: w_off + n_in * n_out,
                    accumulate,
                    input_slots: (k == 0 && identity).then_some(&input_slots[..]),
                };
                emit_jacobian_layer(&layer, jb.as_mut(), &mut col[..nb]);
            });
        },
    );
}

pub(crate) fn residuals(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    seeds: ValueSeeds<'_>,
    r: &mut [f64],
    accumulate: bool,
) {
    let points = inputs.points();
    net.check_shapes(theta, points);
    let (n, m) = (points.nrows(), net.n_outputs());
    assert_eq!(r.len(), n, "r must have one entry per point");
    if n == 0 {
        return;
    }
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
    let nb_max = chunk_size(n);
    for_each_chunk(
        r.chunks_mut(nb_max).collect(),
        work(net, n, &plan, 1),
        || Workspace::pooled(net.layers(), plan.n_slots(), channels.len(), nb_max, false),
        |ws, (ci, rc): (usize, &mut [f64])| {
            let i0 = ci * nb_max;
            forward(net, theta, &plan, pts, i0, rc.len(), ws, false);
            apply_value_seeds(ws, &plan, points, m, i0, seeds, rc, accumulate);
        },
    );
}

/// [`residuals`] at every `θ_j` of `thetas` into `outs[j]`, in one parallel sweep over
/// the chunks of points: a chunk's coordinates and input jets (with any embedding) are
/// seeded once, then the layers and seeds run for each θ_j in turn. Every θ_j goes
/// through exactly the operations of [`residuals`] on the same chunks, so each `outs[j]`
/// is bitwise what [`residuals`] writes, on any number of threads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn residuals_many(
    net: &Mlp,
    thetas: &[&[f64]],
    inputs: Inputs<'_>,
    channels: &[Channel],
    seeds: ValueSeeds<'_>,
    outs: &mut [&mut [f64]],
    accumulate: bool,
) {
    let points = inputs.points();
    assert_eq!(outs.len(), thetas.len(), "one residual vector per θ");
    let (n, m) = (points.nrows(), net.n_outputs());
    for (theta, out) in thetas.iter().zip(outs.iter()) {
        net.check_shapes(theta, points);
        assert_eq!(out.len(), n, "r must have one entry per point");
    }
    if n == 0 || thetas.is_empty() {
        return;
    }
    let plan = JetPlan::new(channels, net.n_inputs(), m);
    let pts = Pts::new(net, inputs, &plan);
    let nb_max = chunk_size(n);
    let mut per_chunk: Vec<Vec<&mut [f64]>> = (0..n.div_ceil(nb_max))
        .map(|_| Vec::with_capacity(thetas.len()))
        .collect();
    for out in outs.iter_mut() {
        for (ci, rc) in out.chunks_mut(nb_max).enumerate() {
            per_chunk[ci].push(rc);
        }
    }
    for_each_chunk(
        per_chunk,
        work(net, n, &plan, thetas.len()),
        || Workspace::pooled(net.layers(), plan.n_slots(), channels.len(), nb_max, false),
        |ws, (ci, mut rcs)| {
            let (i0, nb) = (ci * nb_max, rcs[0].len());
            pts.seed(net, ws, &plan, i0, nb);
            for (theta, rc) in thetas.iter().zip(rcs.iter_mut()) {
                forward_layers(net, theta, &plan, ws, false);
                apply_value_seeds(ws, &plan, points, m, i0, seeds, rc, accumulate);
            }
        },
    );
}
