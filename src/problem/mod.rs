//! Problem files (`problems/*.toml`): the format, reading it, building a runnable
//! problem from it, and errors that name the file, line and column.

pub mod build;
pub mod error;
pub mod exact;
pub mod load;
pub mod location;
pub mod memory;
pub mod name;
mod network;
pub mod options;
pub mod points_file;
pub mod sampling;
mod slab_problem;
pub mod slabs;
pub mod solver;
pub mod spec;
pub mod stages;
mod value_minus;
#[cfg(test)]
mod weights_tests;

pub use build::{Problem, build_problem, build_problem_with, load_problem, load_problem_with};
pub use error::InputError;
pub use exact::ExactSolution;
pub use load::{load_spec, parse_spec};
pub use options::LoadOptions;
pub use sampling::{AdaptiveSampling, BlockSampling};
pub use slabs::TimeSlabs;
pub use spec::ProblemSpec;
pub use stages::StageSetup;
