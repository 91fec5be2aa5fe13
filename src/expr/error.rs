//! Errors of the expression language: a parse error points at a column of the source
//! string, so a problem-file loader can report `file:line:column` and the column inside
//! the string.

use std::fmt;

/// What went wrong, so callers (and tests) can branch on the kind without matching text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The source has no tokens.
    Empty,
    /// A character that starts no token (`#`, `$`, …).
    UnexpectedChar,
    /// A number literal that does not parse (`1e`, `1.2.3`).
    BadNumber,
    /// A token where an operand was expected (`2*`, `*3`, `()`).
    ExpectedOperand,
    /// A token where an operator or the end was expected (`2 3`, `x y`).
    ExpectedOperator,
    /// A `(` never closed or a `)` never opened.
    UnbalancedParen,
    /// A call of a name that is not a known function.
    UnknownFunction,
    /// A function called with the wrong number of arguments, or `lap`/`d` given
    /// something other than names.
    BadArguments,
    /// A name that is no constant, variable, output, derivative or `pi`.
    UndefinedSymbol,
    /// A derivative symbol whose suffix names something that is not a variable (`u_q`).
    NotAVariable,
    /// A derivative of order three or more (`u_xxx`).
    OrderTooHigh,
    /// A network output or derivative inside a function of the coordinates alone.
    OutputInFunction,
    /// A name used as a function that is a constant, variable or output (`u(x)`).
    NotAFunction,
    /// Parentheses or unary operators nested deeper than the parser allows.
    TooDeep,
    /// A derivative of the network output inside an output transform (`N_x`).
    DerivativeInTransform,
    /// A source longer than an expression may be.
    TooLong,
}

/// A parse error with its position in the source string.
///
/// `column` is the 1-based column of the first offending character, counted in
/// characters (not bytes); `len` is how many characters the caret line underlines
/// (at least 1; a position just past the end of the source underlines one space).
#[derive(Clone, Debug, PartialEq)]
pub struct ExprError {
    /// 1-based character column in `source`.
    pub column: usize,
    /// Number of characters the error covers (≥ 1).
    pub len: usize,
    /// What was wrong and, where useful, what was expected.
    pub message: String,
    /// The kind of error.
    pub kind: ErrorKind,
    /// The source string the column refers to.
    pub source: String,
}

impl ExprError {
    pub(crate) fn new(
        kind: ErrorKind,
        column: usize,
        len: usize,
        message: impl Into<String>,
        source: &str,
    ) -> Self {
        ExprError {
            column: column.max(1),
            len: len.max(1),
            message: message.into(),
            kind,
            source: source.to_string(),
        }
    }

    /// The source line and a caret line under the offending characters, e.g.
    ///
    /// ```text
    /// sinn(x)
    /// ^^^^
    /// ```
    pub fn caret_lines(&self) -> String {
        // Tabs and other control characters would shift the caret; show them as spaces.
        let shown: String = self
            .source
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .collect();
        let pad = " ".repeat(self.column - 1);
        let marks = "^".repeat(self.len);
        format!("{shown}\n{pad}{marks}")
    }
}

impl ExprError {
    /// The error as a problem-file loader reports it, for an expression string whose
    /// first character sits at `line:string_column` of `path` (both 1-based):
    /// `path:line:col: message (column c of the expression)` plus the caret lines, where
    /// `col = string_column + column - 1`. (Exact when the string has no escape sequences
    /// before the error; otherwise the expression column is still exact.)
    pub fn in_file(&self, path: &str, line: usize, string_column: usize) -> String {
        format!(
            "{path}:{line}:{}: {} (column {} of the expression)\n{}",
            string_column + self.column - 1,
            self.message,
            self.column,
            self.caret_lines()
        )
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column {}: {}\n{}",
            self.column,
            self.message,
            self.caret_lines()
        )
    }
}

impl std::error::Error for ExprError {}

/// An invalid [`Context`](super::Context): a bad or clashing name, too many variables.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The name is not an identifier of the allowed form.
    #[error("`{name}` is not a valid {role} name: {why}")]
    BadName {
        name: String,
        role: &'static str,
        why: &'static str,
    },
    /// The name is a function name or `pi`, `lap`, `d`.
    #[error("`{0}` is reserved (a function name, `pi`, `lap` or `d`)")]
    Reserved(String),
    /// The name is declared twice (across variables, outputs and constants).
    #[error("`{0}` is declared more than once")]
    Duplicate(String),
    /// More variables than a [`VarSet`](crate::residual::VarSet) can hold.
    #[error("{0} variables given; at most 32 are supported")]
    TooManyVariables(usize),
    /// A Laplacian variable that is not declared, or an empty Laplacian set.
    #[error("Laplacian variables: {0}")]
    BadLaplacian(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_file_location() {
        let e = ExprError::new(
            ErrorKind::UndefinedSymbol,
            5,
            1,
            "undefined symbol `w`",
            "u + w",
        );
        assert_eq!(
            e.to_string(),
            "column 5: undefined symbol `w`\nu + w\n    ^"
        );
        assert_eq!(
            e.in_file("burgers.toml", 7, 13),
            "burgers.toml:7:17: undefined symbol `w` (column 5 of the expression)\nu + w\n    ^"
        );
        // Column and length are at least 1; tabs do not shift the caret.
        let e = ExprError::new(ErrorKind::Empty, 0, 0, "empty expression", "\t");
        assert_eq!((e.column, e.len), (1, 1));
        assert_eq!(e.caret_lines(), " \n^");
    }
}
