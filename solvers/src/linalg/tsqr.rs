//! The thin QR of a tall column-scaled Jacobian in row blocks (TSQR), so that the
//! blocks factor on different threads while every rounding stays independent of the
//! thread count.
//!
//! # Math (Demmel, Grigori, Hoemmen & Langou, "Communication-optimal parallel and
//! sequential QR and LU factorizations", SIAM J. Sci. Comput. 34, 2012)
//! Split `A = [A₁; …; A_b]` by rows and factor each block, `Aᵢ = Qᵢ Rᵢ` (Householder,
//! `Rᵢ` is `kᵢ × P`, `kᵢ = min(rowsᵢ, P)`). Then factor the stacked triangles,
//! `[R₁; …; R_b] = Q₀ R`. `A = diag(Q₁, …, Q_b) Q₀ R` is a thin QR of `A`, and
//! `c = (Qᵀr)[..P]` is `Q₀ᵀ` applied to the stacked `(Qᵢᵀrᵢ)[..kᵢ]`.
//!
//! Each block and the stacked factorisation run faer's blocked Householder QR
//! sequentially: faer's parallel QR rounds differently on one and on two threads, but
//! a sequential QR of a given block is the same computation wherever it runs. So the
//! blocks go to different threads and the bits depend on the block count alone, which
//! depends on the sizes alone ([`block_count`]).
//!
//! Flops: `2NP² − (2/3)P³` for one block; with `b` blocks `2NP² − b(2/3)P³` spread over
//! the threads plus `(2b − 2/3)P³` for the stacked triangles, on one thread. Two blocks
//! are the fastest count on two threads, and still ≈ 1.5× faster than one block at
//! `N/P ≈ 10` on more.

use std::ops::Range;

use super::LinearSolveError;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::householder::{
    apply_block_householder_sequence_transpose_on_the_left_in_place_scratch,
    apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj,
};
use faer::linalg::qr::no_pivoting::factor::{
    qr_in_place, qr_in_place_scratch, recommended_block_size,
};
use faer::{Conj, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Below this many flops (`N·P²`) one block: a sequential QR takes under a second.
const MIN_BLOCKED_WORK: f64 = 1e10;

/// Row blocks for an `n × p` matrix, from its sizes alone: two when the QR is long
/// enough to be worth splitting and each block keeps at least twice as many rows as
/// columns (the stacked `2P × P` factorisation then costs well below the blocks'),
/// else one (the plain Householder QR).
pub fn block_count(n: usize, p: usize) -> usize {
    let work = n as f64 * (p as f64) * (p as f64);
    if n / 4 >= p && work >= MIN_BLOCKED_WORK {
        2
    } else {
        1
    }
}

/// The bytes [`BlockedQr::new`] allocates for an `n × p` matrix split into `blocks`
/// row blocks (the scaled copy, the Householder factors, the stacked triangles and the
/// scratch of every block).
pub fn bytes(n: usize, p: usize, blocks: usize) -> usize {
    let ranges = split(n, blocks);
    let mut words = n * p + n;
    let mut scratch = 0;
    for r in &ranges {
        let (m, k) = (r.len(), r.len().min(p));
        words += recommended_block_size::<f64>(m, p).max(1) * k;
        scratch += req(m, p).size_bytes();
    }
    if ranges.len() > 1 {
        let m: usize = ranges.iter().map(|r| r.len().min(p)).sum();
        words += m * p + recommended_block_size::<f64>(m, p).max(1) * m.min(p) + m;
        scratch += req(m, p).size_bytes();
    }
    8 * words + scratch
}

/// `blocks` row ranges of `0..n`, sizes differing by at most one.
fn split(n: usize, blocks: usize) -> Vec<Range<usize>> {
    let b = blocks.clamp(1, n.max(1));
    (0..b).map(|i| (i * n / b)..((i + 1) * n / b)).collect()
}

/// The scratch of a sequential QR of `m × p` and of applying its `Qᵀ` to one column.
fn req(m: usize, p: usize) -> StackReq {
    let bs = recommended_block_size::<f64>(m, p).max(1);
    StackReq::any_of(&[
        qr_in_place_scratch::<f64>(m, p, bs, Par::Seq, Default::default()),
        apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<f64>(m, bs, 1),
    ])
}

/// One Householder QR, sequential, of `a` in place, then `Qᵀ` on the column `v`.
fn factor_block(
    a: MatMut<'_, f64>,
    coeff: MatMut<'_, f64>,
    v: MatMut<'_, f64>,
    mem: &mut MemBuffer,
) {
    let mut a = a;
    let mut coeff = coeff;
    let k = a.nrows().min(a.ncols());
    qr_in_place(
        a.as_mut(),
        coeff.as_mut(),
        Par::Seq,
        MemStack::new(mem),
        Default::default(),
    );
    apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
        a.as_ref().get(.., ..k),
        coeff.as_ref(),
        Conj::No,
        v,
        Par::Seq,
        MemStack::new(mem),
    );
}

/// A thin QR of `A D̃⁻¹` in row blocks, its buffers allocated once.
pub struct BlockedQr {
    ranges: Vec<Range<usize>>,
    /// `A D̃⁻¹`, each block overwritten by its Householder factors and `Rᵢ`.
    a: Mat<f64>,
    coeffs: Vec<Mat<f64>>,
    mems: Vec<MemBuffer>,
    /// `r`, each block overwritten by `Qᵢᵀrᵢ`.
    qtr: Mat<f64>,
    /// The stacked `[R₁; …; R_b]` (empty for one block), overwritten by its QR.
    stack: Mat<f64>,
    stack_coeff: Mat<f64>,
    stack_mem: MemBuffer,
    /// The stacked `(Qᵢᵀrᵢ)[..kᵢ]`, overwritten by `Q₀ᵀ` of it.
    stack_qtr: Mat<f64>,
}

impl BlockedQr {
    /// Buffers for an `n × p` matrix in [`block_count`] blocks.
    pub fn new(n: usize, p: usize) -> Self {
        Self::with_blocks(n, p, block_count(n, p))
    }

    /// Buffers for an `n × p` matrix in `blocks` row blocks (clipped to `1..=n`).
    pub fn with_blocks(n: usize, p: usize, blocks: usize) -> Self {
        let ranges = split(n, blocks);
        let coeffs = ranges
            .iter()
            .map(|r| {
                Mat::zeros(
                    recommended_block_size::<f64>(r.len(), p).max(1),
                    r.len().min(p),
                )
            })
            .collect();
        let mems = ranges
            .iter()
            .map(|r| MemBuffer::new(req(r.len(), p)))
            .collect();
        let m = if ranges.len() > 1 {
            ranges.iter().map(|r| r.len().min(p)).sum()
        } else {
            0
        };
        Self {
            ranges,
            a: Mat::zeros(n, p),
            coeffs,
            mems,
            qtr: Mat::zeros(n, 1),
            stack: Mat::zeros(m, p),
            stack_coeff: Mat::zeros(recommended_block_size::<f64>(m, p).max(1), m.min(p)),
            stack_mem: MemBuffer::new(req(m, p)),
            stack_qtr: Mat::zeros(m, 1),
        }
    }

    /// The number of row blocks.
    pub fn blocks(&self) -> usize {
        self.ranges.len()
    }

    /// Factors `jac D̃⁻¹` (`d_inv` = the diagonal of `D̃⁻¹`) and applies `Qᵀ` to `r`;
    /// the blocks run in parallel on the current rayon pool unless `par` is sequential.
    ///
    /// # Errors
    /// [`LinearSolveError::NonFinite`] when `jac D̃⁻¹` or `r` has a non-finite entry.
    pub fn factor(
        &mut self,
        jac: MatRef<'_, f64>,
        r: &[f64],
        d_inv: &[f64],
        par: Par,
    ) -> Result<(), LinearSolveError> {
        let (n, p) = self.a.shape();
        assert!(jac.nrows() == n && jac.ncols() == p && r.len() == n && d_inv.len() == p);
        for (j, d) in d_inv.iter().enumerate() {
            for i in 0..n {
                self.a[(i, j)] = jac[(i, j)] * d;
            }
        }
        if !super::all_finite(self.a.as_ref()) || !r.iter().all(|x| x.is_finite()) {
            return Err(LinearSolveError::NonFinite);
        }
        for (i, &ri) in r.iter().enumerate() {
            self.qtr[(i, 0)] = ri;
        }
        // Disjoint row blocks of A and of r, one task each.
        let mut tasks = Vec::with_capacity(self.ranges.len());
        let (mut a_rest, mut r_rest) = (self.a.as_mut(), self.qtr.as_mut());
        for ((range, coeff), mem) in self.ranges.iter().zip(&mut self.coeffs).zip(&mut self.mems) {
            let (a_block, a_tail) = a_rest.split_at_row_mut(range.len());
            let (r_block, r_tail) = r_rest.split_at_row_mut(range.len());
            tasks.push((a_block, coeff.as_mut(), r_block, mem));
            (a_rest, r_rest) = (a_tail, r_tail);
        }
        if matches!(par, Par::Seq) || tasks.len() == 1 {
            for (a, c, v, mem) in tasks {
                factor_block(a, c, v, mem);
            }
        } else {
            tasks
                .into_par_iter()
                .for_each(|(a, c, v, mem)| factor_block(a, c, v, mem));
        }
        if self.ranges.len() > 1 {
            self.stack.fill(0.0);
            let mut row = 0;
            for range in &self.ranges {
                let k = range.len().min(p);
                for j in 0..p {
                    for i in 0..k.min(j + 1) {
                        self.stack[(row + i, j)] = self.a[(range.start + i, j)];
                    }
                }
                for i in 0..k {
                    self.stack_qtr[(row + i, 0)] = self.qtr[(range.start + i, 0)];
                }
                row += k;
            }
            factor_block(
                self.stack.as_mut(),
                self.stack_coeff.as_mut(),
                self.stack_qtr.as_mut(),
                &mut self.stack_mem,
            );
        }
        Ok(())
    }

    /// After [`BlockedQr::factor`]: the triangular factor `R` (`k × P`, `k = min(N, P)`,
    /// zeros below the diagonal) and `c = (Qᵀr)[..k]`.
    pub fn triangular_factor(&self) -> (Mat<f64>, Vec<f64>) {
        let (n, p) = self.a.shape();
        let k = n.min(p);
        let (mut r, mut c) = (Mat::zeros(k, p), vec![0.0; k]);
        self.triangular_factor_into(&mut r, &mut c);
        (r, c)
    }

    /// [`BlockedQr::triangular_factor`] into buffers of its sizes (`k × P` and `k`).
    pub fn triangular_factor_into(&self, r: &mut Mat<f64>, c: &mut [f64]) {
        let (n, p) = self.a.shape();
        let k = n.min(p);
        assert!(r.nrows() == k && r.ncols() == p && c.len() == k);
        let (f, v) = if self.ranges.len() > 1 {
            (self.stack.as_ref(), self.stack_qtr.as_ref())
        } else {
            (self.a.as_ref(), self.qtr.as_ref())
        };
        for j in 0..p {
            for i in 0..k {
                r[(i, j)] = if i <= j { f[(i, j)] } else { 0.0 };
            }
        }
        for (i, ci) in c.iter_mut().enumerate() {
            *ci = v[(i, 0)];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::test_matrices::known;
    use crate::linalg::{AugmentedSolver, DenseQr};

    /// `RᵀR = ÂᵀÂ` and `Rᵀc = Âᵀr` (`Â = A D̃⁻¹`) for one to three blocks; one block is
    /// bit for bit the plain Householder QR.
    #[test]
    fn blocked_factors_are_a_qr_of_the_scaled_matrix() {
        let (n, p) = (90, 12);
        let (j, r) = known(n, p, p, 1e4, 21);
        let d_inv: Vec<f64> = (0..p).map(|i| 1.0 / (1.0 + 0.3 * i as f64)).collect();
        let scaled = Mat::from_fn(n, p, |i, c| j[(i, c)] * d_inv[c]);
        let rm = Mat::from_fn(n, 1, |i, _| r[i]);
        let gram = scaled.transpose() * &scaled;
        let atr = scaled.transpose() * &rm;
        for blocks in [1, 2, 3] {
            let mut qr = BlockedQr::with_blocks(n, p, blocks);
            assert_eq!(qr.blocks(), blocks);
            qr.factor(j.as_ref(), &r, &d_inv, Par::Seq).unwrap();
            let (rf, c) = qr.triangular_factor();
            let err = (rf.transpose() * &rf - &gram).norm_max() / gram.norm_max();
            assert!(err < 1e-13, "{blocks} blocks: RᵀR {err:e}");
            let cm = Mat::from_fn(p, 1, |i, _| c[i]);
            let err = (rf.transpose() * &cm - &atr).norm_max() / atr.norm_max();
            assert!(err < 1e-12, "{blocks} blocks: Rᵀc {err:e}");
            if blocks == 1 {
                let mut plain = DenseQr::new(n, p);
                plain.factor(scaled.as_ref(), &r, &[1.0; 12]).unwrap();
                let (r0, c0) = plain.triangular_factor();
                assert!(r0 == rf && c0 == c, "one block is the plain QR");
            }
        }
    }

    /// Two blocks on a two-thread pool give the bits of the sequential run.
    #[test]
    fn the_blocks_give_the_same_bits_on_one_and_two_threads() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for (n, p, blocks) in [(400, 60, 2), (1001, 97, 2), (700, 33, 3)] {
            let (j, r) = known(n, p, p, 1e3, n as u64);
            let d_inv = vec![1.0; p];
            let mut seq = BlockedQr::with_blocks(n, p, blocks);
            seq.factor(j.as_ref(), &r, &d_inv, Par::Seq).unwrap();
            let mut par = BlockedQr::with_blocks(n, p, blocks);
            pool.install(|| par.factor(j.as_ref(), &r, &d_inv, Par::rayon(2)))
                .unwrap();
            assert!(
                seq.triangular_factor() == par.triangular_factor(),
                "{n} × {p}"
            );
        }
    }

    #[test]
    fn the_block_count_depends_on_the_sizes_only() {
        assert_eq!(block_count(10_050, 1_361), 2);
        assert_eq!(block_count(49_152, 5_121), 2);
        assert_eq!(block_count(2_000, 1_361), 1, "too few rows per block");
        assert_eq!(block_count(400, 60), 1, "too little work");
        assert_eq!(split(7, 3), vec![0..2, 2..4, 4..7]);
        assert!(bytes(1000, 50, 2) > bytes(1000, 50, 1));
    }

    #[test]
    fn non_finite_input_is_refused() {
        let mut j = Mat::<f64>::identity(6, 2);
        j[(5, 1)] = f64::NAN;
        let mut qr = BlockedQr::with_blocks(6, 2, 2);
        assert_eq!(
            qr.factor(j.as_ref(), &[1.0; 6], &[1.0; 2], Par::Seq),
            Err(LinearSolveError::NonFinite)
        );
        let j = Mat::<f64>::identity(6, 2);
        assert_eq!(
            qr.factor(j.as_ref(), &[f64::INFINITY; 6], &[1.0; 2], Par::Seq),
            Err(LinearSolveError::NonFinite)
        );
    }
}
