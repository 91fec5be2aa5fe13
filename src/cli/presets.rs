//! `pinn presets [NAME]`: every solver preset, what it is for, and every option with
//! the value the preset gives it, as the TOML a problem file's `[solver]` table
//! overrides key by key.

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::presets::{PRESETS, preset, preset_names};
use pinn_solvers::SolverConfig;

/// The resolved configuration as TOML, followed by comments for the options TOML has no
/// value for (an unset time limit, no method switch), so that every option is named.
pub fn config_toml(config: &SolverConfig) -> Result<String, String> {
    let text = toml::to_string(config).map_err(|e| format!("cannot serialise: {e}"))?;
    let mut text: String = text.lines().map(|l| readable_float(l) + "\n").collect();
    let mut unset = Vec::new();
    if config.switch.is_none() {
        unset.push("# switch: not set (no second method; e.g. `switch = { after_iterations = 1000, then = \"lbfgs\" }`)");
    }
    if config.termination.time_limit_seconds.is_none() {
        unset.push("# termination.time_limit_seconds: not set (no time limit)");
    }
    if !unset.is_empty() {
        text.push('\n');
        for line in unset {
            text.push_str(line);
            text.push('\n');
        }
    }
    Ok(text)
}

/// `key = 0.000000000001` as `key = 1e-12`: the toml writer prints floats in full
/// positional form, unreadable for tolerances; very small and very large values are
/// rewritten in exponent form, which reads back to the same f64.
fn readable_float(line: &str) -> String {
    if let Some((key, value)) = line.split_once(" = ")
        && value.contains('.')
        && let Ok(v) = value.parse::<f64>()
        && v != 0.0
        && !(1e-3..1e6).contains(&v.abs())
    {
        return format!("{key} = {v:e}");
    }
    line.to_string()
}

/// The listing of one preset: a comment header with its name and purpose, then its
/// options.
fn describe(name: &str, purpose: &str) -> Result<String, String> {
    let config = preset(name).ok_or_else(|| format!("internal: preset `{name}` missing"))?;
    Ok(format!(
        "# preset = \"{name}\": {purpose}\n{}",
        config_toml(&config)?
    ))
}

/// Runs `pinn presets`: one preset when `name` is given, all of them otherwise.
pub fn presets(name: Option<&str>) -> i32 {
    let chosen: Vec<&(&str, &str)> = match name {
        None => PRESETS.iter().collect(),
        Some(n) => match PRESETS.iter().find(|(p, _)| *p == n) {
            Some(p) => vec![p],
            None => {
                eprintln!(
                    "error: unknown solver preset `{n}`: expected one of {}",
                    preset_names()
                );
                return EXIT_BAD_INPUT;
            }
        },
    };
    if name.is_none() {
        outln!(
            "# The solver presets. A problem file picks one with `[solver] preset = \"NAME\"`\n\
             # (or `pinn solve --solver NAME`) and overrides any option below in its\n\
             # `[solver]` table, e.g. `[solver.termination] max_iterations = 51`; the\n\
             # shorthands `max_iters` and `time_limit` set the termination budget.\n"
        );
    }
    for (i, (n, purpose)) in chosen.into_iter().enumerate() {
        match describe(n, purpose) {
            Ok(text) => {
                if i > 0 {
                    outln!();
                }
                out!("{text}");
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    EXIT_OK
}

/// Runs `pinn solve FILE --print-config`: the configuration the solve would use.
pub fn print_resolved(file: &std::path::Path, config: &SolverConfig) -> i32 {
    match config_toml(config) {
        Ok(text) => {
            outln!("# the solver configuration of {}", file.display());
            out!("{text}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_BAD_INPUT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_listing_reads_back_as_the_preset() {
        for (name, purpose) in PRESETS {
            let text = describe(name, purpose).unwrap();
            assert!(
                text.starts_with(&format!("# preset = \"{name}\"")),
                "{text}"
            );
            let back: SolverConfig = toml::from_str(&text).unwrap();
            assert_eq!(back, preset(name).unwrap(), "{name}");
        }
    }

    #[test]
    fn tiny_and_huge_floats_are_written_with_exponents() {
        assert_eq!(readable_float("tol = 0.000000000001"), "tol = 1e-12");
        assert_eq!(
            readable_float("max = 100000000000000000000000000000000.0"),
            "max = 1e32"
        );
        assert_eq!(readable_float("beta = 0.9"), "beta = 0.9");
        assert_eq!(readable_float("x = 0.0"), "x = 0.0");
        assert_eq!(
            readable_float("rule = \"a = 1.0e-30\""),
            "rule = \"a = 1.0e-30\""
        );
        assert_eq!(readable_float("n = 1000"), "n = 1000");
    }

    #[test]
    fn options_without_a_value_are_named_in_comments() {
        let text = config_toml(&preset("lm").unwrap()).unwrap();
        assert!(
            text.contains("# termination.time_limit_seconds: not set"),
            "{text}"
        );
        assert!(text.contains("# switch: not set"), "{text}");
        let text = config_toml(&preset("adam-lbfgs").unwrap()).unwrap();
        assert!(!text.contains("# switch: not set"), "{text}");
        assert!(text.contains("after_iterations = 1000"), "{text}");
    }
}
