//! The two random sketches of the doubly sketched Gauss–Newton model: a count sketch of
//! the residual rows and a subsampled randomised cosine transform (SRCT) of the
//! parameter columns, both drawn reproducibly from a 64-bit seed.
//!
//! # Count sketch (Clarkson & Woodruff, "Low rank approximation and regression in input
//! sparsity time", STOC 2013)
//! `S` is `s × N`; column `i` holds `k` entries `±1/√k` (independent signs) in rows
//! `h₁(i), …, h_k(i)`. Each hash here is balanced: `h(i) = π(i) mod s` for a uniformly
//! random permutation `π` of `0..N`, so every bucket receives `⌈N/s⌉` or `⌊N/s⌋` rows.
//! With independent signs `E[SᵀS] = I` whatever the buckets (the cross terms have mean
//! zero and each diagonal entry is `k · 1/k`), and with `k = 1`, `s = N` the sketch is a
//! signed permutation, so the sketched model is the unsketched one.
//!
//! # SRCT (Ailon & Chazelle 2009; the trigonometric variant of Tropp 2011)
//! `Qᵀ = R C Π D` (`s × P`): `D` random signs, `Π` a uniformly random permutation,
//! `C` the orthonormal DCT-II and `R` keeps `s` distinct coordinates drawn uniformly.
//! `Q` has orthonormal columns (`QᵀQ = I_s`), so a step `δ = Qz` has `‖δ‖ = ‖z‖` and a
//! trust radius on `z` is one on δ. Applying `Qᵀ` or `Q` costs one DCT, `O(P log P)`.
//! The DCT is fast only for lengths with small prime factors, so the parameter vector
//! is zero-padded to the next such length `L` first ([`Srct`]: then `‖δ‖ ≤ ‖z‖`), and a
//! sketch that keeps `s ≥ P` columns is the identity.
//!
//! As used for PINNs by Webb, Jerad & Cartis, "Sketched Gauss–Newton with a target
//! reduction ratio" (arXiv 2607.02194, 2026).

use rustdct::{DctPlanner, TransformType2And3};
use std::sync::Arc;

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a fixed, dependency-free generator, so that a seed names the same
/// sketch on every build and a resumed solve redraws it bit for bit.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator for draw `index` of the stream `seed` (the pair is mixed, so
    /// neighbouring indices give unrelated streams).
    pub fn new(seed: u64, index: u64) -> Self {
        let mut g = Self(seed);
        let a = g.next_u64();
        Self(a ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift (bias below `n/2⁶⁴`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// `+1` or `−1` with probability ½ each.
    pub fn sign(&mut self) -> f64 {
        if self.next_u64() >> 63 == 0 {
            1.0
        } else {
            -1.0
        }
    }

    /// A uniformly random permutation of `0..n` (Fisher–Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            p.swap(i, j);
        }
        p
    }
}

/// The count sketch `S` (`s × N`, `k` hashes) of the module documentation.
#[derive(Clone, Debug)]
pub struct CountSketch {
    rows: usize,
    hashes: usize,
    /// `buckets[i·k + h]`: the row of `S` that residual `i` goes to under hash `h`.
    buckets: Vec<usize>,
    /// The matching entries `±1/√k`.
    signs: Vec<f64>,
}

impl CountSketch {
    /// Draws an `s × n` sketch with `hashes` entries per column (`s, hashes ≥ 1`).
    pub fn draw(n: usize, s: usize, hashes: usize, rng: &mut SplitMix64) -> Self {
        let (s, hashes) = (s.max(1), hashes.max(1));
        let scale = 1.0 / (hashes as f64).sqrt();
        let mut buckets = vec![0; n * hashes];
        let mut signs = vec![0.0; n * hashes];
        for h in 0..hashes {
            let perm = rng.permutation(n);
            for (i, p) in perm.into_iter().enumerate() {
                buckets[i * hashes + h] = p % s;
                signs[i * hashes + h] = scale * rng.sign();
            }
        }
        Self {
            rows: s,
            hashes,
            buckets,
            signs,
        }
    }

    /// `s`, the sketched row count.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// `(row of S, entry)` for every nonzero of column `i`.
    pub fn column(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let k = self.hashes;
        self.buckets[i * k..(i + 1) * k]
            .iter()
            .copied()
            .zip(self.signs[i * k..(i + 1) * k].iter().copied())
    }

    /// `S x` (length `s`).
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.rows];
        for (i, xi) in x.iter().enumerate() {
            for (b, s) in self.column(i) {
                out[b] += s * xi;
            }
        }
        out
    }
}

/// The smallest `L ≥ p` whose only prime factors are 2, 3 and 5: a length rustfft (and
/// so rustdct's DCT-II) factors into radix-2/3/4/5 butterflies. A length with a large
/// prime factor (5 121 = 3²·569) goes through Rader's or Bluestein's algorithm instead,
/// several times slower per row. Consecutive 5-smooth numbers differ by a few per cent
/// at these sizes (5 121 → 5 184, 1 361 → 1 440), against up to 2× for a power of two.
pub fn fast_dct_length(p: usize) -> usize {
    let smooth = |mut n: usize| {
        for f in [2, 3, 5] {
            while n.is_multiple_of(f) {
                n /= f;
            }
        }
        n == 1
    };
    (p.max(1)..).find(|&n| smooth(n)).unwrap_or(p)
}

/// The SRCT `Qᵀ = R C Π D E` (`s × P`) of the module documentation, with the parameter
/// vector zero-padded to a fast transform length.
///
/// `E` embeds `ℝᴾ` into `ℝᴸ` (`L = fast_dct_length(P)`, zeros appended); `D` (signs),
/// `Π` (a permutation) and `C` (the orthonormal DCT-II) act on length `L`, and `R` keeps
/// `s` of the `L` coordinates. `M = C Π D E` is an isometry (`MᵀM = I_P`), so the full
/// transform mixes the `P` coordinates without loss; with `L = P` it is the SRCT of
/// Tropp (2011) exactly and `Q` has orthonormal columns. With `L > P` the kept rows of
/// `M` are orthogonal only on average (`E[QᵀQ] = (P/L) I`), and `‖Qz‖ ≤ ‖z‖` always
/// (`‖Q‖ ≤ ‖M‖ = 1`): a trust radius on `z` bounds the step δ = `Qz`.
///
/// Keeping `s ≥ P` columns compresses nothing, and the Gauss–Newton model is invariant
/// under an orthogonal change of the parameters (the step `Qz` is the same for every
/// orthogonal `Q`): such a sketch is drawn as the identity, exact and free.
#[derive(Clone)]
pub struct Srct {
    /// `P`.
    p: usize,
    /// `D` on the first `P` coordinates (the padding is zero whatever its sign).
    signs: Vec<f64>,
    /// `(Π v)ᵢ = v[perm[i]]`, over `0..L`.
    perm: Vec<usize>,
    /// The kept DCT coordinates, in `0..L`.
    keep: Vec<usize>,
    /// The DCT-II of length `L`; `None` for the identity sketch (`s ≥ P`).
    dct: Option<Arc<dyn TransformType2And3<f64>>>,
}

impl Srct {
    /// Draws an SRCT keeping `s` columns of `p` (`s ≥ p`: the identity, see the type's
    /// documentation).
    pub fn draw(p: usize, s: usize, rng: &mut SplitMix64) -> Self {
        if s >= p {
            Self::identity(p)
        } else {
            Self::mixing(p, s, rng)
        }
    }

    /// The identity of `ℝᴾ` (no transform, every coordinate kept).
    pub fn identity(p: usize) -> Self {
        Self {
            p,
            signs: vec![1.0; p],
            perm: (0..p).collect(),
            keep: (0..p).collect(),
            dct: None,
        }
    }

    /// The padded transform keeping `s` of its `L` coordinates (`1 ≤ s ≤ L`; `s = L`
    /// keeps all of `M`).
    pub fn mixing(p: usize, s: usize, rng: &mut SplitMix64) -> Self {
        let l = fast_dct_length(p);
        let signs = (0..p).map(|_| rng.sign()).collect();
        let perm = rng.permutation(l);
        // The first s entries of a partial Fisher–Yates shuffle: s distinct coordinates.
        let s = s.clamp(1, l);
        let mut pool: Vec<usize> = (0..l).collect();
        for i in 0..s {
            let j = i + rng.below(l - i);
            pool.swap(i, j);
        }
        pool.truncate(s);
        Self {
            p,
            signs,
            perm,
            keep: pool,
            dct: Some(DctPlanner::new().plan_dct2(l)),
        }
    }

    /// `P`.
    pub fn n_params(&self) -> usize {
        self.p
    }

    /// `L`, the transform length (`P` for the identity).
    pub fn padded_len(&self) -> usize {
        self.perm.len()
    }

    /// `s`, the sketched column count.
    pub fn cols(&self) -> usize {
        self.keep.len()
    }

    /// Scratch for [`Srct::forward`] and [`Srct::adjoint`] (one per thread).
    pub fn scratch(&self) -> (Vec<f64>, Vec<f64>) {
        match &self.dct {
            Some(dct) => (
                vec![0.0; self.padded_len()],
                vec![0.0; dct.get_scratch_len()],
            ),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// The orthonormal scales of DCT coordinate 0 and of the others for the forward
    /// transform: rustdct's DCT-II is unnormalised (`Xₖ = Σₙ xₙ cos(πk(2n+1)/2L)`); the
    /// orthonormal one scales `X₀` by `√(1/L)` and the others by `√(2/L)`.
    fn scales(&self) -> (f64, f64) {
        let l = self.padded_len() as f64;
        ((1.0 / l).sqrt(), (2.0 / l).sqrt())
    }

    /// `out = Qᵀx` (length `s`).
    pub fn forward(&self, x: &[f64], out: &mut [f64], buf: &mut (Vec<f64>, Vec<f64>)) {
        let Some(dct) = &self.dct else {
            out.copy_from_slice(x);
            return;
        };
        let p = self.p;
        let (v, scratch) = buf;
        for (vi, &j) in v.iter_mut().zip(&self.perm) {
            *vi = if j < p { self.signs[j] * x[j] } else { 0.0 };
        }
        dct.process_dct2_with_scratch(v, scratch);
        let (s0, sk) = self.scales();
        for (o, &k) in out.iter_mut().zip(&self.keep) {
            *o = v[k] * if k == 0 { s0 } else { sk };
        }
    }

    /// `out = Q y` (length `P`): the kept coordinates embedded, the orthonormal DCT-III
    /// (the transpose of the orthonormal DCT-II; rustdct's DCT-III computes
    /// `X₀/2 + Σ_{k≥1} Xₖ cos(πk(2n+1)/2L)`, so `X₀` enters scaled by `2√(1/L)`),
    /// `Πᵀ`, `D`, then the first `P` coordinates (`Eᵀ`).
    pub fn adjoint(&self, y: &[f64], out: &mut [f64], buf: &mut (Vec<f64>, Vec<f64>)) {
        let Some(dct) = &self.dct else {
            out.copy_from_slice(y);
            return;
        };
        let p = self.p;
        let (v, scratch) = buf;
        v.fill(0.0);
        let (s0, sk) = self.scales();
        for (yi, &k) in y.iter().zip(&self.keep) {
            v[k] = yi * if k == 0 { 2.0 * s0 } else { sk };
        }
        dct.process_dct3_with_scratch(v, scratch);
        for (vi, &j) in v.iter().zip(&self.perm) {
            if j < p {
                out[j] = self.signs[j] * vi;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    /// `Qᵀ` as a dense `s × P` matrix, column by column.
    fn dense_qt(srct: &Srct) -> Mat<f64> {
        let (p, s) = (srct.n_params(), srct.cols());
        let mut buf = srct.scratch();
        let mut m = Mat::zeros(s, p);
        let mut e = vec![0.0; p];
        let mut col = vec![0.0; s];
        for j in 0..p {
            e.fill(0.0);
            e[j] = 1.0;
            srct.forward(&e, &mut col, &mut buf);
            for i in 0..s {
                m[(i, j)] = col[i];
            }
        }
        m
    }

    #[test]
    fn the_full_mixing_is_an_isometry_and_its_adjoint_is_its_transpose() {
        // A prime, a power of two, a 5-smooth size and two padded ones: rustdct plans
        // each differently, and the padding must not break the isometry.
        for p in [1, 7, 16, 30, 97, 1361] {
            let l = fast_dct_length(p);
            let srct = Srct::mixing(p, l, &mut SplitMix64::new(3, p as u64));
            assert_eq!((srct.padded_len(), srct.cols()), (l, l));
            let qt = dense_qt(&srct);
            // MᵀM = I_P.
            let gram = qt.transpose() * &qt;
            let err = (&gram - Mat::<f64>::identity(p, p)).norm_max();
            assert!(err < 1e-12 * (l as f64).sqrt(), "P = {p}: {err:e}");
            if l == p {
                let err = (&qt * qt.transpose() - Mat::<f64>::identity(p, p)).norm_max();
                assert!(err < 1e-12 * (p as f64).sqrt().max(1.0), "P = {p}: {err:e}");
            }
            // Q y against the dense transpose.
            let y: Vec<f64> = (0..l).map(|i| (i as f64 * 0.7).sin()).collect();
            let mut got = vec![0.0; p];
            let mut buf = srct.scratch();
            srct.adjoint(&y, &mut got, &mut buf);
            for (j, g) in got.iter().enumerate() {
                let want: f64 = (0..l).map(|i| qt[(i, j)] * y[i]).sum();
                assert!((g - want).abs() < 1e-12, "P = {p}, j = {j}");
            }
        }
    }

    #[test]
    fn fast_lengths_are_the_next_five_smooth_numbers() {
        let cases = [
            (1, 1),
            (7, 8),
            (30, 30),
            (97, 100),
            (1361, 1440),
            (2048, 2048),
            (5121, 5184),
            (5125, 5184),
        ];
        for (p, l) in cases {
            assert_eq!(fast_dct_length(p), l, "P = {p}");
        }
    }

    #[test]
    fn a_column_subset_has_orthonormal_columns() {
        let srct = Srct::draw(50, 12, &mut SplitMix64::new(9, 0));
        assert_eq!((srct.cols(), srct.padded_len()), (12, 50));
        let qt = dense_qt(&srct);
        let err = (&qt * qt.transpose() - Mat::<f64>::identity(12, 12)).norm_max();
        assert!(err < 1e-13, "{err:e}");
        let mut kept = srct.keep.clone();
        kept.sort_unstable();
        kept.dedup();
        assert_eq!(kept.len(), 12, "distinct coordinates");
    }

    /// With padding (P = 49 → L = 50) `Q` is a contraction and `E[QᵀQ] = (P/L) I`: over
    /// 300 draws the mean of `‖Qᵀ‖²_F / s` is within 1 % of `P/L`, and no singular
    /// value of `Qᵀ` exceeds 1.
    #[test]
    fn a_padded_subset_is_a_contraction_orthonormal_on_average() {
        let (p, s, draws) = (49, 20, 300);
        let mut mean = 0.0;
        for d in 0..draws {
            let srct = Srct::draw(p, s, &mut SplitMix64::new(4, d));
            assert_eq!(srct.padded_len(), 50);
            let qt = dense_qt(&srct);
            let sv = qt.singular_values().unwrap();
            assert!(sv.iter().all(|&v| v <= 1.0 + 1e-12), "{sv:?}");
            mean += qt.norm_l2().powi(2) / s as f64 / draws as f64;
        }
        let want = p as f64 / 50.0;
        assert!((mean - want).abs() < 0.01 * want, "{mean} vs {want}");
    }

    #[test]
    fn keeping_every_column_is_the_identity() {
        for s in [13, 20] {
            let srct = Srct::draw(13, s, &mut SplitMix64::new(2, 0));
            assert_eq!((srct.cols(), srct.padded_len()), (13, 13));
            let qt = dense_qt(&srct);
            assert_eq!(qt, Mat::<f64>::identity(13, 13));
            let mut back = vec![0.0; 13];
            let y: Vec<f64> = (0..13).map(|i| i as f64 - 6.5).collect();
            srct.adjoint(&y, &mut back, &mut srct.scratch());
            assert_eq!(back, y);
        }
    }

    #[test]
    fn a_full_single_hash_count_sketch_is_a_signed_permutation() {
        let n = 37;
        let s = CountSketch::draw(n, n, 1, &mut SplitMix64::new(1, 2));
        let mut hit = vec![0; n];
        for i in 0..n {
            let col: Vec<_> = s.column(i).collect();
            assert_eq!(col.len(), 1);
            assert_eq!(col[0].1.abs(), 1.0);
            hit[col[0].0] += 1;
        }
        assert!(hit.iter().all(|&h| h == 1), "{hit:?}");
        // ‖Sx‖ = ‖x‖.
        let x: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
        let sx = s.apply(&x);
        let n2 = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>();
        assert!((n2(&sx) - n2(&x)).abs() < 1e-12 * n2(&x));
    }

    #[test]
    fn buckets_are_balanced_and_entries_scaled() {
        let s = CountSketch::draw(100, 8, 4, &mut SplitMix64::new(5, 0));
        for h in 0..4 {
            let mut load = [0; 8];
            for i in 0..100 {
                load[s.buckets[i * 4 + h]] += 1;
            }
            assert!(load.iter().all(|&l| l == 12 || l == 13), "{load:?}");
        }
        assert!(s.signs.iter().all(|v| (v.abs() - 0.5).abs() < 1e-15));
    }

    #[test]
    fn the_generator_is_reproducible_and_streams_differ() {
        let a: Vec<u64> = (0..4).map(|_| SplitMix64::new(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut g = SplitMix64::new(7, 1);
        let mut h = SplitMix64::new(7, 2);
        assert_ne!(g.next_u64(), h.next_u64());
        let mut p = SplitMix64::new(0, 0).permutation(20);
        p.sort_unstable();
        assert_eq!(p, (0..20).collect::<Vec<_>>());
        let mut g = SplitMix64::new(0, 0);
        assert!((0..1000).all(|_| g.below(3) < 3));
    }
}
