//! What every generator binary in `src/bin/` shares: the `NAME OUT.h5` command line, the
//! exit codes, and the closing report of a spectral generator.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Runs `run(OUT)` for the command line `name OUT.h5`: exit code 2 with a usage line for
/// any other argument count, 1 with `name: error` when `run` fails, 0 otherwise.
pub fn main_with_output<E: std::fmt::Display>(
    name: &str,
    run: impl FnOnce(PathBuf) -> Result<(), E>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: {name} OUT.h5");
        return ExitCode::from(2);
    }
    match run(PathBuf::from(&args[1])) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the method text and the one-line report of a spectral generator that wrote
/// `points` values to `out` (`n`: the Fourier modes of the shipped solve).
pub fn report_spectral(
    method: &str,
    out: &Path,
    points: usize,
    n: usize,
    solve_secs: f64,
    start: Instant,
) {
    println!("{method}");
    println!(
        "wrote {} ({points} points); solve + tabulate at N = {n}: {solve_secs:.1} s, total {:.1} s",
        out.display(),
        start.elapsed().as_secs_f64()
    );
}
