//! How a problem's blocks draw their points again during a solve: the record of each
//! block's first draw ([`BlockSampling`]), the `adaptive` setting of a block
//! ([`AdaptiveSampling`], read from the file with its errors placed), and the samplers
//! installed on the least-squares problem ([`Problem::residual_model`]).
//!
//! With `[collocation] resample_every = k`, every `k` iterations a block draws `N` new
//! points with its sampler and the seed `seed + iteration`. A block with
//! `adaptive = { method = "rad", pool = M, k, c }` instead draws a pool of `M`
//! candidates that way and keeps `N` of them, drawn without replacement with
//! probability `∝ |r(x)|^k / E|r|^k + c` at the current iterate (residual-based adaptive
//! sampling, Wu, Zhu, Tan, Kartha & Lu, CMAME 403, 2023; see
//! [`crate::residual::adaptive`]); `adaptive = { method = "vrba", pool = M, c_log }`
//! keeps them with vRBA's annealed exponential weights (Toscano et al. 2025). The pool is
//! drawn afresh at every resample rather than once: a fixed pool would confine the whole
//! run to `M` points, a fresh one keeps the reach of uniform re-drawing while costing only
//! the sampler's `O(M)` work.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::build::Problem;
use super::error::InputError;
use super::spec::{AdaptiveSpec, WeightsSpec};
use crate::geometry::{self, BoxDomain, Face, Sampler};
use crate::residual::adaptive::{AdaptiveError, Density, ExponentialPotential, Rad};
use crate::residual::model::ResidualModel;
use crate::residual::weights::{Rba, WeightsError};

/// How a block's points are drawn again when the problem resamples.
#[derive(Clone, Debug)]
pub struct BlockSampling {
    /// The faces the points lie on (empty: the interior).
    pub faces: Vec<Face>,
    /// The sampler.
    pub sampler: Sampler,
    /// Number of points.
    pub count: usize,
    /// The seed of the first draw; draw `k` uses `seed + k`.
    pub seed: u64,
    /// Points read from a file are never resampled.
    pub from_file: bool,
    /// Residual-based adaptive sampling from a pool, when the block asks for it.
    pub adaptive: Option<AdaptiveSampling>,
    /// Residual-based attention weights of the points, when the block asks for them.
    pub weights: Option<Rba>,
}

/// A block's `adaptive` setting: RAD or vRBA from a pool of `pool` candidates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveSampling {
    /// The candidate pool size `M ≥ N`.
    pub pool: usize,
    /// The density the points are drawn with.
    pub density: Density,
}

impl AdaptiveSampling {
    /// Bytes a draw holds besides the network's own workspaces: the `M × d` pool, and
    /// per candidate its residual magnitude, weight and (key, index) pair.
    pub fn memory_bytes(&self, dim: usize) -> usize {
        self.pool * (dim + 4) * std::mem::size_of::<f64>()
    }
}

impl BlockSampling {
    /// Draw `iteration` of the block's points (or of its pool, for an adaptive block):
    /// `n` points with the seed `seed + iteration`.
    fn draw(&self, domain: &BoxDomain, n: usize, iteration: usize) -> faer::Mat<f64> {
        let seed = self.seed.wrapping_add(iteration as u64);
        if self.faces.is_empty() {
            geometry::sample_interior(domain, self.sampler, n, seed)
        } else {
            geometry::sample_faces(domain, &self.faces, self.sampler, n, seed)
        }
        .expect("the same sampler and size were drawn when the problem was built")
    }
}

/// Reads a block's `adaptive` table. `resample_every` is the problem's interval (an
/// adaptive block without one would never draw); `sampling` the block's first draw;
/// the pool is drawn once here so that a pool size its sampler cannot make (a grid of
/// the wrong size) is an error at the `pool` value, not a failure during the solve.
pub(super) fn adaptive_sampling(
    path: &Path,
    text: &str,
    spec: &Spanned<AdaptiveSpec>,
    sampling: &BlockSampling,
    domain: &BoxDomain,
    resample_every: Option<usize>,
) -> Result<AdaptiveSampling, InputError> {
    let err = |span: Range<usize>, message: String| InputError::at_span(path, text, span, message);
    let a = spec.get_ref();
    let method = a.method.get_ref().as_str();
    if method != "rad" && method != "vrba" {
        return Err(err(
            a.method.span(),
            format!("unknown adaptive method `{method}`: expected rad or vrba"),
        ));
    }
    // Each method's own keys only: a key of the other method would be silently ignored.
    let foreign = if method == "rad" {
        a.c_log.as_ref().map(|s| (s.span(), "c_log"))
    } else {
        a.k.as_ref()
            .map(|s| (s.span(), "k"))
            .or(a.c.as_ref().map(|s| (s.span(), "c")))
    };
    if let Some((span, key)) = foreign {
        let keys = if method == "rad" { "k, c" } else { "c_log" };
        return Err(err(
            span,
            format!("`{key}` is not a setting of method `{method}` (its settings: pool, {keys})"),
        ));
    }
    if resample_every.is_none() {
        return Err(err(
            spec.span(),
            "`adaptive` needs `[collocation] resample_every = k` (k ≥ 1): the points are drawn again every k iterations".to_string(),
        ));
    }
    if sampling.from_file {
        return Err(err(
            spec.span(),
            "`adaptive` needs sampled points: points read from a `file` are never drawn again"
                .to_string(),
        ));
    }
    let pool = *a.pool.get_ref();
    if pool < sampling.count as i64 {
        return Err(err(
            a.pool.span(),
            format!(
                "`pool` must be at least the block's point count {}, found {pool}",
                sampling.count
            ),
        ));
    }
    let pool = pool as usize;
    let density: Density = if method == "rad" {
        let k = a.k.as_ref().map_or(1.0, |k| *k.get_ref());
        let c = a.c.as_ref().map_or(1.0, |c| *c.get_ref());
        Rad::new(k, c)
            .map_err(|e| {
                let span = match e {
                    AdaptiveError::BadExponent(_) => a.k.as_ref().map(Spanned::span),
                    _ => a.c.as_ref().map(Spanned::span),
                };
                err(
                    span.unwrap_or_else(|| spec.span()),
                    match e {
                        AdaptiveError::BadExponent(k) => {
                            format!("`k` must be finite and ≥ 0, found {k}")
                        }
                        AdaptiveError::BadFloor(c) => {
                            format!("`c` must be finite and ≥ 0, found {c}")
                        }
                        other => other.to_string(),
                    },
                )
            })?
            .into()
    } else {
        let c_log = a.c_log.as_ref().map_or(1.0, |c| *c.get_ref());
        ExponentialPotential::new(c_log)
            .map_err(|_| {
                err(
                    a.c_log.as_ref().map_or_else(|| spec.span(), Spanned::span),
                    format!("`c_log` must be finite and > 0, found {c_log}"),
                )
            })?
            .into()
    };
    let first = if sampling.faces.is_empty() {
        geometry::sample_interior(domain, sampling.sampler, pool, sampling.seed)
    } else {
        geometry::sample_faces(
            domain,
            &sampling.faces,
            sampling.sampler,
            pool,
            sampling.seed,
        )
    };
    first.map_err(|e| err(a.pool.span(), format!("cannot draw the pool: {e}")))?;
    Ok(AdaptiveSampling { pool, density })
}

/// Reads a block's `weights` table: RBA with `gamma` (default 0.999), `eta` (0.01) and
/// `every` (1), each checked where it is written.
pub(super) fn point_weights(
    path: &Path,
    text: &str,
    spec: &Spanned<WeightsSpec>,
) -> Result<Rba, InputError> {
    let err = |span: Range<usize>, message: String| InputError::at_span(path, text, span, message);
    let w = spec.get_ref();
    if w.method.get_ref() != "rba" {
        return Err(err(
            w.method.span(),
            format!(
                "unknown weights method `{}`: expected rba",
                w.method.get_ref()
            ),
        ));
    }
    let defaults = Rba::default();
    let gamma = w.gamma.as_ref().map_or(defaults.gamma(), |g| *g.get_ref());
    let eta = w.eta.as_ref().map_or(defaults.eta(), |e| *e.get_ref());
    let every = match &w.every {
        None => defaults.every(),
        Some(k) if *k.get_ref() >= 1 => *k.get_ref() as usize,
        Some(k) => {
            return Err(err(
                k.span(),
                format!("`every` must be ≥ 1, found {}", k.get_ref()),
            ));
        }
    };
    Rba::new(gamma, eta, every).map_err(|e| {
        let span = match e {
            WeightsError::BadDecay(_) => w.gamma.as_ref().map(Spanned::span),
            WeightsError::BadRate(_) => w.eta.as_ref().map(Spanned::span),
            WeightsError::ZeroInterval => w.every.as_ref().map(Spanned::span),
        };
        let message = match e {
            WeightsError::BadDecay(g) => format!("`gamma` must be in [0, 1], found {g}"),
            WeightsError::BadRate(e) => format!("`eta` must be finite and > 0, found {e}"),
            WeightsError::ZeroInterval => "`every` must be ≥ 1".to_string(),
        };
        err(span.unwrap_or_else(|| spec.span()), message)
    })
}

impl Problem {
    /// The initial parameters θ₀ (seeded, from `[model] init` and `seed`).
    pub fn initial_params(&self) -> Vec<f64> {
        self.mlp.init(self.init, self.init_seed)
    }

    /// The least-squares problem the solvers see: the network and the residual blocks,
    /// with a sampler per block when `[collocation] resample_every` is set (draw `k`
    /// of a block uses its seed plus `k`; points read from files stay fixed; adaptive
    /// blocks draw from a pool by RAD at the current iterate), and RBA point weights on
    /// the blocks that ask for them.
    pub fn residual_model(&self) -> ResidualModel {
        let mut model = ResidualModel::new(self.mlp.clone(), self.blocks.clone())
            .expect("blocks built from a validated problem fit its network");
        if let Some(frozen) = &self.frozen {
            model = model.with_frozen(frozen.clone());
        }
        for (b, s) in self.sampling.iter().enumerate() {
            if let Some(rba) = s.weights {
                model
                    .set_point_weights(b, rba)
                    .expect("one sampling record per block");
            }
        }
        let Some(every) = self.resample_every else {
            return model;
        };
        for (b, s) in self.sampling.iter().enumerate() {
            if s.from_file {
                continue;
            }
            let (domain, s) = (self.domain.clone(), s.clone());
            let installed = match s.adaptive {
                None => model.set_sampler(b, every, move |iteration| {
                    s.draw(&domain, s.count, iteration)
                }),
                Some(a) => {
                    let seed = s.seed;
                    model.set_rad_sampler(
                        b,
                        every,
                        move |iteration| s.draw(&domain, a.pool, iteration),
                        a.density,
                        seed,
                    )
                }
            };
            installed.expect("block index, interval and kind were validated");
        }
        model
    }
}
