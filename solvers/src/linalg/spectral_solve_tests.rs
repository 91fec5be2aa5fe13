use super::*;
use crate::linalg::test_matrices::known;
use faer::Mat;
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};

/// A seeded symmetric matrix with entries uniform in `[−½, ½)`.
fn symmetric(n: usize, seed: u64) -> Mat<f64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut a = Mat::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            let v = next();
            a[(i, j)] = v;
            a[(j, i)] = v;
        }
    }
    a
}

/// faer's eigendecomposition (with eigenvectors): `(λ ascending, V)`.
fn faer_evd(a: &Mat<f64>) -> (Vec<f64>, Mat<f64>) {
    let n = a.nrows();
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = Mat::zeros(n, n);
    let mut mem = faer::dyn_stack::MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        faer::Par::Seq,
        Default::default(),
    ));
    self_adjoint_evd(
        a.as_ref(),
        s.as_mut(),
        Some(u.as_mut()),
        faer::Par::Seq,
        faer::dyn_stack::MemStack::new(&mut mem),
        Default::default(),
    )
    .unwrap();
    ((0..n).map(|i| s[i]).collect(), u)
}

/// `V Λ⁺ Vᵀ b` with the same cutoff rule, from faer's eigenvectors: an independent route.
fn eigenvector_route(a: &Mat<f64>, b: &[f64], rel: f64) -> (Vec<f64>, usize) {
    let (l, v) = faer_evd(a);
    let n = l.len();
    let lmax = l.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut x = vec![0.0; n];
    let mut rank = 0;
    for k in 0..n {
        if l[k] > rel * lmax && lmax > 0.0 {
            rank += 1;
            let c: f64 = (0..n).map(|i| v[(i, k)] * b[i]).sum::<f64>() / l[k];
            for (i, xi) in x.iter_mut().enumerate() {
                *xi += v[(i, k)] * c;
            }
        }
    }
    (x, rank)
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn sorted(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The eigenvalues of indefinite random matrices, of a diagonal one, of a tridiagonal
/// one and of one with a repeated eigenvalue agree with faer's to rounding.
#[test]
fn eigenvalues_match_faer() {
    let mut cases: Vec<Mat<f64>> = [1, 2, 3, 5, 17, 64, 129, 200]
        .iter()
        .map(|&n| symmetric(n, n as u64))
        .collect();
    cases.push(Mat::from_fn(7, 7, |i, j| {
        if i == j { i as f64 - 3.0 } else { 0.0 }
    }));
    cases.push(Mat::from_fn(30, 30, |i, j| match i.abs_diff(j) {
        0 => 2.0,
        1 => -1.0,
        _ => 0.0,
    }));
    // 3 I + u uᵀ: 3 with multiplicity 39 and 3 + ‖u‖².
    cases.push(Mat::from_fn(40, 40, |i, j| {
        let (ui, uj) = ((i as f64 * 0.3).sin(), (j as f64 * 0.3).sin());
        ui * uj + if i == j { 3.0 } else { 0.0 }
    }));
    for a in &cases {
        let n = a.nrows();
        let mut s = SpectralSolve::new(n);
        let mut b = vec![1.0; n];
        s.solve(a.as_ref(), &mut b, 0.0).unwrap();
        let got = sorted(s.eigenvalues());
        let (want, _) = faer_evd(a);
        let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-14 * n as f64 * scale,
                "n = {n}: {g} vs {w}"
            );
        }
    }
}

/// `A⁺b` for Gramians `JᵀJ` of known rank and condition (the ENGD case: positive
/// semidefinite, numerically rank deficient) agrees with the eigenvector route to what
/// two backward-stable routes can share, `20 ε κ(G)` with `κ(G) = cond²` over the kept
/// eigenvalues, and the rank with its count.
#[test]
fn gramian_solve_matches_the_eigenvector_route() {
    for (m, n, rank, cond) in [(200, 40, 40, 1e3), (300, 129, 60, 1e4), (50, 90, 50, 1e2)] {
        let (j, r) = known(m, n, rank, cond, (m + n) as u64);
        let g = j.transpose() * &j;
        let b: Vec<f64> = (0..n)
            .map(|p| (0..m).map(|i| j[(i, p)] * r[i]).sum())
            .collect();
        let rel = n as f64 * f64::EPSILON;
        let (want, want_rank) = eigenvector_route(&g, &b, rel);
        let mut s = SpectralSolve::new(n);
        let mut x = b.clone();
        let got_rank = s.solve(g.as_ref(), &mut x, rel).unwrap();
        assert_eq!(got_rank, rank, "{m}×{n}");
        assert_eq!(want_rank, rank, "{m}×{n}");
        let diff: Vec<f64> = x.iter().zip(&want).map(|(a, b)| a - b).collect();
        assert!(
            norm(&diff) <= 20.0 * f64::EPSILON * cond * cond * norm(&want),
            "{m}×{n}: {} vs {}",
            norm(&diff),
            norm(&want)
        );
    }
}

/// A well-conditioned SPD matrix is inverted: `‖Ax − b‖ ≤ 1e-13 ‖b‖`.
#[test]
fn full_rank_solve_inverts() {
    let n = 50;
    let a0 = symmetric(n, 3);
    let a = &a0 * &a0 + Mat::<f64>::identity(n, n);
    let b: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
    let mut x = b.clone();
    let rank = SpectralSolve::new(n)
        .solve(a.as_ref(), &mut x, 0.0)
        .unwrap();
    assert_eq!(rank, n);
    let res: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|k| a[(i, k)] * x[k]).sum::<f64>() - b[i])
        .collect();
    assert!(norm(&res) <= 1e-13 * norm(&b), "{}", norm(&res));
}

/// Eigenvalues at or below the cutoff and negative ones are dropped: `A = V diag(2, −1,
/// 1e-20, 0.5) Vᵀ` with the default-size cutoff keeps 2 and 0.5 only.
#[test]
fn negative_and_tiny_eigenvalues_are_dropped() {
    let (_, q) = faer_evd(&symmetric(4, 9));
    let lambda = [2.0, -1.0, 1e-20, 0.5];
    let a = Mat::from_fn(4, 4, |i, j| {
        (0..4).map(|k| q[(i, k)] * lambda[k] * q[(j, k)]).sum()
    });
    let b = [1.0, -2.0, 0.5, 3.0];
    let mut x = b.to_vec();
    let rank = SpectralSolve::new(4)
        .solve(a.as_ref(), &mut x, 4.0 * f64::EPSILON)
        .unwrap();
    assert_eq!(rank, 2);
    // x = Σ over kept k of qₖ (qₖᵀb)/λₖ.
    for i in 0..4 {
        let want: f64 = [0, 3]
            .iter()
            .map(|&k| q[(i, k)] * (0..4).map(|l| q[(l, k)] * b[l]).sum::<f64>() / lambda[k])
            .sum();
        assert!((x[i] - want).abs() <= 1e-14, "{i}: {} vs {want}", x[i]);
    }
}

/// Scaling `A` by a power of two scales `A⁺b` by its inverse exactly (the internal scaling
/// is exact), far into overflow and underflow territory for the squares.
#[test]
fn power_of_two_scaling_is_exact() {
    let n = 20;
    let (j, _) = known(40, n, n, 1e2, 5);
    let g = j.transpose() * &j;
    let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
    let mut s = SpectralSolve::new(n);
    let mut x = b.clone();
    s.solve(g.as_ref(), &mut x, 0.0).unwrap();
    for k in [-600, -100, 100, 600] {
        let scaled = &g * faer::Scale(2f64.powi(k));
        let mut y = b.clone();
        s.solve(scaled.as_ref(), &mut y, 0.0).unwrap();
        for (yi, xi) in y.iter().zip(&x) {
            assert_eq!(*yi, xi * 2f64.powi(-k), "2^{k}");
        }
    }
}

/// The zero matrix gives rank 0 and `x = 0`; a NaN entry is a typed error; the upper
/// triangle is never read; a second solve with the same workspace gives the same bits.
#[test]
fn edge_cases() {
    let mut s = SpectralSolve::new(3);
    let mut x = vec![1.0, 2.0, 3.0];
    assert_eq!(
        s.solve(Mat::<f64>::zeros(3, 3).as_ref(), &mut x, 0.0),
        Ok(0)
    );
    assert_eq!(x, vec![0.0; 3]);
    let mut a = symmetric(3, 4);
    a[(2, 1)] = f64::NAN;
    assert_eq!(
        s.solve(a.as_ref(), &mut x, 0.0),
        Err(LinearSolveError::NonFinite)
    );
    let a = symmetric(30, 6);
    let mut upper_garbage = a.clone();
    for j in 0..30 {
        for i in 0..j {
            upper_garbage[(i, j)] = f64::NAN;
        }
    }
    let b: Vec<f64> = (0..30).map(|i| i as f64).collect();
    let mut s = SpectralSolve::new(30);
    let (mut x1, mut x2) = (b.clone(), b.clone());
    s.solve(a.as_ref(), &mut x1, 1e-12).unwrap();
    s.solve(upper_garbage.as_ref(), &mut x2, 1e-12).unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&x1), bits(&x2));
}

/// The reduction compiled for AVX2 with intrinsic column loops gives bitwise the portable
/// loops' result (lengths with every remainder 0–3, so both the vector body and the tail
/// loop run). On a CPU without AVX2 both calls take the portable loops.
#[test]
fn vector_and_portable_reductions_agree_bitwise() {
    for n in [1, 2, 5, 8, 13, 31, 66] {
        let a = symmetric(n, 100 + n as u64);
        let mut lower = vec![0.0; n * n];
        for j in 0..n {
            for i in j..n {
                lower[j * n + i] = a[(i, j)];
            }
        }
        let run = |portable: bool| {
            let mut s = SpectralSolve::new(n);
            s.a.copy_from_slice(&lower);
            if portable {
                tridiagonalize_body::<false>(&mut s);
            } else {
                tridiagonalize(&mut s);
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            (bits(&s.a), bits(&s.tau), bits(&s.d), bits(&s.e))
        };
        assert!(run(true) == run(false), "n = {n}");
    }
}
