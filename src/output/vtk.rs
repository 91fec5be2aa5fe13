//! The evaluation points of a result as a VTK point cloud for ParaView, VisIt or any
//! VTK reader: one vertex cell per point and, as point data, the network solution per
//! output and, with an exact solution, `exact_<output>` and `error_<output>`.
//!
//! Two encodings: the XML `UnstructuredGrid` (`.vtu`, VTK's current format) and the
//! legacy ASCII format (`.vtk`), for older tools. Both are ASCII with every f64 in its
//! shortest exact form, so nothing is lost. VTK points have three coordinates: fewer
//! variables are padded with zeros, more are cut to the first three; every variable is
//! also a point-data array under its own name, so none is lost either.

use std::fmt::Write as _;

use faer::Mat;

use super::result::Evaluation;

/// The named point-data arrays of `e`: the variables, the outputs, and with an exact
/// solution `exact_<output>` and `error_<output>`, each one value per point.
pub fn point_arrays(e: &Evaluation) -> Vec<(String, Vec<f64>)> {
    let col = |m: &Mat<f64>, j: usize| (0..m.nrows()).map(|i| m[(i, j)]).collect::<Vec<_>>();
    let mut arrays: Vec<(String, Vec<f64>)> = e
        .variables
        .iter()
        .enumerate()
        .map(|(j, v)| (v.clone(), col(&e.points, j)))
        .collect();
    arrays.extend(
        e.outputs
            .iter()
            .enumerate()
            .map(|(j, o)| (o.clone(), col(&e.u, j))),
    );
    if let (Some(ex), Some(err)) = (&e.u_exact, e.error()) {
        for (j, o) in e.outputs.iter().enumerate() {
            arrays.push((format!("exact_{o}"), col(ex, j)));
        }
        for (j, o) in e.outputs.iter().enumerate() {
            arrays.push((format!("error_{o}"), col(&err, j)));
        }
    }
    arrays
}

/// The 3-D position of point `i`: its first three coordinates, padded with zeros.
fn xyz(points: &Mat<f64>, i: usize) -> [f64; 3] {
    let mut p = [0.0; 3];
    for (j, c) in p.iter_mut().enumerate().take(points.ncols()) {
        *c = points[(i, j)];
    }
    p
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `e` as a VTK XML `UnstructuredGrid` file (`.vtu`) with ASCII data.
pub fn vtu_text(e: &Evaluation) -> String {
    let m = e.points.nrows();
    let mut x = String::new();
    let _ = write!(
        x,
        "<?xml version=\"1.0\"?>\n\
         <VTKFile type=\"UnstructuredGrid\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n\
         \x20 <UnstructuredGrid>\n\
         \x20   <Piece NumberOfPoints=\"{m}\" NumberOfCells=\"{m}\">\n\
         \x20     <PointData>\n"
    );
    for (name, values) in point_arrays(e) {
        let _ = writeln!(
            x,
            "        <DataArray type=\"Float64\" Name=\"{}\" format=\"ascii\">",
            escape(&name)
        );
        push_numbers(&mut x, values.iter().copied());
        x.push_str("        </DataArray>\n");
    }
    x.push_str(
        "      </PointData>\n      <Points>\n        \
         <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n",
    );
    push_numbers(&mut x, (0..m).flat_map(|i| xyz(&e.points, i)));
    x.push_str(
        "        </DataArray>\n      </Points>\n      <Cells>\n        \
         <DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">\n",
    );
    push_ints(&mut x, 0..m);
    x.push_str(
        "        </DataArray>\n        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n",
    );
    push_ints(&mut x, 1..=m);
    // Cell type 1 is VTK_VERTEX.
    x.push_str(
        "        </DataArray>\n        <DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n",
    );
    push_ints(&mut x, std::iter::repeat_n(1, m));
    x.push_str(
        "        </DataArray>\n      </Cells>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n",
    );
    x
}

/// `e` as a legacy VTK file (`.vtk`, version 3.0, ASCII, `UNSTRUCTURED_GRID`). Array
/// names cannot hold whitespace there; problem variable and output names never do.
pub fn legacy_vtk_text(e: &Evaluation, title: &str) -> String {
    let m = e.points.nrows();
    let title: String = title.chars().filter(|c| *c != '\n').take(255).collect();
    let mut x = format!(
        "# vtk DataFile Version 3.0\n{title}\nASCII\nDATASET UNSTRUCTURED_GRID\nPOINTS {m} double\n"
    );
    push_numbers(&mut x, (0..m).flat_map(|i| xyz(&e.points, i)));
    let _ = writeln!(x, "CELLS {m} {}", 2 * m);
    for i in 0..m {
        let _ = writeln!(x, "1 {i}");
    }
    let _ = writeln!(x, "CELL_TYPES {m}");
    push_ints(&mut x, std::iter::repeat_n(1, m));
    let _ = writeln!(x, "POINT_DATA {m}");
    for (name, values) in point_arrays(e) {
        let _ = write!(x, "SCALARS {name} double 1\nLOOKUP_TABLE default\n");
        push_numbers(&mut x, values.iter().copied());
    }
    x
}

/// Numbers six to a line in their shortest exact form (`NaN` as `nan`, which VTK reads).
fn push_numbers(x: &mut String, values: impl Iterator<Item = f64>) {
    for (k, v) in values.enumerate() {
        x.push_str(if k % 6 == 0 { "          " } else { " " });
        if v.is_nan() {
            x.push_str("nan");
        } else {
            let _ = write!(x, "{v:?}");
        }
        if k % 6 == 5 {
            x.push('\n');
        }
    }
    if !x.ends_with('\n') {
        x.push('\n');
    }
}

fn push_ints(x: &mut String, values: impl Iterator<Item = usize>) {
    for (k, v) in values.enumerate() {
        x.push_str(if k % 12 == 0 { "          " } else { " " });
        let _ = write!(x, "{v}");
        if k % 12 == 11 {
            x.push('\n');
        }
    }
    if !x.ends_with('\n') {
        x.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Evaluation {
        let pts = Mat::from_fn(7, 2, |i, j| i as f64 * 0.1 + j as f64);
        let u = Mat::from_fn(7, 1, |i, _| (i as f64).sin());
        let ex = Mat::from_fn(7, 1, |i, _| (i as f64).sin() + 1e-9);
        Evaluation::new(
            vec!["x".into(), "y".into()],
            vec!["u".into()],
            pts,
            u,
            Some(ex),
        )
    }

    /// The numbers between `start` and the next `end` marker.
    fn numbers_after(text: &str, start: &str, end: &str) -> Vec<f64> {
        let from = text.find(start).unwrap() + start.len();
        let rest = &text[from..];
        let to = rest.find(end).unwrap_or(rest.len());
        rest[..to]
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect()
    }

    #[test]
    fn vtu_holds_padded_points_vertices_and_every_array_bitwise() {
        let e = sample();
        let text = vtu_text(&e);
        let pts = numbers_after(&text, "NumberOfComponents=\"3\" format=\"ascii\">", "<");
        assert_eq!(pts.len(), 21);
        assert_eq!(
            (pts[3], pts[4], pts[5]),
            (e.points[(1, 0)], e.points[(1, 1)], 0.0)
        );
        let err = numbers_after(&text, "Name=\"error_u\" format=\"ascii\">", "<");
        let want = e.error().unwrap();
        assert_eq!(err, (0..7).map(|i| want[(i, 0)]).collect::<Vec<_>>());
        let offsets = numbers_after(&text, "Name=\"offsets\" format=\"ascii\">", "<");
        assert_eq!(offsets, (1..=7).map(f64::from).collect::<Vec<_>>());
        for name in ["\"x\"", "\"y\"", "\"u\"", "\"exact_u\"", "\"error_u\""] {
            assert!(text.contains(&format!("Name={name}")), "{name}");
        }
    }

    #[test]
    fn legacy_vtk_has_sections_of_the_right_length() {
        let e = sample();
        let text = legacy_vtk_text(&e, "poisson2d\nresult");
        assert!(text.starts_with("# vtk DataFile Version 3.0\npoisson2dresult\nASCII\n"));
        let pts = numbers_after(&text, "POINTS 7 double\n", "CELLS");
        assert_eq!(pts.len(), 21);
        let u = numbers_after(
            &text,
            "SCALARS u double 1\nLOOKUP_TABLE default\n",
            "SCALARS",
        );
        assert_eq!(u, (0..7).map(|i| e.u[(i, 0)]).collect::<Vec<_>>());
        assert!(text.contains("CELLS 7 14\n1 0\n"));
    }
}
