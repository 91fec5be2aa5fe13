//! The study's summary of its completed runs: `study.h5` (one group per run: settings,
//! metrics, history, provenance), and the convergence tables `study.md` and
//! `study.csv`. Every number is copied from the run's own result file, so the tables
//! say exactly what the result files say; floats are written in Rust's shortest
//! round-trip form, so a table value parses back to the stored f64 bit for bit.

use std::fmt::Write as _;

use hdf5_pure::{AttrValue, FileBuilder};

use super::plan::{RunPlan, Study};
use crate::output::{History, Metrics, Provenance, RunResult};

/// Root attribute `format` of `study.h5`.
pub const FORMAT_NAME: &str = "pinn-study";
/// Root attribute `format_version` of `study.h5`: bump on any incompatible change.
pub const FORMAT_VERSION: i64 = 1;

/// One completed run: its settings and what its result file holds.
#[derive(Debug, Clone)]
pub struct Record {
    /// The run's settings.
    pub plan: RunPlan,
    /// The result file's name inside the output directory.
    pub result_file: String,
    /// Whether the result file was already there and was reused.
    pub reused: bool,
    /// `pinn solve`'s exit code for a run made now (0 done, 1 failed); `None` reused.
    pub exit_code: Option<i32>,
    /// The stored metrics.
    pub metrics: Metrics,
    /// The stored history.
    pub history: History,
    /// The stored provenance.
    pub provenance: Option<Provenance>,
    /// The result's `created` stamp.
    pub created: String,
    /// The pinn version that wrote the result.
    pub pinn_version: String,
}

impl Record {
    /// The record of `plan`'s result `r`, stored as `result_file`.
    pub fn new(
        plan: &RunPlan,
        result_file: String,
        r: RunResult,
        reused: bool,
        exit_code: Option<i32>,
    ) -> Self {
        Record {
            plan: plan.clone(),
            result_file,
            reused,
            exit_code,
            metrics: r.metrics,
            history: r.history,
            provenance: r.provenance,
            created: r.created,
            pinn_version: r.pinn_version,
        }
    }
}

/// `v` in shortest round-trip form, or `""` when absent.
fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:e}"))
}

/// The hidden widths as `64x64`.
pub fn hidden(layers: &[usize]) -> String {
    let h: Vec<String> = layers[1..layers.len().saturating_sub(1).max(1)]
        .iter()
        .map(usize::to_string)
        .collect();
    h.join("x")
}

/// The columns of `study.csv`.
pub const CSV_COLUMNS: [&str; 15] = [
    "run",
    "hidden",
    "points_per_block",
    "seed",
    "solver",
    "n_params",
    "n_points",
    "rel_l2",
    "max_abs_error",
    "final_loss",
    "iterations",
    "wall_time_s",
    "termination",
    "reused",
    "result_file",
];

/// `study.csv`: one row per completed run, floats in round-trip form.
pub fn csv(records: &[Record]) -> String {
    let mut t = CSV_COLUMNS.join(",");
    t.push('\n');
    for r in records {
        let m = &r.metrics;
        let counts: Vec<String> = r
            .plan
            .blocks
            .iter()
            .map(|(n, c)| format!("{n}={c}"))
            .collect();
        let row = [
            r.plan.name.clone(),
            hidden(&r.plan.layers),
            counts.join(" "),
            r.plan.seed.to_string(),
            r.plan.solver.clone(),
            r.plan.n_params.to_string(),
            r.plan.n_points().to_string(),
            num(m.rel_l2),
            num(m.max_abs_error),
            num(Some(m.final_loss)),
            m.iterations.to_string(),
            num(Some(m.wall_time_s)),
            m.termination.clone(),
            r.reused.to_string(),
            r.result_file.clone(),
        ];
        t.push_str(&row.join(","));
        t.push('\n');
    }
    t
}

/// `study.md`: the settings and a convergence table, one row per completed run.
pub fn markdown(study: &Study, records: &[Record]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "# Study of `{}`\n", study.problem_name);
    let _ = writeln!(
        t,
        "Study file `{}`, problem `{}`; budget per run: {}, {}. {} of {} runs complete.\n",
        study.spec_path.display(),
        study.problem_path.display(),
        study
            .max_iters
            .map_or("no iteration limit".into(), |n| format!("{n} iterations")),
        study
            .time_limit
            .map_or("no time limit".into(), |s| format!("{s} s")),
        records.len(),
        study.runs.len()
    );
    let short = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.3e}"));
    t.push_str(
        "| run | hidden | points | seed | solver | params | rel L2 | max error | final loss | \
         iterations | wall time (s) | termination |\n",
    );
    t.push_str("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
    for r in records {
        let m = &r.metrics;
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {}{} |",
            r.plan.name,
            hidden(&r.plan.layers),
            r.plan.n_points(),
            r.plan.seed,
            r.plan.solver,
            r.plan.n_params,
            short(m.rel_l2),
            short(m.max_abs_error),
            short(Some(m.final_loss)),
            m.iterations,
            m.wall_time_s,
            m.termination,
            if r.reused { " (reused)" } else { "" }
        );
    }
    t
}

fn vstr(s: &str) -> AttrValue {
    AttrValue::VarLenString(s.to_string())
}

fn int(n: impl TryInto<i64>) -> AttrValue {
    AttrValue::I64(n.try_into().unwrap_or(i64::MAX))
}

/// The bytes of `study.h5`: the study file's text, then `/runs/<run>` per completed
/// run with its settings and metrics as attributes, `history/` (one dataset per
/// column) and `provenance` attributes.
///
/// # Errors
/// The HDF5 encoder fails.
pub fn hdf5(study: &Study, records: &[Record]) -> Result<Vec<u8>, String> {
    let mut fb = FileBuilder::new();
    fb.set_attr("format", vstr(FORMAT_NAME));
    fb.set_attr("format_version", AttrValue::I64(FORMAT_VERSION));
    fb.set_attr("pinn_version", vstr(env!("CARGO_PKG_VERSION")));
    fb.set_attr("problem", vstr(&study.problem_name));
    fb.set_attr(
        "problem_file",
        vstr(&std::path::absolute(&study.problem_path).map_or_else(
            |_| study.problem_path.display().to_string(),
            |p| p.display().to_string(),
        )),
    );
    fb.set_attr("planned_runs", int(study.runs.len()));
    fb.set_attr(
        "runs",
        AttrValue::VarLenStringArray(records.iter().map(|r| r.plan.name.clone()).collect()),
    );
    fb.create_dataset("spec")
        .with_vlen_strings(&[&study.spec_text])
        .with_shape(&[]);
    let mut runs = fb.create_group("runs");
    for r in records {
        let mut g = runs.create_group(&r.plan.name);
        let p = &r.plan;
        g.set_attr(
            "layers",
            AttrValue::I64Array(p.layers.iter().map(|&w| w as i64).collect()),
        );
        g.set_attr(
            "blocks",
            AttrValue::VarLenStringArray(p.blocks.iter().map(|b| b.0.clone()).collect()),
        );
        g.set_attr(
            "block_points",
            AttrValue::I64Array(p.blocks.iter().map(|b| b.1 as i64).collect()),
        );
        g.set_attr("seed", int(p.seed));
        g.set_attr("solver", vstr(&p.solver));
        g.set_attr("max_iters", int(study.max_iters.unwrap_or(0)));
        g.set_attr(
            "time_limit",
            AttrValue::F64(study.time_limit.unwrap_or(0.0)),
        );
        g.set_attr("n_params", int(p.n_params));
        g.set_attr("n_points", int(p.n_points()));
        let m = &r.metrics;
        g.set_attr("rel_l2", AttrValue::F64(m.rel_l2.unwrap_or(f64::NAN)));
        g.set_attr(
            "max_abs_error",
            AttrValue::F64(m.max_abs_error.unwrap_or(f64::NAN)),
        );
        g.set_attr("final_loss", AttrValue::F64(m.final_loss));
        g.set_attr("iterations", int(m.iterations));
        g.set_attr("wall_time_s", AttrValue::F64(m.wall_time_s));
        g.set_attr("termination", vstr(&m.termination));
        g.set_attr("result_file", vstr(&r.result_file));
        g.set_attr("reused", int(i64::from(r.reused)));
        g.set_attr("exit_code", int(r.exit_code.map_or(-1, i64::from)));
        g.set_attr("created", vstr(&r.created));
        g.set_attr("result_pinn_version", vstr(&r.pinn_version));
        let mut h = g.create_group("history");
        h.set_attr(
            "columns",
            AttrValue::VarLenStringArray(r.history.columns().map(|(n, _)| n.to_string()).collect()),
        );
        for (name, col) in r.history.columns() {
            h.create_dataset(name)
                .with_f64_data(col)
                .with_shape(&[col.len() as u64]);
        }
        g.add_group(h.finish());
        if let Some(pv) = &r.provenance {
            let mut h = g.create_group("provenance");
            h.set_attr("run_id", vstr(&pv.run_id));
            h.set_attr("seed", AttrValue::I64(pv.seed));
            h.set_attr(
                "command_line",
                AttrValue::VarLenStringArray(pv.command_line.clone()),
            );
            h.set_attr("threads", AttrValue::I64(pv.threads));
            h.set_attr("started_from", vstr(&pv.started_from));
            g.add_group(h.finish());
        }
        runs.add_group(g.finish());
    }
    fb.add_group(runs.finish());
    fb.finish()
        .map_err(|e| format!("cannot encode study.h5: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_widths_leave_out_inputs_and_outputs() {
        assert_eq!(hidden(&[2, 64, 64, 1]), "64x64");
        assert_eq!(hidden(&[2, 8, 1]), "8");
    }

    #[test]
    fn numbers_round_trip_through_the_table() {
        for v in [7.01e-14, 0.1 + 0.2, 1.0 / 3.0, 12345.678] {
            assert_eq!(num(Some(v)).parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(num(None), "");
    }
}
