//! Typed errors of the output layer: each names the file and what failed.

use std::path::PathBuf;

use super::result::HistoryError;

/// Anything that can go wrong writing or reading a result file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file-system operation failed (`op` says which: "create temporary file",
    /// "fsync directory", "rename", "read", ...).
    #[error("{}: {op}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The HDF5 layer refused to encode the file, or could not parse what is on disk
    /// (not HDF5, truncated, corrupt).
    #[error("{}: HDF5 {op}: {source}", path.display())]
    Hdf5 {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: hdf5_pure::Error,
    },
    /// The HDF5 parser failed internally on this file (a bug in the parser triggered by
    /// corrupt input); `message` is its panic message.
    #[error("{}: corrupt file (HDF5 parser failed: {message})", path.display())]
    Corrupt { path: PathBuf, message: String },
    /// The target exists and is not a regular file (a directory, a symbolic link, a FIFO,
    /// a socket or a device): only regular files are ever replaced.
    #[error("{}: not a regular file ({kind}); only a regular file is replaced, choose another path", path.display())]
    NotARegularFile { path: PathBuf, kind: &'static str },
    /// The file is valid HDF5 but not a pinn result of a supported version, or an
    /// object in it is missing or has the wrong type or shape.
    #[error("{}: {object}: {problem}", path.display())]
    Schema {
        path: PathBuf,
        object: String,
        problem: String,
    },
    /// The `/history` group does not form a valid history.
    #[error("{}: /history: {source}", path.display())]
    History {
        path: PathBuf,
        #[source]
        source: HistoryError,
    },
    /// A collocation block or history column name cannot be an HDF5 link name
    /// (empty, contains `/`, `.` or `..`) or repeats.
    #[error("{}: invalid {what} name {name:?}: {reason}", path.display())]
    InvalidName {
        path: PathBuf,
        what: &'static str,
        name: String,
        reason: &'static str,
    },
}
