//! `pinn plot RESULT.h5 [--slice VAR=VALUE] [--out DIR]`: re-draw the plots of a stored
//! result, the same ones `pinn solve` writes, optionally on a slice of the domain.

use std::path::PathBuf;

use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_SOLVE_FAILED};
use crate::output::read;
use crate::plot::{PlotError, plot_result, plot_result_slice};

/// The options of `pinn plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// The result file (HDF5).
    pub result: PathBuf,
    /// Plot the fields on the slice `VAR = VALUE` of a domain of two or more variables
    /// (e.g. `y=0.25`): a line along the other variable in 2-D, a heat map of the next
    /// two free variables above.
    #[arg(long, value_parser = parse_slice)]
    pub slice: Option<(String, f64)>,
    /// Directory for the PNG files (default: beside the result file); created if needed.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `VAR=VALUE` with a finite value.
fn parse_slice(s: &str) -> Result<(String, f64), String> {
    let (var, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected VAR=VALUE (e.g. y=0.25), found `{s}`"))?;
    let v: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("`{}` is not a finite number", value.trim()))?;
    Ok((var.trim().to_string(), v))
}

/// Runs `pinn plot`; returns the exit code (2 for an unreadable file or a bad slice).
pub fn plot(args: &PlotArgs) -> i32 {
    let r = match read(&args.result) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    // The plots are named after the result file, in its directory or in --out.
    let target = match &args.out {
        None => args.result.clone(),
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("error: --out {}: {e}", dir.display());
                return EXIT_BAD_INPUT;
            }
            dir.join(args.result.file_name().unwrap_or("result.h5".as_ref()))
        }
    };
    let drawn = match &args.slice {
        None => plot_result(&target, &r),
        Some((var, value)) => plot_result_slice(&target, &r, var, *value),
    };
    match drawn {
        Ok(paths) => {
            for p in paths {
                outln!("plot written to {}", p.display());
            }
            EXIT_OK
        }
        Err(PlotError::Slice(e)) => {
            eprintln!("error: --slice: {e}");
            EXIT_BAD_INPUT
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_SOLVE_FAILED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_parse_as_name_and_finite_value() {
        assert_eq!(parse_slice("y=0.25"), Ok(("y".into(), 0.25)));
        assert_eq!(parse_slice(" t = -1e-3 "), Ok(("t".into(), -1e-3)));
        assert!(parse_slice("y").unwrap_err().contains("VAR=VALUE"));
        assert!(parse_slice("y=nan").unwrap_err().contains("finite"));
        assert!(parse_slice("y=abc").unwrap_err().contains("`abc`"));
    }
}
