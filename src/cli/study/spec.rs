//! The study file as written: a TOML document deserialised with serde, every value a
//! later check may reject kept [`Spanned`] so that the error names the file, line and
//! column of the value at fault; unknown keys are refused (`deny_unknown_fields`).
//!
//! ```toml
//! problem = "../problems/poisson2d.toml"   # relative to this file
//! out = "../target/study-poisson2d"         # the output directory, relative to this file
//! [sweep]                                   # every axis is optional (default: the problem's)
//! widths = [[16], [32], [32, 32]]           # hidden layers of each network
//! point_scale = [0.5, 1.0]                  # or: points = [{ interior = 400, boundary = 60 }]
//! seeds = [0, 1]
//! solvers = ["lm", "gn-probe"]
//! [budget]                                  # at least one of the two
//! max_iters = 200
//! time_limit = 30.0
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::problem::InputError;
use crate::problem::load::MAX_FILE_BYTES;

/// The whole study file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    /// The problem file, relative to the study file.
    pub problem: Spanned<String>,
    /// The output directory, relative to the study file.
    pub out: Spanned<String>,
    /// Threads of every run (default: all cores).
    #[serde(default)]
    pub threads: Option<Spanned<i64>>,
    /// Whether every run writes its own PNG plots next to its result (default false).
    #[serde(default)]
    pub run_plots: Option<bool>,
    /// The axes of the sweep; the runs are their Cartesian product.
    #[serde(default)]
    pub sweep: Option<Spanned<SweepSpec>>,
    /// The budget of every run.
    pub budget: Spanned<BudgetSpec>,
}

/// One network of `widths`: its hidden layer widths.
pub type Widths = Spanned<Vec<Spanned<i64>>>;

/// One value of `points`: a count per block name.
pub type Counts = Spanned<BTreeMap<Spanned<String>, Spanned<i64>>>;

/// `[sweep]`: the values of each axis; an absent axis is the problem file's setting.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Hidden layer widths of each network, e.g. `[[32], [64, 64]]`; the input and
    /// output widths stay the problem's.
    #[serde(default)]
    pub widths: Option<Spanned<Vec<Widths>>>,
    /// Collocation point counts per block: one table `{ block = count }` per value;
    /// blocks not named keep the problem's count.
    #[serde(default)]
    pub points: Option<Spanned<Vec<Counts>>>,
    /// A factor on every sampled block's point count (rounded, at least 1).
    #[serde(default)]
    pub point_scale: Option<Spanned<Vec<Spanned<f64>>>>,
    /// Seeds of the parameter initialisation (`pinn solve --seed`).
    #[serde(default)]
    pub seeds: Option<Spanned<Vec<Spanned<i64>>>>,
    /// Solver presets (`pinn solve --solver`).
    #[serde(default)]
    pub solvers: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[budget]`: `pinn solve --max-iters` and `--time-limit` of every run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// Iterations per run.
    #[serde(default)]
    pub max_iters: Option<Spanned<i64>>,
    /// Seconds per run.
    #[serde(default)]
    pub time_limit: Option<Spanned<f64>>,
}

/// Reads and deserialises the study file at `path`; returns its text too.
///
/// # Errors
/// An unreadable or oversized file, bytes that are not UTF-8, TOML syntax, unknown keys
/// and wrong types, each with the file, line and column.
pub fn read_spec(path: &Path) -> Result<(String, StudySpec), InputError> {
    let cannot = |e: std::io::Error| {
        InputError::whole_file(path, format!("cannot read the study file: {e}"))
    };
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE_BYTES {
        return Err(InputError::whole_file(
            path,
            format!("the study file has {size} bytes, more than the {MAX_FILE_BYTES} allowed"),
        ));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..good]).into_owned() + "\u{FFFD}";
        InputError::at_span(path, &prefix, good..good + 1, "the file is not valid UTF-8")
    })?;
    let spec = parse_spec(path, &text)?;
    Ok((text, spec))
}

/// Deserialises study-file `text` (`path` only names it in messages).
///
/// # Errors
/// As [`read_spec`].
pub fn parse_spec(path: &Path, text: &str) -> Result<StudySpec, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::whole_file(
            path,
            "the study file is empty: expected at least `problem`, `out` and `[budget]`",
        ));
    }
    toml::from_str::<StudySpec>(text).map_err(|e| {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => InputError::at_span(path, text, span, message),
            None => InputError::whole_file(path, message),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
problem = "p.toml"
out = "out"
[budget]
max_iters = 3
"#;

    #[test]
    fn a_minimal_spec_parses() {
        let s = parse_spec(Path::new("s.toml"), MINIMAL).expect("parses");
        assert_eq!(s.problem.get_ref(), "p.toml");
        assert!(s.sweep.is_none());
        assert_eq!(*s.budget.get_ref().max_iters.as_ref().unwrap().get_ref(), 3);
    }

    #[test]
    fn an_unknown_key_is_located() {
        let text = MINIMAL.replace("max_iters = 3", "max_iters = 3\nmax_iter = 4");
        let e = parse_spec(Path::new("s.toml"), &text).unwrap_err();
        let at = e.at.expect("located");
        assert_eq!((at.line, at.column), (6, 1), "{e}");
        assert!(e.message.contains("unknown field `max_iter`"), "{e}");
    }

    #[test]
    fn a_wrong_type_in_an_axis_is_located() {
        let text = format!("{MINIMAL}[sweep]\nwidths = [[32], \"wide\"]\n");
        let e = parse_spec(Path::new("s.toml"), &text).unwrap_err();
        let at = e.at.expect("located");
        assert_eq!(at.line, 7, "{e}");
    }

    #[test]
    fn an_empty_spec_says_what_was_expected() {
        let e = parse_spec(Path::new("s.toml"), "\n").unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
    }
}
