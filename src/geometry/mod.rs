//! Geometry (boxes in any dimension, with named faces) and seeded point sampling.
//!
//! - [`BoxDomain`], [`Face`]: the box `Π_a [lo_a, hi_a]`, its `2d` faces named
//!   `<coordinate>_min` / `<coordinate>_max`, their measures and outward normals.
//! - [`Sampler`], [`sample_interior`], [`sample_faces`], [`sample_face`]: collocation
//!   points as faer `Mat<f64>` of shape `N × d` (row = point), reproducible in a seed.
//! - [`grid_interior`], [`grid_faces`]: tensor grids with explicit per-axis counts.
//! - [`periodic_image`]: the points on the upper face matching points on the lower face.

mod domain;
mod error;
mod grid;
mod periodic;
mod sampler;
mod unit;

pub use domain::{BoxDomain, Face, MAX_DIM};
pub use error::GeometryError;
pub use grid::{grid_faces, grid_interior};
pub use periodic::{periodic_image, sample_periodic_pair};
pub(crate) use sampler::stream_seed;
pub use sampler::{
    Sampler, allocate_by_measure, rows_per_face, sample_face, sample_faces, sample_interior,
};
