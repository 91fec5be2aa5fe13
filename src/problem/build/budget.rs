//! The memory budget of a problem, checked from the sizes the file asks for before any
//! point is sampled, and again from the built problem (points read from files counted).

use std::ops::Range;

use pinn_solvers::SolverConfig;
use toml::Spanned;

use super::{Builder, Problem};
use crate::model::Mlp;
use crate::problem::error::InputError;
use crate::problem::memory::{Estimate, MachineMemory, Sizes, human_bytes, worker_threads};
use crate::problem::spec::ProblemSpec;

/// Evaluation points when the file gives none.
pub(super) const DEFAULT_EVALUATION: u128 = 10_000;

/// The memory a check may let a solve use, and how to describe it.
pub(crate) fn memory_limit(limit: Option<u64>) -> Option<(u64, String)> {
    match limit {
        Some(l) => Some((l, format!("the limit is {}", human_bytes(l as f64)))),
        None => MachineMemory::read().map(|m| (m.total, m.describe())),
    }
}

impl Builder<'_> {
    /// Refuses a problem whose solve would not fit in memory, before its points are
    /// drawn: every count as written (points read from files are counted later), the
    /// network's parameter count, layer widths (the first the embedded input width) and
    /// embedding, for `preset` with its settings `config`.
    pub(super) fn check_budget(
        &self,
        spec: &ProblemSpec,
        preset: &str,
        config: &SolverConfig,
        dim: usize,
        mlp: &Mlp,
    ) -> Result<(), InputError> {
        let embedded = if mlp.embedding().is_identity() {
            0
        } else {
            mlp.layers()[0] as u128
        };
        let mut sizes = Sizes {
            dim: dim as u128,
            params: mlp.n_params() as u128,
            widths: mlp.layers().iter().map(|&w| w as u128).sum(),
            embedded,
            network_copies: 1 << mlp.embedding().reflections().len(),
            threads: worker_threads(config.threads) as u128,
            evaluation: DEFAULT_EVALUATION,
            ..Sizes::default()
        };
        // The value of the largest count, to blame when the points are at fault.
        let mut largest: Option<(u128, Range<usize>)> = None;
        let mut note = |c: &Spanned<i64>| -> u128 {
            let n = u128::try_from(*c.get_ref()).unwrap_or(0);
            if largest.as_ref().is_none_or(|(m, _)| n > *m) {
                largest = Some((n, c.span()));
            }
            n
        };
        for b in &spec.blocks {
            let b = b.get_ref();
            let n = b.points.get_ref().count.as_ref().map_or(0, &mut note);
            let equations = match (&b.equations, b.kind.get_ref().as_str()) {
                (Some(es), _) => es.get_ref().len().max(1) as u128,
                (None, "periodic") if b.derivatives == Some(true) => 1 + dim as u128,
                _ => 1,
            };
            sizes.points += n;
            sizes.rows += n * equations;
            if let Some(a) = &b.adaptive {
                let pool = a.get_ref().pool.get_ref();
                sizes.pool += u128::try_from(*pool).unwrap_or(0);
            }
        }
        if let Some(e) = &spec.evaluation {
            sizes.evaluation = e.get_ref().count.as_ref().map_or(0, &mut note);
        }
        let estimate = Estimate::with_config(preset, config, &sizes);
        let span = match &largest {
            Some((_, s)) if !estimate.dominated_by_params() => s.clone(),
            _ => spec.model.get_ref().layers.span(),
        };
        self.within_budget(&estimate, span)
    }

    /// The estimate against the memory limit, refused at `span`.
    pub(super) fn within_budget(
        &self,
        estimate: &Estimate,
        span: Range<usize>,
    ) -> Result<(), InputError> {
        let Some((limit, described)) = memory_limit(self.opts.memory_limit) else {
            return Ok(());
        };
        estimate
            .check(limit, &described)
            .map_err(|m| self.err(span, m))
    }
}

impl Builder<'_> {
    /// The budget again, from the built problem: points read from files are counted
    /// now. Refused at the layers when the parameters dominate, else at the points of
    /// the first block read from a file.
    pub(super) fn check_built_budget(
        &self,
        spec: &ProblemSpec,
        problem: &Problem,
    ) -> Result<(), InputError> {
        let estimate = problem.memory_estimate(&problem.preset);
        let from_file = spec
            .blocks
            .iter()
            .map(|b| &b.get_ref().points)
            .find(|p| p.get_ref().file.is_some())
            .map(Spanned::span);
        let span = match from_file {
            Some(s) if !estimate.dominated_by_params() => s,
            _ => spec.model.get_ref().layers.span(),
        };
        self.within_budget(&estimate, span)
    }
}

impl Problem {
    /// The sizes of this problem's solve (its actual points, rows and parameters, and
    /// the threads of its solver settings).
    pub fn sizes(&self) -> Sizes {
        let model_rows: u128 = self.blocks.iter().map(|b| b.n_rows() as u128).sum();
        let pool = self
            .sampling
            .iter()
            .filter_map(|s| s.adaptive.as_ref())
            .map(|a| a.pool as u128)
            .sum();
        let mut widths: Vec<usize> = self.mlp.layers().to_vec();
        widths[0] = self.mlp.embedding().width();
        let embedded = if self.mlp.embedding().is_identity() {
            0
        } else {
            widths[0] as u128
        };
        Sizes {
            dim: self.domain.dim() as u128,
            points: self.blocks.iter().map(|b| b.n_points() as u128).sum(),
            rows: model_rows,
            evaluation: self.evaluation.nrows() as u128,
            pool,
            params: self.mlp.n_params() as u128,
            widths: widths.iter().map(|&w| w as u128).sum(),
            threads: worker_threads(self.config.threads) as u128,
            embedded,
            network_copies: 1 << self.mlp.embedding().reflections().len(),
        }
    }

    /// The memory estimate of a solve of this problem with `preset`: with the file's
    /// solver settings when it is the problem's own preset (a `[solver.probe.sketch]`
    /// table sets the sketch sizes), else at the preset's defaults.
    pub fn memory_estimate(&self, preset: &str) -> Estimate {
        if preset == self.preset {
            Estimate::with_config(preset, &self.config, &self.sizes())
        } else {
            Estimate::new(preset, &self.sizes())
        }
    }
}
