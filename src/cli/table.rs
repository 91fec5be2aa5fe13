//! Tables of points and values as text: reading the points `pinn eval` evaluates at
//! (comma- or whitespace-separated, one column per input variable, an optional header
//! naming them) and writing CSV with every f64 in its shortest exact form.

use std::fmt::Write as _;

use faer::Mat;

/// Parses `text` into an `N × d` matrix whose columns are `variables` in order.
///
/// Fields are separated by commas or whitespace; `#` starts a comment; blank lines are
/// skipped. A first line that is not all numbers is a header: it must name every
/// variable exactly once (in any order; the columns are reordered to `variables`).
///
/// # Errors
/// A message naming the line: a wrong number of fields, a field that is not a finite
/// number, a header that does not name the variables, no points at all.
pub fn parse_points(text: &str, variables: &[String]) -> Result<Mat<f64>, String> {
    let d = variables.len();
    let mut order: Vec<usize> = (0..d).collect();
    let mut values: Vec<f64> = Vec::new();
    let mut n = 0;
    let mut first = true;
    for (lineno, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        let at = lineno + 1;
        if std::mem::take(&mut first) && fields.iter().any(|f| f.parse::<f64>().is_err()) {
            order = header_order(&fields, variables).map_err(|e| format!("line {at}: {e}"))?;
            continue;
        }
        if fields.len() != d {
            return Err(format!(
                "line {at}: expected {d} number{} ({}), found {} field{}",
                if d == 1 { "" } else { "s" },
                variables.join(", "),
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ));
        }
        let mut row = vec![0.0; d];
        for (&col, f) in order.iter().zip(&fields) {
            let v: f64 = f
                .parse()
                .map_err(|_| format!("line {at}: `{f}` is not a number"))?;
            if !v.is_finite() {
                return Err(format!("line {at}: `{f}` is not a finite number"));
            }
            row[col] = v;
        }
        values.extend(row);
        n += 1;
    }
    if n == 0 {
        return Err("no points".into());
    }
    Ok(Mat::from_fn(n, d, |i, j| values[i * d + j]))
}

/// For each header field, the variable column it names.
fn header_order(fields: &[&str], variables: &[String]) -> Result<Vec<usize>, String> {
    let expected = variables.join(", ");
    if fields.len() != variables.len() {
        return Err(format!(
            "the header names {} columns ({}), the problem has the variables {expected}",
            fields.len(),
            fields.join(", ")
        ));
    }
    let mut order = Vec::with_capacity(fields.len());
    for f in fields {
        let j = variables
            .iter()
            .position(|v| v == f)
            .ok_or_else(|| format!("`{f}` in the header is not a variable ({expected})"))?;
        if order.contains(&j) {
            return Err(format!("`{f}` appears twice in the header"));
        }
        order.push(j);
    }
    Ok(order)
}

/// CSV text: a header line of `names`, then one line per row of the column blocks
/// `columns` laid side by side (each block `N × k`, all with the same `N`). Numbers are
/// printed in Rust's shortest form that reads back to the same f64.
pub fn csv(names: &[String], columns: &[&Mat<f64>]) -> String {
    let n = columns.first().map_or(0, |m| m.nrows());
    debug_assert!(columns.iter().all(|m| m.nrows() == n));
    debug_assert_eq!(
        names.len(),
        columns.iter().map(|m| m.ncols()).sum::<usize>()
    );
    let mut s = names.join(",");
    s.push('\n');
    for i in 0..n {
        let mut sep = "";
        for m in columns {
            for j in 0..m.ncols() {
                let _ = write!(s, "{sep}{:?}", m[(i, j)]);
                sep = ",";
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_commas_whitespace_comments_and_a_reordering_header() {
        let m = parse_points(
            "y x  # header\n0.25, 0.5\n\n1e-1\t2 # tab\n",
            &vars(&["x", "y"]),
        )
        .unwrap();
        assert_eq!((m.nrows(), m.ncols()), (2, 2));
        assert_eq!((m[(0, 0)], m[(0, 1)]), (0.5, 0.25));
        assert_eq!((m[(1, 0)], m[(1, 1)]), (2.0, 0.1));
        let m = parse_points("1 2\n3 4\n", &vars(&["x", "t"])).unwrap();
        assert_eq!((m[(1, 0)], m[(1, 1)]), (3.0, 4.0));
    }

    #[test]
    fn bad_tables_name_the_line() {
        let v = vars(&["x", "y"]);
        let e = parse_points("x,y\n1,2\n3\n", &v).unwrap_err();
        assert!(
            e.starts_with("line 3: expected 2 numbers (x, y), found 1 field"),
            "{e}"
        );
        let e = parse_points("1,2\n3,abc\n", &v).unwrap_err();
        assert_eq!(e, "line 2: `abc` is not a number");
        let e = parse_points("1,inf\n", &v).unwrap_err();
        assert_eq!(e, "line 1: `inf` is not a finite number");
        let e = parse_points("x,z\n1,2\n", &v).unwrap_err();
        assert!(
            e.starts_with("line 1: `z` in the header is not a variable"),
            "{e}"
        );
        let e = parse_points("x,x\n", &v).unwrap_err();
        assert!(e.contains("twice"), "{e}");
        assert_eq!(parse_points("# nothing\n", &v).unwrap_err(), "no points");
    }

    #[test]
    fn csv_round_trips_every_bit() {
        let a = Mat::from_fn(2, 1, |i, _| 0.1 + i as f64 / 3.0);
        let b = Mat::from_fn(2, 1, |i, _| -1e-300 * (i as f64 + 1.0));
        let text = csv(&vars(&["x", "u"]), &[&a, &b]);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("x,u"));
        for i in 0..2 {
            let f: Vec<f64> = lines
                .next()
                .unwrap()
                .split(',')
                .map(|s| s.parse().unwrap())
                .collect();
            assert_eq!(f, vec![a[(i, 0)], b[(i, 0)]]);
        }
    }
}
