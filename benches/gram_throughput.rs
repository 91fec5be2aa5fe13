//! Throughput of the normal-matrix assembly `G = JᵀJ` that Levenberg–Marquardt pays once
//! per accepted iterate, against the machine's practical matrix-multiply peak.
//!
//! The assembly is [`gram_lower`]: the lower triangle only, `N·P²` flops (`N·P(P+1)`
//! multiply-adds counted as `N·P²` two-flop operations halved: one triangle of the
//! `2·N·P²`-flop full product). The peak is faer's general `matmul` of the same shapes
//! (`JᵀJ`, all `P²` entries, `2·N·P²` flops). Both are reported in "useful" GFLOP/s:
//! `N·P²/t` for the triangle, `2·N·P²/t` for the full product, so the fraction of peak
//! `= (N·P²/t_tri) / (2·N·P²/t_full) = t_full / (2·t_tri)`; 100 % means the triangle
//! costs half the full product, as its flop count says it should.
//!
//! `J` holds uniform random entries in `[-1, 1)` (the flop rate does not depend on
//! them). The two products are interleaved (triangle, full, triangle, full, …) so that a
//! shared, loaded machine affects both alike; the fastest repetition of each is shown,
//! with the process CPU time (all threads, from /proc/self/stat) beside the wall time.
//! Run with `cargo bench --bench gram_throughput [-- REPS] [--quick]`; `--quick` runs the
//! smallest shape only. Results: benches/RESULTS.md, "Gram throughput".

mod common;

use pinn_solvers::faer::linalg::matmul::matmul;
use pinn_solvers::faer::{Accum, Mat, Par};
use pinn_solvers::linalg::gram_lower;

const SHAPES: [(usize, usize); 4] = [
    (10_000, 2_000),
    (10_000, 5_125),
    (49_152, 2_000),
    (49_152, 5_125),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps: usize = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2);
    let quick = args.iter().any(|a| a == "--quick");
    let shapes: &[(usize, usize)] = if quick { &SHAPES[..1] } else { &SHAPES };
    let par = Par::rayon(0);
    println!(
        "{} threads, {reps} interleaved repetitions, fastest shown",
        par.degree()
    );
    println!(
        "| N | P | JᵀJ lower (s wall / s CPU) | GFLOP/s (N·P²) | matmul full (s wall / s CPU) | GFLOP/s (2·N·P²) | fraction of peak (wall / CPU) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &(n, p) in shapes {
        let jac = random(n, p, (n * 7 + p) as u64);
        let mut g = Mat::<f64>::zeros(p, p);
        let mut full = Mat::<f64>::zeros(p, p);
        let (mut tri, mut general) = ([f64::INFINITY; 2], [f64::INFINITY; 2]);
        for _ in 0..reps {
            let t = common::timed(|| gram_lower(g.as_mut(), jac.as_ref(), par));
            tri = [tri[0].min(t[0]), tri[1].min(t[1])];
            let t = common::timed(|| {
                matmul(
                    full.as_mut(),
                    Accum::Replace,
                    jac.transpose(),
                    jac.as_ref(),
                    1.0,
                    par,
                )
            });
            general = [general[0].min(t[0]), general[1].min(t[1])];
        }
        // The two agree entrywise to rounding (the triangle is a real JᵀJ).
        let mut worst = 0.0_f64;
        for j in 0..p {
            for i in j..p {
                worst = worst.max((g[(i, j)] - full[(i, j)]).abs() / (1.0 + full[(i, j)].abs()));
            }
        }
        assert!(
            worst < 1e-10,
            "triangle and full product differ by {worst:e}"
        );
        let flops = (n * p * p) as f64;
        println!(
            "| {n} | {p} | {:.3} / {:.3} | {:.1} | {:.3} / {:.3} | {:.1} | {:.0} % / {:.0} % |",
            tri[0],
            tri[1],
            flops / tri[0] / 1e9,
            general[0],
            general[1],
            2.0 * flops / general[0] / 1e9,
            100.0 * general[0] / (2.0 * tri[0]),
            100.0 * general[1] / (2.0 * tri[1]),
        );
    }
}

/// `n × p` entries uniform in `[-1, 1)` from a xorshift generator (reproducible).
fn random(n: usize, p: usize, seed: u64) -> Mat<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Mat::from_fn(n, p, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    })
}
