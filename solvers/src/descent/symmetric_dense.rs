//! The two kernels of a dense quasi-Newton method on its symmetric `P × P` inverse
//! Hessian `H`: the product `Hx`, and the rank-two update of `H` fused with the product
//! of the *updated* matrix with the new gradient.
//!
//! Above a few thousand parameters both are bound by memory traffic (`H` is 8P² bytes:
//! 824 MB at P = 10⁴), not by arithmetic, so the aim is to stream `H` as few times as
//! possible: once for `Hy` (it enters the update's coefficients) and once for the update
//! together with `H⁺g` (the next direction) and the finiteness check, where a separate
//! update, product and check would stream it three times.
//!
//! Both use the symmetry of `H`: `(Hx)_j = Σᵢ H_ij xᵢ` is the dot product of column j
//! with x, so every entry of the product comes from one contiguous column, computed by
//! one thread in a fixed order. The results are therefore the same bits for any number
//! of threads. Symmetry is exact, not approximate: `H` starts as `I` and every update
//! pairs the i- and j-entries the same way.

use faer::Mat;
use rayon::prelude::*;

/// Below this many parameters the kernels run on one thread: a column of fewer entries
/// is too little work to hand to another thread.
pub const PARALLEL_MIN_PARAMS: usize = 256;

/// Lanes of the dot products: independent partial sums that the compiler can keep in
/// vector registers, combined in a fixed tree order.
const LANES: usize = 8;

/// `Σᵢ aᵢbᵢ` with [`LANES`] partial sums combined in a fixed order.
fn lane_dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    combine(&acc) + tail
}

fn combine(acc: &[f64; LANES]) -> f64 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

fn column(h: &Mat<f64>, j: usize) -> &[f64] {
    h.col(j)
        .try_as_col_major()
        .expect("the columns of an owned matrix are contiguous")
        .as_slice()
}

fn column_mut(col: faer::ColMut<'_, f64>) -> &mut [f64] {
    col.try_as_col_major_mut()
        .expect("the columns of an owned matrix are contiguous")
        .as_slice_mut()
}

/// `out = H x` for a symmetric `h`, column by column (in parallel when `parallel`).
pub fn symmetric_product(h: &Mat<f64>, x: &[f64], out: &mut [f64], parallel: bool) {
    if parallel {
        out.par_iter_mut()
            .enumerate()
            .for_each(|(j, o)| *o = lane_dot(column(h, j), x));
    } else {
        for (j, o) in out.iter_mut().enumerate() {
            *o = lane_dot(column(h, j), x);
        }
    }
}

/// The coefficients of `H ← (H − c_hy·(Hy)(Hy)ᵀ + c_v·v vᵀ)·inv_tau + ρ s sᵀ`.
#[derive(Debug, Clone, Copy)]
pub struct RankTwo {
    /// `1/τ`.
    pub inv_tau: f64,
    /// `1/yᵀHy`.
    pub c_hy: f64,
    /// `φ·yᵀHy`.
    pub c_v: f64,
    /// `1/sᵀy`.
    pub rho: f64,
}

impl RankTwo {
    /// Applies the update to the symmetric `h` and writes `H⁺g` into `hg`, in one pass
    /// over `h`. Returns whether every entry of `H⁺g` is finite; a non-finite entry of
    /// `H⁺` makes its column's product non-finite (∞·0 is NaN), so this is also the
    /// finiteness check of `H⁺`. Every entry is the same expression on any thread, so
    /// the result does not depend on the thread count.
    pub fn apply_and_multiply(
        &self,
        h: &mut Mat<f64>,
        vectors: UpdateVectors<'_>,
        hg: &mut [f64],
        parallel: bool,
    ) -> bool {
        let Self {
            inv_tau,
            c_hy,
            c_v,
            rho,
        } = *self;
        let UpdateVectors { hy, v, s, g } = vectors;
        let update_column = |j: usize, col: &mut [f64]| -> f64 {
            let (hyj, vj, sj) = (hy[j], v[j], s[j]);
            let entry = |i: usize, old: f64| {
                (old - c_hy * (hy[i] * hyj) + c_v * (v[i] * vj)) * inv_tau + rho * (s[i] * sj)
            };
            let mut acc = [0.0; LANES];
            let full = col.len() / LANES * LANES;
            for (c, chunk) in col[..full].chunks_exact_mut(LANES).enumerate() {
                for (k, h_ij) in chunk.iter_mut().enumerate() {
                    let i = c * LANES + k;
                    *h_ij = entry(i, *h_ij);
                    acc[k] += *h_ij * g[i];
                }
            }
            let mut tail = 0.0;
            for (i, h_ij) in col.iter_mut().enumerate().skip(full) {
                *h_ij = entry(i, *h_ij);
                tail += *h_ij * g[i];
            }
            combine(&acc) + tail
        };
        if parallel {
            h.par_col_iter_mut()
                .zip(hg.par_iter_mut())
                .enumerate()
                .for_each(|(j, (col, out))| *out = update_column(j, column_mut(col)));
        } else {
            for (j, (col, out)) in h.col_iter_mut().zip(hg.iter_mut()).enumerate() {
                *out = update_column(j, column_mut(col));
            }
        }
        hg.iter().all(|x| x.is_finite())
    }
}

/// The vectors of one update: `Hy`, `v = ρs − Hy/yᵀHy`, `s`, and the new gradient `g`.
#[derive(Debug, Clone, Copy)]
pub struct UpdateVectors<'a> {
    /// `Hy` with the matrix before the update.
    pub hy: &'a [f64],
    /// `ρ s − Hy/yᵀHy`.
    pub v: &'a [f64],
    /// The step.
    pub s: &'a [f64],
    /// The gradient the next direction is computed from.
    pub g: &'a [f64],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symmetric(p: usize) -> Mat<f64> {
        Mat::from_fn(p, p, |i, j| {
            let (a, b) = (i.min(j), i.max(j));
            ((a * 7 + b * 3) % 13) as f64 / 13.0 - 0.4 + if i == j { 2.0 } else { 0.0 }
        })
    }

    fn vector(p: usize, k: usize) -> Vec<f64> {
        (0..p)
            .map(|i| ((i * (k + 3)) % 17) as f64 / 17.0 - 0.45)
            .collect()
    }

    const UPDATE: RankTwo = RankTwo {
        inv_tau: 0.9,
        c_hy: 0.31,
        c_v: 1.7,
        rho: 0.23,
    };

    /// At a size that runs in parallel (and is not a multiple of the lane count): the
    /// parallel kernels give the sequential ones' bits, the update keeps `H` exactly
    /// symmetric, and the fused product matches a plain product of the updated matrix.
    #[test]
    fn parallel_kernels_match_sequential_ones_and_plain_products() {
        let p = PARALLEL_MIN_PARAMS + 45;
        let (hy, v, s, g) = (vector(p, 1), vector(p, 2), vector(p, 3), vector(p, 4));
        let vectors = UpdateVectors {
            hy: &hy,
            v: &v,
            s: &s,
            g: &g,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let h0 = symmetric(p);
        let (mut seq, mut par) = (h0.clone(), h0.clone());
        let (mut hg_seq, mut hg_par) = (vec![0.0; p], vec![0.0; p]);
        for _ in 0..3 {
            assert!(UPDATE.apply_and_multiply(&mut seq, vectors, &mut hg_seq, false));
            pool.install(|| UPDATE.apply_and_multiply(&mut par, vectors, &mut hg_par, true));
        }
        for j in 0..p {
            assert_eq!(hg_seq[j].to_bits(), hg_par[j].to_bits(), "(H⁺g)_{j}");
            for i in 0..p {
                assert_eq!(seq[(i, j)].to_bits(), par[(i, j)].to_bits(), "({i}, {j})");
                assert_eq!(seq[(i, j)].to_bits(), seq[(j, i)].to_bits(), "symmetry");
            }
        }
        // One entry of one update by hand.
        let mut once = h0.clone();
        let mut hg = vec![0.0; p];
        UPDATE.apply_and_multiply(&mut once, vectors, &mut hg, true);
        let hand = (h0[(5, 7)] - 0.31 * (hy[5] * hy[7]) + 1.7 * (v[5] * v[7])) * 0.9
            + 0.23 * (s[5] * s[7]);
        assert_eq!(once[(5, 7)], hand);
        // The fused product against a plain row-by-row product of the updated matrix.
        let (mut prod_seq, mut prod_par) = (vec![0.0; p], vec![0.0; p]);
        symmetric_product(&once, &g, &mut prod_seq, false);
        pool.install(|| symmetric_product(&once, &g, &mut prod_par, true));
        for i in 0..p {
            let plain: f64 = (0..p).map(|j| once[(i, j)] * g[j]).sum();
            assert!(
                (hg[i] - plain).abs() <= 1e-12 * (1.0 + plain.abs()),
                "row {i}"
            );
            assert_eq!(prod_seq[i].to_bits(), hg[i].to_bits(), "same sums as Hx");
            assert_eq!(prod_seq[i].to_bits(), prod_par[i].to_bits());
        }
    }

    /// A non-finite update is reported through the product.
    #[test]
    fn a_non_finite_update_is_reported() {
        let p = 20;
        let (hy, v, s) = (vector(p, 1), vector(p, 2), vector(p, 3));
        let mut g = vector(p, 4);
        g[3] = 0.0;
        let mut h = symmetric(p);
        let bad = RankTwo {
            rho: f64::INFINITY,
            ..UPDATE
        };
        let vectors = UpdateVectors {
            hy: &hy,
            v: &v,
            s: &s,
            g: &g,
        };
        let mut hg = vec![0.0; p];
        assert!(!bad.apply_and_multiply(&mut h, vectors, &mut hg, false));
    }
}
