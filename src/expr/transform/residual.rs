//! A residual read through an output transform.

use std::sync::Arc;

use crate::expr::tape::Tape;
use crate::residual::{Channel, PointResidual};

/// `F(x, c_u)` with `c_u = T(x, c_N)`: the wrapped residual's channels computed from the
/// network's channels by the transform's derivative tape.
///
/// `channels()` are the network channels the derivative tape reads; `eval` returns
/// `F(x, T(x, c_N))` and `∂F/∂c_N,m = Σ_k ∂F/∂c_u,k · ∂c_u,k/∂c_N,m`, the chain rule
/// evaluated as one reverse sweep of the tape seeded with `∂F/∂c_u`.
pub struct TransformedResidual {
    inner: Arc<dyn PointResidual>,
    /// Network channels → the inner residual's channels (`roots[k]` is `c_u,k`).
    tape: Tape,
    roots: Vec<u32>,
}

impl TransformedResidual {
    pub(crate) fn new(inner: Arc<dyn PointResidual>, tape: Tape, roots: Vec<u32>) -> Self {
        debug_assert_eq!(roots.len(), inner.channels().len());
        TransformedResidual { inner, tape, roots }
    }

    /// The residual in the transformed outputs' channels.
    pub fn inner(&self) -> &Arc<dyn PointResidual> {
        &self.inner
    }

    /// Number of instructions of the derivative tape (a cost measure).
    pub fn instructions(&self) -> usize {
        self.tape.len()
    }

    /// The inner residual's channel values `c_u = T(x, c_N)` (for tests and reports).
    pub fn transformed_channels(&self, x: &[f64], c: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        self.tape
            .compose(&self.roots, x, c, &mut vec![0.0; c.len()], |y, _| {
                out = y.to_vec();
                0.0
            });
        out
    }
}

impl PointResidual for TransformedResidual {
    fn channels(&self) -> &[Channel] {
        &self.tape.channels
    }

    /// # Panics
    /// If `c` or `dfdc` does not have one entry per channel (a contract violation).
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        assert_eq!(c.len(), self.tape.channels.len(), "one value per channel");
        assert_eq!(dfdc.len(), c.len(), "one partial per channel");
        self.tape.compose(&self.roots, x, c, dfdc, |y, dfdy| {
            self.inner.eval(x, y, dfdy)
        })
    }

    // The point-only parts are the tape's hoisted slots (the built-in data `g(x)` of
    // `u = g + t·N` and its derivatives, such as `cos πx`) followed by the inner
    // residual's (its source terms): a caller that stores them (every solve does)
    // evaluates both once per point set instead of at every evaluation, with the same
    // bits ([`Tape::compose_with`]).

    fn point_part_len(&self) -> usize {
        self.tape.point_part_len() + self.inner.point_part_len()
    }

    fn point_part(&self, x: &[f64], out: &mut [f64]) {
        let (own, inner) = out.split_at_mut(self.tape.point_part_len());
        self.tape.point_part(x, own);
        self.inner.point_part(x, inner);
    }

    fn point_parts_block(&self, points: faer::MatRef<'_, f64>, out: &mut [f64]) {
        let (own_len, inner_len) = (self.tape.point_part_len(), self.inner.point_part_len());
        let len = own_len + inner_len;
        if len == 0 {
            return;
        }
        // The inner residual may compute its parts in a batch; they are interleaved
        // after the tape's, point by point.
        let mut inner = vec![0.0; points.nrows() * inner_len];
        self.inner.point_parts_block(points, &mut inner);
        let mut x = vec![0.0; points.ncols()];
        for (i, o) in out.chunks_exact_mut(len).enumerate() {
            x.iter_mut()
                .enumerate()
                .for_each(|(j, xj)| *xj = points[(i, j)]);
            let (own, rest) = o.split_at_mut(own_len);
            self.tape.point_part(&x, own);
            rest.copy_from_slice(&inner[i * inner_len..(i + 1) * inner_len]);
        }
    }

    /// [`Self::eval_with`] with scratch partials, as [`PointResidual::value`] is
    /// [`PointResidual::eval`] with scratch: the same bits as [`Self::value`].
    fn value_with(&self, x: &[f64], pre: &[f64], c: &[f64]) -> f64 {
        let mut scratch = vec![0.0; c.len()];
        self.eval_with(x, pre, c, &mut scratch)
    }

    /// # Panics
    /// As [`Self::eval`], and if `pre` does not have `point_part_len()` entries.
    fn eval_with(&self, x: &[f64], pre: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        assert_eq!(c.len(), self.tape.channels.len(), "one value per channel");
        assert_eq!(dfdc.len(), c.len(), "one partial per channel");
        assert_eq!(
            pre.len(),
            self.point_part_len(),
            "the stored point-only parts"
        );
        let (own, inner) = pre.split_at(self.tape.point_part_len());
        self.tape
            .compose_with(&self.roots, x, own, c, dfdc, |y, dfdy| {
                self.inner.eval_with(x, inner, y, dfdy)
            })
    }
}
