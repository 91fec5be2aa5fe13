//! The HDF5 result file of a run: its in-memory form ([`RunResult`]), the atomic
//! writer and the reader ([`write_atomic`], [`read`]), and the checkpoint schedule
//! ([`Checkpointer`]). The layout is documented in `docs/result-format.md`.
//!
//! This module takes plain data (strings, `Vec<f64>`, faer `Mat<f64>`) and depends on
//! no solver or engine type, so any part of the program can fill a [`RunResult`].

pub mod atomic;
pub mod checkpoint;
pub mod error;
pub mod hdf5;
pub mod part;
pub mod provenance;
pub mod result;
pub mod slabs;
pub mod stages;
pub mod vtk;
pub mod xdmf;

pub use atomic::{check_writable, remove_stale_temps};
pub use checkpoint::{CheckpointConfigError, Checkpointer};
pub use error::OutputError;
pub use hdf5::{FORMAT_NAME, FORMAT_VERSION, OLDEST_FORMAT_VERSION, read, write_atomic};
pub use part::{read_stored_error, read_stored_solver_config};
pub use provenance::{Provenance, StateRecord};
pub use result::{
    EmbeddingRecord, Evaluation, FourierRecord, History, HistoryError, HistoryRow, Metrics,
    RunResult, iso8601_utc, max_abs_error, per_output_errors, pointwise_error, rel_l2,
};
pub use slabs::{SlabRecord, SlabsRecord};
pub use stages::{StageRecord, StagesRecord};
pub use xdmf::write_xdmf_sidecar;
