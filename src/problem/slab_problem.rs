//! The problem of one time slab: the problem file rebuilt on `[t_k, t_{k+1}]` with its
//! own seeds, and for `k ≥ 1` initial data carried over from the previous slab's
//! network (see [`super::slabs`] for the method).

use std::collections::HashMap;
use std::sync::Arc;

use faer::{Mat, MatRef};
use toml::Spanned;

use super::build::{Problem, build_problem};
use super::error::InputError;
use super::exact::ExactSolution;
use super::slabs::TimeSlabs;
use super::spec::CollocationSpec;
use crate::expr::OutputTransform;
use crate::expr::transform::NETWORK_OUTPUT;
use crate::model::Mlp;
use crate::residual::{
    BlockKind, FrozenStage, HandoverBase, PointFunction, PointResidual, ResidualBlock,
    ResidualModel, ShiftedResidual,
};

impl Problem {
    /// The slab schedule, for problems with `[time_slabs]`.
    ///
    /// # Panics
    /// On a problem without one (callers check [`Problem::time_slabs`]).
    fn slabs(&self) -> &TimeSlabs {
        self.time_slabs
            .as_ref()
            .expect("only problems with [time_slabs] have slab problems")
    }

    /// The problem of slab `k`: the same file on the box whose time range is
    /// `[t_k, t_{k+1}]`, every block with the point count and sampler of the file and a
    /// seed moved by [`TimeSlabs::seed`]; the evaluation points and exact values are the
    /// ones of this problem that lie in the slab. For `k ≥ 1`, `previous` (slab
    /// `k − 1`'s parameters) gives the data of every `initial` block (its solution `u_o`
    /// at the block's points, at `t = t_k`) and of every `initial_velocity` block (its
    /// `∂u_o/∂t` there); the file's values are used by slab 0 only.
    ///
    /// # Errors
    /// A slab too thin for a block's sampler, or the rebuilt file failing otherwise.
    ///
    /// # Panics
    /// On a problem without `[time_slabs]`, or `k ≥ 1` without `previous`.
    pub fn slab_problem(&self, k: usize, previous: Option<&[f64]>) -> Result<Problem, InputError> {
        assert!(
            k == 0 || !self.slabs().built_in_handover,
            "a built-in hand-over needs every earlier slab: use `slab_problem_after`"
        );
        let slab = self.slab_box(k)?;
        if k == 0 {
            return Ok(slab);
        }
        let theta = previous.expect("slabs after the first start from the previous one");
        self.fitted_handover(k, slab, theta)
    }

    /// The problem of slab `k` after the earlier slabs trained `earlier` (slab `j` with
    /// `earlier[j]`, at least `k` of them): with `handover = "built_in"` the file without
    /// its `initial` blocks, every residual read through `u = g + B_k + (t − t_k) N`
    /// ([`crate::residual::handover`]); otherwise [`Problem::slab_problem`] with the
    /// previous slab's parameters.
    ///
    /// # Errors
    /// As [`Problem::slab_problem`].
    ///
    /// # Panics
    /// On a problem without `[time_slabs]`, or fewer than `k` earlier parameter vectors.
    pub fn slab_problem_after(
        &self,
        k: usize,
        earlier: &[Vec<f64>],
    ) -> Result<Problem, InputError> {
        assert!(earlier.len() >= k, "the parameters of every earlier slab");
        if !self.slabs().built_in_handover {
            return self.slab_problem(k, k.checked_sub(1).map(|j| earlier[j].as_slice()));
        }
        self.slab_problem_after_sums(k, &FrozenStage::one_network_sums(&self.mlp, &earlier[..k]))
    }

    /// [`Problem::slab_problem_after`] with the initial data built in, when slab `j`'s
    /// network is the sum of the stages `earlier[j]` (its corrections included,
    /// [`crate::residual::frozen`]): the slab's problem for its first stage.
    ///
    /// # Errors
    /// As [`Problem::slab_problem`].
    ///
    /// # Panics
    /// On a problem without `[time_slabs]` or `handover = "built_in"`, or fewer than `k`
    /// earlier sums.
    pub fn slab_problem_after_sums(
        &self,
        k: usize,
        earlier: &[Vec<FrozenStage>],
    ) -> Result<Problem, InputError> {
        assert!(earlier.len() >= k, "the networks of every earlier slab");
        assert!(
            self.slabs().built_in_handover,
            "network sums per slab need the built-in hand-over"
        );
        // Built with its `initial` blocks (the file's checks want the solution
        // determined), which the ansatz then satisfies exactly: they are dropped, with
        // their sampling records.
        let mut slab = self.slab_box(k)?;
        let keep: Vec<bool> = slab
            .blocks
            .iter()
            .map(|b| !matches!(b.kind(), BlockKind::InitialValue { .. }))
            .collect();
        let mut flags = keep.iter();
        slab.sampling
            .retain(|_| *flags.next().expect("one sampling record per block"));
        let mut flags = keep.iter();
        slab.blocks
            .retain(|_| *flags.next().expect("one flag per block"));
        let transform = self
            .built_in_transform(k)
            .map_err(|e| InputError::whole_file(&self.path, format!("slab {}: {e}", k + 1)))?;
        let base = (k > 0).then(|| {
            let slabs = self.slabs();
            Arc::new(HandoverBase::of_sums(
                slabs.time_var,
                &slabs.boundaries,
                &earlier[..k],
            ))
        });
        let wrap = |r: &Arc<dyn PointResidual>| {
            let inner: Arc<dyn PointResidual> = match &base {
                Some(b) => Arc::new(ShiftedResidual::new(r.clone(), b.clone())),
                None => r.clone(),
            };
            transform.wrap(inner)
        };
        slab.blocks = std::mem::take(&mut slab.blocks)
            .into_iter()
            .map(|b| {
                let name = b.name().to_string();
                b.map_residuals(wrap).map_err(|e| {
                    InputError::whole_file(
                        &self.path,
                        format!("slab {}: block `{name}`: {e}", k + 1),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        slab.transform = transform;
        slab.handover = base;
        Ok(slab)
    }

    /// The solution of slab `k` at `points`, from the parameters of slabs `0 ..= k`:
    /// [`Problem::solution`] with `thetas[k]`, or with the initial data built in
    /// `g + B_k + (t − t_k) N_k`.
    ///
    /// # Panics
    /// On a problem without `[time_slabs]`, fewer than `k + 1` parameter vectors, or a
    /// built-in transform that does not compile (a march that stored slabs built it).
    #[must_use]
    pub fn slab_solution(
        &self,
        k: usize,
        thetas: &[Vec<f64>],
        points: MatRef<'_, f64>,
    ) -> Mat<f64> {
        let slabs = self.slabs();
        if !slabs.built_in_handover {
            return self.solution(&thetas[k], points);
        }
        self.slab_solution_of_sums(
            k,
            &FrozenStage::one_network_sums(&self.mlp, &thetas[..=k]),
            points,
        )
    }

    /// [`Problem::slab_solution`] with the initial data built in, slab `j`'s network the
    /// sum of the stages `sums[j]`: `g + B_k + (t − t_k) Σ_s ε_s N_{k,s}`.
    ///
    /// # Panics
    /// On a problem without `[time_slabs]`, fewer than `k + 1` sums, or a built-in
    /// transform that does not compile (a march that stored slabs built it).
    #[must_use]
    pub fn slab_solution_of_sums(
        &self,
        k: usize,
        sums: &[Vec<FrozenStage>],
        points: MatRef<'_, f64>,
    ) -> Mat<f64> {
        let slabs = self.slabs();
        let transform = self
            .built_in_transform(k)
            .expect("the built-in transform compiled when the march built its slabs");
        let u = transform.apply(points, network_sum(&sums[k], points));
        if k == 0 {
            return u;
        }
        let base = HandoverBase::of_sums(slabs.time_var, &slabs.boundaries, &sums[..k]);
        u + base.values(points)
    }

    /// The output transform of slab `k` with the initial data built in:
    /// `u_o = (g_o) + (t − (t_k)) N_o`, `g_o` from [`Problem::initial_values`].
    fn built_in_transform(&self, k: usize) -> Result<OutputTransform, String> {
        let slabs = self.slabs();
        let t = &self.domain.names()[slabs.time_var];
        let tk = slabs.boundaries[k];
        let sources: Vec<String> = self
            .initial_values()
            .iter()
            .map(|g| format!("({g}) + ({t} - ({tk}))*{NETWORK_OUTPUT}"))
            .collect();
        let refs: Vec<Option<&str>> = sources.iter().map(|s| Some(s.as_str())).collect();
        OutputTransform::new(&self.context, &refs).map_err(|e| e.to_string())
    }

    /// The `value` of every output's `initial` block, in output order ("0" for an
    /// output without one; a march with `handover = "built_in"` has one per output).
    ///
    /// # Panics
    /// If the problem's own text no longer parses (it parsed when it was read).
    #[must_use]
    pub fn initial_values(&self) -> Vec<String> {
        let spec = super::load::parse_spec(&self.path, &self.text)
            .expect("the problem's text parsed when it was read");
        let outputs = self.context.outputs();
        let mut values = vec!["0".to_string(); outputs.len()];
        for b in &spec.blocks {
            let b = b.get_ref();
            if b.kind.get_ref() != "initial" {
                continue;
            }
            let o = b.output.as_ref().map_or(Some(0), |name| {
                outputs.iter().position(|x| x == name.get_ref())
            });
            if let (Some(o), Some(g)) = (o, &b.value) {
                values[o] = g.get_ref().clone();
            }
        }
        values
    }

    /// The file rebuilt on slab `k`'s box, with its seeds moved; its evaluation points
    /// and exact values are the ones of the slab.
    fn slab_box(&self, k: usize) -> Result<Problem, InputError> {
        let slabs = self.slabs();
        let (t0, t1) = slabs.interval(k);
        let tv = slabs.time_var;
        let mut spec = super::load::parse_spec(&self.path, &self.text)?;
        spec.time_slabs = None;
        // Errors are measured on this problem's evaluation points (set below).
        spec.reference = None;
        spec.evaluation = None;
        {
            let bounds = spec.domain.get_mut().bounds.get_mut();
            let pair = bounds[tv].get_mut();
            *pair[0].get_mut() = t0;
            *pair[1].get_mut() = t1;
        }
        match spec.collocation.as_mut() {
            Some(c) => {
                let c = c.get_mut();
                c.seed = Some(TimeSlabs::seed(c.seed.unwrap_or(0), k));
            }
            None => {
                spec.collocation = Some(Spanned::new(
                    0..0,
                    CollocationSpec {
                        seed: Some(TimeSlabs::seed(0, k)),
                        resample_every: None,
                    },
                ));
            }
        }
        for b in &mut spec.blocks {
            let p = b.get_mut().points.get_mut();
            p.seed = p.seed.map(|s| TimeSlabs::seed(s, k));
        }
        let mut slab = build_problem(&self.path, &self.text, spec)?;

        let rows = slabs.rows_in(self.evaluation.as_ref(), k);
        let pick = |m: &Mat<f64>| Mat::from_fn(rows.len(), m.ncols(), |i, j| m[(rows[i], j)]);
        slab.evaluation = pick(&self.evaluation);
        slab.exact = match &self.exact {
            None => None,
            Some(e) => {
                let all = e
                    .at(self.evaluation.as_ref())
                    .expect("the exact solution answers at the evaluation points");
                let (file, method) = match e {
                    ExactSolution::Reference { file, method, .. } => (file.clone(), method.clone()),
                    ExactSolution::Formula(_) => ("[exact]".to_string(), String::new()),
                };
                Some(ExactSolution::Reference {
                    points: slab.evaluation.clone(),
                    values: pick(&all),
                    file,
                    method,
                })
            }
        };
        Ok(slab)
    }

    /// Slab `k ≥ 1` with the data of its `initial` (and `initial_velocity`) blocks
    /// carried over from the previous slab's parameters `theta`.
    fn fitted_handover(
        &self,
        k: usize,
        mut slab: Problem,
        theta: &[f64],
    ) -> Result<Problem, InputError> {
        let carry = |b: &ResidualBlock| -> Result<ResidualBlock, String> {
            let target = |output, time_var, velocity| -> Result<Arc<dyn PointFunction>, String> {
                let c = Carried::new(
                    &self.mlp,
                    &self.transform,
                    theta,
                    output,
                    time_var,
                    velocity,
                    b.points().to_owned(),
                )?;
                Ok(Arc::new(c))
            };
            let kind = match b.kind() {
                BlockKind::InitialValue {
                    output, time_var, ..
                } => BlockKind::InitialValue {
                    output: *output,
                    time_var: *time_var,
                    g: target(*output, *time_var, false)?,
                },
                BlockKind::InitialVelocity {
                    output, time_var, ..
                } => BlockKind::InitialVelocity {
                    output: *output,
                    time_var: *time_var,
                    g: target(*output, *time_var, true)?,
                },
                _ => return Ok(b.clone()),
            };
            let fresh = ResidualBlock::new(b.name(), b.points().to_owned(), kind, b.weight())
                .map_err(|e| e.to_string())?;
            transformed(&self.transform, fresh)
        };
        slab.blocks = slab
            .blocks
            .iter()
            .map(|b| {
                carry(b).map_err(|e| {
                    InputError::whole_file(
                        &self.path,
                        format!("slab {}: block `{}`: {e}", k + 1, b.name()),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(slab)
    }
}

/// `block` read through the output transform (as the problem builder does).
fn transformed(transform: &OutputTransform, block: ResidualBlock) -> Result<ResidualBlock, String> {
    if transform.is_identity() {
        return Ok(block);
    }
    block
        .map_residuals(|r| transform.wrap(r.clone()))
        .map_err(|e| e.to_string())
}

/// Initial data carried over from the previous slab: its solution `u_o` (or `∂u_o/∂t`)
/// at `x`, tabulated at the block's points and computed afresh at any other point
/// (resampled ones). The values come from the engine's own residuals of an initial
/// block with zero data, weight `N` (so `sqrt(w/N) = 1`), at the previous parameters:
/// exact, through the output transform, with the derivative by forward-mode jets.
struct Carried {
    mlp: Mlp,
    transform: OutputTransform,
    theta: Vec<f64>,
    output: usize,
    time_var: usize,
    velocity: bool,
    table: HashMap<Vec<u64>, f64>,
}

impl Carried {
    fn new(
        mlp: &Mlp,
        transform: &OutputTransform,
        theta: &[f64],
        output: usize,
        time_var: usize,
        velocity: bool,
        points: Mat<f64>,
    ) -> Result<Self, String> {
        let mut c = Carried {
            mlp: mlp.clone(),
            transform: transform.clone(),
            theta: theta.to_vec(),
            output,
            time_var,
            velocity,
            table: HashMap::new(),
        };
        let values = c.compute(points.clone())?;
        for (i, v) in values.into_iter().enumerate() {
            c.table.insert(key(&row(&points, i)), v);
        }
        Ok(c)
    }

    /// The previous solution (or its time derivative) at every row of `points`.
    fn compute(&self, points: Mat<f64>) -> Result<Vec<f64>, String> {
        let n = points.nrows();
        let zero: Arc<dyn PointFunction> = Arc::new(|_: &[f64]| 0.0);
        let (output, time_var) = (self.output, self.time_var);
        let kind = if self.velocity {
            BlockKind::InitialVelocity {
                output,
                time_var,
                g: zero,
            }
        } else {
            BlockKind::InitialValue {
                output,
                time_var,
                g: zero,
            }
        };
        let block =
            ResidualBlock::new("carried", points, kind, n as f64).map_err(|e| e.to_string())?;
        let block = transformed(&self.transform, block)?;
        let model = ResidualModel::new(self.mlp.clone(), vec![block]).map_err(|e| e.to_string())?;
        let mut r = vec![0.0; n];
        pinn_solvers::LeastSquares::residuals(&model, &self.theta, &mut r);
        Ok(r)
    }
}

impl PointFunction for Carried {
    fn eval(&self, x: &[f64]) -> f64 {
        if let Some(v) = self.table.get(&key(x)) {
            return *v;
        }
        let p = Mat::from_fn(1, x.len(), |_, j| x[j]);
        self.compute(p)
            .map(|v| v[0])
            .expect("a one-point block of a kind that built for the whole block")
    }
}

fn row(m: &Mat<f64>, i: usize) -> Vec<f64> {
    (0..m.ncols()).map(|j| m[(i, j)]).collect()
}

fn key(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// `Σ_s ε_s N_s` at `points`, the stages added in order (the first stage alone, with
/// `ε = 1`, is its network's output as it is).
fn network_sum(stages: &[FrozenStage], points: MatRef<'_, f64>) -> Mat<f64> {
    let (first, rest) = stages.split_first().expect("a slab has a network");
    let mut out = first.mlp.eval(&first.theta, points);
    if first.epsilon != 1.0 {
        out = faer::Scale(first.epsilon) * &out;
    }
    for s in rest {
        out += faer::Scale(s.epsilon) * &s.mlp.eval(&s.theta, points);
    }
    out
}
