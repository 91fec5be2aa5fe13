//! Points of a multi-face block read from a file, grouped by the face they lie on.

use faer::Mat;

use crate::geometry::{BoxDomain, Face};

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
                    "point {} of the file lies on none of the block's faces",
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
