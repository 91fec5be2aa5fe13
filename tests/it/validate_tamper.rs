//! `pinn validate` catches an edit to any stored quantity: the activation, the
//! collocation points, and the pointwise error dataset (edited with h5py, since our
//! writer always derives it), each reported as DIFFERS with exit 1, while the untouched
//! file reproduces.

use crate::common::{pinn, python, root, scratch};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn validate(path: &Path) -> Output {
    pinn().arg("validate").arg(path).output().unwrap()
}

/// A fresh scratch directory and a short heat1d solve in it (`r.h5`).
fn solved_heat(tag: &str) -> (PathBuf, PathBuf) {
    let dir = scratch!(tag);
    let good = dir.join("r.h5");
    let o = pinn()
        .args([
            "solve",
            "--no-plots",
            "--quiet",
            "--max-iters",
            "5",
            "--out",
        ])
        .arg(&good)
        .arg(root().join("problems/heat1d.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    (dir, good)
}

/// The line of `validate`'s table for `what`.
fn row<'a>(stdout: &'a str, what: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(what))
        .unwrap_or_else(|| panic!("no `{what}` line in\n{stdout}"))
}

#[test]
fn edits_to_activation_points_and_error_are_caught() {
    let (dir, good) = solved_heat("edits");
    let o = validate(&good);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(row(&out, "activation").ends_with("ok"), "{out}");
    assert!(row(&out, "points of interior").ends_with("ok"), "{out}");
    assert!(row(&out, "pointwise error").ends_with("ok"), "{out}");

    // The activation attribute.
    let mut r = pinn::output::read(&good).unwrap();
    r.activation = "sin".into();
    let bad = dir.join("activation.h5");
    pinn::output::write_atomic(&bad, &r).unwrap();
    let o = validate(&bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(row(&text(&o.stdout), "activation").ends_with("DIFFERS"));

    // One coordinate of one collocation point, moved by one ulp.
    let mut r = pinn::output::read(&good).unwrap();
    let (_, pts) = &mut r.collocation[0];
    pts[(3, 1)] = f64::from_bits(pts[(3, 1)].to_bits() + 1);
    let bad = dir.join("points.h5");
    pinn::output::write_atomic(&bad, &r).unwrap();
    let o = validate(&bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let name = &pinn::output::read(&good).unwrap().collocation[0].0;
    assert!(row(&text(&o.stdout), &format!("points of {name}")).ends_with("DIFFERS"));

    // The pointwise error dataset, edited in place by the reference HDF5 library.
    let bad = dir.join("error.h5");
    std::fs::copy(&good, &bad).unwrap();
    let o = Command::new(python::python())
        .args([
            "-c",
            "import sys, h5py\nwith h5py.File(sys.argv[1], 'r+') as f:\n    \
             d = f['/evaluation/error']\n    v = d[...]\n    v[7, 0] += 1e-6\n    d[...] = v\n",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = validate(&bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(row(&text(&o.stdout), "pointwise error").ends_with("DIFFERS"));
    let _ = std::fs::remove_dir_all(dir);
}

/// An error in the stored problem text is reported at the result file's copy, with a
/// note naming the file it was read from, never as an error of the file on disk.
#[test]
fn an_error_in_the_stored_problem_text_names_the_result_file() {
    let (dir, good) = solved_heat("text");
    let mut r = pinn::output::read(&good).unwrap();
    assert!(r.config_problem.contains("activation = \"tanh\""));
    r.config_problem = r
        .config_problem
        .replace("activation = \"tanh\"", "activation = \"tanhh\"");
    let bad = dir.join("text.h5");
    pinn::output::write_atomic(&bad, &r).unwrap();
    let o = validate(&bad);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.starts_with(&format!("{}:/config/problem:", bad.display())),
        "{err}"
    );
    assert!(err.contains("unknown activation `tanhh`"), "{err}");
    assert!(err.contains("note: the line and column are of the problem text stored"));
    let _ = std::fs::remove_dir_all(dir);
}
