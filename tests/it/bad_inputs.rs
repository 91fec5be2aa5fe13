//! Broken problem files: each must give an error that names the place and what was
//! wrong, and none may panic. Every file in tests/bad_inputs/ starts with a line
//! `# expect: <text>` giving a piece of the message.

use crate::common::root;

#[test]
fn every_broken_problem_file_is_a_located_error_and_none_panics() {
    let dir = root().join("tests/bad_inputs");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let first =
            String::from_utf8_lossy(bytes.split(|&b| b == b'\n').next().unwrap()).into_owned();
        let expect = first
            .strip_prefix("# expect: ")
            .unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
        let result = std::panic::catch_unwind(|| pinn::problem::load_problem(&path));
        let err = match result {
            Err(_) => panic!("{}: the loader panicked", path.display()),
            Ok(Ok(_)) => panic!("{}: accepted a broken file", path.display()),
            Ok(Err(e)) => e,
        };
        let shown = err.to_string();
        assert!(
            shown.contains(expect.trim()),
            "{}: expected `{expect}` in:\n{shown}",
            path.display()
        );
        assert!(
            shown.starts_with(&path.display().to_string()),
            "{}: the message names the file:\n{shown}",
            path.display()
        );
        if !path.ends_with("empty.toml") && !path.ends_with("missing_model.toml") {
            assert!(
                err.at.is_some(),
                "{}: the error has no line and column:\n{shown}",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n >= 100, "only {n} broken files");
}

/// The memory budget with a limit of our own, so the outcome does not depend on the
/// machine: a shipped problem fits in 1 GiB, not in 1 MiB, and the message says which
/// preset's estimate it is and what it found largest.
#[test]
fn the_memory_budget_refuses_before_sampling_and_names_the_preset() {
    use pinn::problem::{LoadOptions, load_problem_with};
    let path = root().join("problems/poisson2d.toml");
    let fits = LoadOptions {
        memory_limit: Some(1 << 30),
        ..LoadOptions::default()
    };
    let p = load_problem_with(&path, &fits).unwrap_or_else(|e| panic!("{e}"));
    let e = p.memory_estimate("lm");
    assert!(e.total() < 1 << 30 && e.jacobian > 0, "{e:?}");
    assert_eq!(p.memory_estimate("lbfgs").jacobian, 0);
    let tight = LoadOptions {
        memory_limit: Some(1 << 20),
        ..LoadOptions::default()
    };
    let Err(err) = load_problem_with(&path, &tight) else {
        panic!("a 1 MiB budget accepted poisson2d")
    };
    assert!(
        err.message
            .contains("a solve with preset `gn-probe` needs about")
            && err.message.contains("the limit is 1.0 MiB"),
        "{err}"
    );
    assert!(err.at.is_some(), "{err}");
    // The command line's preset is the one estimated.
    let lbfgs = LoadOptions {
        solver: Some("lbfgs".into()),
        memory_limit: Some(1 << 20),
        ..LoadOptions::default()
    };
    let Err(err) = load_problem_with(&path, &lbfgs) else {
        panic!("a 1 MiB budget accepted poisson2d with lbfgs")
    };
    assert!(err.message.contains("preset `lbfgs`"), "{err}");
}

/// The estimate counts the threads the solve will run, taken from the solver settings
/// (here replaced as `--threads` does), not from rayon's pool: asking the pool would
/// start it before the solve can size it. Each thread holds its own jets.
#[test]
fn the_memory_estimate_counts_the_threads_of_the_settings() {
    use pinn::problem::{LoadOptions, load_problem_with};
    let path = root().join("problems/poisson2d.toml");
    let with = |threads| {
        let opts = LoadOptions {
            threads: Some(threads),
            ..LoadOptions::default()
        };
        load_problem_with(&path, &opts).unwrap_or_else(|e| panic!("{e}"))
    };
    let (one, five) = (with(1), with(5));
    assert_eq!((one.config.threads, five.config.threads), (1, 5));
    assert_eq!((one.sizes().threads, five.sizes().threads), (1, 5));
    let (e1, e5) = (one.memory_estimate("lm"), five.memory_estimate("lm"));
    assert_eq!(e5.jets, 5 * e1.jets, "{e1:?} {e5:?}");
}

/// `[solver]` errors point at the key or the value at fault.
#[test]
fn solver_errors_point_at_the_key_or_the_value() {
    let dir = root().join("tests/bad_inputs");
    for (file, needle) in [
        ("solver_unknown_key.toml", "threds"),
        ("solver_unknown_preset.toml", "\"newton\""),
        ("solver_nan_time_limit.toml", "nan"),
        ("solver_fractional_max_iters.toml", "2.5"),
    ] {
        let path = dir.join(file);
        let Err(err) = pinn::problem::load_problem(&path) else {
            panic!("{file} accepted")
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let at = err.at.expect("located");
        let line = text.lines().nth(at.line - 1).unwrap();
        assert_eq!(at.column, line.find(needle).unwrap() + 1, "{err}");
    }
}

#[test]
fn an_expression_error_points_at_its_column_inside_the_string() {
    let path = root().join("tests/bad_inputs/unknown_function.toml");
    let Err(err) = pinn::problem::load_problem(&path) else {
        panic!("accepted a broken file")
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let at = err.at.expect("located");
    let line = text.lines().nth(at.line - 1).unwrap();
    // The caret sits on the `sinn` inside the quoted expression.
    let col = line.find("sinn").unwrap() + 1;
    assert_eq!(at.column, col, "{err}");
    assert!(err.message.contains("column"), "{err}");
}
