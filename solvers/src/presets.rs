//! Methods as pairings: a [`Method`] is a descent × a step control × (for damped
//! Gauss–Newton) a linear solver, declared here and nowhere else. The loop in
//! [`crate::driver`] knows only the [`Descent`] and [`StepControl`] traits.
//!
//! | method | descent | step control | linear solver |
//! |---|---|---|---|
//! | `lm` | damped Gauss–Newton | reduction ratio (with polish) | `lm.linear_solver` |
//! | `lm` with `lm.forgetting > 0` | accumulated Gauss–Newton | reduction ratio (with polish) | Cholesky of the accumulated normal equations |
//! | `gn_cg` | truncated CG | reduction ratio | CG on `J·v`, `Jᵀ·w` |
//! | `engd` | Gramian pseudo-inverse | log grid | eigen or Tikhonov |
//! | `lbfgs` | L-BFGS two-loop | strong Wolfe | — |
//! | `adam` | Adam | always accept | — |
//! | `bfgs`, `ss_bfgs`, `ss_broyden` | dense inverse Hessian | strong Wolfe | — |
//! | `gn_probe` | damped Gauss–Newton | probe-selected trust radius | SVD of `R` from a QR of `J` |
//! | `gn_probe` with `probe.sketch` | sketched Gauss–Newton | probe-selected trust radius | SVD of the sketched core `S J Q` |

use crate::config::{JacobianAccess, LinearSolverKind, Method, Scaling, SolverConfig};
use crate::control::StepControl;
use crate::control::always_accept::AlwaysAccept;
use crate::control::damping_rule::AnyDampingRule;
use crate::control::log_grid::LogGrid;
use crate::control::more_thuente::StrongWolfeParams;
use crate::control::probe_radius::ProbeRadius;
use crate::control::reduction_ratio::ReductionRatio;
use crate::control::strong_wolfe::StrongWolfe;
use crate::descent::accumulated_gauss_newton::AccumulatedGaussNewton;
use crate::descent::dense_quasi_newton::{DenseQuasiNewton, DenseUpdate};
use crate::descent::{
    Adam, DampedGaussNewton, Descent, GramianDescent, SketchedGaussNewton, TruncatedCg, TwoLoop,
};
use crate::linalg;
use faer::Par;

/// A method's parts, built for an `n × p` problem.
pub struct Pairing {
    /// The direction.
    pub descent: Box<dyn Descent + Send>,
    /// How far to trust it.
    pub control: Box<dyn StepControl + Send>,
    /// The linear solver requested and the one used after `auto` selection (damped
    /// Gauss–Newton only).
    pub linear_solver: Option<(LinearSolverKind, LinearSolverKind)>,
}

/// The parts of `method` under configuration `c`.
pub fn pairing(method: Method, n: usize, p: usize, c: &SolverConfig, par: Par) -> Pairing {
    match method {
        Method::Lm if c.lm.forgetting > 0.0 => Pairing {
            descent: Box::new(AccumulatedGaussNewton::new(
                p,
                c.lm.forgetting,
                c.lm.scaling,
                par,
            )),
            control: lm_control(c),
            linear_solver: Some((c.lm.linear_solver, LinearSolverKind::NormalCholesky)),
        },
        Method::Lm => {
            let used = linalg::select(c.lm.linear_solver, n, p, c.lm.scaling);
            Pairing {
                descent: Box::new(DampedGaussNewton::new(
                    linalg::build(used, n, p, par),
                    c.lm.scaling,
                    p,
                )),
                control: lm_control(c),
                linear_solver: Some((c.lm.linear_solver, used)),
            }
        }
        Method::GnCg => Pairing {
            descent: Box::new(TruncatedCg::new(n, p, &c.gncg, par)),
            control: Box::new(ReductionRatio::new(
                AnyDampingRule::from_config(&c.gncg.damping),
                c.gncg.damping.acceptance,
                0.0,
            )),
            linear_solver: None,
        },
        Method::Engd => Pairing {
            descent: Box::new(GramianDescent::new(
                n,
                p,
                c.engd.solve,
                c.engd.sample_space_when_wide,
                par,
            )),
            control: Box::new(LogGrid::new(
                c.engd.grid_steps,
                c.engd.grid_base,
                c.engd.take_argmin_without_decrease,
            )),
            linear_solver: None,
        },
        Method::Lbfgs => Pairing {
            descent: Box::new(TwoLoop::new(p, c.lbfgs.memory)),
            control: Box::new(
                StrongWolfe::new(StrongWolfeParams {
                    c1: c.lbfgs.c1,
                    c2: c.lbfgs.c2,
                    max_evaluations: c.lbfgs.max_line_search_evaluations,
                    ..StrongWolfeParams::default()
                })
                .expect("validated by SolverConfig::validate"),
            ),
            linear_solver: None,
        },
        Method::Bfgs => dense_quasi_newton(DenseUpdate::Bfgs, p, c, par),
        Method::SsBfgs => dense_quasi_newton(DenseUpdate::SsBfgs, p, c, par),
        Method::SsBroyden => dense_quasi_newton(DenseUpdate::SsBroyden, p, c, par),
        Method::GnProbe if c.probe.sketch.is_some() => Pairing {
            descent: Box::new(SketchedGaussNewton::new(
                n,
                p,
                c.probe.sketch.unwrap_or_default(),
                par,
            )),
            control: Box::new(ProbeRadius::new(c.probe)),
            linear_solver: Some((LinearSolverKind::SketchedSvd, LinearSolverKind::SketchedSvd)),
        },
        Method::GnProbe => Pairing {
            descent: Box::new(DampedGaussNewton::new(
                linalg::build(LinearSolverKind::DenseSvd, n, p, par),
                Scaling::Identity,
                p,
            )),
            control: Box::new(ProbeRadius::new(c.probe)),
            linear_solver: Some((LinearSolverKind::DenseSvd, LinearSolverKind::DenseSvd)),
        },
        Method::Adam => Pairing {
            descent: Box::new(Adam::from_config(p, &c.adam)),
            control: Box::new(AlwaysAccept),
            linear_solver: None,
        },
    }
}

/// Levenberg–Marquardt's step control: the reduction ratio with the `lm` options.
fn lm_control(c: &SolverConfig) -> Box<dyn StepControl + Send> {
    Box::new(
        ReductionRatio::new(
            AnyDampingRule::from_config(&c.lm.damping),
            c.lm.damping.acceptance,
            c.lm.polish_threshold,
        )
        .with_trust_region(c.lm.trust_region_factor),
    )
}

fn dense_quasi_newton(update: DenseUpdate, p: usize, c: &SolverConfig, par: Par) -> Pairing {
    let q = &c.quasi_newton;
    Pairing {
        descent: Box::new(DenseQuasiNewton::new(p, update, par)),
        control: Box::new(
            StrongWolfe::new(StrongWolfeParams {
                c1: q.c1,
                c2: q.c2,
                max_evaluations: q.max_line_search_evaluations,
                ..StrongWolfeParams::default()
            })
            .and_then(|c| c.with_fallbacks(&q.fallback_c2))
            .expect("validated by SolverConfig::validate"),
        ),
        linear_solver: None,
    }
}

/// Whether `method`'s descent needs the assembled Jacobian (so that the loop can
/// allocate it once for every method a configuration may switch to).
pub fn needs_jacobian(method: Method, c: &SolverConfig) -> bool {
    match method {
        Method::Lm | Method::Engd => true,
        Method::GnProbe => c.probe.sketch.is_none(),
        Method::GnCg => c.gncg.jacobian == JacobianAccess::Assembled,
        Method::Lbfgs | Method::Adam | Method::Bfgs | Method::SsBfgs | Method::SsBroyden => false,
    }
}

/// The method running after `switched` (the configured switch has happened or not).
pub fn method_in_phase(c: &SolverConfig, switched: bool) -> Method {
    match (&c.switch, switched) {
        (Some(s), true) => s.then,
        _ => c.method,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_pairs_a_descent_that_agrees_on_the_jacobian() {
        for method in [
            Method::Lm,
            Method::GnCg,
            Method::Engd,
            Method::Lbfgs,
            Method::Adam,
            Method::Bfgs,
            Method::SsBfgs,
            Method::SsBroyden,
            Method::GnProbe,
        ] {
            for (access, sketch) in [
                (JacobianAccess::Assembled, None),
                (JacobianAccess::MatrixFree, None),
                (JacobianAccess::Assembled, Some(Default::default())),
            ] {
                let mut c = SolverConfig::lm();
                c.gncg.jacobian = access;
                c.probe.sketch = sketch;
                let pair = pairing(method, 5, 3, &c, Par::Seq);
                assert_eq!(
                    pair.descent.needs_jacobian(),
                    needs_jacobian(method, &c),
                    "{method:?}"
                );
                assert_eq!(
                    pair.linear_solver.is_some(),
                    matches!(method, Method::Lm | Method::GnProbe)
                );
            }
        }
    }
}
