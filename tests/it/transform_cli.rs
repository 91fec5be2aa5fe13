//! Output transforms end to end: the documented example, `pinn check`'s note on blocks
//! a transform satisfies identically, a solve whose result file `pinn validate` and the
//! h5py + numpy script reproduce through the stored transform, and `--init` refusing a
//! run trained with another transform.

use crate::common::{pinn, python, root, scratch};

use std::path::{Path, PathBuf};
use std::process::Command;

/// The complete example of docs/problem-files.md with the `[transform]` example of the
/// same document inserted, shrunk to a quick solve.
fn documented_problem(dir: &Path, name: &str, transform: bool) -> PathBuf {
    let doc = std::fs::read_to_string(root().join("docs/problem-files.md")).unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    let example = blocks[0];
    let section = blocks
        .iter()
        .find(|b| b.starts_with("[transform]"))
        .expect("the documentation shows a [transform] section");
    let mut text = example
        .replace("name = \"heat1d\"", &format!("name = \"{name}\""))
        .replace("count = 900", "count = 60")
        .replace("count = 9000", "count = 200")
        .replace("layers = [2, 64, 1]", "layers = [2, 8, 1]");
    if transform {
        text = text.replace("[domain]", &format!("{section}\n[domain]"));
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_documented_transform_builds_in_the_initial_condition() {
    let dir = scratch!("tr-doc");
    let path = documented_problem(&dir, "heat1d", true);
    let p = pinn::problem::load_problem(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!p.transform.is_identity());
    // u(0, x) = sin(πx) whatever the parameters.
    let theta = p.initial_params();
    let pts = faer::Mat::from_fn(5, 2, |i, j| if j == 0 { 0.0 } else { 0.2 * i as f64 });
    let u = p.solution(&theta, pts.as_ref());
    for i in 0..5 {
        let want = (std::f64::consts::PI * pts[(i, 1)]).sin();
        assert!((u[(i, 0)] - want).abs() < 1e-15, "{} vs {want}", u[(i, 0)]);
    }
    let out = pinn().arg("check").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("transform u = "), "{text}");
    assert!(
        text.contains("satisfies block `initial` identically"),
        "{text}"
    );
    assert!(!text.contains("block `boundary` identically"), "{text}");
    assert!(!text.contains("block `interior` identically"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_transformed_run_is_reproduced_by_validate_and_by_numpy() {
    let dir = scratch!("tr-cli");
    let path = documented_problem(&dir, "heat1d", true);
    let out_file = dir.join("r.h5");
    let out = pinn()
        .args(["solve", "--quiet", "--max-iters", "20", "--out"])
        .arg(&out_file)
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = pinn::output::read(&out_file).unwrap();
    assert_eq!(r.transform.len(), 1);
    assert!(r.transform[0].contains('N') && r.transform[0] != "N");
    assert_eq!(r.transform_constants, vec![("kappa".to_string(), 0.25)]);

    let v = pinn().arg("validate").arg(&out_file).output().unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{text}");
    let py = |file: &Path| {
        Command::new(python::python())
            .arg(root().join("validation/check_result.py"))
            .arg(file)
            .output()
            .expect("python3 with h5py and numpy")
    };
    let o = py(&out_file);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("agree"), "{text}");

    // A file whose stored transform is not the one that made u fails both checks.
    let mut bad = r.clone();
    bad.transform = vec!["N".into()];
    let bad_file = dir.join("bad.h5");
    pinn::output::write_atomic(&bad_file, &bad).unwrap();
    assert_eq!(py(&bad_file).status.code(), Some(1));
    let v = pinn().arg("validate").arg(&bad_file).output().unwrap();
    assert_eq!(v.status.code(), Some(1));

    // --init: the same transform continues, another one is refused.
    let soft = documented_problem(&dir, "heat1d-soft", false);
    let out = pinn()
        .args(["solve", "--quiet", "--max-iters", "2", "--out"])
        .arg(dir.join("s.h5"))
        .arg("--init")
        .arg(&out_file)
        .arg(&soft)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("output transform"), "{err}");
    let out = pinn()
        .args(["solve", "--quiet", "--max-iters", "2", "--out"])
        .arg(dir.join("c.h5"))
        .arg("--init")
        .arg(&out_file)
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// An error inside a transform's string points at its column in the file.
#[test]
fn a_transform_error_points_inside_the_string() {
    let path = root().join("tests/bad_inputs/transform_derivative_of_n.toml");
    let Err(err) = pinn::problem::load_problem(&path) else {
        panic!("accepted a broken file")
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let at = err.at.expect("located");
    let line = text.lines().nth(at.line - 1).unwrap();
    assert_eq!(at.column, line.find("N_x").unwrap() + 1, "{err}");
}
