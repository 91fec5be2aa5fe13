//! Quasi-Newton and first-order components, independent of the solve loop:
//!
//! - [`strong_wolfe`]: the Moré–Thuente (1994) strong Wolfe line search on a 1-D
//!   function `φ(α) = f(θ + α d)`, driven by a closure ([`MoreThuente::search`]) or by
//!   reverse communication ([`MoreThuente::start`] / [`MoreThuente::advance`]) so that
//!   a loop can evaluate and record every trial itself.
//! - [`two_loop`]: L-BFGS memory of `m` pairs `(s, y)` in a ring buffer, the two-loop
//!   recursion `H·g` with `γ = sᵀy/yᵀy`, and curvature safeguards (skip, or
//!   Goldfarb–Ren–Bahamou double damping).
//! - [`adam`]: Adam (Kingma & Ba 2015) with bias correction and a learning-rate
//!   schedule.
//! - [`lbfgs`]: a reference L-BFGS driver composing the first two on an
//!   [`Objective`](crate::Objective); the shared solve loop's L-BFGS preset can be
//!   cross-checked against it.
//!
//! # Wiring L-BFGS into a descent/step-control loop
//! Per accepted iterate `θ` with gradient `g`: `memory.apply_inverse_hessian(g, d)`,
//! negate `d`; if `gᵀd ≥ 0` reset the memory and take `d = −g`. Start the search with
//! `start(f, gᵀd, α₀)` (`α₀ = 1`, or `min(1, 1/‖g‖)` when the memory is empty); each
//! trial `α` is evaluated as `f(θ + αd)`, `∇f(θ + αd)ᵀd` and passed to `advance`. On
//! `Done`, push `s = α d`, `y = ∇f⁺ − g` into the memory.

pub mod adam;
pub mod lbfgs;
pub mod strong_wolfe;
pub mod two_loop;

pub use adam::{Adam, AdamError, AdamParams, Schedule};
pub use lbfgs::{LbfgsError, LbfgsOptions, LbfgsReport, LbfgsStop, minimize};
pub use strong_wolfe::{
    LineSearchError, LineSearchResult, MoreThuente, Next, StrongWolfeParams, Trial,
};
pub use two_loop::{CurvatureSafeguard, LbfgsMemory, PairOutcome};
