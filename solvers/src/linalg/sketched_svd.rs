//! The doubly sketched spectral path: the Gauss–Newton model restricted to a random
//! subspace of the parameters and fitted to a random compression of the residuals,
//! after Webb, Jerad & Cartis, "Sketched Gauss–Newton with a target reduction ratio"
//! (arXiv 2607.02194, 2026).
//!
//! # Math
//! With the count sketch `S` (`s₁ × N`) and the SRCT `Q` (`P × s₂`, orthonormal
//! columns) of [`super::sketch`], and `Ĵ = J D̃⁻¹`, the core and the sketched residual are
//!
//! ```text
//! B = S Ĵ Q   (s₁ × s₂),      r_s = S r,
//! z(λ) = argmin ‖B z + r_s‖² + λ‖z‖²,      δ = D̃⁻¹ Q z(λ).
//! ```
//!
//! `B` is accumulated over macro-batches of residual rows: a batch of `J`'s rows is
//! evaluated, each row is scaled by `D̃⁻¹` and transformed by `Qᵀ` (one DCT), and added
//! with its count-sketch signs into its buckets, so the `N × P` Jacobian is never held
//! (memory `s₁s₂ + b·P` for batches of `b` rows). The small core is then handed to the
//! spectral solver of [`super::dense_svd`] (thin QR and SVD, `B = U Σ Vᵀ`, `c = Uᵀr_s`):
//! a step for any λ costs `O(s₂²)` plus one DCT, and the λ of any trust radius solves
//! the secular equation `‖z(λ)‖ = Δ` (`‖D̃δ‖ = ‖z‖` when `QᵀQ = I`; `‖D̃δ‖ ≤ ‖z‖` when
//! the SRCT pads `P`). The rows of a batch are transformed in parallel and added in
//! row order, so the core has the same bits on any number of threads.
//!
//! The model decrease of the step is that of the sketched model,
//! `½‖r_s‖² − ½‖Bz + r_s‖² = ½ Σ cᵢ² σᵢ² (σᵢ² + 2λ)/(σᵢ² + λ)²`, the paper's predicted
//! decrease. With `s₁ = N`, one hash and `s₂ = P`, `S` is a signed permutation and `Q`
//! the identity: the step and the decrease are the unsketched ones.
//!
//! Both sketches are redrawn at every factorisation from `(seed, draw index)`, so a
//! solve that saves the index resumes with the same sketches.

use super::sketch::{CountSketch, SplitMix64, Srct};
use super::{AugmentedSolver, DenseSvd, LinearSolveError};
use crate::config::{ConfigError, LinearSolverKind, check};
use faer::{Mat, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The sketch sizes (the `probe.sketch` table of the solver configuration).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SketchParams {
    /// `s₁`, sketched residual rows (clipped to `N`).
    pub rows: usize,
    /// `s₂`, sketched parameter columns (clipped to `P`).
    pub cols: usize,
    /// Nonzeros per column of the count sketch.
    pub hashes: usize,
    /// Residual rows of `J` evaluated per macro-batch.
    pub batch_rows: usize,
    /// Seed of the sketches' random stream.
    pub seed: u64,
}

impl Default for SketchParams {
    /// The published defaults: 2000 × 2000 sketches, 4 hashes; batches of 2048 rows.
    fn default() -> Self {
        Self {
            rows: 2000,
            cols: 2000,
            hashes: 4,
            batch_rows: 2048,
            seed: 0,
        }
    }
}

impl SketchParams {
    /// Checks every size, naming the option (`probe.sketch.…`) that is out of range.
    ///
    /// # Errors
    /// The first size out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(self.rows >= 1, "probe.sketch.rows", self.rows, "≥ 1")?;
        check(self.cols >= 1, "probe.sketch.cols", self.cols, "≥ 1")?;
        check(
            (1..=64).contains(&self.hashes),
            "probe.sketch.hashes",
            self.hashes,
            "in [1, 64]",
        )?;
        check(
            self.batch_rows >= 1,
            "probe.sketch.batch_rows",
            self.batch_rows,
            "≥ 1",
        )
    }
}

/// The sketches, the core's spectral factorisation and `D̃⁻¹`.
pub struct SketchedSvd {
    params: SketchParams,
    n: usize,
    p: usize,
    count: CountSketch,
    srct: Srct,
    /// Sketches drawn so far; the next draw has this index.
    draws: u64,
    /// `B`, kept for the solver contract (its solve reads only the factorisation).
    core: Mat<f64>,
    svd: DenseSvd,
    d_inv: Vec<f64>,
    z: Vec<f64>,
    /// Sequential, or the rows of a batch transformed in parallel.
    par: Par,
    /// A macro-batch of `J`'s rows (`b × P`), their transforms (row-major `b × s₂`)
    /// and the core as it is accumulated (row-major `s₁ × s₂`): allocated once, since
    /// freeing and reallocating them per iterate fragments the heap.
    block: Mat<f64>,
    sketched: Vec<f64>,
    acc: Vec<f64>,
}

impl SketchedSvd {
    /// Sketches of an `n × p` Jacobian with `params` (sizes clipped to `n` and `p`).
    pub fn new(n: usize, p: usize, params: SketchParams, par: Par) -> Self {
        let (s1, s2) = (
            params.rows.clamp(1, n.max(1)),
            params.cols.clamp(1, p.max(1)),
        );
        let mut rng = SplitMix64::new(params.seed, 0);
        Self {
            params,
            n,
            p,
            count: CountSketch::draw(n, s1, params.hashes, &mut rng),
            srct: Srct::draw(p, s2, &mut rng),
            draws: 0,
            core: Mat::zeros(s1, s2),
            svd: DenseSvd::new(s1, s2, par),
            d_inv: vec![1.0; p],
            z: vec![0.0; s2],
            par,
            block: Mat::zeros(params.batch_rows.clamp(1, n.max(1)), p),
            sketched: vec![0.0; params.batch_rows.clamp(1, n.max(1)) * s2],
            acc: vec![0.0; s1 * s2],
        }
    }

    /// The bytes a solver for an `n × p` Jacobian with sketches `params` holds at its
    /// peak: the count sketch's buckets and signs, the SRCT's signs and permutation,
    /// one macro-batch of `J`'s rows and of their transforms, the core (accumulated,
    /// then copied into a matrix) and the core's spectral factorisation
    /// ([`DenseSvd::bytes`]), plus a row and DCT workspace per thread.
    pub fn bytes(n: usize, p: usize, params: &SketchParams, threads: usize) -> usize {
        let (s1, s2) = (
            params.rows.clamp(1, n.max(1)),
            params.cols.clamp(1, p.max(1)),
        );
        let b = params.batch_rows.clamp(1, n.max(1));
        let l = if s2 < p {
            super::sketch::fast_dct_length(p)
        } else {
            p
        };
        let words = 2 * n * params.hashes.max(1)
            + p
            + 2 * l
            + b * p
            + b * s2
            + 2 * s1 * s2
            + s1
            + threads.max(1) * (p + 3 * l);
        8 * words + DenseSvd::bytes(s1, s2)
    }

    /// `(s₁, s₂)`.
    pub fn sizes(&self) -> (usize, usize) {
        (self.count.rows(), self.srct.cols())
    }

    /// The number of sketches drawn so far.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// Sets the draw counter (after loading a saved state).
    pub fn set_draws(&mut self, draws: u64) {
        self.draws = draws;
    }

    /// Draws the sketches of index `index` (deterministic in `(seed, index)`).
    pub fn redraw(&mut self, index: u64) {
        let (s1, s2) = self.sizes();
        let mut rng = SplitMix64::new(self.params.seed, index);
        self.count = CountSketch::draw(self.n, s1, self.params.hashes, &mut rng);
        self.srct = Srct::draw(self.p, s2, &mut rng);
    }

    /// Draws the next sketches and advances the counter.
    pub fn redraw_next(&mut self) {
        self.redraw(self.draws);
        self.draws += 1;
    }

    /// Builds `B = S J D̃⁻¹ Q` and `r_s = S r` with the current sketches and factors `B`.
    /// `rows(range, out)` writes the rows `range` of `J` into `out` (`len × P`), one
    /// macro-batch at a time.
    ///
    /// # Errors
    /// [`LinearSolveError::NonFinite`] for a non-finite `J` or `r`; the core's
    /// factorisation errors.
    pub fn factor_rows(
        &mut self,
        r: &[f64],
        d2: &[f64],
        mut rows: impl FnMut(Range<usize>, MatMut<'_, f64>),
    ) -> Result<(), LinearSolveError> {
        if !r.iter().all(|v| v.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        for (di, d) in self.d_inv.iter_mut().zip(d2) {
            let root = d.sqrt();
            *di = if root.is_finite() && root > 0.0 {
                1.0 / root
            } else {
                1.0
            };
        }
        let mut block = std::mem::replace(&mut self.block, Mat::zeros(0, 0));
        let mut core = std::mem::take(&mut self.acc);
        let mut sketched = std::mem::take(&mut self.sketched);
        core.fill(0.0);
        let res = self.accumulate(r, &mut rows, &mut block, &mut core, &mut sketched);
        (self.block, self.acc, self.sketched) = (block, core, sketched);
        res
    }

    /// The body of [`SketchedSvd::factor_rows`] on its buffers: `J`'s rows a batch at a
    /// time into `block`, their transforms into `sketched` (row-major, `s₂` per row),
    /// the core into `core` (row-major), then the core's factorisation.
    fn accumulate(
        &mut self,
        r: &[f64],
        rows: &mut impl FnMut(Range<usize>, MatMut<'_, f64>),
        block: &mut Mat<f64>,
        core: &mut [f64],
        sketched: &mut [f64],
    ) -> Result<(), LinearSolveError> {
        let (n, s2) = (self.n, self.srct.cols());
        let b = block.nrows();
        let mut start = 0;
        while start < n {
            let len = b.min(n - start);
            rows(start..start + len, block.as_mut().subrows_mut(0, len));
            if !self.transform_rows(block.as_ref().subrows(0, len), &mut sketched[..len * s2]) {
                return Err(LinearSolveError::NonFinite);
            }
            // Added in row order whatever the thread count: the same bits on any.
            for (i, row) in sketched.chunks_exact(s2).take(len).enumerate() {
                for (bucket, sign) in self.count.column(start + i) {
                    let dst = &mut core[bucket * s2..(bucket + 1) * s2];
                    for (d, v) in dst.iter_mut().zip(row) {
                        *d += sign * v;
                    }
                }
            }
            start += len;
        }
        let rs = self.count.apply(r);
        let s1 = self.core.nrows();
        for j in 0..s2 {
            for i in 0..s1 {
                self.core[(i, j)] = core[i * s2 + j];
            }
        }
        self.svd.factor(self.core.as_ref(), &rs, &vec![1.0; s2])
    }

    /// Row `i` of `out` (row-major, `s₂` per row) is `Qᵀ D̃⁻¹ (row i of block)`. Rows are
    /// independent, each transformed by one thread in the same operations, so they run
    /// in parallel (rayon, on the current pool) unless the solver is sequential. Returns
    /// false when a scaled row is not finite.
    fn transform_rows(&self, block: MatRef<'_, f64>, out: &mut [f64]) -> bool {
        let (p, s2) = (self.p, self.srct.cols());
        let (srct, d_inv) = (&self.srct, &self.d_inv);
        let init = || (vec![0.0; p], srct.scratch());
        let one = |(row, buf): &mut (Vec<f64>, (Vec<f64>, Vec<f64>)), i: usize, o: &mut [f64]| {
            for (j, x) in row.iter_mut().enumerate() {
                *x = block[(i, j)] * d_inv[j];
            }
            if !row.iter().all(|v| v.is_finite()) {
                return false;
            }
            srct.forward(row, o, buf);
            true
        };
        if matches!(self.par, Par::Seq) {
            let mut state = init();
            out.chunks_exact_mut(s2)
                .enumerate()
                .all(|(i, o)| one(&mut state, i, o))
        } else {
            out.par_chunks_exact_mut(s2)
                .enumerate()
                .map_init(init, |state, (i, o)| one(state, i, o))
                .reduce(|| true, |a, b| a && b)
        }
    }

    /// `δ = D̃⁻¹ Q z(λ)` into `out`.
    ///
    /// # Errors
    /// [`LinearSolveError::NonFinite`] for a non-finite step.
    pub fn step(&mut self, lambda: f64, out: &mut [f64]) -> Result<(), LinearSolveError> {
        self.svd.solve(self.core.as_ref(), lambda, &mut self.z)?;
        let mut buf = self.srct.scratch();
        self.srct.adjoint(&self.z, out, &mut buf);
        for (o, d) in out.iter_mut().zip(&self.d_inv) {
            *o *= d;
        }
        if out.iter().all(|x| x.is_finite()) {
            Ok(())
        } else {
            Err(LinearSolveError::NonFinite)
        }
    }

    /// The sketched model's decrease at damping λ (see the module documentation).
    pub fn model_decrease(&self, lambda: f64) -> f64 {
        self.svd.model_decrease(lambda)
    }

    /// The λ whose step has `‖D̃δ‖ = radius` (see [`DenseSvd::damping_for_radius`]).
    pub fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        self.svd.damping_for_radius(radius)
    }
}

impl AugmentedSolver for SketchedSvd {
    fn kind(&self) -> LinearSolverKind {
        LinearSolverKind::SketchedSvd
    }

    /// Sketches an assembled `J` (fresh sketches at every call).
    fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d2: &[f64],
    ) -> Result<(), LinearSolveError> {
        self.redraw_next();
        self.factor_rows(r, d2, |range, mut out| {
            out.copy_from(jac.subrows(range.start, range.len()));
        })
    }

    fn solve(
        &mut self,
        _jac: MatRef<'_, f64>,
        lambda: f64,
        out: &mut [f64],
    ) -> Result<(), LinearSolveError> {
        self.step(lambda, out)
    }

    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        SketchedSvd::damping_for_radius(self, radius)
    }
}

#[cfg(test)]
#[path = "sketched_svd_tests.rs"]
mod tests;
