//! Frozen stages of a multi-stage network (Wang & Lai, "Multi-stage neural networks:
//! function approximator of machine precision", J. Comput. Phys. 2024).
//!
//! After stages `1 … k−1` are trained, stage `k` trains a fresh network `N_k` so that the
//! raw network output is the sum
//!
//! ```text
//!   N(x) = Σ_{j<k} ε_j N_j(x; θ_j)  +  ε_k N_k(x; θ)        (ε_1 = 1)
//! ```
//!
//! and the solution is `u = T(x, N)` through the problem's output transform (for the
//! usual affine ansatz `u = g + b(x) N` the corrections inherit homogeneous data). The
//! frozen part is a fixed function of `x`: its channels (values and derivatives, the
//! Taylor jets the residuals read) are computed once per point set and added to the
//! channels of `ε_k N_k` before the residual `F` is applied. `F` may be nonlinear, so the
//! sum goes through `F`, never a linearisation. With `c = f + ε_k c_k(θ)`:
//!
//! ```text
//!   r_i = s F(x_i, f_i + ε_k c_ik(θ)),      ∂r_i/∂θ = s Σ_m ε_k (∂F/∂c_m) ∂c_ikm/∂θ
//! ```
//!
//! i.e. the parameter Jacobian is that of `ε_k N_k` alone, exact.

use faer::{Mat, MatRef};

use super::channel::Channel;
use crate::model::Mlp;

/// One frozen stage: its network, parameters and scale `ε_j`.
#[derive(Clone, Debug, PartialEq)]
pub struct FrozenStage {
    /// The stage's network (same inputs, embedding and outputs as the problem's).
    pub mlp: Mlp,
    /// Its trained parameters.
    pub theta: Vec<f64>,
    /// Its scale `ε_j` (1 for the first stage).
    pub epsilon: f64,
}

impl FrozenStage {
    /// Each parameter vector of `thetas` as a sum of one network, `mlp` with `ε = 1`: how
    /// the slabs of a time march without correction stages enter its hand-over.
    #[must_use]
    pub fn one_network_sums(mlp: &Mlp, thetas: &[Vec<f64>]) -> Vec<Vec<FrozenStage>> {
        thetas
            .iter()
            .map(|theta| {
                vec![FrozenStage {
                    mlp: mlp.clone(),
                    theta: theta.clone(),
                    epsilon: 1.0,
                }]
            })
            .collect()
    }
}

/// The frozen stages `Σ_{j<k} ε_j N_j` and the scale `ε_k` of the trainable network.
#[derive(Clone, Debug, PartialEq)]
pub struct FrozenStages {
    /// The stages trained so far, in order.
    pub stages: Vec<FrozenStage>,
    /// `ε_k`, the scale of the network being trained.
    pub epsilon: f64,
}

impl FrozenStages {
    /// The frozen sum's channel values: an `N × K` matrix, column `k` the sum of
    /// `ε_j · channels[k]` of every frozen stage at every point (stages added in order).
    pub fn channels(&self, points: MatRef<'_, f64>, channels: &[Channel]) -> Mat<f64> {
        let mut out = Mat::<f64>::zeros(points.nrows(), channels.len());
        for s in &self.stages {
            let c = s.mlp.eval_channels(&s.theta, points, channels);
            out += faer::Scale(s.epsilon) * &c;
        }
        out
    }

    /// The raw output `N = Σ_j ε_j N_j + ε_k N_k(θ)` at `points` (`N × m`).
    pub fn sum(&self, mlp: &Mlp, theta: &[f64], points: MatRef<'_, f64>) -> Mat<f64> {
        let channels: Vec<Channel> = (0..mlp.n_outputs())
            .map(|output| Channel::Value { output })
            .collect();
        let mut out = self.channels(points, &channels);
        out += faer::Scale(self.epsilon) * &mlp.eval(theta, points);
        out
    }
}

/// Per-point scratch of at most this many channels lives on the stack.
const STACK_CHANNELS: usize = 32;

/// `F(x, f_i + ε c)` with `∂/∂c = ε ∂F/∂c` written into `a` (when `a` is `Some`):
/// the residual of the sum at point `i`, from the frozen channels `f` (`N × K`).
pub(crate) fn eval_sum(
    f: MatRef<'_, f64>,
    epsilon: f64,
    i: usize,
    c: &[f64],
    a: Option<&mut [f64]>,
    eval: impl FnOnce(&[f64], Option<&mut [f64]>) -> f64,
) -> f64 {
    let k = c.len();
    let mut stack = [0.0; STACK_CHANNELS];
    let mut heap = Vec::new();
    let total: &mut [f64] = if k <= STACK_CHANNELS {
        &mut stack[..k]
    } else {
        heap.resize(k, 0.0);
        &mut heap
    };
    for (m, (t, &cm)) in total.iter_mut().zip(c).enumerate() {
        *t = f[(i, m)] + epsilon * cm;
    }
    match a {
        Some(a) => {
            let r = eval(total, Some(&mut *a));
            a.iter_mut().for_each(|am| *am *= epsilon);
            r
        }
        None => eval(total, None),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Activation, Init};

    /// The frozen channels are `Σ ε_j c_j`, and the sum of a zero trainable network is
    /// the frozen sum.
    #[test]
    fn channels_are_the_scaled_sum_of_the_stages() {
        let a = Mlp::new(&[2, 5, 1], Activation::Tanh);
        let b = Mlp::new(&[2, 3, 1], Activation::Sin);
        let (ta, tb) = (a.init(Init::XavierNormal, 1), b.init(Init::XavierNormal, 2));
        let frozen = FrozenStages {
            stages: vec![
                FrozenStage {
                    mlp: a.clone(),
                    theta: ta.clone(),
                    epsilon: 1.0,
                },
                FrozenStage {
                    mlp: b.clone(),
                    theta: tb.clone(),
                    epsilon: 0.25,
                },
            ],
            epsilon: 0.5,
        };
        let pts = Mat::from_fn(7, 2, |i, j| 0.1 * i as f64 - 0.3 * j as f64);
        let ch = [
            Channel::Value { output: 0 },
            Channel::Laplacian {
                output: 0,
                vars: crate::residual::VarSet::all(2),
            },
        ];
        let f = frozen.channels(pts.as_ref(), &ch);
        let ca = a.eval_channels(&ta, pts.as_ref(), &ch);
        let cb = b.eval_channels(&tb, pts.as_ref(), &ch);
        for i in 0..7 {
            for k in 0..2 {
                let want = ca[(i, k)] + 0.25 * cb[(i, k)];
                assert!((f[(i, k)] - want).abs() <= 1e-15 * (1.0 + want.abs()));
            }
        }
        let c = Mlp::new(&[2, 4, 1], Activation::Sin);
        let u = frozen.sum(&c, &vec![0.0; c.n_params()], pts.as_ref());
        for i in 0..7 {
            assert_eq!(u[(i, 0)], f[(i, 0)]);
        }
    }

    use std::sync::Arc;

    use pinn_solvers::LeastSquares;

    use crate::expr::{Context, parse_residual};
    use crate::residual::block::{BlockKind, ResidualBlock};
    use crate::residual::{PointResidual, ResidualModel};

    /// A nonlinear PDE `u u_xx + u³ + u_y − sin x = 0` at scattered points plus a
    /// Dirichlet block, and a stage-1 network with trained-looking parameters.
    pub(crate) fn stage_one() -> (ResidualModel, Vec<f64>) {
        let ctx = Context::new(&["x", "y"], &["u"]).unwrap();
        let pde: Arc<dyn PointResidual> =
            Arc::new(parse_residual("u*u_xx + u^3 + u_y - sin(x)", &ctx).unwrap());
        let pts = Mat::from_fn(37, 2, |i, j| {
            ((i * 7 + j * 13) % 37) as f64 / 37.0 + 0.01 * j as f64
        });
        let bc_pts = Mat::from_fn(9, 2, |i, j| if j == 0 { 0.0 } else { i as f64 / 9.0 });
        let blocks = vec![
            ResidualBlock::new(
                "pde",
                pts,
                BlockKind::Pde {
                    equations: vec![pde],
                },
                1.0,
            )
            .unwrap(),
            ResidualBlock::new(
                "bc",
                bc_pts,
                BlockKind::Dirichlet {
                    output: 0,
                    face: crate::residual::Face {
                        axis: 0,
                        upper: false,
                    },
                    g: Arc::new(|x: &[f64]| x[1].cos()),
                },
                2.0,
            )
            .unwrap(),
        ];
        let mlp = Mlp::new(&[2, 6, 6, 1], Activation::Tanh);
        let theta = mlp.init(Init::XavierNormal, 3);
        (ResidualModel::new(mlp, blocks).unwrap(), theta)
    }

    pub(crate) fn stage_two(model: &ResidualModel, theta1: &[f64], eps: f64) -> ResidualModel {
        let frozen = FrozenStages {
            stages: vec![FrozenStage {
                mlp: model.mlp().clone(),
                theta: theta1.to_vec(),
                epsilon: 1.0,
            }],
            epsilon: eps,
        };
        let mlp = Mlp::new(&[2, 5, 1], Activation::Sin);
        ResidualModel::new(mlp, model.blocks().to_vec())
            .unwrap()
            .with_frozen(frozen)
    }

    /// Parameters of a stage-2 network whose correction is not small.
    fn correction(m2: &ResidualModel) -> Vec<f64> {
        let theta = m2.mlp().init(Init::XavierNormal, 5);
        theta.iter().map(|t| 0.7 * t).collect()
    }

    /// A zero correction network is the zero function with zero derivatives, so stage
    /// 2 at θ₂ = 0 has exactly stage 1's residual, bit for bit.
    #[test]
    fn a_zero_correction_reproduces_stage_one_exactly() {
        let (m1, t1) = stage_one();
        let m2 = stage_two(&m1, &t1, 1e-3);
        let (mut r1, mut r2) = (vec![0.0; m1.n_residuals()], vec![0.0; m2.n_residuals()]);
        m1.residuals(&t1, &mut r1);
        m2.residuals(&vec![0.0; m2.n_params()], &mut r2);
        assert_eq!(r1, r2);
        assert!(r1.iter().any(|r| r.abs() > 1e-3), "a non-trivial residual");
    }

    /// The exact Jacobian of stage 2, `J_v`, `Jᵀw` and the residual-only path agree with
    /// central finite differences of `r(θ₂)` and with each other.
    #[test]
    fn the_stage_two_jacobian_matches_finite_differences() {
        let (m1, t1) = stage_one();
        let m2 = stage_two(&m1, &t1, 0.3);
        crate::residual::testing::assert_exact_jacobian(&m2, &correction(&m2));
    }

    /// Row blocks of a stage-2 Jacobian (the streamed path of the sketched solvers)
    /// index the frozen channels past the rows they skip: any row range equals those rows
    /// of the assembled matrix, bit for bit.
    #[test]
    fn stage_two_row_blocks_are_rows_of_the_assembled_jacobian() {
        let (m1, t1) = stage_one();
        let m2 = stage_two(&m1, &t1, 0.3);
        let (n, p) = (m2.n_residuals(), m2.n_params());
        let theta = m2.mlp().init(Init::XavierNormal, 5);
        let mut r = vec![0.0; n];
        let mut jac = Mat::<f64>::zeros(n, p);
        m2.residuals_and_jacobian(&theta, &mut r, jac.as_mut());
        for (lo, hi) in [(0, n), (5, 20), (30, 42), (40, n), (n - 1, n)] {
            let mut rb = vec![f64::NAN; hi - lo];
            let mut jb = Mat::<f64>::from_fn(hi - lo, p, |_, _| f64::NAN);
            m2.jacobian_rows(&theta, lo..hi, &mut rb, jb.as_mut());
            for i in lo..hi {
                assert_eq!(rb[i - lo].to_bits(), r[i].to_bits(), "r row {i}");
                for q in 0..p {
                    assert_eq!(
                        jb[(i - lo, q)].to_bits(),
                        jac[(i, q)].to_bits(),
                        "J {i},{q}"
                    );
                }
            }
        }
    }

    /// The batched residuals of a stage-2 model are its one-by-one residuals, bit for
    /// bit (the probes and grid searches evaluate through the batch).
    #[test]
    fn stage_two_batched_residuals_are_the_single_ones() {
        let (m1, t1) = stage_one();
        let m2 = stage_two(&m1, &t1, 0.3);
        let n = m2.n_residuals();
        let thetas: Vec<Vec<f64>> = (0..3)
            .map(|k| m2.mlp().init(Init::XavierNormal, k))
            .collect();
        let refs: Vec<&[f64]> = thetas.iter().map(Vec::as_slice).collect();
        let mut many = vec![f64::NAN; 3 * n];
        m2.residuals_many(&refs, &mut many);
        for (j, theta) in thetas.iter().enumerate() {
            let mut one = vec![0.0; n];
            m2.residuals(theta, &mut one);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&many[j * n..(j + 1) * n]), bits(&one), "θ {j}");
        }
    }

    /// New points refresh the frozen channels: the model after `set_points` equals a
    /// model built on those points.
    #[test]
    fn new_points_recompute_the_frozen_jets() {
        let (m1, t1) = stage_one();
        let mut m2 = stage_two(&m1, &t1, 0.5);
        let moved = Mat::from_fn(37, 2, |i, j| ((i * 11 + j * 5) % 37) as f64 / 41.0 + 0.02);
        m2.set_points(0, moved.clone()).unwrap();
        let mut blocks = m1.blocks().to_vec();
        blocks[0].set_points(moved).unwrap();
        let fresh = ResidualModel::new(m1.mlp().clone(), blocks).unwrap();
        let fresh = stage_two(&fresh, &t1, 0.5);
        let theta = m2.mlp().init(Init::XavierNormal, 9);
        assert_eq!(m2.loss(&theta), fresh.loss(&theta));
    }
    /// Stage 2 of [`stage_one`] plus a periodic pair with derivatives, with RBA weights
    /// on every block (all different from 1), at a θ₂ whose correction is not small.
    pub(crate) fn weighted_stage_two() -> (ResidualModel, Vec<f64>) {
        let (m1, t1) = stage_one();
        let mut blocks = m1.blocks().to_vec();
        let pts = Mat::from_fn(6, 2, |i, j| if j == 0 { 0.0 } else { 0.15 * i as f64 });
        let kind = BlockKind::Periodic {
            output: 0,
            axis: 0,
            period: 1.0,
            derivatives: true,
        };
        blocks.push(ResidualBlock::new("per", pts, kind, 0.5).unwrap());
        let m1 = ResidualModel::new(m1.mlp().clone(), blocks).unwrap();
        let mut m2 = stage_two(&m1, &t1, 0.3);
        for b in 0..m2.blocks().len() {
            let n = m2.blocks()[b].n_points();
            let lambda = (0..n).map(|i| 0.5 + 0.25 * ((i * 7 + b) % 5) as f64);
            m2.set_point_weights(b, crate::residual::Rba::default())
                .unwrap();
            m2.set_weight_values(b, lambda.collect()).unwrap();
        }
        let theta = correction(&m2);
        (m2, theta)
    }

    /// Frozen stages and point weights together, on every evaluation path: row blocks
    /// starting inside an equation (the weights and frozen channels indexed past the
    /// points skipped, a periodic partner term included) are the assembled rows bit for
    /// bit, the batched residuals are the single ones bit for bit, the Jacobian matches
    /// central differences and `J·v`, `Jᵀ·w` agree with it.
    #[test]
    fn weighted_stage_two_agrees_on_every_path() {
        let (m2, theta) = weighted_stage_two();
        let (n, p) = (m2.n_residuals(), m2.n_params());
        assert_eq!(n, 37 + 9 + 3 * 6);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let mut r = vec![0.0; n];
        let mut jac = Mat::<f64>::zeros(n, p);
        m2.residuals_and_jacobian(&theta, &mut r, jac.as_mut());
        for (lo, hi) in [
            (0, n),
            (5, 20),
            (30, 50),
            (40, n),
            (47, 58),
            (59, 63),
            (n - 1, n),
        ] {
            let mut rb = vec![f64::NAN; hi - lo];
            let mut jb = Mat::<f64>::from_fn(hi - lo, p, |_, _| f64::NAN);
            m2.jacobian_rows(&theta, lo..hi, &mut rb, jb.as_mut());
            assert_eq!(bits(&rb), bits(&r[lo..hi]), "r rows {lo}..{hi}");
            for i in lo..hi {
                for q in 0..p {
                    assert_eq!(
                        jb[(i - lo, q)].to_bits(),
                        jac[(i, q)].to_bits(),
                        "J {i},{q} of rows {lo}..{hi}"
                    );
                }
            }
        }
        let mut r0 = vec![0.0; n];
        m2.residuals(&theta, &mut r0);
        let other = m2.mlp().init(Init::XavierNormal, 6);
        let mut many = vec![f64::NAN; 2 * n];
        m2.residuals_many(&[&theta, &other], &mut many);
        let mut r1 = vec![0.0; n];
        m2.residuals(&other, &mut r1);
        assert_eq!(bits(&many[..n]), bits(&r0));
        assert_eq!(bits(&many[n..]), bits(&r1));
        crate::residual::testing::assert_exact_jacobian(&m2, &theta);
    }

    /// The weights scale the rows of the stage sum and nothing else: each weighted row is
    /// `λᵢ` times the unweighted one, and the pointwise magnitudes RBA updates from are
    /// those of the unweighted, unscaled stage-sum residual.
    #[test]
    fn weights_scale_the_rows_of_the_stage_sum() {
        let (m2, theta) = weighted_stage_two();
        let plain = ResidualModel::new(m2.mlp().clone(), m2.blocks().to_vec())
            .unwrap()
            .with_frozen(m2.frozen().unwrap().clone());
        let n = m2.n_residuals();
        let (mut rw, mut r) = (vec![0.0; n], vec![0.0; n]);
        m2.residuals(&theta, &mut rw);
        plain.residuals(&theta, &mut r);
        for b in 0..m2.blocks().len() {
            let lambda = m2.point_weights(b).unwrap();
            let np = lambda.len();
            for row in m2.block_rows(b) {
                let i = (row - m2.block_rows(b).start) % np;
                // A periodic row is the difference of two terms, each weighted: the
                // rounding is relative to the terms, not to their difference.
                let want = lambda[i] * r[row];
                assert!(
                    (rw[row] - want).abs() <= 1e-15 * (1.0 + want.abs()),
                    "row {row}: {} vs {want}",
                    rw[row]
                );
            }
        }
        let s = m2.blocks()[0].scale();
        for (i, norm) in m2.point_norms(0, &theta).iter().enumerate() {
            let want = (r[i] / s).abs();
            assert!((norm - want).abs() <= 1e-14 * want.max(1e-300), "point {i}");
            assert!(*norm > 0.0);
        }
    }
}
