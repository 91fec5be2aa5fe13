//! The network averaged over reflection symmetries: every evaluation of the kernel for a
//! network whose embedding lists reflections ([`super::embedding::Reflection`]).
//!
//! # The average and its channels
//! With reflections `R_j: x_j ↦ 2c_j − x_j` of parities `p_j = ±1` (odd `−1`, even `+1`)
//! in `m` variables, the network is
//!
//! ```text
//!     u(x) = 2^{-m} Σ_S p_S N(R_S x),     R_S = Π_{j∈S} R_j,  p_S = Π_{j∈S} p_j,
//! ```
//!
//! over the `2^m` subsets `S` ("copies"; copy 0 is the points themselves). `R_S` is
//! affine with the diagonal linear part `±1`, so a derivative channel `D^α` of `u` is
//!
//! ```text
//!     D^α u(x) = Σ_S w_{S,α} (D^α N)(R_S x),   w_{S,α} = 2^{-m} Π_{j∈S} p_j (−1)^{α_j},
//! ```
//!
//! with `α_j` the order of `D^α` in `x_j` (a Laplacian channel has even order in every
//! variable). The weights are `±2^{-m}`, exact in f64.
//!
//! # Residuals, Jacobian rows and gradients
//! A residual `r_i = F(x_i, ũ_i)` reads the combined channels `ũ_i = Σ_S w_S ∘ c_{S,i}`
//! with `c_{S,i}` the channels of `N` at `R_S x_i`. Its Jacobian row is
//! `Σ_S Σ_k w_{S,k} ã_{ik} ∂c_{S,ik}/∂θ` with `ã_i = ∂F/∂ũ`: the kernel's row for copy `S`
//! seeded with `w_S ∘ ã_i`. So every evaluation is the plain kernel run once per copy:
//!
//! 1. the channels of the reflected copies, `c_{S,i}` for `S ≥ 1` (forward passes);
//! 2. copy 0 with a seed that combines its own channels with those, calls the caller's
//!    seed on `ũ_i` (at the caller's point `x_i`, exactly once per point), keeps `ã_i`
//!    and seeds `w_0 ∘ ã_i`;
//! 3. every copy `S ≥ 1`, seeded with `w_S ∘ ã_i`, added into the same Jacobian rows.
//!
//! The gradient (`Jᵀr` fused with the residuals, the quasi-Newton methods' one pass)
//! instead runs every copy's forward pass chunk by chunk, combines, seeds and sweeps
//! back each copy in the same chunk ([`super::gradient::gradient_over_copies`]), which
//! saves step 1's pass.
//!
//! The channel values are combined in the same order (copy 0, then `S = 1, 2, …`) by
//! every path, so the residuals, the channels and the rows are the same numbers
//! whichever path computes them, on any number of threads.

use std::sync::atomic::{AtomicU64, Ordering};

use faer::{Mat, MatMut, MatRef};

use super::embedding::Reflection;
use super::input_jets::Inputs;
use super::mlp::Seed;
use super::{Mlp, gradient, kernel};
use crate::residual::Channel;

/// The points reflected by the copy `copy` (bit `b` set: the reflection `b` of
/// `reflections` applied).
pub(crate) fn reflect(
    reflections: &[Reflection],
    copy: usize,
    points: MatRef<'_, f64>,
) -> Mat<f64> {
    let mut out = points.to_owned();
    for (b, r) in reflections.iter().enumerate() {
        if copy >> b & 1 == 1 {
            for i in 0..out.nrows() {
                out[(i, r.var)] = 2.0 * r.center - out[(i, r.var)];
            }
        }
    }
    out
}

/// Whether the channel has odd order in `var`.
fn odd_in(ch: &Channel, var: usize) -> bool {
    let order = match *ch {
        Channel::Value { .. } | Channel::Laplacian { .. } => 0,
        Channel::First { var: v, .. } => usize::from(v == var),
        Channel::Second { a, b, .. } => usize::from(a == var) + usize::from(b == var),
        Channel::Higher { vars, .. } => vars.iter().filter(|&v| v == var).count(),
    };
    order % 2 == 1
}

/// The reflected copies of one point set: their coordinates and the weights `w_{S,k}`.
struct Copies {
    /// `R_S x` for `S = 1 .. 2^m`.
    points: Vec<Mat<f64>>,
    /// `w_{S,k}` for `S = 0 .. 2^m`, one entry per channel.
    weights: Vec<Vec<f64>>,
}

impl Copies {
    fn new(net: &Mlp, points: MatRef<'_, f64>, channels: &[Channel]) -> Self {
        let refl = net.embedding().reflections();
        let n_copies = 1usize << refl.len();
        let scale = 1.0 / n_copies as f64;
        let weights = (0..n_copies)
            .map(|copy| {
                channels
                    .iter()
                    .map(|ch| {
                        let flips = refl
                            .iter()
                            .enumerate()
                            .filter(|&(b, r)| copy >> b & 1 == 1 && (r.odd != odd_in(ch, r.var)))
                            .count();
                        if flips % 2 == 1 { -scale } else { scale }
                    })
                    .collect()
            })
            .collect();
        let points = (1..n_copies)
            .map(|copy| reflect(refl, copy, points))
            .collect();
        Copies { points, weights }
    }

    /// The inputs of copy `copy ≥ 1`.
    fn inputs<'b>(&'b self, inputs: &Inputs<'b>, copy: usize) -> Inputs<'b> {
        inputs.reflected(copy, self.points[copy - 1].as_ref())
    }

    /// The channels of `N` at every reflected copy, `S = 1 .. 2^m`.
    fn channels(
        &self,
        net: &Mlp,
        theta: &[f64],
        inputs: &Inputs<'_>,
        channels: &[Channel],
    ) -> Vec<Mat<f64>> {
        (1..self.weights.len())
            .map(|copy| kernel::eval_channels(net, theta, self.inputs(inputs, copy), channels))
            .collect()
    }
}

/// `ũ_k = w_{0,k} c_k + Σ_{S≥1} w_{S,k} c_{S,ik}` for point `i` (the order every path
/// uses).
fn combine(c0: &[f64], others: &[Mat<f64>], weights: &[Vec<f64>], i: usize, out: &mut [f64]) {
    for (k, o) in out.iter_mut().enumerate() {
        let mut v = weights[0][k] * c0[k];
        for (s, cs) in others.iter().enumerate() {
            v += weights[s + 1][k] * cs[(i, k)];
        }
        *o = v;
    }
}

/// Runs `f(ũ, ã)` on two zeroed scratch vectors of length `k` (on the stack when short).
fn with_scratch<R>(k: usize, f: impl FnOnce(&mut [f64], &mut [f64]) -> R) -> R {
    const STACK: usize = 32;
    if k <= STACK {
        let (mut u, mut a) = ([0.0; STACK], [0.0; STACK]);
        f(&mut u[..k], &mut a[..k])
    } else {
        f(&mut vec![0.0; k], &mut vec![0.0; k])
    }
}

/// The adjoints `ã_i = ∂F/∂ũ` of every point, written by copy 0's seed (each point once,
/// from whichever thread runs its chunk) and read by the other copies' seeds after it.
struct Adjoints {
    k: usize,
    bits: Vec<AtomicU64>,
}

impl Adjoints {
    fn new(n: usize, k: usize) -> Self {
        Adjoints {
            k,
            bits: (0..n * k).map(|_| AtomicU64::new(0)).collect(),
        }
    }
    fn put(&self, i: usize, a: &[f64]) {
        for (slot, v) in self.bits[i * self.k..(i + 1) * self.k].iter().zip(a) {
            slot.store(v.to_bits(), Ordering::Relaxed);
        }
    }
    fn get(&self, i: usize, k: usize) -> f64 {
        f64::from_bits(self.bits[i * self.k + k].load(Ordering::Relaxed))
    }
}

/// Copy 0's seed: the caller's seed on the combined channels, `w_0 ∘ ã` as the kernel's
/// adjoint, `ã` kept in `keep`.
fn first_copy_seed<'s>(
    seed: &'s Seed<'_>,
    others: &'s [Mat<f64>],
    weights: &'s [Vec<f64>],
    keep: Option<&'s Adjoints>,
) -> impl Fn(usize, &[f64], &[f64], &mut [f64]) -> f64 + Sync + 's {
    move |i, x, c, a| {
        with_scratch(c.len(), |u, abar| {
            combine(c, others, weights, i, u);
            let ri = seed(i, x, u, abar);
            for (k, ak) in a.iter_mut().enumerate() {
                *ak = weights[0][k] * abar[k];
            }
            if let Some(keep) = keep {
                keep.put(i, abar);
            }
            ri
        })
    }
}

/// Copy `copy`'s seed: `w_S ∘ ã` from the kept adjoints (the residual it returns is 0 and
/// unused).
fn other_copy_seed<'s>(
    weights: &'s [f64],
    kept: &'s Adjoints,
) -> impl Fn(usize, &[f64], &[f64], &mut [f64]) -> f64 + Sync + 's {
    move |i, _, _, a| {
        for (k, ak) in a.iter_mut().enumerate() {
            *ak = weights[k] * kept.get(i, k);
        }
        0.0
    }
}

/// [`Mlp::eval_channels`] of the averaged network.
pub(crate) fn eval_channels(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
) -> Mat<f64> {
    let copies = Copies::new(net, inputs.points(), channels);
    let c0 = kernel::eval_channels(net, theta, inputs, channels);
    let others = copies.channels(net, theta, &inputs, channels);
    combined(&c0, &others, &copies.weights)
}

/// The combined channels of every point from copy 0's `c0` and the others'.
fn combined(c0: &Mat<f64>, others: &[Mat<f64>], weights: &[Vec<f64>]) -> Mat<f64> {
    let k = c0.ncols();
    let mut out = Mat::<f64>::zeros(c0.nrows(), k);
    let (mut row, mut u) = (vec![0.0; k], vec![0.0; k]);
    for i in 0..c0.nrows() {
        for (kk, v) in row.iter_mut().enumerate() {
            *v = c0[(i, kk)];
        }
        combine(&row, others, weights, i, &mut u);
        for (kk, &v) in u.iter().enumerate() {
            out[(i, kk)] = v;
        }
    }
    out
}

/// [`Mlp::jvp_channels`] of the averaged network: values and tangents combine alike.
pub(crate) fn jvp_channels(
    net: &Mlp,
    theta: &[f64],
    v: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
) -> (Mat<f64>, Mat<f64>) {
    let copies = Copies::new(net, inputs.points(), channels);
    let (c0, t0) = kernel::jvp_channels(net, theta, v, inputs, channels);
    let (others, tangents): (Vec<_>, Vec<_>) = (1..copies.weights.len())
        .map(|copy| kernel::jvp_channels(net, theta, v, copies.inputs(&inputs, copy), channels))
        .unzip();
    (
        combined(&c0, &others, &copies.weights),
        combined(&t0, &tangents, &copies.weights),
    )
}

/// [`Mlp::residuals_and_jacobian`] of the averaged network.
#[allow(clippy::too_many_arguments)]
pub(crate) fn residuals_and_jacobian(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    seed: &Seed<'_>,
    r: &mut [f64],
    mut jac: MatMut<'_, f64>,
    accumulate: bool,
) {
    let n = inputs.points().nrows();
    let copies = Copies::new(net, inputs.points(), channels);
    let others = copies.channels(net, theta, &inputs, channels);
    let kept = Adjoints::new(n, channels.len());
    let first = first_copy_seed(seed, &others, &copies.weights, Some(&kept));
    kernel::residuals_and_jacobian(
        net,
        theta,
        inputs,
        channels,
        &first,
        r,
        jac.as_mut(),
        accumulate,
    );
    let mut unused = vec![0.0; n];
    for copy in 1..copies.weights.len() {
        let seed = other_copy_seed(&copies.weights[copy], &kept);
        kernel::residuals_and_jacobian(
            net,
            theta,
            copies.inputs(&inputs, copy),
            channels,
            &seed,
            &mut unused,
            jac.as_mut(),
            true,
        );
    }
}

/// [`Mlp::residuals`] of the averaged network.
pub(crate) fn residuals(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    seed: &Seed<'_>,
    r: &mut [f64],
    accumulate: bool,
) {
    let copies = Copies::new(net, inputs.points(), channels);
    let others = copies.channels(net, theta, &inputs, channels);
    let first = first_copy_seed(seed, &others, &copies.weights, None);
    kernel::residuals(
        net,
        theta,
        inputs,
        channels,
        kernel::ValueSeeds::Point(&first),
        r,
        accumulate,
    );
}

/// [`Mlp::residuals_many`] of the averaged network: [`residuals`] at each θ in turn.
pub(crate) fn residuals_many(
    net: &Mlp,
    thetas: &[&[f64]],
    inputs: Inputs<'_>,
    channels: &[Channel],
    seed: &Seed<'_>,
    outs: &mut [&mut [f64]],
    accumulate: bool,
) {
    assert_eq!(outs.len(), thetas.len(), "one residual vector per θ");
    for (theta, out) in thetas.iter().zip(outs.iter_mut()) {
        residuals(net, theta, inputs, channels, seed, out, accumulate);
    }
}

/// [`Mlp::gradient`] of the averaged network: every copy's forward and reverse pass per
/// chunk of points ([`gradient::gradient_over_copies`]), so the channels of the reflected
/// copies need no pass of their own.
pub(crate) fn gradient(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    point: &Seed<'_>,
    r: Option<&mut [f64]>,
    out: &mut [f64],
) {
    let copies = Copies::new(net, inputs.points(), channels);
    let all: Vec<Inputs<'_>> = std::iter::once(inputs)
        .chain((1..copies.weights.len()).map(|copy| copies.inputs(&inputs, copy)))
        .collect();
    gradient::gradient_over_copies(
        net,
        theta,
        &all,
        Some(&copies.weights),
        channels,
        point,
        r,
        out,
    );
}

/// [`Mlp::vjp_channels`] of the averaged network: the gradient sweep of every copy with
/// the cotangents as seeds, so that `Jᵀw` sums exactly as the fused gradient does (the
/// same adjoints, chunk by chunk) and a solve gives the same bits through either.
pub(crate) fn vjp_channels(
    net: &Mlp,
    theta: &[f64],
    inputs: Inputs<'_>,
    channels: &[Channel],
    cotangents: MatRef<'_, f64>,
    out: &mut [f64],
) {
    let read = |i: usize, _: &[f64], _: &[f64], cot: &mut [f64]| {
        for (k, ck) in cot.iter_mut().enumerate() {
            *ck = cotangents[(i, k)];
        }
        0.0
    };
    gradient(net, theta, inputs, channels, &read, None, out);
}
