//! Optional XDMF sidecar so ParaView (its "XDMF Reader") or VisIt can open the
//! evaluation grid of a result file directly.
//!
//! XDMF is an XML description of heavy data kept in HDF5 (<https://www.xdmf.org>): here
//! one point cloud (`Polyvertex` topology) whose geometry is `/evaluation/points` and
//! whose point data are the columns of `/evaluation/u` and, when present,
//! `/evaluation/error` and `/evaluation/u_exact`. A column of an `[M, m]` dataset is
//! selected with an XDMF `HyperSlab` (start `(0, j)`, stride `(1, 1)`, count `(M, 1)`).
//! The sidecar refers to the result file by its file name, so both must stay in the same
//! directory. Only 2-D and 3-D points have an XDMF geometry type (`XY`, `XYZ`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::atomic::write_bytes_atomic;
use super::error::OutputError;
use super::result::Evaluation;

/// The XDMF text describing `e` as stored in the HDF5 file named `h5_name` (a name
/// relative to the sidecar's directory). `None` when the points are not 2-D or 3-D.
pub fn xdmf_text(h5_name: &str, e: &Evaluation) -> Option<String> {
    let (m, d, k) = (e.points.nrows(), e.points.ncols(), e.u.ncols());
    let geometry = match d {
        2 => "XY",
        3 => "XYZ",
        _ => return None,
    };
    let file = escape(h5_name);
    let mut x = String::new();
    let _ = write!(
        x,
        r#"<?xml version="1.0" ?>
<Xdmf Version="3.0">
  <Domain>
    <Grid Name="evaluation" GridType="Uniform">
      <Topology TopologyType="Polyvertex" NumberOfElements="{m}"/>
      <Geometry GeometryType="{geometry}">
        <DataItem Dimensions="{m} {d}" NumberType="Float" Precision="8" Format="HDF">{file}:/evaluation/points</DataItem>
      </Geometry>
"#
    );
    let mut datasets = vec![("u", "")];
    if e.u_exact.is_some() {
        datasets.push(("error", "error_"));
        datasets.push(("u_exact", "exact_"));
    }
    for (dataset, prefix) in datasets {
        for (j, output) in e.outputs.iter().enumerate() {
            let name = escape(&format!("{prefix}{output}"));
            let _ = write!(
                x,
                r#"      <Attribute Name="{name}" AttributeType="Scalar" Center="Node">
        <DataItem ItemType="HyperSlab" Dimensions="{m} 1" Type="HyperSlab">
          <DataItem Dimensions="3 2" Format="XML">0 {j} 1 1 {m} 1</DataItem>
          <DataItem Dimensions="{m} {k}" NumberType="Float" Precision="8" Format="HDF">{file}:/evaluation/{dataset}</DataItem>
        </DataItem>
      </Attribute>
"#
            );
        }
    }
    x.push_str("    </Grid>\n  </Domain>\n</Xdmf>\n");
    Some(x)
}

/// Writes `<result stem>.xmf` beside `result_path` (atomically) describing the
/// evaluation grid `e` of that result file. Returns the sidecar's path, or `None` (and
/// writes nothing) when the points are not 2-D or 3-D.
///
/// # Errors
/// [`OutputError::Io`] if the file cannot be written or `result_path` has no file name.
pub fn write_xdmf_sidecar(
    result_path: &Path,
    e: &Evaluation,
) -> Result<Option<PathBuf>, OutputError> {
    let name = result_path.file_name().ok_or_else(|| OutputError::Io {
        path: result_path.to_path_buf(),
        op: "take file name",
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
    })?;
    let Some(text) = xdmf_text(&name.to_string_lossy(), e) else {
        return Ok(None);
    };
    let sidecar = result_path.with_extension("xmf");
    write_bytes_atomic(&sidecar, text.as_bytes())?;
    Ok(Some(sidecar))
}

/// XML escaping for attribute values and text.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    fn eval(d: usize, exact: bool) -> Evaluation {
        let names = ["x", "y", "z", "w"];
        Evaluation::new(
            names[..d].iter().map(|s| s.to_string()).collect(),
            vec!["u".into(), "v<&>".into()],
            Mat::zeros(5, d),
            Mat::zeros(5, 2),
            exact.then(|| Mat::zeros(5, 2)),
        )
    }

    #[test]
    fn describes_every_output_column() {
        let x = xdmf_text("run & co.h5", &eval(3, true)).unwrap();
        assert!(x.contains(r#"GeometryType="XYZ""#));
        assert!(x.contains(r#"Dimensions="5 3" NumberType="Float" Precision="8" Format="HDF">run &amp; co.h5:/evaluation/points<"#));
        for name in [
            "u",
            "v&lt;&amp;&gt;",
            "error_u",
            "error_v&lt;&amp;&gt;",
            "exact_u",
        ] {
            assert!(
                x.contains(&format!(r#"<Attribute Name="{name}""#)),
                "{name}\n{x}"
            );
        }
        assert!(
            x.contains("0 1 1 1 5 1</DataItem>"),
            "second column selected"
        );
        assert_eq!(x.matches("<Attribute ").count(), 6);
        let x = xdmf_text("r.h5", &eval(2, false)).unwrap();
        assert!(x.contains(r#"GeometryType="XY""#));
        assert_eq!(x.matches("<Attribute ").count(), 2);
    }

    #[test]
    fn no_sidecar_without_an_xdmf_geometry() {
        assert!(xdmf_text("r.h5", &eval(1, false)).is_none());
        assert!(xdmf_text("r.h5", &eval(4, false)).is_none());
        let dir = std::env::temp_dir().join(format!("pinn-xdmf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            write_xdmf_sidecar(&dir.join("r.h5"), &eval(1, true)).unwrap(),
            None
        );
        let p = write_xdmf_sidecar(&dir.join("r.h5"), &eval(2, true))
            .unwrap()
            .unwrap();
        assert_eq!(p, dir.join("r.xmf"));
        assert!(std::fs::read_to_string(&p).unwrap().starts_with("<?xml"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
