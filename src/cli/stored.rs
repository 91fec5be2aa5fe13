//! A stored result rebuilt for evaluation: the result file read back and its problem
//! rebuilt from `/config/problem` (the same steps as `pinn validate`), so that the
//! network is evaluated through its input embedding and output transform exactly as
//! during the solve.

use std::path::{Path, PathBuf};

use crate::output::{RunResult, read};
use crate::problem::{Problem, build_problem, parse_spec};
use crate::run::check_stored_network;

/// The result at `path` and its rebuilt problem, checked to describe the stored network.
///
/// # Errors
/// The file cannot be read, its problem text no longer builds (a points or reference
/// file it names has moved), or the rebuilt network is not the stored one; as a message.
pub fn load(path: &Path) -> Result<(RunResult, Problem), String> {
    let r = read(path).map_err(|e| e.to_string())?;
    // Files the problem names are relative to the problem file: resolve them from
    // where it was when the run started, if recorded.
    let label = r
        .problem_file
        .as_ref()
        .map_or_else(|| path.join("config/problem"), PathBuf::from);
    let problem = parse_spec(&label, &r.config_problem)
        .and_then(|s| build_problem(&label, &r.config_problem, s))
        .map_err(|e| format!("{}: cannot rebuild the stored problem: {e}", path.display()))?;
    let problem = match &r.stages {
        None => problem,
        Some(st) => crate::stages::stored_problem(&problem, st)
            .map_err(|e| format!("{}: /stages: {e}", path.display()))?
            .unwrap_or(problem),
    };
    check_stored_network(
        &problem.mlp,
        &r.layers,
        r.embedding.as_ref(),
        r.params.len(),
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((r, problem))
}
