//! Bitwise snapshots of solver runs: the proof that a refactor of the loop changed no
//! iterate.
//!
//! A run is reduced to one line: its iteration count, stop reason, the accepted/
//! rejected/invalid counts, and two 64-bit FNV-1a hashes, one of the final θ's bit
//! patterns and one of the history (per record: loss, trial loss, λ or step size and
//! ρ as bit patterns, the outcome and the inner iteration count; times are left out).
//! A snapshot file holds one such line per run under a header naming the CPU features
//! that select the SIMD kernels of the dense linear algebra, because the last bits of
//! a floating-point run are only reproducible on the same kernels.
//!
//! Tests call [`check_snapshot`]: with `UPDATE_SNAPSHOTS=1` in the environment the
//! file is rewritten, otherwise every line must match.

use crate::record::{SolveSummary, StepOutcome};
use std::fmt::Write as _;
use std::path::Path;

/// 64-bit FNV-1a over a stream of `u64` words (each fed little-endian).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds one word.
    pub fn word(&mut self, w: u64) {
        for b in w.to_le_bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    /// Feeds the bit pattern of an `f64`.
    pub fn float(&mut self, x: f64) {
        self.word(x.to_bits());
    }
    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// Hash of the bit patterns of `theta`.
pub fn hash_floats(theta: &[f64]) -> u64 {
    let mut h = Fnv::default();
    for &x in theta {
        h.float(x);
    }
    h.finish()
}

/// Hash of the history's numbers and outcomes (times excluded).
pub fn hash_history(summary: &SolveSummary) -> u64 {
    let mut h = Fnv::default();
    for r in &summary.history {
        h.word(r.iteration as u64);
        h.float(r.loss);
        h.float(r.trial_loss);
        h.float(r.gradient_norm);
        h.float(r.step_norm);
        h.float(r.lambda.unwrap_or(f64::INFINITY));
        h.float(r.step_size.unwrap_or(f64::INFINITY));
        h.float(r.rho.unwrap_or(f64::INFINITY));
        h.word(r.inner_iterations as u64);
        h.word(match r.outcome {
            StepOutcome::Accepted => 0,
            StepOutcome::Rejected => 1,
            StepOutcome::Invalid(why) => 2 + why as u64,
        });
        h.word(u64::from(r.resampled));
    }
    h.finish()
}

/// The snapshot line of one run.
pub fn snapshot_line(name: &str, summary: &SolveSummary, theta: &[f64]) -> String {
    format!(
        "{name} iterations={} termination={:?} accepted={} rejected={} invalid={} theta={:016x} history={:016x}",
        summary.iterations,
        summary.termination,
        summary.accepted_steps,
        summary.rejected_steps,
        summary.invalid_steps,
        hash_floats(theta),
        hash_history(summary)
    )
}

/// The CPU features that select faer's SIMD kernels on this machine.
pub fn cpu_fingerprint() -> String {
    #[allow(unused_mut)]
    let mut s = std::env::consts::ARCH.to_string();
    #[cfg(target_arch = "x86_64")]
    {
        for (name, on) in [
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
        ] {
            if on {
                s.push(' ');
                s.push_str(name);
            }
        }
    }
    s
}

/// Compares `lines` with the snapshot at `path` (or rewrites it when the environment
/// has `UPDATE_SNAPSHOTS=1`). On a machine whose CPU fingerprint differs from the one
/// recorded, the comparison cannot be bitwise and is skipped with a message.
///
/// # Panics
/// When a line differs, a run is missing or extra, or the file cannot be read.
pub fn check_snapshot(path: &Path, lines: &[String]) {
    let header = format!("# cpu: {}", cpu_fingerprint());
    let mut text = String::new();
    let _ = writeln!(text, "{header}");
    for l in lines {
        let _ = writeln!(text, "{l}");
    }
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("snapshot directory");
        }
        std::fs::write(path, text).expect("snapshot written");
        return;
    }
    let stored = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    let mut stored_lines = stored.lines();
    let stored_header = stored_lines.next().unwrap_or_default();
    if stored_header != header {
        eprintln!(
            "snapshot {} was recorded on `{stored_header}`, this machine is `{header}`: \
             bitwise comparison skipped",
            path.display()
        );
        return;
    }
    let stored: Vec<&str> = stored_lines.collect();
    let mut diffs = Vec::new();
    for l in lines {
        let name = l.split(' ').next().unwrap_or_default();
        match stored.iter().find(|s| s.split(' ').next() == Some(name)) {
            Some(s) if *s == l => {}
            Some(s) => diffs.push(format!("was: {s}\nnow: {l}")),
            None => diffs.push(format!("new run: {l}")),
        }
    }
    for s in &stored {
        let name = s.split(' ').next().unwrap_or_default();
        if !lines.iter().any(|l| l.split(' ').next() == Some(name)) {
            diffs.push(format!("missing run: {s}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} runs differ from {}:\n{}",
        diffs.len(),
        lines.len(),
        path.display(),
        diffs.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_value_and_sees_every_bit() {
        // FNV-1a 64 of the eight bytes 00..00 (the empty-string offset basis run
        // through eight zero bytes), computed by hand from the definition.
        let mut h = Fnv::default();
        h.word(0);
        let mut expected: u64 = 0xcbf2_9ce4_8422_2325;
        for _ in 0..8 {
            expected = expected.wrapping_mul(0x0100_0000_01b3);
        }
        assert_eq!(h.finish(), expected);
        assert_ne!(
            hash_floats(&[1.0]),
            hash_floats(&[f64::from_bits(1.0f64.to_bits() ^ 1)])
        );
        assert_ne!(hash_floats(&[0.0]), hash_floats(&[-0.0]));
    }
}
