//! The row groups each block kind becomes: PDE and condition blocks read their own
//! residuals, the built-in kinds (Dirichlet, Neumann, initial, periodic) are one-channel
//! residuals `F = ±c − g(x)` (the table in the parent module's docs).

use std::sync::Arc;

use super::{BlockError, BlockKind, PointSet, RowGroup, Term};
use crate::geometry::Face;
use crate::residual::channel::Channel;
use crate::residual::pointwise::{PointFunction, PointResidual};

/// The sign of the outward normal `n = ±e_axis` of `face`: `+1` on the upper face.
fn normal_sign(face: Face) -> f64 {
    if face.upper { 1.0 } else { -1.0 }
}

/// The built-in one-channel residual `F = sign · c − g(x)` behind Dirichlet, Neumann,
/// initial and periodic blocks; `∂F/∂c = sign`.
struct SignedChannel {
    channel: [Channel; 1],
    sign: f64,
    g: Option<Arc<dyn PointFunction>>,
}

impl PointResidual for SignedChannel {
    fn channels(&self) -> &[Channel] {
        &self.channel
    }
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        dfdc[0] = self.sign;
        self.value(x, c)
    }
    fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        let g = self.g.as_ref().map_or(0.0, |g| g.eval(x));
        self.sign * c[0] - g
    }
}

fn signed(
    channel: Channel,
    sign: f64,
    g: Option<Arc<dyn PointFunction>>,
) -> Arc<dyn PointResidual> {
    Arc::new(SignedChannel {
        channel: [channel],
        sign,
        g,
    })
}

fn single(set: PointSet, residual: Arc<dyn PointResidual>) -> RowGroup {
    RowGroup {
        terms: vec![Term { set, residual }],
    }
}

/// Whether every variable `channel` reads is below `d`.
fn channel_fits(channel: &Channel, d: usize) -> bool {
    match *channel {
        Channel::Value { .. } => true,
        Channel::First { var, .. } => var < d,
        Channel::Second { a, b, .. } => a < d && b < d,
        Channel::Laplacian { vars, .. } => vars.0 != 0 && vars.iter().all(|v| v < d),
        Channel::Higher { vars, .. } => vars.iter().all(|v| v < d),
    }
}

/// The row groups of `kind` for `d`-dimensional points, validating indices.
pub(super) fn row_groups(
    name: &str,
    kind: &BlockKind,
    d: usize,
) -> Result<Vec<RowGroup>, BlockError> {
    let var_ok = |var: usize| {
        if var < d {
            Ok(())
        } else {
            Err(BlockError::VariableOutOfRange {
                block: name.to_string(),
                var,
                dim: d,
            })
        }
    };
    let groups = match kind {
        BlockKind::Pde { equations } | BlockKind::Condition { equations, .. } => {
            if let BlockKind::Condition {
                face: Some(face), ..
            } = kind
            {
                var_ok(face.axis)?;
            }
            if equations.is_empty() {
                return Err(BlockError::NoEquations {
                    block: name.to_string(),
                });
            }
            for eq in equations {
                if let Some(channel) = eq.channels().iter().find(|c| !channel_fits(c, d)) {
                    return Err(BlockError::ChannelOutOfRange {
                        block: name.to_string(),
                        channel: *channel,
                        dim: d,
                    });
                }
            }
            equations
                .iter()
                .map(|eq| single(PointSet::Own, eq.clone()))
                .collect()
        }
        BlockKind::Dirichlet { output, face, g } => {
            var_ok(face.axis)?;
            vec![single(
                PointSet::Own,
                signed(Channel::Value { output: *output }, 1.0, Some(g.clone())),
            )]
        }
        BlockKind::Neumann { output, face, g } => {
            var_ok(face.axis)?;
            let ch = Channel::First {
                output: *output,
                var: face.axis,
            };
            vec![single(
                PointSet::Own,
                signed(ch, normal_sign(*face), Some(g.clone())),
            )]
        }
        BlockKind::InitialValue {
            output,
            time_var,
            g,
        } => {
            var_ok(*time_var)?;
            vec![single(
                PointSet::Own,
                signed(Channel::Value { output: *output }, 1.0, Some(g.clone())),
            )]
        }
        BlockKind::InitialVelocity {
            output,
            time_var,
            g,
        } => {
            var_ok(*time_var)?;
            let ch = Channel::First {
                output: *output,
                var: *time_var,
            };
            vec![single(PointSet::Own, signed(ch, 1.0, Some(g.clone())))]
        }
        BlockKind::Periodic {
            output,
            axis,
            period,
            derivatives,
        } => {
            var_ok(*axis)?;
            if !(period.is_finite() && *period != 0.0) {
                return Err(BlockError::BadPeriod {
                    block: name.to_string(),
                    period: *period,
                });
            }
            let pair = |ch: Channel| RowGroup {
                terms: vec![
                    Term {
                        set: PointSet::Own,
                        residual: signed(ch, 1.0, None),
                    },
                    Term {
                        set: PointSet::Partner,
                        residual: signed(ch, -1.0, None),
                    },
                ],
            };
            let mut groups = vec![pair(Channel::Value { output: *output })];
            if *derivatives {
                groups.extend((0..d).map(|var| {
                    pair(Channel::First {
                        output: *output,
                        var,
                    })
                }));
            }
            groups
        }
    };
    Ok(groups)
}
