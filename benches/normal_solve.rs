//! The pieces of one Levenberg–Marquardt trial on the normal-equations path at large P,
//! each timed alone: what a rejected LM iteration costs once `JᵀJ` is formed.
//!
//! Per trial damping λ, `NormalCholesky::solve` copies the lower triangle of `G = JᵀJ`,
//! adds `λD̃²` to the diagonal, factors `G + λD̃² = LLᵀ` (faer's blocked left-looking
//! Cholesky, `P³/3` flops, on the solver's threads) and solves `LLᵀx = −Jᵀr` by two
//! triangular solves (`2P²` flops, sequential: with one right-hand side a parallel
//! solve splits its inner sums between threads). The trial then needs `J·δ` (fixed
//! row blocks, `2NP` flops) and the residuals at θ + δ (not timed here).
//!
//! Rows: the whole `solve`; its pieces (copy, factorisation on all threads and on one,
//! triangular solves sequential and on all threads); `J·δ` in fixed row blocks against
//! faer's plain product. `G` is `I·P` plus a random symmetric part with entries in
//! `[-1, 1)` (diagonally dominant, so positive definite; the flop count does not
//! depend on the values). Wall and process CPU seconds (all threads, /proc/self/stat),
//! fastest of REPS. Run with `cargo bench --bench normal_solve [-- P [N [REPS]]]`
//! (default P = 10 147, N = 10 100, 2 repetitions); results in benches/RESULTS.md,
//! "Gauss–Newton at scale".

mod common;

use pinn_solvers::faer::dyn_stack::{MemBuffer, MemStack};
use pinn_solvers::faer::linalg::cholesky::llt::factor::{
    cholesky_in_place, cholesky_in_place_scratch,
};
use pinn_solvers::faer::linalg::cholesky::llt::solve::solve_in_place_with_conj;
use pinn_solvers::faer::linalg::matmul::matmul;
use pinn_solvers::faer::{Accum, Conj, Mat, MatMut, MatRef, Par};
use pinn_solvers::linalg::fixed_order::mat_vec;
use pinn_solvers::linalg::{AugmentedSolver, NormalCholesky};

fn main() {
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let p = nums.first().copied().unwrap_or(10_147);
    let n = nums.get(1).copied().unwrap_or(10_100);
    let reps = nums.get(2).copied().unwrap_or(2);
    let par = Par::rayon(0);
    println!(
        "P = {p}, N = {n}, {} threads, fastest of {reps} (wall s / CPU s)",
        par.degree()
    );
    let mut s = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    };
    let mut g = Mat::<f64>::zeros(p, p);
    for j in 0..p {
        g[(j, j)] = p as f64 + next();
        for i in j + 1..p {
            let v = next();
            g[(i, j)] = v;
            g[(j, i)] = v;
        }
    }
    let rhs: Vec<f64> = (0..p).map(|_| next()).collect();
    let mut h = Mat::<f64>::zeros(p, p);
    let mut x = Mat::<f64>::zeros(p, 1);
    let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(p, par, Default::default()));
    let mut rows: Vec<(&str, [f64; 2])> = Vec::new();
    let best = |name: &'static str, t: [f64; 2], rows: &mut Vec<(&str, [f64; 2])>| match rows
        .iter_mut()
        .find(|(n, _)| *n == name)
    {
        Some((_, b)) => *b = [b[0].min(t[0]), b[1].min(t[1])],
        None => rows.push((name, t)),
    };
    for _ in 0..reps {
        let t = common::timed(|| {
            h.copy_from(&g);
            for i in 0..p {
                h[(i, i)] += 1e-3;
            }
        });
        best("copy G, add λD̃²", t, &mut rows);
        for (name, threads) in [
            ("Cholesky, all threads", par),
            ("Cholesky, one thread", Par::Seq),
        ] {
            h.copy_from(&g);
            let t = common::timed(|| {
                cholesky_in_place(
                    h.as_mut(),
                    Default::default(),
                    threads,
                    MemStack::new(&mut mem),
                    Default::default(),
                )
                .expect("positive definite");
            });
            best(name, t, &mut rows);
        }
        for (name, threads) in [
            ("two triangular solves, sequential", Par::Seq),
            ("two triangular solves, all threads", par),
        ] {
            x.col_mut(0).iter_mut().zip(&rhs).for_each(|(a, b)| *a = *b);
            let t = common::timed(|| {
                solve_in_place_with_conj(
                    h.as_ref(),
                    Conj::No,
                    x.as_mut(),
                    threads,
                    MemStack::new(&mut mem),
                )
            });
            best(name, t, &mut rows);
        }
    }
    drop(h);
    // The solver's own per-trial solve. Its cost does not depend on N, so `factor` is
    // given a Jacobian of a few rows (forming JᵀJ at N = 10 100 would cost N·P² flops).
    let k = 8;
    let jk = Mat::from_fn(k, p, |_, _| next());
    let mut nc = NormalCholesky::new(k, p, par);
    nc.factor(jk.as_ref(), &vec![1.0; k], &vec![1.0; p])
        .expect("factor");
    let mut out = vec![0.0; p];
    for _ in 0..reps {
        let t = common::timed(|| nc.solve(jk.as_ref(), 1.0, &mut out).expect("solve"));
        best("NormalCholesky::solve (all of it)", t, &mut rows);
    }
    drop(nc);
    let jac = Mat::from_fn(n, p, |_, _| next());
    let delta: Vec<f64> = (0..p).map(|_| next()).collect();
    let mut jd = vec![0.0; n];
    for _ in 0..reps {
        let t = common::timed(|| mat_vec(&mut jd, jac.as_ref(), &delta, 1.0, par));
        best("J·δ, fixed row blocks", t, &mut rows);
        let t = common::timed(|| {
            matmul(
                MatMut::from_column_major_slice_mut(&mut jd, n, 1),
                Accum::Replace,
                jac.as_ref(),
                MatRef::from_column_major_slice(&delta, p, 1),
                1.0,
                par,
            )
        });
        best("J·δ, faer matmul", t, &mut rows);
    }
    println!("| piece | wall s | CPU s |");
    println!("|---|---:|---:|");
    for (name, t) in rows {
        println!("| {name} | {:.3} | {:.3} |", t[0], t[1]);
    }
}
