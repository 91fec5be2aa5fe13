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
//!
//! The block's error type is in the `error` module, the row groups each kind becomes in
//! `kinds`.

mod error;
mod kinds;

use std::sync::Arc;

use faer::{Mat, MatRef};

use super::channel::Channel;
use super::pointwise::{PointFunction, PointResidual};

pub use crate::geometry::Face;
pub use error::BlockError;

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
        let groups = kinds::row_groups(&name, &kind, points.ncols())?;
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
}

#[cfg(test)]
mod tests;
