//! The point-only parts of a block's residuals, stored per term.
//!
//! A residual `F(x, c(θ))` often has parts that depend on the point alone: the source
//! term `f(x)` of `−Δu − f(x)`, the boundary data `g(x)` of `u − g(x)`
//! ([`PointResidual::point_part`]). A solve evaluates `F` at the same points for many θ
//! (every iteration, and every grid point of a line search), so those parts are computed
//! once per point set and read back ([`PointResidual::value_with`]); the numbers are the
//! ones the residual computes itself, so nothing changes but the time. The model
//! recomputes them whenever a block's points change.

use faer::MatRef;

use super::block::ResidualBlock;
use super::pointwise::PointResidual;

/// One term's point-only parts: `len` numbers per point, point `i` at `[i·len, (i+1)·len)`.
pub(super) struct PointParts {
    len: usize,
    values: Vec<f64>,
}

impl PointParts {
    /// The parts of `residual` at every row of `points`, or `None` if it has none.
    pub(super) fn compute(residual: &dyn PointResidual, points: MatRef<'_, f64>) -> Option<Self> {
        let len = residual.point_part_len();
        if len == 0 {
            return None;
        }
        let mut values = vec![0.0; points.nrows() * len];
        residual.point_parts_block(points, &mut values);
        Some(PointParts { len, values })
    }

    /// Point `i`'s parts.
    #[inline]
    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.len..(i + 1) * self.len]
    }

    /// The parts of points `i .. i + n`, point after point.
    #[inline]
    fn rows(&self, i: usize, n: usize) -> &[f64] {
        &self.values[i * self.len..(i + n) * self.len]
    }
}

/// Per equation and term of one block: the term's parts at the points it is read at.
pub(super) type BlockParts = Vec<Vec<Option<PointParts>>>;

/// The parts of every term of `block` at its current points.
pub(super) fn block_parts(block: &ResidualBlock) -> BlockParts {
    block
        .row_groups()
        .iter()
        .map(|g| {
            g.terms
                .iter()
                .map(|t| PointParts::compute(&*t.residual, block.points_of(t.set)))
                .collect()
        })
        .collect()
}

/// `F(x_i, c)` at point `i`, from its stored parts when there are any.
#[inline]
pub(super) fn value(
    residual: &dyn PointResidual,
    parts: Option<&PointParts>,
    i: usize,
    x: &[f64],
    c: &[f64],
) -> f64 {
    match parts {
        Some(p) => residual.value_with(x, p.row(i), c),
        None => residual.value(x, c),
    }
}

/// `F(x_i, c)` and `∂F/∂c` at point `i`, from its stored parts when there are any.
#[inline]
pub(super) fn eval(
    residual: &dyn PointResidual,
    parts: Option<&PointParts>,
    i: usize,
    x: &[f64],
    c: &[f64],
    dfdc: &mut [f64],
) -> f64 {
    match parts {
        Some(p) => residual.eval_with(x, p.row(i), c, dfdc),
        None => residual.eval(x, c, dfdc),
    }
}

/// `out[p] = F(x_p, c_p)` for the points `i .. i + out.len()` of a block (`points` their
/// rows, `c[k]` their channel `k`), from their stored parts when there are any: bitwise
/// [`value`] at each of them.
#[inline]
pub(super) fn values_block(
    residual: &dyn PointResidual,
    parts: Option<&PointParts>,
    i: usize,
    points: MatRef<'_, f64>,
    c: &[&[f64]],
    out: &mut [f64],
) {
    let pre = parts.map_or(&[][..], |p| p.rows(i, out.len()));
    residual.values_block(points, pre, c, out);
}
