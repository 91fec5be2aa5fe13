//! Reads of one object of a result file, without decoding the rest: the stored
//! pointwise error that `pinn validate` compares, and the solver settings whose thread
//! count `pinn solve --resume` needs before it reads the problem file.

use std::path::Path;

use faer::Mat;
use hdf5_pure::File;

use super::OutputError;
use super::hdf5::{Reader, guard_panics, read_bytes};

/// Parses the file at `path` and hands it to `read`, with parser panics turned into
/// [`OutputError::Corrupt`] as in [`super::read`].
fn read_part<T>(
    path: &Path,
    read: impl FnOnce(&Reader, &File) -> Result<T, OutputError>,
) -> Result<T, OutputError> {
    let bytes = read_bytes(path)?;
    guard_panics(path, || {
        let rd = Reader::new(path);
        let file = File::from_bytes(bytes).map_err(|e| rd.h5("parse file", e))?;
        read(&rd, &file)
    })
}

/// The stored pointwise error `/evaluation/error` (`u − u_exact`, written beside the
/// exact solution), or `None` when the file has none. [`super::read`] does not keep it,
/// since it is derived data; `pinn validate` reads it to check that it was not edited.
///
/// # Errors
/// As [`super::read`], for a file or dataset that cannot be read.
pub fn read_stored_error(path: &Path) -> Result<Option<Mat<f64>>, OutputError> {
    read_part(path, |rd, file| {
        let eval = rd.group(file, "evaluation")?;
        let names = eval.datasets().map_err(|e| rd.h5("list /evaluation", e))?;
        if !names.iter().any(|n| n == "error") {
            return Ok(None);
        }
        rd.matrix(&eval, "/evaluation", "error").map(Some)
    })
}

/// The solver settings stored in the result at `path` (`/config/solver`, TOML).
/// `pinn solve --resume` needs only their thread count before the problem file is read,
/// and reads the whole result after it.
///
/// # Errors
/// As [`super::read`], for a file or dataset that cannot be read.
pub fn read_stored_solver_config(path: &Path) -> Result<String, OutputError> {
    read_part(path, |rd, file| {
        let config = rd.group(file, "config")?;
        rd.scalar_string(&config, "/config", "solver")
    })
}
