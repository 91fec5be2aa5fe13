//! A study file checked and expanded into its runs before any run starts: every axis
//! value checked where it is written, every run's problem built once (so a width or a
//! point count the problem cannot take is refused up front, not after an hour of runs).
//!
//! A run's problem is the problem file's text with the swept values written over the
//! values they replace (`[model] layers` and the blocks' `points.count`), located by
//! the spans the problem parser keeps: everything else — comments, line numbers, the
//! other settings — stays as the user wrote it, and it is this text that the run's
//! result file stores in `/config/problem`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::spec::{StudySpec, SweepSpec, read_spec};
use crate::presets::{preset, preset_names};
use crate::problem::{InputError, LoadOptions, Problem, ProblemSpec, build_problem_with};

/// A checked study: where things are, the budget, and the runs in order.
#[derive(Debug)]
pub struct Study {
    /// The study file.
    pub spec_path: PathBuf,
    /// Its text (stored in `study.h5`).
    pub spec_text: String,
    /// The problem file (resolved against the study file's directory).
    pub problem_path: PathBuf,
    /// The problem's name.
    pub problem_name: String,
    /// The output directory.
    pub out_dir: PathBuf,
    /// `--max-iters` of every run.
    pub max_iters: Option<usize>,
    /// `--time-limit` of every run.
    pub time_limit: Option<f64>,
    /// `--threads` of every run.
    pub threads: Option<usize>,
    /// Whether each run writes its own plots.
    pub run_plots: bool,
    /// The runs: the Cartesian product of the axes, widths outermost, solvers innermost.
    pub runs: Vec<RunPlan>,
}

/// One run of the sweep.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// `<problem>-w<hidden widths>-n<point counts>-s<seed>-<solver>`: the result file's
    /// stem, derived from the settings alone.
    pub name: String,
    /// The network's layer widths, inputs to outputs.
    pub layers: Vec<usize>,
    /// Each residual block's name and point count.
    pub blocks: Vec<(String, usize)>,
    /// The number of network parameters.
    pub n_params: usize,
    /// The seed of the parameter initialisation.
    pub seed: u64,
    /// The solver preset.
    pub solver: String,
    /// The problem text of this run.
    pub text: String,
}

impl RunPlan {
    /// The total number of collocation points.
    pub fn n_points(&self) -> usize {
        self.blocks.iter().map(|b| b.1).sum()
    }

    /// Builds the run's problem (the same text and options every time, so the same
    /// points and evaluation set).
    ///
    /// # Errors
    /// The problem does not build (cannot happen for a plan from [`plan`] unless the
    /// files it names changed meanwhile).
    pub fn problem(&self, study: &Study) -> Result<Problem, InputError> {
        build(
            &study.problem_path,
            &self.text,
            Some(&self.solver),
            study.threads,
        )
    }
}

/// The problem of one run: `text` with the run's `solver` and the study's `threads`.
fn build(
    path: &Path,
    text: &str,
    solver: Option<&str>,
    threads: Option<usize>,
) -> Result<Problem, InputError> {
    let spec = crate::problem::parse_spec(path, text)?;
    let opts = LoadOptions {
        solver: solver.map(str::to_string),
        threads,
        ..LoadOptions::default()
    };
    build_problem_with(path, text, spec, &opts)
}

/// How one run sets the collocation point counts.
#[derive(Debug, Clone)]
enum Points {
    /// The problem's counts.
    Problem,
    /// Counts per block name.
    Counts(BTreeMap<String, usize>),
    /// A factor on every sampled block's count.
    Scale(f64),
}

/// Reads, checks and expands the study file at `spec_path`.
///
/// # Errors
/// Any bad value, with the study file's (or the problem file's) line and column.
pub fn plan(spec_path: &Path) -> Result<Study, InputError> {
    let (spec_text, spec) = read_spec(spec_path)?;
    let err = |span: std::ops::Range<usize>, m: String| {
        InputError::at_span(spec_path, &spec_text, span, m)
    };
    let dir = spec_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let problem_path = dir.join(spec.problem.get_ref());
    let (problem_text, problem_spec) = crate::problem::load_spec(&problem_path)?;
    let threads = match &spec.threads {
        None => None,
        Some(t) if *t.get_ref() >= 1 => Some(*t.get_ref() as usize),
        Some(t) => return Err(err(t.span(), "`threads` must be at least 1".into())),
    };
    let base = build(&problem_path, &problem_text, None, threads)?;
    if base.time_slabs.is_some() {
        return Err(err(
            spec.problem.span(),
            "a study sweeps problems solved in one piece; this problem marches in \
             `[time_slabs]`"
                .into(),
        ));
    }
    let out_dir = dir.join(spec.out.get_ref());
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(err(
            spec.out.span(),
            format!("`{}` exists and is not a directory", out_dir.display()),
        ));
    }
    let (max_iters, time_limit) = budget(&spec, &err)?;
    let empty = SweepSpec {
        widths: None,
        points: None,
        point_scale: None,
        seeds: None,
        solvers: None,
    };
    let sweep = spec.sweep.as_ref().map_or(&empty, Spanned::get_ref);
    let widths = widths(sweep, &err)?;
    let points = points(sweep, &problem_spec, &err)?;
    let seeds: Vec<(Option<u64>, Option<Span>)> = match &sweep.seeds {
        None => vec![(None, None)],
        Some(s) => nonempty(s, "seeds", &err)?
            .iter()
            .map(|v| match u64::try_from(*v.get_ref()) {
                Ok(seed) => Ok((Some(seed), Some(v.span()))),
                Err(_) => Err(err(v.span(), "a seed must be ≥ 0".into())),
            })
            .collect::<Result<_, _>>()?,
    };
    let solvers: Vec<(Option<String>, Option<Span>)> = match &sweep.solvers {
        None => vec![(None, None)],
        Some(s) => nonempty(s, "solvers", &err)?
            .iter()
            .map(|v| match preset(v.get_ref()) {
                Some(_) => Ok((Some(v.get_ref().clone()), Some(v.span()))),
                None => Err(err(
                    v.span(),
                    format!(
                        "unknown solver preset `{}`: expected one of {}",
                        v.get_ref(),
                        preset_names()
                    ),
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    let mut runs: Vec<RunPlan> = Vec::new();
    for (hidden, w_span) in &widths {
        for (pts, p_span) in &points {
            for (seed, s_span) in &seeds {
                for (solver, v_span) in &solvers {
                    let text = derive(&problem_text, &problem_spec, hidden.as_deref(), pts);
                    // Blame the first swept value of this run: it made the text.
                    let blame = [w_span, p_span, v_span, s_span]
                        .into_iter()
                        .find_map(Clone::clone)
                        .unwrap_or_else(|| spec.problem.span());
                    let p =
                        build(&problem_path, &text, solver.as_deref(), threads).map_err(|e| {
                            err(
                                blame.clone(),
                                format!("the problem with this setting does not build: {e}"),
                            )
                        })?;
                    let run = describe(&p, seed.unwrap_or(p.init_seed), text);
                    if let Some(twin) = runs.iter().find(|r| r.name == run.name) {
                        return Err(err(
                            blame,
                            format!(
                                "two runs of the sweep have the same settings (`{}`)",
                                twin.name
                            ),
                        ));
                    }
                    runs.push(run);
                }
            }
        }
    }
    Ok(Study {
        spec_path: spec_path.to_path_buf(),
        spec_text: spec_text.clone(),
        problem_path,
        problem_name: base.name,
        out_dir,
        max_iters,
        time_limit,
        threads,
        run_plots: spec.run_plots.unwrap_or(false),
        runs,
    })
}

type Span = std::ops::Range<usize>;

fn nonempty<'a, T>(
    v: &'a Spanned<Vec<T>>,
    what: &str,
    err: &impl Fn(Span, String) -> InputError,
) -> Result<&'a [T], InputError> {
    if v.get_ref().is_empty() {
        return Err(err(
            v.span(),
            format!("`{what}` is empty: give at least one value, or leave the axis out"),
        ));
    }
    Ok(v.get_ref())
}

fn budget(
    spec: &StudySpec,
    err: &impl Fn(Span, String) -> InputError,
) -> Result<(Option<usize>, Option<f64>), InputError> {
    let b = spec.budget.get_ref();
    let max_iters = match &b.max_iters {
        None => None,
        Some(n) if *n.get_ref() >= 1 => Some(*n.get_ref() as usize),
        Some(n) => return Err(err(n.span(), "`max_iters` must be at least 1".into())),
    };
    let time_limit = match &b.time_limit {
        None => None,
        Some(t) if t.get_ref().is_finite() && *t.get_ref() > 0.0 => Some(*t.get_ref()),
        Some(t) => {
            return Err(err(
                t.span(),
                "`time_limit` must be a positive number of seconds".into(),
            ));
        }
    };
    if max_iters.is_none() && time_limit.is_none() {
        return Err(err(
            spec.budget.span(),
            "`[budget]` needs `max_iters`, `time_limit` or both: every run needs an end".into(),
        ));
    }
    Ok((max_iters, time_limit))
}

type Axis<T> = Vec<(T, Option<Span>)>;

fn widths(
    sweep: &SweepSpec,
    err: &impl Fn(Span, String) -> InputError,
) -> Result<Axis<Option<Vec<usize>>>, InputError> {
    let Some(w) = &sweep.widths else {
        return Ok(vec![(None, None)]);
    };
    nonempty(w, "widths", err)?
        .iter()
        .map(|entry| {
            if entry.get_ref().is_empty() {
                return Err(err(
                    entry.span(),
                    "a network needs at least one hidden layer, e.g. `[32]`".into(),
                ));
            }
            let hidden = entry
                .get_ref()
                .iter()
                .map(|v| match usize::try_from(*v.get_ref()) {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(err(v.span(), "a layer width must be at least 1".into())),
                })
                .collect::<Result<Vec<usize>, _>>()?;
            Ok((Some(hidden), Some(entry.span())))
        })
        .collect()
}

fn points(
    sweep: &SweepSpec,
    problem: &ProblemSpec,
    err: &impl Fn(Span, String) -> InputError,
) -> Result<Axis<Points>, InputError> {
    let sampled: Vec<&str> = problem
        .blocks
        .iter()
        .filter(|b| b.get_ref().points.get_ref().count.is_some())
        .map(|b| b.get_ref().name.get_ref().as_str())
        .collect();
    match (&sweep.points, &sweep.point_scale) {
        (Some(_), Some(s)) => Err(err(
            s.span(),
            "give either `points` or `point_scale`, not both".into(),
        )),
        (None, None) => Ok(vec![(Points::Problem, None)]),
        (None, Some(s)) => nonempty(s, "point_scale", err)?
            .iter()
            .map(|v| match *v.get_ref() {
                f if f.is_finite() && f > 0.0 => Ok((Points::Scale(f), Some(v.span()))),
                _ => Err(err(v.span(), "a point scale must be a positive number".into())),
            })
            .collect(),
        (Some(p), None) => nonempty(p, "points", err)?
            .iter()
            .map(|table| {
                let mut counts = BTreeMap::new();
                for (k, v) in table.get_ref() {
                    if !sampled.contains(&k.get_ref().as_str()) {
                        return Err(err(
                            k.span(),
                            format!(
                                "no block `{}` with a point `count` in the problem: expected one of {}",
                                k.get_ref(),
                                sampled.join(", ")
                            ),
                        ));
                    }
                    match usize::try_from(*v.get_ref()) {
                        Ok(n) if n >= 1 => counts.insert(k.get_ref().clone(), n),
                        _ => return Err(err(v.span(), "a point count must be at least 1".into())),
                    };
                }
                Ok((Points::Counts(counts), Some(table.span())))
            })
            .collect(),
    }
}

/// The problem text with the hidden widths and point counts of one run written over
/// the problem's own values.
fn derive(text: &str, spec: &ProblemSpec, hidden: Option<&[usize]>, points: &Points) -> String {
    let mut edits: Vec<(Span, String)> = Vec::new();
    if let Some(hidden) = hidden {
        let layers = &spec.model.get_ref().layers;
        let (first, last) = match layers.get_ref().as_slice() {
            [first, .., last] => (*first.get_ref(), *last.get_ref()),
            // Cannot happen for a problem that built; its own error then stands.
            _ => return text.to_string(),
        };
        let all: Vec<String> = std::iter::once(first)
            .chain(hidden.iter().map(|&w| w as i64))
            .chain(std::iter::once(last))
            .map(|w| w.to_string())
            .collect();
        edits.push((layers.span(), format!("[{}]", all.join(", "))));
    }
    for b in &spec.blocks {
        let b = b.get_ref();
        let Some(count) = &b.points.get_ref().count else {
            continue;
        };
        let new = match points {
            Points::Problem => None,
            Points::Counts(c) => c.get(b.name.get_ref()).copied(),
            Points::Scale(f) => Some(((*count.get_ref() as f64 * f).round() as usize).max(1)),
        };
        if let Some(n) = new {
            edits.push((count.span(), n.to_string()));
        }
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text.to_string();
    for (span, new) in edits {
        out.replace_range(span, &new);
    }
    out
}

/// The settings of a built run's problem.
fn describe(p: &Problem, seed: u64, text: String) -> RunPlan {
    let layers = p.mlp.layers().to_vec();
    let blocks: Vec<(String, usize)> = p
        .blocks
        .iter()
        .zip(&p.sampling)
        .map(|(b, s)| (b.name().to_string(), s.count))
        .collect();
    let hidden: Vec<String> = layers[1..layers.len() - 1]
        .iter()
        .map(usize::to_string)
        .collect();
    let counts: Vec<String> = blocks.iter().map(|b| b.1.to_string()).collect();
    let name = format!(
        "{}-w{}-n{}-s{seed}-{}",
        p.name,
        hidden.join("x"),
        counts.join("_"),
        p.preset
    );
    RunPlan {
        name,
        n_params: p.mlp.n_params(),
        layers,
        blocks,
        seed,
        solver: p.preset.clone(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBLEM: &str = r#"name = "p"
[domain]
variables = ["x"]
bounds = [[0.0, 1.0]]
[model]
layers = [1, 8, 1]   # a comment that stays
[[blocks]]
name = "interior"
kind = "pde"
equation = "u_xx + 1"
points = { count = 10 }
[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = { count = 4 }
"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn dir(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("pinn-study-plan-{tag}-{}", std::process::id()))
    }

    #[test]
    fn derive_rewrites_only_the_swept_values() {
        let spec = crate::problem::parse_spec(Path::new("p.toml"), PROBLEM).unwrap();
        let mut counts = BTreeMap::new();
        counts.insert("boundary".to_string(), 7);
        let t = derive(PROBLEM, &spec, Some(&[16, 16]), &Points::Counts(counts));
        assert!(
            t.contains("layers = [1, 16, 16, 1]   # a comment that stays"),
            "{t}"
        );
        assert!(t.contains("points = { count = 10 }"), "{t}");
        assert!(t.contains("points = { count = 7 }"), "{t}");
        assert_eq!(t.lines().count(), PROBLEM.lines().count());
        let t = derive(PROBLEM, &spec, None, &Points::Scale(2.5));
        assert!(
            t.contains("count = 25 }") && t.contains("count = 10 }"),
            "{t}"
        );
    }

    #[test]
    fn the_runs_are_the_cartesian_product_with_names_from_settings() {
        let d = dir("product");
        write(&d, "p.toml", PROBLEM);
        let s = write(
            &d,
            "s.toml",
            "problem = \"p.toml\"\nout = \"out\"\n[sweep]\nwidths = [[4], [4, 4]]\n\
             point_scale = [1, 2]\nseeds = [3]\nsolvers = [\"lm\", \"adam\"]\n\
             [budget]\nmax_iters = 2\n",
        );
        let study = plan(&s).expect("plans");
        let names: Vec<&str> = study.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), 8);
        assert_eq!(names[0], "p-w4-n10_4-s3-lm");
        assert_eq!(names[1], "p-w4-n10_4-s3-adam");
        assert_eq!(names[2], "p-w4-n20_8-s3-lm");
        assert_eq!(names[7], "p-w4x4-n20_8-s3-adam");
        assert_eq!(study.runs[4].layers, vec![1, 4, 4, 1]);
        assert_eq!(study.runs[4].n_params, 4 + 4 + 16 + 4 + 4 + 1);
        assert_eq!(study.runs[2].n_points(), 28);
        assert_eq!(study.out_dir, d.join("out"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn bad_values_are_located_in_the_study_file() {
        let d = dir("bad");
        write(&d, "p.toml", PROBLEM);
        let cases = [
            ("[sweep]\nwidths = [[4], [0]]\n", 4, "at least 1"),
            (
                "[sweep]\npoints = [{ interior = 5, bndry = 3 }]\n",
                4,
                "no block `bndry`",
            ),
            (
                "[sweep]\nsolvers = [\"lm\", \"newton\"]\n",
                4,
                "unknown solver preset",
            ),
            ("[sweep]\nseeds = []\n", 4, "is empty"),
            (
                "[sweep]\npoints = [{ interior = 5 }]\npoint_scale = [1]\n",
                5,
                "not both",
            ),
        ];
        for (k, (sweep, line, expect)) in cases.iter().enumerate() {
            let text =
                format!("problem = \"p.toml\"\nout = \"out\"\n{sweep}[budget]\nmax_iters = 1\n");
            let s = write(&d, &format!("s{k}.toml"), &text);
            let e = plan(&s).expect_err(sweep);
            assert_eq!(e.at.map(|a| a.line), Some(*line), "{e}");
            assert!(e.message.contains(expect), "{e}");
        }
        let s = write(
            &d,
            "nobudget.toml",
            "problem = \"p.toml\"\nout = \"o\"\n[budget]\n",
        );
        let e = plan(&s).expect_err("no budget");
        assert!(e.message.contains("needs `max_iters`"), "{e}");
        let s = write(
            &d,
            "noproblem.toml",
            "problem = \"q.toml\"\nout = \"o\"\n[budget]\nmax_iters = 1\n",
        );
        let e = plan(&s).expect_err("missing problem");
        assert!(e.to_string().contains("q.toml"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
