//! `pinn-solvers`: optimisation only. The input is a [`LeastSquares`] problem
//! (residuals, Jacobian into a caller-owned faer matrix, `J·v`, `Jᵀ·w`) or an
//! [`Objective`]; this crate never mentions PDEs.
//!
//! The loss of a least-squares problem is `L(θ) = ½‖r(θ)‖²`.
//!
//! # Layout
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
//! - [`config`], [`termination`], [`record`]: options, stop reasons, history and
//!   summary.

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
pub use problem::{LeastSquares, Objective, half_squared_norm};
pub use record::{IterationRecord, SolveSummary};
pub use state::{SolverState, StateError};
pub use termination::TerminationReason;
