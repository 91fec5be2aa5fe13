//! Forward-mode Taylor jets in `x` for one chunk of points, and the elementwise
//! activation rules of the jets, their adjoint and their tangent.
//!
//! For a hidden layer `z = W h + b`, `h⁺ = σ(z)`, the derivatives in `x` propagate as
//!
//! ```text
//!     z'_j = W h'_j                 h⁺'_j  = σ'(z) z'_j
//!     z''_ab = W h''_ab             h⁺''_ab = σ'(z) z''_ab + σ''(z) z'_a z'_b
//!     z''_V = W h''_V               h⁺''_V  = σ'(z) z''_V + σ''(z) Σ_{i∈V} (z'_i)²
//! ```
//!
//! (the last line is the forward Laplacian of Li et al., "Forward Laplacian", 2023).
//! Slots of order 3 and 4 follow the multivariate Faà di Bruno formula; their rules live
//! in [`super::higher`] and run only for plans that have such slots, so a plan of order
//! ≤ 2 computes exactly what it computed before they existed.
//! Storage: for a chunk of `nb` points and `C` slots (see [`JetPlan`]), the jets of a
//! layer of width `n` are one column-major `(C·nb) × n` matrix whose row `c·nb + p` is
//! slot `c` of point `p`. Then a whole layer is **one** product `Z = S · Wᵀ` over all
//! points and slots (the bias enters the value rows only), and every elementwise rule
//! below runs on contiguous runs of `nb` numbers.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::plan::{JetPlan, SecondSlot};
use super::simd::vector_dispatch;
use super::{Activation, higher};

/// Per-chunk buffers, allocated once per worker and reused for every chunk.
pub(crate) struct Workspace {
    /// Points in the current chunk.
    pub nb: usize,
    /// `C · nb`.
    pub rows: usize,
    /// `s[k]`: the input jets of linear layer `k` (`s[0]`: the input point jets), width
    /// `layers[k]`.
    pub s: Vec<Vec<f64>>,
    /// `z[k]`: the output jets of linear layer `k` (pre-activation), width `layers[k+1]`.
    pub z: Vec<Vec<f64>>,
    /// Adjoint of a layer's input jets (`Ŝ`), max width.
    pub adj_s: Vec<f64>,
    /// Adjoint of a layer's output jets (`Z̄`), max width.
    pub adj_z: Vec<f64>,
    /// Tangents `ṡ[k]`, `ż[k]` (allocated only for forward-mode products).
    pub ds: Vec<Vec<f64>>,
    pub dz: Vec<Vec<f64>>,
    /// `sig[k]`: `σ, σ', …` at the value rows of `z[k]` (hidden layers only): with
    /// `nd = JetPlan::n_sig()` derivatives (4, or 6 for slots of order 3 and 4), per
    /// neuron `q` the block `[nd·nb·q, nd·nb·(q+1))`, derivative `i` at offset `i·nb`.
    /// Computed once in the forward pass, reused by the adjoint and tangent rules.
    pub sig: Vec<Vec<f64>>,
    /// One Jacobian column segment.
    pub col: Vec<f64>,
    /// One point's coordinates, channel values and channel seeds.
    pub x: Vec<f64>,
    pub c: Vec<f64>,
    pub a: Vec<f64>,
    /// Scratch of the input embedding: its first-stage feature jets and the Fourier
    /// pre-activations (grown on first use, see [`super::embedding`]).
    pub emb: Vec<f64>,
    pub emb_z: Vec<f64>,
}

impl Workspace {
    /// Buffers for chunks of up to `max_nb` points through a network with `layers`, for
    /// `n_slots` slots and `k` channels; `tangents` adds the forward-mode tangent buffers.
    pub fn new(layers: &[usize], n_slots: usize, k: usize, max_nb: usize, tangents: bool) -> Self {
        let rows = n_slots * max_nb;
        let n_lin = layers.len() - 1;
        let wmax = *layers.iter().max().expect("non-empty");
        let s: Vec<Vec<f64>> = (0..n_lin).map(|l| vec![0.0; rows * layers[l]]).collect();
        let z: Vec<Vec<f64>> = (0..n_lin)
            .map(|l| vec![0.0; rows * layers[l + 1]])
            .collect();
        let (ds, dz) = if tangents {
            (s.clone(), z.clone())
        } else {
            (Vec::new(), Vec::new())
        };
        Workspace {
            nb: 0,
            rows: 0,
            s,
            z,
            adj_s: vec![0.0; rows * wmax],
            adj_z: vec![0.0; rows * wmax],
            ds,
            dz,
            sig: (0..n_lin - 1)
                .map(|l| vec![0.0; 6 * max_nb * layers[l + 1]])
                .collect(),
            col: vec![0.0; max_nb],
            x: vec![0.0; layers[0]],
            c: vec![0.0; k],
            a: vec![0.0; k],
            emb: Vec::new(),
            emb_z: Vec::new(),
        }
    }
}

/// What a workspace was sized for. A pooled workspace is reused for any request it
/// [`fits`](WorkspaceKey::fits): same network, at least as many slots, channels and points
/// per chunk (every user indexes with the chunk's own `nb`, `rows` and channel count).
#[derive(Clone, PartialEq, Eq)]
struct WorkspaceKey {
    layers: Vec<usize>,
    n_slots: usize,
    k: usize,
    max_nb: usize,
    tangents: bool,
}

impl WorkspaceKey {
    fn fits(&self, need: &WorkspaceKey) -> bool {
        self.layers == need.layers
            && self.n_slots >= need.n_slots
            && self.k >= need.k
            && self.max_nb >= need.max_nb
            && (self.tangents || !need.tangents)
    }
}

/// Workspaces kept per thread (at most [`POOL_MAX`]).
const POOL_MAX: usize = 4;

thread_local! {
    static POOL: RefCell<Vec<(WorkspaceKey, Workspace)>> = const { RefCell::new(Vec::new()) };
}

/// A [`Workspace`] borrowed from the calling thread's pool and returned to it on drop.
/// Rayon's worker threads live as long as the pool, so repeated calls (every solver
/// iteration) reuse their buffers instead of allocating and zeroing megabytes each time.
pub(crate) struct PooledWorkspace {
    key: WorkspaceKey,
    ws: Option<Workspace>,
}

impl Workspace {
    /// Like [`Workspace::new`], but reuses a buffer set of this thread when one fits. New
    /// sets are sized for full chunks of [`CHUNK`](super::kernel::CHUNK) points, so blocks
    /// of different sizes share them.
    pub fn pooled(
        layers: &[usize],
        n_slots: usize,
        k: usize,
        max_nb: usize,
        tangents: bool,
    ) -> PooledWorkspace {
        let max_nb = max_nb.max(super::kernel::CHUNK);
        let key = WorkspaceKey {
            layers: layers.to_vec(),
            n_slots,
            k,
            max_nb,
            tangents,
        };
        let found = POOL
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let i = p.iter().position(|(k, _)| k.fits(&key))?;
                Some(p.swap_remove(i))
            })
            .ok()
            .flatten();
        let (key, ws) = found.unwrap_or_else(|| {
            let ws = Workspace::new(layers, n_slots, k, max_nb, tangents);
            (key, ws)
        });
        PooledWorkspace { key, ws: Some(ws) }
    }
}

impl Drop for PooledWorkspace {
    fn drop(&mut self) {
        if let Some(ws) = self.ws.take() {
            let key = self.key.clone();
            // During thread teardown the pool may be gone: then the buffers are just freed.
            let _ = POOL.try_with(|p| {
                let mut p = p.borrow_mut();
                if p.len() >= POOL_MAX {
                    p.remove(0);
                }
                p.push((key, ws));
            });
        }
    }
}

impl Deref for PooledWorkspace {
    type Target = Workspace;
    fn deref(&self) -> &Workspace {
        self.ws.as_ref().expect("present until drop")
    }
}

impl DerefMut for PooledWorkspace {
    fn deref_mut(&mut self) -> &mut Workspace {
        self.ws.as_mut().expect("present until drop")
    }
}

/// The parameters of linear layer `k`: `W` (row-major `n_out × n_in`) and `b`.
pub(crate) struct LayerParams<'a> {
    pub n_in: usize,
    pub n_out: usize,
    pub w: &'a [f64],
    pub b: &'a [f64],
}

impl<'a> LayerParams<'a> {
    /// `Wᵀ` as a column-major `n_in × n_out` view (the row-major `W` read column-major).
    pub fn wt(&self) -> MatRef<'a, f64> {
        MatRef::from_column_major_slice(self.w, self.n_in, self.n_out)
    }
    /// `W` as an `n_out × n_in` view.
    pub fn w(&self) -> MatRef<'a, f64> {
        MatRef::from_row_major_slice(self.w, self.n_out, self.n_in)
    }
}

/// A column-major `rows × ncols` view of the first `rows·ncols` entries of `buf`.
pub(crate) fn view(buf: &[f64], rows: usize, ncols: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(&buf[..rows * ncols], rows, ncols)
}

/// Mutable version of [`view`].
pub(crate) fn view_mut(buf: &mut [f64], rows: usize, ncols: usize) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(&mut buf[..rows * ncols], rows, ncols)
}

/// Inner dimensions up to which [`small_k_matmul`] replaces the general product (the input
/// layer has `k = d`, the adjoint of a scalar output layer `k = m`): a GEMM packs its
/// operands, which costs more than the product itself when `k` is tiny.
pub(crate) const SMALL_K: usize = 8;

/// `C (+)= A B` for column-major `A` (`rows × k`, `k` small) and `C` (`rows × n`), with
/// `B[l, j] = b(l, j)`: column by column, `c_j (+)= Σ_l b(l, j) a_l`.
#[inline(always)]
pub(crate) fn small_k_matmul(
    c: &mut [f64],
    a: &[f64],
    rows: usize,
    k: usize,
    n: usize,
    b: impl Fn(usize, usize) -> f64,
    accum: Accum,
) {
    for j in 0..n {
        let cj = &mut c[j * rows..(j + 1) * rows];
        if matches!(accum, Accum::Replace) {
            cj.fill(0.0);
        }
        for l in 0..k {
            let blj = b(l, j);
            for (o, &x) in cj.iter_mut().zip(&a[l * rows..(l + 1) * rows]) {
                *o += blj * x;
            }
        }
    }
}

/// Rows per register block of [`single_output`].
const OUT_BLOCK: usize = 64;

/// `z (+)= S w` for a layer with one output (`w` its `n_in` weights, `S` column-major
/// with `rows` rows): per row the fused multiply-adds `z ← s_l w_l + z` for
/// `l = 0, 1, …` from `z = 0` (or the old `z`), which is the order and rounding of
/// faer's column-major matrix–vector product (one `mul_add` per column, column after
/// column), so the numbers are the same. faer streams `z` through memory once per
/// column; here a block of rows stays in registers over all columns, which made the
/// `32 → 1` output layer of a small network several times cheaper.
#[inline(always)]
fn single_output(z: &mut [f64], s: &[f64], w: &[f64], rows: usize, accum: Accum) {
    let add = matches!(accum, Accum::Add);
    let mut i0 = 0;
    while i0 + OUT_BLOCK <= rows {
        let mut acc = [0.0f64; OUT_BLOCK];
        if add {
            acc.copy_from_slice(&z[i0..i0 + OUT_BLOCK]);
        }
        for (l, &wl) in w.iter().enumerate() {
            let col = &s[l * rows + i0..l * rows + i0 + OUT_BLOCK];
            for (a, &x) in acc.iter_mut().zip(col) {
                *a = x.mul_add(wl, *a);
            }
        }
        z[i0..i0 + OUT_BLOCK].copy_from_slice(&acc);
        i0 += OUT_BLOCK;
    }
    for i in i0..rows {
        let mut a = if add { z[i] } else { 0.0 };
        for (l, &wl) in w.iter().enumerate() {
            a = s[l * rows + i].mul_add(wl, a);
        }
        z[i] = a;
    }
}

/// Fills the input jets `s[0]` for points `i0 .. i0 + nb`: value `x`, first slot `f` is
/// the unit vector `e_{var(f)}`, second slots are zero.
pub(crate) fn seed_inputs(ws: &mut Workspace, plan: &JetPlan, points: MatRef<'_, f64>, i0: usize) {
    let (nb, rows) = (ws.nb, ws.rows);
    let d = points.ncols();
    let s0 = &mut ws.s[0][..rows * d];
    s0.fill(0.0);
    for j in 0..d {
        let col = &mut s0[j * rows..j * rows + nb];
        for (p, v) in col.iter_mut().enumerate() {
            *v = points[(i0 + p, j)];
        }
    }
    for (f, &var) in plan.first_vars.iter().enumerate() {
        let off = var * rows + plan.first_slot(f) * nb;
        s0[off..off + nb].fill(1.0);
    }
}

vector_dispatch! {
    /// `Z = S Wᵀ (+ b on the value rows)` for linear layer `lp`.
    pub(crate) fn linear(
        s: &[f64],
        z: &mut [f64],
        lp: &LayerParams<'_>,
        rows: usize,
        nb: usize,
        accum: Accum,
    ) {
        if lp.n_in <= SMALL_K {
            // z_q (+)= Σ_l W[q, l] s_l
            let (w, n_in) = (lp.w, lp.n_in);
            small_k_matmul(z, s, rows, n_in, lp.n_out, |l, q| w[q * n_in + l], accum);
        } else if has_single_output_path(lp) {
            single_output(z, s, lp.w, rows, accum);
        } else {
            let zm = view_mut(z, rows, lp.n_out);
            matmul(zm, accum, view(s, rows, lp.n_in), lp.wt(), 1.0, Par::Seq);
        }
        for (q, &bq) in lp.b.iter().enumerate() {
            z[q * rows..q * rows + nb].iter_mut().for_each(|v| *v += bq);
        }
    }
}

/// Whether [`linear`] computes layer `lp` by [`single_output`]: one output and more
/// than [`SMALL_K`] inputs. Then `z = Σ_l s_l w_l` is summed in a fixed order that a
/// fused pass can follow neuron by neuron ([`super::value_jets`]).
pub(crate) fn has_single_output_path(lp: &LayerParams<'_>) -> bool {
    lp.n_in > SMALL_K && lp.n_out == 1
}

/// Whether [`linear_input`] computes what [`linear`] (with [`Accum::Replace`]) would for
/// the input layer `lp`: it takes the same small-`k` path.
pub(crate) fn has_input_path(lp: &LayerParams<'_>) -> bool {
    lp.n_in <= SMALL_K
}

vector_dispatch! {
    /// [`linear`] (replacing `z`) for input jets whose rows past the value slot are the
    /// same at every point of the chunk, as [`seed_inputs`] writes them (unit vectors in
    /// the first-derivative slots, zeros in the others): each of those rows of `Z` is one
    /// number per slot and output, `0 + Σ_l W[q, l] s_l` in the order [`small_k_matmul`]
    /// sums it, computed once ([`input_layer_neuron`]) and, with `copies`, copied to the
    /// slot's `nb` rows; without, it stands only at the slot's first row and the rest of
    /// `z` is left as it was (for [`PreActivations::InputLayer`]). Only the value rows
    /// depend on the points. The numbers are the ones [`linear`] writes, bit for bit; the
    /// work on the derivative slots drops from `C·nb` to `C` products per output. Call
    /// only when [`has_input_path`] holds.
    ///
    /// [`PreActivations::InputLayer`]: super::value_jets::PreActivations::InputLayer
    pub(crate) fn linear_input(
        s: &[f64],
        z: &mut [f64],
        lp: &LayerParams<'_>,
        rows: usize,
        nb: usize,
        copies: bool,
    ) {
        for q in 0..lp.n_out {
            let zq = &mut z[q * rows..(q + 1) * rows];
            input_layer_neuron(s, zq, lp, q, rows, nb);
            if copies {
                for c in 1..rows / nb {
                    let v = zq[c * nb];
                    zq[c * nb + 1..(c + 1) * nb].fill(v);
                }
            }
        }
    }
}

/// Output `q` of the input layer into `zq` (its `rows` jets): the value rows
/// `(0 + Σ_l W[q, l] x_l) + b_q`, and for each slot `c ≥ 1` the number
/// `0 + Σ_l W[q, l] s_l` of the slot (read from its first row of `s`) at `zq[c·nb]`.
#[inline(always)]
fn input_layer_neuron(
    s: &[f64],
    zq: &mut [f64],
    lp: &LayerParams<'_>,
    q: usize,
    rows: usize,
    nb: usize,
) {
    let n_in = lp.n_in;
    let wq = &lp.w[q * n_in..(q + 1) * n_in];
    let bq = lp.b[q];
    let (value, derivs) = zq.split_at_mut(nb);
    match n_in {
        1 => input_values::<1>(value, s, wq, bq, rows),
        2 => input_values::<2>(value, s, wq, bq, rows),
        3 => input_values::<3>(value, s, wq, bq, rows),
        4 => input_values::<4>(value, s, wq, bq, rows),
        _ => {
            value.fill(0.0);
            for (l, &wl) in wq.iter().enumerate() {
                for (o, &x) in value.iter_mut().zip(&s[l * rows..l * rows + nb]) {
                    *o += wl * x;
                }
            }
            value.iter_mut().for_each(|v| *v += bq);
        }
    }
    for c in 1..rows / nb {
        let mut v = 0.0;
        for (l, &wl) in wq.iter().enumerate() {
            v += wl * s[l * rows + c * nb];
        }
        derivs[(c - 1) * nb] = v;
    }
}

/// The value rows of one input-layer output for `N` inputs, in one pass:
/// `((0 + w_0 x_0) + w_1 x_1 + …) + b` per point, the sums of the general loop in
/// [`input_layer_neuron`] in the same order.
#[inline(always)]
fn input_values<const N: usize>(value: &mut [f64], s: &[f64], wq: &[f64], bq: f64, rows: usize) {
    let nb = value.len();
    let cols: [&[f64]; N] = std::array::from_fn(|l| &s[l * rows..l * rows + nb]);
    let w: [f64; N] = std::array::from_fn(|l| wq[l]);
    for (p, o) in value.iter_mut().enumerate() {
        let mut v = 0.0;
        for l in 0..N {
            v += w[l] * cols[l][p];
        }
        *o = v + bq;
    }
}

vector_dispatch! {
    /// The adjoint of a linear layer with few outputs (`n_out ≤` [`SMALL_K`]):
    /// `Ŝ = Z̄ W`, i.e. `Ŝ_s = Σ_r W[r, s] Z̄_r`.
    pub(crate) fn linear_adjoint_small(
        adj_s: &mut [f64],
        adj_z: &[f64],
        lp: &LayerParams<'_>,
        rows: usize,
    ) {
        let (w, n_in) = (lp.w, lp.n_in);
        let b = |r: usize, s: usize| w[r * n_in + s];
        small_k_matmul(adj_s, adj_z, rows, lp.n_out, n_in, b, Accum::Replace);
    }
}

/// Slot `c` of one neuron's pre-activation jets, read point by point: a run of `nb`
/// numbers, or one number that is the same at every point (the input layer's derivative
/// slots, see [`PreActivations::InputLayer`]).
pub(crate) trait SlotColumn: Copy {
    fn at(self, p: usize) -> f64;
}

impl SlotColumn for &[f64] {
    #[inline(always)]
    fn at(self, p: usize) -> f64 {
        self[p]
    }
}

impl SlotColumn for f64 {
    #[inline(always)]
    fn at(self, _p: usize) -> f64 {
        self
    }
}

/// The jet rules of order ≤ 2 for one neuron (the module docs' table): from `σ, σ', σ''`
/// at its value rows (`d`) and its pre-activation slots (`col(c)`) to its
/// post-activation jets `sc` (`rows` numbers). Each number is computed as
/// [`activate`] always has, so a constant column gives the bits of a copied one.
#[inline(always)]
pub(super) fn neuron_rules<C: SlotColumn>(
    plan: &JetPlan,
    d: [&[f64]; 4],
    col: impl Fn(usize) -> C,
    sc: &mut [f64],
    nb: usize,
) {
    let blk = |c: usize| c * nb..(c + 1) * nb;
    let (d1, d2) = (d[1], d[2]);
    sc[..nb].copy_from_slice(d[0]);
    for f in 0..plan.first_vars.len() {
        let c = plan.first_slot(f);
        let zf = col(c);
        for (p, (o, &d1p)) in sc[blk(c)].iter_mut().zip(d1).enumerate() {
            *o = d1p * zf.at(p);
        }
    }
    for (si, slot) in plan.seconds.iter().enumerate() {
        let c = plan.second_slot(si);
        let zs = col(c);
        let out = &mut sc[blk(c)];
        match slot {
            SecondSlot::Pair { a, b } => {
                let za = col(plan.first_slot(*a));
                let zb = col(plan.first_slot(*b));
                for p in 0..nb {
                    out[p] = d1[p] * zs.at(p) + d2[p] * za.at(p) * zb.at(p);
                }
            }
            SecondSlot::Lap { firsts } => {
                for p in 0..nb {
                    out[p] = d1[p] * zs.at(p);
                }
                for &f in firsts {
                    let zf = col(plan.first_slot(f));
                    for p in 0..nb {
                        out[p] += d2[p] * zf.at(p) * zf.at(p);
                    }
                }
            }
        }
    }
}

vector_dispatch! {
/// The jet rule of the activation: from the pre-activation jets `z` (width `n`) to the
/// post-activation jets `s` (same shape). With `for_reverse` the derivatives of `σ` the
/// adjoint and tangent rules read are stored in `sig` as well (all [`JetPlan::n_sig`]);
/// without, only those the forward rule reads ([`JetPlan::forward_derivs`]), for passes
/// that end with the values.
pub(crate) fn activate(
    act: Activation,
    plan: &JetPlan,
    z: &[f64],
    s: &mut [f64],
    n: usize,
    nb: usize,
    sig: &mut [f64],
    for_reverse: bool,
) {
    let rows = plan.n_slots() * nb;
    let nd = plan.n_sig();
    let partial = !for_reverse && nd == 4;
    for q in 0..n {
        let zc = &z[q * rows..(q + 1) * rows];
        let sc = &mut s[q * rows..(q + 1) * rows];
        let dall = &mut sig[nd * nb * q..nd * nb * (q + 1)];
        if partial {
            act.derivs_upto_into(&zc[..nb], dall, plan.forward_derivs());
        } else {
            act.derivs_into(&zc[..nb], dall);
        }
        let dall = &*dall;
        let d: [&[f64]; 4] = std::array::from_fn(|i| &dall[i * nb..(i + 1) * nb]);
        neuron_rules(plan, d, move |c| &zc[c * nb..(c + 1) * nb], sc, nb);
        if !plan.highers.is_empty() {
            higher::activate(plan, zc, sc, dall, nb);
        }
    }
}
}

vector_dispatch! {
/// The adjoint of [`activate`] (whose `sig` it reads): from `ŝ` (adjoint of the post-activation jets) and the
/// pre-activation jets `z`, the adjoint `z̄` (all width `n`). Differentiating the rules:
///
/// ```text
///   z̄ = σ' ŝ + Σ_j σ'' z'_j ŝ'_j + Σ_pairs (σ'' z''_ab + σ''' z'_a z'_b) ŝ''_ab
///            + Σ_laps (σ'' z''_V + σ''' Σ_{i∈V} z'_i²) ŝ''_V
///   z̄'_j = σ' ŝ'_j + Σ_{pairs ∋ j} σ'' z'_{other} ŝ''_ab + Σ_{laps ∋ j} 2 σ'' z'_j ŝ''_V
///   z̄'' = σ' ŝ''
/// ```
#[allow(clippy::too_many_arguments)]
pub(crate) fn activate_adjoint(
    plan: &JetPlan,
    z: &[f64],
    adj_s: &[f64],
    adj_z: &mut [f64],
    n: usize,
    nb: usize,
    sig: &[f64],
) {
    let rows = plan.n_slots() * nb;
    let nf = plan.first_vars.len();
    let nd = plan.n_sig();
    for q in 0..n {
        let zc = &z[q * rows..(q + 1) * rows];
        let sh = &adj_s[q * rows..(q + 1) * rows];
        let g = &mut adj_z[q * rows..(q + 1) * rows];
        let d = &sig[nd * nb * q..nd * nb * (q + 1)];
        let (d1, d2, d3) = (&d[nb..2 * nb], &d[2 * nb..3 * nb], &d[3 * nb..4 * nb]);
        // z̄ = σ' ŝ on every slot, then the cross terms.
        for c in 0..plan.n_slots() {
            for p in 0..nb {
                g[c * nb + p] = d1[p] * sh[c * nb + p];
            }
        }
        for f in 0..nf {
            let c = plan.first_slot(f);
            for p in 0..nb {
                g[p] += d2[p] * zc[c * nb + p] * sh[c * nb + p];
            }
        }
        for (si, slot) in plan.seconds.iter().enumerate() {
            let c = plan.second_slot(si);
            match slot {
                SecondSlot::Pair { a, b } => {
                    let (ca, cb) = (plan.first_slot(*a), plan.first_slot(*b));
                    for p in 0..nb {
                        let (za, zb, shs) = (zc[ca * nb + p], zc[cb * nb + p], sh[c * nb + p]);
                        g[p] += (d2[p] * zc[c * nb + p] + d3[p] * za * zb) * shs;
                        g[ca * nb + p] += d2[p] * zb * shs;
                        g[cb * nb + p] += d2[p] * za * shs;
                    }
                }
                SecondSlot::Lap { firsts } => {
                    for p in 0..nb {
                        let shs = sh[c * nb + p];
                        let mut sq = 0.0;
                        for &f in firsts {
                            let cf = plan.first_slot(f);
                            let zf = zc[cf * nb + p];
                            sq += zf * zf;
                            g[cf * nb + p] += 2.0 * d2[p] * zf * shs;
                        }
                        g[p] += (d2[p] * zc[c * nb + p] + d3[p] * sq) * shs;
                    }
                }
            }
        }
        if !plan.highers.is_empty() {
            higher::adjoint(plan, zc, sh, g, d, nb);
        }
    }
}
}

vector_dispatch! {
/// The tangent of [`activate`] in the direction that moves `z` by `ż` (`dz`): writes `ṡ`
/// (`ds`).
///
/// ```text
///   ṡ = σ' ż        ṡ'_j = σ'' ż z'_j + σ' ż'_j
///   ṡ''_ab = σ'' ż z''_ab + σ' ż''_ab + σ''' ż z'_a z'_b + σ'' (ż'_a z'_b + z'_a ż'_b)
///   ṡ''_V  = σ'' ż z''_V + σ' ż''_V + σ''' ż Σ z'_i² + 2 σ'' Σ z'_i ż'_i
/// ```
#[allow(clippy::too_many_arguments)]
pub(crate) fn activate_tangent(
    plan: &JetPlan,
    z: &[f64],
    dz: &[f64],
    ds: &mut [f64],
    n: usize,
    nb: usize,
    sig: &[f64],
) {
    let rows = plan.n_slots() * nb;
    let nd = plan.n_sig();
    for q in 0..n {
        let zc = &z[q * rows..(q + 1) * rows];
        let tz = &dz[q * rows..(q + 1) * rows];
        let ts = &mut ds[q * rows..(q + 1) * rows];
        let d = &sig[nd * nb * q..nd * nb * (q + 1)];
        let (d1, d2, d3) = (&d[nb..2 * nb], &d[2 * nb..3 * nb], &d[3 * nb..4 * nb]);
        for p in 0..nb {
            ts[p] = d1[p] * tz[p];
        }
        for f in 0..plan.first_vars.len() {
            let c = plan.first_slot(f);
            for p in 0..nb {
                ts[c * nb + p] = d2[p] * tz[p] * zc[c * nb + p] + d1[p] * tz[c * nb + p];
            }
        }
        for (si, slot) in plan.seconds.iter().enumerate() {
            let c = plan.second_slot(si);
            for p in 0..nb {
                ts[c * nb + p] = d2[p] * tz[p] * zc[c * nb + p] + d1[p] * tz[c * nb + p];
            }
            match slot {
                SecondSlot::Pair { a, b } => {
                    let (ca, cb) = (plan.first_slot(*a), plan.first_slot(*b));
                    for p in 0..nb {
                        let (za, zb) = (zc[ca * nb + p], zc[cb * nb + p]);
                        let (ta, tb) = (tz[ca * nb + p], tz[cb * nb + p]);
                        ts[c * nb + p] += d3[p] * tz[p] * za * zb + d2[p] * (ta * zb + za * tb);
                    }
                }
                SecondSlot::Lap { firsts } => {
                    for p in 0..nb {
                        let (mut sq, mut cross) = (0.0, 0.0);
                        for &f in firsts {
                            let cf = plan.first_slot(f);
                            sq += zc[cf * nb + p] * zc[cf * nb + p];
                            cross += zc[cf * nb + p] * tz[cf * nb + p];
                        }
                        ts[c * nb + p] += d3[p] * tz[p] * sq + 2.0 * d2[p] * cross;
                    }
                }
            }
        }
        if !plan.highers.is_empty() {
            higher::tangent(plan, zc, tz, ts, d, nb);
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`single_output`] gives faer's column-major matrix–vector product bit for bit
    /// (replacing and adding; row counts below, at and past a register block), through
    /// [`linear`] as the forward pass calls it.
    #[test]
    fn single_output_is_faers_product_bit_for_bit() {
        for rows in [1, 7, OUT_BLOCK, OUT_BLOCK + 5, 3 * OUT_BLOCK + 17] {
            let n_in = 33;
            let s: Vec<f64> = (0..rows * n_in)
                .map(|i| ((i * 7919) % 1013) as f64 / 97.0 - 5.1)
                .collect();
            let w: Vec<f64> = (0..n_in).map(|l| (l as f64 * 0.37).sin() / 3.0).collect();
            let b = [0.0];
            let lp = LayerParams {
                n_in,
                n_out: 1,
                w: &w,
                b: &b,
            };
            for accum in [Accum::Replace, Accum::Add] {
                let start: Vec<f64> = (0..rows).map(|i| 1.0 / (i as f64 + 0.3)).collect();
                let mut ours = start.clone();
                linear(&s, &mut ours, &lp, rows, rows, accum);
                let mut want = start.clone();
                matmul(
                    view_mut(&mut want, rows, 1),
                    accum,
                    view(&s, rows, n_in),
                    lp.wt(),
                    1.0,
                    Par::Seq,
                );
                // `linear` adds the bias on the value rows (here all rows).
                want.iter_mut().for_each(|v| *v += b[0]);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&ours), bits(&want), "{rows} rows, {accum:?}");
            }
        }
    }
}
