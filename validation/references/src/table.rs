//! Tabulating a spectral solution on a (t, x) grid, and measuring a tabulation against
//! a refined one: the shared steps of the KdV and Kuramoto–Sivashinsky generators.

use crate::reference_file::Reference;
use crate::spectral::{C64, Evaluator, Periodic, SpectralError};

/// `n` equally spaced values from `a` to `b`, both included (as NumPy's `linspace`).
#[must_use]
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    crate::burgers::linspace(a, b, n)
}

/// `u` at every `x` of `xs` for each coefficient vector (one row per time).
#[must_use]
pub fn rows(coeffs: &[Vec<C64>], domain: Periodic, xs: &[f64]) -> Vec<Vec<f64>> {
    let Some(first) = coeffs.first() else {
        return Vec::new();
    };
    let e = Evaluator::new(first.len(), domain, xs);
    coeffs.iter().map(|v| e.apply(v)).collect()
}

/// Fourier coefficients per time, and `u` at the tabulated points per time.
pub type Solution = (Vec<Vec<C64>>, Vec<Vec<f64>>);

/// Solves with `solve(n, dt, times)` and tabulates at `xs`.
///
/// # Errors
/// As `solve`.
pub fn solve_rows(
    solve: impl Fn(usize, f64, &[f64]) -> Result<Vec<Vec<C64>>, SpectralError>,
    (n, dt): (usize, f64),
    domain: Periodic,
    times: &[f64],
    xs: &[f64],
) -> Result<Solution, SpectralError> {
    let coeffs = solve(n, dt, times)?;
    let table = rows(&coeffs, domain, xs);
    Ok((coeffs, table))
}

/// Largest `|a − b|` per row.
#[must_use]
pub fn row_differences(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(r, s)| crate::spectral::max_abs_diff(r, s))
        .collect()
}

/// The largest of `values[i]` over the `i` with `times[i] ≤ t_max`.
#[must_use]
pub fn max_up_to(times: &[f64], values: &[f64], t_max: f64) -> f64 {
    times
        .iter()
        .zip(values)
        .filter(|(t, _)| **t <= t_max)
        .map(|(_, v)| *v)
        .fold(0.0, f64::max)
}

/// The reference file contents for `u` tabulated on `times × xs` (rows `(t, x)`, `t`
/// outer), variables `["t", "x"]`, output `["u"]`.
#[must_use]
pub fn grid_reference(
    problem: &str,
    method: String,
    command: String,
    times: &[f64],
    xs: &[f64],
    table: &[Vec<f64>],
) -> Reference {
    let mut points = Vec::with_capacity(2 * times.len() * xs.len());
    for &t in times {
        for &x in xs {
            points.extend([t, x]);
        }
    }
    Reference {
        problem: problem.into(),
        method,
        command,
        variables: vec!["t".into(), "x".into()],
        outputs: vec!["u".into()],
        points,
        values: table.iter().flatten().copied().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_reference_is_t_major_and_row_differences_are_per_time() {
        let r = grid_reference(
            "p",
            "m".into(),
            "c".into(),
            &[0.0, 0.5],
            &[-1.0, 1.0],
            &[vec![1.0, 2.0], vec![3.0, 4.0]],
        );
        assert_eq!(r.points, [0.0, -1.0, 0.0, 1.0, 0.5, -1.0, 0.5, 1.0]);
        assert_eq!(r.values, [1.0, 2.0, 3.0, 4.0]);
        let d = row_differences(
            &[vec![1.0, 2.0], vec![3.0, 4.0]],
            &[vec![1.5, 2.0], vec![3.0, 2.0]],
        );
        assert_eq!(d, [0.5, 2.0]);
        assert_eq!(max_up_to(&[0.0, 0.5], &d, 0.25), 0.5);
        assert_eq!(max_up_to(&[0.0, 0.5], &d, 1.0), 2.0);
    }
}
