//! Residuals: derivative channels, the pointwise residual contract, residual blocks.

pub mod channel;
pub mod pointwise;

pub use channel::{Channel, VarSet};
pub use pointwise::{PointFunction, PointResidual};
