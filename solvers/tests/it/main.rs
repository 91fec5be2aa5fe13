//! The integration tests of `pinn-solvers`, as one test program: each former
//! `tests/<name>.rs` is the module `<name>` here (`tests/it/<name>.rs`), so that the
//! library is linked into one test binary instead of one per file. Run one module with
//! `cargo test --release -p pinn-solvers --test it <name>::`.

#[cfg(feature = "argmin")]
mod argmin;
mod mgh;
mod nist;
mod resume;
mod robustness;
mod snapshot;
mod solve_loop;
