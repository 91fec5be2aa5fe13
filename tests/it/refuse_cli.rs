//! The command line refuses bad input before any work, with exit code 2 and a message
//! that names the option or the place in the file: `[solver]` checked by `check` as by
//! `solve`, memory estimates, checkpoint intervals, `--init` files that are not what
//! they claim to be, and problem names that would write outside the working directory.

use crate::common::{pinn, root, scratch};

use std::path::PathBuf;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn bad(file: &str) -> PathBuf {
    root().join("tests/bad_inputs").join(file)
}

#[test]
fn check_and_solve_refuse_the_same_solver_table_at_the_same_place() {
    for file in [
        "solver_unknown_preset.toml",
        "solver_unknown_key.toml",
        "solver_nan_time_limit.toml",
        "solver_fractional_max_iters.toml",
        "solver_negative_max_iters.toml",
    ] {
        let path = bad(file);
        let check = pinn().arg("check").arg(&path).output().unwrap();
        let solve = pinn().arg("solve").arg(&path).output().unwrap();
        assert_eq!(check.status.code(), Some(2), "{file}: {}", stderr(&check));
        assert_eq!(solve.status.code(), Some(2), "{file}: {}", stderr(&solve));
        let first = |o: &Output| stderr(o).lines().next().unwrap_or("").to_string();
        assert_eq!(first(&check), first(&solve), "{file}");
        // file:line:column: error: ...
        let head = first(&check);
        let rest = head
            .strip_prefix(&format!("{}:", path.display()))
            .unwrap_or_else(|| panic!("{file}: {head}"));
        let mut parts = rest.splitn(3, ':');
        let line: usize = parts.next().unwrap().parse().unwrap();
        let column: usize = parts.next().unwrap().parse().unwrap();
        assert!(line > 1 && column >= 1, "{head}");
    }
}

#[test]
fn the_command_lines_preset_replaces_an_unknown_one_in_the_file_and_is_checked() {
    let path = bad("solver_unknown_preset.toml");
    // `--solver` replaces the file's preset, so only the file's other keys remain: the
    // run gets past the preset; `--max-iters 1` keeps it short, and the result goes to
    // a scratch directory.
    let dir = scratch!("override");
    let out = pinn()
        .args([
            "solve",
            "--solver",
            "lbfgs",
            "--max-iters",
            "1",
            "--quiet",
            "--no-plots",
        ])
        .arg("--out")
        .arg(dir.join("r.h5"))
        .arg(&path)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(dir.join("r.h5").exists(), "{}", stderr(&out));
    let out = pinn()
        .args(["solve", "--solver", "newton"])
        .arg(root().join("problems/poisson2d.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--solver: unknown solver preset `newton`"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_prints_the_memory_estimate_and_the_preset() {
    let out = pinn()
        .arg("check")
        .arg(root().join("problems/poisson2d.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("solver    preset gn-probe"), "{text}");
    assert!(
        text.contains("memory    about") && text.contains("for preset `gn-probe`"),
        "{text}"
    );
    assert!(text.contains("Jacobian N×P"), "{text}");
}

#[test]
fn a_huge_problem_is_refused_before_any_allocation() {
    for (file, what) in [
        ("memory_a_hundred_billion_points.toml", "the Jacobian of"),
        ("memory_wide_layers.toml", "needs about"),
        ("memory_width_two_to_the_32.toml", "more than any machine"),
    ] {
        for sub in ["check", "solve"] {
            let t = std::time::Instant::now();
            let out = pinn().arg(sub).arg(bad(file)).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{sub} {file}: {}", stderr(&out));
            assert!(
                stderr(&out).contains(what),
                "{sub} {file}: {}",
                stderr(&out)
            );
            // Refused from the sizes, not after sampling: well under the time sampling
            // a hundred billion points would take.
            assert!(t.elapsed().as_secs() < 60, "{sub} {file}");
        }
    }
}

#[test]
fn bad_checkpoint_intervals_are_refused() {
    let p = root().join("problems/poisson2d.toml");
    for arg in [
        "--checkpoint-seconds=-1",
        "--checkpoint-seconds=NaN",
        "--checkpoint-seconds=inf",
        "--checkpoint-every=0",
        "--max-iters=0",
        "--time-limit=-3",
    ] {
        let out = pinn().arg("solve").arg(arg).arg(&p).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{arg}: {err}");
        let flag = arg.split('=').next().unwrap();
        assert!(
            err.contains(&format!("error: {flag} must be")),
            "{arg}: {err}"
        );
    }
}

#[test]
fn a_truncated_hdf5_init_file_is_called_that() {
    let dir = scratch!("init");
    // The HDF5 signature and a few bytes: the start of a result file, cut short.
    let mut bytes = b"\x89HDF\r\n\x1a\n".to_vec();
    bytes.extend([0u8, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, 0xff, 0xfe]);
    for name in ["cut.h5", "cut.params"] {
        let f = dir.join(name);
        std::fs::write(&f, &bytes).unwrap();
        let out = pinn()
            .arg("solve")
            .arg("--init")
            .arg(&f)
            .arg(root().join("problems/poisson2d.toml"))
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("a truncated or invalid HDF5 file"), "{err}");
        assert!(!err.contains("UTF-8"), "{err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_name_that_is_a_path_never_becomes_the_output_path() {
    let dir = scratch!("name");
    let text = std::fs::read_to_string(root().join("problems/poisson2d.toml")).unwrap();
    let evil = text.replace("name = \"poisson2d\"", "name = \"../../escaped\"");
    let path = dir.join("poisson2d.toml");
    std::fs::write(&path, evil).unwrap();
    let out = pinn()
        .current_dir(&dir)
        .args(["solve", "--max-iters", "1"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("path separator"), "{}", stderr(&out));
    assert!(!dir.join("../../escaped.h5").exists());
    // Without `name`, the file's name is the problem's.
    let plain = text.replace("name = \"poisson2d\"\n", "");
    std::fs::write(&path, plain).unwrap();
    let out = pinn().arg("check").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("problem   poisson2d"));
    let _ = std::fs::remove_dir_all(dir);
}
