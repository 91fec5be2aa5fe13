//! Points read from a CSV file, so that a run can use exactly the points another
//! program used.
//!
//! Format: one point per line, `d` comma-separated numbers; an optional first line of
//! column names (any line whose first field is not a number); `#` starts a comment.

use std::path::Path;

use faer::Mat;

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
