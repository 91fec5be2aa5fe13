//! Preconditioned conjugate gradients, matrix-free, allocation-free (the
//! scratch vectors are allocated once by the caller and reused for every solve).
//!
//! # Math
//! Solves `Ax = b` for SPD `A` given only `v ↦ Av` (Hestenes & Stiefel 1952), with a
//! diagonal (Jacobi) preconditioner `M⁻¹`. In exact arithmetic it terminates in at most
//! `n` iterations. Stopping rules, after Ceres `conjugate_gradients_solver.h`:
//! relative residual `‖b − Ax‖ ≤ tol‖b‖`; iteration cap; Nash–Sofer quadratic progress
//! `i · (Qᵢ − Qᵢ₋₁)/Qᵢ < q_tol` with `Q(x) = ½xᵀAx − bᵀx = −½ xᵀ(b + r)` (Nash & Sofer
//! 1990), which needs no extra product. The residual is recomputed from scratch every
//! `recompute_every` iterations to stop drift.

/// CG parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct CgParams {
    /// Iteration cap.
    pub max_iterations: usize,
    /// Relative residual tolerance.
    pub relative_residual_tolerance: f64,
    /// Quadratic-progress tolerance (0 disables the test).
    pub quadratic_progress_tolerance: f64,
    /// Recompute `r = b − Ax` every this many iterations (Ceres: 10).
    pub recompute_every: usize,
}

impl Default for CgParams {
    fn default() -> Self {
        Self {
            max_iterations: 1000,
            relative_residual_tolerance: 1e-12,
            quadratic_progress_tolerance: 0.0,
            recompute_every: 10,
        }
    }
}

/// Why CG stopped successfully.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgStop {
    /// Relative residual below tolerance.
    Residual,
    /// Quadratic progress stalled.
    QuadraticProgress,
    /// Iteration cap (the iterate is still the best available).
    IterationLimit,
}

/// CG statistics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CgInfo {
    /// Iterations run (operator applications after the initial residual).
    pub iterations: usize,
    /// Final `‖b − Ax‖/‖b‖`.
    pub relative_residual: f64,
    /// Stop reason.
    pub stop: CgStop,
}

/// A CG failure.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum CgError {
    /// `pᵀAp ≤ 0`: the operator is not positive definite along `p`.
    #[error("CG met non-positive curvature at iteration {iteration}")]
    NonPositiveCurvature {
        /// Iteration index.
        iteration: usize,
    },
    /// NaN or ±∞ appeared.
    #[error("CG produced non-finite values at iteration {iteration}")]
    NonFinite {
        /// Iteration index.
        iteration: usize,
    },
}

/// Scratch vectors, allocated once per problem size.
pub struct CgScratch {
    r: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    ap: Vec<f64>,
}

impl CgScratch {
    /// Scratch for systems of size `n`.
    pub fn new(n: usize) -> Self {
        Self {
            r: vec![0.0; n],
            z: vec![0.0; n],
            p: vec![0.0; n],
            ap: vec![0.0; n],
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    faer::ColRef::from_slice(a).norm_l2()
}

/// Runs PCG on `A x = b` from the initial guess in `x`. `apply(v, out)` writes `Av`;
/// `inv_diag` is `M⁻¹` (Jacobi) or `None`.
///
/// # Errors
/// [`CgError`] on non-positive curvature or non-finite values; `x` then holds the last
/// finite iterate.
pub fn conjugate_gradient(
    apply: impl FnMut(&[f64], &mut [f64]),
    inv_diag: Option<&[f64]>,
    b: &[f64],
    x: &mut [f64],
    params: &CgParams,
    s: &mut CgScratch,
) -> Result<CgInfo, CgError> {
    assert!(inv_diag.is_none_or(|d| d.len() == b.len()));
    let precondition = |r: &[f64], z: &mut [f64]| match inv_diag {
        Some(d) => z
            .iter_mut()
            .zip(r)
            .zip(d)
            .for_each(|((z, r), d)| *z = r * d),
        None => z.copy_from_slice(r),
    };
    preconditioned_conjugate_gradient(apply, precondition, b, x, params, s)
}

/// Runs PCG on `A x = b` from the initial guess in `x` with any SPD preconditioner:
/// `precondition(r, z)` writes `z = M⁻¹r` (e.g. a Nyström preconditioner, see
/// [`crate::linalg::nystrom`]).
///
/// # Errors
/// As [`conjugate_gradient`].
pub fn preconditioned_conjugate_gradient(
    mut apply: impl FnMut(&[f64], &mut [f64]),
    mut precondition: impl FnMut(&[f64], &mut [f64]),
    b: &[f64],
    x: &mut [f64],
    params: &CgParams,
    s: &mut CgScratch,
) -> Result<CgInfo, CgError> {
    let n = b.len();
    assert!(x.len() == n && s.r.len() == n);
    let bnorm = norm(b);
    if bnorm == 0.0 {
        x.fill(0.0);
        return Ok(CgInfo {
            iterations: 0,
            relative_residual: 0.0,
            stop: CgStop::Residual,
        });
    }
    apply(x, &mut s.ap);
    for ((r, b), ap) in s.r.iter_mut().zip(b).zip(&s.ap) {
        *r = b - ap;
    }
    let mut rel = norm(&s.r) / bnorm;
    if rel <= params.relative_residual_tolerance {
        return Ok(CgInfo {
            iterations: 0,
            relative_residual: rel,
            stop: CgStop::Residual,
        });
    }
    precondition(&s.r, &mut s.z);
    s.p.copy_from_slice(&s.z);
    let mut rz = dot(&s.r, &s.z);
    let mut q_prev = -0.5
        * x.iter()
            .zip(b)
            .zip(&s.r)
            .map(|((x, b), r)| x * (b + r))
            .sum::<f64>();
    for it in 1..=params.max_iterations {
        apply(&s.p, &mut s.ap);
        let pap = dot(&s.p, &s.ap);
        if !pap.is_finite() {
            return Err(CgError::NonFinite { iteration: it });
        }
        if pap <= 0.0 {
            return Err(CgError::NonPositiveCurvature { iteration: it });
        }
        let alpha = rz / pap;
        for (x, p) in x.iter_mut().zip(&s.p) {
            *x += alpha * p;
        }
        if it % params.recompute_every.max(1) == 0 {
            apply(x, &mut s.ap);
            for ((r, b), ap) in s.r.iter_mut().zip(b).zip(&s.ap) {
                *r = b - ap;
            }
        } else {
            for i in 0..n {
                s.r[i] -= alpha * s.ap[i];
            }
        }
        rel = norm(&s.r) / bnorm;
        if !rel.is_finite() {
            return Err(CgError::NonFinite { iteration: it });
        }
        if rel <= params.relative_residual_tolerance {
            return Ok(CgInfo {
                iterations: it,
                relative_residual: rel,
                stop: CgStop::Residual,
            });
        }
        let q = -0.5
            * x.iter()
                .zip(b)
                .zip(&s.r)
                .map(|((x, b), r)| x * (b + r))
                .sum::<f64>();
        if params.quadratic_progress_tolerance > 0.0
            && q < 0.0
            && it as f64 * (q - q_prev) / q < params.quadratic_progress_tolerance
        {
            return Ok(CgInfo {
                iterations: it,
                relative_residual: rel,
                stop: CgStop::QuadraticProgress,
            });
        }
        q_prev = q;
        precondition(&s.r, &mut s.z);
        let rz_new = dot(&s.r, &s.z);
        let beta = rz_new / rz;
        rz = rz_new;
        for i in 0..n {
            s.p[i] = s.z[i] + beta * s.p[i];
        }
    }
    Ok(CgInfo {
        iterations: params.max_iterations,
        relative_residual: rel,
        stop: CgStop::IterationLimit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::test_matrices::known;
    use faer::Mat;

    fn spd(n: usize, cond: f64, seed: u64) -> Mat<f64> {
        let (j, _) = known(n, n, n, cond.sqrt(), seed);
        let mut a = j.transpose() * &j;
        // A little diagonal variation so the Jacobi preconditioner has work to do.
        for i in 0..n {
            a[(i, i)] += 1e-3 * (1.0 + i as f64);
        }
        a
    }

    #[test]
    fn converges_in_at_most_n_iterations_matrix_free() {
        for (n, seed) in [(5, 1), (20, 2), (40, 3)] {
            let a = spd(n, 1e2, seed);
            let b: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
            let params = CgParams {
                max_iterations: n + 5,
                relative_residual_tolerance: 1e-10,
                ..CgParams::default()
            };
            for precond in [false, true] {
                let inv: Vec<f64> = (0..n).map(|i| 1.0 / a[(i, i)]).collect();
                let mut x = vec![0.0; n];
                let mut s = CgScratch::new(n);
                let info = conjugate_gradient(
                    |v, out| {
                        for i in 0..n {
                            out[i] = (0..n).map(|k| a[(i, k)] * v[k]).sum();
                        }
                    },
                    precond.then_some(&inv[..]),
                    &b,
                    &mut x,
                    &params,
                    &mut s,
                )
                .unwrap();
                // ≤ n in exact arithmetic; finite-precision CG loses orthogonality
                // (Greenbaum 1997), measured 24 iterations for n = 20 here: allow n/5 + 2.
                assert!(
                    info.iterations <= n + n / 5 + 2,
                    "n={n} precond={precond}: {info:?}"
                );
                assert_eq!(info.stop, CgStop::Residual);
                // Independent residual check.
                let res: f64 = (0..n)
                    .map(|i| ((0..n).map(|k| a[(i, k)] * x[k]).sum::<f64>() - b[i]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                let bn: f64 = b.iter().map(|v| v * v).sum::<f64>().sqrt();
                assert!(res / bn < 1e-9, "{res}");
            }
        }
    }

    #[test]
    fn warm_start_at_solution_takes_zero_iterations() {
        let a = spd(6, 10.0, 9);
        let xs: Vec<f64> = (0..6).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..6)
            .map(|i| (0..6).map(|k| a[(i, k)] * xs[k]).sum())
            .collect();
        let mut x = xs.clone();
        let info = conjugate_gradient(
            |v, out| (0..6).for_each(|i| out[i] = (0..6).map(|k| a[(i, k)] * v[k]).sum()),
            None,
            &b,
            &mut x,
            &CgParams::default(),
            &mut CgScratch::new(6),
        )
        .unwrap();
        assert_eq!(info.iterations, 0);
    }

    #[test]
    fn indefinite_operator_is_reported() {
        let mut x = vec![0.0; 2];
        let e = conjugate_gradient(
            |v, out| {
                out[0] = v[0];
                out[1] = -v[1];
            },
            None,
            &[0.0, 1.0],
            &mut x,
            &CgParams::default(),
            &mut CgScratch::new(2),
        );
        assert_eq!(e, Err(CgError::NonPositiveCurvature { iteration: 1 }));
    }

    #[test]
    fn iteration_cap_and_quadratic_progress() {
        let a = spd(30, 1e8, 4);
        let b = vec![1.0; 30];
        let apply = |v: &[f64], out: &mut [f64]| {
            (0..30).for_each(|i| out[i] = (0..30).map(|k| a[(i, k)] * v[k]).sum())
        };
        let mut x = vec![0.0; 30];
        let p = CgParams {
            max_iterations: 3,
            relative_residual_tolerance: 1e-14,
            ..CgParams::default()
        };
        let info =
            conjugate_gradient(apply, None, &b, &mut x, &p, &mut CgScratch::new(30)).unwrap();
        assert_eq!((info.iterations, info.stop), (3, CgStop::IterationLimit));
        let mut x = vec![0.0; 30];
        let p = CgParams {
            max_iterations: 1000,
            relative_residual_tolerance: 1e-300,
            quadratic_progress_tolerance: 0.5,
            ..CgParams::default()
        };
        let info =
            conjugate_gradient(apply, None, &b, &mut x, &p, &mut CgScratch::new(30)).unwrap();
        assert_eq!(info.stop, CgStop::QuadraticProgress);
    }
}
