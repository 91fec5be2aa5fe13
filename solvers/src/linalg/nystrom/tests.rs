use super::*;
use crate::linalg::cg::{CgParams, CgScratch, CgStop, preconditioned_conjugate_gradient};
use crate::linalg::test_matrices::known;
use faer::Side;

/// `A = JᵀJ` and the preconditioner of rank `s` built from `Y = AΩ`.
fn build(j: &Mat<f64>, s: usize, seed: u64) -> (Mat<f64>, NystromPreconditioner) {
    let a = j.transpose() * j;
    let p = a.nrows();
    let omega = test_matrix(p, s, seed, 0);
    let y = &a * &omega;
    let mut pre = NystromPreconditioner::new(p, s);
    pre.build(omega.as_ref(), y.as_ref()).unwrap();
    (a, pre)
}

/// `P⁻¹` as a dense matrix, one column per unit vector.
fn dense_inverse(pre: &mut NystromPreconditioner, mu: f64) -> Mat<f64> {
    let p = pre.basis().len() / pre.rank().max(1);
    let mut m = Mat::zeros(p, p);
    let mut e = vec![0.0; p];
    let mut z = vec![0.0; p];
    for j in 0..p {
        e[j] = 1.0;
        pre.apply(mu, &e, &mut z);
        for i in 0..p {
            m[(i, j)] = z[i];
        }
        e[j] = 0.0;
    }
    m
}

/// Preconditioned (or plain) CG on `(A + μI)x = b`; returns the iterations and the
/// independently computed relative residual.
fn cg_iterations(
    a: &Mat<f64>,
    mu: f64,
    pre: Option<&mut NystromPreconditioner>,
    tol: f64,
) -> (usize, CgStop, f64) {
    let p = a.nrows();
    let b: Vec<f64> = (0..p).map(|i| ((i * 13) % 7) as f64 - 3.0).collect();
    let apply = |v: &[f64], o: &mut [f64]| {
        for i in 0..p {
            o[i] = (0..p).map(|k| a[(i, k)] * v[k]).sum::<f64>() + mu * v[i];
        }
    };
    let params = CgParams {
        max_iterations: 20 * p,
        relative_residual_tolerance: tol,
        ..CgParams::default()
    };
    let mut x = vec![0.0; p];
    let mut scratch = CgScratch::new(p);
    let info = match pre {
        Some(pre) => preconditioned_conjugate_gradient(
            apply,
            |r, z| pre.apply(mu, r, z),
            &b,
            &mut x,
            &params,
            &mut scratch,
        ),
        None => preconditioned_conjugate_gradient(
            apply,
            |r, z| z.copy_from_slice(r),
            &b,
            &mut x,
            &params,
            &mut scratch,
        ),
    }
    .unwrap();
    let mut r2 = 0.0;
    for i in 0..p {
        let ax: f64 = (0..p).map(|k| a[(i, k)] * x[k]).sum::<f64>() + mu * x[i];
        r2 += (ax - b[i]).powi(2);
    }
    let bn = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    (info.iterations, info.stop, r2.sqrt() / bn)
}

#[test]
fn test_matrix_is_orthonormal_and_reproducible() {
    let q = test_matrix(50, 12, 7, 3);
    let qtq = q.transpose() * &q;
    for i in 0..12 {
        for j in 0..12 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!(
                (qtq[(i, j)] - want).abs() < 1e-14,
                "{i},{j}: {}",
                qtq[(i, j)]
            );
        }
    }
    assert_eq!(test_matrix(50, 12, 7, 3), q);
    assert_ne!(test_matrix(50, 12, 7, 4), q);
    assert_ne!(test_matrix(50, 12, 8, 3), q);
    // The Gaussian draws have mean ≈ 0 and variance ≈ 1.
    let g = gaussian_matrix(200, 50, 1, 0);
    let n = 10_000.0;
    let mean: f64 = (0..50)
        .flat_map(|j| (0..200).map(move |i| (i, j)))
        .map(|(i, j)| g[(i, j)])
        .sum::<f64>()
        / n;
    let var: f64 = (0..50)
        .flat_map(|j| (0..200).map(move |i| (i, j)))
        .map(|(i, j)| (g[(i, j)] - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!(
        mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
        "{mean} {var}"
    );
}

/// With s = P the approximation is exact (up to the shift ν), so `P⁻¹(A + μI)` is
/// `(λ̂_P + μ) I`: condition number 1, and CG stops after one or two iterations.
#[test]
fn full_rank_sketch_makes_the_operator_a_multiple_of_the_identity() {
    let (j, _) = known(60, 25, 25, 1e2, 11);
    let (a, mut pre) = build(&j, 25, 5);
    let mu = 1e-3;
    let lambda = pre.eigenvalues().to_vec();
    // Λ̂ are the eigenvalues of A = JᵀJ: 1 down to 1e-4.
    assert!(
        (lambda[0] - 1.0).abs() < 1e-12 && (lambda[24] - 1e-4).abs() < 1e-12,
        "{lambda:?}"
    );
    let m = dense_inverse(&mut pre, mu);
    let mut shifted = a.clone();
    for i in 0..25 {
        shifted[(i, i)] += mu;
    }
    let prod = &m * &shifted;
    let scale = lambda[24] + mu;
    for i in 0..25 {
        for k in 0..25 {
            let want = if i == k { scale } else { 0.0 };
            assert!((prod[(i, k)] - want).abs() < 1e-10 * scale, "{i},{k}");
        }
    }
    let (iterations, stop, rel) = cg_iterations(&a, mu, Some(&mut pre), 1e-10);
    assert_eq!(stop, CgStop::Residual);
    assert!(iterations <= 2, "{iterations}");
    assert!(rel < 1e-9, "{rel}");
}

/// `P⁻¹` is symmetric positive definite, also when s exceeds the rank of J (the shift
/// keeps the core definite; the surplus eigenvalues are clipped to 0).
#[test]
fn preconditioner_is_spd_and_survives_rank_deficiency() {
    for (rank, s) in [(30, 20), (10, 20), (0, 5)] {
        let j = if rank == 0 {
            Mat::zeros(50, 30)
        } else {
            known(50, 30, rank, 1e3, 2).0
        };
        let (a, mut pre) = build(&j, s, 9);
        assert!(pre.shift() > 0.0);
        let lambda = pre.eigenvalues();
        assert!(lambda.windows(2).all(|w| w[0] >= w[1]) && lambda.iter().all(|&l| l >= 0.0));
        for &l in &lambda[rank.min(s)..] {
            assert!(l < 1e-12, "rank {rank}: surplus eigenvalue {l}");
        }
        for mu in [1e-8, 1e-2, 10.0] {
            let m = dense_inverse(&mut pre, mu);
            let asym = (&m - m.transpose()).norm_l2();
            assert!(asym < 1e-13 * m.norm_l2(), "asymmetry {asym}");
            let eig = m.self_adjoint_eigenvalues(Side::Lower).unwrap();
            assert!(eig[0] > 0.0 && eig.iter().all(|e| e.is_finite()), "{eig:?}");
            let (_, stop, rel) = cg_iterations(&a, mu, Some(&mut pre), 1e-9);
            assert_eq!(stop, CgStop::Residual, "rank {rank}, s {s}, μ {mu}");
            assert!(rel < 1e-8, "rank {rank}, s {s}, μ {mu}: {rel}");
        }
    }
}

/// Singular values of J log-spaced from 1 down to 1e-8 (P = 200), μ = 1e-8: plain CG
/// needs hundreds of iterations, the rank-120 Nyström preconditioner a handful.
#[test]
fn nystrom_cuts_cg_iterations_on_an_ill_conditioned_problem() {
    let (j, _) = known(300, 200, 200, 1e8, 3);
    let (a, mut pre) = build(&j, 120, 1);
    let mu = 1e-8;
    let (plain, plain_stop, plain_rel) = cg_iterations(&a, mu, None, 1e-8);
    let (fast, fast_stop, fast_rel) = cg_iterations(&a, mu, Some(&mut pre), 1e-8);
    assert_eq!(fast_stop, CgStop::Residual);
    assert!(fast_rel < 1e-7, "{fast_rel}");
    assert!(
        plain_stop != CgStop::Residual || plain_rel < 1e-7,
        "{plain_stop:?} {plain_rel}"
    );
    assert!(plain >= 10 * fast, "plain {plain}, Nyström {fast}");
}

#[test]
fn non_finite_sketch_is_an_error() {
    let omega = test_matrix(10, 3, 0, 0);
    let mut y = omega.clone();
    y[(4, 1)] = f64::NAN;
    let mut pre = NystromPreconditioner::new(10, 3);
    assert_eq!(
        pre.build(omega.as_ref(), y.as_ref()),
        Err(LinearSolveError::NonFinite)
    );
}
