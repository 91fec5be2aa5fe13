//! `pinn export RESULT.h5 --csv OUT.csv | --vtk OUT.vtu`: the stored evaluation points
//! with the network solution, the exact solution and the error, for spreadsheets,
//! numpy or ParaView.

use std::path::{Path, PathBuf};

use super::table::csv;
use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_SOLVE_FAILED};
use crate::output::atomic::write_bytes_atomic;
use crate::output::vtk::{legacy_vtk_text, point_arrays, vtu_text};
use crate::output::{Evaluation, read};

/// The options of `pinn export`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("format").required(true).multiple(true).args(["csv", "vtk"])))]
pub struct ExportArgs {
    /// The result file (HDF5).
    pub result: PathBuf,
    /// Write a CSV: the variables, the outputs and, with an exact solution,
    /// `exact_<output>` and `error_<output>`.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write a VTK point cloud: XML `UnstructuredGrid` for a `.vtu` name, the legacy
    /// ASCII format for a `.vtk` name.
    #[arg(long)]
    pub vtk: Option<PathBuf>,
}

/// Runs `pinn export`; returns the exit code.
pub fn export(args: &ExportArgs) -> i32 {
    let r = match read(&args.result) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut files: Vec<(&Path, String)> = Vec::new();
    if let Some(path) = &args.csv {
        files.push((path, csv_text(&r.evaluation)));
    }
    if let Some(path) = &args.vtk {
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("vtu") => vtu_text(&r.evaluation),
            Some("vtk") => {
                legacy_vtk_text(&r.evaluation, &format!("pinn result of {}", r.problem_name))
            }
            _ => {
                eprintln!(
                    "error: --vtk {}: the name must end in .vtu (XML) or .vtk (legacy)",
                    path.display()
                );
                return EXIT_BAD_INPUT;
            }
        };
        files.push((path, text));
    }
    for (path, text) in files {
        if let Err(e) = write_bytes_atomic(path, text.as_bytes()) {
            eprintln!("error: {e}");
            return EXIT_SOLVE_FAILED;
        }
        outln!("written {}", path.display());
    }
    EXIT_OK
}

/// The evaluation as CSV, one column per point-data array.
fn csv_text(e: &Evaluation) -> String {
    let arrays = point_arrays(e);
    let names: Vec<String> = arrays.iter().map(|(n, _)| n.clone()).collect();
    let m = e.points.nrows();
    let table = faer::Mat::from_fn(m, arrays.len(), |i, j| arrays[j].1[i]);
    csv(&names, &[&table])
}
