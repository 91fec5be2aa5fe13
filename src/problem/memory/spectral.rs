//! What the spectral Gauss–Newton solvers (`gn-probe`, `gn-probe-sketch`) hold, counted
//! buffer by buffer in 8-byte words, in u128 so that no size a problem file can ask for
//! overflows.
//!
//! The unsketched solver (`N × P` Jacobian, `k = min(N, P)`) keeps a column-scaled copy
//! of J that its thin QR factors in place (in one or two row blocks; two blocks add the
//! stacked `2k × P` triangles), `Qᵀr`, the Householder block coefficients, then the
//! copy of `R` (`k × P`), `U` (`k × k`), `V` (`P × k`) and faer's SVD workspace. The
//! sketched solver keeps the count sketch's buckets and signs, one macro-batch of `b`
//! Jacobian rows and their `s₂` transforms, the core twice (accumulated, then as a
//! matrix), per-thread DCT buffers, and the same spectral factorisation of the
//! `s₁ × s₂` core.

use pinn_solvers::linalg::sketch::fast_dct_length;
use pinn_solvers::linalg::tsqr::block_count;

/// faer's thin-SVD workspace of a `k × k` matrix in words per `k²`, rounded up: its
/// copy of the matrix, the bidiagonal's singular vectors (`(k+1)²` each) and the
/// divide-and-conquer merges (`svd_scratch` reports 7.06–7.14·k² words from k = 1 361
/// to 5 121; a wide `k × P` factor needs less than `8k²` more than its own copy).
const SVD_WORKSPACE: u128 = 8;
/// Words per column of one Householder QR's block coefficients and scratch (faer's
/// block size is at most 256, its panel scratch about as much again).
const QR_PANEL: u128 = 512;

/// `x` as a usize, saturating (the block count of a size beyond usize is moot).
fn sat(x: u128) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// Words of the unsketched spectral factorisation of an `n × p` matrix:
/// `(n × p`-sized words, the rest`)`.
pub fn dense_svd_words(n: u128, p: u128) -> (u128, u128) {
    let k = n.min(p);
    let blocks = block_count(sat(n), sat(p)) as u128;
    let stacked = if blocks > 1 {
        blocks * k * p + blocks * k
    } else {
        0
    };
    let qr = QR_PANEL * p * (blocks + u128::from(blocks > 1));
    let spectral = k * p + k * k + p * k + 3 * k + SVD_WORKSPACE * k * k;
    (n * p + n, stacked + qr + spectral)
}

/// Words of the sketched model of an `n × p` Jacobian with `s₁ × s₂` sketches
/// (clipped already), `hashes` hashes, batches of `b` rows, on `threads` threads:
/// `(the batch of J's rows, the rest)`.
pub fn sketched_words(
    n: u128,
    p: u128,
    (s1, s2): (u128, u128),
    hashes: u128,
    b: u128,
    threads: u128,
) -> (u128, u128) {
    let l = if s2 < p {
        fast_dct_length(sat(p)) as u128
    } else {
        p
    };
    let (core_tall, core_rest) = dense_svd_words(s1, s2);
    let rest = 2 * n * hashes
        + p
        + 2 * l
        + b * s2
        + 2 * s1 * s2
        + s1
        + threads.max(1) * (p + 3 * l)
        + core_tall
        + core_rest;
    (b * p, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinn_solvers::linalg::{DenseSvd, SketchParams, SketchedSvd};

    /// The counts cover the bytes the solvers report for their own buffers (and faer's
    /// workspaces), and exceed them by less than a tenth: the estimate neither misses a
    /// buffer nor pads the solvers' memory.
    #[test]
    fn the_counts_cover_what_the_solvers_allocate() {
        for (n, p) in [(10_050, 1_361), (49_152, 5_121), (2_000, 2_000), (300, 900)] {
            let (tall, rest) = dense_svd_words(n, p);
            let words = (tall + rest) as f64;
            let own = DenseSvd::bytes(n as usize, p as usize) as f64 / 8.0;
            assert!(
                words >= own && words <= 1.1 * own,
                "{n} × {p}: {words} words for {own}"
            );
        }
        let params = SketchParams::default();
        for (n, p) in [(10_050u128, 1_361u128), (49_152, 5_121)] {
            let (s1, s2) = (n.min(2000), p.min(2000));
            let (batch, rest) = sketched_words(n, p, (s1, s2), 4, 2048, 2);
            let words = (batch + rest) as f64;
            let own = SketchedSvd::bytes(n as usize, p as usize, &params, 2) as f64 / 8.0;
            assert!(
                words >= own && words <= 1.1 * own,
                "{n} × {p}: {words} words for {own}"
            );
        }
    }

    #[test]
    fn absurd_sizes_do_not_overflow() {
        let (tall, rest) = dense_svd_words(1 << 60, 1 << 40);
        assert!(tall > 0 && rest > 0);
    }
}
