//! The end-of-solve summary of `pinn solve`: what ran, how long, why it stopped, and the
//! errors (per output for a system), in plain words with consistently formatted
//! numbers: three significant digits, thousands separators for counts. `--verbose`
//! adds the solver's detailed report (evaluation counts, time split). After a
//! multi-stage run one line per stage and the total come first, since the solver's own
//! figures (iterations, loss, why it stopped) are those of the last stage.
//! After a time-slab march the header names the slab count, and the iteration counts,
//! wall time and starting loss are the whole march's (the per-slab lines come before);
//! with correction stages in every slab, the header names the stages per slab, and the
//! method and size are marked as the last stage's.

use std::fmt::Write as _;

use pinn_solvers::{Method, TerminationReason};

use super::format::{count, duration, sci};
use super::stop::Stopped;
use crate::output::StageRecord;
use crate::run::RunOutcome;

/// A method's plain name.
pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Lm => "Levenberg–Marquardt",
        Method::Engd => "energy natural gradient",
        Method::GnCg => "Gauss–Newton–CG",
        Method::Lbfgs => "L-BFGS",
        Method::Adam => "Adam",
        Method::Bfgs => "BFGS",
        Method::SsBfgs => "self-scaled BFGS",
        Method::SsBroyden => "self-scaled Broyden",
        Method::GnProbe => "probe-selected trust-region Gauss–Newton",
    }
}

/// Why the solver stopped, in plain words.
pub fn termination_text(t: &TerminationReason) -> String {
    match t {
        TerminationReason::GradientTolerance => "the gradient fell below its tolerance".into(),
        TerminationReason::LossTolerance => "the loss fell below its tolerance".into(),
        TerminationReason::RelativeLossChange => {
            "a step changed the loss by less than its tolerance".into()
        }
        TerminationReason::StepTolerance => "the step fell below its tolerance".into(),
        TerminationReason::MaxIterations => "the iteration budget ran out".into(),
        TerminationReason::TimeLimit => "the time limit was reached".into(),
        TerminationReason::Stalled => "no further progress is possible in f64".into(),
        TerminationReason::PreparationFailed => {
            "the linear model could not be factorised at the iterate".into()
        }
        TerminationReason::TooManyInvalidSteps => "too many invalid steps in a row".into(),
        TerminationReason::UserStop => "stopped by a signal".into(),
        TerminationReason::NonFiniteIterate => {
            "the iterate is not finite (the network diverged)".into()
        }
        TerminationReason::InvalidConfig(e) => format!("invalid configuration: {e}"),
    }
}

/// The summary text (ends with a newline).
pub fn summary(outcome: &RunOutcome, stopped: Option<&Stopped>, problem: &str) -> String {
    let s = &outcome.summary;
    let m = &outcome.result.metrics;
    let ev = &outcome.result.evaluation;
    let methods: Vec<&str> = s.methods.iter().map(|&m| method_name(m)).collect();
    let mut t = String::new();
    let row = |t: &mut String, k: &str, v: String| {
        let _ = writeln!(t, "  {k:<17} {v}");
    };
    let stages = outcome
        .result
        .stages
        .as_ref()
        .map_or(&[][..], |r| r.stages.as_slice());
    // Stages per slab of a march with correction stages in every slab: its solver
    // figures are the whole march's, except the method and size, which are the last
    // stage's of the last slab.
    let slab_stages = outcome
        .slabs
        .iter()
        .map(|k| k.stages.len())
        .max()
        .unwrap_or(0);
    if stages.len() > 1 {
        let _ = writeln!(
            t,
            "{problem}: {} stages for {}",
            stages.len(),
            duration(m.wall_time_s)
        );
        t.push_str(&stage_lines(stages, m.wall_time_s));
        let _ = writeln!(
            t,
            "  last stage: {} for {}",
            methods.join(" then "),
            duration(s.total_time)
        );
    } else if slab_stages > 1 {
        let _ = writeln!(
            t,
            "{problem}: {} time slabs of {slab_stages} stages each for {}",
            outcome.slabs.len(),
            duration(s.total_time)
        );
        let _ = writeln!(t, "  last stage: {}", methods.join(" then "));
    } else if outcome.slabs.len() > 1 {
        let _ = writeln!(
            t,
            "{problem}: {} in {} time slabs for {}",
            methods.join(" then "),
            outcome.slabs.len(),
            duration(s.total_time)
        );
    } else {
        let _ = writeln!(
            t,
            "{problem}: {} for {}",
            methods.join(" then "),
            duration(s.total_time)
        );
    }
    row(
        &mut t,
        "iterations",
        format!(
            "{} ({} accepted, {} rejected, {} invalid)",
            count(s.iterations as u64),
            count(s.accepted_steps as u64),
            count(s.rejected_steps as u64),
            count(s.invalid_steps as u64)
        ),
    );
    row(
        &mut t,
        "size",
        format!(
            "{} parameters, {} residuals{}",
            count(s.n_params as u64),
            count(s.n_residuals as u64),
            if slab_stages > 1 { " (last stage)" } else { "" }
        ),
    );
    row(
        &mut t,
        "loss",
        format!("{} → {}", sci(s.initial_loss), sci(s.final_loss)),
    );
    let why = match stopped {
        Some(st) => st.reason_text(),
        None => termination_text(&s.termination),
    };
    row(&mut t, "stopped because", why);
    if let (Some(rel), Some(max)) = (m.rel_l2, m.max_abs_error) {
        row(
            &mut t,
            "rel L2 error",
            format!(
                "{}  on {} evaluation points",
                sci(rel),
                count(ev.points.nrows() as u64)
            ),
        );
        row(&mut t, "max abs error", sci(max));
        if let (Some(rels), Some(maxes)) = (&m.rel_l2_per_output, &m.max_abs_error_per_output)
            && ev.outputs.len() > 1
        {
            let _ = writeln!(t, "  {:<17} {:<10} max abs error", "per output", "rel L2");
            for ((name, r), x) in ev.outputs.iter().zip(rels).zip(maxes) {
                let _ = writeln!(t, "    {name:<15} {:<10} {}", sci(*r), sci(*x));
            }
        }
    } else {
        row(
            &mut t,
            "errors",
            "no exact solution or reference to compare with".into(),
        );
    }
    t
}

/// One line per stage (iterations, wall time, loss and rel L2 of the sum after it, why it
/// stopped) and the total over all stages with the run's wall time `total_time`.
pub fn stage_lines(stages: &[StageRecord], total_time: f64) -> String {
    let mut t = String::new();
    let n = stages.len();
    for (k, st) in stages.iter().enumerate() {
        let rel = if st.rel_l2.is_nan() {
            String::new()
        } else {
            format!(", rel L2 {}", sci(st.rel_l2))
        };
        let _ = writeln!(
            t,
            "  {:<17} {} iterations in {}, loss {}{rel} ({})",
            format!("stage {}/{n}", k + 1),
            count(st.iterations),
            duration(st.wall_time_s),
            sci(st.final_loss),
            st.termination
        );
    }
    let total: u64 = stages.iter().map(|st| st.iterations).sum();
    let _ = writeln!(
        t,
        "  {:<17} {} iterations in {}",
        "total",
        count(total),
        duration(total_time)
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_and_reason_has_a_plain_name() {
        for m in [
            Method::Lm,
            Method::Engd,
            Method::GnCg,
            Method::Lbfgs,
            Method::Adam,
            Method::Bfgs,
            Method::SsBfgs,
            Method::SsBroyden,
        ] {
            assert!(!method_name(m).contains("::"));
        }
        assert_eq!(
            termination_text(&TerminationReason::TimeLimit),
            "the time limit was reached"
        );
        assert!(termination_text(&TerminationReason::InvalidConfig("x".into())).ends_with(": x"));
    }

    fn stage(iterations: u64, wall: f64, loss: f64, rel: f64, why: &str) -> StageRecord {
        StageRecord {
            layers: vec![2, 8, 1],
            activation: "tanh".into(),
            params: Vec::new(),
            epsilon: 1.0,
            kappa: 1.0,
            frequency: f64::NAN,
            preset: "lm".into(),
            iterations,
            final_loss: loss,
            termination: why.into(),
            rel_l2: rel,
            wall_time_s: wall,
            history: crate::output::History::new(false, &[]),
        }
    }

    /// Every stage gets its line, the rel L2 only where it is known, and the total adds
    /// the iterations and shows the run's wall time.
    #[test]
    fn each_stage_has_a_line_and_the_total_adds_up() {
        let text = stage_lines(
            &[
                stage(1500, 2.04, 1.2345e-8, 3.21e-4, "max_iterations"),
                stage(600, 61.0, 2.0e-12, f64::NAN, "stalled"),
            ],
            63.5,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "  stage 1/2         1,500 iterations in 2.0 s, loss 1.23e-8, rel L2 3.21e-4 (max_iterations)",
                "  stage 2/2         600 iterations in 1 min 01 s, loss 2.00e-12 (stalled)",
                "  total             2,100 iterations in 1 min 04 s",
            ]
        );
    }
}
