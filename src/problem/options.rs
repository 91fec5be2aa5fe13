//! How a problem is loaded: the command line's solver preset and thread count, the
//! memory a solve may use, and whether the text is a problem file or problem text
//! stored in a result file.

use super::name::NameRule;

/// Options of [`crate::problem::load_problem_with`].
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// A solver preset that replaces the file's (`pinn solve --solver`).
    pub solver: Option<String>,
    /// A thread count that replaces the file's `[solver] threads` (`pinn solve
    /// --threads`, or the stored count of a resumed run), so that the memory estimate
    /// counts the threads the solve will run.
    pub threads: Option<usize>,
    /// The memory, in bytes, a solve may need; `None`: the machine's total memory
    /// (where the system reports it).
    pub memory_limit: Option<u64>,
    /// Whether `name` must be the file's name (a problem file) or only a plain name
    /// (problem text stored in a result file).
    pub name: NameRule,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            solver: None,
            threads: None,
            memory_limit: None,
            name: NameRule::MatchFile,
        }
    }
}

impl LoadOptions {
    /// The options for problem text stored in a result file.
    pub fn embedded() -> Self {
        LoadOptions {
            name: NameRule::Embedded,
            ..LoadOptions::default()
        }
    }
}
