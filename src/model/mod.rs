//! The network `u_θ`: a multilayer perceptron, its parameter layout and initialisation,
//! forward-mode Taylor jets in `x`, and the exact parameter Jacobian of its channels.
//!
//! - [`Activation`]: smooth activations with their derivatives up to `σ^(5)`.
//! - [`Embedding`]: a fixed input map `φ` in front of the first layer (exactly periodic
//!   features, random Fourier features, [`embedding`]).
//! - [`InputJets`]: the embedded input jets of a fixed point set, stored once per set and
//!   read back by every evaluation at those points ([`input_jets`]).
//! - [`Mlp`]: layer sizes, the flat θ layout (documented in [`mlp`]), seeded [`Init`]s,
//!   channel values, `J·v`, `Jᵀ·w`, and the kernel
//!   [`Mlp::residuals_and_jacobian`] that computes `r` and the exact `J` together.
//!
//! How: forward-mode Taylor jets batched over points (one matrix product per layer over
//! all points and derivative slots, [`jets`]), and a tape-free reverse sweep over that
//! fixed computation for the Jacobian rows ([`kernel`]) and for `Jᵀ·w` with or without
//! the residuals ([`gradient`]).

pub mod activation;
pub mod embedding;
#[cfg(test)]
mod embedding_tests;
pub(crate) mod gradient;
#[cfg(test)]
pub(crate) mod gradient_tests;
pub(crate) mod higher;
pub mod init;
pub mod input_jets;
pub(crate) mod jets;
pub(crate) mod kernel;
pub mod mlp;
pub(crate) mod plan;
pub(crate) mod symmetric;
#[cfg(test)]
mod symmetric_tests;
pub(crate) mod value_jets;
#[macro_use]
pub(crate) mod simd;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_higher;

pub use activation::Activation;
pub use embedding::{Embedding, FourierFeatures, Periodic, Reflection};
pub use init::Init;
pub use input_jets::{InputJets, Inputs};
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
    /// An embedding names a variable the network does not have.
    #[error("the embedding names variable {var}, but the network has {d} inputs")]
    UnknownEmbeddedVariable { var: usize, d: usize },
    /// A variable is embedded twice.
    #[error("variable {0} is embedded twice")]
    DuplicateEmbeddedVariable(usize),
    /// A period must be finite and positive.
    #[error("a period must be finite and > 0, got {0}")]
    BadPeriod(f64),
    /// Periodic features need at least one harmonic.
    #[error("the periodic features of variable {0} need at least one harmonic")]
    NoHarmonics(usize),
    /// Fourier features need at least one frequency.
    #[error("Fourier features need a count of at least 1")]
    NoFourierFeatures,
    /// The Fourier scale σ must be finite and positive.
    #[error("the Fourier feature scale must be finite and > 0, got {0}")]
    BadFourierScale(f64),
    /// At most [`embedding::Reflection::MAX`] reflections.
    #[error("at most 3 reflection symmetries are supported, got {0}")]
    TooManyReflections(usize),
    /// A variable is reflected twice.
    #[error("variable {0} has two reflection symmetries")]
    DuplicateReflection(usize),
    /// A reflection's center must be finite.
    #[error("a reflection center must be finite, got {0}")]
    BadReflectionCenter(f64),
    /// The embedding's input dimension differs from the network's.
    #[error("the embedding takes {embedding} variables, but the network has {layers} inputs")]
    EmbeddingInputs { embedding: usize, layers: usize },
}
