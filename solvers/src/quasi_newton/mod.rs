//! Quasi-Newton and first-order components: the L-BFGS two-loop recursion with
//! curvature safeguards, a strong Wolfe line search, and the Adam update.

pub mod strong_wolfe;

pub use strong_wolfe::{
    LineSearchError, LineSearchResult, MoreThuente, Next, StrongWolfeParams, Trial,
};
pub mod two_loop;
pub use two_loop::{CurvatureSafeguard, LbfgsMemory, PairOutcome};
pub mod adam;
pub use adam::{Adam, AdamError, AdamParams, Schedule};
pub mod lbfgs;
pub use lbfgs::{LbfgsError, LbfgsOptions, LbfgsReport, LbfgsStop, minimize};
