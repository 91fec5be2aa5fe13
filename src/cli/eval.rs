//! `pinn eval RESULT.h5 --points FILE [--out OUT.csv]`: the stored network at points of
//! the user's choosing, through its input embedding and output transform.

use std::path::{Path, PathBuf};

use super::table::{csv, parse_points};
use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_SOLVE_FAILED, stored};
use crate::output::atomic::write_bytes_atomic;

/// The options of `pinn eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The result file (HDF5).
    pub result: PathBuf,
    /// The points: a text file with one column per input variable, separated by commas
    /// or whitespace, optionally headed by a line naming the variables.
    #[arg(long)]
    pub points: PathBuf,
    /// Where to write the CSV of inputs and outputs (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `pinn eval`; returns the exit code (2 for an unreadable result or points file).
pub fn eval(args: &EvalArgs) -> i32 {
    match table(&args.result, &args.points) {
        Ok(text) => match &args.out {
            None => {
                out!("{text}");
                EXIT_OK
            }
            Some(out) => match write_bytes_atomic(out, text.as_bytes()) {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_SOLVE_FAILED
                }
            },
        },
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_BAD_INPUT
        }
    }
}

/// The CSV text of the stored network at the points of `points_file`: the variables,
/// then the outputs.
fn table(result: &Path, points_file: &Path) -> Result<String, String> {
    let (r, problem) = stored::load(result)?;
    let text = std::fs::read_to_string(points_file)
        .map_err(|e| format!("cannot read `{}`: {e}", points_file.display()))?;
    let variables = &r.evaluation.variables;
    let points =
        parse_points(&text, variables).map_err(|e| format!("{}: {e}", points_file.display()))?;
    // A time-slab result: each point by the network of the slab that owns its time.
    let u = match &r.time_slabs {
        None => problem.solution(&r.params, points.as_ref()),
        Some(s) => {
            let sums = crate::march::slab_sums(&problem, &s.slabs)?;
            crate::march::solution_by_slab(&problem, &sums, points.as_ref())
        }
    };
    let names: Vec<String> = variables
        .iter()
        .chain(&r.evaluation.outputs)
        .cloned()
        .collect();
    Ok(csv(&names, &[&points, &u]))
}
