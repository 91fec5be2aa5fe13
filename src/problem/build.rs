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

mod faces;
mod transform;

use faces::group_by_face;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use faer::Mat;
use toml::Spanned;

use super::error::InputError;
use super::exact::ExactSolution;
use super::points_file::{read_points, read_reference};
use super::sampling::{BlockSampling, adaptive_sampling};
use super::spec::{BlockSpec, PointsSpec, ProblemSpec};
use crate::expr::{
    CompiledFunction, Context, ExprError, OutputTransform, parse_function, parse_residual,
};
use crate::geometry::{self, BoxDomain, Face, Sampler};
use crate::model::{Init, Mlp};
use crate::residual::block::{BlockKind, ResidualBlock};
use crate::residual::{Channel, PointFunction, PointResidual};

/// A problem ready to run: the network, the residual blocks, the exact solution and the
/// evaluation points.
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
    /// `[time_slabs]`: the slab schedule of a time-marching run, if any.
    pub time_slabs: Option<super::slabs::TimeSlabs>,
}

/// Reads, parses and builds the problem file at `path`.
pub fn load_problem(path: &Path) -> Result<Problem, InputError> {
    let (text, spec) = super::load::load_spec(path)?;
    build_problem(path, &text, spec)
}

/// Builds a parsed problem file; `path` and `text` are for messages and for resolving
/// point files relative to the problem file.
pub fn build_problem(
    path: &Path,
    text: &str,
    mut spec: ProblemSpec,
) -> Result<Problem, InputError> {
    let slabs = spec.time_slabs.take();
    let mut problem = Builder { path, text }.build(spec)?;
    problem.time_slabs = super::slabs::schedule(path, text, slabs.as_ref(), &problem)?;
    Ok(problem)
}

pub(super) struct Builder<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
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
                s.get_ref(),
                e.column,
                e.message
            ),
        )
    }

    fn build(&self, spec: ProblemSpec) -> Result<Problem, InputError> {
        let name = spec.name.get_ref().clone();
        if name.trim().is_empty() {
            return Err(self.err(spec.name.span(), "`name` must not be empty"));
        }
        let (domain, time) = self.domain(&spec)?;
        let outputs = self.outputs(&spec)?;
        let context = self.context(&spec, &domain, &outputs, time)?;
        let (mlp, init, init_seed) = self.model(&spec, &domain, &outputs)?;
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
        let solver = match &spec.solver {
            None => toml::Table::new(),
            Some(t) => {
                let table = t.get_ref().clone();
                match table.get("preset") {
                    Some(toml::Value::String(_)) => {}
                    Some(_) => {
                        return Err(
                            self.err(t.span(), "`preset` must be a string (a solver preset name)")
                        );
                    }
                    None => {
                        return Err(
                            self.err(t.span(), "`[solver]` needs `preset`, a solver preset name")
                        );
                    }
                }
                table
            }
        };

        Ok(Problem {
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
            time_slabs: None,
        })
    }

    fn domain(&self, spec: &ProblemSpec) -> Result<(BoxDomain, Option<usize>), InputError> {
        let d = spec.domain.get_ref();
        let vars = d.variables.get_ref();
        if vars.is_empty() {
            return Err(self.err(
                d.variables.span(),
                "`variables` is empty: expected at least one name",
            ));
        }
        let bounds = d.bounds.get_ref();
        if bounds.len() != vars.len() {
            return Err(self.err(
                d.bounds.span(),
                format!(
                    "{} variables but {} bounds: expected one `[lo, hi]` per variable",
                    vars.len(),
                    bounds.len()
                ),
            ));
        }
        let mut lo = Vec::with_capacity(vars.len());
        let mut hi = Vec::with_capacity(vars.len());
        for (b, v) in bounds.iter().zip(vars) {
            let pair = b.get_ref();
            if pair.len() != 2 {
                return Err(self.err(
                    b.span(),
                    format!(
                        "bounds of `{}`: expected `[lo, hi]`, found {} numbers",
                        v.get_ref(),
                        pair.len()
                    ),
                ));
            }
            let (l, h) = (*pair[0].get_ref(), *pair[1].get_ref());
            if !(l.is_finite() && h.is_finite() && l < h) {
                return Err(self.err(b.span(), format!("bounds of `{}` must be finite with lo < hi, found [{l}, {h}]: the domain is empty", v.get_ref())));
            }
            lo.push(l);
            hi.push(h);
        }
        let names: Vec<String> = vars.iter().map(|v| v.get_ref().clone()).collect();
        let domain = BoxDomain::new(names.clone(), &lo, &hi)
            .map_err(|e| self.err(d.variables.span(), e.to_string()))?;
        let time = match &d.time {
            None => None,
            Some(t) => Some(names.iter().position(|n| n == t.get_ref()).ok_or_else(|| {
                self.err(
                    t.span(),
                    format!(
                        "time variable `{}` is not one of the variables ({})",
                        t.get_ref(),
                        names.join(", ")
                    ),
                )
            })?),
        };
        Ok((domain, time))
    }

    fn outputs(&self, spec: &ProblemSpec) -> Result<Vec<String>, InputError> {
        match &spec.outputs {
            None => Ok(vec!["u".to_string()]),
            Some(o) if o.get_ref().is_empty() => {
                Err(self.err(o.span(), "`outputs` is empty: expected at least one name"))
            }
            Some(o) => Ok(o.get_ref().iter().map(|s| s.get_ref().clone()).collect()),
        }
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

    fn sampler(&self, p: &Spanned<PointsSpec>, default: Sampler) -> Result<Sampler, InputError> {
        match &p.get_ref().sampler {
            None => Ok(default),
            Some(s) => match s.get_ref().as_str() {
                "uniform" => Ok(Sampler::Uniform),
                "lhs" | "latin_hypercube" => Ok(Sampler::LatinHypercube),
                "sobol" => Ok(Sampler::Sobol),
                "grid" => Ok(Sampler::Grid { include_boundary: true }),
                "grid_interior" => Ok(Sampler::Grid { include_boundary: false }),
                other => Err(self.err(s.span(), format!("unknown sampler `{other}`: expected uniform, lhs, sobol, grid or grid_interior"))),
            },
        }
    }

    fn count(&self, p: &Spanned<PointsSpec>) -> Result<usize, InputError> {
        match &p.get_ref().count {
            None => Err(self.err(p.span(), "points need `count` (or `file`)")),
            Some(c) if *c.get_ref() < 1 => Err(self.err(
                c.span(),
                format!("`count` must be ≥ 1, found {}", c.get_ref()),
            )),
            Some(c) => Ok(*c.get_ref() as usize),
        }
    }

    /// The points of a block or of the evaluation set: from a file, or sampled.
    fn points(
        &self,
        p: &Spanned<PointsSpec>,
        domain: &BoxDomain,
        faces: &[Face],
        default_seed: u64,
    ) -> Result<(Mat<f64>, BlockSampling), InputError> {
        let spec = p.get_ref();
        let sampler = self.sampler(p, Sampler::Uniform)?;
        let seed = spec.seed.unwrap_or(default_seed);
        if let Some(f) = &spec.file {
            if spec.count.is_some() {
                return Err(self.err(p.span(), "give either `count` or `file`, not both"));
            }
            let file = self
                .path
                .parent()
                .unwrap_or(Path::new("."))
                .join(f.get_ref());
            let dataset = spec.dataset.as_ref().map(|d| d.get_ref().as_str());
            let pts =
                read_points(&file, dataset, domain.dim()).map_err(|e| self.err(f.span(), e))?;
            for i in 0..pts.nrows() {
                let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
                if !domain.contains(&x) {
                    return Err(self.err(
                        f.span(),
                        format!(
                            "point {} of `{}` lies outside the domain",
                            i + 1,
                            f.get_ref()
                        ),
                    ));
                }
            }
            let count = pts.nrows();
            return Ok((
                pts,
                BlockSampling {
                    faces: faces.to_vec(),
                    sampler,
                    count,
                    seed,
                    from_file: true,
                    adaptive: None,
                },
            ));
        }
        let count = self.count(p)?;
        let pts = if faces.is_empty() {
            geometry::sample_interior(domain, sampler, count, seed)
        } else {
            geometry::sample_faces(domain, faces, sampler, count, seed)
        }
        .map_err(|e| self.err(p.span(), e.to_string()))?;
        Ok((
            pts,
            BlockSampling {
                faces: faces.to_vec(),
                sampler,
                count,
                seed,
                from_file: false,
                adaptive: None,
            },
        ))
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
            let b = sb.get_ref();
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
                    let eq: Arc<dyn PointResidual> = Arc::new(ValueMinus {
                        channel: [Channel::Value { output }],
                        g,
                    });
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
                        group_by_face(&pts, domain, &faces)
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
        }
        // A transform can build every condition in (e.g. Dirichlet data on all faces).
        if has_pde && !has_condition && spec.transform.is_empty() {
            let first = &spec.blocks[0];
            return Err(self.err(
                first.span(),
                "the problem has a PDE but no boundary, initial or periodic block: its solution is not determined",
            ));
        }
        Ok((blocks, sampling))
    }

    /// Every formula must be finite where it is used: a source that is NaN or infinite at
    /// a collocation point would poison the loss at the first iteration. Equations are
    /// evaluated with every channel set to 1 (their source terms alone are not
    /// separable); values and exact solutions at their points.
    fn check_finite(
        &self,
        spec: &ProblemSpec,
        blocks: &[ResidualBlock],
        sampling: &[BlockSampling],
        exact: Option<&[CompiledFunction]>,
        evaluation: &Mat<f64>,
    ) -> Result<(), InputError> {
        let _ = sampling;
        // Map built blocks back to their spec entries by name prefix (Neumann splits).
        for block in blocks {
            let spec_block = spec
                .blocks
                .iter()
                .find(|b| {
                    block.name() == b.get_ref().name.get_ref()
                        || block
                            .name()
                            .starts_with(&format!("{}_", b.get_ref().name.get_ref()))
                })
                .expect("every block comes from a spec entry");
            let pts = block.points();
            for group in block.row_groups() {
                for term in &group.terms {
                    let r = &term.residual;
                    let c = vec![1.0; r.channels().len()];
                    let mut dfdc = vec![0.0; c.len()];
                    for i in 0..pts.nrows() {
                        let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
                        let f = r.eval(&x, &c, &mut dfdc);
                        if !f.is_finite() || dfdc.iter().any(|v| !v.is_finite()) {
                            let b = spec_block.get_ref();
                            let span = b
                                .equation
                                .as_ref()
                                .or(b.value.as_ref())
                                .map_or(spec_block.span(), Spanned::span);
                            return Err(self.err(
                                span,
                                format!("block `{}`: the residual is not finite ({f}) at point {} = {x:?}", block.name(), i + 1),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(exact) = exact {
            for (k, g) in exact.iter().enumerate() {
                for i in 0..evaluation.nrows() {
                    let x: Vec<f64> = (0..evaluation.ncols())
                        .map(|j| evaluation[(i, j)])
                        .collect();
                    let v = g.eval(&x);
                    if !v.is_finite() {
                        let (key, val) = spec.exact.iter().nth(k).expect("one entry per output");
                        let _ = key;
                        return Err(self.err(val.span(), format!("the exact solution is not finite ({v}) at evaluation point {} = {x:?}", i + 1)));
                    }
                }
            }
        }
        Ok(())
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

/// The Dirichlet residual `F = u_o − g(x)`, `∂F/∂u_o = 1`.
struct ValueMinus {
    channel: [Channel; 1],
    g: Arc<dyn PointFunction>,
}

impl PointResidual for ValueMinus {
    fn channels(&self) -> &[Channel] {
        &self.channel
    }
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        dfdc[0] = 1.0;
        c[0] - self.g.eval(x)
    }
}

impl Problem {
    /// The initial parameters θ₀ (seeded, from `[model] init` and `seed`).
    pub fn initial_params(&self) -> Vec<f64> {
        self.mlp.init(self.init, self.init_seed)
    }
}
