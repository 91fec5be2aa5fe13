//! `pinn-solvers`: optimisation only. The input is a [`LeastSquares`] problem
//! (residuals, Jacobian into a caller-owned faer matrix, `J·v`, `Jᵀ·w`) or an
//! [`Objective`]; this crate never mentions PDEs.
//!
//! The loss of a least-squares problem is `L(θ) = ½‖r(θ)‖²`.

pub mod problem;
pub mod quasi_newton;
pub mod test_problems;

pub use problem::{LeastSquares, Objective, half_squared_norm};
