//! From the file as written ([`ProblemSpec`]) to a problem the engine can run
//! ([`Problem`]): names resolved, expressions compiled, points sampled, every semantic
//! error pinned to the file, line and column of the value at fault.
//!
//! The block kinds of a problem file map onto [`BlockKind`]s:
//!
//! | `kind` | residual | points |
//! |---|---|---|
//! | `pde` | `equation` (or `equations`) | interior of the box |
//! | `dirichlet` | `u_o − value` | `faces` (default: every face not of the time variable) |
//! | `neumann` | `∂u_o/∂n − value` | one block per face (weights split so the mean is over the whole set) |
//! | `boundary` | `equation(s)`, any formula (Robin, ...) | `faces` |
//! | `initial` | `u_o − value` at `t = t_min` | the `t_min` face |
//! | `initial_velocity` | `∂u_o/∂t − value` at `t = t_min` | the `t_min` face |
//! | `periodic` | `u_o(x_lo) − u_o(x_hi)` (+ first derivatives with `derivatives = true`) | the lower face of `axis` |

mod budget;
mod domain;
mod finite;
mod points;
mod transform;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use faer::Mat;
use toml::Spanned;

use pinn_solvers::SolverConfig;

use super::error::InputError;
use super::exact::ExactSolution;
use super::name::problem_name;
use super::options::LoadOptions;
use super::points_file::read_reference;
use super::sampling::{BlockSampling, adaptive_sampling};
use super::solver::solver_settings;
use super::spec::{BlockSpec, ProblemSpec};
use super::value_minus::ValueMinus;
use crate::expr::{
    CompiledFunction, Context, ExprError, OutputTransform, parse_function, parse_residual,
};
use crate::geometry::{self, BoxDomain, Face, Sampler};
use crate::model::{Init, Mlp};
use crate::residual::block::{BlockKind, ResidualBlock};
use crate::residual::{Channel, PointFunction, PointResidual};

/// A problem ready to run: the network, the residual blocks, the exact solution and the
/// evaluation points.
#[derive(Clone)]
pub struct Problem {
    /// The problem name.
    pub name: String,
    /// The problem file's full text (stored in result files).
    pub text: String,
    /// The path the problem was read from (files it names are relative to it).
    pub path: std::path::PathBuf,
    /// The domain.
    pub domain: BoxDomain,
    /// Variables, outputs and constants, as the expressions see them.
    pub context: Context,
    /// The network `N_θ`.
    pub mlp: Mlp,
    /// The output transforms `u = T(x, N)` (`[transform]`; the identity without one):
    /// the solution is [`Problem::solution`], never the raw network output.
    pub transform: OutputTransform,
    /// Remarks on the file that are not errors (`file:line:column: note: …`), e.g. a
    /// `periodic` block made redundant by a periodic embedding; `pinn check` prints them.
    pub notes: Vec<String>,
    /// How to initialise the parameters.
    pub init: Init,
    /// The initialisation seed.
    pub init_seed: u64,
    /// The residual blocks, in file order (a Neumann block on several faces becomes one
    /// block per face, named `<name>_<face>`).
    pub blocks: Vec<ResidualBlock>,
    /// How each block's points were drawn (same order as `blocks`).
    pub sampling: Vec<BlockSampling>,
    /// Resample the collocation points every this many iterations.
    pub resample_every: Option<usize>,
    /// The exact solution (a formula, or a reference at the evaluation points), when
    /// known.
    pub exact: Option<ExactSolution>,
    /// Points where errors are measured (never training points).
    pub evaluation: Mat<f64>,
    /// The `[solver]` table: `preset` plus overrides.
    pub solver: toml::Table,
    /// The solver preset (the command line's, when it overrides the file's).
    pub preset: String,
    /// The preset with the file's overrides, validated.
    pub config: SolverConfig,
    /// `[time_slabs]`: the slab schedule of a time-marching run, if any.
    pub time_slabs: Option<super::slabs::TimeSlabs>,
    /// `[[stages]]`: the correction stages 2, 3, … of a multi-stage run.
    pub stages: Vec<super::stages::StageSetup>,
    /// In the problem of a correction stage: the stages trained before it, whose sum
    /// the network `ε_k N_k` corrects ([`crate::residual::frozen`]).
    pub frozen: Option<crate::residual::FrozenStages>,
    /// In the problem of time slab `k ≥ 1` of a march with the initial data built in:
    /// the earlier slabs' end values `B_k`, added to the solution
    /// ([`crate::residual::handover`]).
    pub handover: Option<std::sync::Arc<crate::residual::HandoverBase>>,
}

/// Reads, parses and builds the problem file at `path`.
pub fn load_problem(path: &Path) -> Result<Problem, InputError> {
    load_problem_with(path, &LoadOptions::default())
}

/// Reads, parses and builds the problem file at `path` with `opts`.
pub fn load_problem_with(path: &Path, opts: &LoadOptions) -> Result<Problem, InputError> {
    let (text, spec) = super::load::load_spec(path)?;
    build_problem_with(path, &text, spec, opts)
}

/// Builds a parsed problem file; `path` and `text` are for messages and for resolving
/// point files relative to the problem file.
pub fn build_problem(path: &Path, text: &str, spec: ProblemSpec) -> Result<Problem, InputError> {
    build_problem_with(path, text, spec, &LoadOptions::default())
}

/// Builds a parsed problem file with `opts`.
pub fn build_problem_with(
    path: &Path,
    text: &str,
    mut spec: ProblemSpec,
    opts: &LoadOptions,
) -> Result<Problem, InputError> {
    let slabs = spec.time_slabs.take();
    let stages = std::mem::take(&mut spec.stages);
    let builder = Builder { path, text, opts };
    let mut problem = builder.build(spec)?;
    problem.time_slabs =
        super::slabs::schedule(path, text, slabs.as_ref(), &problem, stages.len())?;
    builder.stages_in_slabs(&stages, problem.time_slabs.as_ref())?;
    problem.stages = builder.stages(&stages, &problem)?;
    Ok(problem)
}

pub(super) struct Builder<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) opts: &'a LoadOptions,
}

const KINDS: &[&str] = &[
    "pde",
    "dirichlet",
    "neumann",
    "boundary",
    "initial",
    "initial_velocity",
    "periodic",
];

impl Builder<'_> {
    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> InputError {
        InputError::at_span(self.path, self.text, span, message)
    }

    /// An expression error, placed at its column inside the TOML string.
    fn expr_err(&self, s: &Spanned<String>, e: &ExprError) -> InputError {
        let span = s.span();
        // The value's span starts at the opening quote; for strings without escapes the
        // expression's characters follow it one to one.
        let raw = &self.text[span.clone()];
        let quote = raw.chars().next().map_or(0, char::len_utf8);
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3 * quote
        } else {
            quote
        };
        let start = span.start + quote;
        let byte_col: usize = s
            .get_ref()
            .chars()
            .take(e.column - 1)
            .map(char::len_utf8)
            .sum();
        let byte_len: usize = s
            .get_ref()
            .chars()
            .skip(e.column - 1)
            .take(e.len)
            .map(char::len_utf8)
            .sum();
        let at = (start + byte_col).min(span.end);
        self.err(
            at..(at + byte_len.max(1)).min(span.end.max(at + 1)),
            format!(
                "in expression `{}`: column {}: {}",
                crate::expr::shortened(s.get_ref()),
                e.column,
                e.message
            ),
        )
    }

    fn build(&self, spec: ProblemSpec) -> Result<Problem, InputError> {
        let name = problem_name(self.path, self.text, spec.name.as_ref(), self.opts.name)?;
        let mut settings = solver_settings(
            self.path,
            self.text,
            spec.solver.as_ref(),
            self.opts.solver.as_deref(),
        )?;
        if let Some(t) = self.opts.threads {
            settings.config.threads = t;
        }
        let (domain, time) = self.domain(&spec)?;
        let outputs = self.outputs(&spec)?;
        let context = self.context(&spec, &domain, &outputs, time)?;
        let (mlp, init, init_seed) = self.model(&spec, &domain, &outputs, time)?;
        self.check_budget(
            &spec,
            &settings.preset,
            &settings.config,
            domain.dim(),
            &mlp,
        )?;
        let transform = self.transform(&spec, &context, &outputs)?;
        let notes = self.embedding_notes(&spec, &domain, &mlp);

        let base_seed = spec
            .collocation
            .as_ref()
            .and_then(|c| c.get_ref().seed)
            .unwrap_or(0);
        let resample_every = match spec
            .collocation
            .as_ref()
            .and_then(|c| c.get_ref().resample_every.as_ref())
        {
            None => None,
            Some(k) if *k.get_ref() < 0 => {
                return Err(self.err(
                    k.span(),
                    format!("`resample_every` must be ≥ 0, found {}", k.get_ref()),
                ));
            }
            Some(k) if *k.get_ref() == 0 => None,
            Some(k) => Some(*k.get_ref() as usize),
        };

        let (blocks, mut sampling) =
            self.blocks(&spec, &domain, &context, &outputs, time, base_seed)?;
        for sb in &spec.blocks {
            let Some(a) = &sb.get_ref().adaptive else {
                continue;
            };
            // `adaptive` is only accepted on `pde` blocks, which keep their name.
            let b = blocks
                .iter()
                .position(|b| b.name() == sb.get_ref().name.get_ref())
                .expect("a pde block keeps its name");
            let adaptive = adaptive_sampling(
                self.path,
                self.text,
                a,
                &sampling[b],
                &domain,
                resample_every,
            )?;
            sampling[b].adaptive = Some(adaptive);
        }
        let blocks = self.transformed_blocks(&spec, &outputs, &transform, blocks)?;
        let formula = self.exact(&spec, &context, &outputs)?;
        let (exact, evaluation) = match &spec.reference {
            Some(r) => {
                let (points, values, method) = self.reference(&spec, r, &domain, &outputs)?;
                let evaluation = self.away_from_training(points, r.span(), &blocks)?;
                let exact = ExactSolution::Reference {
                    points: evaluation.clone(),
                    values,
                    file: r.get_ref().file.get_ref().clone(),
                    method,
                };
                (Some(exact), evaluation)
            }
            None => {
                let evaluation = self.evaluation(&spec, &domain, &blocks)?;
                self.check_finite(&spec, &blocks, &sampling, formula.as_deref(), &evaluation)?;
                (formula.map(ExactSolution::Formula), evaluation)
            }
        };
        if spec.reference.is_some() {
            self.check_finite(&spec, &blocks, &sampling, None, &evaluation)?;
        }
        let solver = spec
            .solver
            .as_ref()
            .map_or_else(toml::Table::new, |t| t.get_ref().clone());
        let problem = Problem {
            name,
            text: self.text.to_string(),
            path: self.path.to_path_buf(),
            domain,
            context,
            mlp,
            transform,
            notes,
            init,
            init_seed,
            blocks,
            sampling,
            resample_every,
            exact,
            evaluation,
            solver,
            preset: settings.preset,
            config: settings.config,
            time_slabs: None,
            stages: Vec::new(),
            frozen: None,
            handover: None,
        };
        self.check_built_budget(&spec, &problem)?;
        Ok(problem)
    }

    fn context(
        &self,
        spec: &ProblemSpec,
        domain: &BoxDomain,
        outputs: &[String],
        time: Option<usize>,
    ) -> Result<Context, InputError> {
        let vars: Vec<&str> = domain.names().iter().map(String::as_str).collect();
        let outs: Vec<&str> = outputs.iter().map(String::as_str).collect();
        let span = spec
            .outputs
            .as_ref()
            .map_or(spec.domain.get_ref().variables.span(), |o| o.span());
        let mut ctx = Context::new(&vars, &outs).map_err(|e| self.err(span, e.to_string()))?;
        for (k, v) in &spec.constants {
            if !v.get_ref().is_finite() {
                return Err(self.err(
                    v.span(),
                    format!("constant `{}` must be finite", k.get_ref()),
                ));
            }
            ctx = ctx
                .with_constant(k.get_ref(), *v.get_ref())
                .map_err(|e| self.err(k.span(), e.to_string()))?;
        }
        if let Some(t) = time {
            let spatial: Vec<&str> = vars
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != t)
                .map(|(_, v)| *v)
                .collect();
            if !spatial.is_empty() {
                ctx = ctx
                    .with_laplacian_vars(&spatial)
                    .map_err(|e| self.err(spec.domain.span(), e.to_string()))?;
            }
        }
        Ok(ctx)
    }

    fn output_index(&self, b: &BlockSpec, outputs: &[String]) -> Result<usize, InputError> {
        match &b.output {
            None => Ok(0),
            Some(o) => outputs
                .iter()
                .position(|n| n == o.get_ref())
                .ok_or_else(|| {
                    self.err(
                        o.span(),
                        format!(
                            "unknown output `{}`: the outputs are {}",
                            o.get_ref(),
                            outputs.join(", ")
                        ),
                    )
                }),
        }
    }

    fn faces(
        &self,
        b: &BlockSpec,
        domain: &BoxDomain,
        time: Option<usize>,
    ) -> Result<Vec<Face>, InputError> {
        match &b.faces {
            None => Ok(domain
                .faces()
                .into_iter()
                .filter(|f| Some(f.axis) != time)
                .collect()),
            Some(list) => {
                if list.get_ref().is_empty() {
                    return Err(self.err(list.span(), "`faces` is empty"));
                }
                let mut out = Vec::new();
                for f in list.get_ref() {
                    let face = Face::parse(domain, f.get_ref())
                        .map_err(|e| self.err(f.span(), e.to_string()))?;
                    if out.contains(&face) {
                        return Err(
                            self.err(f.span(), format!("face `{}` is listed twice", f.get_ref()))
                        );
                    }
                    out.push(face);
                }
                Ok(out)
            }
        }
    }

    fn function(
        &self,
        s: &Spanned<String>,
        ctx: &Context,
    ) -> Result<Arc<dyn PointFunction>, InputError> {
        Ok(Arc::new(
            parse_function(s.get_ref(), ctx).map_err(|e| self.expr_err(s, &e))?,
        ))
    }

    fn equations(
        &self,
        b: &BlockSpec,
        span: Range<usize>,
        ctx: &Context,
    ) -> Result<Vec<Arc<dyn PointResidual>>, InputError> {
        let list: Vec<&Spanned<String>> = match (&b.equation, &b.equations) {
            (Some(e), None) => vec![e],
            (None, Some(es)) if !es.get_ref().is_empty() => es.get_ref().iter().collect(),
            (None, Some(es)) => return Err(self.err(es.span(), "`equations` is empty")),
            (Some(e), Some(_)) => {
                return Err(self.err(e.span(), "give either `equation` or `equations`, not both"));
            }
            (None, None) => {
                return Err(self.err(
                    span,
                    format!(
                        "a `{}` block needs `equation` (or `equations`)",
                        b.kind.get_ref()
                    ),
                ));
            }
        };
        list.into_iter()
            .map(|s| {
                parse_residual(s.get_ref(), ctx)
                    .map(|r| Arc::new(r) as Arc<dyn PointResidual>)
                    .map_err(|e| self.expr_err(s, &e))
            })
            .collect()
    }

    /// Rejects keys that mean nothing for the block's kind, so a typo'd kind or a
    /// misplaced key never goes unnoticed.
    fn check_keys(&self, b: &BlockSpec, allowed: &[&str]) -> Result<(), InputError> {
        let present: [(&str, Option<Range<usize>>); 8] = [
            ("equation", b.equation.as_ref().map(Spanned::span)),
            ("equations", b.equations.as_ref().map(Spanned::span)),
            ("output", b.output.as_ref().map(Spanned::span)),
            ("value", b.value.as_ref().map(Spanned::span)),
            ("faces", b.faces.as_ref().map(Spanned::span)),
            ("axis", b.axis.as_ref().map(Spanned::span)),
            ("derivatives", b.derivatives.map(|_| b.kind.span())),
            ("adaptive", b.adaptive.as_ref().map(Spanned::span)),
        ];
        for (key, span) in present {
            if let Some(span) = span
                && !allowed.contains(&key)
            {
                return Err(self.err(
                    span,
                    format!(
                        "`{key}` does not apply to a `{}` block (it takes: {})",
                        b.kind.get_ref(),
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn value<'s>(
        &self,
        b: &'s BlockSpec,
        span: Range<usize>,
    ) -> Result<&'s Spanned<String>, InputError> {
        b.value.as_ref().ok_or_else(|| {
            self.err(
                span,
                format!(
                    "a `{}` block needs `value`, the prescribed g(x)",
                    b.kind.get_ref()
                ),
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn blocks(
        &self,
        spec: &ProblemSpec,
        domain: &BoxDomain,
        ctx: &Context,
        outputs: &[String],
        time: Option<usize>,
        base_seed: u64,
    ) -> Result<(Vec<ResidualBlock>, Vec<BlockSampling>), InputError> {
        if spec.blocks.is_empty() {
            return Err(InputError::whole_file(
                self.path,
                "no `[[blocks]]`: expected a `pde` block and its boundary or initial conditions",
            ));
        }
        let mut names = HashSet::new();
        let mut blocks = Vec::new();
        let mut sampling = Vec::new();
        let mut has_pde = false;
        let mut has_condition = false;
        for (index, sb) in spec.blocks.iter().enumerate() {
            let (b, first) = (sb.get_ref(), sampling.len());
            let name = b.name.get_ref();
            if name.is_empty() || name.contains(['/', '.']) || name.chars().any(char::is_whitespace)
            {
                return Err(self.err(b.name.span(), format!("block name `{name}` must be non-empty, without `/`, `.` or spaces (it names an HDF5 group)")));
            }
            if !names.insert(name.clone()) {
                return Err(self.err(b.name.span(), format!("block name `{name}` is used twice")));
            }
            let weight = match &b.weight {
                None => 1.0,
                Some(w) if w.get_ref().is_finite() && *w.get_ref() >= 0.0 => *w.get_ref(),
                Some(w) => {
                    return Err(self.err(
                        w.span(),
                        format!("`weight` must be finite and ≥ 0, found {}", w.get_ref()),
                    ));
                }
            };
            let seed = base_seed.wrapping_mul(1_000_003).wrapping_add(index as u64);
            let kind = b.kind.get_ref().as_str();
            let time_var = || {
                time.ok_or_else(|| {
                    self.err(
                        b.kind.span(),
                        format!("a `{kind}` block needs a time variable: set `time` in `[domain]`"),
                    )
                })
            };
            let span = sb.span();
            let mut push = |block: Result<ResidualBlock, crate::residual::block::BlockError>,
                            s: BlockSampling| {
                blocks.push(block.map_err(|e| self.err(span.clone(), e.to_string()))?);
                sampling.push(s);
                Ok::<(), InputError>(())
            };
            match kind {
                "pde" => {
                    self.check_keys(b, &["equation", "equations", "adaptive"])?;
                    has_pde = true;
                    let eqs = self.equations(b, sb.span(), ctx)?;
                    let (pts, s) = self.points(&b.points, domain, &[], seed)?;
                    push(
                        ResidualBlock::new(name, pts, BlockKind::Pde { equations: eqs }, weight),
                        s,
                    )?;
                }
                "boundary" => {
                    self.check_keys(b, &["equation", "equations", "faces"])?;
                    has_condition = true;
                    let eqs = self.equations(b, sb.span(), ctx)?;
                    let faces = self.faces(b, domain, time)?;
                    let (pts, s) = self.points(&b.points, domain, &faces, seed)?;
                    let face = (faces.len() == 1).then(|| faces[0]);
                    push(
                        ResidualBlock::new(
                            name,
                            pts,
                            BlockKind::Condition {
                                face,
                                equations: eqs,
                            },
                            weight,
                        ),
                        s,
                    )?;
                }
                "dirichlet" => {
                    self.check_keys(b, &["output", "value", "faces"])?;
                    has_condition = true;
                    let output = self.output_index(b, outputs)?;
                    let g = self.function(self.value(b, sb.span())?, ctx)?;
                    let faces = self.faces(b, domain, time)?;
                    let (pts, s) = self.points(&b.points, domain, &faces, seed)?;
                    let eq: Arc<dyn PointResidual> =
                        Arc::new(ValueMinus::new(Channel::Value { output }, g));
                    let face = (faces.len() == 1).then(|| faces[0]);
                    push(
                        ResidualBlock::new(
                            name,
                            pts,
                            BlockKind::Condition {
                                face,
                                equations: vec![eq],
                            },
                            weight,
                        ),
                        s,
                    )?;
                }
                "neumann" => {
                    self.check_keys(b, &["output", "value", "faces"])?;
                    has_condition = true;
                    let output = self.output_index(b, outputs)?;
                    let g = self.function(self.value(b, sb.span())?, ctx)?;
                    let faces = self.faces(b, domain, time)?;
                    let (pts, s) = self.points(&b.points, domain, &faces, seed)?;
                    // One block per face (the outward normal differs); weights w·N_f/N keep
                    // the block's mean over all its points: (w N_f/N)/N_f = w/N.
                    let (pts, counts) = if s.from_file {
                        points::group_by_face(&pts, domain, &faces)
                            .map_err(|e| self.err(b.points.span(), e))?
                    } else {
                        let counts = geometry::rows_per_face(domain, &faces, s.sampler, s.count)
                            .map_err(|e| self.err(b.points.span(), e.to_string()))?;
                        (pts, counts)
                    };
                    let total = pts.nrows() as f64;
                    let mut start = 0;
                    for (face, n) in faces.iter().zip(counts) {
                        if n == 0 {
                            continue;
                        }
                        let sub = pts.subrows(start, n).to_owned();
                        start += n;
                        let kind = BlockKind::Neumann {
                            output,
                            face: *face,
                            g: g.clone(),
                        };
                        let sub_name = format!("{name}_{}", face.name(domain));
                        let s = BlockSampling {
                            faces: vec![*face],
                            count: n,
                            ..s.clone()
                        };
                        push(
                            ResidualBlock::new(sub_name, sub, kind, weight * n as f64 / total),
                            s,
                        )?;
                    }
                }
                "initial" | "initial_velocity" => {
                    self.check_keys(b, &["output", "value"])?;
                    has_condition = true;
                    let tv = time_var()?;
                    let output = self.output_index(b, outputs)?;
                    let g = self.function(self.value(b, sb.span())?, ctx)?;
                    let face = Face {
                        axis: tv,
                        upper: false,
                    };
                    let (pts, s) = self.points(&b.points, domain, &[face], seed)?;
                    let kind = if kind == "initial" {
                        BlockKind::InitialValue {
                            output,
                            time_var: tv,
                            g,
                        }
                    } else {
                        BlockKind::InitialVelocity {
                            output,
                            time_var: tv,
                            g,
                        }
                    };
                    push(ResidualBlock::new(name, pts, kind, weight), s)?;
                }
                "periodic" => {
                    self.check_keys(b, &["output", "axis", "derivatives"])?;
                    has_condition = true;
                    let output = self.output_index(b, outputs)?;
                    let axis_name = b.axis.as_ref().ok_or_else(|| {
                        self.err(
                            sb.span(),
                            "a `periodic` block needs `axis`, a variable name",
                        )
                    })?;
                    let axis = domain.axis(axis_name.get_ref()).ok_or_else(|| {
                        self.err(
                            axis_name.span(),
                            format!(
                                "`{}` is not a variable ({})",
                                axis_name.get_ref(),
                                domain.names().join(", ")
                            ),
                        )
                    })?;
                    if Some(axis) == time {
                        return Err(
                            self.err(axis_name.span(), "the time variable cannot be periodic")
                        );
                    }
                    let face = Face { axis, upper: false };
                    let (pts, s) = self.points(&b.points, domain, &[face], seed)?;
                    let period = domain.hi()[axis] - domain.lo()[axis];
                    let kind = BlockKind::Periodic {
                        output,
                        axis,
                        period,
                        derivatives: b.derivatives.unwrap_or(false),
                    };
                    push(ResidualBlock::new(name, pts, kind, weight), s)?;
                }
                other => {
                    return Err(self.err(
                        b.kind.span(),
                        format!(
                            "unknown block kind `{other}`: expected one of {}",
                            KINDS.join(", ")
                        ),
                    ));
                }
            }
            if let Some(w) = &b.weights {
                let rba = super::sampling::point_weights(self.path, self.text, w)?;
                sampling[first..]
                    .iter_mut()
                    .for_each(|s| s.weights = Some(rba));
            }
        }
        // A transform can build every condition in (e.g. Dirichlet data on all faces), and
        // an embedding periodic in every variable makes the problem one on a torus.
        if has_pde
            && !has_condition
            && spec.transform.is_empty()
            && !super::network::periodic_in_every_variable(spec, domain)
        {
            let first = &spec.blocks[0];
            return Err(self.err(
                first.span(),
                "the problem has a PDE but no boundary, initial or periodic block: its solution is not determined",
            ));
        }
        Ok((blocks, sampling))
    }

    fn exact(
        &self,
        spec: &ProblemSpec,
        ctx: &Context,
        outputs: &[String],
    ) -> Result<Option<Vec<CompiledFunction>>, InputError> {
        if spec.exact.is_empty() {
            return Ok(None);
        }
        let mut by_output: BTreeMap<usize, CompiledFunction> = BTreeMap::new();
        for (k, v) in &spec.exact {
            let i = outputs
                .iter()
                .position(|o| o == k.get_ref())
                .ok_or_else(|| {
                    self.err(
                        k.span(),
                        format!(
                            "`{}` is not an output (outputs: {})",
                            k.get_ref(),
                            outputs.join(", ")
                        ),
                    )
                })?;
            by_output.insert(
                i,
                parse_function(v.get_ref(), ctx).map_err(|e| self.expr_err(v, &e))?,
            );
        }
        if by_output.len() != outputs.len() {
            let first = spec.exact.keys().next().expect("non-empty");
            let missing: Vec<&str> = outputs
                .iter()
                .enumerate()
                .filter(|(i, _)| !by_output.contains_key(i))
                .map(|(_, o)| o.as_str())
                .collect();
            return Err(self.err(
                first.span(),
                format!(
                    "`[exact]` must give every output or none; missing: {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Some(by_output.into_values().collect()))
    }

    fn evaluation(
        &self,
        spec: &ProblemSpec,
        domain: &BoxDomain,
        blocks: &[ResidualBlock],
    ) -> Result<Mat<f64>, InputError> {
        let Some(e) = &spec.evaluation else {
            return Ok(
                geometry::sample_interior(domain, Sampler::Uniform, 10_000, 0x5eed_e7a1)
                    .expect("uniform sampling of a valid box"),
            );
        };
        let (pts, _) = self.points(e, domain, &[], 0x5eed_e7a1)?;
        self.away_from_training(pts, e.span(), blocks)
    }

    /// `[reference]`: the tabulated solution, read and checked (points inside the
    /// domain; no `[exact]` or `[evaluation]` beside it, since its points are where the
    /// error is measured).
    fn reference(
        &self,
        spec: &ProblemSpec,
        r: &Spanned<super::spec::ReferenceSpec>,
        domain: &BoxDomain,
        outputs: &[String],
    ) -> Result<(Mat<f64>, Mat<f64>, String), InputError> {
        if let Some((k, _)) = spec.exact.iter().next() {
            return Err(self.err(k.span(), "give either `[exact]` or `[reference]`, not both"));
        }
        if let Some(e) = &spec.evaluation {
            return Err(self.err(
                e.span(),
                "`[evaluation]` cannot be given with `[reference]`: errors are measured at the reference points",
            ));
        }
        let f = &r.get_ref().file;
        let file = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(f.get_ref());
        let table =
            read_reference(&file, domain.names(), outputs).map_err(|e| self.err(f.span(), e))?;
        for i in 0..table.points.nrows() {
            let x: Vec<f64> = (0..table.points.ncols())
                .map(|j| table.points[(i, j)])
                .collect();
            if !domain.contains(&x) {
                return Err(self.err(
                    f.span(),
                    format!("reference point {} = {x:?} lies outside the domain", i + 1),
                ));
            }
        }
        if let Some(i) = (0..table.values.nrows())
            .find(|&i| (0..table.values.ncols()).any(|k| !table.values[(i, k)].is_finite()))
        {
            return Err(self.err(
                f.span(),
                format!("reference value at point {} is not finite", i + 1),
            ));
        }
        Ok((table.points, table.values, table.method))
    }

    /// Errors are measured away from the training points (DeepXDE's advice): refuse an
    /// evaluation set that shares a point with any block.
    fn away_from_training(
        &self,
        pts: Mat<f64>,
        span: Range<usize>,
        blocks: &[ResidualBlock],
    ) -> Result<Mat<f64>, InputError> {
        let key = |m: faer::MatRef<'_, f64>, i: usize| -> Vec<u64> {
            (0..m.ncols()).map(|j| m[(i, j)].to_bits()).collect()
        };
        let mut train = HashSet::new();
        for b in blocks {
            for i in 0..b.points().nrows() {
                train.insert(key(b.points(), i));
            }
        }
        if let Some(i) = (0..pts.nrows()).find(|&i| train.contains(&key(pts.as_ref(), i))) {
            return Err(self.err(
                span,
                format!(
                    "evaluation point {} is also a training point: choose another sampler or seed",
                    i + 1
                ),
            ));
        }
        Ok(pts)
    }
}
