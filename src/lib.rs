//! `pinn`: physics-informed neural networks trained to high precision with
//! second-order solvers, in f64.
//!
//! Points are stored as faer matrices `N × d` (one row per point, one column per
//! coordinate).

#[macro_use]
pub mod stdout;
pub mod argmin;
pub mod cli;
pub mod expr;
pub mod geometry;
pub mod march;
pub mod model;
pub mod output;
pub mod plot;
pub mod presets;
pub mod problem;
pub mod residual;
pub mod resume;
pub mod run;
pub mod stages;
pub mod verdict;

pub use pinn_solvers as solvers;
