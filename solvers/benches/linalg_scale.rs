//! Two measurements behind the large Gauss–Newton factorisations:
//! - `dct`: seconds per row of rustdct's DCT-II at the parameter counts of the Burgers
//!   benches (P = 1 361, 5 121, 5 125) and at the padded lengths the SRCT uses instead
//!   (the next 2^a·3^b·5^c and the next power of two), then of one SRCT row
//!   (`Srct::forward`, s = 2 000) at those P;
//! - `qr-bits`: whether faer's blocked Householder QR (`qr_in_place`) with
//!   `Par::rayon(2)` rounds like `Par::rayon(1)` / `Par::Seq` on tall random matrices.
//!
//! - `workspace`: faer's SVD workspace and `DenseSvd::bytes` in units of `8P²`;
//! - `qr-speed [large]` (only when asked): the thin QR of `gn-probe` in one and in two
//!   row blocks on two threads, and the SVD of `R`, at 10 050 × 1 361 (49 152 × 5 121).
//!
//! - `pinv`: milliseconds per ENGD pseudo-inverse solve `G⁺b` of a Gramian `G = JᵀJ`
//!   (`J` 2n × n, columns graded 10^(−c/10)) by [`SpectralSolve`] (no eigenvectors) and
//!   by faer's eigendecomposition with eigenvectors, one core, n = 64 … 1 400 (the
//!   crossover behind `SPECTRAL_SOLVE_MAX_DIM`).
//!
//! `cargo bench -p pinn-solvers --bench linalg_scale [-- dct] [-- qr-bits] [-- workspace]
//! [-- pinv]`.

use std::time::Instant;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::qr::no_pivoting::factor::{
    qr_in_place, qr_in_place_scratch, recommended_block_size,
};
use faer::{Mat, Par};
use pinn_solvers::linalg::sketch::{SplitMix64, Srct, fast_dct_length};
use pinn_solvers::linalg::spectral_solve::SpectralSolve;
use rustdct::DctPlanner;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let all = !args
        .iter()
        .any(|a| a == "dct" || a == "qr-bits" || a == "workspace" || a == "pinv");
    if all || args.iter().any(|a| a == "dct") {
        dct();
    }
    if all || args.iter().any(|a| a == "qr-bits") {
        qr_bits();
    }
    if all || args.iter().any(|a| a == "workspace") {
        workspace();
    }
    if all || args.iter().any(|a| a == "pinv") {
        pinv();
    }
    if args.iter().any(|a| a == "qr-speed") {
        let large = args.iter().any(|a| a == "large");
        qr_speed(if large {
            (49_152, 5_121)
        } else {
            (10_050, 1_361)
        });
    }
}

/// `G⁺b` by [`SpectralSolve`] and by faer's eigendecomposition with eigenvectors
/// (`-- pinv`), milliseconds per solve on one core.
fn pinv() {
    use faer::diag::Diag;
    use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
    let mut rng = SplitMix64::new(7, 0);
    println!("| n | SpectralSolve ms | faer eigenvectors ms | ratio |");
    println!("|---:|---:|---:|---:|");
    for n in [64usize, 129, 200, 500, 800, 1400] {
        let j = Mat::from_fn(2 * n, n, |_, c| {
            ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
                * 10f64.powf(-(c as f64) / 10.0)
        });
        let g = j.transpose() * &j;
        let reps = (20_000 / n).max(2);
        let rel = n as f64 * f64::EPSILON;
        let mut solver = SpectralSolve::new(n);
        let mut b = vec![0.0; n];
        let t = Instant::now();
        for _ in 0..reps {
            b.fill(1.0);
            solver.solve(g.as_ref(), &mut b, rel).expect("converges");
        }
        let ours = 1e3 * t.elapsed().as_secs_f64() / reps as f64;
        let mut s = Diag::<f64>::zeros(n);
        let mut u = Mat::<f64>::zeros(n, n);
        let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
            n,
            ComputeEigenvectors::Yes,
            Par::Seq,
            Default::default(),
        ));
        let t = Instant::now();
        for _ in 0..reps {
            self_adjoint_evd(
                g.as_ref(),
                s.as_mut(),
                Some(u.as_mut()),
                Par::Seq,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .expect("converges");
        }
        let faer = 1e3 * t.elapsed().as_secs_f64() / reps as f64;
        println!("| {n} | {ours:.3} | {faer:.3} | {:.2} |", ours / faer);
    }
}

/// User + system CPU seconds of this process, all threads (/proc/self/stat fields 14
/// and 15, in ticks of 1/100 s); 0 where /proc is missing.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The thin QR of an `n × p` random matrix in one row block and in two on a two-thread
/// pool (what `gn-probe` runs), then the sequential SVD of its `R`, wall and CPU
/// seconds each (`-- qr-speed [large]`).
fn qr_speed((n, p): (usize, usize)) {
    use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
    use pinn_solvers::linalg::tsqr::BlockedQr;
    let mut rng = SplitMix64::new(3, 0);
    let a = Mat::from_fn(n, p, |_, _| {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    });
    let r: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    let ones = vec![1.0; p];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    println!("| {n} × {p} | wall s | CPU s |");
    println!("|---|---:|---:|");
    let mut rf = Mat::<f64>::zeros(0, 0);
    for blocks in [1, 2] {
        let mut qr = BlockedQr::with_blocks(n, p, blocks);
        let (t, c) = (Instant::now(), cpu_seconds());
        pool.install(|| qr.factor(a.as_ref(), &r, &ones, Par::rayon(2)))
            .unwrap();
        println!(
            "| thin QR, {blocks} block(s) | {:.2} | {:.2} |",
            t.elapsed().as_secs_f64(),
            cpu_seconds() - c
        );
        rf = qr.triangular_factor().0;
    }
    let mut sv = faer::diag::Diag::<f64>::zeros(p);
    let (mut u, mut v) = (Mat::<f64>::zeros(p, p), Mat::<f64>::zeros(p, p));
    let mut mem = MemBuffer::new(svd_scratch::<f64>(
        p,
        p,
        ComputeSvdVectors::Thin,
        ComputeSvdVectors::Thin,
        Par::Seq,
        Default::default(),
    ));
    let (t, c) = (Instant::now(), cpu_seconds());
    svd(
        rf.as_ref(),
        sv.as_mut(),
        Some(u.as_mut()),
        Some(v.as_mut()),
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .unwrap();
    println!(
        "| SVD of R, sequential | {:.2} | {:.2} |",
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c
    );
}

/// The bytes the spectral solvers say they hold, in units of 8·P² (`gn-probe`'s
/// unsketched factorisation at N = 10·P) and of 8·s₂² (the sketched core).
fn workspace() {
    use faer::linalg::svd::{ComputeSvdVectors, svd_scratch};
    use pinn_solvers::linalg::DenseSvd;
    println!("| P | faer SVD workspace / 8P² | DenseSvd::bytes(10P, P) / 8P² |");
    println!("|---:|---:|---:|");
    for p in [100usize, 1361, 2000, 5121] {
        let w = svd_scratch::<f64>(
            p,
            p,
            ComputeSvdVectors::Thin,
            ComputeSvdVectors::Thin,
            Par::Seq,
            Default::default(),
        )
        .size_bytes();
        let sq = 8.0 * (p * p) as f64;
        println!(
            "| {p} | {:.2} | {:.2} |",
            w as f64 / sq,
            DenseSvd::bytes(10 * p, p) as f64 / sq
        );
    }
}

/// Fastest of 3 passes over `rows` rows, in seconds per row.
fn per_row(rows: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        for i in 0..rows {
            f(i);
        }
        best = best.min(t.elapsed().as_secs_f64() / rows as f64);
    }
    best
}

fn dct() {
    println!("| length | kind | µs per row (DCT-II) |");
    println!("|---:|---|---:|");
    for p in [1361usize, 5121, 5125] {
        let candidates = [
            (p, "P itself"),
            (fast_dct_length(p), "next 2^a·3^b·5^c"),
            (p.next_power_of_two(), "next power of two"),
        ];
        for (len, kind) in candidates {
            let plan = DctPlanner::new().plan_dct2(len);
            let mut scratch = vec![0.0; plan.get_scratch_len()];
            let x: Vec<f64> = (0..len).map(|k| (k as f64 * 0.37).sin()).collect();
            let mut v = vec![0.0; len];
            let t = per_row(400, |_| {
                v.copy_from_slice(&x);
                plan.process_dct2_with_scratch(&mut v, &mut scratch);
            });
            println!("| {len} | {kind} (P = {p}) | {:.1} |", t * 1e6);
        }
    }
    println!();
    println!("| P | s | padded length | µs per row (Srct::forward) |");
    println!("|---:|---:|---:|---:|");
    for p in [1361usize, 5121, 5125] {
        let s = 2000.min(p - 1);
        let srct = Srct::draw(p, s, &mut SplitMix64::new(1, 0));
        let mut buf = srct.scratch();
        let x: Vec<f64> = (0..p).map(|k| (k as f64 * 0.37).sin()).collect();
        let mut out = vec![0.0; srct.cols()];
        let t = per_row(400, |_| srct.forward(&x, &mut out, &mut buf));
        println!("| {p} | {s} | {} | {:.1} |", srct.padded_len(), t * 1e6);
    }
}

fn qr_bits() {
    println!("| N × P | Par::rayon(2) vs Par::Seq | Par::rayon(1) vs Par::Seq |");
    println!("|---|---|---|");
    for (n, p) in [
        (400, 60),
        (1000, 130),
        (3000, 257),
        (5000, 700),
        (10_000, 1341),
    ] {
        let mut rng = SplitMix64::new(7, (n * p) as u64);
        let a = Mat::from_fn(n, p, |_, _| {
            (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        });
        let run = |par: Par| {
            let bs = recommended_block_size::<f64>(n, p).max(1);
            let mut m = a.clone();
            let mut coeff = Mat::<f64>::zeros(bs, n.min(p));
            let mut mem = MemBuffer::new(qr_in_place_scratch::<f64>(
                n,
                p,
                bs,
                par,
                Default::default(),
            ));
            qr_in_place(
                m.as_mut(),
                coeff.as_mut(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            );
            m
        };
        let seq = run(Par::Seq);
        let differ = |m: &Mat<f64>| {
            let mut count = 0usize;
            for j in 0..p {
                for i in 0..n {
                    if m[(i, j)].to_bits() != seq[(i, j)].to_bits() {
                        count += 1;
                    }
                }
            }
            if count == 0 {
                "same bits".to_string()
            } else {
                format!("{count} entries differ")
            }
        };
        let two = differ(&run(Par::rayon(2)));
        let one = differ(&run(Par::rayon(1)));
        println!("| {n} × {p} | {two} | {one} |");
    }
}
