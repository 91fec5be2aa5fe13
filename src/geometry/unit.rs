//! Seeded point sets in the unit cube `[0, 1)^k`, one row per point.
//!
//! The box samplers map these affinely onto a box (or onto a face, with `k = d − 1`).
//! Each generator is deterministic in its seed: the same `(n, k, seed)` always gives
//! the same points, on every platform (rand's `StdRng` is a fixed ChaCha12 stream for
//! a given rand version).

use faer::Mat;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sobol::Sobol;
use sobol::params::JoeKuoD6;
use std::sync::OnceLock;

/// `n` independent points, uniform on `[0, 1)^k`.
pub(crate) fn uniform(n: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut u = Mat::zeros(n, k);
    for i in 0..n {
        for j in 0..k {
            u[(i, j)] = rng.random::<f64>();
        }
    }
    u
}

/// Latin hypercube sample of `n` points in `[0, 1)^k` (McKay, Beckman & Conover 1979):
/// in every dimension `j`, `u_ij = (π_j(i) + ξ_ij) / n` with `π_j` an independent
/// uniformly random permutation of `0..n` and `ξ_ij ~ U[0, 1)`. Each of the `n` strata
/// `[s/n, (s+1)/n)` of each dimension then holds exactly one point.
pub(crate) fn latin_hypercube(n: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut u = Mat::zeros(n, k);
    let mut perm: Vec<usize> = (0..n).collect();
    let nf = n as f64;
    for j in 0..k {
        perm.shuffle(&mut rng);
        for (i, &p) in perm.iter().enumerate() {
            let lower = p as f64 / nf;
            let upper = (p + 1) as f64 / nf;
            let v = (p as f64 + rng.random::<f64>()) / nf;
            // Rounding in the division could land exactly on the next stratum's edge;
            // keep the point in its own stratum.
            u[(i, j)] = if v < upper { v.max(lower) } else { lower };
        }
    }
    u
}

/// The Joe–Kuo "new-joe-kuo-6" direction numbers (Joe & Kuo 2008), loaded once.
fn joe_kuo() -> &'static JoeKuoD6 {
    static PARAMS: OnceLock<JoeKuoD6> = OnceLock::new();
    PARAMS.get_or_init(JoeKuoD6::minimal)
}

/// Largest `k` the Sobol generator supports (at least [`super::MAX_DIM`]).
pub(crate) fn sobol_max_dim() -> usize {
    joe_kuo().max_dims
}

/// The first `n` points of the `k`-dimensional Sobol sequence (Sobol' 1967; direction
/// numbers of Joe & Kuo 2008, 53-bit f64 resolution, via the `sobol` crate), **after**
/// the initial all-zero point, which is skipped: a point at the corner `lo` of a box
/// is useless as a collocation point and would also sit on the boundary.
///
/// With `shift = Some(seed)` the points are randomised by a Cranley–Patterson rotation
/// (Cranley & Patterson 1976): one shift vector `s ~ U[0, 1)^k` drawn from
/// `StdRng(seed)`, and `u_i ← (u_i + s) mod 1`. The rotation keeps the sequence's
/// stratification up to a wrap-around, so discrepancy stays low, while different seeds
/// give different point sets. `shift = None` gives the plain sequence.
///
/// # Panics
/// If `k > sobol_max_dim()` (callers are limited to `MAX_DIM` by `BoxDomain`).
pub(crate) fn sobol(n: usize, k: usize, shift: Option<u64>) -> Mat<f64> {
    let mut u = Mat::zeros(n, k);
    if k == 0 || n == 0 {
        return u;
    }
    assert!(k <= sobol_max_dim(), "Sobol dimension {k} not supported");
    let s: Vec<f64> = match shift {
        Some(seed) => {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..k).map(|_| rng.random::<f64>()).collect()
        }
        None => vec![0.0; k],
    };
    let seq = Sobol::<f64>::new(k, joe_kuo());
    for (i, point) in seq.skip(1).take(n).enumerate() {
        for (j, (&x, &sj)) in point.iter().zip(&s).enumerate() {
            let v = x + sj;
            // Both terms are in [0, 1), so one subtraction is the mod-1 reduction.
            u[(i, j)] = if v >= 1.0 { v - 1.0 } else { v };
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_unit(u: &Mat<f64>) -> bool {
        (0..u.nrows()).all(|i| (0..u.ncols()).all(|j| (0.0..1.0).contains(&u[(i, j)])))
    }

    #[test]
    fn shapes_and_range() {
        for k in [0, 1, 3, 31] {
            for u in [
                uniform(17, k, 1),
                latin_hypercube(17, k, 1),
                sobol(17, k, Some(1)),
                sobol(17, k, None),
            ] {
                assert_eq!((u.nrows(), u.ncols()), (17, k));
                assert!(in_unit(&u));
            }
        }
        assert_eq!(sobol(0, 3, None).nrows(), 0);
    }

    #[test]
    fn sobol_supports_every_face_dimension() {
        assert!(sobol_max_dim() >= super::super::MAX_DIM);
    }

    /// The first 2-D Sobol points after the origin, by hand. The crate uses the
    /// Antonov–Saleev Gray-code order: point `i` is `⊕_k g_k v_k` with `g = i ⊕ (i >> 1)`
    /// and direction numbers `v_k = m_k / 2^k`. Dimension 1 has `m_k = 1`
    /// (`v = 1/2, 1/4, 1/8`); dimension 2 (Joe–Kuo: polynomial `x + 1`, `m_1 = 1`,
    /// `m_k = 2 m_{k−1} ⊕ m_{k−1}`) has `m = 1, 3, 5` (`v = 1/2, 3/4, 5/8`).
    /// `i = 1..4`, `g = 1, 3, 2, 6` then give the values below.
    #[test]
    fn sobol_matches_the_van_der_corput_start() {
        let u = sobol(4, 2, None);
        let expected = [[0.5, 0.5], [0.75, 0.25], [0.25, 0.75], [0.375, 0.375]];
        for (i, row) in expected.iter().enumerate() {
            assert_eq!([u[(i, 0)], u[(i, 1)]], *row, "point {i}");
        }
    }

    #[test]
    fn cranley_patterson_is_a_rotation_of_the_plain_sequence() {
        let plain = sobol(64, 3, None);
        let shifted = sobol(64, 3, Some(9));
        for j in 0..3 {
            // The shift is the same for every point: (shifted − plain) mod 1 is constant.
            let s0 = (shifted[(0, j)] - plain[(0, j)]).rem_euclid(1.0);
            for i in 0..64 {
                let s = (shifted[(i, j)] - plain[(i, j)]).rem_euclid(1.0);
                assert!((s - s0).abs() < 1e-15 || (s - s0).abs() > 1.0 - 1e-15);
            }
        }
    }
}
