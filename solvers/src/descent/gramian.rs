//! The ENGD direction `−G⁺∇L`, `G = JᵀJ` (Müller & Zeinhofer, ICML 2023), scaled by
//! the line-search step η: `step(η) = −η G⁺∇L`.
//!
//! Two variants: the spectral pseudo-inverse with a rank cutoff
//! ([`crate::linalg::pinv`]), in parameter space or — when `N < P` — sample space; or a
//! small Tikhonov shift `(G + εI)⁻¹∇L`, solved by Cholesky of `G + εI` or by the
//! Woodbury form `Jᵀ(JJᵀ + εI)⁻¹r` (Guzmán-Cordero et al. 2025).

use super::{Descent, Linearization, Meter};
use crate::control::Boldness;
use crate::linalg::pinv::{Space, SpectralPinv};
use crate::linalg::{AugmentedSolver, LinearSolveError, NormalCholesky, SampleSpace};
use crate::problem::LeastSquares;
use faer::Par;
use std::time::Instant;

enum Variant {
    Spectral {
        pinv: Box<SpectralPinv>,
        cutoff: f64,
    },
    Tikhonov {
        solver: Box<dyn AugmentedSolver + Send>,
        epsilon: f64,
        ones: Vec<f64>,
    },
}

/// The ENGD direction, computed once per accepted iterate.
pub struct GramianDescent {
    variant: Variant,
    direction: Vec<f64>,
    /// Numerical rank used by the last spectral direction.
    pub rank: usize,
}

impl GramianDescent {
    /// Builds the variant for an `n × p` problem.
    pub fn new(
        n: usize,
        p: usize,
        solve: crate::config::EngdSolve,
        sample_space_when_wide: bool,
        par: Par,
    ) -> Self {
        let wide = sample_space_when_wide && n < p;
        let variant = match solve {
            crate::config::EngdSolve::Eigen { relative_cutoff } => Variant::Spectral {
                pinv: Box::new(SpectralPinv::new(
                    n,
                    p,
                    if wide {
                        Space::Sample
                    } else {
                        Space::Parameter
                    },
                    par,
                )),
                cutoff: relative_cutoff,
            },
            crate::config::EngdSolve::Tikhonov { epsilon } => Variant::Tikhonov {
                solver: if wide {
                    Box::new(SampleSpace::new(n, p, par))
                } else {
                    Box::new(NormalCholesky::new(n, p, par))
                },
                epsilon,
                ones: vec![1.0; p],
            },
        };
        Self {
            variant,
            direction: vec![0.0; p],
            rank: 0,
        }
    }
}

impl Descent for GramianDescent {
    fn name(&self) -> &'static str {
        "gramian"
    }

    fn needs_jacobian(&self) -> bool {
        true
    }

    fn prepare(
        &mut self,
        _problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let t = Instant::now();
        let jac = lin.jacobian.expect("ENGD needs the assembled Jacobian");
        self.direction.fill(f64::NAN);
        let res = match &mut self.variant {
            Variant::Spectral { pinv, cutoff } => pinv
                .step(jac, lin.residuals, *cutoff, &mut self.direction)
                .map(|rank| {
                    self.rank = rank;
                }),
            Variant::Tikhonov {
                solver,
                epsilon,
                ones,
            } => solver
                .factor(jac, lin.residuals, ones)
                .and_then(|()| solver.solve(jac, *epsilon, &mut self.direction)),
        };
        meter.time.matrix += t.elapsed().as_secs_f64();
        res
    }

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let eta = boldness.length();
        for (o, d) in out.iter_mut().zip(&self.direction) {
            *o = eta * d;
        }
        Ok(0)
    }
}
