//! The integration tests of `pinn`, as one test program: each former `tests/<name>.rs`
//! is the module `<name>` here (`tests/it/<name>.rs`), so that the library is linked
//! into one test binary instead of one per file. Their tests run in parallel threads of
//! one process; see `tests/README.md` for what that asks of them, and run one module
//! with `cargo test --release --test it <name>::`.

mod common;

mod adaptive_sampling;
mod argmin;
mod bad_inputs;
mod batched_residuals;
mod built_in_handover;
mod cli;
mod cli_tools;
mod embedding;
mod expr;
mod fused_gradient;
mod fuzz;
mod gn_probe;
mod higher_order_problems;
mod jacobian_blocks;
mod kill_run;
mod memory_estimate;
mod multistage;
mod plots;
mod problem_files;
mod reference_and_points_files;
mod refuse_cli;
mod result_file;
mod resume_cli;
mod sampling;
mod slab_stages;
mod solve_options;
mod solver_resume;
mod solver_snapshot;
mod study_cli;
mod symmetry;
mod thread_count;
mod time_slabs;
mod train_every_problem;
mod transform_cli;
mod transform_jacobian;
mod validate_tamper;
mod verify_fd;
