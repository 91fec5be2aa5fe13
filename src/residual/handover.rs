//! Initial data built into every time slab: the exact hand-over of a time-slab march.
//!
//! With the initial data `g(x)` at `t = t_0` and slabs `[t_k, t_{k+1}]`, slab `k`'s
//! solution is
//!
//! ```text
//!   u_k(t, x) = g(x) + B_k(x) + (t − t_k) N_k(t, x; θ_k),
//!   B_k(x)    = Σ_{j<k} (t_{j+1} − t_j) N_j(t_{j+1}, x; θ_j)        (B_0 = 0),
//! ```
//!
//! so that `u_k(t_k, ·) = g + B_k = u_{k−1}(t_k, ·)` holds exactly: each slab starts from
//! the previous slab's end values, not from a least-squares fit of them, and the march
//! is continuous in `t` by construction. This is the hard-constraint ansatz of Lagaris,
//! Likas & Fotiadis (IEEE Trans. Neural Netw. 9, 1998), `u = g + t N`, applied slab by
//! slab as in the causal time-marching of Wight & Zhao (2020) and Mattey & Ghosh
//! (CMAME 390, 2022), whose hand-over is a penalty instead.
//!
//! With correction stages in every slab ([`super::frozen`]), `N_j` is slab `j`'s network
//! sum `Σ_s ε_{j,s} N_{j,s}`, and `B_k` adds each stage's network at `τ_j` scaled by
//! `h_j ε_{j,s}`.
//!
//! The part `g + (t − t_k) N_k` is an output transform; the frozen sum `B_k` depends on
//! the point alone, so it is a point-only part of every residual
//! ([`PointResidual::point_part`]): a [`ShiftedResidual`] adds `B_k`'s channels to the
//! channels of `u` that the wrapped residual reads, and the engine computes them once per
//! point set (one batched evaluation of each earlier network). `B_k` does not depend on
//! `t`: its channels with a time derivative are zero, and a Laplacian over a set that
//! holds `t` is the Laplacian over the other variables.

use std::sync::Arc;

use faer::{Mat, MatRef};

use super::channel::{Channel, VarSet};
use super::frozen::FrozenStage;
use super::pointwise::PointResidual;
use crate::model::Mlp;

/// `B_k(x) = Σ_{j<k} h_j N_j(τ_j, x)`: the earlier slabs' network sums at the ends of
/// their intervals, each scaled by its interval's length.
#[derive(Clone, Debug, PartialEq)]
pub struct HandoverBase {
    time_var: usize,
    /// `(N_{j,s}, θ_{j,s}, h_j ε_{j,s}, τ_j = t_{j+1})` for every network of every
    /// earlier slab, in slab and stage order (`h_j = t_{j+1} − t_j`).
    terms: Vec<(Mlp, Vec<f64>, f64, f64)>,
}

impl HandoverBase {
    /// The base of slab `earlier.len()`: `boundaries` are `t_0 < t_1 < …`, `earlier[j]`
    /// slab `j`'s parameters for `mlp`.
    ///
    /// # Panics
    /// With fewer than `earlier.len() + 1` boundaries, or parameters of the wrong length.
    #[must_use]
    pub fn new(mlp: &Mlp, time_var: usize, boundaries: &[f64], earlier: &[Vec<f64>]) -> Self {
        Self::of_sums(
            time_var,
            boundaries,
            &FrozenStage::one_network_sums(mlp, earlier),
        )
    }

    /// The base of slab `earlier.len()` when slab `j`'s network is the sum of the stages
    /// `earlier[j]` (`Σ_s ε_s N_s`, [`super::frozen`]).
    ///
    /// # Panics
    /// With fewer than `earlier.len() + 1` boundaries, a slab without a network, or
    /// parameters of the wrong length.
    #[must_use]
    pub fn of_sums(time_var: usize, boundaries: &[f64], earlier: &[Vec<FrozenStage>]) -> Self {
        assert!(
            boundaries.len() > earlier.len(),
            "a boundary after every earlier slab"
        );
        let mut terms = Vec::new();
        for (j, stages) in earlier.iter().enumerate() {
            assert!(!stages.is_empty(), "slab {j}: at least one network");
            let (a, b) = (boundaries[j], boundaries[j + 1]);
            for s in stages {
                assert_eq!(
                    s.theta.len(),
                    s.mlp.n_params(),
                    "slab {j}: one entry per parameter"
                );
                // h·ε is h itself for a plain slab (ε = 1): the same rounding as before.
                terms.push((s.mlp.clone(), s.theta.clone(), (b - a) * s.epsilon, b));
            }
        }
        HandoverBase { time_var, terms }
    }

    /// Whether there is no earlier slab (`B_0 = 0`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// `B`'s channel values at every row of `points` (`N × K`, column `k` for
    /// `channels[k]`): each earlier network's channels at the points with `t` set to
    /// `τ_j`, times `h_j`, added in slab order; channels with a time derivative are 0.
    #[must_use]
    pub fn channels(&self, points: MatRef<'_, f64>, channels: &[Channel]) -> Mat<f64> {
        let n = points.nrows();
        let mut out = Mat::<f64>::zeros(n, channels.len());
        let spatial: Vec<(usize, Channel)> = channels
            .iter()
            .enumerate()
            .filter_map(|(k, c)| without_time(*c, self.time_var).map(|s| (k, s)))
            .collect();
        if spatial.is_empty() || n == 0 {
            return out;
        }
        let list: Vec<Channel> = spatial.iter().map(|&(_, c)| c).collect();
        let mut at = points.to_owned();
        for (mlp, theta, h, tau) in &self.terms {
            for i in 0..n {
                at[(i, self.time_var)] = *tau;
            }
            let c = mlp.eval_channels(theta, at.as_ref(), &list);
            for (m, &(k, _)) in spatial.iter().enumerate() {
                for i in 0..n {
                    out[(i, k)] += h * c[(i, m)];
                }
            }
        }
        out
    }

    /// `B`'s values at every row of `points` (`N × m`, one column per output).
    #[must_use]
    pub fn values(&self, points: MatRef<'_, f64>) -> Mat<f64> {
        let outputs = self.terms.first().map_or(0, |t| t.0.n_outputs());
        let channels: Vec<Channel> = (0..outputs)
            .map(|output| Channel::Value { output })
            .collect();
        self.channels(points, &channels)
    }
}

/// The channel of a function that does not depend on variable `t`: `None` when the
/// channel differentiates in `t` (it is 0), a Laplacian without `t` in its set.
fn without_time(c: Channel, t: usize) -> Option<Channel> {
    match c {
        Channel::Value { .. } => Some(c),
        Channel::First { var, .. } => (var != t).then_some(c),
        Channel::Second { a, b, .. } => (a != t && b != t).then_some(c),
        Channel::Laplacian { output, vars } => {
            let rest = VarSet(vars.0 & !(1u32 << t));
            (rest.0 != 0).then_some(Channel::Laplacian { output, vars: rest })
        }
        Channel::Higher { vars, .. } => (!vars.iter().any(|v| v == t)).then_some(c),
    }
}

/// Per-point sums of at most this many channels live on the stack.
const STACK_CHANNELS: usize = 32;

/// `F(x, c + B(x))`: a residual read at `u = B + v`, where the caller supplies the
/// channels of `v` (for the hand-over, `v = g + (t − t_k) N_k` through an output
/// transform that wraps this residual). `B`'s channels are this residual's first
/// point-only parts, the wrapped residual's own parts follow them.
pub struct ShiftedResidual {
    inner: Arc<dyn PointResidual>,
    base: Arc<HandoverBase>,
}

impl ShiftedResidual {
    /// `inner` read at `u = base + v`.
    #[must_use]
    pub fn new(inner: Arc<dyn PointResidual>, base: Arc<HandoverBase>) -> Self {
        ShiftedResidual { inner, base }
    }

    fn shift_len(&self) -> usize {
        self.inner.channels().len()
    }

    /// `f(c + b)`, the sum on the stack for up to [`STACK_CHANNELS`] channels.
    fn with_shifted<R>(c: &[f64], b: &[f64], f: impl FnOnce(&[f64]) -> R) -> R {
        let mut stack = [0.0; STACK_CHANNELS];
        let mut heap = Vec::new();
        let sum: &mut [f64] = if c.len() <= STACK_CHANNELS {
            &mut stack[..c.len()]
        } else {
            heap.resize(c.len(), 0.0);
            &mut heap
        };
        for ((s, ci), bi) in sum.iter_mut().zip(c).zip(b) {
            *s = ci + bi;
        }
        f(sum)
    }

    /// `B`'s channels at one point (the path without stored parts).
    fn base_at(&self, x: &[f64]) -> Vec<f64> {
        let p = MatRef::from_row_major_slice(x, 1, x.len());
        let b = self.base.channels(p, self.inner.channels());
        (0..b.ncols()).map(|k| b[(0, k)]).collect()
    }
}

impl PointResidual for ShiftedResidual {
    fn channels(&self) -> &[Channel] {
        self.inner.channels()
    }

    /// Computes `B` at `x` afresh (one network evaluation per earlier slab). Equal to
    /// [`Self::eval_with`] with the stored parts up to the rounding of the network
    /// kernel on one point instead of a block of points.
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        let b = self.base_at(x);
        Self::with_shifted(c, &b, |s| self.inner.eval(x, s, dfdc))
    }

    fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        let b = self.base_at(x);
        Self::with_shifted(c, &b, |s| self.inner.value(x, s))
    }

    fn point_part_len(&self) -> usize {
        self.shift_len() + self.inner.point_part_len()
    }

    fn point_part(&self, x: &[f64], out: &mut [f64]) {
        let k = self.shift_len();
        out[..k].copy_from_slice(&self.base_at(x));
        self.inner.point_part(x, &mut out[k..]);
    }

    fn point_parts_block(&self, points: MatRef<'_, f64>, out: &mut [f64]) {
        let (k, len) = (self.shift_len(), self.point_part_len());
        let b = self.base.channels(points, self.inner.channels());
        let inner_len = len - k;
        let mut inner = vec![0.0; points.nrows() * inner_len];
        self.inner.point_parts_block(points, &mut inner);
        for (i, o) in out.chunks_exact_mut(len).enumerate() {
            for m in 0..k {
                o[m] = b[(i, m)];
            }
            o[k..].copy_from_slice(&inner[i * inner_len..(i + 1) * inner_len]);
        }
    }

    fn value_with(&self, x: &[f64], pre: &[f64], c: &[f64]) -> f64 {
        let k = self.shift_len();
        Self::with_shifted(c, &pre[..k], |s| self.inner.value_with(x, &pre[k..], s))
    }

    fn eval_with(&self, x: &[f64], pre: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        let k = self.shift_len();
        Self::with_shifted(c, &pre[..k], |s| {
            self.inner.eval_with(x, &pre[k..], s, dfdc)
        })
    }
}

#[cfg(test)]
#[path = "handover_tests.rs"]
mod tests;
