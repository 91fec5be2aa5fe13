//! Residual blocks: a set of points, a residual kind and a weight.
//!
//! With `N_b` points in block `b` and weight `w_b`,
//!
//! ```text
//! r_b,e,i = sqrt(w_b / N_b) · F_b,e(x_i, u, ∂u, ∂²u)(θ),     L(θ) = ½ Σ_b Σ_e Σ_i r_b,e,i²
//! ```
//!
//! so `L` is the weighted mean-square loss of the PINN papers (Raissi et al. 2019,
//! eq. 4; one mean per equation `e`, all with the block's weight).
//!
//! # Row order
//! A block with `E` equations per point (3 for 2-D Navier–Stokes, `1 + d` for a periodic
//! pairing with derivatives, 1 otherwise) owns `E · N_b` consecutive rows, **equation-major**:
//! row `e · N_b + i` is equation `e` at point `i`. Each equation is then one contiguous
//! run of `N_b` rows, which is what the engine's per-point Jacobian kernel writes.
//!
//! # How kinds become seeds
//! Every equation is a [`RowGroup`]: a sum of [`Term`]s, each a [`PointResidual`] read at
//! the block's own points or at the paired points of a periodic block. Dirichlet, Neumann,
//! initial conditions and periodic pairings are small built-in residuals of one channel:
//!
//! | kind | `F` | channel | `∂F/∂c` |
//! |---|---|---|---|
//! | Dirichlet | `u_o − g(x)` | `u_o` | 1 |
//! | Neumann | `∂u_o/∂n − g(x)`, `n = ±e_axis` outward | `∂u_o/∂x_axis` | ±1 |
//! | initial value | `u_o − g(x)` at `t = t0` | `u_o` | 1 |
//! | initial velocity | `∂u_o/∂t − g(x)` at `t = t0` | `∂u_o/∂t` | 1 |
//! | periodic | `u_o(x_lo) − u_o(x_hi)` (and `∂_j u_o(x_lo) − ∂_j u_o(x_hi)`) | at both sets | +1, −1 |

use std::sync::Arc;

use faer::{Mat, MatRef};

use super::channel::Channel;
use super::pointwise::{PointFunction, PointResidual};

pub use crate::geometry::Face;

/// The sign of the outward normal `n = ±e_axis` of `face`: `+1` on the upper face.
fn normal_sign(face: Face) -> f64 {
    if face.upper { 1.0 } else { -1.0 }
}

/// What a block constrains. Outputs index the network outputs, variables the input
/// coordinates.
#[derive(Clone)]
pub enum BlockKind {
    /// One or more PDE residuals at every point (interior collocation).
    Pde {
        /// The equations, in row-group order.
        equations: Vec<Arc<dyn PointResidual>>,
    },
    /// A general boundary or initial condition given as residual formulas (for example
    /// `u − g` or a Robin condition `∂u/∂n + αu − g` written out by the problem file).
    /// `face`, if given, is checked: every point must lie on it.
    Condition {
        /// The face the points lie on, if any.
        face: Option<Face>,
        /// The residuals, in row-group order.
        equations: Vec<Arc<dyn PointResidual>>,
    },
    /// `F = u_o − g(x)` on `face`.
    Dirichlet {
        /// The network output.
        output: usize,
        /// The face the points lie on.
        face: Face,
        /// The boundary values.
        g: Arc<dyn PointFunction>,
    },
    /// `F = ∂u_o/∂n − g(x)` on `face`, `n` the outward unit normal.
    Neumann {
        /// The network output.
        output: usize,
        /// The face the points lie on (it decides the sign of the normal).
        face: Face,
        /// The prescribed normal derivative.
        g: Arc<dyn PointFunction>,
    },
    /// `F = u_o − g(x)` at `x_time = t0` (all points share one time).
    InitialValue {
        /// The network output.
        output: usize,
        /// The index of the time coordinate.
        time_var: usize,
        /// The initial values.
        g: Arc<dyn PointFunction>,
    },
    /// `F = ∂u_o/∂t − g(x)` at `x_time = t0` (all points share one time).
    InitialVelocity {
        /// The network output.
        output: usize,
        /// The index of the time coordinate.
        time_var: usize,
        /// The initial velocity.
        g: Arc<dyn PointFunction>,
    },
    /// `F = u_o(x) − u_o(x + L e_axis)` for points `x` on the lower face, and with
    /// `derivatives` also `∂u_o/∂x_j(x) − ∂u_o/∂x_j(x + L e_axis)` for every variable `j`.
    Periodic {
        /// The network output.
        output: usize,
        /// The periodic direction.
        axis: usize,
        /// The period `L = hi − lo` (the shift from the lower to the upper face).
        period: f64,
        /// Whether first derivatives are paired as well.
        derivatives: bool,
    },
}

/// Which point set a [`Term`] is evaluated at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointSet {
    /// The block's points.
    Own,
    /// The paired points (periodic blocks: the points shifted to the upper face).
    Partner,
}

/// One summand of an equation: a residual read at one of the block's point sets.
#[derive(Clone)]
pub struct Term {
    /// Where the channels are read.
    pub set: PointSet,
    /// The summand `F_t(x, c)`.
    pub residual: Arc<dyn PointResidual>,
}

/// One equation of a block: `F_i = Σ_t F_t(x_i^{set_t}, c(x_i^{set_t}))`, one row per point.
#[derive(Clone)]
pub struct RowGroup {
    /// The summands (one for every kind except periodic, which has two).
    pub terms: Vec<Term>,
}

/// Invalid block definitions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlockError {
    /// The block has no points.
    #[error("block `{block}` has no points")]
    NoPoints {
        /// The block name.
        block: String,
    },
    /// A point coordinate is NaN or infinite.
    #[error("block `{block}`: point {point} has a non-finite coordinate")]
    NonFinitePoint {
        /// The block name.
        block: String,
        /// The point index.
        point: usize,
    },
    /// The weight is negative, NaN or infinite.
    #[error("block `{block}`: weight {weight} must be finite and non-negative")]
    BadWeight {
        /// The block name.
        block: String,
        /// The weight given.
        weight: f64,
    },
    /// A PDE or condition block with no equations.
    #[error("block `{block}` has no equations")]
    NoEquations {
        /// The block name.
        block: String,
    },
    /// An axis or time variable outside `0..d`.
    #[error("block `{block}`: variable {var} is out of range for {dim}-dimensional points")]
    VariableOutOfRange {
        /// The block name.
        block: String,
        /// The variable index.
        var: usize,
        /// The point dimension.
        dim: usize,
    },
    /// A residual reads a channel with a variable outside `0..d`.
    #[error("block `{block}`: channel {channel:?} reads a variable outside 0..{dim}")]
    ChannelOutOfRange {
        /// The block name.
        block: String,
        /// The offending channel.
        channel: Channel,
        /// The point dimension.
        dim: usize,
    },
    /// Points of a face or initial block do not share the face's coordinate.
    #[error("block `{block}`: point {point} has x[{var}] = {found}, not {expected} like point 0")]
    PointsOffFace {
        /// The block name.
        block: String,
        /// The point index.
        point: usize,
        /// The coordinate that should be constant.
        var: usize,
        /// The value at point 0.
        expected: f64,
        /// The value at `point`.
        found: f64,
    },
    /// A periodic block with a zero or non-finite period.
    #[error("block `{block}`: period {period} must be finite and non-zero")]
    BadPeriod {
        /// The block name.
        block: String,
        /// The period given.
        period: f64,
    },
    /// New points for [`ResidualBlock::set_points`] have a different shape.
    #[error("block `{block}`: new points are {found:?}, expected {expected:?} (N × d)")]
    ShapeChanged {
        /// The block name.
        block: String,
        /// The current shape.
        expected: (usize, usize),
        /// The shape given.
        found: (usize, usize),
    },
}

/// A residual block: `name`, points (`N_b × d`), kind and weight `w_b`.
#[derive(Clone)]
pub struct ResidualBlock {
    name: String,
    points: Mat<f64>,
    partner: Option<Mat<f64>>,
    kind: BlockKind,
    weight: f64,
    groups: Vec<RowGroup>,
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

impl ResidualBlock {
    /// Builds and validates a block (see [`BlockError`] for what is checked).
    pub fn new(
        name: impl Into<String>,
        points: Mat<f64>,
        kind: BlockKind,
        weight: f64,
    ) -> Result<Self, BlockError> {
        let name = name.into();
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(BlockError::BadWeight {
                block: name,
                weight,
            });
        }
        let groups = Self::row_groups_of(&name, &kind, points.ncols())?;
        let mut block = ResidualBlock {
            name,
            points: Mat::zeros(0, 0),
            partner: None,
            kind,
            weight,
            groups,
        };
        block.install_points(points)?;
        Ok(block)
    }

    /// The block name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The points `x_i` (`N_b × d`).
    pub fn points(&self) -> MatRef<'_, f64> {
        self.points.as_ref()
    }
    /// The paired points of a periodic block (`x_i + L e_axis`), else `None`.
    pub fn partner_points(&self) -> Option<MatRef<'_, f64>> {
        self.partner.as_ref().map(|p| p.as_ref())
    }
    /// The points a term of this block is read at.
    pub fn points_of(&self, set: PointSet) -> MatRef<'_, f64> {
        match set {
            PointSet::Own => self.points(),
            PointSet::Partner => self
                .partner_points()
                .expect("only periodic blocks have partner points"),
        }
    }
    /// The kind.
    pub fn kind(&self) -> &BlockKind {
        &self.kind
    }
    /// The weight `w_b`.
    pub fn weight(&self) -> f64 {
        self.weight
    }
    /// `N_b`, the number of points.
    pub fn n_points(&self) -> usize {
        self.points.nrows()
    }
    /// `d`, the point dimension.
    pub fn dim(&self) -> usize {
        self.points.ncols()
    }
    /// The equations, in row order (see the module docs for the row layout).
    pub fn row_groups(&self) -> &[RowGroup] {
        &self.groups
    }
    /// `E · N_b`, the number of residual rows.
    pub fn n_rows(&self) -> usize {
        self.groups.len() * self.n_points()
    }
    /// `sqrt(w_b / N_b)`, the factor every residual of the block is multiplied by.
    pub fn scale(&self) -> f64 {
        (self.weight / self.n_points() as f64).sqrt()
    }
    /// Every channel any term reads (with repeats), for checking against the network.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.groups
            .iter()
            .flat_map(|g| g.terms.iter())
            .flat_map(|t| t.residual.channels().iter())
    }

    /// The block with every term's residual replaced by `f(residual)` (same points,
    /// rows and weight), e.g. read through an output transform.
    pub fn map_residuals<E>(
        mut self,
        mut f: impl FnMut(&Arc<dyn PointResidual>) -> Result<Arc<dyn PointResidual>, E>,
    ) -> Result<Self, E> {
        for term in self.groups.iter_mut().flat_map(|g| g.terms.iter_mut()) {
            term.residual = f(&term.residual)?;
        }
        Ok(self)
    }

    /// Replaces the points (for resampling). The shape must stay `N_b × d`, so that the
    /// number of residuals is constant; the new points are validated like in
    /// [`Self::new`].
    pub fn set_points(&mut self, points: Mat<f64>) -> Result<(), BlockError> {
        let expected = (self.points.nrows(), self.points.ncols());
        let found = (points.nrows(), points.ncols());
        if expected != found {
            return Err(BlockError::ShapeChanged {
                block: self.name.clone(),
                expected,
                found,
            });
        }
        self.install_points(points)
    }

    /// Validates `points` against the kind and stores them (and the periodic partners).
    fn install_points(&mut self, points: Mat<f64>) -> Result<(), BlockError> {
        let block = || self.name.clone();
        if points.nrows() == 0 {
            return Err(BlockError::NoPoints { block: block() });
        }
        for i in 0..points.nrows() {
            if (0..points.ncols()).any(|j| !points[(i, j)].is_finite()) {
                return Err(BlockError::NonFinitePoint {
                    block: block(),
                    point: i,
                });
            }
        }
        let constant_var = match self.kind {
            BlockKind::Dirichlet { face, .. } | BlockKind::Neumann { face, .. } => Some(face.axis),
            BlockKind::Condition { face, .. } => face.map(|f| f.axis),
            BlockKind::InitialValue { time_var, .. }
            | BlockKind::InitialVelocity { time_var, .. } => Some(time_var),
            BlockKind::Periodic { axis, .. } => Some(axis),
            BlockKind::Pde { .. } => None,
        };
        if let Some(var) = constant_var {
            let expected = points[(0, var)];
            let tol = 1e-12 * expected.abs().max(1.0);
            for i in 1..points.nrows() {
                let found = points[(i, var)];
                if (found - expected).abs() > tol {
                    return Err(BlockError::PointsOffFace {
                        block: block(),
                        point: i,
                        var,
                        expected,
                        found,
                    });
                }
            }
        }
        self.partner = match self.kind {
            BlockKind::Periodic { axis, period, .. } => {
                let mut p = points.clone();
                for i in 0..p.nrows() {
                    p[(i, axis)] += period;
                }
                Some(p)
            }
            _ => None,
        };
        self.points = points;
        Ok(())
    }

    /// The row groups of `kind` for `d`-dimensional points, validating indices.
    fn row_groups_of(name: &str, kind: &BlockKind, d: usize) -> Result<Vec<RowGroup>, BlockError> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// An analytic stand-in for the network: outputs `u_0 = sin(x0) e^{x1}` and
    /// `u_1 = x0² x1`, with exact channel values.
    fn oracle(x: &[f64], ch: &Channel) -> f64 {
        let (a, b) = (x[0], x[1]);
        match *ch {
            Channel::Value { output: 0 } => a.sin() * b.exp(),
            Channel::Value { output: 1 } => a * a * b,
            Channel::First { output: 0, var: 0 } => a.cos() * b.exp(),
            Channel::First { output: 0, var: 1 } => a.sin() * b.exp(),
            Channel::First { output: 1, var: 0 } => 2.0 * a * b,
            Channel::First { output: 1, var: 1 } => a * a,
            Channel::Second {
                output: 0,
                a: 0,
                b: 0,
            } => -a.sin() * b.exp(),
            _ => unreachable!("channel {ch:?} not in the oracle"),
        }
    }

    /// Unscaled residual rows and `∂F/∂c` of every term, evaluated with the oracle,
    /// equation-major. Returns rows and per-row lists of (term, partials).
    fn rows(block: &ResidualBlock) -> (Vec<f64>, Vec<Vec<Vec<f64>>>) {
        let mut out = Vec::new();
        let mut partials = Vec::new();
        for g in block.row_groups() {
            for i in 0..block.n_points() {
                let mut f = 0.0;
                let mut per_term = Vec::new();
                for t in &g.terms {
                    let pts = block.points_of(t.set);
                    let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
                    let c: Vec<f64> = t
                        .residual
                        .channels()
                        .iter()
                        .map(|ch| oracle(&x, ch))
                        .collect();
                    let mut a = vec![0.0; c.len()];
                    f += t.residual.eval(&x, &c, &mut a);
                    per_term.push(a);
                }
                out.push(f);
                partials.push(per_term);
            }
        }
        (out, partials)
    }

    fn face_points(axis: usize, value: f64) -> Mat<f64> {
        Mat::from_fn(4, 2, |i, j| {
            if j == axis {
                value
            } else {
                0.1 + 0.2 * i as f64
            }
        })
    }

    fn g() -> Arc<dyn PointFunction> {
        Arc::new(|x: &[f64]| 0.5 * x[0] - x[1])
    }

    #[test]
    fn dirichlet_is_value_minus_g() {
        let pts = face_points(1, 0.0);
        let b = ResidualBlock::new(
            "d",
            pts.clone(),
            BlockKind::Dirichlet {
                output: 1,
                face: Face {
                    axis: 1,
                    upper: false,
                },
                g: g(),
            },
            2.0,
        )
        .unwrap();
        let (r, a) = rows(&b);
        assert_eq!(b.n_rows(), 4);
        assert_eq!(b.scale(), (2.0f64 / 4.0).sqrt());
        for i in 0..4 {
            let x = [pts[(i, 0)], pts[(i, 1)]];
            assert_eq!(r[i], x[0] * x[0] * x[1] - (0.5 * x[0] - x[1]));
            assert_eq!(a[i], vec![vec![1.0]]);
        }
    }

    #[test]
    fn neumann_uses_the_outward_normal_on_each_side() {
        for (axis, upper) in [(0, false), (0, true), (1, false), (1, true)] {
            let face = Face { axis, upper };
            let pts = face_points(axis, if upper { 1.0 } else { -1.0 });
            let b = ResidualBlock::new(
                "n",
                pts.clone(),
                BlockKind::Neumann {
                    output: 0,
                    face,
                    g: g(),
                },
                1.0,
            )
            .unwrap();
            let (r, a) = rows(&b);
            let sign = if upper { 1.0 } else { -1.0 };
            for i in 0..4 {
                let x = [pts[(i, 0)], pts[(i, 1)]];
                let du = oracle(
                    &x,
                    &Channel::First {
                        output: 0,
                        var: axis,
                    },
                );
                assert_eq!(r[i], sign * du - (0.5 * x[0] - x[1]), "{face:?}");
                assert_eq!(a[i], vec![vec![sign]]);
            }
        }
    }

    #[test]
    fn initial_value_and_velocity() {
        let pts = face_points(1, 0.0);
        let iv = ResidualBlock::new(
            "iv",
            pts.clone(),
            BlockKind::InitialValue {
                output: 0,
                time_var: 1,
                g: g(),
            },
            1.0,
        )
        .unwrap();
        let vel = ResidualBlock::new(
            "ivel",
            pts.clone(),
            BlockKind::InitialVelocity {
                output: 0,
                time_var: 1,
                g: g(),
            },
            1.0,
        )
        .unwrap();
        let (r0, a0) = rows(&iv);
        let (r1, a1) = rows(&vel);
        for i in 0..4 {
            let x = [pts[(i, 0)], pts[(i, 1)]];
            let gx = 0.5 * x[0] - x[1];
            assert_eq!(r0[i], x[0].sin() * x[1].exp() - gx);
            assert_eq!(r1[i], x[0].sin() * x[1].exp() - gx); // ∂_t (sin x e^t) = sin x e^t
            assert_eq!(a0[i], vec![vec![1.0]]);
            assert_eq!(a1[i], vec![vec![1.0]]);
        }
        assert_eq!(
            vel.row_groups()[0].terms[0].residual.channels(),
            &[Channel::First { output: 0, var: 1 }]
        );
    }

    #[test]
    fn periodic_pairs_values_and_derivatives() {
        let pts = face_points(0, -1.0);
        let kind = |derivatives| BlockKind::Periodic {
            output: 0,
            axis: 0,
            period: 2.0,
            derivatives,
        };
        let plain = ResidualBlock::new("p", pts.clone(), kind(false), 1.0).unwrap();
        let full = ResidualBlock::new("pd", pts.clone(), kind(true), 3.0).unwrap();
        assert_eq!(plain.n_rows(), 4);
        assert_eq!(full.n_rows(), 12);
        let partner = full.partner_points().unwrap();
        for i in 0..4 {
            assert_eq!(partner[(i, 0)], 1.0);
            assert_eq!(partner[(i, 1)], pts[(i, 1)]);
        }
        let (r, a) = rows(&full);
        // rows: value (0..4), ∂/∂x0 (4..8), ∂/∂x1 (8..12)
        for i in 0..4 {
            let y = pts[(i, 1)];
            let e = y.exp();
            assert_eq!(r[i], (-1f64).sin() * e - 1f64.sin() * e);
            assert_eq!(r[4 + i], (-1f64).cos() * e - 1f64.cos() * e);
            assert_eq!(r[8 + i], (-1f64).sin() * e - 1f64.sin() * e);
            for row in [i, 4 + i, 8 + i] {
                assert_eq!(a[row], vec![vec![1.0], vec![-1.0]]);
            }
        }
        assert_eq!(rows(&plain).0, r[..4].to_vec());
    }

    #[test]
    fn pde_blocks_keep_equation_order() {
        use crate::residual::equations::{Burgers, SteadyNavierStokes2d};
        use crate::residual::generic::RustResidual;
        let pts = Mat::from_fn(5, 2, |i, j| 0.1 * (i + j) as f64);
        let ns = ResidualBlock::new(
            "ns",
            pts.clone(),
            BlockKind::Pde {
                equations: SteadyNavierStokes2d::system(40.0),
            },
            1.0,
        )
        .unwrap();
        assert_eq!(ns.n_rows(), 15);
        assert_eq!(ns.row_groups()[2].terms[0].residual.channels().len(), 2);
        let burgers: Arc<dyn PointResidual> = Arc::new(RustResidual::new(Burgers::new(0.01 / PI)));
        let b = ResidualBlock::new(
            "b",
            pts,
            BlockKind::Pde {
                equations: vec![burgers],
            },
            1.0,
        )
        .unwrap();
        let (r, _) = rows(&b);
        for (i, ri) in r.iter().enumerate() {
            let x = [0.1 * i as f64, 0.1 * (i + 1) as f64];
            let u = x[0].sin() * x[1].exp();
            let expect = u + u * x[0].cos() * x[1].exp() + 0.01 / PI * u;
            assert!((ri - expect).abs() < 1e-15, "row {i}");
        }
    }

    #[test]
    fn invalid_blocks_are_typed_errors() {
        let pts = face_points(1, 0.0);
        let dir = |face| BlockKind::Dirichlet {
            output: 0,
            face,
            g: g(),
        };
        assert!(matches!(
            ResidualBlock::new(
                "w",
                pts.clone(),
                dir(Face {
                    axis: 1,
                    upper: false
                }),
                -1.0
            ),
            Err(BlockError::BadWeight { .. })
        ));
        assert!(matches!(
            ResidualBlock::new(
                "w",
                pts.clone(),
                dir(Face {
                    axis: 1,
                    upper: false
                }),
                f64::NAN
            ),
            Err(BlockError::BadWeight { .. })
        ));
        assert!(matches!(
            ResidualBlock::new(
                "e",
                Mat::zeros(0, 2),
                dir(Face {
                    axis: 1,
                    upper: false
                }),
                1.0
            ),
            Err(BlockError::NoPoints { .. })
        ));
        assert!(matches!(
            ResidualBlock::new(
                "axis",
                pts.clone(),
                dir(Face {
                    axis: 2,
                    upper: false
                }),
                1.0
            ),
            Err(BlockError::VariableOutOfRange { var: 2, dim: 2, .. })
        ));
        // points on x1 = 0 are not on a face x0 = const
        assert!(matches!(
            ResidualBlock::new(
                "off",
                pts.clone(),
                dir(Face {
                    axis: 0,
                    upper: false
                }),
                1.0
            ),
            Err(BlockError::PointsOffFace {
                var: 0,
                point: 1,
                ..
            })
        ));
        assert!(matches!(
            ResidualBlock::new(
                "pde",
                pts.clone(),
                BlockKind::Pde { equations: vec![] },
                1.0
            ),
            Err(BlockError::NoEquations { .. })
        ));
        let wide: Arc<dyn PointResidual> = Arc::new(crate::residual::generic::RustResidual::new(
            crate::residual::equations::Burgers {
                nu: 0.1,
                x_var: 2,
                t_var: 1,
            },
        ));
        assert!(matches!(
            ResidualBlock::new(
                "ch",
                pts.clone(),
                BlockKind::Pde {
                    equations: vec![wide]
                },
                1.0
            ),
            Err(BlockError::ChannelOutOfRange { dim: 2, .. })
        ));
        assert!(matches!(
            ResidualBlock::new(
                "per",
                pts.clone(),
                BlockKind::Periodic {
                    output: 0,
                    axis: 1,
                    period: 0.0,
                    derivatives: false
                },
                1.0
            ),
            Err(BlockError::BadPeriod { .. })
        ));
        let mut nan = pts.clone();
        nan[(2, 0)] = f64::NAN;
        assert!(matches!(
            ResidualBlock::new(
                "nan",
                nan,
                dir(Face {
                    axis: 1,
                    upper: false
                }),
                1.0
            ),
            Err(BlockError::NonFinitePoint { point: 2, .. })
        ));
        let mut b = ResidualBlock::new(
            "ok",
            pts.clone(),
            dir(Face {
                axis: 1,
                upper: false,
            }),
            1.0,
        )
        .unwrap();
        assert!(matches!(
            b.set_points(Mat::zeros(3, 2)),
            Err(BlockError::ShapeChanged { .. })
        ));
        assert!(b.set_points(face_points(1, 0.0)).is_ok());
    }
}
