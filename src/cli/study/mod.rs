//! `pinn study SPEC.toml`: a verification study — one problem swept over network
//! widths, collocation point counts, seeds and solver presets — run one solve after
//! another, ending in convergence tables and plots.
//!
//! Each run is [`solve_problem`] on the run's problem text with `--solver`, `--seed`,
//! `--max-iters`, `--time-limit` and `--out` set: exactly what `pinn solve` does with
//! those options, writing the ordinary result file `<out>/<run>.h5`. The study is
//! resumable: a run whose result file exists, holds the same problem text, solver
//! settings and seed, ran to its own end (not stopped by a signal) and whose stored
//! solution its parameters reproduce, is reused instead of run again. After every run
//! the summary of the runs so far is rewritten atomically (`study.h5`, `study.md`,
//! `study.csv`, `study_error_vs_*.png`), so a study stopped by Ctrl-C, SIGTERM or a
//! crash leaves a consistent summary of what was completed.

pub mod plan;
pub mod report;
pub mod spec;

use std::path::{Path, PathBuf};

use super::solve::{SolveArgs, solve_problem};
use super::{EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_SOLVE_FAILED, interrupt};
use crate::output::RunResult;
use crate::output::atomic::write_bytes_atomic;
use crate::plot::study::{StudyPoint, draw_study};
use crate::problem::Problem;
use plan::{RunPlan, Study};
use report::Record;

/// The options of `pinn study`.
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// The study file (TOML).
    pub spec: PathBuf,
    /// Check the study file and list its runs (and which are already complete), without
    /// solving.
    #[arg(long)]
    pub dry_run: bool,
    /// Print only one line per run (and errors).
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `pinn study`; returns the exit code (0 every run done, 1 a run failed, 2 a bad
/// study file, 130 stopped by a signal after writing the summary).
pub fn study(args: &StudyArgs) -> i32 {
    let study = match plan::plan(&args.spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(t) = study.threads {
        super::solve::size_global_pool(t);
    }
    let n = study.runs.len();
    outln!(
        "study of {}: {n} run(s) into {}",
        study.problem_name,
        study.out_dir.display()
    );
    if args.dry_run {
        for (k, run) in study.runs.iter().enumerate() {
            let done = run
                .problem(&study)
                .is_ok_and(|p| completed(&study, run, &p).is_ok());
            outln!(
                "[{}/{n}] {}{}",
                k + 1,
                run.name,
                if done { " (complete)" } else { "" }
            );
        }
        return EXIT_OK;
    }
    if let Err(e) = std::fs::create_dir_all(&study.out_dir) {
        eprintln!("error: cannot create {}: {e}", study.out_dir.display());
        return EXIT_BAD_INPUT;
    }
    if let Err(e) = interrupt::install() {
        eprintln!("warning: {e}");
    }
    let mut records: Vec<Record> = Vec::new();
    let mut code = EXIT_OK;
    for (k, run) in study.runs.iter().enumerate() {
        if interrupt::requested() {
            break;
        }
        let problem = match run.problem(&study) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                code = EXIT_BAD_INPUT;
                break;
            }
        };
        let path = result_path(&study, run);
        let file = format!("{}.h5", run.name);
        outln!(
            "[{}/{n}] {}: layers {:?}, {} points, seed {}, {}",
            k + 1,
            run.name,
            run.layers,
            run.n_points(),
            run.seed,
            run.solver
        );
        match completed(&study, run, &problem) {
            Ok(r) => {
                outln!("  reused: {} is complete", path.display());
                records.push(Record::new(run, file, r, true, None));
            }
            Err(why) => {
                if path.exists() {
                    outln!("  {} {why}: running it again", path.display());
                }
                let exit = solve_problem(&solve_args(&study, run, &path, args.quiet), &problem);
                if exit == EXIT_INTERRUPTED {
                    outln!("  stopped by a signal: not counted as complete");
                    code = EXIT_INTERRUPTED;
                    break;
                }
                if exit == EXIT_BAD_INPUT {
                    code = EXIT_BAD_INPUT;
                    break;
                }
                if exit != EXIT_OK {
                    code = EXIT_SOLVE_FAILED;
                }
                match crate::output::read(&path) {
                    Ok(r) => {
                        outln!("  {}", one_line(&r));
                        records.push(Record::new(run, file, r, false, Some(exit)));
                    }
                    Err(e) => eprintln!("  no result to summarise: {e}"),
                }
            }
        }
        write_summary(&study, &records);
    }
    let written = write_summary(&study, &records);
    outln!(
        "{} of {n} runs complete; summary in {}",
        records.len(),
        written.join(", ")
    );
    if interrupt::requested() {
        return EXIT_INTERRUPTED;
    }
    code
}

/// `<out>/<run>.h5`.
pub fn result_path(study: &Study, run: &RunPlan) -> PathBuf {
    study.out_dir.join(format!("{}.h5", run.name))
}

/// The `pinn solve` options of one run. Checkpoints are off: a run killed mid-way
/// leaves no file, so the next study runs it again rather than mistaking a checkpoint
/// for a finished run.
fn solve_args(study: &Study, run: &RunPlan, out: &Path, quiet: bool) -> SolveArgs {
    SolveArgs {
        file: study.problem_path.clone(),
        solver: Some(run.solver.clone()),
        out: Some(out.to_path_buf()),
        max_iters: study.max_iters,
        time_limit: study.time_limit,
        seed: Some(run.seed),
        threads: study.threads,
        init: None,
        resume: None,
        checkpoint_every: None,
        checkpoint_seconds: 0.0,
        no_plots: !study.run_plots,
        quiet,
        verbose: false,
        target_rel_l2: None,
        stagnation: None,
        log_every: None,
        print_config: false,
        stages: None,
    }
}

/// The solver settings `pinn solve` records for this run (`/config/solver`).
fn solver_text(study: &Study, problem: &Problem) -> String {
    let mut config = problem.config.clone();
    if let Some(n) = study.max_iters {
        config.termination.max_iterations = n;
    }
    if let Some(t) = study.time_limit {
        config.termination.time_limit_seconds = Some(t);
    }
    if let Some(t) = study.threads {
        config.threads = t;
    }
    toml::to_string(&config).unwrap_or_default()
}

/// The stored result of `run` when it is complete, else why not.
fn completed(study: &Study, run: &RunPlan, problem: &Problem) -> Result<RunResult, String> {
    let path = result_path(study, run);
    if !path.exists() {
        return Err("does not exist".into());
    }
    let r = crate::output::read(&path).map_err(|e| format!("cannot be read ({e})"))?;
    if r.config_problem != run.text {
        return Err("holds another problem text".into());
    }
    if r.config_solver != solver_text(study, problem) {
        return Err("holds other solver settings".into());
    }
    if r.provenance.as_ref().map(|p| p.seed) != i64::try_from(run.seed).ok() {
        return Err("holds another seed".into());
    }
    if r.metrics.termination == "UserStop" {
        return Err("was stopped before its end".into());
    }
    if r.params.len() != problem.mlp.n_params() || r.time_slabs.is_some() {
        return Err("holds another network".into());
    }
    let ev = &r.evaluation;
    let u = problem.solution(&r.params, ev.points.as_ref());
    let same_shape = u.nrows() == ev.u.nrows() && u.ncols() == ev.u.ncols();
    let reproduced = same_shape
        && (0..u.nrows()).all(|i| {
            (0..u.ncols()).all(|j| {
                (u[(i, j)] - ev.u[(i, j)]).abs()
                    <= super::validate::TOLERANCE * ev.u[(i, j)].abs().max(1.0)
            })
        });
    if !reproduced {
        return Err("holds a solution its parameters do not reproduce".into());
    }
    Ok(r)
}

/// The one-line outcome of a run.
fn one_line(r: &RunResult) -> String {
    let m = &r.metrics;
    let err = m
        .rel_l2
        .map_or_else(String::new, |e| format!("rel L2 {e:.3e}, "));
    format!(
        "{err}final loss {:.3e}, {} iterations, {:.1} s ({})",
        m.final_loss, m.iterations, m.wall_time_s, m.termination
    )
}

/// Rewrites the summary files of `records`; returns the paths written (failures warn:
/// the result files are the data, the summary can be rebuilt by running the study
/// again, which reuses them).
fn write_summary(study: &Study, records: &[Record]) -> Vec<String> {
    let dir = &study.out_dir;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Result<Vec<u8>, String>| {
        let path = dir.join(name);
        match bytes.and_then(|b| write_bytes_atomic(&path, &b).map_err(|e| e.to_string())) {
            Ok(()) => written.push(path.display().to_string()),
            Err(e) => eprintln!("warning: {} not written: {e}", path.display()),
        }
    };
    put("study.h5", report::hdf5(study, records));
    put(
        "study.md",
        Ok(report::markdown(study, records).into_bytes()),
    );
    put("study.csv", Ok(report::csv(records).into_bytes()));
    let with_error = records.iter().any(|r| r.metrics.rel_l2.is_some());
    let points: Vec<StudyPoint> = records
        .iter()
        .map(|r| StudyPoint {
            solver: r.plan.solver.clone(),
            n_params: r.plan.n_params,
            n_points: r.plan.n_points(),
            wall_time_s: r.metrics.wall_time_s,
            value: if with_error {
                r.metrics.rel_l2.unwrap_or(f64::NAN)
            } else {
                r.metrics.final_loss
            },
        })
        .collect();
    if !points.is_empty() {
        let what = if with_error {
            "rel L2 error"
        } else {
            "final loss"
        };
        match draw_study(dir, what, &points) {
            Ok(paths) => written.extend(paths.iter().map(|p| p.display().to_string())),
            Err(e) => eprintln!("warning: study plots not written: {e}"),
        }
    }
    written
}
