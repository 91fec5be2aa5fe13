//! The network `u_θ`: a multilayer perceptron, its parameter layout and initialisation,
//! forward-mode Taylor jets in `x`, and the exact parameter Jacobian of its channels.
//!
//! - [`Activation`]: smooth activations with their derivatives up to `σ^(5)`.
//! - [`Mlp`]: layer sizes, the flat θ layout (documented in [`mlp`]), seeded [`Init`]s,
//!   channel values, `J·v`, `Jᵀ·w`, and the kernel
//!   [`Mlp::residuals_and_jacobian`] that computes `r` and the exact `J` together.
//!
//! How: forward-mode Taylor jets batched over points (one matrix product per layer over
//! all points and derivative slots, [`jets`]), and a tape-free reverse sweep over that
//! fixed computation for the Jacobian rows ([`kernel`]).

pub mod activation;
pub(crate) mod higher;
pub mod init;
pub(crate) mod jets;
pub(crate) mod kernel;
pub mod mlp;
pub(crate) mod plan;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_higher;

pub use activation::Activation;
pub use init::Init;
pub use mlp::{Mlp, Seed};

/// Invalid network or initialisation settings (from a configuration file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A network needs an input and an output size.
    #[error("an MLP needs at least two layer sizes (input and output), got {0}")]
    TooFewLayers(usize),
    /// Every layer needs at least one unit.
    #[error("layer {0} has size 0")]
    EmptyLayer(usize),
    /// Derivative channels address at most 32 input variables.
    #[error("at most 32 inputs are supported, got {0}")]
    TooManyInputs(usize),
    /// `Init::Normal` needs a finite, non-negative standard deviation.
    #[error("the initialisation std must be finite and ≥ 0, got {0}")]
    BadStd(f64),
}
