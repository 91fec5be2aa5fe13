//! Tokeniser: source string → tokens with their character columns.
//!
//! Columns are 1-based and count characters (not bytes), so a caret placed under the
//! column lines up in a terminal even after a `π`. Whitespace (including newlines) only
//! separates tokens; the column keeps counting through it.

use super::error::{ErrorKind, ExprError};

/// A token kind.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Ident(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Comma,
    /// One past the last character.
    End,
}

/// A token and where it sits in the source.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// 1-based character column of the first character.
    pub col: usize,
    /// Length in characters.
    pub len: usize,
}

impl Tok {
    /// How the token reads in messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Num(v) => format!("number `{v}`"),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Caret => "`^`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::End => "end of expression".into(),
        }
    }
}

/// Splits `src` into tokens, ending with [`Tok::End`].
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '+' => Some(Tok::Plus),
            '-' | '−' => Some(Tok::Minus),
            '*' | '·' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '^' => Some(Tok::Caret),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            'π' => Some(Tok::Ident("pi".into())),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token { tok, col, len: 1 });
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let (tok, end) = number(&chars, i, src)?;
            out.push(Token {
                tok,
                col,
                len: end - i,
            });
            i = end;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            out.push(Token {
                tok: Tok::Ident(name),
                col,
                len: i - start,
            });
        } else {
            return Err(ExprError::new(
                ErrorKind::UnexpectedChar,
                col,
                1,
                format!(
                    "unexpected character `{c}`; expected a number, a name, an operator \
                     (+ - * / ^), a parenthesis or a comma"
                ),
                src,
            ));
        }
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len() + 1,
        len: 1,
    });
    Ok(out)
}

/// A number literal starting at `start`: `digits [. digits] [(e|E) [+|-] digits]`, with at
/// least one mantissa digit (`.5` and `2.` are allowed). Returns the token and the index
/// one past its end.
fn number(chars: &[char], start: usize, src: &str) -> Result<(Tok, usize), ExprError> {
    let mut i = start;
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    let mut mantissa = digits(&mut i);
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        mantissa += digits(&mut i);
    }
    let bad = |end: usize, why: &str| {
        let text: String = chars[start..end].iter().collect();
        ExprError::new(
            ErrorKind::BadNumber,
            start + 1,
            end - start,
            format!("malformed number `{text}`: {why}"),
            src,
        )
    };
    if mantissa == 0 {
        return Err(bad(i, "a number needs at least one digit"));
    }
    if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
        i += 1;
        if i < chars.len() && (chars[i] == '+' || chars[i] == '-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return Err(bad(
                i,
                "the exponent needs digits (write 1e-3, or 2*exp(1) for 2e)",
            ));
        }
    }
    if i < chars.len() && chars[i] == '.' {
        let mut end = i;
        while end < chars.len() && (chars[end].is_ascii_digit() || chars[end] == '.') {
            end += 1;
        }
        return Err(bad(end, "more than one decimal point"));
    }
    let text: String = chars[start..i].iter().collect();
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((Tok::Num(v), i)),
        _ => Err(bad(i, "out of the range of f64")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_columns() {
        let toks = lex("  u_xx + 2.5e-1*sin(x)").unwrap();
        assert_eq!(
            toks[0],
            Token {
                tok: Tok::Ident("u_xx".into()),
                col: 3,
                len: 4
            }
        );
        assert_eq!(
            toks[1],
            Token {
                tok: Tok::Plus,
                col: 8,
                len: 1
            }
        );
        assert_eq!(
            toks[2],
            Token {
                tok: Tok::Num(0.25),
                col: 10,
                len: 6
            }
        );
        assert_eq!(
            toks.last().unwrap(),
            &Token {
                tok: Tok::End,
                col: 23,
                len: 1
            }
        );
        assert_eq!(
            kinds(".5 2. 3E2"),
            vec![Tok::Num(0.5), Tok::Num(2.0), Tok::Num(300.0), Tok::End]
        );
        // Columns count characters: `π` is one column although two bytes.
        let toks = lex("π*x").unwrap();
        assert_eq!(toks[0].tok, Tok::Ident("pi".into()));
        assert_eq!(toks[2].col, 3);
    }

    #[test]
    fn malformed_numbers_and_characters() {
        let e = lex("x + 1.2.3").unwrap_err();
        assert_eq!((e.kind, e.column, e.len), (ErrorKind::BadNumber, 5, 5));
        let e = lex("2e+ x").unwrap_err();
        assert_eq!((e.kind, e.column), (ErrorKind::BadNumber, 1));
        let e = lex("x . y").unwrap_err();
        assert_eq!((e.kind, e.column), (ErrorKind::BadNumber, 3));
        let e = lex("1e999").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadNumber);
        let e = lex("u # 2").unwrap_err();
        assert_eq!((e.kind, e.column), (ErrorKind::UnexpectedChar, 3));
        let e = lex("πx$").unwrap_err();
        assert_eq!(e.column, 3);
    }
}
