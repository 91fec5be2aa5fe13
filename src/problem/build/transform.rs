//! `[transform]`: the output transforms of a problem file, compiled and applied to every
//! residual block, with errors at the file, line and column of the entry at fault
//! (inside the string for an expression error).

use faer::{Mat, MatRef};
use toml::Spanned;

use super::{Builder, Problem};
use crate::expr::{Context, OutputTransform, TransformError};
use crate::problem::error::InputError;
use crate::problem::spec::ProblemSpec;
use crate::residual::block::ResidualBlock;

impl Builder<'_> {
    /// The transform of every output (the identity for outputs without an entry).
    pub(super) fn transform(
        &self,
        spec: &ProblemSpec,
        ctx: &Context,
        outputs: &[String],
    ) -> Result<OutputTransform, InputError> {
        let mut sources: Vec<Option<&Spanned<String>>> = vec![None; outputs.len()];
        for (k, v) in &spec.transform {
            let o = outputs
                .iter()
                .position(|n| n == k.get_ref())
                .ok_or_else(|| {
                    self.err(
                        k.span(),
                        format!(
                            "`{}` is not an output (outputs: {})",
                            k.get_ref(),
                            outputs.join(", ")
                        ),
                    )
                })?;
            sources[o] = Some(v);
        }
        let text: Vec<Option<&str>> = sources
            .iter()
            .map(|s| s.map(|s| s.get_ref().as_str()))
            .collect();
        OutputTransform::new(ctx, &text).map_err(|e| match e {
            TransformError::Expr { output, error } => {
                let s = sources[output].expect("errors come from given sources");
                let mut err = self.expr_err(s, &error);
                err.message = format!("transform of `{}`: {}", outputs[output], err.message);
                err
            }
            TransformError::NoNetwork { output } => {
                let s = sources[output].expect("errors come from given sources");
                self.err(s.span(), format!("transform of `{}`: {e}", outputs[output]))
            }
            TransformError::Clash { .. } => {
                let (k, _) = spec.transform.iter().next().expect("a transform was given");
                self.err(k.span(), e.to_string())
            }
        })
    }

    /// Every block read through the transform; an error names the block and points at
    /// the transform entry whose derivatives the block needs.
    pub(super) fn transformed_blocks(
        &self,
        spec: &ProblemSpec,
        outputs: &[String],
        transform: &OutputTransform,
        blocks: Vec<ResidualBlock>,
    ) -> Result<Vec<ResidualBlock>, InputError> {
        if transform.is_identity() {
            return Ok(blocks);
        }
        blocks
            .into_iter()
            .map(|b| {
                let name = b.name().to_string();
                b.map_residuals(|r| transform.wrap(r.clone())).map_err(|e| {
                    let span = spec
                        .transform
                        .iter()
                        .find(|(k, _)| *k.get_ref() == outputs[e.output])
                        .map_or_else(|| spec.model.span(), |(_, v)| v.span());
                    self.err(span, format!("block `{name}`: {e}"))
                })
            })
            .collect()
    }
}

impl Problem {
    /// The solution `u = T(x, N_θ(x))` at `points` (`M × d` → `M × m`): the network
    /// output read through the output transforms. Every use of the solution (errors,
    /// plots, result files) goes through this, never through the raw network output.
    /// In a time slab with the initial data built in, the earlier slabs' end values
    /// are added (`u = B_k + T(x, N)`, [`crate::residual::handover`]).
    pub fn solution(&self, theta: &[f64], points: MatRef<'_, f64>) -> Mat<f64> {
        let u = self
            .transform
            .apply(points, self.network_sum(theta, points));
        match &self.handover {
            Some(base) => u + base.values(points),
            None => u,
        }
    }
}
