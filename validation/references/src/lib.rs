//! Reference solutions for the benchmark problems that have no closed form.
//!
//! A PINN is only as verified as the solution it is compared with. For Burgers
//! (`problems/burgers.toml`) and Allen–Cahn (`problems/allen-cahn.toml`) there is no
//! elementary formula, so this crate computes the solution by a classical method that
//! shares no code with `pinn`, and writes it to an HDF5 file
//! ([`reference_file`]) that the problem file names in its `[reference]` section.
//!
//! Each method comes with its own convergence evidence in its tests; the binaries in
//! `src/bin/` regenerate the shipped files in `problems/data/`.

pub mod allen_cahn;
pub mod burgers;
pub mod reference_file;
