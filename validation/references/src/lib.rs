//! Reference solutions for the benchmark problems that have no closed form.
//!
//! A PINN is only as verified as the solution it is compared with. For Burgers (two
//! viscosities), Allen–Cahn, Korteweg–de Vries and Kuramoto–Sivashinsky there is no
//! elementary formula, so this crate computes the solution by a classical method that
//! shares no code with `pinn` — the Cole–Hopf transform by quadrature ([`burgers`]), or
//! one Fourier pseudo-spectral ETDRK4 integrator ([`spectral`]) for the others — and
//! writes it to an HDF5 file ([`reference_file`]) that the problem file names in its
//! `[reference]` section.
//!
//! Each method comes with its own convergence evidence in its tests; the binaries in
//! `src/bin/` regenerate the shipped files in `problems/data/`.

pub mod allen_cahn;
pub mod binary;
pub mod burgers;
pub mod kdv;
pub mod ks;
pub mod reference_file;
pub mod spectral;
pub mod table;
