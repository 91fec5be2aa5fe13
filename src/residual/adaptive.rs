//! Residual-based adaptive sampling (RAD): draw a block's collocation points where the
//! residual of the current network is large.
//!
//! Wu, Zhu, Tan, Kartha & Lu, "A comprehensive study of non-adaptive and residual-based
//! adaptive sampling for physics-informed neural networks", CMAME 403 (2023), §2.3:
//! from a candidate pool `S₀` of `M` points, draw the `N` training points with
//!
//! ```text
//! p(x) ∝ |r(x)|^k / E_{S₀}[|r|^k] + c          (defaults k = 1, c = 1)
//! ```
//!
//! `k` sharpens the density towards large residuals, `c` keeps a uniform floor so that
//! no region is starved (`k = 0` or `c → ∞` is uniform sampling). For a block with `E`
//! equations `|r(x)|` is the Euclidean norm `(Σ_e F_e(x)²)^{1/2}`; the block's scale
//! `sqrt(w/N)` cancels in the ratio to the mean and is left out.
//!
//! # The draw: without replacement, by exponential keys
//! The points are drawn **without replacement**, as the reference implementation does
//! (`numpy.random.choice(M, N, replace=False, p)`): a point drawn twice would only
//! duplicate a row of `J`, adding no information while halving the set's coverage.
//! The draw is Efraimidis & Spirakis's "A-ES" (Inf. Process. Lett. 97, 2006): give
//! point `i` the key `ln(uᵢ)/wᵢ` with `uᵢ ~ U(0, 1]` and keep the `N` largest keys. This
//! has exactly the law of `N` successive weighted draws, each from the points not yet
//! drawn with probability `wᵢ / Σ_{remaining} w`, and costs `O(M)` (one uniform and one
//! logarithm per point, then a linear-time selection): drawing 10⁴ from 10⁵ takes
//! about a millisecond.
//!
//! # Bounded memory
//! The pool's residuals are evaluated through [`PoolResiduals`], which returns values
//! only: it has no Jacobian to call, and it is called on chunks of at most
//! [`POOL_CHUNK`] points. A draw needs the `M × d` pool, `M` magnitudes and `M` keys,
//! never an `M × P` matrix.
//!
//! # The annealed exponential density of vRBA
//! [`ExponentialPotential`] is the sampling density of the variational residual-based
//! attention framework (vRBA: Toscano, Anagnostopoulos, … & Karniadakis, "A principled
//! framework for residual-based adaptivity in neural PDE solvers and operator
//! learning", arXiv 2509.14198, 2025), with the exponential potential `Φ(r) = e^{βr}`
//! whose weights target the `L^∞` error:
//!
//! ```text
//! p(x) ∝ exp(β_n (|r(x)| − max|r|)),    β_n = ln(n + 2) / (c_log · max|r|)
//! ```
//!
//! where `n` is the number of the draw (`n = iteration / resample_every`). The weight of
//! a point is `(n + 2)^{(|r|/max|r| − 1)/c_log}`: nearly uniform at the first draws
//! (between 1/2 and 1 at `n = 0`), then sharpening towards the largest residuals as the
//! run goes on, the logarithmic annealing of the authors' code. Unlike RAD it has no
//! separate floor: the smallest weight `(n + 2)^{−1/c_log}` is the floor, and it falls
//! with `n`. Their second-order stage keeps an average of the weights over a fixed pool
//! with memory `γ = 0.1`; here the pool is drawn afresh at every draw, so the weights
//! follow the current residual alone (the 10 % memory is dropped), and the draw is
//! without replacement as for RAD.
//!
//! # Reproducibility
//! The keys' uniforms come from rand's `StdRng` seeded with a SplitMix64 stream of the
//! block's seed and the iteration, so a run, or a resumed run, draws the same points.

use faer::{Mat, MatRef};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The most pool points handed to [`PoolResiduals::residual_norms`] at once.
pub const POOL_CHUNK: usize = 8192;

/// The stream tag of RAD's key uniforms (the samplers use tags below `2·MAX_DIM + 1`).
const RAD_STREAM: u64 = 0x0052_4144;

/// Invalid RAD settings or draws.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdaptiveError {
    /// The exponent `k` is negative or not finite.
    #[error("RAD exponent k must be finite and ≥ 0, found {0}")]
    BadExponent(f64),
    /// The floor `c` is negative or not finite.
    #[error("RAD floor c must be finite and ≥ 0, found {0}")]
    BadFloor(f64),
    /// The exponential potential's temperature factor `c_log` is not positive and finite.
    #[error("vRBA's c_log must be finite and > 0, found {0}")]
    BadTemperature(f64),
    /// The pool has fewer points than the block.
    #[error("a RAD pool of {pool} points cannot supply {needed} distinct points")]
    PoolTooSmall {
        /// The pool size `M`.
        pool: usize,
        /// The block's point count `N`.
        needed: usize,
    },
}

/// RAD's density parameters: `p(x) ∝ |r(x)|^k / E|r|^k + c`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rad {
    k: f64,
    c: f64,
}

impl Default for Rad {
    /// The paper's defaults, `k = 1`, `c = 1`.
    fn default() -> Self {
        Rad { k: 1.0, c: 1.0 }
    }
}

impl Rad {
    /// Checks `k ≥ 0` and `c ≥ 0` (both finite).
    ///
    /// # Errors
    /// [`AdaptiveError::BadExponent`], [`AdaptiveError::BadFloor`].
    pub fn new(k: f64, c: f64) -> Result<Self, AdaptiveError> {
        if !(k.is_finite() && k >= 0.0) {
            return Err(AdaptiveError::BadExponent(k));
        }
        if !(c.is_finite() && c >= 0.0) {
            return Err(AdaptiveError::BadFloor(c));
        }
        Ok(Rad { k, c })
    }

    /// The exponent `k`.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// The floor `c`.
    pub fn c(&self) -> f64 {
        self.c
    }

    /// The unnormalised weights `wᵢ = |rᵢ|^k / mean_j |r_j|^k + c` of pool points with
    /// residual magnitudes `norms`.
    ///
    /// A non-finite magnitude counts as zero (the point keeps the floor `c`). When the
    /// mean is zero (every residual vanishes) or every weight would be zero (`c = 0`
    /// and no residual), the weights are uniform: there is nothing to adapt to.
    pub fn weights(&self, norms: &[f64]) -> Vec<f64> {
        let powered: Vec<f64> = norms
            .iter()
            .map(|&r| {
                let v = r.abs().powf(self.k);
                if v.is_finite() { v } else { 0.0 }
            })
            .collect();
        let mean = powered.iter().sum::<f64>() / powered.len().max(1) as f64;
        if !(mean > 0.0 && mean.is_finite()) {
            return vec![1.0; norms.len()];
        }
        powered.iter().map(|v| v / mean + self.c).collect()
    }

    /// The probabilities `pᵢ = wᵢ / Σ_j w_j` of one draw from the pool.
    pub fn probabilities(&self, norms: &[f64]) -> Vec<f64> {
        let w = self.weights(norms);
        let total: f64 = w.iter().sum();
        w.iter().map(|wi| wi / total).collect()
    }

    /// Draws `n` distinct pool indices, weighted by [`Rad::weights`] (module docs: the
    /// exponential-key draw), reproducibly from `seed`; returned in increasing order.
    ///
    /// # Errors
    /// [`AdaptiveError::PoolTooSmall`] when `n > norms.len()`.
    pub fn select(&self, norms: &[f64], n: usize, seed: u64) -> Result<Vec<usize>, AdaptiveError> {
        select_weighted(&self.weights(norms), n, seed)
    }
}

/// vRBA's annealed exponential density (module docs):
/// `wᵢ = exp(β_n (|rᵢ| − max|r|))`, `β_n = ln(n + 2) / (c_log · max|r|)` at draw `n`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialPotential {
    c_log: f64,
}

impl Default for ExponentialPotential {
    /// The authors' default, `c_log = 1`.
    fn default() -> Self {
        ExponentialPotential { c_log: 1.0 }
    }
}

impl ExponentialPotential {
    /// Checks `c_log > 0` (finite). Larger `c_log` anneals more slowly (flatter weights).
    ///
    /// # Errors
    /// [`AdaptiveError::BadTemperature`].
    pub fn new(c_log: f64) -> Result<Self, AdaptiveError> {
        if !(c_log.is_finite() && c_log > 0.0) {
            return Err(AdaptiveError::BadTemperature(c_log));
        }
        Ok(ExponentialPotential { c_log })
    }

    /// The temperature factor `c_log`.
    pub fn c_log(&self) -> f64 {
        self.c_log
    }

    /// The unnormalised weights `wᵢ = (n + 2)^{(|rᵢ|/max|r| − 1)/c_log}` at draw `n`, in
    /// `[(n + 2)^{−1/c_log}, 1]`, the largest residual's weight exactly 1.
    ///
    /// A non-finite magnitude counts as zero (the smallest weight). When no residual is
    /// positive and finite the weights are uniform.
    pub fn weights(&self, norms: &[f64], draw: usize) -> Vec<f64> {
        let magnitude = |r: f64| if r.is_finite() { r.abs() } else { 0.0 };
        let max = norms.iter().map(|&r| magnitude(r)).fold(0.0, f64::max);
        if max <= 0.0 {
            return vec![1.0; norms.len()];
        }
        // β (|r| − max) = ln(n + 2)/c_log · (|r|/max − 1): scaled by max, no overflow.
        let rate = ((draw as f64) + 2.0).ln() / self.c_log;
        norms
            .iter()
            .map(|&r| (rate * (magnitude(r) / max - 1.0)).exp())
            .collect()
    }
}

/// The density a block's adaptive draws follow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Density {
    /// RAD, `|r|^k / E|r|^k + c` (Wu et al. 2023).
    Rad(Rad),
    /// vRBA's annealed exponential potential (Toscano et al. 2025).
    Exponential(ExponentialPotential),
}

impl From<Rad> for Density {
    fn from(rad: Rad) -> Self {
        Density::Rad(rad)
    }
}

impl From<ExponentialPotential> for Density {
    fn from(potential: ExponentialPotential) -> Self {
        Density::Exponential(potential)
    }
}

impl std::fmt::Display for Density {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Density::Rad(r) => write!(f, "RAD (k = {}, c = {})", r.k(), r.c()),
            Density::Exponential(e) => write!(
                f,
                "vRBA, exponential potential annealed by ln(draw + 2) (c_log = {})",
                e.c_log()
            ),
        }
    }
}

impl Density {
    /// The unnormalised weights of pool points with residual magnitudes `norms` at draw
    /// number `draw` (only the exponential potential depends on it).
    pub fn weights(&self, norms: &[f64], draw: usize) -> Vec<f64> {
        match self {
            Density::Rad(r) => r.weights(norms),
            Density::Exponential(e) => e.weights(norms, draw),
        }
    }

    /// One draw: the pool's residual magnitudes at θ (in chunks, values only), then `n`
    /// of its rows drawn without replacement by [`select_weighted`], in pool order.
    /// `draw` is the number of the draw, `seed` its seed.
    ///
    /// # Errors
    /// [`AdaptiveError::PoolTooSmall`] when the pool has fewer than `n` rows.
    pub fn draw(
        &self,
        residuals: &dyn PoolResiduals,
        theta: &[f64],
        pool: MatRef<'_, f64>,
        n: usize,
        seed: u64,
        draw: usize,
    ) -> Result<Mat<f64>, AdaptiveError> {
        if n > pool.nrows() {
            return Err(AdaptiveError::PoolTooSmall {
                pool: pool.nrows(),
                needed: n,
            });
        }
        let norms = pool_residual_norms(residuals, theta, pool);
        let rows = select_weighted(&self.weights(&norms, draw), n, seed)?;
        Ok(Mat::from_fn(n, pool.ncols(), |i, j| pool[(rows[i], j)]))
    }
}

/// Draws `n` distinct indices of `weights` (each `≥ 0`), by exponential keys (module
/// docs), reproducibly from `seed`; returned in increasing order.
///
/// # Errors
/// [`AdaptiveError::PoolTooSmall`] when `n > weights.len()`.
pub fn select_weighted(weights: &[f64], n: usize, seed: u64) -> Result<Vec<usize>, AdaptiveError> {
    let m = weights.len();
    if n > m {
        return Err(AdaptiveError::PoolTooSmall { pool: m, needed: n });
    }
    let mut rng = StdRng::seed_from_u64(crate::geometry::stream_seed(seed, RAD_STREAM));
    // ln(u)/w with u ∈ (0, 1]: the larger the weight, the closer the key to 0.
    let mut keyed: Vec<(f64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, &wi)| {
            let u = 1.0 - rng.random::<f64>();
            let key = if wi > 0.0 {
                u.ln() / wi
            } else {
                f64::NEG_INFINITY
            };
            (key, i)
        })
        .collect();
    let larger_key_first =
        |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1));
    if n < m && n > 0 {
        keyed.select_nth_unstable_by(n - 1, larger_key_first);
    }
    let mut chosen: Vec<usize> = keyed[..n].iter().map(|&(_, i)| i).collect();
    chosen.sort_unstable();
    Ok(chosen)
}

/// What a RAD draw needs from a problem: the residual magnitude `|r(x)|` at candidate
/// points, for the current parameters. Values only, by construction: an implementation
/// is handed no Jacobian buffer and has nowhere to write one.
pub trait PoolResiduals {
    /// Writes `|r(xᵢ)|` for every row `xᵢ` of `points` into `out` (one per row).
    fn residual_norms(&self, theta: &[f64], points: MatRef<'_, f64>, out: &mut [f64]);
}

/// `|r|` at every pool point, evaluated [`POOL_CHUNK`] points at a time.
pub fn pool_residual_norms(
    residuals: &dyn PoolResiduals,
    theta: &[f64],
    pool: MatRef<'_, f64>,
) -> Vec<f64> {
    let m = pool.nrows();
    let mut norms = vec![0.0; m];
    let mut start = 0;
    while start < m {
        let len = POOL_CHUNK.min(m - start);
        residuals.residual_norms(
            theta,
            pool.subrows(start, len),
            &mut norms[start..start + len],
        );
        start += len;
    }
    norms
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 * b.abs().max(1.0)
    }

    /// `|r| = [0, 1, 2, 3]`: with k = 1, c = 1 the mean is 3/2, the weights
    /// `[1, 5/3, 7/3, 3]` sum to 8; with k = 2, c = 0 the mean of `[0, 1, 4, 9]` is 7/2
    /// and `p = [0, 2/28, 8/28, 18/28]`.
    #[test]
    fn probabilities_match_a_hand_computation() {
        let norms = [0.0, -1.0, 2.0, 3.0];
        let p = Rad::default().probabilities(&norms);
        let want = [1.0 / 8.0, 5.0 / 24.0, 7.0 / 24.0, 3.0 / 8.0];
        assert!(p.iter().zip(want).all(|(a, b)| close(*a, b)), "{p:?}");
        let p = Rad::new(2.0, 0.0).unwrap().probabilities(&norms);
        let want = [0.0, 1.0 / 14.0, 2.0 / 7.0, 9.0 / 14.0];
        assert!(p.iter().zip(want).all(|(a, b)| close(*a, b)), "{p:?}");
        // k = 0 is uniform whatever the residuals.
        let p = Rad::new(0.0, 1.0).unwrap().probabilities(&norms);
        assert!(p.iter().all(|&pi| close(pi, 0.25)));
    }

    /// `|r| = [0, 1, 2, 4]` (max 4) at draw 2: `wᵢ = 4^{(rᵢ/4 − 1)/c_log}`, so
    /// `[1/4, 4^{−3/4}, 1/2, 1]` for `c_log = 1` and `[1/2, 2^{−3/4}, 2^{−1/2}, 1]` for
    /// `c_log = 2`; at draw 0 the base is 2 instead of 4 (flatter).
    #[test]
    fn exponential_weights_match_a_hand_computation() {
        let norms = [0.0, -1.0, 2.0, 4.0];
        let w = ExponentialPotential::default().weights(&norms, 2);
        let want = [0.25, 4f64.powf(-0.75), 0.5, 1.0];
        assert!(w.iter().zip(want).all(|(a, b)| close(*a, b)), "{w:?}");
        let two = ExponentialPotential::new(2.0).unwrap();
        let w = two.weights(&norms, 2);
        let want = [0.5, 2f64.powf(-0.75), 0.5f64.sqrt(), 1.0];
        assert!(w.iter().zip(want).all(|(a, b)| close(*a, b)), "{w:?}");
        let w = ExponentialPotential::default().weights(&norms, 0);
        let want = [0.5, 2f64.powf(-0.75), 0.5f64.sqrt(), 1.0];
        assert!(w.iter().zip(want).all(|(a, b)| close(*a, b)), "{w:?}");
        // The density is the same through the enum, which ignores the draw for RAD.
        let d = Density::from(two);
        assert_eq!(d.weights(&norms, 2), two.weights(&norms, 2));
        let rad = Density::from(Rad::default());
        assert_eq!(rad.weights(&norms, 0), rad.weights(&norms, 9));
    }

    /// The weights sharpen with the draw number: the ratio of a half-maximum point's
    /// weight to the maximum is `(n + 2)^{−1/2}`, falling from 0.71 to 0.03, and huge
    /// residuals (1e300) neither overflow nor change the ratio.
    #[test]
    fn exponential_weights_sharpen_with_the_draw_and_do_not_overflow() {
        let e = ExponentialPotential::default();
        for (scale, draw) in [(1.0, 0usize), (1.0, 998), (1e300, 998), (1e-300, 5)] {
            let w = e.weights(&[0.5 * scale, scale], draw);
            let want = ((draw as f64) + 2.0).powf(-0.5);
            assert!(close(w[0], want) && w[1] == 1.0, "{scale} {draw}: {w:?}");
        }
        // Degenerate residuals: uniform; a NaN gets the smallest weight.
        assert_eq!(e.weights(&[0.0, 0.0], 7), vec![1.0; 2]);
        assert_eq!(e.weights(&[f64::NAN, f64::INFINITY], 7), vec![1.0; 2]);
        let w = e.weights(&[f64::NAN, 2.0], 2);
        assert!(close(w[0], 0.25) && w[1] == 1.0, "{w:?}");
    }

    #[test]
    fn degenerate_residuals_give_uniform_weights() {
        let rad = Rad::new(1.0, 0.0).unwrap();
        assert_eq!(rad.weights(&[0.0, 0.0, 0.0]), vec![1.0; 3]);
        // A NaN magnitude counts as zero: only the floor is left for it.
        let w = Rad::default().weights(&[f64::NAN, 2.0]);
        assert_eq!(w, vec![1.0, 3.0]);
    }

    #[test]
    fn bad_settings_are_errors() {
        assert_eq!(Rad::new(-1.0, 1.0), Err(AdaptiveError::BadExponent(-1.0)));
        assert!(matches!(
            Rad::new(f64::NAN, 1.0),
            Err(AdaptiveError::BadExponent(_))
        ));
        assert_eq!(Rad::new(1.0, -0.5), Err(AdaptiveError::BadFloor(-0.5)));
        assert!(matches!(
            Rad::new(1.0, f64::INFINITY),
            Err(AdaptiveError::BadFloor(_))
        ));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                ExponentialPotential::new(bad),
                Err(AdaptiveError::BadTemperature(_))
            ));
        }
        assert_eq!(
            Rad::default().select(&[1.0, 2.0], 3, 0),
            Err(AdaptiveError::PoolTooSmall { pool: 2, needed: 3 })
        );
    }

    /// One draw (`n = 1`) from a 4-point pool, 40 000 seeds: Pearson's χ² of the counts
    /// against `p` must stay below 16.27, the 0.999 quantile of χ² with 3 degrees of
    /// freedom (the seeds are fixed, so the test is deterministic; a wrong density by a
    /// few percent gives χ² in the hundreds).
    #[test]
    fn single_draws_follow_the_density() {
        let rad = Rad::default();
        let norms = [0.0, 1.0, 2.0, 3.0];
        let p = rad.probabilities(&norms);
        let trials = 40_000;
        let mut counts = [0usize; 4];
        for seed in 0..trials {
            counts[rad.select(&norms, 1, seed).unwrap()[0]] += 1;
        }
        let chi2: f64 = counts
            .iter()
            .zip(&p)
            .map(|(&o, &pi)| {
                let e = pi * trials as f64;
                (o as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi2 < 16.27, "χ² = {chi2}, counts {counts:?}");
    }

    /// Two distinct points from three: point `i` is drawn with probability
    /// `pᵢ + Σ_{j≠i} p_j pᵢ/(1 − p_j)` (first draw, or second after `j`), the law of
    /// successive weighted draws without replacement. 40 000 seeded draws; each
    /// frequency within 4.5 binomial standard deviations.
    #[test]
    fn draws_without_replacement_follow_successive_sampling() {
        let rad = Rad::new(1.0, 0.5).unwrap();
        let norms = [0.5, 1.0, 4.0];
        let p = rad.probabilities(&norms);
        let inclusion: Vec<f64> = (0..3)
            .map(|i| {
                p[i] + (0..3)
                    .filter(|&j| j != i)
                    .map(|j| p[j] * p[i] / (1.0 - p[j]))
                    .sum::<f64>()
            })
            .collect();
        assert!(close(inclusion.iter().sum(), 2.0));
        let trials = 40_000u64;
        let mut counts = [0usize; 3];
        for seed in 0..trials {
            let chosen = rad.select(&norms, 2, seed).unwrap();
            assert_eq!(chosen.len(), 2);
            assert!(chosen[0] < chosen[1], "distinct, in increasing order");
            chosen.iter().for_each(|&i| counts[i] += 1);
        }
        for i in 0..3 {
            let f = counts[i] as f64 / trials as f64;
            let sd = (inclusion[i] * (1.0 - inclusion[i]) / trials as f64).sqrt();
            assert!(
                (f - inclusion[i]).abs() < 4.5 * sd,
                "point {i}: frequency {f}, expected {}",
                inclusion[i]
            );
        }
    }

    #[test]
    fn draws_are_reproducible_from_the_seed() {
        let norms: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64).collect();
        let rad = Rad::default();
        let a = rad.select(&norms, 100, 7).unwrap();
        assert_eq!(a, rad.select(&norms, 100, 7).unwrap());
        assert_ne!(a, rad.select(&norms, 100, 8).unwrap());
        let mut dedup = a.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), 100);
        // Drawing the whole pool returns every index.
        assert_eq!(
            rad.select(&norms, 1000, 3).unwrap(),
            (0..1000).collect::<Vec<_>>()
        );
    }

    /// A test double that counts what the pool evaluation asks of it: the trait has no
    /// Jacobian method, and the chunks it sees are bounded by `POOL_CHUNK`.
    struct Counting {
        calls: RefCell<usize>,
        largest: RefCell<usize>,
    }
    impl PoolResiduals for Counting {
        fn residual_norms(&self, _theta: &[f64], points: MatRef<'_, f64>, out: &mut [f64]) {
            *self.calls.borrow_mut() += 1;
            let mut l = self.largest.borrow_mut();
            *l = (*l).max(points.nrows());
            for (i, o) in out.iter_mut().enumerate() {
                *o = points[(i, 0)].abs();
            }
        }
    }

    #[test]
    fn the_pool_is_evaluated_in_bounded_chunks_of_values_only() {
        let m = 2 * POOL_CHUNK + 17;
        let pool = Mat::from_fn(m, 2, |i, j| (i as f64) / m as f64 + j as f64);
        let counting = Counting {
            calls: RefCell::new(0),
            largest: RefCell::new(0),
        };
        let norms = pool_residual_norms(&counting, &[], pool.as_ref());
        assert_eq!(*counting.calls.borrow(), 3);
        assert_eq!(*counting.largest.borrow(), POOL_CHUNK);
        assert!((0..m).all(|i| norms[i] == pool[(i, 0)]));
        let drawn = Density::Rad(Rad::new(2.0, 0.0).unwrap())
            .draw(&counting, &[], pool.as_ref(), 100, 1, 0)
            .unwrap();
        assert_eq!((drawn.nrows(), drawn.ncols()), (100, 2));
        // k = 2, c = 0 puts most weight on the large residuals at the end of the pool.
        let mean_x: f64 = (0..100).map(|i| drawn[(i, 0)]).sum::<f64>() / 100.0;
        assert!(mean_x > 0.6, "mean drawn x = {mean_x}");
        assert!(matches!(
            Density::Rad(Rad::default()).draw(&counting, &[], pool.subrows(0, 5), 6, 1, 0),
            Err(AdaptiveError::PoolTooSmall { pool: 5, needed: 6 })
        ));
    }
}
