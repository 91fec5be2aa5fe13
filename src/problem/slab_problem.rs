//! The problem of one time slab: the problem file rebuilt on `[t_k, t_{k+1}]` with its
//! own seeds, and for `k ≥ 1` initial data carried over from the previous slab's
//! network (see [`super::slabs`] for the method).

use std::collections::HashMap;
use std::sync::Arc;

use faer::Mat;
use toml::Spanned;

use super::build::{Problem, build_problem};
use super::error::InputError;
use super::exact::ExactSolution;
use super::slabs::TimeSlabs;
use super::spec::CollocationSpec;
use crate::expr::OutputTransform;
use crate::model::Mlp;
use crate::residual::{BlockKind, PointFunction, ResidualBlock, ResidualModel};

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
        if k == 0 {
            return Ok(slab);
        }
        let theta = previous.expect("slabs after the first start from the previous one");
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
