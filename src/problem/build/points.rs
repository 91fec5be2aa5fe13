//! Where a block's points come from: a sampler and a count, or a file. Points read from
//! a file must lie where the block needs them: inside the box for interior points, on
//! one of the block's faces for a condition. A point counts as on a face when its
//! coordinate normal to the face is within [`FACE_TOLERANCE`] × the interval's length
//! of the bound (files written with fewer digits than f64 keeps still load); it is then
//! moved onto the face exactly, since the residuals of a face use its bound.

use std::path::Path;

use faer::Mat;
use toml::Spanned;

use super::Builder;
use crate::geometry::{self, BoxDomain, Face, Sampler};
use crate::problem::error::InputError;
use crate::problem::points_file::read_points;
use crate::problem::sampling::BlockSampling;
use crate::problem::spec::PointsSpec;

/// How far from a face, relative to the length of the face's interval, a point read
/// from a file may lie and still count as on the face.
pub const FACE_TOLERANCE: f64 = 1e-9;

impl Builder<'_> {
    pub(super) fn sampler(
        &self,
        p: &Spanned<PointsSpec>,
        default: Sampler,
    ) -> Result<Sampler, InputError> {
        match &p.get_ref().sampler {
            None => Ok(default),
            Some(s) => match s.get_ref().as_str() {
                "uniform" => Ok(Sampler::Uniform),
                "lhs" | "latin_hypercube" => Ok(Sampler::LatinHypercube),
                "sobol" => Ok(Sampler::Sobol),
                "grid" => Ok(Sampler::Grid { include_boundary: true }),
                "grid_interior" => Ok(Sampler::Grid { include_boundary: false }),
                other => Err(self.err(s.span(), format!("unknown sampler `{other}`: expected uniform, lhs, sobol, grid or grid_interior"))),
            },
        }
    }

    pub(super) fn count(&self, p: &Spanned<PointsSpec>) -> Result<usize, InputError> {
        match &p.get_ref().count {
            None => Err(self.err(p.span(), "points need `count` (or `file`)")),
            Some(c) if *c.get_ref() < 1 => Err(self.err(
                c.span(),
                format!("`count` must be ≥ 1, found {}", c.get_ref()),
            )),
            Some(c) => Ok(*c.get_ref() as usize),
        }
    }

    /// The points of a block or of the evaluation set: from a file, or sampled.
    pub(super) fn points(
        &self,
        p: &Spanned<PointsSpec>,
        domain: &BoxDomain,
        faces: &[Face],
        default_seed: u64,
    ) -> Result<(Mat<f64>, BlockSampling), InputError> {
        let spec = p.get_ref();
        let sampler = self.sampler(p, Sampler::Uniform)?;
        let seed = spec.seed.unwrap_or(default_seed);
        if let Some(f) = &spec.file {
            if spec.count.is_some() {
                return Err(self.err(p.span(), "give either `count` or `file`, not both"));
            }
            let file = self
                .path
                .parent()
                .unwrap_or(Path::new("."))
                .join(f.get_ref());
            let dataset = spec.dataset.as_ref().map(|d| d.get_ref().as_str());
            let pts =
                read_points(&file, dataset, domain.dim()).map_err(|e| self.err(f.span(), e))?;
            let pts = on_the_block(pts, domain, faces)
                .map_err(|m| self.err(f.span(), format!("`{}`: {m}", f.get_ref())))?;
            let count = pts.nrows();
            return Ok((
                pts,
                BlockSampling {
                    faces: faces.to_vec(),
                    sampler,
                    count,
                    seed,
                    from_file: true,
                    adaptive: None,
                    weights: None,
                },
            ));
        }
        let count = self.count(p)?;
        let pts = if faces.is_empty() {
            geometry::sample_interior(domain, sampler, count, seed)
        } else {
            geometry::sample_faces(domain, faces, sampler, count, seed)
        }
        .map_err(|e| self.err(p.span(), e.to_string()))?;
        Ok((
            pts,
            BlockSampling {
                faces: faces.to_vec(),
                sampler,
                count,
                seed,
                from_file: false,
                adaptive: None,
                weights: None,
            },
        ))
    }
}

/// Points read from a file, reordered so that they come grouped by face in the order of
/// `faces` (a point on an edge counts for the first face listed), with the rows per face.
pub(super) fn group_by_face(
    pts: &Mat<f64>,
    domain: &BoxDomain,
    faces: &[Face],
) -> Result<(Mat<f64>, Vec<usize>), String> {
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(pts.nrows());
    for i in 0..pts.nrows() {
        let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
        let k = faces
            .iter()
            .position(|&f| domain.on_face(f, &x))
            .ok_or_else(|| {
                format!(
                    "row {} of the file lies on none of the block's faces",
                    i + 1
                )
            })?;
        order.push((k, i));
    }
    order.sort_by_key(|&(k, i)| (k, i));
    let mut counts = vec![0; faces.len()];
    for &(k, _) in &order {
        counts[k] += 1;
    }
    let grouped = Mat::from_fn(pts.nrows(), pts.ncols(), |r, j| pts[(order[r].1, j)]);
    Ok((grouped, counts))
}

/// The points of a file checked against the block: inside the box, and for a block on
/// `faces` on one of them (within [`FACE_TOLERANCE`], then moved onto it exactly).
fn on_the_block(mut pts: Mat<f64>, domain: &BoxDomain, faces: &[Face]) -> Result<Mat<f64>, String> {
    let names: Vec<String> = faces.iter().map(|f| f.name(domain)).collect();
    for i in 0..pts.nrows() {
        let x: Vec<f64> = (0..pts.ncols()).map(|j| pts[(i, j)]).collect();
        if !domain.contains(&x) {
            return Err(format!("row {} ({x:?}) lies outside the domain", i + 1));
        }
        if faces.is_empty() {
            continue;
        }
        let on = faces.iter().find(|f| {
            let (lo, hi) = (domain.lo()[f.axis], domain.hi()[f.axis]);
            let bound = if f.upper { hi } else { lo };
            (x[f.axis] - bound).abs() <= FACE_TOLERANCE * (hi - lo)
        });
        let Some(face) = on else {
            return Err(format!(
                "row {} ({x:?}) lies on none of the block's faces ({}): a coordinate must be \
                 within {FACE_TOLERANCE:e} × the interval's length of its bound",
                i + 1,
                names.join(", ")
            ));
        };
        let bound = if face.upper {
            domain.hi()[face.axis]
        } else {
            domain.lo()[face.axis]
        };
        pts[(i, face.axis)] = bound;
    }
    Ok(pts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_square() -> BoxDomain {
        BoxDomain::new(["x", "y"], &[0.0, 0.0], &[1.0, 2.0]).unwrap()
    }

    #[test]
    fn interior_points_must_be_inside_the_box() {
        let d = unit_square();
        let pts = Mat::from_fn(2, 2, |i, j| [[0.5, 1.0], [0.5, 2.5]][i][j]);
        let e = on_the_block(pts, &d, &[]).unwrap_err();
        assert!(e.starts_with("row 2 ([0.5, 2.5]) lies outside"), "{e}");
    }

    #[test]
    fn face_points_within_the_tolerance_are_moved_onto_the_face() {
        let d = unit_square();
        let top = Face {
            axis: 1,
            upper: true,
        };
        let pts = Mat::from_fn(1, 2, |_, j| [0.25, 2.0 - 1e-10][j]);
        let out = on_the_block(pts, &d, &[top]).unwrap();
        assert_eq!(out[(0, 1)], 2.0);
        assert!(d.on_face(top, &[out[(0, 0)], out[(0, 1)]]));
    }

    #[test]
    fn a_point_off_every_face_names_its_row_and_the_faces() {
        let d = unit_square();
        let faces = [
            Face {
                axis: 0,
                upper: false,
            },
            Face {
                axis: 1,
                upper: true,
            },
        ];
        let pts = Mat::from_fn(3, 2, |i, j| [[0.0, 0.3], [0.2, 2.0], [0.5, 1.9]][i][j]);
        let e = on_the_block(pts, &d, &faces).unwrap_err();
        assert!(e.starts_with("row 3 ([0.5, 1.9]) lies on none"), "{e}");
        assert!(e.contains("x_min, y_max"), "{e}");
    }
}
