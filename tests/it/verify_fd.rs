//! `validation/verify_fd.py`: a converged poisson2d solve verifies a 5-point
//! finite-difference solver as well as the exact solution does (the two error columns
//! agree to 1e-6 relative, and the FD order is 2), and an unconverged one is refused.

use crate::common::{pinn, python, root, scratch};

use std::path::Path;
use std::process::{Command, Output};

fn solve(out: &Path, max_iters: &str) {
    let o = pinn()
        .arg("solve")
        .arg(root().join("problems/poisson2d.toml"))
        .args(["--solver", "gn-probe", "--max-iters", max_iters])
        .args([
            "--no-plots",
            "--quiet",
            "--checkpoint-seconds",
            "0",
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn verify(result: &Path) -> Output {
    Command::new(python::python())
        .arg(root().join("validation/verify_fd.py"))
        .arg(result)
        .args(["--pinn", env!("CARGO_BIN_EXE_pinn"), "--check", "1e-6"])
        .output()
        .unwrap()
}

/// The table rows: n, FD error vs exact, FD error vs pinn.
fn rows(out: &str) -> Vec<(f64, f64, f64)> {
    out.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| n "))
        .map(|l| {
            let c: Vec<f64> = l
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .take(4)
                .map(|s| s.parse().unwrap())
                .collect();
            (c[0], c[2], c[3])
        })
        .collect()
}

#[test]
fn a_converged_pinn_verifies_the_fd_solver_like_the_exact_solution() {
    let dir = scratch!("verify-fd");
    let good = dir.join("good.h5");
    solve(&good, "200");
    let o = verify(&good);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = rows(&out);
    assert_eq!(
        r.iter().map(|x| x.0).collect::<Vec<_>>(),
        [8.0, 16.0, 32.0, 64.0, 128.0]
    );
    for w in r.windows(2) {
        // The errors are printed to 7 digits: agreement to 1e-6 relative shows there.
        let (e0, e1) = (w[0].1, w[1].1);
        let order = (e0 / e1).log2();
        assert!((order - 2.0).abs() < 0.05, "order {order}: {out}");
    }
    for (n, ex, pi) in &r {
        assert!((ex - pi).abs() <= 1e-6 * ex, "n = {n}: {ex} vs {pi}\n{out}");
    }

    // Ten iterations in, the network is no reference: the check must say so.
    let bad = dir.join("bad.h5");
    solve(&bad, "10");
    let o = verify(&bad);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("NOT VERIFIED"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
