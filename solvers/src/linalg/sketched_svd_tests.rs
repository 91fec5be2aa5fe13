//! The algebra of the sketched model: exact recovery without compression, unbiasedness
//! of the count sketch, the sketched normal equations, and batching.

use super::*;
use crate::linalg::test_matrices::known;
use crate::trial::predicted_reduction;

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn full(n: usize, p: usize, batch_rows: usize, seed: u64) -> SketchedSvd {
    let params = SketchParams {
        rows: n,
        cols: p,
        hashes: 1,
        batch_rows,
        seed,
    };
    SketchedSvd::new(n, p, params, Par::Seq)
}

/// With `s₁ = N` (one hash: a signed permutation) and `s₂ = P` (the identity SRCT)
/// the step, the λ of a radius and the model decrease are the unsketched ones.
#[test]
fn without_compression_the_unsketched_step_is_recovered() {
    let (n, p) = (40, 9);
    let (j, r) = known(n, p, p, 1e5, 11);
    for d2 in [vec![1.0; p], (0..p).map(|i| 0.5 + i as f64).collect()] {
        for seed in 0..3 {
            let mut sk = full(n, p, 7, seed);
            let mut svd = DenseSvd::new(n, p, Par::Seq);
            AugmentedSolver::factor(&mut sk, j.as_ref(), &r, &d2).unwrap();
            svd.factor(j.as_ref(), &r, &d2).unwrap();
            for lambda in [0.0, 1e-6, 1e-2, 1.0, 1e3] {
                let (mut a, mut b) = (vec![0.0; p], vec![0.0; p]);
                sk.solve(j.as_ref(), lambda, &mut a).unwrap();
                svd.solve(j.as_ref(), lambda, &mut b).unwrap();
                let diff: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
                assert!(
                    norm(&diff) <= 1e-10 * norm(&b),
                    "seed {seed}, λ = {lambda}: {:e}",
                    norm(&diff) / norm(&b)
                );
                let jd: Vec<f64> = (0..n)
                    .map(|i| (0..p).map(|k| j[(i, k)] * b[k]).sum())
                    .collect();
                let want = predicted_reduction(&r, &jd);
                let got = sk.model_decrease(lambda);
                assert!((got - want).abs() <= 1e-10 * want, "{got} vs {want}");
            }
            for radius in [1e-3, 0.1, 1.0] {
                let (x, y) = (
                    sk.damping_for_radius(radius).unwrap(),
                    svd.damping_for_radius(radius).unwrap(),
                );
                assert!((x - y).abs() <= 1e-10 * y.max(1e-300), "{x} vs {y}");
            }
        }
    }
}

/// `E[(SJ)ᵀ(SJ)] = JᵀJ`: over 200 independent count sketches (4 hashes, N = 60 rows
/// into 12) every entry of the mean lies within 5 standard errors of `JᵀJ`.
#[test]
fn the_sketched_normal_matrix_is_unbiased() {
    let (n, p, s, draws) = (60, 5, 12, 200);
    let (j, _) = known(n, p, p, 10.0, 4);
    let jtj = j.transpose() * &j;
    let (mut sum, mut sum2) = (Mat::<f64>::zeros(p, p), Mat::<f64>::zeros(p, p));
    for d in 0..draws {
        let cs = CountSketch::draw(n, s, 4, &mut SplitMix64::new(17, d));
        let sj = Mat::from_fn(s, p, |a, k| {
            let col: Vec<f64> = (0..n).map(|i| j[(i, k)]).collect();
            cs.apply(&col)[a]
        });
        let g = sj.transpose() * &sj;
        for a in 0..p {
            for b in 0..p {
                sum[(a, b)] += g[(a, b)];
                sum2[(a, b)] += g[(a, b)] * g[(a, b)];
            }
        }
    }
    let m = draws as f64;
    for a in 0..p {
        for b in 0..p {
            let mean = sum[(a, b)] / m;
            let var = (sum2[(a, b)] / m - mean * mean).max(0.0) * m / (m - 1.0);
            let se = (var / m).sqrt();
            assert!(
                (mean - jtj[(a, b)]).abs() <= 5.0 * se + 1e-12,
                "entry ({a}, {b}): mean {mean}, JᵀJ {}, se {se}",
                jtj[(a, b)]
            );
        }
    }
}

/// With real compression on both sides (a wide core, `s₁ < s₂`) the step lies in the
/// SRCT's range and solves the sketched normal equations `(BᵀB + λI)z = −Bᵀr_s`.
#[test]
fn a_compressed_step_solves_the_sketched_model() {
    let (n, p) = (50, 20);
    let (j, r) = known(n, p, p, 1e3, 2);
    let params = SketchParams {
        rows: 8,
        cols: 12,
        hashes: 3,
        batch_rows: 16,
        seed: 5,
    };
    let mut sk = SketchedSvd::new(n, p, params, Par::Seq);
    AugmentedSolver::factor(&mut sk, j.as_ref(), &r, &vec![1.0; p]).unwrap();
    assert_eq!(sk.sizes(), (8, 12));
    let rs = sk.count.apply(&r);
    for lambda in [1e-3, 1.0] {
        let mut delta = vec![0.0; p];
        sk.solve(j.as_ref(), lambda, &mut delta).unwrap();
        let mut z = vec![0.0; 12];
        let mut buf = sk.srct.scratch();
        sk.srct.forward(&delta, &mut z, &mut buf);
        let mut back = vec![0.0; p];
        sk.srct.adjoint(&z, &mut back, &mut buf);
        let off: Vec<f64> = back.iter().zip(&delta).map(|(a, b)| a - b).collect();
        assert!(norm(&off) <= 1e-12 * norm(&delta), "δ outside range(Q)");
        let b = &sk.core;
        let zm = Mat::from_fn(12, 1, |i, _| z[i]);
        let rm = Mat::from_fn(8, 1, |i, _| rs[i]);
        let g = b.transpose() * &rm;
        let mut res = b.transpose() * (b * &zm) + &g;
        for i in 0..12 {
            res[(i, 0)] += lambda * z[i];
        }
        assert!(
            res.norm_l2() <= 1e-10 * g.norm_l2(),
            "λ = {lambda}: {:e}",
            res.norm_l2() / g.norm_l2()
        );
        // The model decrease is ½‖r_s‖² − ½‖Bz + r_s‖².
        let fit = b * &zm + &rm;
        let want = 0.5 * (rm.norm_l2().powi(2) - fit.norm_l2().powi(2));
        assert!((sk.model_decrease(lambda) - want).abs() <= 1e-10 * want);
    }
}

/// The core does not depend on the macro-batch size (rows are added in the same
/// order), and a redraw of the same index gives the same sketches.
#[test]
fn batching_and_redraws_are_exact() {
    let (n, p) = (33, 10);
    let (j, r) = known(n, p, p, 10.0, 8);
    let cores: Vec<Mat<f64>> = [1, 5, 33, 100]
        .into_iter()
        .map(|b| {
            let params = SketchParams {
                rows: 6,
                cols: 7,
                hashes: 2,
                batch_rows: b,
                seed: 1,
            };
            let mut sk = SketchedSvd::new(n, p, params, Par::Seq);
            sk.redraw(4);
            sk.factor_rows(&r, &vec![1.0; p], |range, mut out| {
                out.copy_from(j.subrows(range.start, range.len()));
            })
            .unwrap();
            sk.core.clone()
        })
        .collect();
    for c in &cores[1..] {
        assert!(c == &cores[0]);
    }
    let mut sk = full(n, p, 4, 2);
    sk.redraw_next();
    sk.redraw_next();
    assert_eq!(sk.draws(), 2);
}

/// A padded SRCT (P = 22 → L = 24, 12 columns kept): `B = S J Q` is the dense product,
/// the step is `Q z` with `z` solving the sketched normal equations, its norm is at most
/// `‖z‖`, and its model decrease is the sketched one.
#[test]
fn a_padded_srct_keeps_the_sketched_algebra_exact() {
    let (n, p) = (50, 22);
    let (j, r) = known(n, p, p, 1e3, 3);
    let params = SketchParams {
        rows: 16,
        cols: 12,
        hashes: 2,
        batch_rows: 9,
        seed: 8,
    };
    let mut sk = SketchedSvd::new(n, p, params, Par::Seq);
    AugmentedSolver::factor(&mut sk, j.as_ref(), &r, &vec![1.0; p]).unwrap();
    assert_eq!(sk.srct.padded_len(), 24);
    // Qᵀ densely, column by column.
    let mut buf = sk.srct.scratch();
    let mut qt = Mat::<f64>::zeros(12, p);
    let (mut e, mut col) = (vec![0.0; p], vec![0.0; 12]);
    for c in 0..p {
        e.fill(0.0);
        e[c] = 1.0;
        sk.srct.forward(&e, &mut col, &mut buf);
        for i in 0..12 {
            qt[(i, c)] = col[i];
        }
    }
    let sj = Mat::from_fn(16, p, |a, c| {
        let column: Vec<f64> = (0..n).map(|i| j[(i, c)]).collect();
        sk.count.apply(&column)[a]
    });
    let b = &sj * qt.transpose();
    assert!((&b - &sk.core).norm_max() <= 1e-12 * b.norm_max());
    let rs = Mat::from_fn(16, 1, |i, _| sk.count.apply(&r)[i]);
    for lambda in [1e-3, 1.0] {
        let mut delta = vec![0.0; p];
        sk.solve(j.as_ref(), lambda, &mut delta).unwrap();
        let z = Mat::from_fn(12, 1, |i, _| sk.z[i]);
        let qz = qt.transpose() * &z;
        for c in 0..p {
            assert!((delta[c] - qz[(c, 0)]).abs() <= 1e-12 * qz.norm_l2());
        }
        assert!(norm(&delta) <= z.norm_l2() * (1.0 + 1e-12));
        let g = b.transpose() * &rs;
        let mut res = b.transpose() * (&b * &z) + &g;
        for i in 0..12 {
            res[(i, 0)] += lambda * z[(i, 0)];
        }
        assert!(res.norm_l2() <= 1e-10 * g.norm_l2(), "λ = {lambda}");
        let fit = &b * &z + &rs;
        let want = 0.5 * (rs.norm_l2().powi(2) - fit.norm_l2().powi(2));
        assert!((sk.model_decrease(lambda) - want).abs() <= 1e-10 * want);
    }
}

/// The rows of a batch transformed on two threads give the core of one, bit for bit.
#[test]
fn parallel_row_transforms_give_the_sequential_bits() {
    let (n, p) = (300, 97);
    let (j, r) = known(n, p, p, 1e2, 6);
    let params = SketchParams {
        rows: 40,
        cols: 30,
        hashes: 3,
        batch_rows: 64,
        seed: 2,
    };
    let core = |par: Par| {
        let mut sk = SketchedSvd::new(n, p, params, par);
        AugmentedSolver::factor(&mut sk, j.as_ref(), &r, &vec![1.0; p]).unwrap();
        sk.core.clone()
    };
    let seq = core(Par::Seq);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let par = pool.install(|| core(Par::rayon(2)));
    assert!(seq == par);
}

#[test]
fn non_finite_rows_are_refused() {
    let mut j = Mat::<f64>::identity(4, 2);
    j[(3, 1)] = f64::INFINITY;
    let mut sk = full(4, 2, 2, 0);
    assert_eq!(
        AugmentedSolver::factor(&mut sk, j.as_ref(), &[1.0; 4], &[1.0; 2]),
        Err(LinearSolveError::NonFinite)
    );
    let j = Mat::<f64>::identity(4, 2);
    assert_eq!(
        AugmentedSolver::factor(&mut sk, j.as_ref(), &[1.0, f64::NAN, 0.0, 0.0], &[1.0; 2]),
        Err(LinearSolveError::NonFinite)
    );
}

#[test]
fn sizes_are_validated() {
    assert!(SketchParams::default().validate().is_ok());
    for bad in [
        SketchParams {
            rows: 0,
            ..SketchParams::default()
        },
        SketchParams {
            cols: 0,
            ..SketchParams::default()
        },
        SketchParams {
            hashes: 0,
            ..SketchParams::default()
        },
        SketchParams {
            batch_rows: 0,
            ..SketchParams::default()
        },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
}
