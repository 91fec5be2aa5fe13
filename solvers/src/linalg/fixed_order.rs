//! Products whose rounding does not depend on the thread count.
//!
//! A parallel matrix–vector product `y = A x` with a column-major `A` splits the sum
//! `y_i = Σ_k A_ik x_k` over `k` between threads and adds the partial sums, so `y`
//! changes in the last bits with the number of threads (faer's `Par::rayon(n)` does
//! this). Here the output is split instead, into blocks of [`MAT_VEC_ROWS`] rows fixed
//! by the shape alone; each block is one sequential product, so every `y_i` is summed in
//! the same order whether the blocks run on one thread or many.
//!
//! faer's parallel `AᵀB`-type products (`JᵀJ`, `JJᵀ`, `Jᵀr`) and its Cholesky
//! factorisation partition their output the same way and already give the same bits on
//! 1–4 threads (checked at 10 000 × 1 341); its Householder QR, the triangular solves
//! behind a Cholesky solve with one right-hand side and its symmetric eigensolver do
//! not, and the solvers run those sequentially.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Rows per independent block of [`mat_vec`]: large enough that a block is a sizeable
/// sequential product (the cost of a task is paid once per block), small enough that a
/// Jacobian of a few thousand rows still splits into several blocks.
pub const MAT_VEC_ROWS: usize = 512;

/// `out ← alpha · A x` for a column-major `A`, bitwise the same for every `par`.
///
/// # Panics
/// If the shapes disagree.
pub fn mat_vec(out: &mut [f64], a: MatRef<'_, f64>, x: &[f64], alpha: f64, par: Par) {
    let (n, p) = a.shape();
    assert!(out.len() == n && x.len() == p, "mat_vec: shape mismatch");
    let xm = MatRef::from_column_major_slice(x, p, 1);
    let block = |(b, y): (usize, &mut [f64])| {
        let i0 = b * MAT_VEC_ROWS;
        let rows = y.len();
        matmul(
            MatMut::from_column_major_slice_mut(y, rows, 1),
            Accum::Replace,
            a.subrows(i0, rows),
            xm,
            alpha,
            Par::Seq,
        );
    };
    let blocks = n.div_ceil(MAT_VEC_ROWS);
    let degree = par.degree();
    if degree <= 1 || blocks <= 1 {
        out.chunks_mut(MAT_VEC_ROWS).enumerate().for_each(block);
    } else {
        // At most `degree` tasks: a task takes whole runs of consecutive blocks.
        out.par_chunks_mut(MAT_VEC_ROWS)
            .enumerate()
            .with_min_len(blocks.div_ceil(degree))
            .for_each(block);
    }
}

/// Length of the runs [`sum_of_squares`] sums in eight lanes before combining pairwise.
const SQUARES_BLOCK: usize = 128;

/// `Σ x_i²` summed in an order fixed by the length alone, as accurately as a pairwise sum.
///
/// Up to [`SQUARES_BLOCK`] entries: eight running sums over the positions `i ≡ k (mod 8)`,
/// combined as `((s₀+s₄)+(s₂+s₆))+((s₁+s₅)+(s₃+s₇))` (eight independent chains keep the
/// loop vectorised; one running sum is a single dependent chain of additions). Longer
/// vectors are split at the block boundary nearest their middle, `⌊B/2⌋·128` with `B` the
/// number of blocks, and the halves' sums added, recursively. The rounding error is then
/// at most about `(16 + 3 + log₂(n/128))·ε` of the sum (Higham, *Accuracy and Stability
/// of Numerical Algorithms*, §4.2: pairwise summation), not the `n·ε` of one chain: a
/// loss difference near convergence is taken between two such sums.
///
/// Unlike faer's `norm_l2` it carries no scaled accumulators: `norm_l2` sums
/// `(2⁻⁵¹¹ x)²` next to `x²` and `(2⁵¹¹ x)²` so that the norm never overflows or
/// underflows, and for entries of ordinary size the first of these is subnormal, which
/// costs a microcode assist per element on x86 (for a 900 × 129 Jacobian the column norms
/// took longer than `JᵀJ`). Use it where an overflow to `+∞` (entries above about
/// 1e154) or an underflow to 0 (below about 1e-154) is harmless: under a clamp, or in a
/// loss whose overflow marks the step invalid anyway.
pub fn sum_of_squares(x: &[f64]) -> f64 {
    if x.len() <= SQUARES_BLOCK {
        return sum_of_squares_in_lanes(x);
    }
    let mid = x.len().div_ceil(SQUARES_BLOCK) / 2 * SQUARES_BLOCK;
    sum_of_squares(&x[..mid]) + sum_of_squares(&x[mid..])
}

/// `Σ x_i²` in eight lanes (see [`sum_of_squares`]).
fn sum_of_squares_in_lanes(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v * v;
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += v * v;
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    fn case(n: usize, p: usize) -> (Mat<f64>, Vec<f64>) {
        let a = Mat::from_fn(n, p, |i, k| ((i * 31 + k * 17) % 97) as f64 / 97.0 - 0.45);
        let x = (0..p).map(|k| (k as f64 * 0.37).sin()).collect();
        (a, x)
    }

    fn run(a: &Mat<f64>, x: &[f64], threads: usize) -> Vec<u64> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut y = vec![0.0; a.nrows()];
        let par = if threads == 1 {
            Par::Seq
        } else {
            Par::rayon(threads)
        };
        pool.install(|| mat_vec(&mut y, a.as_ref(), x, -0.5, par));
        y.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn matches_the_plain_product() {
        let (a, x) = case(1100, 37);
        let mut y = vec![0.0; 1100];
        mat_vec(&mut y, a.as_ref(), &x, -0.5, Par::rayon(3));
        for (i, yi) in y.iter().enumerate() {
            let want: f64 = -0.5 * (0..37).map(|k| a[(i, k)] * x[k]).sum::<f64>();
            assert!((yi - want).abs() <= 1e-13 * (1.0 + want.abs()), "row {i}");
        }
    }

    /// The documented order, spelled out independently of the implementation.
    fn squares_in_documented_order(x: &[f64]) -> f64 {
        if x.len() <= 128 {
            let mut s = [0.0f64; 8];
            for (i, v) in x.iter().enumerate() {
                s[i % 8] += v * v;
            }
            return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
        }
        let blocks = x.len().div_ceil(128);
        let mid = (blocks / 2) * 128;
        squares_in_documented_order(&x[..mid]) + squares_in_documented_order(&x[mid..])
    }

    #[test]
    fn sum_of_squares_is_the_sum_in_its_documented_order() {
        for n in [
            0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 257, 900, 1001, 10_101,
        ] {
            let x: Vec<f64> = (0..n)
                .map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0)
                .collect();
            let want = squares_in_documented_order(&x);
            assert_eq!(sum_of_squares(&x).to_bits(), want.to_bits(), "n = {n}");
        }
        assert_eq!(sum_of_squares(&[3.0, 4.0]), 25.0);
        assert_eq!(sum_of_squares(&[1e200, 1.0]), f64::INFINITY);
        assert!(sum_of_squares(&[1.0, f64::NAN]).is_nan());
    }

    #[test]
    fn sum_of_squares_is_as_accurate_as_a_pairwise_sum() {
        // 10⁶ squares of very different sizes; the reference is a compensated (Neumaier)
        // sum of the exactly split squares v² = h + l (h = fl(v²), l by an FMA).
        let x: Vec<f64> = (0..1_000_000u64)
            .map(|i| {
                let u = (i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407)
                    >> 11) as f64
                    / (1u64 << 53) as f64;
                (u - 0.5) * 10f64.powi((i % 7) as i32 - 3)
            })
            .collect();
        let (mut sum, mut comp) = (0.0f64, 0.0f64);
        for v in &x {
            let h = v * v;
            let l = v.mul_add(*v, -h);
            for term in [h, l] {
                let t = sum + term;
                comp += if sum.abs() >= term.abs() {
                    (sum - t) + term
                } else {
                    (term - t) + sum
                };
                sum = t;
            }
        }
        let exact = sum + comp;
        let rel = (sum_of_squares(&x) - exact).abs() / exact;
        assert!(rel <= 40.0 * f64::EPSILON, "relative error {rel:e}");
    }

    #[test]
    fn same_bits_on_any_thread_count() {
        // Long rows: a k-split product rounds differently with the thread count here.
        let (a, x) = case(2048, 900);
        let one = run(&a, &x, 1);
        for threads in [2, 3, 4] {
            assert!(one == run(&a, &x, threads), "1 vs {threads} threads");
        }
    }
}
