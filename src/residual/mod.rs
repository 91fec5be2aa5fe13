//! Residuals: derivative channels, the pointwise residual contract, residual blocks.
//!
//! - [`channel`], [`pointwise`]: the shared contracts (channels, [`PointResidual`]).
//! - [`dual`]: dual numbers implementing `num_traits::Float`.
//! - [`generic`]: residuals written in Rust, generic over the scalar ([`Residual`]), and
//!   their adapter [`RustResidual`].
//! - [`frozen`]: the frozen stages of a multi-stage network, added before the residual.
//! - [`handover`]: the earlier slabs' end values, built into a time slab's solution.
//! - [`equations`]: Burgers, Allen–Cahn, steady Navier–Stokes (Kovasznay).
//! - [`block`]: residual blocks (PDE, Dirichlet, Neumann, initial, periodic).
//! - [`model`]: the network plus its blocks as a `LeastSquares` problem.
//! - [`adaptive`]: residual-based adaptive sampling (RAD) of a block's points.
//! - [`weights`]: residual-based attention (RBA), a weight per residual point.
//! - [`identity`]: which blocks hold whatever the network (built in by a transform).

pub mod adaptive;
pub mod block;
pub mod channel;
pub mod dual;
pub mod equations;
pub mod frozen;
pub mod generic;
pub mod handover;
pub mod identity;
mod input_cache;
pub mod model;
mod point_parts;
pub mod pointwise;
#[cfg(test)]
pub(crate) mod testing;
pub mod weights;

pub use adaptive::{AdaptiveError, Density, ExponentialPotential, PoolResiduals, Rad};
pub use block::{BlockError, BlockKind, Face, PointSet, ResidualBlock, RowGroup, Term};
pub use channel::{Channel, MultiIndex, VarSet};
pub use dual::Dual;
pub use frozen::{FrozenStage, FrozenStages};
pub use generic::{Residual, RustResidual};
pub use handover::{HandoverBase, ShiftedResidual};
pub use identity::identically_satisfied;
pub use model::{ResidualModel, ResidualModelError, SampleFn};
pub use pointwise::{PointFunction, PointResidual};
pub use weights::{Rba, WeightsError};
