//! Points read from a CSV or HDF5 file, so that a run can use exactly the points another
//! program used; and reference solutions tabulated at points (`[reference]`).
//!
//! CSV: one point per line, `d` comma-separated numbers; an optional first line of
//! column names (any line whose first field is not a number); `#` starts a comment.
//!
//! HDF5 (`.h5`, `.hdf5`): a 2-D f64 dataset of shape `[N, d]` (default name `points`;
//! any path such as `evaluation/points` of a pinn result file), read with the same
//! pure-Rust HDF5 library that writes result files. Only f64 is accepted: points
//! stored in f32 have already lost the digits a 1e-8 verification needs.

use std::collections::HashMap;
use std::path::Path;

use faer::Mat;
use hdf5_pure::{AttrValue, DType, File};

/// Whether `path` names an HDF5 file (by extension).
#[must_use]
pub fn is_hdf5(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "h5" | "hdf5" | "he5"))
}

/// Reads an `N × d` point matrix from a CSV file, or from the dataset `dataset`
/// (default `points`) of an HDF5 file.
///
/// # Errors
/// A message naming the file (and line or dataset) and what was wrong.
pub fn read_points(path: &Path, dataset: Option<&str>, d: usize) -> Result<Mat<f64>, String> {
    if is_hdf5(path) {
        let (m, _) = read_hdf5_matrix(path, dataset.unwrap_or("points"), d)?;
        Ok(m)
    } else if let Some(ds) = dataset {
        Err(format!(
            "`dataset = \"{ds}\"` needs an HDF5 file (.h5 or .hdf5); `{}` is read as CSV",
            path.display()
        ))
    } else {
        read_points_csv(path, d)
    }
}

/// A reference solution: `points` (`N × d`) and the solution `values` (`N × m`) there.
#[derive(Debug, Clone)]
pub struct ReferenceTable {
    /// `N × d`.
    pub points: Mat<f64>,
    /// `N × m`.
    pub values: Mat<f64>,
    /// How the values were computed (the HDF5 `method` attribute; empty for CSV).
    pub method: String,
}

/// Reads a reference solution: from an HDF5 file with datasets `points` `[N, d]` and
/// `values` `[N, m]` (their `variables` and `outputs` attributes, when present, must
/// match `variables` and `outputs`), or from a CSV file with `d + m` columns (the
/// variables, then the outputs).
///
/// # Errors
/// A message naming the file and what was wrong.
pub fn read_reference(
    path: &Path,
    variables: &[String],
    outputs: &[String],
) -> Result<ReferenceTable, String> {
    let (d, m) = (variables.len(), outputs.len());
    if !is_hdf5(path) {
        let all = read_points_csv(path, d + m)?;
        return Ok(ReferenceTable {
            points: Mat::from_fn(all.nrows(), d, |i, j| all[(i, j)]),
            values: Mat::from_fn(all.nrows(), m, |i, k| all[(i, d + k)]),
            method: String::new(),
        });
    }
    let (points, pattrs) = read_hdf5_matrix(path, "points", d)?;
    let (values, vattrs) = read_hdf5_matrix(path, "values", m)?;
    if points.nrows() != values.nrows() {
        return Err(format!(
            "`{}`: {} points but {} rows of values",
            path.display(),
            points.nrows(),
            values.nrows()
        ));
    }
    for (attrs, ds, key, want) in [
        (&pattrs, "points", "variables", variables),
        (&vattrs, "values", "outputs", outputs),
    ] {
        if let Some(found) = attrs.get(key).and_then(AttrValue::as_strings)
            && found != want
        {
            return Err(format!(
                "`{}`: dataset `{ds}` has {key} {found:?}, but the problem has {want:?}",
                path.display()
            ));
        }
    }
    let method = guarded(path, || {
        let f = File::open(path).map_err(|e| e.to_string())?;
        let attrs = f.root().attrs().map_err(|e| e.to_string())?;
        Ok(attrs
            .get("method")
            .and_then(AttrValue::as_str)
            .unwrap_or("")
            .to_string())
    })?;
    Ok(ReferenceTable {
        points,
        values,
        method,
    })
}

/// Runs `f`, turning a panic of the HDF5 parser on a malformed file into an error.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    crate::output::hdf5::catch_parser_panic(f, |m| {
        format!("the HDF5 reader failed on a malformed file ({m})")
    })
    .map_err(|e| {
        if e.starts_with('`') {
            e
        } else {
            format!("`{}`: {e}", path.display())
        }
    })
}

/// Reads the f64 dataset `name` of the HDF5 file at `path` as an `N × cols` matrix
/// (shape `[N, cols]`, or `[N]` when `cols = 1`), with its attributes. Every value must
/// be finite.
fn read_hdf5_matrix(
    path: &Path,
    name: &str,
    cols: usize,
) -> Result<(Mat<f64>, HashMap<String, AttrValue>), String> {
    guarded(path, || {
        let f = File::open(path).map_err(|e| format!("cannot open as HDF5: {e}"))?;
        let ds = f
            .dataset(name.trim_start_matches('/'))
            .map_err(|e| format!("no dataset `{name}`: {e}"))?;
        match ds.dtype().map_err(|e| e.to_string())? {
            DType::F64 => {}
            other => {
                return Err(format!(
                    "dataset `{name}` holds {other}, expected f64 (pinn reads points in f64 only)"
                ));
            }
        }
        let shape = ds.shape().map_err(|e| e.to_string())?;
        let n = match shape.as_slice() {
            [n, c] if *c as usize == cols => *n as usize,
            [n] if cols == 1 => *n as usize,
            _ => {
                return Err(format!(
                    "dataset `{name}` has shape {shape:?}, expected [N, {cols}]"
                ));
            }
        };
        if n == 0 {
            return Err(format!("dataset `{name}` holds no points"));
        }
        let data = ds.read_f64().map_err(|e| e.to_string())?;
        if data.len() != n * cols {
            return Err(format!(
                "dataset `{name}`: element count does not match its shape"
            ));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "dataset `{name}`: row {} holds {}, not a finite number",
                i / cols + 1,
                data[i]
            ));
        }
        let attrs = ds.attrs().map_err(|e| e.to_string())?;
        Ok((Mat::from_fn(n, cols, |i, j| data[i * cols + j]), attrs))
    })
}

/// Reads an `N × d` point matrix from the CSV file at `path`.
///
/// # Errors
/// A message naming the file, the line and what was wrong: unreadable file, a row with
/// the wrong number of fields, a field that is not a finite number, no points at all.
pub fn read_points_csv(path: &Path, d: usize) -> Result<Mat<f64>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read points file `{}`: {e}", path.display()))?;
    parse_points_csv(&text, d).map_err(|e| format!("points file `{}`: {e}", path.display()))
}

/// Parses CSV text (see the module docs) into an `N × d` matrix.
pub fn parse_points_csv(text: &str, d: usize) -> Result<Mat<f64>, String> {
    let mut rows: Vec<f64> = Vec::new();
    let mut n = 0;
    for (lineno, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if n == 0 && rows.is_empty() && fields[0].parse::<f64>().is_err() {
            continue; // a header line
        }
        if fields.len() != d {
            return Err(format!(
                "line {}: expected {d} numbers, found {} fields",
                lineno + 1,
                fields.len()
            ));
        }
        for f in fields {
            let v: f64 = f
                .parse()
                .map_err(|_| format!("line {}: `{f}` is not a number", lineno + 1))?;
            if !v.is_finite() {
                return Err(format!("line {}: `{f}` is not finite", lineno + 1));
            }
            rows.push(v);
        }
        n += 1;
    }
    if n == 0 {
        return Err("no points".to_string());
    }
    Ok(Mat::from_fn(n, d, |i, j| rows[i * d + j]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_skipping_header_comments_and_blank_lines() {
        let m = parse_points_csv("x, y\n0.5, 0.25 # first\n\n1e-1,2\n", 2).unwrap();
        assert_eq!((m.nrows(), m.ncols()), (2, 2));
        assert_eq!(
            (m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)]),
            (0.5, 0.25, 0.1, 2.0)
        );
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("pinn-points-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn write_h5(path: &Path, build: impl FnOnce(&mut hdf5_pure::FileBuilder)) {
        let mut fb = hdf5_pure::FileBuilder::new();
        build(&mut fb);
        std::fs::write(path, fb.finish().unwrap()).unwrap();
    }

    #[test]
    fn reads_hdf5_points_from_the_default_or_a_nested_dataset() {
        let path = temp("pts.h5");
        write_h5(&path, |fb| {
            fb.create_dataset("points")
                .with_f64_data(&[0.5, 0.25, 0.1, 2.0, 0.3, 0.7])
                .with_shape(&[3, 2]);
            let mut g = fb.create_group("evaluation");
            g.create_dataset("points")
                .with_f64_data(&[1.0, 2.0])
                .with_shape(&[1, 2]);
            fb.add_group(g.finish());
        });
        let m = read_points(&path, None, 2).unwrap();
        assert_eq!((m.nrows(), m[(1, 0)], m[(2, 1)]), (3, 0.1, 0.7));
        let m = read_points(&path, Some("/evaluation/points"), 2).unwrap();
        assert_eq!((m.nrows(), m[(0, 1)]), (1, 2.0));
        let e = read_points(&path, None, 3).unwrap_err();
        assert!(e.contains("shape [3, 2], expected [N, 3]"), "{e}");
        let e = read_points(&path, Some("nope"), 2).unwrap_err();
        assert!(e.contains("no dataset `nope`"), "{e}");
    }

    #[test]
    fn refuses_f32_non_finite_and_non_hdf5_data() {
        let path = temp("bad.h5");
        write_h5(&path, |fb| {
            fb.create_dataset("points")
                .with_f32_data(&[0.5, 0.25])
                .with_shape(&[1, 2]);
            fb.create_dataset("nan")
                .with_f64_data(&[0.5, f64::NAN])
                .with_shape(&[1, 2]);
        });
        let e = read_points(&path, None, 2).unwrap_err();
        assert!(e.contains("expected f64"), "{e}");
        let e = read_points(&path, Some("nan"), 2).unwrap_err();
        assert!(e.contains("row 1 holds NaN"), "{e}");
        let text = temp("text.h5");
        std::fs::write(&text, "0.5, 0.25\n").unwrap();
        let e = read_points(&text, None, 2).unwrap_err();
        assert!(e.contains("cannot open as HDF5"), "{e}");
        let csv = temp("p.csv");
        std::fs::write(&csv, "0.5, 0.25\n").unwrap();
        let e = read_points(&csv, Some("points"), 2).unwrap_err();
        assert!(e.contains("needs an HDF5 file"), "{e}");
    }

    #[test]
    fn reads_references_and_checks_their_names() {
        let vars = ["t".to_string(), "x".to_string()];
        let outs = ["u".to_string()];
        let path = temp("ref.h5");
        write_h5(&path, |fb| {
            fb.set_attr("method", AttrValue::VarLenString("by hand".into()));
            fb.create_dataset("points")
                .with_f64_data(&[0.0, 0.5, 1.0, 0.5])
                .with_shape(&[2, 2])
                .set_attr(
                    "variables",
                    AttrValue::VarLenStringArray(vec!["t".into(), "x".into()]),
                );
            fb.create_dataset("values")
                .with_f64_data(&[3.0, 4.0])
                .with_shape(&[2, 1]);
        });
        let r = read_reference(&path, &vars, &outs).unwrap();
        assert_eq!((r.points[(1, 0)], r.values[(1, 0)]), (1.0, 4.0));
        assert_eq!(r.method, "by hand");
        let swapped = ["x".to_string(), "t".to_string()];
        let e = read_reference(&path, &swapped, &outs).unwrap_err();
        assert!(e.contains("variables [\"t\", \"x\"]"), "{e}");
        let csv = temp("ref.csv");
        std::fs::write(&csv, "t, x, u\n0, 0.5, 3\n1, 0.5, 4\n").unwrap();
        let r = read_reference(&csv, &vars, &outs).unwrap();
        assert_eq!((r.points.nrows(), r.values[(0, 0)]), (2, 3.0));
    }

    #[test]
    fn wrong_field_counts_and_bad_numbers_name_the_line() {
        assert_eq!(
            parse_points_csv("1,2\n3\n", 2).unwrap_err(),
            "line 2: expected 2 numbers, found 1 fields"
        );
        assert_eq!(
            parse_points_csv("1,2\n3,zz\n", 2).unwrap_err(),
            "line 2: `zz` is not a number"
        );
        assert_eq!(
            parse_points_csv("1,nan\n", 2).unwrap_err(),
            "line 1: `nan` is not finite"
        );
        assert_eq!(parse_points_csv("# nothing\n", 2).unwrap_err(), "no points");
    }
}
