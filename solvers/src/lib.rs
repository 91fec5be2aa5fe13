//! `pinn-solvers`: optimisation only. The input is a [`LeastSquares`] problem
//! (residuals, Jacobian into a caller-owned faer matrix, `J·v`, `Jᵀ·w`) or an
//! [`Objective`]; this crate never mentions PDEs.
//!
//! The loss of a least-squares problem is `L(θ) = ½‖r(θ)‖²`.
//!
//! # Layout
//! - [`driver`]: the one solve loop ([`Solver`] step-wise, [`solve`] monolithic);
//! - [`descent`]: directions (damped Gauss–Newton, truncated CG, ENGD Gramian,
//!   L-BFGS two-loop, Adam);
//! - [`control`]: damping rules (the line searches are the ENGD grid in [`driver`] and
//!   the Moré–Thuente search in [`quasi_newton`]);
//! - [`linalg`]: the augmented-system linear solvers (QR, normal Cholesky, sample
//!   space), CG and the spectral pseudo-inverse;
//! - [`config`], [`termination`], [`record`]: options, stop reasons, history and
//!   summary.
//!
//! # Cargo features
//! - `argmin` (on by default): the `pinn_solvers::argmin` module and the
//!   `impl_argmin_problem!` macro, which run our solvers inside argmin's `Executor` and
//!   make any [`LeastSquares`] problem an argmin problem. Without it
//!   (`default-features = false`) the crate does not depend on argmin.

#[cfg(feature = "argmin")]
pub mod argmin;
pub mod config;
pub mod control;
pub mod descent;
pub mod driver;
pub mod linalg;
pub mod problem;
pub mod quasi_newton;
pub mod record;
pub mod termination;
pub mod test_problems;

pub use config::{ConfigError, Method, SolverConfig};
pub use driver::{Observer, Solver, solve};
/// The faer version this crate is built on: [`LeastSquares::residuals_and_jacobian`]
/// writes into a [`faer::MatMut`], so implement it with `pinn_solvers::faer` and no
/// separate (possibly mismatched) faer dependency is needed.
pub use faer;
pub use problem::{LeastSquares, Objective, half_squared_norm};
pub use record::{IterationRecord, SolveSummary};
pub use termination::TerminationReason;
