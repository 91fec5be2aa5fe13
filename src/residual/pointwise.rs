//! The contract between a residual formula and the engine.

use faer::MatRef;

use super::channel::Channel;

/// A pointwise residual `F(x, c_1, …, c_K)`: a formula in the coordinates `x` and the
/// channel values `c_k = D_k u_θ(x)` (see [`Channel`]).
///
/// The engine needs `F` and its partials `∂F/∂c_k` at every point: the Jacobian row of
/// the residual is `Σ_k (∂F/∂c_k) ∂c_k/∂θ`. Implementations come from the expression
/// language (problem files) or from Rust code generic over the scalar type.
pub trait PointResidual: Send + Sync {
    /// The channels `F` reads, in the order of the `c` slice passed to [`Self::eval`].
    fn channels(&self) -> &[Channel];

    /// Returns `F(x, c)` and writes `∂F/∂c_k` into `dfdc` (same length as `c`).
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64;

    /// Returns `F(x, c)` alone. The default calls [`Self::eval`] with scratch space.
    fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        let mut scratch = vec![0.0; c.len()];
        self.eval(x, c, &mut scratch)
    }

    /// How many numbers [`Self::point_part`] writes: the parts of `F` that depend on the
    /// point alone (a source term `f(x)`, boundary data `g(x)`). A caller that evaluates
    /// `F` at the same points for many θ computes them once per point and passes them to
    /// [`Self::value_with`] and [`Self::eval_with`]. The default is 0 (nothing to store).
    fn point_part_len(&self) -> usize {
        0
    }

    /// Writes the point-only parts at `x` (`point_part_len()` numbers) into `out`.
    fn point_part(&self, _x: &[f64], out: &mut [f64]) {
        debug_assert!(out.is_empty(), "no point-only parts by default");
    }

    /// The point-only parts at every row of `points`, point `i`'s at
    /// `[i·len, (i+1)·len)` of `out` (`len = point_part_len()`). The default calls
    /// [`Self::point_part`] point by point; an implementation whose parts come from a
    /// batched computation (a network evaluated over all points at once) overrides it.
    fn point_parts_block(&self, points: MatRef<'_, f64>, out: &mut [f64]) {
        let len = self.point_part_len();
        if len == 0 {
            return;
        }
        let mut x = vec![0.0; points.ncols()];
        for (i, o) in out.chunks_exact_mut(len).enumerate() {
            x.iter_mut()
                .enumerate()
                .for_each(|(j, xj)| *xj = points[(i, j)]);
            self.point_part(&x, o);
        }
    }

    /// [`Self::value`] from the point-only parts `pre` that [`Self::point_part`] wrote
    /// at the same `x`; bitwise the same number (implementations must keep it so).
    fn value_with(&self, x: &[f64], _pre: &[f64], c: &[f64]) -> f64 {
        self.value(x, c)
    }

    /// [`Self::eval`] from the point-only parts `pre` that [`Self::point_part`] wrote at
    /// the same `x`; bitwise the same value and partials.
    fn eval_with(&self, x: &[f64], _pre: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        self.eval(x, c, dfdc)
    }

    /// `out[p] = F(x_p, c_p)` for a block of points: `points` has one row per point,
    /// `c[k]` holds channel `k` at every point, and `pre` the point-only parts of point `p`
    /// at `[p·len, (p+1)·len)` (`len = point_part_len()`), or is empty when none are
    /// stored. Bitwise what [`Self::value_with`] (with parts) or [`Self::value`] (without)
    /// returns point by point, which is what the default does; an implementation
    /// overrides it when a block can be evaluated more cheaply than its points one by one.
    fn values_block(&self, points: MatRef<'_, f64>, pre: &[f64], c: &[&[f64]], out: &mut [f64]) {
        let len = self.point_part_len();
        let mut x = vec![0.0; points.ncols()];
        let mut cp = vec![0.0; c.len()];
        for (p, o) in out.iter_mut().enumerate() {
            x.iter_mut()
                .enumerate()
                .for_each(|(j, xj)| *xj = points[(p, j)]);
            cp.iter_mut().zip(c).for_each(|(v, ck)| *v = ck[p]);
            *o = if pre.is_empty() {
                self.value(&x, &cp)
            } else {
                self.value_with(&x, &pre[p * len..(p + 1) * len], &cp)
            };
        }
    }
}

/// A source or exact-solution function `g(x)` of the coordinates alone.
pub trait PointFunction: Send + Sync {
    /// `g(x)`.
    fn eval(&self, x: &[f64]) -> f64;
}

impl<F: Fn(&[f64]) -> f64 + Send + Sync> PointFunction for F {
    fn eval(&self, x: &[f64]) -> f64 {
        self(x)
    }
}
