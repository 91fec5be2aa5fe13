//! Test support for residual models: a least-squares problem's exact Jacobian against
//! central differences, and its matrix-free products against the matrix.

use faer::Mat;
use pinn_solvers::LeastSquares;

/// Checks at `theta` that the residuals of [`LeastSquares::residuals_and_jacobian`] are
/// those of [`LeastSquares::residuals`] (to 1e-14 relative), that every Jacobian entry
/// matches the central difference `(r(θ + h e_q) − r(θ − h e_q)) / 2h`, `h = 1e-6`, to
/// 1e-7 relative (the truncation error is `O(h²)`, the rounding `O(ε / h)`), and that
/// `J·v` and `Jᵀ·w` equal the products with the matrix (to 1e-12 relative). Returns the
/// residuals and the Jacobian.
pub(crate) fn assert_exact_jacobian(
    problem: &impl LeastSquares,
    theta: &[f64],
) -> (Vec<f64>, Mat<f64>) {
    let (n, p) = (problem.n_residuals(), problem.n_params());
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, p);
    problem.residuals_and_jacobian(theta, &mut r, jac.as_mut());
    let mut r0 = vec![0.0; n];
    problem.residuals(theta, &mut r0);
    for (i, (a, b)) in r.iter().zip(&r0).enumerate() {
        assert!(
            (a - b).abs() <= 1e-14 * (1.0 + b.abs()),
            "r {i}: {a} vs {b}"
        );
    }
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    for q in 0..p {
        let (mut tp, mut tm) = (theta.to_vec(), theta.to_vec());
        tp[q] += h;
        tm[q] -= h;
        let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
        problem.residuals(&tp, &mut rp);
        problem.residuals(&tm, &mut rm);
        for i in 0..n {
            let fd = (rp[i] - rm[i]) / (2.0 * h);
            worst = worst.max((fd - jac[(i, q)]).abs() / (1.0 + fd.abs()));
        }
    }
    assert!(worst < 1e-7, "worst relative Jacobian error {worst:e}");
    let v: Vec<f64> = (0..p).map(|q| ((q * 5 % 11) as f64 - 5.0) / 7.0).collect();
    let w: Vec<f64> = (0..n).map(|i| ((i * 3 % 7) as f64 - 3.0) / 5.0).collect();
    let (mut jv, mut jtw) = (vec![0.0; n], vec![0.0; p]);
    problem.jvp(theta, &v, &mut jv);
    problem.vjp(theta, &w, &mut jtw);
    for i in 0..n {
        let want: f64 = (0..p).map(|q| jac[(i, q)] * v[q]).sum();
        assert!(
            (jv[i] - want).abs() <= 1e-12 * (1.0 + want.abs()),
            "J·v {i}"
        );
    }
    for q in 0..p {
        let want: f64 = (0..n).map(|i| jac[(i, q)] * w[i]).sum();
        assert!(
            (jtw[q] - want).abs() <= 1e-12 * (1.0 + want.abs()),
            "Jᵀ·w {q}"
        );
    }
    (r, jac)
}
