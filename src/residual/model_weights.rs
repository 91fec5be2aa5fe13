//! The residual model's residual-based attention weights: setting, reading and
//! replacing a block's `λᵢ`, and the pointwise residual norms `|F(x_i)|` the update of
//! the weights is taken from.

use super::{PointWeights, ResidualModel, ResidualModelError, TermEval, equation_norms};
use crate::residual::weights::Rba;

impl ResidualModel {
    /// Gives block `block` residual-based attention weights ([`Rba`]), all at
    /// [`Rba::INITIAL`] (0) until [`ResidualModel::start_point_weights`].
    ///
    /// # Errors
    /// No such block.
    pub fn set_point_weights(&mut self, block: usize, rba: Rba) -> Result<(), ResidualModelError> {
        let b = self
            .blocks
            .get(block)
            .ok_or(ResidualModelError::NoSuchBlock {
                index: block,
                n_blocks: self.blocks.len(),
            })?;
        self.weights[block] = Some(PointWeights {
            rba,
            lambda: vec![Rba::INITIAL; b.n_points()],
        });
        Ok(())
    }

    /// Starts every block's RBA weights at the initial parameters `theta`: `λ = 0`, then
    /// one update `λᵢ = η |F(x_i)| / max_j |F(x_j)|` ([`Rba::restart`]). A fresh run calls
    /// this before its solve; a resumed one restores its stored weights instead.
    pub fn start_point_weights(&mut self, theta: &[f64]) {
        for b in 0..self.blocks.len() {
            if self.weights[b].is_none() {
                continue;
            }
            let norms = self.point_norms(b, theta);
            let w = self.weights[b].as_mut().expect("checked above");
            w.rba.restart(&mut w.lambda, &norms);
        }
    }

    /// Block `b`'s current point weights `λᵢ`, when it has RBA weights.
    pub fn point_weights(&self, b: usize) -> Option<&[f64]> {
        self.weights.get(b)?.as_ref().map(|w| w.lambda.as_slice())
    }

    /// Replaces block `block`'s point weights (e.g. with those of a stored run when it is
    /// resumed): one finite weight `≥ 0` per point, on a block that has RBA weights.
    ///
    /// # Errors
    /// No such block, a block without weights, or weights that do not fit.
    pub fn set_weight_values(
        &mut self,
        block: usize,
        lambda: Vec<f64>,
    ) -> Result<(), ResidualModelError> {
        let n_blocks = self.blocks.len();
        let b = self
            .blocks
            .get(block)
            .ok_or(ResidualModelError::NoSuchBlock {
                index: block,
                n_blocks,
            })?;
        let bad = |message: String| ResidualModelError::BadWeights {
            block: b.name().to_string(),
            message,
        };
        let Some(w) = self.weights[block].as_mut() else {
            return Err(bad("the block has no point weights".to_string()));
        };
        if lambda.len() != b.n_points() {
            return Err(bad(format!(
                "{} weights for {} points",
                lambda.len(),
                b.n_points()
            )));
        }
        if let Some(l) = lambda.iter().find(|l| !(l.is_finite() && **l >= 0.0)) {
            return Err(bad(format!("a weight must be finite and ≥ 0, found {l}")));
        }
        w.lambda = lambda;
        Ok(())
    }

    /// `|F(x_i)| = (Σ_e F_e(x_i)²)^{1/2}` at each point of block `b` (unscaled, unweighted;
    /// a periodic term at its paired points; in a multi-stage run, of the stage sum),
    /// without a Jacobian.
    pub fn point_norms(&self, b: usize, theta: &[f64]) -> Vec<f64> {
        let block = &self.blocks[b];
        let groups = block.row_groups();
        equation_norms(groups, block.n_points(), |e, t, term, f, accumulate| {
            let eval = TermEval::unscaled(&*term.residual, self.frozen_of(b, e, t))
                .with_inputs(self.inputs[b].of(e, t));
            let points = block.points_of(term.set);
            eval.residuals(&self.mlp, theta, points, f, accumulate);
        })
    }
}
