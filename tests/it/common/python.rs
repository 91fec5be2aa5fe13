//! The Python interpreter the tests read result files back with (h5py and numpy: the
//! reference HDF5 C library, independent of our pure-Rust writer).
//!
//! `cargo test` must pass on a fresh machine as the README gives it, so the tests set up
//! what they need instead of skipping: `$PYTHON` when set; else `python3` when it
//! imports h5py and numpy; else a virtual environment under the target directory
//! (`python3 -m venv`, then `pip install h5py numpy` from PyPI), made once and reused by
//! later runs. A machine where none of this works fails the tests with the reason,
//! never skips them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The interpreter to run `validation/check_result.py` and the other h5py checks with.
pub fn python() -> String {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(find_or_install).clone()
}

fn imports_h5py(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import h5py, numpy"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(what: &str, cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what} ({e}): python3 is needed"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}\nInstall h5py and numpy for python3 by hand \
         (`python3 -m pip install h5py numpy`) or point $PYTHON at an interpreter that has them.",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn find_or_install() -> String {
    if let Ok(p) = std::env::var("PYTHON") {
        return p;
    }
    if imports_h5py(Path::new("python3")) {
        return "python3".into();
    }
    let venv: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-h5py");
    let python = venv.join("bin").join("python");
    if !imports_h5py(&python) {
        eprintln!(
            "python3 lacks h5py/numpy: installing them into {}",
            venv.display()
        );
        run(
            "python3 -m venv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        );
        run(
            "pip install h5py numpy",
            Command::new(&python).args(["-m", "pip", "install", "--quiet", "h5py", "numpy"]),
        );
        assert!(
            imports_h5py(&python),
            "{} still cannot import h5py and numpy",
            python.display()
        );
    }
    python.to_string_lossy().into_owned()
}
