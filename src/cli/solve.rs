//! `pinn solve`: train a problem, show progress, write the HDF5 result atomically, print
//! the end-of-solve summary.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::progress::{Budget, Progress};
use super::stop::StopRules;
use super::{EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_SOLVE_FAILED, interrupt};
use crate::march::run_slabs_staged;
use crate::output::{Checkpointer, check_writable, remove_stale_temps, write_atomic};
use crate::problem::{LoadOptions, Problem, load_problem_with};
use crate::run::{CheckpointPlan, Start, run_from};

/// The options of `pinn solve`.
#[derive(Debug, clap::Args)]
pub struct SolveArgs {
    /// The problem file (TOML).
    pub file: PathBuf,
    /// A solver preset (lm, lm-qr, engd, gncg, lbfgs, adam, adam-lbfgs, ssbroyden, ssbfgs, adam-ssbroyden, gn-probe, gn-probe-sketch); overrides the file's.
    #[arg(long)]
    pub solver: Option<String>,
    /// Where to write the HDF5 result (default: `<problem name>.h5`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Stop after this many iterations (per slab with `[time_slabs]`; with --resume: this
    /// many more).
    #[arg(long)]
    pub max_iters: Option<usize>,
    /// Stop after this many seconds of solving (with `[time_slabs]`: for the whole
    /// march, shared equally among the slabs; with --resume: of this session).
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Seed of the parameter initialisation (overrides `[model] seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads for the residual and gradient sweeps, the Jacobian and the linear algebra
    /// (default: all cores; with --resume: the run's).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Start a new run from these parameters: a result file (`/model/params`) or a text
    /// file of numbers in the documented θ layout. The solver starts afresh (iteration
    /// 0, initial damping, no memory); to continue the same run, use --resume. With
    /// `[time_slabs]` they start slab 0; a time-slab result file is refused (it holds
    /// one network per slab).
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Continue the run stored in this result file or checkpoint exactly where it
    /// stopped: iteration count, damping or trust radius, quasi-Newton memory, Adam
    /// moments, method switch, collocation points and history carry on, with the run's
    /// own solver settings. --max-iters N then runs N more iterations (default: up to
    /// the run's own total), --time-limit limits this session.
    #[arg(long, conflicts_with = "init", value_name = "RUN.h5")]
    pub resume: Option<PathBuf>,
    /// Write a checkpoint (a complete result file of the iterate so far) every N
    /// iterations.
    #[arg(long)]
    pub checkpoint_every: Option<u64>,
    /// Write a checkpoint every T seconds (default 30; 0 turns time-based checkpoints off).
    #[arg(long, default_value_t = 30.0)]
    pub checkpoint_seconds: f64,
    /// Do not write the PNG plots (solution, exact solution, error, history) next to
    /// the result file.
    #[arg(long)]
    pub no_plots: bool,
    /// Print only errors.
    #[arg(long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print a fixed-column line per iteration.
    #[arg(long)]
    pub verbose: bool,
    /// Stop once the measured rel L2 error is at most X (needs an exact solution or a
    /// reference; measured about every 0.25 s).
    #[arg(long, value_name = "X")]
    pub target_rel_l2: Option<f64>,
    /// Stop when the lowest loss has not fallen by a relative 1e-3 over the last N
    /// iterations.
    #[arg(long, value_name = "N")]
    pub stagnation: Option<usize>,
    /// When not on a terminal: a progress line every N iterations (default: every 10 s).
    #[arg(long, value_name = "N")]
    pub log_every: Option<u64>,
    /// Print the resolved solver configuration (preset, the file's `[solver]`
    /// overrides, then the command-line options) as TOML and exit without solving.
    #[arg(long)]
    pub print_config: bool,
    /// Train N stages (multi-stage training): stage 1 is the file's network, stages
    /// 2 … N its `[[stages]]` entries, the last one repeated (without entries: a `sin`
    /// network of the `[model]` widths with stage 1's solver). Default: 1 + the number
    /// of `[[stages]]` entries. --max-iters, --time-limit and --threads apply to every
    /// stage; a multi-stage run writes no checkpoints and cannot be resumed. With
    /// `[time_slabs]` (built-in hand-over only) every slab trains N stages, and the
    /// march's time limit is split by `stage_shares`.
    #[arg(long, value_name = "N")]
    pub stages: Option<usize>,
}

/// The first bytes of every HDF5 file.
const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Parameters from a result file or a whitespace/comma separated text file. A result
/// file must hold the network `mlp` describes (layers and input embedding); a text file
/// only the right number of values (checked by the caller).
pub fn read_params(path: &Path, mlp: &crate::model::Mlp) -> Result<Vec<f64>, String> {
    let why = match crate::output::read(path) {
        Ok(r) => {
            if r.stages.is_some() {
                return Err(format!(
                    "{}: cannot start from a multi-stage result: its solution is the sum of \
                     {} networks, /model/params is the last correction only",
                    path.display(),
                    r.stages.as_ref().map_or(0, |s| s.stages.len())
                ));
            }
            if r.time_slabs.is_some() {
                return Err(format!(
                    "{}: cannot start from a time-slab result: it holds one network per slab, \
                     each valid on its own time interval only (pass its slab's parameters as a \
                     text file to start from one of them)",
                    path.display()
                ));
            }
            crate::run::check_stored_network(mlp, &r.layers, r.embedding.as_ref(), r.params.len())
                .map_err(|e| format!("{}: cannot start from this result: {e}", path.display()))?;
            return Ok(r.params);
        }
        Err(e) => e.to_string(),
    };
    let bytes = std::fs::read(path)
        .map_err(|e| format!("{}: cannot read parameters: {e}", path.display()))?;
    if bytes.starts_with(HDF5_SIGNATURE) || crate::problem::points_file::is_hdf5(path) {
        return Err(format!(
            "{}: a truncated or invalid HDF5 file ({} bytes): {why}",
            path.display(),
            bytes.len()
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: neither a result file nor a text file of numbers (byte {} is not UTF-8)",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, s)| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "{}: entry {} (`{s}`) is not a finite number",
                        path.display(),
                        i + 1
                    )
                })
        })
        .collect()
}

/// The command line's numbers checked before any work: a negative or NaN interval
/// would otherwise silently turn checkpoints off.
fn check_options(args: &SolveArgs) -> Result<(), String> {
    if let Some(t) = args.time_limit
        && !(t.is_finite() && t > 0.0)
    {
        return Err(format!(
            "--time-limit must be a positive number of seconds, found {t}"
        ));
    }
    let t = args.checkpoint_seconds;
    if !(t.is_finite() && t >= 0.0) {
        return Err(format!(
            "--checkpoint-seconds must be a finite number of seconds ≥ 0 (0 turns time-based \
             checkpoints off), found {t}"
        ));
    }
    if args.checkpoint_every == Some(0) {
        return Err(
            "--checkpoint-every must be ≥ 1 iteration (leave it out for no iteration-based \
             checkpoints)"
                .to_string(),
        );
    }
    if args.max_iters == Some(0) {
        return Err("--max-iters must be ≥ 1".to_string());
    }
    Ok(())
}

/// Sizes rayon's global pool, on which the residual and gradient sweeps, the Jacobian and
/// the dense kernels run, to `threads` (0: rayon's default, one per core). The global pool
/// can be sized only before its first use. Reading a problem file does not use it (the
/// memory estimate takes the thread count from the solver settings, see
/// [`crate::problem::memory::worker_threads`]), so `pinn solve` sizes it once the
/// settings are final: the file's `[solver] threads`, replaced by `--threads` or by a
/// resumed run's stored count. `pinn study` sizes it as soon as it has read its plan.
/// A call that can no longer apply its size says so.
pub(super) fn size_global_pool(threads: usize) {
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    if built.is_err() && threads != 0 && rayon::current_num_threads() != threads {
        eprintln!(
            "warning: {threads} threads not applied: the thread pool already runs {}",
            rayon::current_num_threads()
        );
    }
}

/// Runs `pinn solve`; returns the exit code.
pub fn solve(args: &SolveArgs) -> i32 {
    if let Err(e) = check_options(args) {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    // A resumed run keeps its stored thread count unless --threads replaces it; either
    // replaces the file's, so that the memory estimate counts the threads that will run.
    let threads = args.threads.or_else(|| {
        let stored = crate::resume::stored_threads(args.resume.as_deref()?)?;
        (stored != 0).then_some(stored)
    });
    let opts = LoadOptions {
        solver: args.solver.clone(),
        threads,
        ..LoadOptions::default()
    };
    let problem = match load_problem_with(&args.file, &opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    solve_problem(args, &problem)
}

/// The solve of an already loaded `problem` with the options of `args` (whose `file`
/// only names the problem in messages): everything `pinn solve` does after reading the
/// problem file. `pinn study` runs each point of its sweep through here, so a study run
/// is exactly the `pinn solve` of the same problem text and options.
pub fn solve_problem(args: &SolveArgs, problem: &Problem) -> i32 {
    let mut config = problem.config.clone();
    if let Some(n) = args.max_iters {
        config.termination.max_iterations = n;
    }
    if let Some(t) = args.time_limit {
        config.termination.time_limit_seconds = Some(t);
    }
    if let Some(t) = args.threads {
        config.threads = t;
    }
    if args.seed.is_some_and(|s| i64::try_from(s).is_err()) {
        eprintln!(
            "error: --seed must be at most {} (it is stored as int64)",
            i64::MAX
        );
        return EXIT_BAD_INPUT;
    }
    let n_stages = args.stages.unwrap_or_else(|| problem.stage_count());
    if n_stages == 0 {
        eprintln!("error: --stages must be at least 1");
        return EXIT_BAD_INPUT;
    }
    if n_stages > 1
        && problem
            .time_slabs
            .as_ref()
            .is_some_and(|s| !s.built_in_handover || s.carry_curvature)
    {
        eprintln!(
            "{}: error: --stages with [time_slabs] trains corrections in every slab and needs `handover = \"built_in\"` without `curvature = \"carried\"` in [time_slabs]",
            args.file.display()
        );
        return EXIT_BAD_INPUT;
    }
    if n_stages > 1 && args.resume.is_some() {
        eprintln!(
            "{}: error: --resume does not continue a multi-stage run; start it again",
            args.file.display()
        );
        return EXIT_BAD_INPUT;
    }
    if args.resume.is_some() && problem.time_slabs.is_some() {
        eprintln!(
            "{}: error: --resume does not continue a time-slab march yet; start it again, or continue one slab's network with --init on a file without [time_slabs]",
            args.file.display()
        );
        return EXIT_BAD_INPUT;
    }
    let resumed = match &args.resume {
        Some(path) => match super::resume::prepare(path, args, problem, &config) {
            Ok((c, resumed_config)) => {
                config = resumed_config;
                Some(c)
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        },
        None => None,
    };
    size_global_pool(config.threads);
    if args.print_config {
        return super::presets::print_resolved(&args.file, &config);
    }
    if let Some(path) = &args.init
        && let Ok(r) = crate::output::read(path)
        && r.transform != problem.transform.sources()
    {
        // The parameters define N; through another transform they are another solution.
        eprintln!(
            "{}: error: the run was trained with the output transform [{}], this problem \
             has [{}]: its parameters would start from another solution u",
            path.display(),
            r.transform.join(", "),
            problem.transform.sources().join(", ")
        );
        return EXIT_BAD_INPUT;
    }
    let seed = args.seed.unwrap_or(problem.init_seed);
    let theta0 = match &args.init {
        Some(path) => match read_params(path, &problem.mlp) {
            Ok(t) if t.len() == problem.mlp.n_params() => t,
            Ok(t) => {
                eprintln!(
                    "{}: error: {} parameters, but the network {:?} has {}",
                    path.display(),
                    t.len(),
                    problem.mlp.layers(),
                    problem.mlp.n_params()
                );
                return EXIT_BAD_INPUT;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        },
        None if resumed.is_some() => Vec::new(),
        None => problem.mlp.init(problem.init, seed),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.h5", problem.name)));
    // Refuse a bad output path before the work, not after it.
    if let Err(e) = check_writable(&out) {
        eprintln!("error: --out: {e}");
        return EXIT_BAD_INPUT;
    }
    // Debris of an earlier run of ours killed between write and rename.
    match remove_stale_temps(&out) {
        Ok(0) => {}
        Ok(n) => eprintln!(
            "note: removed {n} stale temporary file(s) of {}",
            out.display()
        ),
        Err(e) => eprintln!("warning: {e}"),
    }
    if let Err(e) = interrupt::install() {
        eprintln!("warning: {e}");
    }

    let mut stop = match StopRules::new(args.target_rel_l2, args.stagnation) {
        Ok(s) if s.needs_rel_l2() && problem.exact.is_none() => {
            eprintln!(
                "{}: error: --target-rel-l2 needs an exact solution or a reference, and this problem has neither",
                args.file.display()
            );
            return EXIT_BAD_INPUT;
        }
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let budget = Budget {
        max_iterations: config.termination.max_iterations,
        time_limit: config.termination.time_limit_seconds,
    };
    let mut progress = Progress::new(args.quiet, args.verbose, args.log_every, budget);
    let secs = (args.checkpoint_seconds > 0.0).then_some(args.checkpoint_seconds);
    let schedule = match Checkpointer::new(args.checkpoint_every, secs, std::time::Instant::now()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let plan = (args.checkpoint_every.is_some() || secs.is_some()).then_some(CheckpointPlan {
        path: &out,
        schedule,
    });
    // Each stage of a multi-stage run has its own limits, and its clock starts at 0; all
    // stages run on stage 1's threads (the pool is sized once).
    let threads = config.threads;
    let stage_config = |_k: usize, c: &pinn_solvers::SolverConfig| {
        let mut c = c.clone();
        if let Some(n) = args.max_iters {
            c.termination.max_iterations = n;
        }
        if let Some(t) = args.time_limit {
            c.termination.time_limit_seconds = Some(t);
        }
        c.threads = threads;
        c
    };
    let stage_budgets: Vec<Budget> = (2..=n_stages)
        .map(|k| {
            let c = stage_config(k, &problem.stage_setup(k).config);
            Budget {
                max_iterations: c.termination.max_iterations,
                time_limit: c.termination.time_limit_seconds,
            }
        })
        .collect();
    let mut shown_stage = 1;
    let mut last_rel = None;
    let n_slabs = problem
        .time_slabs
        .as_ref()
        .map(crate::problem::TimeSlabs::count);
    let mut on_iteration =
        |slab: Option<usize>, rec: &pinn_solvers::IterationRecord, rel: Option<f64>| {
            if rel.is_some() {
                last_rel = rel;
            }
            let tag = match (slab, n_slabs) {
                (Some(k), Some(n)) if n_stages > 1 => {
                    format!(
                        "slab {}/{n} stage {}/{n_stages} ",
                        k / n_stages + 1,
                        k % n_stages + 1
                    )
                }
                (Some(k), Some(n)) => format!("slab {}/{n} ", k + 1),
                (Some(k), None) => {
                    if k != shown_stage && k >= 2 {
                        shown_stage = k;
                        progress.new_stage(stage_budgets[k - 2]);
                    }
                    format!("stage {k}/{n_stages} ")
                }
                _ => String::new(),
            };
            progress.iteration(&tag, rec, rel, last_rel);
            if stop.observe(rec.loss, rel) {
                return ControlFlow::Break(());
            }
            if interrupt::requested() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
    let from = Some(super::resume::provenance(args, seed, resumed.as_ref()));
    let outcome = if n_slabs.is_some() {
        // A march records where it started from like a plain run; it keeps no solver
        // state, since a march is restarted rather than resumed.
        run_slabs_staged(
            problem,
            &config,
            &theta0,
            n_stages,
            stage_config,
            plan,
            |k, s, rec, _theta, rel| on_iteration(Some(k * n_stages + s - 1), rec, rel),
        )
        .map(|mut o| {
            o.result.provenance.clone_from(&from);
            o
        })
    } else if n_stages > 1 {
        crate::stages::run_stages(
            problem,
            &config,
            &theta0,
            n_stages,
            stage_config,
            |k, rec, _theta, rel| on_iteration(Some(k), rec, rel),
        )
        .map(|mut o| {
            o.result.provenance.clone_from(&from);
            o
        })
    } else {
        let start = resumed
            .as_ref()
            .map_or(Start::Params(&theta0), Start::Resume);
        run_from(problem, &config, start, from, plan, |rec, _theta, rel| {
            on_iteration(None, rec, rel)
        })
    };
    progress.finish();
    let mut outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}: error: {e}", args.file.display());
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(s) = stop.stopped() {
        outcome.result.metrics.termination = s.termination().to_string();
    }
    if let Err(e) = write_atomic(&out, &outcome.result) {
        eprintln!("error: {e}");
        return EXIT_SOLVE_FAILED;
    }
    // Plots are a by-product: the result file is written, so a failed plot only warns.
    let plots = if args.no_plots {
        Vec::new()
    } else {
        match crate::plot::plot_result(&out, &outcome.result) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("warning: plots not written: {e}");
                Vec::new()
            }
        }
    };
    if !args.quiet {
        if args.verbose {
            outln!("{}", outcome.summary.full());
        }
        for (k, s) in outcome
            .result
            .stages
            .iter()
            .flat_map(|s| s.stages.iter())
            .enumerate()
        {
            // Iterations, time, loss and errors per stage are in the summary below.
            outln!(
                "stage {}/{n_stages} ({} {:?}, ε = {:.3e}, κ = {:.3}, preset {})",
                k + 1,
                s.activation,
                s.layers,
                s.epsilon,
                s.kappa,
                s.preset
            );
        }
        for note in &outcome.notes {
            outln!("{note}");
        }
        let n = outcome.slabs.len();
        for (k, s) in outcome.slabs.iter().enumerate() {
            let rel = s
                .rel_l2
                .map(|r| format!(", rel L2 {r:.3e} on its evaluation points"))
                .unwrap_or_default();
            outln!(
                "slab {}/{} t in [{}, {}]: {} iterations, final loss {:.6e} ({}){rel}",
                k + 1,
                n_slabs.unwrap_or(n),
                s.interval.0,
                s.interval.1,
                s.iterations,
                s.final_loss,
                s.termination
            );
            if !s.stages.is_empty() {
                outln!("  {}", slab_stages_line(&s.stages));
            }
        }
        let name = &outcome.result.problem_name;
        out!(
            "{}",
            super::summary::summary(&outcome, stop.stopped(), name)
        );
        outln!("result written to {}", out.display());
        for p in &plots {
            outln!("plot written to {}", p.display());
        }
    }
    if interrupt::requested() {
        eprintln!("stopped by a signal; the result of the last iterate was written");
        return EXIT_INTERRUPTED;
    }
    if outcome.summary.accepted_steps == 0 {
        // From the random initialisation that is a failed run; from `--init` (say a
        // converged result continued) it only means nothing better was found.
        if args.init.is_none() && args.resume.is_none() {
            eprintln!(
                "{}: FAILED: no step was accepted, so the result is the random initial network",
                args.file.display()
            );
            return EXIT_SOLVE_FAILED;
        }
        if !args.quiet {
            outln!("no step was accepted: the result holds the starting parameters unchanged");
        }
    }
    let verdict = outcome.verdict();
    if verdict.is_useful() && !args.quiet {
        outln!("verdict: {verdict}");
    }
    if !verdict.is_useful() {
        // Said even with --quiet: it is the one thing a user must not miss.
        eprintln!("{}: {verdict}", args.file.display());
        return EXIT_SOLVE_FAILED;
    }
    if outcome.summary.is_solution_usable() {
        EXIT_OK
    } else {
        EXIT_SOLVE_FAILED
    }
}

/// A slab's stages on one line: `stage 1: 9 001 iterations, loss 2.96e-9; stage 2 (ε =
/// 5.04e-5): 1 493 iterations, loss 6.40e-10`, each loss that of the slab's network sum
/// up to that stage, so a correction's gain reads off from one stage to the next.
fn slab_stages_line(stages: &[crate::run::SlabStageOutcome]) -> String {
    stages
        .iter()
        .enumerate()
        .map(|(s, st)| {
            let scale = if s == 0 {
                String::new()
            } else {
                format!(" (ε = {:.2e})", st.epsilon)
            };
            format!(
                "stage {}{scale}: {} iterations, loss {:.2e}",
                s + 1,
                st.iterations,
                st.final_loss
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod slab_stages_line_tests {
    use super::slab_stages_line;
    use crate::run::SlabStageOutcome;

    #[test]
    fn each_stage_shows_its_iterations_loss_and_scale() {
        let line = slab_stages_line(&[
            SlabStageOutcome {
                iterations: 9001,
                final_loss: 2.96e-9,
                epsilon: 1.0,
            },
            SlabStageOutcome {
                iterations: 1493,
                final_loss: 6.4e-10,
                epsilon: 5.04e-5,
            },
        ]);
        assert_eq!(
            line,
            "stage 1: 9001 iterations, loss 2.96e-9; stage 2 (ε = 5.04e-5): 1493 iterations, loss 6.40e-10"
        );
    }
}
