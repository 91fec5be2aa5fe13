//! Broken problem files: each must give an error that names the place and what was
//! wrong, and none may panic. Every file in tests/bad_inputs/ starts with a line
//! `# expect: <text>` giving a piece of the message.

use std::path::Path;

#[test]
fn every_broken_problem_file_is_a_located_error_and_none_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs");
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
    assert!(n >= 25, "only {n} broken files");
}

#[test]
fn an_expression_error_points_at_its_column_inside_the_string() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs/unknown_function.toml");
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
