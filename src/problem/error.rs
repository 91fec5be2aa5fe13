//! Errors in problem files: always the file, the line, the column and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

use super::location::{LineCol, line_col, line_text};

/// A problem-file error pinned to a place in the file.
///
/// Displayed in the manner of rustc and the toml crate:
/// ```text
/// problems/bad.toml:9:1: error: unknown field `n_boundry`, expected one of ...
///   |
/// 9 | n_boundry = 120
///   | ^^^^^^^^^
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file (as given by the user).
    pub file: PathBuf,
    /// Where the error is, when it has a place (a file that cannot be read has none).
    pub at: Option<LineCol>,
    /// How many characters the caret line underlines (at least 1).
    pub width: usize,
    /// What was wrong and what was expected.
    pub message: String,
    /// The offending line of the file, for the caret display.
    pub line_text: String,
}

impl InputError {
    /// An error at byte range `span` of `text`.
    pub fn at_span(
        file: &Path,
        text: &str,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let at = line_col(text, span.start);
        let end = line_col(text, span.end.max(span.start));
        let width = if end.line == at.line {
            end.column.saturating_sub(at.column).max(1)
        } else {
            1
        };
        InputError {
            file: file.to_path_buf(),
            at: Some(at),
            width,
            message: message.into(),
            line_text: line_text(text, at.line).to_string(),
        }
    }

    /// An error about the file as a whole (it cannot be read, say).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            at: None,
            width: 1,
            message: message.into(),
            line_text: String::new(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            None => write!(f, "{}: error: {}", self.file.display(), self.message),
            Some(LineCol { line, column }) => {
                writeln!(
                    f,
                    "{}:{line}:{column}: error: {}",
                    self.file.display(),
                    self.message
                )?;
                let gutter = line.to_string().len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{line} | {}", self.line_text)?;
                // Tabs in the line keep their width under the caret.
                let pad: String = self
                    .line_text
                    .chars()
                    .take(column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "{:gutter$} | {pad}{}", "", "^".repeat(self.width))
            }
        }
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_and_underlines_the_span() {
        let text = "name = \"p\"\nn_boundry = 120\n";
        let e = InputError::at_span(
            Path::new("p.toml"),
            text,
            11..20,
            "unknown field `n_boundry`",
        );
        let s = e.to_string();
        assert!(
            s.starts_with("p.toml:2:1: error: unknown field `n_boundry`"),
            "{s}"
        );
        assert!(s.contains("2 | n_boundry = 120"), "{s}");
        assert!(s.ends_with("  | ^^^^^^^^^"), "{s}");
    }

    #[test]
    fn whole_file_errors_have_no_place() {
        let e = InputError::whole_file(Path::new("x.toml"), "the file is empty");
        assert_eq!(e.to_string(), "x.toml: error: the file is empty");
    }
}
