//! Which blocks hold identically: a block whose residual is zero whatever the network
//! does (typically a condition an output transform builds in) only costs rows, and can be
//! dropped.
//!
//! The test is a randomised identity check in the spirit of Schwartz–Zippel: at every
//! point the residual is evaluated for several random values of the network channels it
//! reads, independently per term. A block holds identically when every equation is
//! (numerically) zero there and every partial `∂F/∂c` is too, i.e. the rows are zero
//! and their Jacobian is zero for every θ.

use super::block::ResidualBlock;

/// Draws per point.
const DRAWS: usize = 3;
/// At most this many points are tested (evenly spread over the block).
const MAX_POINTS: usize = 256;
/// Residuals and partials below this count as zero (round-off of formulas that agree
/// mathematically, e.g. `sin(π x)` evaluated at both ends of a period).
const TOL: f64 = 1e-10;

/// Whether every residual of `block` is zero, with zero partials, for any network.
pub fn identically_satisfied(block: &ResidualBlock) -> bool {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut uniform = move || {
        // xorshift64*: a fixed-seed stream, so `pinn check` is deterministic.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        2.0 * ((r >> 11) as f64 / (1u64 << 53) as f64) - 1.0
    };
    let n = block.n_points();
    let step = n.div_ceil(MAX_POINTS).max(1);
    for group in block.row_groups() {
        for i in (0..n).step_by(step) {
            for _ in 0..DRAWS {
                let mut total = 0.0;
                for term in &group.terms {
                    let pts = block.points_of(term.set);
                    let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
                    let k = term.residual.channels().len();
                    let c: Vec<f64> = (0..k).map(|_| uniform()).collect();
                    let mut dfdc = vec![0.0; k];
                    total += term.residual.eval(&x, &c, &mut dfdc);
                    if dfdc.iter().any(|d| d.is_nan() || d.abs() > TOL) {
                        return false;
                    }
                }
                if total.is_nan() || total.abs() > TOL {
                    return false;
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use faer::Mat;

    use super::*;
    use crate::residual::block::{BlockKind, Face};

    #[test]
    fn an_untransformed_condition_does_not_hold_identically() {
        let pts = Mat::from_fn(4, 2, |i, j| if j == 0 { 0.0 } else { 0.25 * i as f64 });
        let kind = BlockKind::Dirichlet {
            output: 0,
            face: Face {
                axis: 0,
                upper: false,
            },
            g: Arc::new(|_: &[f64]| 0.0),
        };
        let block = ResidualBlock::new("b", pts, kind, 1.0).unwrap();
        assert!(!identically_satisfied(&block));
    }
}
