//! Tensor-product grids in a box and on its faces.
//!
//! Along one axis `[lo, hi]` with `m` points:
//! - **with the boundary**: `x_i = lo + (hi − lo)·i/(m − 1)`, `i = 0, …, m − 1` (both
//!   ends, `m ≥ 2`);
//! - **without the boundary**: `x_i = lo + (hi − lo)·i/(m + 1)`, `i = 1, …, m` (strictly
//!   inside).
//!
//! The two are nested: the interior grid with `m` points is the grid with the boundary
//! and `m + 2` points minus its two ends. This reproduces the grids of the ENGD paper
//! (Müller & Zeinhofer 2023, "Achieving high accuracy with PINNs via energy natural
//! gradients", Poisson example): 28 × 28 interior points `(i/29, j/29)`, and 116
//! boundary points, the points of the 30 × 30 grid with the boundary that lie on
//! `∂[0, 1]²` (`30² − 28² = 4·29`).
//!
//! **Face grids.** A face grid lists the points of a tensor grid of the whole box that
//! lie on the chosen faces, each point once:
//! - with the boundary, the grid with the boundary and `m_a` points on axis `a`; a point
//!   on several chosen faces (an edge or corner) is listed once, under the first chosen
//!   face that contains it. Count: `Π_a m_a − Π_a (m_a − s_a)`, `s_a ∈ {0, 1, 2}` the
//!   number of chosen faces normal to axis `a`.
//! - without the boundary, on each chosen face the interior grid of that face (`m_a`
//!   points on each axis `a` along the face), so edges and corners are never included
//!   and no point is shared. Count: `Σ_faces Π_{a ≠ axis} m_a`.

use super::domain::{BoxDomain, Face};
use super::error::GeometryError;
use faer::Mat;

/// The `m` grid nodes of `[lo, hi]`, with or without the two ends (module docs). The
/// ends are exactly `lo` and `hi`, and every node lies in `[lo, hi]`.
pub(crate) fn axis_nodes(lo: f64, hi: f64, m: usize, include_ends: bool) -> Vec<f64> {
    let (offset, intervals) = if include_ends {
        (0, m.saturating_sub(1).max(1))
    } else {
        (1, m + 1)
    };
    let width = hi - lo;
    (0..m)
        .map(|i| {
            let j = i + offset;
            if j == intervals {
                // The upper end exactly (`lo + width` may round past or short of `hi`).
                hi
            } else {
                // `lo + (j·w)/m'`: one product and one division, so on [0, 1] node `j`
                // is the correctly rounded `j/m'`.
                (lo + (j as f64 * width) / intervals as f64).clamp(lo, hi)
            }
        })
        .collect()
}

fn check_axes(domain: &BoxDomain, per_axis: &[usize]) -> Result<(), GeometryError> {
    if per_axis.len() != domain.dim() {
        return Err(GeometryError::GridAxes {
            dim: domain.dim(),
            got: per_axis.len(),
        });
    }
    Ok(())
}

fn check_coarse(
    domain: &BoxDomain,
    per_axis: &[usize],
    skip: Option<usize>,
) -> Result<(), GeometryError> {
    for (a, &m) in per_axis.iter().enumerate() {
        if Some(a) != skip && m < 2 {
            return Err(GeometryError::GridTooCoarse {
                name: domain.names()[a].clone(),
                got: m,
            });
        }
    }
    Ok(())
}

fn too_large(per_axis: &[usize]) -> GeometryError {
    GeometryError::GridTooLarge {
        per_axis: per_axis.to_vec(),
    }
}

/// `Π counts`, or `None` on overflow.
fn checked_product(counts: impl IntoIterator<Item = usize>) -> Option<usize> {
    counts.into_iter().try_fold(1usize, |p, m| p.checked_mul(m))
}

/// Number of points of [`grid_interior`]: `Π_a m_a`.
pub(crate) fn interior_count(per_axis: &[usize]) -> Option<usize> {
    checked_product(per_axis.iter().copied())
}

/// Rows of [`grid_faces`] that belong to each face, in the order of `faces`:
/// face `i` lists its grid points that lie on no earlier chosen face,
/// `Π_{a ≠ axis_i} (m_a − e_a)` with `e_a` the number of earlier chosen faces normal to
/// axis `a` (with the boundary), or its interior grid `Π_{a ≠ axis_i} m_a` (without).
/// Their sum equals the closed forms in the module docs. `None` on overflow, or if an
/// axis along a face has fewer points than the chosen faces it would have to lose.
pub(crate) fn face_rows(
    per_axis: &[usize],
    faces: &[Face],
    include_boundary: bool,
) -> Option<Vec<usize>> {
    faces
        .iter()
        .enumerate()
        .map(|(i, face)| {
            let earlier = if include_boundary { &faces[..i] } else { &[] };
            checked_product_opt((0..per_axis.len()).filter(|&a| a != face.axis).map(|a| {
                let e = earlier.iter().filter(|g| g.axis == a).count();
                per_axis[a].checked_sub(e)
            }))
        })
        .collect()
}

/// `Π counts` over counts that may already be `None`; `None` on overflow.
fn checked_product_opt(counts: impl IntoIterator<Item = Option<usize>>) -> Option<usize> {
    counts
        .into_iter()
        .try_fold(1usize, |p, m| p.checked_mul(m?))
}

/// Number of points of [`grid_faces`]: the sum of [`face_rows`].
pub(crate) fn faces_count(
    per_axis: &[usize],
    faces: &[Face],
    include_boundary: bool,
) -> Option<usize> {
    face_rows(per_axis, faces, include_boundary)?
        .into_iter()
        .try_fold(0usize, |s, r| s.checked_add(r))
}

/// Calls `visit` with every multi-index of the tensor product of `sizes`, last axis
/// fastest.
fn for_each_index(sizes: &[usize], mut visit: impl FnMut(&[usize])) {
    if sizes.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; sizes.len()];
    loop {
        visit(&idx);
        let mut a = sizes.len();
        loop {
            if a == 0 {
                return;
            }
            a -= 1;
            idx[a] += 1;
            if idx[a] < sizes[a] {
                break;
            }
            idx[a] = 0;
        }
    }
}

/// The tensor grid of the box with `per_axis[a]` points on axis `a` (module docs for
/// the node positions), in lexicographic order (last coordinate fastest).
///
/// Errors: `per_axis.len() != d`; fewer than 2 points on an axis when
/// `include_boundary`; more points than fit in `usize`. A zero count without the
/// boundary gives an empty `0 × d` matrix.
pub fn grid_interior(
    domain: &BoxDomain,
    per_axis: &[usize],
    include_boundary: bool,
) -> Result<Mat<f64>, GeometryError> {
    check_axes(domain, per_axis)?;
    if include_boundary {
        check_coarse(domain, per_axis, None)?;
    }
    let n = interior_count(per_axis).ok_or_else(|| too_large(per_axis))?;
    let nodes: Vec<Vec<f64>> = (0..domain.dim())
        .map(|a| {
            axis_nodes(
                domain.lo()[a],
                domain.hi()[a],
                per_axis[a],
                include_boundary,
            )
        })
        .collect();
    let mut out = Mat::zeros(n, domain.dim());
    let mut row = 0;
    for_each_index(per_axis, |idx| {
        for (a, &i) in idx.iter().enumerate() {
            out[(row, a)] = nodes[a][i];
        }
        row += 1;
    });
    Ok(out)
}

/// The grid points on the chosen `faces` (module docs), grouped by face in the order
/// given, each face's points in lexicographic order. `per_axis[a]` sets the points along
/// axis `a` on the chosen faces that run along it; it is unused if every chosen face is
/// normal to `a`.
///
/// Errors: bad `per_axis` length, faces out of range or repeated, fewer than 2 points
/// on an axis along a chosen face when `include_boundary`, too many points.
pub fn grid_faces(
    domain: &BoxDomain,
    faces: &[Face],
    per_axis: &[usize],
    include_boundary: bool,
) -> Result<Mat<f64>, GeometryError> {
    check_axes(domain, per_axis)?;
    super::sampler::check_faces(domain, faces)?;
    if include_boundary {
        for f in faces {
            check_coarse(domain, per_axis, Some(f.axis))?;
        }
    }
    let n = faces_count(per_axis, faces, include_boundary).ok_or_else(|| too_large(per_axis))?;
    let d = domain.dim();
    let mut out = Mat::zeros(n, d);
    let nodes: Vec<Vec<f64>> = (0..d)
        .map(|a| {
            axis_nodes(
                domain.lo()[a],
                domain.hi()[a],
                per_axis[a],
                include_boundary,
            )
        })
        .collect();
    let mut row = 0;
    for (k, &face) in faces.iter().enumerate() {
        let earlier = &faces[..k];
        let mut sizes = per_axis.to_vec();
        sizes[face.axis] = 1;
        let fixed = domain.face_value(face);
        for_each_index(&sizes, |idx| {
            let x = |a: usize| {
                if a == face.axis {
                    fixed
                } else {
                    nodes[a][idx[a]]
                }
            };
            // With the boundary, a point already listed under an earlier chosen face
            // (it has that face's coordinate at its end) is skipped. Without the
            // boundary no node is at an end, so nothing is skipped.
            let shared = include_boundary
                && earlier.iter().any(|g| {
                    let end = if g.upper { per_axis[g.axis] - 1 } else { 0 };
                    g.axis != face.axis && idx[g.axis] == end
                });
            if !shared {
                for a in 0..d {
                    out[(row, a)] = x(a);
                }
                row += 1;
            }
        });
    }
    debug_assert_eq!(row, n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_square() -> BoxDomain {
        BoxDomain::new(["x", "y"], &[0.0; 2], &[1.0; 2]).unwrap()
    }

    #[test]
    fn axis_nodes_are_the_documented_fractions() {
        assert_eq!(axis_nodes(0.0, 1.0, 5, true), [0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(axis_nodes(0.0, 1.0, 3, false), [0.25, 0.5, 0.75]);
        assert_eq!(axis_nodes(-1.0, 0.5, 4, true), [-1.0, -0.5, 0.0, 0.5]);
        let n = axis_nodes(0.0, 1.0, 30, true);
        assert!((0..30).all(|i| n[i] == i as f64 / 29.0));
        let n = axis_nodes(-0.1, 0.3, 7, true);
        assert_eq!((n[0], n[6]), (-0.1, 0.3));
        assert!(n.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn engd_interior_grid_is_i_over_29() {
        let g = grid_interior(&unit_square(), &[28, 28], false).unwrap();
        assert_eq!(g.nrows(), 784);
        for i in 0..28 {
            for j in 0..28 {
                let r = 28 * i + j;
                assert_eq!(g[(r, 0)], (i + 1) as f64 / 29.0);
                assert_eq!(g[(r, 1)], (j + 1) as f64 / 29.0);
            }
        }
    }

    #[test]
    fn boundary_grid_has_no_duplicate_corners() {
        let d = unit_square();
        let g = grid_faces(&d, &d.faces(), &[30, 30], true).unwrap();
        assert_eq!(g.nrows(), 116);
        let mut keys: Vec<(i64, i64)> = (0..g.nrows())
            .map(|r| {
                (
                    (g[(r, 0)] * 29.0).round() as i64,
                    (g[(r, 1)] * 29.0).round() as i64,
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 116);
        // Exactly the 30x30 grid points with some coordinate at 0 or 29.
        assert!(
            keys.iter()
                .all(|&(i, j)| i == 0 || i == 29 || j == 0 || j == 29)
        );
        for c in [(0, 0), (0, 29), (29, 0), (29, 29)] {
            assert!(keys.contains(&c));
        }
    }

    #[test]
    fn counts_match_the_formulas_in_3d() {
        let d = BoxDomain::new(["x", "y", "z"], &[0.0; 3], &[1.0, 2.0, 3.0]).unwrap();
        let all = d.faces();
        // The whole surface of a 4x5x6 grid: 120 − 2·3·4 = 96 points.
        assert_eq!(grid_faces(&d, &all, &[4, 5, 6], true).unwrap().nrows(), 96);
        // Faces x_min and y_max only: 120 − 3·4·6 = 48.
        let two = [all[0], all[3]];
        assert_eq!(grid_faces(&d, &two, &[4, 5, 6], true).unwrap().nrows(), 48);
        // Without the boundary: 2·(5·6) + 2·(4·6) + 2·(4·5) = 148.
        assert_eq!(
            grid_faces(&d, &all, &[4, 5, 6], false).unwrap().nrows(),
            148
        );
        assert_eq!(faces_count(&[4, 5, 6], &all, false), Some(148));
        // Rows per face with the boundary: x_min keeps all 5·6, x_max too, y_min loses
        // the two x-ends (2·6), y_max as well, z_min keeps 2·3, z_max 2·3.
        assert_eq!(
            face_rows(&[4, 5, 6], &all, true),
            Some(vec![30, 30, 12, 12, 6, 6])
        );
        // Only x-faces chosen: the x count is irrelevant, even below 2.
        let xs = [all[0], all[1]];
        assert_eq!(grid_faces(&d, &xs, &[1, 5, 6], true).unwrap().nrows(), 60);
    }

    #[test]
    fn bad_grids_are_typed_errors() {
        let d = unit_square();
        assert!(matches!(
            grid_interior(&d, &[3], false),
            Err(GeometryError::GridAxes { dim: 2, got: 1 })
        ));
        assert!(matches!(
            grid_interior(&d, &[1, 3], true),
            Err(GeometryError::GridTooCoarse { .. })
        ));
        assert!(matches!(
            grid_interior(&d, &[usize::MAX, 3], false),
            Err(GeometryError::GridTooLarge { .. })
        ));
        assert_eq!(grid_interior(&d, &[0, 3], false).unwrap().nrows(), 0);
        assert!(matches!(
            grid_faces(&d, &d.faces(), &[1, 30], true),
            Err(GeometryError::GridTooCoarse { .. })
        ));
    }
}
