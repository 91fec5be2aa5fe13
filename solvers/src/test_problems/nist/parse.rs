//! Reader of the NIST StRD nonlinear-regression `.dat` format.
//!
//! A file starts with a free-text header that names the line ranges of its parts:
//!
//! ```text
//! File Format:   ASCII
//!                Starting Values   (lines 41 to 42)
//!                Certified Values  (lines 41 to 47)
//!                Data              (lines 61 to 66)
//! ```
//!
//! Lines of the starting-values range read `b1 =  start1  start2  certified  std.dev.`;
//! the certified-values range also holds `Residual Sum of Squares:  <value>`; each line
//! of the data range reads `y x` for one predictor, `y x1 x2 … xk` for `k`. Line numbers
//! are 1-based. Everything is read from those ranges, so the parser does not depend on
//! the column layout of the header text, with one exception: the number of predictors
//! `k` comes from the header line that states it,
//!
//! ```text
//! Data:          1 Response   (y = dialectric breakdown strength)
//!                2 Predictors (x1 = time; x2 = temperature)
//! ```
//!
//! (`1 Predictor (x)`, `1 Predictor Variable (x = pressure)`, … in the single-predictor
//! sets), and without such a line from the first data row. Every data row must then
//! hold exactly `1 + k` numbers.

use std::path::{Path, PathBuf};

/// Why a StRD file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NistError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that was read.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A header field the format requires is absent.
    #[error("missing header field `{0}`")]
    MissingField(&'static str),
    /// A line does not have the form its range requires (a data row with the wrong
    /// number of columns included).
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line number in the file.
        line: usize,
        /// What was expected.
        message: String,
    },
    /// No model function is coded for this data set name.
    #[error("unknown data set `{0}`: no model function is coded for it")]
    UnknownDataSet(String),
    /// The data set has a different number of predictors than the coded model takes.
    #[error("data set `{name}`: the file has {found} predictors, the model takes {expected}")]
    PredictorCount {
        /// Data set name.
        name: String,
        /// Predictors the coded model takes.
        expected: usize,
        /// Predictor columns in the file.
        found: usize,
    },
    /// The file lists a different number of parameters than the coded model has.
    #[error("data set `{name}`: the file lists {found} parameters, the model has {expected}")]
    ParameterCount {
        /// Data set name.
        name: String,
        /// Parameters of the coded model.
        expected: usize,
        /// Parameters listed in the file.
        found: usize,
    },
}

/// NIST's difficulty rating of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difficulty {
    /// "Lower Level of Difficulty".
    Lower,
    /// "Average Level of Difficulty".
    Average,
    /// "Higher Level of Difficulty".
    Higher,
}

impl Difficulty {
    /// The word NIST uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Lower => "lower",
            Difficulty::Average => "average",
            Difficulty::Higher => "higher",
        }
    }
}

/// Which of the two NIST starting points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Start 1 (far from the solution).
    One,
    /// Start 2 (closer).
    Two,
}

/// One parameter row of the starting/certified values table.
#[derive(Debug, Clone, PartialEq)]
pub struct NistParameter {
    /// Name as written in the file (`b1`, `b2`, ...).
    pub name: String,
    /// Start 1 and start 2.
    pub start: [f64; 2],
    /// Certified value.
    pub certified: f64,
    /// Certified standard deviation.
    pub certified_std_dev: f64,
}

/// A parsed StRD nonlinear-regression data set.
#[derive(Debug, Clone, PartialEq)]
pub struct NistDataSet {
    /// Data set name (`"BoxBOD"`, `"Misra1a"`, ...).
    pub name: String,
    /// NIST's difficulty rating.
    pub difficulty: Difficulty,
    /// Parameter table, in order `b1, b2, ...`.
    pub parameters: Vec<NistParameter>,
    /// Certified residual sum of squares `Σ (y_i − f(x_i; b*))²`.
    pub certified_rss: f64,
    /// Predictor values by column: `predictors[j][i]` is predictor `j + 1` (`x` of a
    /// single-predictor set, `x1, x2, …` otherwise) of observation `i`. At least one
    /// column, each as long as [`NistDataSet::y`].
    pub predictors: Vec<Vec<f64>>,
    /// Responses.
    pub y: Vec<f64>,
}

/// The 17 data sets shipped in `data/nist/`.
pub const DATA_SETS: [&str; 17] = [
    "Misra1a", "Chwirut2", "Chwirut1", "Lanczos3", "Gauss1", "Gauss2", "DanWood", "Misra1b",
    "Kirby2", "Hahn1", "MGH17", "Lanczos1", "Gauss3", "MGH09", "Thurber", "BoxBOD", "Rat42",
];

/// `<crate>/data/nist`, where the `.dat` files live.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join("nist")
}

fn parse_number(token: &str, line: usize) -> Result<f64, NistError> {
    token.parse::<f64>().map_err(|_| NistError::Malformed {
        line,
        message: format!("`{token}` is not a number"),
    })
}

/// `(first, last)` of a header entry such as `Data   (lines 61 to 66)`.
fn line_range(lines: &[&str], label: &'static str) -> Result<(usize, usize), NistError> {
    for (k, line) in lines.iter().enumerate() {
        let Some(open) = line.find("(lines") else {
            continue;
        };
        if !line[..open].trim_end().ends_with(label) {
            continue;
        }
        let inner = &line[open + "(lines".len()..];
        let close = inner.find(')').ok_or(NistError::Malformed {
            line: k + 1,
            message: "unclosed `(lines`".into(),
        })?;
        let words: Vec<&str> = inner[..close].split_whitespace().collect();
        if words.len() != 3 || words[1] != "to" {
            return Err(NistError::Malformed {
                line: k + 1,
                message: "expected `(lines A to B)`".into(),
            });
        }
        let first = parse_number(words[0], k + 1)? as usize;
        let last = parse_number(words[2], k + 1)? as usize;
        if first == 0 || last < first || last > lines.len() {
            return Err(NistError::Malformed {
                line: k + 1,
                message: format!(
                    "line range {first}..{last} outside the file ({} lines)",
                    lines.len()
                ),
            });
        }
        return Ok((first, last));
    }
    Err(NistError::MissingField(label))
}

/// `k` of the header line `k Predictor…` (`1 Predictor (x)`, `2 Predictors (x1, x2)`,
/// `1 Predictor Variable (x = …)`), if `header` has one.
fn stated_predictors(header: &[&str]) -> Result<Option<usize>, NistError> {
    for (k, line) in header.iter().enumerate() {
        let line = line.trim_start();
        let line = line.strip_prefix("Data:").unwrap_or(line);
        let mut words = line.split_whitespace();
        let (Some(count), Some(word)) = (words.next(), words.next()) else {
            continue;
        };
        if !word.starts_with("Predictor") {
            continue;
        }
        return match count.parse::<usize>() {
            Ok(c) if c > 0 => Ok(Some(c)),
            _ => Err(NistError::Malformed {
                line: k + 1,
                message: format!("`{count}` is not a positive number of predictors"),
            }),
        };
    }
    Ok(None)
}

/// `y x1 … xk` as written in a message (`y x` for one predictor).
fn row_form(k: usize) -> String {
    if k == 1 {
        "y x".into()
    } else {
        (1..=k).fold("y".to_string(), |s, j| format!("{s} x{j}"))
    }
}

fn parse_parameter(line: &str, number: usize) -> Result<NistParameter, NistError> {
    let (name, rest) = line.split_once('=').ok_or(NistError::Malformed {
        line: number,
        message: "expected `bK = start1 start2 certified std_dev`".into(),
    })?;
    let values = rest
        .split_whitespace()
        .map(|t| parse_number(t, number))
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() != 4 {
        return Err(NistError::Malformed {
            line: number,
            message: format!("expected 4 numbers after `=`, found {}", values.len()),
        });
    }
    Ok(NistParameter {
        name: name.trim().to_string(),
        start: [values[0], values[1]],
        certified: values[2],
        certified_std_dev: values[3],
    })
}

impl NistDataSet {
    /// Parses the text of a StRD `.dat` file.
    pub fn parse(text: &str) -> Result<Self, NistError> {
        let lines: Vec<&str> = text.lines().collect();

        let name = lines
            .iter()
            .find_map(|l| l.trim_start().strip_prefix("Dataset Name:"))
            .and_then(|rest| rest.split_whitespace().next())
            .ok_or(NistError::MissingField("Dataset Name"))?
            .to_string();

        let difficulty = lines
            .iter()
            .find(|l| l.contains("Level of Difficulty"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|w| match w {
                "Lower" => Some(Difficulty::Lower),
                "Average" => Some(Difficulty::Average),
                "Higher" => Some(Difficulty::Higher),
                _ => None,
            })
            .ok_or(NistError::MissingField("Level of Difficulty"))?;

        let (p_first, p_last) = line_range(&lines, "Starting Values")?;
        let parameters = (p_first..=p_last)
            .map(|n| parse_parameter(lines[n - 1], n))
            .collect::<Result<Vec<_>, _>>()?;

        let (c_first, c_last) = line_range(&lines, "Certified Values")?;
        let certified_rss = (c_first..=c_last)
            .find_map(|n| {
                lines[n - 1]
                    .trim_start()
                    .strip_prefix("Residual Sum of Squares:")
                    .map(|rest| (n, rest))
            })
            .ok_or(NistError::MissingField("Residual Sum of Squares"))
            .and_then(|(n, rest)| {
                let token = rest.split_whitespace().next().ok_or(NistError::Malformed {
                    line: n,
                    message: "no value after `Residual Sum of Squares:`".into(),
                })?;
                parse_number(token, n)
            })?;

        let (d_first, d_last) = line_range(&lines, "Data")?;
        let stated = stated_predictors(&lines[..d_first - 1])?;
        let rows = d_last - d_first + 1;
        let mut predictors: Vec<Vec<f64>> = Vec::new();
        let mut y = Vec::with_capacity(rows);
        for n in d_first..=d_last {
            let values = lines[n - 1]
                .split_whitespace()
                .map(|t| parse_number(t, n))
                .collect::<Result<Vec<_>, _>>()?;
            // Without a stated count, the first row sets it (at least one predictor).
            let k = stated.unwrap_or_else(|| {
                if predictors.is_empty() {
                    values.len().saturating_sub(1).max(1)
                } else {
                    predictors.len()
                }
            });
            if values.len() != 1 + k {
                return Err(NistError::Malformed {
                    line: n,
                    message: format!(
                        "expected `{}` ({} numbers), found {} numbers in `{}`",
                        row_form(k),
                        1 + k,
                        values.len(),
                        lines[n - 1].trim()
                    ),
                });
            }
            if predictors.is_empty() {
                predictors = (0..k).map(|_| Vec::with_capacity(rows)).collect();
            }
            y.push(values[0]);
            for (column, &v) in predictors.iter_mut().zip(&values[1..]) {
                column.push(v);
            }
        }

        Ok(NistDataSet {
            name,
            difficulty,
            parameters,
            certified_rss,
            predictors,
            y,
        })
    }

    /// Reads and parses a `.dat` file.
    pub fn load(path: &Path) -> Result<Self, NistError> {
        let text = std::fs::read_to_string(path).map_err(|source| NistError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Reads `data_dir()/<name>.dat`.
    pub fn load_named(name: &str) -> Result<Self, NistError> {
        Self::load(&data_dir().join(format!("{name}.dat")))
    }

    /// The starting point `which`.
    pub fn start(&self, which: Start) -> Vec<f64> {
        let k = match which {
            Start::One => 0,
            Start::Two => 1,
        };
        self.parameters.iter().map(|p| p.start[k]).collect()
    }

    /// The certified parameter values.
    pub fn certified(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.certified).collect()
    }

    /// Number of predictor columns (1 for every data set in [`DATA_SETS`]).
    pub fn n_predictors(&self) -> usize {
        self.predictors.len()
    }

    /// Number of observations (data rows).
    pub fn n_observations(&self) -> usize {
        self.y.len()
    }

    /// Predictor `j + 1` of every observation (`predictor(0)` is `x` or `x1`).
    ///
    /// # Panics
    /// If `j ≥ n_predictors()`.
    pub fn predictor(&self, j: usize) -> &[f64] {
        &self.predictors[j]
    }

    /// The predictor `x` of a single-predictor data set.
    ///
    /// # Panics
    /// If the data set has more than one predictor; use [`NistDataSet::predictor`].
    pub fn x(&self) -> &[f64] {
        assert_eq!(
            self.n_predictors(),
            1,
            "data set `{}` has {} predictors; use predictor(j)",
            self.name,
            self.n_predictors()
        );
        &self.predictors[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "NIST/ITL StRD
Dataset Name:  Tiny   (Tiny.dat)
File Format:   ASCII
               Starting Values   (lines 9 to 10)
               Certified Values  (lines 9 to 12)
               Data              (lines 14 to 16)
               Lower Level of Difficulty
          Start 1     Start 2           Parameter     Standard Deviation
  b1 =   1           100           2.5E+02  1.0E+01
  b2 =   1             0.75        5.0E-01  1.0E-01

Residual Sum of Squares:                    1.25E+03
Data:   y             x
      109             1
      149             2
      149.5           3
";

    #[test]
    fn parses_a_minimal_file() {
        let d = NistDataSet::parse(SMALL).unwrap();
        assert_eq!(d.name, "Tiny");
        assert_eq!(d.difficulty, Difficulty::Lower);
        assert_eq!(d.parameters.len(), 2);
        assert_eq!(d.parameters[1].name, "b2");
        assert_eq!(d.start(Start::Two), vec![100.0, 0.75]);
        assert_eq!(d.certified(), vec![250.0, 0.5]);
        assert_eq!(d.certified_rss, 1250.0);
        assert_eq!(d.x(), [1.0, 2.0, 3.0]);
        assert_eq!(d.y, vec![109.0, 149.0, 149.5]);
    }

    /// Two predictors, laid out like NIST's Nelson.dat (the header states the count;
    /// rows read `y x1 x2`); the `3 Parameters` and model lines must not be mistaken
    /// for the predictor count.
    const TWO_PREDICTORS: &str = "NIST/ITL StRD
Dataset Name:  Twin              (Twin.dat)

File Format:   ASCII
               Starting Values   (lines 21 to 23)
               Certified Values  (lines 21 to 25)
               Data              (lines 28 to 31)

Procedure:     Nonlinear Least Squares Regression

Data:          1 Response   ( y = breakdown strength)
               2 Predictors (x1 = time; x2 = temperature)
               4 Observations
               Average Level of Difficulty
               Observed Data

Model:         Exponential Class
               3 Parameters (b1 to b3)

        Start 1     Start 2           Parameter     Standard Deviation
  b1 =    2           2.5         2.5E+00  1.0E-02
  b2 =    0.0001      0.000000005 5.0E-09  6.0E-09
  b3 =   -0.01       -0.05       -5.0E-02  4.0E-03

Residual Sum of Squares:                    3.75E+00

Data:   y           x1            x2
      15.00E0       1E0         180E0
      17.00E0       1E0         225E0
      15.50E0       2E0         250E0
      16.50E0       4E0         275E0
";

    #[test]
    fn parses_several_predictors_by_column() {
        let d = NistDataSet::parse(TWO_PREDICTORS).unwrap();
        assert_eq!(d.name, "Twin");
        assert_eq!(d.difficulty, Difficulty::Average);
        assert_eq!(d.parameters.len(), 3);
        assert_eq!(d.certified(), vec![2.5, 5e-9, -0.05]);
        assert_eq!(d.certified_rss, 3.75);
        assert_eq!((d.n_predictors(), d.n_observations()), (2, 4));
        assert_eq!(d.y, vec![15.0, 17.0, 15.5, 16.5]);
        assert_eq!(d.predictor(0), [1.0, 1.0, 2.0, 4.0]);
        assert_eq!(d.predictor(1), [180.0, 225.0, 250.0, 275.0]);
        // Without the header line, the first row gives the count.
        let unstated = TWO_PREDICTORS.replace("2 Predictors (x1 = time; x2 = temperature)", "");
        assert_eq!(NistDataSet::parse(&unstated).unwrap(), d);
    }

    #[test]
    #[should_panic(expected = "has 2 predictors")]
    fn the_single_predictor_accessor_refuses_two() {
        let _ = NistDataSet::parse(TWO_PREDICTORS).unwrap().x();
    }

    #[test]
    fn a_row_with_the_wrong_number_of_predictors_names_its_line() {
        // Row 3 (line 30) loses x2.
        let short = TWO_PREDICTORS.replace("2E0         250E0", "2E0");
        let e = NistDataSet::parse(&short).unwrap_err();
        assert!(matches!(e, NistError::Malformed { line: 30, .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.starts_with("line 30:") && text.contains("`y x1 x2`") && text.contains("15.50E0"),
            "{text}"
        );
        // The header's count is binding, from the first row on.
        let three = TWO_PREDICTORS.replace("2 Predictors", "3 Predictors");
        assert!(matches!(
            NistDataSet::parse(&three),
            Err(NistError::Malformed { line: 28, .. })
        ));
        // Without the header line, a row disagreeing with the first is malformed too.
        let unstated = short.replace("2 Predictors (x1 = time; x2 = temperature)", "");
        assert!(matches!(
            NistDataSet::parse(&unstated),
            Err(NistError::Malformed { line: 30, .. })
        ));
        let zero = TWO_PREDICTORS.replace("2 Predictors", "0 Predictors");
        assert!(matches!(
            NistDataSet::parse(&zero),
            Err(NistError::Malformed { line: 12, .. })
        ));
    }

    #[test]
    fn bad_input_gives_typed_errors() {
        assert!(matches!(
            NistDataSet::parse(""),
            Err(NistError::MissingField("Dataset Name"))
        ));
        let no_data = SMALL.replace("Data              (lines 14 to 16)", "");
        assert!(matches!(
            NistDataSet::parse(&no_data),
            Err(NistError::MissingField("Data"))
        ));
        let bad_number = SMALL.replace("149.5", "14x9");
        assert!(matches!(
            NistDataSet::parse(&bad_number),
            Err(NistError::Malformed { line: 16, .. })
        ));
        let past_end = SMALL.replace("(lines 14 to 16)", "(lines 14 to 99)");
        assert!(matches!(
            NistDataSet::parse(&past_end),
            Err(NistError::Malformed { .. })
        ));
        let short_row = SMALL.replace(
            "  b2 =   1             0.75        5.0E-01  1.0E-01",
            "  b2 =   1",
        );
        assert!(matches!(
            NistDataSet::parse(&short_row),
            Err(NistError::Malformed { line: 10, .. })
        ));
        assert!(matches!(
            NistDataSet::load(Path::new("/nonexistent/x.dat")),
            Err(NistError::Io { .. })
        ));
    }

    #[test]
    fn every_shipped_file_parses() {
        for name in DATA_SETS {
            let d = NistDataSet::load_named(name).unwrap();
            assert_eq!(d.name, name);
            assert_eq!(d.n_predictors(), 1, "{name}");
            assert!(!d.x().is_empty() && d.x().len() == d.y.len());
            assert!(d.certified_rss > 0.0);
        }
    }
}
