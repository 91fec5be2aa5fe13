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
