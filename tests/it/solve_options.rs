//! `pinn solve`'s run-time options end to end: the stop rules `--target-rel-l2` and
//! `--stagnation` (with the termination reason in the result file) and the progress
//! lines written when the output is not a terminal.

use crate::common::{pinn, root, scratch};

use std::path::Path;
use std::process::Output;

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
    let dir = scratch!("target");
    let out = dir.join("r.h5");
    let heat = root().join("problems/heat1d.toml");
    let o = solve(
        &out,
        &heat,
        &["--target-rel-l2", "1e-2", "--time-limit", "100"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("stopped because   the rel L2 error"),
        "{stdout}"
    );
    let r = pinn::output::read(&out).unwrap();
    assert_eq!(r.metrics.termination, "TargetRelL2");
    // The run stops at the iterate that was measured, and that is the one stored.
    assert!(r.metrics.rel_l2.unwrap() <= 1e-2, "{:?}", r.metrics.rel_l2);
    // Without an exact solution there is nothing to measure: bad input.
    let base = std::fs::read_to_string(&heat)
        .unwrap()
        // Copies are named after their files.
        .replace("name = \"heat1d\"\n", "");
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
    let dir = scratch!("stagnation");
    // Adam with a step of 1e-12 cannot change the loss by a relative 1e-3.
    let base = std::fs::read_to_string(root().join("problems/heat1d.toml"))
        .unwrap()
        // Copies are named after their files.
        .replace("name = \"heat1d\"\n", "");
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
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
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
    let dir = scratch!("log");
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
    assert!(
        lines.next().unwrap().trim_end().ends_with("rel_l2"),
        "{stdout}"
    );
    // The rel L2 error is measured at the first iteration.
    let first = lines.next().unwrap();
    let last: f64 = first.split_whitespace().last().unwrap().parse().unwrap();
    let r = pinn::output::read(&out).unwrap();
    let h = r.history.column("rel_l2").unwrap();
    assert_eq!(format!("{last:.3e}"), format!("{:.3e}", h[0]), "{first}");
    let o = solve(&out, &heat, &["--max-iters", "3", "--quiet"]);
    assert_eq!(text(&o.stdout), "");
}

#[test]
fn a_system_reports_and_stores_errors_per_output_and_validate_checks_them() {
    let dir = scratch!("per-output");
    let out = dir.join("k.h5");
    let kov = root().join("problems/kovasznay.toml");
    let o = solve(&out, &kov, &["--solver", "adam", "--max-iters", "3"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
    let stdout = text(&o.stdout);
    assert!(stdout.contains("per output"), "{stdout}");
    let mut r = pinn::output::read(&out).unwrap();
    let ev = &r.evaluation;
    let (exact, m) = (ev.u_exact.as_ref().unwrap(), ev.outputs.len());
    assert_eq!(ev.outputs, ["u", "v", "p"]);
    let rels = r.metrics.rel_l2_per_output.clone().unwrap();
    let maxes = r.metrics.max_abs_error_per_output.clone().unwrap();
    assert_eq!((rels.len(), maxes.len()), (m, m));
    for k in 0..m {
        let (mut num, mut den, mut max) = (0.0_f64, 0.0_f64, 0.0_f64);
        for i in 0..ev.points.nrows() {
            let e = ev.u[(i, k)] - exact[(i, k)];
            num += e * e;
            den += exact[(i, k)] * exact[(i, k)];
            max = max.max(e.abs());
        }
        assert!(
            ((num / den).sqrt() - rels[k]).abs() <= 1e-13 * rels[k],
            "{k}"
        );
        assert_eq!(max, maxes[k], "{k}");
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", ev.outputs[k])))
            .unwrap();
        assert!(line.contains(&format!("{:.2e}", rels[k])), "{line}");
    }
    let o = pinn().arg("validate").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("rel_l2 of v"));
    // A tampered per-output error is caught.
    r.metrics.max_abs_error_per_output.as_mut().unwrap()[1] *= 1.0 + 1e-9;
    pinn::output::write_atomic(&out, &r).unwrap();
    let o = pinn().arg("validate").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("DIFFERS"));
}
