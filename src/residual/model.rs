//! The PINN least-squares problem: a network and its residual blocks.
//!
//! `r(θ)` stacks the blocks' rows (block by block; inside a block equation-major, see
//! [`super::block`]), each scaled by `sqrt(w_b / N_b)`, so that
//! `L(θ) = ½‖r‖² = ½ Σ_b w_b Σ_e mean_i F_b,e(x_i)²`.
//!
//! The Jacobian row of `r_i = s F(x_i, c_i(θ))` is `s Σ_k (∂F/∂c_k) ∂c_ik/∂θ`: the
//! engine's kernel gets `∂F/∂c` from a seed closure and writes the row. `J·v` contracts
//! the same partials with the channel tangents `Σ_k a_ik ċ_ik`, and `Jᵀ·w` pulls the
//! cotangents `w_i s a_ik` back through the channels. A periodic equation is the sum of
//! two terms at two point sets: the second term accumulates into the same rows.
//!
//! A block with residual-based attention ([`Rba`]) multiplies each point's rows by its
//! weight `λᵢ`: `r_i = s λᵢ F(x_i)`, Jacobian row `s λᵢ ∂F/∂θ`. Without weights the
//! factor is absent, and a weight of exactly 1 changes no bit (`s · 1 = s`).
//!
//! In stage `k` of a multi-stage run the residual reads the frozen stages' channels plus
//! `ε_k` times the network's ([`super::frozen`]). The scale, the weights and the frozen
//! channels of a term are gathered in one evaluation context (the `term` module) that
//! every path (residuals, batched residuals, Jacobian, row blocks, `J·v`, `Jᵀ·w`, the
//! pointwise norms of RAD and RBA) builds its rows from.

use std::ops::Range;

use faer::{Mat, MatMut, MatRef};
use pinn_solvers::{LeastSquares, half_squared_norm};

use super::adaptive::{AdaptiveError, Density, PoolResiduals};
use super::block::{BlockError, PointSet, ResidualBlock};
use super::channel::Channel;
use super::frozen::FrozenStages;
use super::input_cache::BlockInputs;
use super::point_parts::{BlockParts, PointParts, block_parts};
use super::weights::Rba;

#[path = "model_weights.rs"]
mod point_weights;
#[path = "model_term.rs"]
mod term;
use crate::model::Mlp;
use term::{Frozen, TermEval, TermView, equation_norms};

/// A point sampler for one block: called with the iteration number, returns the new
/// `N_b × d` points (or, for an adaptive block, the `M × d` candidate pool).
pub type SampleFn = Box<dyn FnMut(usize) -> Mat<f64> + Send + Sync>;

/// How a block's new points are chosen.
enum Draw {
    /// The sampler's points, as drawn.
    Fixed(SampleFn),
    /// `N_b` of the sampler's pool, drawn at the current θ by a residual-based density
    /// (RAD or vRBA's) with `seed + iteration`.
    Rad {
        pool: SampleFn,
        density: Density,
        seed: u64,
    },
}

struct Sampler {
    every: usize,
    draw: Draw,
}

/// A block's RBA weights: the update rule and the current `λᵢ`, one per point.
struct PointWeights {
    rba: Rba,
    lambda: Vec<f64>,
}

/// A block's residual magnitudes at candidate points: the network and the block's
/// equations, evaluated through the residual-only kernel (no Jacobian).
struct BlockPool<'a> {
    mlp: &'a Mlp,
    block: &'a ResidualBlock,
    frozen: Option<&'a FrozenStages>,
}

impl PoolResiduals for BlockPool<'_> {
    /// `|r(x)| = (Σ_e F_e(x)²)^{1/2}` over the block's equations (unscaled), with the
    /// frozen stages' channels computed at the candidates in a multi-stage run.
    fn residual_norms(&self, theta: &[f64], points: MatRef<'_, f64>, out: &mut [f64]) {
        let groups = self.block.row_groups();
        let norms = equation_norms(groups, points.nrows(), |_, _, term, f, accumulate| {
            let residual = &*term.residual;
            let cached = self
                .frozen
                .map(|fz| (fz.channels(points, residual.channels()), fz.epsilon));
            let frozen = cached.as_ref().map(|(fc, eps)| (fc.as_ref(), *eps));
            // The point-only parts at the candidates, once per call (the same numbers the
            // residual would compute at every point; a batched computation for some).
            let parts = PointParts::compute(residual, points);
            TermEval::unscaled(residual, frozen)
                .with_parts(parts.as_ref())
                .residuals(self.mlp, theta, points, f, accumulate);
        });
        out.copy_from_slice(&norms);
    }
}

/// Invalid models.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResidualModelError {
    /// A model needs at least one block.
    #[error("a residual model needs at least one block")]
    NoBlocks,
    /// A block's point dimension differs from the network's input dimension.
    #[error("block `{block}` has {found}-dimensional points, the network takes {expected} inputs")]
    DimensionMismatch {
        /// The block name.
        block: String,
        /// The network's `n_inputs`.
        expected: usize,
        /// The block's point dimension.
        found: usize,
    },
    /// A block reads an output the network does not have.
    #[error("block `{block}` reads channel {channel:?}, the network has {n_outputs} outputs")]
    OutputOutOfRange {
        /// The block name.
        block: String,
        /// The offending channel.
        channel: Channel,
        /// The network's `n_outputs`.
        n_outputs: usize,
    },
    /// No block has this index.
    #[error("no block {index} (the model has {n_blocks})")]
    NoSuchBlock {
        /// The index given.
        index: usize,
        /// The number of blocks.
        n_blocks: usize,
    },
    /// A resampling interval of zero.
    #[error("a resampling interval must be at least 1")]
    ZeroInterval,
    /// Resampled points were rejected by the block.
    #[error(transparent)]
    Block(#[from] BlockError),
    /// An adaptive draw failed (a pool smaller than the block).
    #[error("block `{block}`: {source}")]
    Adaptive {
        /// The block name.
        block: String,
        /// What went wrong.
        source: AdaptiveError,
    },
    /// Adaptive sampling of a block whose residual reads points other than its own (a
    /// periodic pair): a candidate point alone does not determine its residual.
    #[error("block `{block}` reads paired points and cannot be sampled adaptively")]
    NotAdaptable {
        /// The block name.
        block: String,
    },
    /// Stored point weights that do not fit the block (count, or a negative or
    /// non-finite weight), or weights for a block without RBA.
    #[error("block `{block}`: {message}")]
    BadWeights {
        /// The block name.
        block: String,
        /// What is wrong.
        message: String,
    },
}

/// A network `u_θ` and the residual blocks that constrain it, as a
/// [`LeastSquares`] problem in the network parameters θ.
pub struct ResidualModel {
    mlp: Mlp,
    blocks: Vec<ResidualBlock>,
    offsets: Vec<usize>,
    n_rows: usize,
    samplers: Vec<Option<Sampler>>,
    weights: Vec<Option<PointWeights>>,
    /// The frozen stages of a multi-stage run and, per block, equation and term, their
    /// channels at the term's points ([`super::frozen`]).
    frozen: Option<(FrozenStages, FrozenCache)>,
    /// Per block: the residuals' point-only parts at the block's points
    /// ([`super::point_parts`]).
    parts: Vec<BlockParts>,
    /// Per block: the embedding's input jets at the block's points
    /// ([`super::input_cache`]).
    inputs: Vec<BlockInputs>,
    /// Whether `inputs` are kept (always, except in tests that compare with the
    /// evaluation that computes them every time).
    store_inputs: bool,
}

impl ResidualModel {
    /// Checks that every block fits the network (input dimension, outputs read).
    pub fn new(mlp: Mlp, blocks: Vec<ResidualBlock>) -> Result<Self, ResidualModelError> {
        if blocks.is_empty() {
            return Err(ResidualModelError::NoBlocks);
        }
        for b in &blocks {
            if b.dim() != mlp.n_inputs() {
                return Err(ResidualModelError::DimensionMismatch {
                    block: b.name().to_string(),
                    expected: mlp.n_inputs(),
                    found: b.dim(),
                });
            }
            if let Some(channel) = b.channels().find(|c| c.output() >= mlp.n_outputs()) {
                return Err(ResidualModelError::OutputOutOfRange {
                    block: b.name().to_string(),
                    channel: *channel,
                    n_outputs: mlp.n_outputs(),
                });
            }
        }
        let mut offsets = Vec::with_capacity(blocks.len());
        let mut n_rows = 0;
        for b in &blocks {
            offsets.push(n_rows);
            n_rows += b.n_rows();
        }
        let samplers = blocks.iter().map(|_| None).collect();
        let weights = blocks.iter().map(|_| None).collect();
        let parts = blocks.iter().map(block_parts).collect();
        let inputs = blocks
            .iter()
            .map(|b| BlockInputs::compute(&mlp, b))
            .collect();
        Ok(ResidualModel {
            mlp,
            blocks,
            offsets,
            n_rows,
            samplers,
            frozen: None,
            weights,
            parts,
            inputs,
            store_inputs: true,
        })
    }

    /// The same model for stage `k` of a multi-stage run: the network trained is
    /// `ε_k N_k`, added to the frozen stages' sum before every residual (see
    /// [`super::frozen`]). The frozen channels are computed here, and again whenever a
    /// block's points change.
    #[must_use]
    pub fn with_frozen(mut self, frozen: FrozenStages) -> Self {
        self.frozen = Some((frozen, Vec::new()));
        for b in 0..self.blocks.len() {
            self.refresh_frozen(b);
        }
        self
    }

    /// The frozen stages, in a multi-stage run.
    pub fn frozen(&self) -> Option<&FrozenStages> {
        self.frozen.as_ref().map(|(f, _)| f)
    }

    /// Recomputes what is stored per point of block `b` (the residuals' point-only parts,
    /// the embedding's input jets, the frozen channels) after its points changed.
    fn points_changed(&mut self, b: usize) {
        self.parts[b] = block_parts(&self.blocks[b]);
        self.inputs[b] = if self.store_inputs {
            BlockInputs::compute(&self.mlp, &self.blocks[b])
        } else {
            BlockInputs::none(&self.blocks[b])
        };
        self.refresh_frozen(b);
    }

    /// The bytes of the stored input jets of the embedding, over all blocks (0 without
    /// an embedding): `8 · D · C · N` per stored point set, for `D` embedded inputs, `C`
    /// jet slots and `N` points.
    pub fn input_jet_bytes(&self) -> usize {
        self.inputs.iter().map(BlockInputs::bytes).sum()
    }

    /// Drops the stored input jets, now and after every later change of points: every
    /// evaluation computes them again, as before they were stored. For tests that
    /// compare the two bit for bit.
    #[cfg(test)]
    pub(crate) fn bypass_input_jets(&mut self) {
        self.store_inputs = false;
        for b in 0..self.blocks.len() {
            self.inputs[b] = BlockInputs::none(&self.blocks[b]);
        }
    }

    /// Recomputes the frozen channels of block `b` at its current points.
    fn refresh_frozen(&mut self, b: usize) {
        let Some((frozen, cache)) = &mut self.frozen else {
            return;
        };
        let block = &self.blocks[b];
        let terms = block
            .row_groups()
            .iter()
            .map(|g| {
                g.terms
                    .iter()
                    .map(|t| frozen.channels(block.points_of(t.set), t.residual.channels()))
                    .collect()
            })
            .collect();
        if cache.len() <= b {
            cache.resize_with(b + 1, Vec::new);
        }
        cache[b] = terms;
    }

    /// The network.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }
    /// The blocks, in row order.
    pub fn blocks(&self) -> &[ResidualBlock] {
        &self.blocks
    }
    /// The number of rows of each block.
    pub fn n_rows_per_block(&self) -> Vec<usize> {
        self.blocks.iter().map(ResidualBlock::n_rows).collect()
    }
    /// The rows of `r` (and `J`) that block `b` owns.
    pub fn block_rows(&self, b: usize) -> Range<usize> {
        self.offsets[b]..self.offsets[b] + self.blocks[b].n_rows()
    }

    /// `L(θ) = ½‖r(θ)‖²`, summed with faer's `norm_l2` (scaled, no cancellation).
    pub fn loss(&self, theta: &[f64]) -> f64 {
        let mut r = vec![0.0; self.n_rows];
        self.residuals(theta, &mut r);
        half_squared_norm(&r)
    }

    /// The loss of each block, `½ w_b Σ_e mean_i F_b,e²`; they sum to [`Self::loss`].
    pub fn block_losses(&self, theta: &[f64]) -> Vec<f64> {
        let mut r = vec![0.0; self.n_rows];
        self.residuals(theta, &mut r);
        (0..self.blocks.len())
            .map(|b| half_squared_norm(&r[self.block_rows(b)]))
            .collect()
    }

    /// Replaces block `block`'s points (e.g. with those a stored run was trained on when
    /// it is continued). The shape must stay `N_b × d`, and the points are validated as
    /// at construction.
    ///
    /// # Errors
    /// No such block, or points the block rejects.
    pub fn set_points(&mut self, block: usize, points: Mat<f64>) -> Result<(), ResidualModelError> {
        let n_blocks = self.blocks.len();
        let b = self
            .blocks
            .get_mut(block)
            .ok_or(ResidualModelError::NoSuchBlock {
                index: block,
                n_blocks,
            })?;
        b.set_points(points)?;
        self.points_changed(block);
        Ok(())
    }

    /// Draws new points for block `block` every `every` iterations (at iterations
    /// `every, 2·every, …`) with `draw(iteration)`. The sampler must return as many
    /// points as the block has, of the same dimension.
    pub fn set_sampler(
        &mut self,
        block: usize,
        every: usize,
        draw: impl FnMut(usize) -> Mat<f64> + Send + Sync + 'static,
    ) -> Result<(), ResidualModelError> {
        self.check_sampler(block, every)?;
        self.samplers[block] = Some(Sampler {
            every,
            draw: Draw::Fixed(Box::new(draw)),
        });
        Ok(())
    }

    /// Draws new points for block `block` every `every` iterations by residual-based
    /// adaptive sampling ([`Density`]: RAD or vRBA's exponential potential):
    /// `pool(iteration)` returns `M ≥ N_b` candidate points, their residual magnitudes at
    /// the current θ are evaluated without a Jacobian, and `N_b` of them are drawn with
    /// the seed `seed + iteration` (the draw's number is `iteration / every`).
    ///
    /// # Errors
    /// No such block, a zero interval, or a block with paired (periodic) points.
    pub fn set_rad_sampler(
        &mut self,
        block: usize,
        every: usize,
        pool: impl FnMut(usize) -> Mat<f64> + Send + Sync + 'static,
        density: impl Into<Density>,
        seed: u64,
    ) -> Result<(), ResidualModelError> {
        self.check_sampler(block, every)?;
        let b = &self.blocks[block];
        if b.row_groups()
            .iter()
            .flat_map(|g| &g.terms)
            .any(|t| t.set != PointSet::Own)
        {
            return Err(ResidualModelError::NotAdaptable {
                block: b.name().to_string(),
            });
        }
        self.samplers[block] = Some(Sampler {
            every,
            draw: Draw::Rad {
                pool: Box::new(pool),
                density: density.into(),
                seed,
            },
        });
        Ok(())
    }

    fn check_sampler(&self, block: usize, every: usize) -> Result<(), ResidualModelError> {
        if block >= self.blocks.len() {
            return Err(ResidualModelError::NoSuchBlock {
                index: block,
                n_blocks: self.blocks.len(),
            });
        }
        if every == 0 {
            return Err(ResidualModelError::ZeroInterval);
        }
        Ok(())
    }

    /// Whether block `b` draws its points adaptively.
    pub fn is_adaptive(&self, b: usize) -> bool {
        matches!(
            self.samplers.get(b),
            Some(Some(Sampler {
                draw: Draw::Rad { .. },
                ..
            }))
        )
    }

    /// Runs the samplers due at `iteration`, adaptive ones at the iterate `theta`, then
    /// the RBA weight updates due (at `theta`, on the points in use); returns whether
    /// any points or weights changed. A block drawn afresh restarts its weights from 0
    /// with one update at its new points ([`Rba::restart`]). A block that rejects its new points keeps
    /// its old ones and the error is returned.
    pub fn try_resample(
        &mut self,
        iteration: usize,
        theta: &[f64],
    ) -> Result<bool, ResidualModelError> {
        let mut changed = false;
        let mut drawn = Vec::new();
        for b in 0..self.blocks.len() {
            let Some(s) = &mut self.samplers[b] else {
                continue;
            };
            if iteration == 0 || !iteration.is_multiple_of(s.every) {
                continue;
            }
            let points = match &mut s.draw {
                Draw::Fixed(draw) => draw(iteration),
                Draw::Rad {
                    pool,
                    density,
                    seed,
                } => {
                    let candidates = pool(iteration);
                    let block = &self.blocks[b];
                    let evaluator = BlockPool {
                        mlp: &self.mlp,
                        block,
                        frozen: self.frozen.as_ref().map(|(f, _)| f),
                    };
                    density
                        .draw(
                            &evaluator,
                            theta,
                            candidates.as_ref(),
                            block.n_points(),
                            seed.wrapping_add(iteration as u64),
                            iteration / s.every,
                        )
                        .map_err(|source| ResidualModelError::Adaptive {
                            block: block.name().to_string(),
                            source,
                        })?
                }
            };
            self.blocks[b].set_points(points)?;
            self.points_changed(b);
            drawn.push(b);
            changed = true;
        }
        for b in 0..self.blocks.len() {
            let due = match &self.weights[b] {
                Some(w) => !drawn.contains(&b) && w.rba.is_due(iteration),
                None => continue,
            };
            if drawn.contains(&b) {
                let norms = self.point_norms(b, theta);
                let w = self.weights[b].as_mut().expect("checked above");
                w.rba.restart(&mut w.lambda, &norms);
            } else if due {
                let norms = self.point_norms(b, theta);
                let w = self.weights[b].as_mut().expect("checked above");
                changed |= w.rba.update(&mut w.lambda, &norms);
            }
        }
        Ok(changed)
    }

    /// In a multi-stage run, the frozen stages' channels at the points of term `t` of
    /// equation `e` of block `b`, and `ε_k`.
    fn frozen_of(&self, b: usize, e: usize, t: usize) -> Frozen<'_> {
        self.frozen
            .as_ref()
            .map(|(fz, cache)| (cache[b][e][t].as_ref(), fz.epsilon))
    }

    /// Calls `f(views, rows)` for every equation, with the views of its terms in order
    /// (the first writes the rows, a later one adds into them) and the rows of `r` the
    /// equation owns; a view carries the term's points, whether it is the equation's
    /// first, and its evaluation context (row scale, point weights, frozen channels).
    fn for_each_equation(&self, mut f: impl FnMut(&[TermView<'_>], Range<usize>)) {
        let mut views = Vec::new();
        for (b, block) in self.blocks.iter().enumerate() {
            let n = block.n_points();
            let weights = self.point_weights(b);
            for (e, group) in block.row_groups().iter().enumerate() {
                let start = self.offsets[b] + e * n;
                views.clear();
                views.extend(group.terms.iter().enumerate().map(|(t, term)| {
                    let frozen = self.frozen_of(b, e, t);
                    TermView {
                        points: block.points_of(term.set),
                        first: t == 0,
                        eval: TermEval::new(&*term.residual, block.scale(), weights, frozen)
                            .with_parts(self.parts[b][e][t].as_ref())
                            .with_inputs(self.inputs[b].of(e, t)),
                    }
                }));
                f(&views, start..start + n);
            }
        }
    }

    /// Calls `f(view, rows)` for every term of every equation, in the order of
    /// [`Self::for_each_equation`].
    fn for_each_term(&self, mut f: impl FnMut(TermView<'_>, Range<usize>)) {
        self.for_each_equation(|views, rows| {
            for view in views {
                f(*view, rows.clone());
            }
        });
    }
}

/// Per block, equation and term: the frozen stages' channels at the term's points.
type FrozenCache = Vec<Vec<Vec<Mat<f64>>>>;

/// Per-point scratch of the matrix-free products: the point, its channels and `∂F/∂c`.
#[derive(Default)]
struct PointScratch {
    x: Vec<f64>,
    c: Vec<f64>,
    a: Vec<f64>,
}

impl PointScratch {
    /// `∂F/∂c` of the term's residual at point `i` of `points`, with channel values row
    /// `i` of `values` (the stage sum in a multi-stage run; unscaled).
    fn partials(
        &mut self,
        eval: TermEval<'_>,
        points: MatRef<'_, f64>,
        values: MatRef<'_, f64>,
        i: usize,
    ) -> &[f64] {
        self.x.clear();
        self.x.extend((0..points.ncols()).map(|j| points[(i, j)]));
        self.c.clear();
        self.c.extend((0..values.ncols()).map(|k| values[(i, k)]));
        self.a.resize(values.ncols(), 0.0);
        eval.residual().eval(&self.x, &self.c, &mut self.a);
        &self.a
    }
}

impl LeastSquares for ResidualModel {
    fn n_params(&self) -> usize {
        self.mlp.n_params()
    }

    fn n_residuals(&self) -> usize {
        self.n_rows
    }

    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        assert_eq!(r.len(), self.n_rows, "r has one entry per residual");
        self.for_each_term(|view, rows| {
            let out = &mut r[rows];
            view.eval
                .residuals(&self.mlp, theta, view.points, out, !view.first);
        });
    }

    /// All θ_j in one sweep per term: each chunk of a block's points is seeded once and
    /// evaluated at every θ_j, with the same seeds and summation order as
    /// [`LeastSquares::residuals`], so every vector is bitwise the same.
    fn residuals_many(&self, thetas: &[&[f64]], r: &mut [f64]) {
        let n = self.n_rows;
        assert_eq!(
            r.len(),
            thetas.len() * n,
            "r holds one residual vector per θ"
        );
        if n == 0 || thetas.is_empty() {
            return;
        }
        self.for_each_term(|view, rows| {
            let mut outs: Vec<&mut [f64]> = r
                .chunks_exact_mut(n)
                .map(|rj| &mut rj[rows.clone()])
                .collect();
            view.eval
                .residuals_many(&self.mlp, thetas, view.points, &mut outs, !view.first);
        });
    }

    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], mut jac: MatMut<'_, f64>) {
        assert_eq!(r.len(), self.n_rows, "r has one entry per residual");
        assert_eq!(
            (jac.nrows(), jac.ncols()),
            (self.n_rows, self.n_params()),
            "J is N × P"
        );
        self.for_each_term(|view, rows| {
            let j = jac.as_mut().subrows_mut(rows.start, rows.len());
            view.eval.residuals_and_jacobian(
                &self.mlp,
                theta,
                view.points,
                &mut r[rows],
                j,
                !view.first,
            );
        });
    }

    /// Only the points behind `rows`: each equation's rows are its points in order, so
    /// the overlap of `rows` with an equation's rows is a contiguous run of its points,
    /// evaluated through the same kernel as [`LeastSquares::residuals_and_jacobian`]
    /// (the point weights and frozen channels indexed past the points skipped).
    fn jacobian_rows(
        &self,
        theta: &[f64],
        rows: Range<usize>,
        r: &mut [f64],
        mut jac: MatMut<'_, f64>,
    ) {
        assert_eq!(r.len(), rows.len(), "r has one entry per requested row");
        assert_eq!(
            (jac.nrows(), jac.ncols()),
            (rows.len(), self.n_params()),
            "J's block is rows × P"
        );
        assert!(rows.end <= self.n_rows, "rows past the last residual");
        self.for_each_term(|view, own| {
            let (lo, hi) = (own.start.max(rows.start), own.end.min(rows.end));
            if lo >= hi {
                return;
            }
            let view = view.subrows(lo - own.start..hi - own.start);
            let out = (lo - rows.start)..(hi - rows.start);
            view.eval.residuals_and_jacobian(
                &self.mlp,
                theta,
                view.points,
                &mut r[out.clone()],
                jac.as_mut().subrows_mut(out.start, out.len()),
                !view.first,
            );
        });
    }

    /// `(J v)_i = s λ_i Σ_k a_ik ċ_ik`, with the channel tangents `ċ` from one forward
    /// pass (`ε_k ċ` in a multi-stage run).
    fn jvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        assert_eq!(v.len(), self.n_params(), "v has one entry per parameter");
        assert_eq!(out.len(), self.n_rows, "J·v has one entry per residual");
        out.fill(0.0);
        let mut scratch = PointScratch::default();
        self.for_each_term(|view, rows| {
            let TermView { points, eval, .. } = view;
            let channels = eval.residual().channels();
            let inputs = eval.inputs(points);
            let (values, mut tangents) = self.mlp.jvp_channels(theta, v, inputs, channels);
            let values = eval.stage_sum(values);
            if let Some(eps) = eval.epsilon() {
                tangents = faer::Scale(eps) * &tangents;
            }
            for (i, o) in out[rows].iter_mut().enumerate() {
                let a = scratch.partials(eval, points, values.as_ref(), i);
                let dot: f64 = a
                    .iter()
                    .enumerate()
                    .map(|(k, ak)| ak * tangents[(i, k)])
                    .sum();
                *o += eval.point_scale(i) * dot;
            }
        });
    }

    /// `Jᵀ w = Σ_i w_i s λ_i Σ_k a_ik ∂c_ik/∂θ`: cotangents `w_i s λ_i a_ik` (times `ε_k`
    /// in a multi-stage run) pulled back through the channels, term by term, each in one
    /// taped forward and one reverse pass that forms the cotangents from the channel
    /// values it computes ([`crate::model::gradient`]).
    fn vjp(&self, theta: &[f64], w: &[f64], out: &mut [f64]) {
        assert_eq!(w.len(), self.n_rows, "w has one entry per residual");
        assert_eq!(
            out.len(),
            self.n_params(),
            "Jᵀ·w has one entry per parameter"
        );
        out.fill(0.0);
        self.for_each_term(|view, rows| {
            view.eval.vjp(&self.mlp, theta, view.points, &w[rows], out);
        });
    }

    /// `r` and `g = Jᵀr`, equation by equation in the order of [`Self::vjp`]. An equation
    /// made by one term (every one but a periodic pair) takes one forward and one reverse
    /// pass for both, its residuals used as the cotangents' weights as soon as they are
    /// evaluated. An equation whose rows several terms add up to needs all of them before
    /// any weight is known: its residuals first, then each term's `Jᵀr`. Either way `r`
    /// is bitwise [`LeastSquares::residuals`] and `g` bitwise [`LeastSquares::vjp`] at
    /// `w = r`.
    fn residuals_and_gradient(&self, theta: &[f64], r: &mut [f64], g: &mut [f64]) {
        assert_eq!(r.len(), self.n_rows, "r has one entry per residual");
        assert_eq!(g.len(), self.n_params(), "g has one entry per parameter");
        g.fill(0.0);
        self.for_each_equation(|views, rows| {
            if let [view] = views {
                view.eval
                    .residuals_and_gradient(&self.mlp, theta, view.points, &mut r[rows], g);
                return;
            }
            for view in views {
                let out = &mut r[rows.clone()];
                view.eval
                    .residuals(&self.mlp, theta, view.points, out, !view.first);
            }
            for view in views {
                view.eval
                    .vjp(&self.mlp, theta, view.points, &r[rows.clone()], g);
            }
        });
    }

    /// Runs the block samplers due at `iteration` (see [`ResidualModel::set_sampler`] and
    /// [`ResidualModel::set_rad_sampler`]), adaptive ones at `theta`.
    ///
    /// # Panics
    /// If a sampler returns points its block rejects (wrong shape, off the face): a
    /// broken sampler is a programming error. Use [`ResidualModel::try_resample`] to get
    /// the error instead.
    fn resample(&mut self, iteration: usize, theta: &[f64]) -> bool {
        self.try_resample(iteration, theta)
            .unwrap_or_else(|e| panic!("resampling failed: {e}"))
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "gradient_tests.rs"]
mod gradient_tests;
