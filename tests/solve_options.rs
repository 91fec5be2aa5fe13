//! `pinn solve`'s run-time options end to end: the stop rules `--target-rel-l2` and
//! `--stagnation` (with the termination reason in the result file) and the progress
//! lines written when the output is not a terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pinn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pinn"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pinn-options-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn solve(out: &Path, file: &Path, extra: &[&str]) -> Output {
    pinn()
        .args(["solve", "--no-plots", "--checkpoint-seconds", "0", "--out"])
        .arg(out)
        .args(extra)
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn target_rel_l2_stops_the_run_and_is_the_recorded_reason() {
    let dir = temp_dir("target");
    let out = dir.join("r.h5");
    let heat = root().join("problems/heat1d.toml");
    let o = solve(&out, &heat, &["--target-rel-l2", "1e-2", "--time-limit", "100"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("reached the target 1.00e-2 (--target-rel-l2)"), "{stdout}");
    let r = pinn::output::read(&out).unwrap();
    assert_eq!(r.metrics.termination, "TargetRelL2");
    // The run stops at the iterate that was measured, and that is the one stored.
    assert!(r.metrics.rel_l2.unwrap() <= 1e-2, "{:?}", r.metrics.rel_l2);
    // Without an exact solution there is nothing to measure: bad input.
    let base = std::fs::read_to_string(&heat).unwrap();
    let exact = base.find("[exact]").unwrap();
    let model = base.find("[model]").unwrap();
    let no_exact = dir.join("no-exact.toml");
    std::fs::write(&no_exact, format!("{}{}", &base[..exact], &base[model..])).unwrap();
    let o = solve(&out, &no_exact, &["--target-rel-l2", "1e-2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("needs an exact solution"));
    let o = solve(&out, &heat, &["--target-rel-l2", "-1"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stagnation_stops_a_run_that_no_longer_lowers_the_loss() {
    let dir = temp_dir("stagnation");
    // Adam with a step of 1e-12 cannot change the loss by a relative 1e-3.
    let base = std::fs::read_to_string(root().join("problems/heat1d.toml")).unwrap();
    let at = base.find("[solver]").unwrap();
    let file = dir.join("frozen.toml");
    std::fs::write(
        &file,
        format!(
            "{}[solver]\npreset = \"adam\"\n[solver.adam]\nlearning_rate = 1e-12\n",
            &base[..at]
        ),
    )
    .unwrap();
    let out = dir.join("r.h5");
    let o = solve(&out, &file, &["--stagnation", "25", "--max-iters", "1000"]);
    // A frozen network is no better than zero: the verdict fails the run (exit 1), but
    // the result is written with the reason.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("over the last 25 iterations (--stagnation)"));
    let r = pinn::output::read(&out).unwrap();
    assert_eq!(r.metrics.termination, "Stagnation");
    // Iterations 0..=25 ran: the 26th saw no progress over the 25 before it.
    assert_eq!(r.metrics.iterations, 26);
    let o = solve(&out, &file, &["--stagnation", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn without_a_terminal_progress_is_plain_log_lines_and_verbose_adds_rel_l2() {
    let dir = temp_dir("log");
    let out = dir.join("r.h5");
    let heat = root().join("problems/heat1d.toml");
    let o = solve(&out, &heat, &["--max-iters", "9", "--log-every", "4"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("iter ")).collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (line, it) in lines.iter().zip([0, 4, 8]) {
        assert!(line.starts_with(&format!("iter {it}  ")), "{line}");
        assert!(line.contains("loss ") && line.contains(" left"), "{line}");
    }
    let o = solve(&out, &heat, &["--max-iters", "3", "--verbose"]);
    let stdout = text(&o.stdout);
    let mut lines = stdout.lines();
    assert!(lines.next().unwrap().trim_end().ends_with("rel_l2"), "{stdout}");
    // The rel L2 error is measured at the first iteration.
    let first = lines.next().unwrap();
    let last: f64 = first.split_whitespace().last().unwrap().parse().unwrap();
    let r = pinn::output::read(&out).unwrap();
    let h = r.history.column("rel_l2").unwrap();
    assert_eq!(format!("{last:.3e}"), format!("{:.3e}", h[0]), "{first}");
    let o = solve(&out, &heat, &["--max-iters", "3", "--quiet"]);
    assert_eq!(text(&o.stdout), "");
}
