//! What `pinn solve` adds for `--resume` and for provenance: the continuation read and
//! checked, the settings of the resumed session, and the `/provenance` record of every
//! run.

use std::path::Path;

use pinn_solvers::SolverConfig;

use super::solve::SolveArgs;
use crate::output::{Provenance, iso8601_utc};
use crate::problem::Problem;
use crate::resume::{Continuation, load, resumed_config};

/// Reads `--resume FILE`, checks it against the problem and the method the problem
/// file (or `--solver`) names, and returns it with the resumed session's settings
/// (see [`resumed_config`] for what `--max-iters` and `--time-limit` mean here).
///
/// # Errors
/// A message naming the file.
pub fn prepare(
    path: &Path,
    args: &SolveArgs,
    problem: &Problem,
    wanted: &SolverConfig,
) -> Result<(Continuation, SolverConfig), String> {
    let c = load(path, problem, wanted)?;
    let config = resumed_config(&c, args.max_iters, args.time_limit, args.threads);
    if c.problem_text_differs {
        eprintln!(
            "note: {} differs from the problem text {} was trained with; \
             the network, transform, blocks and method agree, so the run continues",
            args.file.display(),
            path.display()
        );
    }
    if config.termination.max_iterations <= c.iterations() {
        eprintln!(
            "note: {} has run {} of its {} iterations; give --max-iters N to run N more",
            path.display(),
            c.iterations(),
            config.termination.max_iterations
        );
    }
    Ok((c, config))
}

/// The `/provenance` record of this invocation. Its thread count is the size of the
/// pool the sweeps ran on, which the solver settings asked for unless it was already
/// running (then `pinn solve` warned).
pub fn provenance(args: &SolveArgs, seed: u64, continuation: Option<&Continuation>) -> Provenance {
    let now = std::time::SystemTime::now();
    let nanos = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let run_id = format!("{}-{}-{nanos:09}", iso8601_utc(now), std::process::id());
    let threads = rayon::current_num_threads();
    let absolute = |p: &Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .to_string_lossy()
            .into_owned()
    };
    let (started_from, source_file, source_created, parent_run, first_iteration) =
        match (continuation, &args.init) {
            (Some(c), _) => (
                "resume",
                Some(absolute(&c.path)),
                Some(c.created.clone()),
                c.run_id.clone(),
                c.iterations(),
            ),
            (None, Some(init)) => {
                // A result file has a stamp and perhaps a run id; a text file neither.
                let stored = crate::output::read(init).ok();
                (
                    "init",
                    Some(absolute(init)),
                    stored.as_ref().map(|r| r.created.clone()),
                    stored.and_then(|r| r.provenance).map(|p| p.run_id),
                    0,
                )
            }
            (None, None) => ("random", None, None, None, 0),
        };
    Provenance {
        run_id,
        // `--seed` is checked to fit; a problem file's seed is a TOML (i64) integer.
        seed: i64::try_from(seed).unwrap_or(i64::MAX),
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        threads: i64::try_from(threads).unwrap_or(i64::MAX),
        started_from: started_from.to_string(),
        first_iteration: i64::try_from(first_iteration).unwrap_or(i64::MAX),
        source_file,
        source_created,
        parent_run,
    }
}
