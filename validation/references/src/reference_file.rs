//! The reference file: a solution tabulated at points, in HDF5.
//!
//! Layout (read by `pinn`'s `[reference]` section, documented in
//! `docs/problem-files.md`):
//! - root attributes: `format = "pinn-reference"`, `format_version = 1`, `problem`,
//!   `method` (how the values were computed, one paragraph), `command` (how to
//!   regenerate the file);
//! - `/points`: f64 `[N, d]`, one row per point, attribute `variables` (names in column
//!   order);
//! - `/values`: f64 `[N, m]`, the solution at those points, attribute `outputs`.
//!
//! The file is written to a temporary name in the same directory and renamed, so an
//! interrupted run never leaves a truncated reference behind.

use std::path::Path;

use hdf5_pure::{AttrValue, FileBuilder};

/// Root attribute `format`.
pub const FORMAT_NAME: &str = "pinn-reference";

/// A solution tabulated at points.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Problem name (the `name` of the problem file).
    pub problem: String,
    /// How the values were computed.
    pub method: String,
    /// How to regenerate the file.
    pub command: String,
    /// Variable names, in column order of `points`.
    pub variables: Vec<String>,
    /// Output names, in column order of `values`.
    pub outputs: Vec<String>,
    /// `N × d`, row-major.
    pub points: Vec<f64>,
    /// `N × m`, row-major.
    pub values: Vec<f64>,
}

impl Reference {
    /// Number of points `N`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.points.len() / self.variables.len().max(1)
    }

    /// Whether there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Writes `r` to `path` atomically (temporary file in the same directory, then rename).
///
/// # Errors
/// A message naming the failing step: inconsistent shapes, non-finite values, HDF5
/// encoding, or file system errors.
pub fn write(path: &Path, r: &Reference) -> Result<(), String> {
    let (d, m) = (r.variables.len(), r.outputs.len());
    let n = r.len();
    if d == 0 || m == 0 || n == 0 || r.points.len() != n * d || r.values.len() != n * m {
        return Err(format!(
            "inconsistent reference: {} variables, {} outputs, {} point values, {} solution values",
            d,
            m,
            r.points.len(),
            r.values.len()
        ));
    }
    if let Some(i) = r.values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "value {} at row {} is not finite",
            r.values[i],
            i / m
        ));
    }
    let vstr = |s: &str| AttrValue::VarLenString(s.to_string());
    let mut fb = FileBuilder::new();
    fb.set_attr("format", vstr(FORMAT_NAME));
    fb.set_attr("format_version", AttrValue::I64(1));
    fb.set_attr("problem", vstr(&r.problem));
    fb.set_attr("method", vstr(&r.method));
    fb.set_attr("command", vstr(&r.command));
    fb.create_dataset("points")
        .with_f64_data(&r.points)
        .with_shape(&[n as u64, d as u64])
        .set_attr(
            "variables",
            AttrValue::VarLenStringArray(r.variables.clone()),
        );
    fb.create_dataset("values")
        .with_f64_data(&r.values)
        .with_shape(&[n as u64, m as u64])
        .set_attr("outputs", AttrValue::VarLenStringArray(r.outputs.clone()));
    let bytes = fb.finish().map_err(|e| format!("encode HDF5: {e}"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("`{}` has no file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&tmp, &bytes).map_err(|e| format!("write `{}`: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("rename to `{}`: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_inconsistent_shapes_and_non_finite_values() {
        let mut r = Reference {
            problem: "p".into(),
            method: "m".into(),
            command: "c".into(),
            variables: vec!["t".into(), "x".into()],
            outputs: vec!["u".into()],
            points: vec![0.0, 0.5, 1.0, 0.5],
            values: vec![1.0, 2.0],
        };
        let dir = std::env::temp_dir().join(format!("pinn-ref-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.h5");
        write(&path, &r).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
        r.values.push(3.0);
        assert!(write(&path, &r).unwrap_err().starts_with("inconsistent"));
        r.values = vec![1.0, f64::NAN];
        assert!(write(&path, &r).unwrap_err().contains("row 1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
