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
//! of the data range reads `y x`. Line numbers are 1-based. Everything is read from
//! those ranges, so the parser does not depend on the column layout of the header text.

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
    /// A line does not have the form its range requires.
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
    /// Predictor values.
    pub x: Vec<f64>,
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
        let mut x = Vec::with_capacity(d_last - d_first + 1);
        let mut y = Vec::with_capacity(d_last - d_first + 1);
        for n in d_first..=d_last {
            let values = lines[n - 1]
                .split_whitespace()
                .map(|t| parse_number(t, n))
                .collect::<Result<Vec<_>, _>>()?;
            if values.len() != 2 {
                return Err(NistError::Malformed {
                    line: n,
                    message: format!("expected `y x`, found {} numbers", values.len()),
                });
            }
            y.push(values[0]);
            x.push(values[1]);
        }

        Ok(NistDataSet {
            name,
            difficulty,
            parameters,
            certified_rss,
            x,
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
        assert_eq!(d.x, vec![1.0, 2.0, 3.0]);
        assert_eq!(d.y, vec![109.0, 149.0, 149.5]);
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
            assert!(!d.x.is_empty() && d.x.len() == d.y.len());
            assert!(d.certified_rss > 0.0);
        }
    }
}
