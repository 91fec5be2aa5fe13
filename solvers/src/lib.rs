#![doc = include_str!("../README.md")]
//!
//! ## Layout
//! - [`driver`]: the one solve loop ([`Solver`] step-wise, [`solve`] monolithic);
//! - [`descent`]: directions (damped Gauss–Newton, truncated CG, ENGD Gramian,
//!   L-BFGS two-loop, Adam) behind the [`descent::Descent`] trait;
//! - [`control`]: step controls (reduction-ratio damping, ENGD's log grid, the strong
//!   Wolfe line search, always-accept) behind the [`control::StepControl`] trait;
//! - [`presets`]: each method as a pairing of a descent, a step control and a linear
//!   solver;
//! - [`state`]: the solver state as one serialisable value, for save and resume;
//! - [`linalg`]: the augmented-system linear solvers (QR, normal Cholesky, sample
//!   space), CG and the spectral pseudo-inverse;
//! - [`problem`]: the inputs, [`LeastSquares`] and [`Objective`]; the loss of a
//!   least-squares problem is `L(θ) = ½‖r(θ)‖²`;
//! - [`config`], [`termination`], [`record`]: options, stop reasons, history and
//!   summary;
//! - [`test_problems`]: NIST StRD nonlinear regression and Moré–Garbow–Hillstrom, with
//!   their certified or known solutions;
//! - `argmin` (feature `argmin`): the argmin adapter and `impl_argmin_problem!`.

#[cfg(feature = "argmin")]
pub mod argmin;
pub mod config;
pub mod control;
pub mod descent;
pub mod driver;
pub mod linalg;
pub mod presets;
pub mod problem;
pub mod record;
pub mod state;
pub mod termination;
pub mod test_problems;
mod trial;

pub use config::{ConfigError, Method, SolverConfig};
pub use driver::{Observer, Solver, solve};
/// The faer version this crate is built on: [`LeastSquares::residuals_and_jacobian`]
/// writes into a [`faer::MatMut`], so implement it with `pinn_solvers::faer` and no
/// separate (possibly mismatched) faer dependency is needed.
pub use faer;
pub use problem::{LeastSquares, Objective, half_squared_norm};
pub use record::{IterationRecord, SolveSummary};
pub use state::{SolverState, StateError};
pub use termination::TerminationReason;
