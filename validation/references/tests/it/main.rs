//! The integration tests of `pinn-references`, as one test program: each former
//! `tests/<name>.rs` is the module `<name>` here (`tests/it/<name>.rs`), so that the
//! library is linked into one test binary instead of one per file. Run one module with
//! `cargo test --release -p pinn-references --test it <name>::`.

mod allen_cahn;
mod burgers;
mod kdv;
mod ks;
