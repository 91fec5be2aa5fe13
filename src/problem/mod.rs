//! Problem files (`problems/*.toml`): the format, reading it, and errors that name the
//! file, line and column.

pub mod error;
pub mod load;
pub mod location;
pub mod spec;

pub use error::InputError;
pub use load::{load_spec, parse_spec};
pub use spec::ProblemSpec;
