//! The `pinn` command line: subcommands and exit codes (0 done, 1 the solve failed,
//! 2 bad input, 130 stopped by Ctrl-C or SIGTERM after writing the result).

pub mod check;
pub mod eval;
pub mod export;
pub mod format;
pub mod interrupt;
pub mod plot;
pub mod presets;
pub mod progress;
pub mod resume;
pub mod solve;
pub mod stop;
pub mod stored;
pub mod study;
pub mod summary;
pub mod table;
pub mod validate;
mod validate_slabs;
mod validate_stages;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for a solve that failed (no usable solution, a solution no better than the
/// zero function, or the result not written).
pub const EXIT_SOLVE_FAILED: i32 = 1;
/// Exit code for bad input (a problem file that does not parse or validate).
pub const EXIT_BAD_INPUT: i32 = 2;
pub use interrupt::EXIT_INTERRUPTED;

/// Physics-informed neural networks trained to high precision with second-order solvers.
#[derive(Debug, Parser)]
#[command(name = "pinn", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and validate a problem file; print the points per block, the parameter
    /// count and the memory the Jacobian and the Gauss–Newton matrix will take.
    Check {
        /// The problem file (TOML).
        file: PathBuf,
    },
    /// Train a problem and write the result file.
    Solve(solve::SolveArgs),
    /// Recompute every stored error of a result file from its parameters and points.
    Validate {
        /// The result file (HDF5).
        result: PathBuf,
    },
    /// Every solver preset: what it is for, and every option with its value.
    Presets {
        /// Show only this preset.
        name: Option<String>,
    },
    /// Evaluate a stored network at the points of a text file; write a CSV.
    Eval(eval::EvalArgs),
    /// Write the stored evaluation points, solution, exact solution and error as CSV
    /// or VTK (ParaView).
    Export(export::ExportArgs),
    /// Re-draw the plots of a stored result, optionally on a slice of the domain.
    Plot(plot::PlotArgs),
    /// Run a sweep of one problem (network widths, point counts, seeds, solvers) from a
    /// study file; write every run's result, `study.h5`, convergence tables and plots.
    Study(study::StudyArgs),
    /// One line per problem file in a directory (default: problems/).
    Problems {
        /// The directory to list.
        #[arg(default_value = "problems")]
        dir: PathBuf,
    },
}

/// Runs the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check { file } => check::check(&file),
        Command::Problems { dir } => check::problems(&dir),
        Command::Solve(args) => solve::solve(&args),
        Command::Validate { result } => validate::validate(&result),
        Command::Presets { name } => presets::presets(name.as_deref()),
        Command::Eval(args) => eval::eval(&args),
        Command::Export(args) => export::export(&args),
        Command::Plot(args) => plot::plot(&args),
        Command::Study(args) => study::study(&args),
    }
}
