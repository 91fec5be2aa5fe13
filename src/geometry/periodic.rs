//! Periodic pairing: matching points on opposite faces.
//!
//! A periodic condition in coordinate `a` ties `u(x)` on the face `x_a = lo_a` to `u`
//! at the point with the same other coordinates on `x_a = hi_a` (and likewise for
//! derivatives). Its residual block evaluates both rows `i` of a pair of point sets.

use super::domain::{BoxDomain, Face};
use super::error::GeometryError;
use super::sampler::{Sampler, sample_face};
use faer::Mat;

/// The points on the upper face of `axis` that match `lower` row by row: a copy of
/// `lower` with column `axis` set to `hi_axis`.
///
/// Errors: `axis` out of range; a row whose `axis` coordinate is not exactly `lo_axis`
/// or that lies outside the box (it is then not on the lower face).
///
/// # Panics
/// If `lower.ncols() != d` (shape contract).
pub fn periodic_image(
    domain: &BoxDomain,
    axis: usize,
    lower: &Mat<f64>,
) -> Result<Mat<f64>, GeometryError> {
    let face = Face { axis, upper: false };
    domain.check_face(face)?;
    assert_eq!(lower.ncols(), domain.dim(), "points must have d columns");
    let mut row = vec![0.0; domain.dim()];
    for i in 0..lower.nrows() {
        for (a, v) in row.iter_mut().enumerate() {
            *v = lower[(i, a)];
        }
        if !domain.on_face(face, &row) {
            return Err(GeometryError::NotOnFace {
                row: i,
                name: domain.names()[axis].clone(),
                value: row[axis],
                expected: domain.lo()[axis],
                face: face.name(domain),
            });
        }
    }
    let mut upper = lower.clone();
    let hi = domain.hi()[axis];
    for i in 0..upper.nrows() {
        upper[(i, axis)] = hi;
    }
    Ok(upper)
}

/// `n` point pairs for a periodic condition in `axis`: `sampler` on the lower face (as
/// [`sample_face`]) and their [`periodic_image`] on the upper face.
pub fn sample_periodic_pair(
    domain: &BoxDomain,
    axis: usize,
    sampler: Sampler,
    n: usize,
    seed: u64,
) -> Result<(Mat<f64>, Mat<f64>), GeometryError> {
    let lower = sample_face(domain, Face { axis, upper: false }, sampler, n, seed)?;
    let upper = periodic_image(domain, axis, &lower)?;
    Ok((lower, upper))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_moves_only_the_periodic_coordinate() {
        let d = BoxDomain::new(["x", "t"], &[-1.0, 0.0], &[1.0, 2.0]).unwrap();
        let (lo, hi) = sample_periodic_pair(&d, 0, Sampler::Uniform, 20, 3).unwrap();
        assert_eq!((hi.nrows(), hi.ncols()), (20, 2));
        for i in 0..20 {
            assert_eq!((lo[(i, 0)], hi[(i, 0)]), (-1.0, 1.0));
            assert_eq!(lo[(i, 1)], hi[(i, 1)]);
        }
    }

    #[test]
    fn rejects_points_off_the_lower_face() {
        let d = BoxDomain::new(["x", "y"], &[0.0; 2], &[1.0; 2]).unwrap();
        let pts = Mat::from_fn(3, 2, |i, j| {
            if j == 0 && i == 2 {
                1e-17
            } else {
                0.5 * j as f64
            }
        });
        let err = periodic_image(&d, 0, &pts).unwrap_err();
        assert!(
            matches!(err, GeometryError::NotOnFace { row: 2, .. }),
            "{err}"
        );
        assert!(matches!(
            periodic_image(&d, 2, &pts),
            Err(GeometryError::FaceOutOfRange { axis: 2, dim: 2 })
        ));
    }
}
