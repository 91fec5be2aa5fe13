//! How one term of one equation becomes rows: the single place where the row scale, the
//! point weights and the frozen stages of a multi-stage run meet the residual.
//!
//! A term `F` of block `b` read at points `x_i` gives the rows
//!
//! ```text
//!   r_i = s λ_i F(x_i, f_i + ε c_i(θ)),     ∂r_i/∂c_i = s λ_i ε ∂F/∂c
//! ```
//!
//! with `s = sqrt(w_b / N_b)`, `λ_i` the residual-based attention weight of point `i`
//! (Anagnostopoulos et al., CMAME 2024; absent without weights), and in stage `k` of a
//! multi-stage run (Wang & Lai, J. Comput. Phys. 2024) `f_i` the frozen stages' channels
//! and `ε = ε_k` (without frozen stages `f_i = 0`, `ε = 1`, and neither enters the
//! arithmetic). Every evaluation path (residuals, batched residuals, the Jacobian and
//! its row blocks, `J·v`, `Jᵀ·w` and the fused residuals and gradient, the pointwise
//! norms) builds its rows from a [`TermEval`], so none can drop a factor.
//! The weights and frozen channels are indexed by the point's place in the whole block:
//! a run of points that starts later ([`TermView::subrows`]) carries its first index.

use std::ops::Range;

use faer::{Mat, MatMut, MatRef};

use crate::model::{InputJets, Inputs, Mlp};
use crate::residual::block::{RowGroup, Term};
use crate::residual::frozen::eval_sum;
use crate::residual::point_parts::{self as parts, PointParts};
use crate::residual::pointwise::PointResidual;

/// A block's point weights, `None` for an unweighted block.
pub(super) type Weights<'a> = Option<&'a [f64]>;

/// A term's frozen channels (`N × K`, one row per point of the block) and the trainable
/// network's scale `ε_k`.
pub(super) type Frozen<'a> = Option<(MatRef<'a, f64>, f64)>;

/// Everything besides θ and the points that decides a term's rows: the residual, the
/// block's row scale `s`, its point weights, the frozen stages, and the index in the
/// block of the first point evaluated.
#[derive(Clone, Copy)]
pub(super) struct TermEval<'a> {
    residual: &'a dyn PointResidual,
    scale: f64,
    weights: Weights<'a>,
    frozen: Frozen<'a>,
    parts: Option<&'a PointParts>,
    /// The input jets of the embedding at the term's whole point set, if stored.
    inputs: Option<&'a InputJets>,
    first_point: usize,
}

impl<'a> TermEval<'a> {
    /// The rows of `residual` in a block with row scale `scale`, its point weights and, in
    /// a multi-stage run, the frozen channels at the term's points.
    pub(super) fn new(
        residual: &'a dyn PointResidual,
        scale: f64,
        weights: Weights<'a>,
        frozen: Frozen<'a>,
    ) -> Self {
        TermEval {
            residual,
            scale,
            weights,
            frozen,
            parts: None,
            inputs: None,
            first_point: 0,
        }
    }

    /// The same term reading the residual's point-only parts (source terms, boundary
    /// data) from `parts`, computed once per point set, instead of evaluating them
    /// again ([`super::point_parts`]): the same numbers, so the same bits.
    pub(super) fn with_parts(self, parts: Option<&'a PointParts>) -> Self {
        TermEval { parts, ..self }
    }

    /// The same term reading the embedding's input jets at its points from `inputs`,
    /// computed once per point set ([`super::input_cache`]) instead of evaluating the
    /// features again: the same numbers, so the same bits.
    pub(super) fn with_inputs(self, inputs: Option<&'a InputJets>) -> Self {
        TermEval { inputs, ..self }
    }

    /// The points evaluated (the run of the term's points from the first one evaluated),
    /// with the stored input jets when there are any.
    pub(super) fn inputs<'p>(&self, points: MatRef<'p, f64>) -> Inputs<'p>
    where
        'a: 'p,
    {
        Inputs::new(points, self.inputs, self.first_point)
    }

    /// The bare `F(x_i, f_i + ε c_i)` (scale 1, no weights), for residual magnitudes: a
    /// factor of exactly 1 changes no bit.
    pub(super) fn unscaled(residual: &'a dyn PointResidual, frozen: Frozen<'a>) -> Self {
        Self::new(residual, 1.0, None, frozen)
    }

    /// The residual.
    pub(super) fn residual(&self) -> &'a dyn PointResidual {
        self.residual
    }

    /// The same term with the row scale multiplied by `factor`.
    pub(super) fn rescaled(self, factor: f64) -> Self {
        TermEval {
            scale: self.scale * factor,
            ..self
        }
    }

    /// `ε_k` in a multi-stage run, else `None`.
    pub(super) fn epsilon(&self) -> Option<f64> {
        self.frozen.map(|(_, eps)| eps)
    }

    /// The scale `s λ_i` of the rows of the `i`-th point evaluated (`s` without weights).
    pub(super) fn point_scale(&self, i: usize) -> f64 {
        match self.weights {
            Some(l) => self.scale * l[self.first_point + i],
            None => self.scale,
        }
    }

    /// The channels the residual reads at the points evaluated: the network's `values`
    /// (`n × K`), plus the frozen stages' as `f + ε values` in a multi-stage run.
    pub(super) fn stage_sum(&self, values: Mat<f64>) -> Mat<f64> {
        match self.frozen {
            Some((f, eps)) => {
                f.subrows(self.first_point, values.nrows()) + faer::Scale(eps) * &values
            }
            None => values,
        }
    }

    /// `s λ_i F(x, f_i + ε c)` for the `i`-th point evaluated.
    fn value(&self, i: usize, x: &[f64], c: &[f64]) -> f64 {
        let residual = self.residual;
        let (pre, at) = (self.parts, self.first_point + i);
        let f = match self.frozen {
            Some((f, eps)) => eval_sum(f, eps, at, c, None, |ct, _| {
                parts::value(residual, pre, at, x, ct)
            }),
            None => parts::value(residual, pre, at, x, c),
        };
        self.point_scale(i) * f
    }

    /// `s λ_i F(x, f_i + ε c)` with `∂/∂c = s λ_i ε ∂F/∂c` written into `a`.
    fn value_and_partials(&self, i: usize, x: &[f64], c: &[f64], a: &mut [f64]) -> f64 {
        let residual = self.residual;
        let si = self.point_scale(i);
        let (pre, at) = (self.parts, self.first_point + i);
        let f = match self.frozen {
            Some((f, eps)) => eval_sum(f, eps, at, c, Some(a), |ct, a| {
                parts::eval(residual, pre, at, x, ct, a.expect("a is given"))
            }),
            None => parts::eval(residual, pre, at, x, c, a),
        };
        a.iter_mut().for_each(|ak| *ak *= si);
        si * f
    }

    /// The rows at `points` into `out` (added with `accumulate`), without a Jacobian.
    pub(super) fn residuals(
        &self,
        mlp: &Mlp,
        theta: &[f64],
        points: MatRef<'_, f64>,
        out: &mut [f64],
        accumulate: bool,
    ) {
        let channels = self.residual.channels();
        if self.blockwise(mlp) {
            let seed = |i0: usize, x: MatRef<'_, f64>, c: &[&[f64]], r: &mut [f64]| {
                self.values_block(i0, x, c, r)
            };
            mlp.residuals_block(theta, self.inputs(points), channels, &seed, out, accumulate);
        } else {
            let seed = |i: usize, x: &[f64], c: &[f64], _a: &mut [f64]| self.value(i, x, c);
            mlp.residuals(theta, self.inputs(points), channels, &seed, out, accumulate);
        }
    }

    /// Whether the rows of a values-only sweep come from [`Self::values_block`], a chunk
    /// of points at a time: for a plain network and a term without frozen stages (the
    /// averaged network and the stage sums seed point by point).
    fn blockwise(&self, mlp: &Mlp) -> bool {
        !mlp.symmetric() && self.frozen.is_none()
    }

    /// `r[p] = s λ_i F(x_p, c_p)` for the points `i = i0 + p` evaluated (no frozen
    /// stages): the formula over the block, then each point's scale, the product
    /// [`Self::value`] forms, so the same bits.
    fn values_block(&self, i0: usize, x: MatRef<'_, f64>, c: &[&[f64]], r: &mut [f64]) {
        debug_assert!(
            self.frozen.is_none(),
            "stage sums are evaluated point by point"
        );
        let at = self.first_point + i0;
        parts::values_block(self.residual, self.parts, at, x, c, r);
        for (p, rp) in r.iter_mut().enumerate() {
            *rp *= self.point_scale(i0 + p);
        }
    }

    /// [`Self::residuals`] at every `θ_j` into `outs[j]`, bitwise the same vectors.
    pub(super) fn residuals_many(
        &self,
        mlp: &Mlp,
        thetas: &[&[f64]],
        points: MatRef<'_, f64>,
        outs: &mut [&mut [f64]],
        accumulate: bool,
    ) {
        let channels = self.residual.channels();
        let inputs = self.inputs(points);
        if self.blockwise(mlp) {
            let seed = |i0: usize, x: MatRef<'_, f64>, c: &[&[f64]], r: &mut [f64]| {
                self.values_block(i0, x, c, r)
            };
            mlp.residuals_many_block(thetas, inputs, channels, &seed, outs, accumulate);
        } else {
            let seed = |i: usize, x: &[f64], c: &[f64], _a: &mut [f64]| self.value(i, x, c);
            mlp.residuals_many(thetas, inputs, channels, &seed, outs, accumulate);
        }
    }

    /// The factor of `∂F/∂c` in the cotangents of `Jᵀw`: the rows' scale with the stage
    /// scale joined, `∂r_i/∂c = (s ε) λ_i ∂F/∂c` (this term itself without stages).
    fn chain(&self) -> Self {
        self.epsilon().map_or(*self, |eps| self.rescaled(eps))
    }

    /// The cotangents `w_i (s ε λ_i) ∂F/∂c_k` of the `i`-th point evaluated into `cot`,
    /// from the network's channel values `c` (the frozen stages' added as `f_i + ε c`).
    /// The partials come from the residual's own `eval` (from the stored point-only parts
    /// when there are any: the same bits) and the product is taken left to
    /// right, `(w_i · (s ε λ_i)) · ∂F/∂c_k`: the numbers of a cotangent matrix formed
    /// after a separate channel sweep.
    fn cotangent(&self, chain: &Self, i: usize, wi: f64, x: &[f64], c: &[f64], cot: &mut [f64]) {
        let residual = self.residual;
        let (pre, at) = (self.parts, self.first_point + i);
        match self.frozen {
            Some((f, eps)) => {
                eval_sum(f, eps, at, c, None, |ct, _| {
                    parts::eval(residual, pre, at, x, ct, &mut *cot)
                });
            }
            None => {
                parts::eval(residual, pre, at, x, c, cot);
            }
        }
        let factor = wi * chain.point_scale(i);
        cot.iter_mut().for_each(|ak| *ak *= factor);
    }

    /// `out += Σ_i w_i ∂r_i/∂θ` over the rows at `points` (this term's share of `Jᵀw`).
    pub(super) fn vjp(
        &self,
        mlp: &Mlp,
        theta: &[f64],
        points: MatRef<'_, f64>,
        w: &[f64],
        out: &mut [f64],
    ) {
        let chain = self.chain();
        let point = |i: usize, x: &[f64], c: &[f64], cot: &mut [f64]| {
            self.cotangent(&chain, i, w[i], x, c, cot);
            0.0
        };
        let channels = self.residual.channels();
        mlp.gradient(theta, self.inputs(points), channels, &point, None, out);
    }

    /// The rows at `points` into `r` and `out += Σ_i r_i ∂r_i/∂θ`, from one forward and
    /// one reverse pass: [`Self::vjp`] with `w = r` for rows this term alone makes (each
    /// `r_i` is final once its point is evaluated). The rows are those of
    /// [`Self::residuals`] and the sum that of [`Self::vjp`], bit for bit.
    pub(super) fn residuals_and_gradient(
        &self,
        mlp: &Mlp,
        theta: &[f64],
        points: MatRef<'_, f64>,
        r: &mut [f64],
        out: &mut [f64],
    ) {
        let chain = self.chain();
        let point = |i: usize, x: &[f64], c: &[f64], cot: &mut [f64]| {
            let ri = self.value(i, x, c);
            self.cotangent(&chain, i, ri, x, c, cot);
            ri
        };
        let channels = self.residual.channels();
        mlp.gradient(theta, self.inputs(points), channels, &point, Some(r), out);
    }

    /// The rows at `points` and their Jacobian rows (added with `accumulate`).
    pub(super) fn residuals_and_jacobian(
        &self,
        mlp: &Mlp,
        theta: &[f64],
        points: MatRef<'_, f64>,
        out: &mut [f64],
        jac: MatMut<'_, f64>,
        accumulate: bool,
    ) {
        let seed =
            |i: usize, x: &[f64], c: &[f64], a: &mut [f64]| self.value_and_partials(i, x, c, a);
        let channels = self.residual.channels();
        let inputs = self.inputs(points);
        mlp.residuals_and_jacobian(theta, inputs, channels, &seed, out, jac, accumulate);
    }
}

/// One term of one equation as the model hands it out: the points it is evaluated at,
/// whether it is the equation's first (a later term accumulates into the same rows) and
/// how its rows are made.
#[derive(Clone, Copy)]
pub(super) struct TermView<'a> {
    /// The points, one per row.
    pub points: MatRef<'a, f64>,
    /// Whether the term is its equation's first.
    pub first: bool,
    /// The evaluation context.
    pub eval: TermEval<'a>,
}

impl TermView<'_> {
    /// The term at the points `rows` alone (for a block of rows): the weights and frozen
    /// channels are indexed from `rows.start`.
    pub(super) fn subrows(self, rows: Range<usize>) -> Self {
        TermView {
            points: self.points.subrows(rows.start, rows.len()),
            eval: TermEval {
                first_point: self.eval.first_point + rows.start,
                ..self.eval
            },
            ..self
        }
    }
}

/// `|F(x_i)| = (Σ_e F_e(x_i)²)^{1/2}` at each of `n` points over the equations `groups`;
/// `term_rows(e, t, term, f, accumulate)` writes (or adds) term `t` of equation `e`
/// into `f`.
pub(super) fn equation_norms(
    groups: &[RowGroup],
    n: usize,
    mut term_rows: impl FnMut(usize, usize, &Term, &mut [f64], bool),
) -> Vec<f64> {
    let (mut out, mut f) = (vec![0.0; n], vec![0.0; n]);
    for (e, group) in groups.iter().enumerate() {
        for (t, term) in group.terms.iter().enumerate() {
            term_rows(e, t, term, &mut f, t > 0);
        }
        out.iter_mut().zip(&f).for_each(|(o, fi)| *o += fi * fi);
    }
    out.iter_mut().for_each(|o| *o = o.sqrt());
    out
}
