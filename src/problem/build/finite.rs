//! Every formula of a problem must be finite where it is used, checked once when the
//! problem is built.

use faer::Mat;
use toml::Spanned;

use super::Builder;
use crate::expr::CompiledFunction;
use crate::problem::error::InputError;
use crate::problem::sampling::BlockSampling;
use crate::problem::spec::ProblemSpec;
use crate::residual::PointFunction;
use crate::residual::block::ResidualBlock;

impl Builder<'_> {
    /// Every formula must be finite where it is used: a source that is NaN or infinite at
    /// a collocation point would poison the loss at the first iteration. Equations are
    /// evaluated with every channel set to 1 (their source terms alone are not
    /// separable); values and exact solutions at their points.
    pub(super) fn check_finite(
        &self,
        spec: &ProblemSpec,
        blocks: &[ResidualBlock],
        sampling: &[BlockSampling],
        exact: Option<&[CompiledFunction]>,
        evaluation: &Mat<f64>,
    ) -> Result<(), InputError> {
        let _ = sampling;
        // Map built blocks back to their spec entries by name prefix (Neumann splits).
        for block in blocks {
            let spec_block = spec
                .blocks
                .iter()
                .find(|b| {
                    block.name() == b.get_ref().name.get_ref()
                        || block
                            .name()
                            .starts_with(&format!("{}_", b.get_ref().name.get_ref()))
                })
                .expect("every block comes from a spec entry");
            let pts = block.points();
            for group in block.row_groups() {
                for term in &group.terms {
                    let r = &term.residual;
                    let c = vec![1.0; r.channels().len()];
                    let mut dfdc = vec![0.0; c.len()];
                    for i in 0..pts.nrows() {
                        let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
                        let f = r.eval(&x, &c, &mut dfdc);
                        if !f.is_finite() || dfdc.iter().any(|v| !v.is_finite()) {
                            let b = spec_block.get_ref();
                            let span = b
                                .equation
                                .as_ref()
                                .or(b.value.as_ref())
                                .map_or(spec_block.span(), Spanned::span);
                            return Err(self.err(
                                span,
                                format!(
                                    "block `{}`: the residual is not finite ({f}) at point {} = {x:?}, \
                                     evaluated with the {} output value(s) and derivative(s) it reads \
                                     all set to 1 (u = 1, u_x = 1, …: the check assumes this network \
                                     output because a source term cannot be evaluated apart from the \
                                     terms in u)",
                                    block.name(),
                                    i + 1,
                                    c.len()
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(exact) = exact {
            for (k, g) in exact.iter().enumerate() {
                for i in 0..evaluation.nrows() {
                    let x: Vec<f64> = (0..evaluation.ncols())
                        .map(|j| evaluation[(i, j)])
                        .collect();
                    let v = g.eval(&x);
                    if !v.is_finite() {
                        let (key, val) = spec.exact.iter().nth(k).expect("one entry per output");
                        let _ = key;
                        return Err(self.err(val.span(), format!("the exact solution is not finite ({v}) at evaluation point {} = {x:?}", i + 1)));
                    }
                }
            }
        }
        Ok(())
    }
}
