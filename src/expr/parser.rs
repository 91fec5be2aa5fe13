//! Pratt (top-down operator precedence) parser: tokens → tape, in one pass.
//!
//! Grammar, loosest to tightest (Pratt, "Top down operator precedence", POPL 1973):
//!
//! ```text
//! expr    := expr (+|-) expr          left-associative, binding power 10
//!          | expr (*|/) expr          left-associative, 20
//!          | (-|+) expr               prefix, operand parsed at 25
//!          | expr ^ expr              right-associative, 30
//!          | number | name | name ( args ) | ( expr )
//! ```
//!
//! so `-x^2 = -(x^2)`, `2^3^2 = 2^9`, `a/b/c = (a/b)/c`, `-a*b = (-a)*b`, `2^-x = 2^(-x)`,
//! as in mathematics. Calls: the functions of [`Func`], `lap(u)` and `d(u, x[, y, …])`
//! (up to four variables).

use super::context::Context;
use super::error::{ErrorKind, ExprError};
use super::func::Func;
use super::lexer::{Tok, Token, lex};
use super::symbols::{Symbol, SymbolError, derivative, resolve};
use super::tape::{BinOp, Builder, Tape};
use crate::residual::Channel;

/// Whether network outputs may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A residual `F(x, c)`: outputs and derivatives allowed.
    Residual,
    /// A function `g(x)` of the coordinates alone.
    Function,
    /// An output transform `u = T(x, N)`: the network output `N` itself, no derivative.
    Transform,
}

/// Deepest nesting of parentheses and prefix operators; deeper input is an error rather
/// than a stack overflow.
const MAX_DEPTH: usize = 200;
const PREFIX_BP: u8 = 25;

/// The longest source accepted, in bytes: hundreds of times any real residual, and short
/// enough that the tokens and the tape of any source stay small (the tape grows linearly
/// with the source; a source of tens of megabytes would take seconds and gigabytes).
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;

/// Parses and compiles `src`.
pub(crate) fn compile(src: &str, ctx: &Context, mode: Mode) -> Result<Tape, ExprError> {
    if src.len() > MAX_SOURCE_BYTES {
        let shown = super::shortened(src);
        return Err(ExprError::new(
            ErrorKind::TooLong,
            1,
            1,
            format!(
                "the expression has {} bytes, more than the {MAX_SOURCE_BYTES} an expression may have",
                src.len()
            ),
            &shown,
        ));
    }
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        src,
        ctx,
        mode,
        b: Builder::default(),
        depth: 0,
    };
    if p.peek().tok == Tok::End {
        return Err(p.err(ErrorKind::Empty, 1, 1, "empty expression".into()));
    }
    let root = p.expr(0)?;
    let t = p.peek().clone();
    match t.tok {
        Tok::End => Ok(p.b.finish(root)),
        Tok::RParen => Err(p.err(
            ErrorKind::UnbalancedParen,
            t.col,
            1,
            format!(
                "unbalanced parenthesis: `)` at column {} has no matching `(`",
                t.col
            ),
        )),
        ref other => Err(p.expected_operator(&t, other)),
    }
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    src: &'a str,
    ctx: &'a Context,
    mode: Mode,
    b: Builder,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn err(&self, kind: ErrorKind, col: usize, len: usize, msg: String) -> ExprError {
        ExprError::new(kind, col, len, msg, self.src)
    }

    fn expected_operator(&self, t: &Token, tok: &Tok) -> ExprError {
        let mut msg = format!(
            "expected an operator (+ - * / ^) or the end, found {}",
            tok.describe()
        );
        if matches!(tok, Tok::Num(_) | Tok::Ident(_) | Tok::LParen) {
            msg.push_str("; implicit multiplication is not supported, write `*`");
        }
        self.err(ErrorKind::ExpectedOperator, t.col, t.len, msg)
    }

    fn expr(&mut self, min_bp: u8) -> Result<u32, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek();
            return Err(self.err(
                ErrorKind::TooDeep,
                t.col,
                t.len,
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let mut lhs = self.prefix()?;
        loop {
            let (op, lbp, rbp) = match self.peek().tok {
                Tok::Plus => (BinOp::Add, 10, 11),
                Tok::Minus => (BinOp::Sub, 10, 11),
                Tok::Star => (BinOp::Mul, 20, 21),
                Tok::Slash => (BinOp::Div, 20, 21),
                Tok::Caret => (BinOp::Pow, 30, 30),
                _ => break,
            };
            if lbp < min_bp {
                break;
            }
            self.next();
            let rhs = self.expr(rbp)?;
            lhs = self.b.binary(op, lhs, rhs);
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<u32, ExprError> {
        let t = self.next();
        match t.tok {
            Tok::Num(v) => Ok(self.b.constant(v)),
            Tok::Minus => {
                let a = self.expr(PREFIX_BP)?;
                Ok(self.b.neg(a))
            }
            Tok::Plus => self.expr(PREFIX_BP),
            Tok::LParen => {
                let inner = self.expr(0)?;
                self.close(&t, None)?;
                Ok(inner)
            }
            Tok::Ident(ref name) => {
                if self.peek().tok == Tok::LParen {
                    self.call(&t, name)
                } else {
                    self.symbol(&t, name)
                }
            }
            ref other => Err(self.err(
                ErrorKind::ExpectedOperand,
                t.col,
                t.len,
                format!(
                    "expected a number, a name or `(`, found {}",
                    other.describe()
                ),
            )),
        }
    }

    /// Consumes the `)` matching `open`; `call` names the function whose arguments end here.
    fn close(&mut self, open: &Token, call: Option<&str>) -> Result<(), ExprError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::RParen => {
                self.next();
                Ok(())
            }
            Tok::End => Err(self.err(
                ErrorKind::UnbalancedParen,
                open.col,
                1,
                format!(
                    "unbalanced parenthesis: `(` at column {} is never closed",
                    open.col
                ),
            )),
            Tok::Comma => Err(self.err(
                ErrorKind::BadArguments,
                t.col,
                1,
                match call {
                    Some(f) => format!("`{f}` takes one argument"),
                    None => "unexpected `,` outside a function call".into(),
                },
            )),
            ref other => Err(self.expected_operator(&t, other)),
        }
    }

    fn symbol(&mut self, t: &Token, name: &str) -> Result<u32, ExprError> {
        match resolve(name, self.ctx) {
            Ok(Symbol::Const(v)) => Ok(self.b.constant(v)),
            Ok(Symbol::Var(i)) => Ok(self.b.var(i)),
            Ok(Symbol::Chan(ch)) => self.channel(t, ch),
            Err(SymbolError {
                kind,
                message,
                offset,
                len,
            }) => Err(self.err(kind, t.col + offset, len, message)),
        }
    }

    fn channel(&mut self, t: &Token, ch: Channel) -> Result<u32, ExprError> {
        if self.mode == Mode::Function {
            let what = if ch.order() == 0 {
                "network output"
            } else {
                "derivative of a network output"
            };
            let name = &self.src_text(t);
            return Err(self.err(
                ErrorKind::OutputInFunction,
                t.col,
                t.len,
                format!(
                    "`{name}` is a {what}; this expression is a function of the coordinates \
                     and constants only"
                ),
            ));
        }
        if self.mode == Mode::Transform && ch.order() > 0 {
            let name = &self.src_text(t);
            return Err(self.err(
                ErrorKind::DerivativeInTransform,
                t.col,
                t.len,
                format!(
                    "`{name}` is a derivative of the network output; a transform reads the \
                     network output itself (its derivatives follow from the chain rule)"
                ),
            ));
        }
        Ok(self.b.channel(ch))
    }

    fn src_text(&self, t: &Token) -> String {
        self.src.chars().skip(t.col - 1).take(t.len).collect()
    }

    fn call(&mut self, name_tok: &Token, name: &str) -> Result<u32, ExprError> {
        let open = self.next();
        if let Some(f) = Func::from_name(name) {
            let a = self.expr(0)?;
            self.close(&open, Some(name))?;
            return Ok(self.b.call(f, a));
        }
        match name {
            "lap" => {
                let (output, _) = self.output_arg("lap", "lap(u)")?;
                let end = self.peek().clone();
                if end.tok == Tok::Comma {
                    return Err(self.err(
                        ErrorKind::BadArguments,
                        end.col,
                        1,
                        "`lap` takes one output name, e.g. lap(u)".into(),
                    ));
                }
                self.close(&open, Some("lap"))?;
                let ch = Channel::Laplacian {
                    output,
                    vars: self.ctx.laplacian_vars(),
                };
                let span = Token {
                    tok: Tok::End,
                    col: name_tok.col,
                    len: self.span_to(name_tok),
                };
                self.channel(&span, ch)
            }
            "d" => self.d_call(name_tok, &open),
            _ => {
                let kind_of = if self.ctx.variable(name).is_some() {
                    Some("a variable")
                } else if self.ctx.output(name).is_some() {
                    Some("an output")
                } else if self.ctx.constant(name).is_some() || name == "pi" {
                    Some("a constant")
                } else {
                    None
                };
                Err(match kind_of {
                    Some(k) => self.err(
                        ErrorKind::NotAFunction,
                        name_tok.col,
                        name_tok.len,
                        format!(
                            "`{name}` is {k}, not a function; implicit multiplication is not \
                             supported, write `{name}*(...)`"
                        ),
                    ),
                    None => self.err(
                        ErrorKind::UnknownFunction,
                        name_tok.col,
                        name_tok.len,
                        format!(
                            "unknown function `{name}` at column {}; known: {}, lap, d",
                            name_tok.col,
                            Func::list()
                        ),
                    ),
                })
            }
        }
    }

    /// Characters from the start of `from` to the end of the last consumed token.
    fn span_to(&self, from: &Token) -> usize {
        let last = &self.toks[self.pos - 1];
        last.col + last.len - from.col
    }

    /// An argument that must be a bare name; returns the name and its token.
    fn name_arg(&mut self, what: &str, usage: &str) -> Result<(String, Token), ExprError> {
        let t = self.next();
        match t.tok {
            Tok::Ident(ref n) => Ok((n.clone(), t)),
            ref other => Err(self.err(
                ErrorKind::BadArguments,
                t.col,
                t.len,
                format!(
                    "expected {what}, found {}; usage: {usage}",
                    other.describe()
                ),
            )),
        }
    }

    fn output_arg(&mut self, f: &str, usage: &str) -> Result<(usize, Token), ExprError> {
        let (n, t) = self.name_arg("an output name", usage)?;
        match self.ctx.output(&n) {
            Some(o) => Ok((o, t)),
            None => Err(self.err(
                ErrorKind::BadArguments,
                t.col,
                t.len,
                format!(
                    "`{f}` differentiates an output; `{n}` is not one (outputs: {})",
                    self.ctx.output_list()
                ),
            )),
        }
    }

    /// `d(u, x)`, `d(u, x, y)`, … up to four variables: derivatives in variables of any
    /// name length.
    fn d_call(&mut self, name_tok: &Token, open: &Token) -> Result<u32, ExprError> {
        const USAGE: &str = "d(u, x), d(u, x, y), … with up to 4 variables";
        let (output, _) = self.output_arg("d", USAGE)?;
        let mut vars = Vec::new();
        let mut first_var_col = 0;
        loop {
            let t = self.next();
            match t.tok {
                Tok::Comma => {
                    let (v, vt) = self.name_arg("a variable name", USAGE)?;
                    match self.ctx.variable(&v) {
                        Some(i) => {
                            if vars.is_empty() {
                                first_var_col = vt.col;
                            }
                            vars.push(i);
                        }
                        None => {
                            return Err(self.err(
                                ErrorKind::NotAVariable,
                                vt.col,
                                vt.len,
                                format!(
                                    "`{v}` is not a variable (variables: {})",
                                    self.ctx.variable_list()
                                ),
                            ));
                        }
                    }
                }
                Tok::RParen => break,
                Tok::End => {
                    return Err(self.err(
                        ErrorKind::UnbalancedParen,
                        open.col,
                        1,
                        format!(
                            "unbalanced parenthesis: `(` at column {} is never closed",
                            open.col
                        ),
                    ));
                }
                ref other => {
                    return Err(self.err(
                        ErrorKind::BadArguments,
                        t.col,
                        t.len,
                        format!(
                            "expected `,` or `)`, found {}; usage: {USAGE}",
                            other.describe()
                        ),
                    ));
                }
            }
        }
        if vars.is_empty() {
            return Err(self.err(
                ErrorKind::BadArguments,
                open.col,
                self.span_to(open),
                format!("`d` needs at least one variable; usage: {USAGE}"),
            ));
        }
        // The variables span from the first one to just before the closing `)`.
        let close = &self.toks[self.pos - 1];
        let ch = derivative(output, &vars).map_err(|m| {
            self.err(
                ErrorKind::OrderTooHigh,
                first_var_col,
                close.col - first_var_col,
                m,
            )
        })?;
        let span = Token {
            tok: Tok::End,
            col: name_tok.col,
            len: self.span_to(name_tok),
        };
        self.channel(&span, ch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::new(&["x", "y", "theta"], &["u", "v"])
            .unwrap()
            .with_constant("nu", 0.5)
            .unwrap()
    }

    fn val(src: &str, x: &[f64]) -> f64 {
        compile(src, &ctx(), Mode::Function).unwrap().value(x, &[])
    }

    fn err(src: &str) -> (ErrorKind, usize) {
        let e = compile(src, &ctx(), Mode::Residual).unwrap_err();
        (e.kind, e.column)
    }

    #[test]
    fn precedence() {
        let p = [3.0, 2.0, 0.5];
        assert_eq!(val("-x^2", &p), -9.0);
        assert_eq!(val("2^3^2", &p), 512.0);
        assert_eq!(val("x/y/theta", &p), 3.0);
        assert_eq!(val("--x", &p), 3.0);
        assert_eq!(val("-+-x", &p), 3.0);
        assert_eq!(val("-x*y", &p), -6.0);
        assert_eq!(val("2^-y", &p), 0.25);
        assert_eq!(val("2^-y^2", &p), 2f64.powi(-4));
        assert_eq!(val("x - y - theta", &p), 0.5);
        assert_eq!(val("x - -y", &p), 5.0);
        assert_eq!(val("(x + y) * theta", &p), 2.5);
        assert_eq!(val("x + y * theta", &p), 4.0);
        assert_eq!(val("(-x)^2", &p), 9.0);
        assert_eq!(val("nu*pi", &p), 0.5 * std::f64::consts::PI);
    }

    #[test]
    fn derivative_spellings_agree() {
        let c = ctx();
        let a = compile("u_xy + v_y", &c, Mode::Residual).unwrap();
        let b = compile("d(u, y, x) + d(v, y)", &c, Mode::Residual).unwrap();
        assert_eq!(a.channels, b.channels);
        let a = compile("u_xxyy + v_yyy + u_xyx", &c, Mode::Residual).unwrap();
        let b = compile(
            "d(u, y, x, y, x) + d(v, y, y, y) + d(u, x, x, y)",
            &c,
            Mode::Residual,
        );
        assert_eq!(a.channels, b.unwrap().channels);
        assert_eq!(
            a.channels,
            vec![
                Channel::higher(0, &[0, 0, 1]),
                Channel::higher(0, &[0, 0, 1, 1]),
                Channel::higher(1, &[1, 1, 1]),
            ]
        );
        let t = compile("d(u, theta, theta) + lap(v)", &c, Mode::Residual).unwrap();
        assert_eq!(
            t.channels,
            vec![
                Channel::Second {
                    output: 0,
                    a: 2,
                    b: 2
                },
                Channel::Laplacian {
                    output: 1,
                    vars: crate::residual::VarSet(0b111)
                }
            ]
        );
    }

    #[test]
    fn error_kinds_and_columns() {
        assert_eq!(err(""), (ErrorKind::Empty, 1));
        assert_eq!(err("   "), (ErrorKind::Empty, 1));
        assert_eq!(err("x +"), (ErrorKind::ExpectedOperand, 4));
        assert_eq!(err("x y"), (ErrorKind::ExpectedOperator, 3));
        assert_eq!(err("(x"), (ErrorKind::UnbalancedParen, 1));
        assert_eq!(err("x)"), (ErrorKind::UnbalancedParen, 2));
        assert_eq!(err("sin(x, y)"), (ErrorKind::BadArguments, 6));
        assert_eq!(err("u(x)"), (ErrorKind::NotAFunction, 1));
        assert_eq!(err("lap(x)"), (ErrorKind::BadArguments, 5));
        assert_eq!(err("lap(u, v)"), (ErrorKind::BadArguments, 6));
        assert_eq!(err("lap(2)"), (ErrorKind::BadArguments, 5));
        assert_eq!(err("d(u, x, y, x, y, x)"), (ErrorKind::OrderTooHigh, 6));
        assert_eq!(err("d(u)"), (ErrorKind::BadArguments, 2));
        assert_eq!(err("d(u, q)"), (ErrorKind::NotAVariable, 6));
        assert_eq!(err("d(u, x"), (ErrorKind::UnbalancedParen, 2));
        assert_eq!(err("d(u x)"), (ErrorKind::BadArguments, 5));
        assert_eq!(err("x , y"), (ErrorKind::ExpectedOperator, 3));
        assert_eq!(err("(x , y)"), (ErrorKind::BadArguments, 4));
        let deep = "(".repeat(1000) + "x" + &")".repeat(1000);
        assert_eq!(err(&deep).0, ErrorKind::TooDeep);
        let long = "x+".repeat(MAX_SOURCE_BYTES / 2) + "x";
        assert_eq!(err(&long), (ErrorKind::TooLong, 1));
        let fits = "x+".repeat(MAX_SOURCE_BYTES / 2 - 1) + "x";
        assert!(compile(&fits, &ctx(), Mode::Function).is_ok());
        let chain = "-".repeat(1000) + "x";
        assert_eq!(err(&chain).0, ErrorKind::TooDeep);
        let fine = "(".repeat(100) + "x" + &")".repeat(100);
        assert!(compile(&fine, &ctx(), Mode::Residual).is_ok());
        let e = compile("x + u_x", &ctx(), Mode::Function).unwrap_err();
        assert_eq!(
            (e.kind, e.column, e.len),
            (ErrorKind::OutputInFunction, 5, 3)
        );
        let e = compile("1 + lap(u)", &ctx(), Mode::Function).unwrap_err();
        assert_eq!(
            (e.kind, e.column, e.len),
            (ErrorKind::OutputInFunction, 5, 6)
        );
    }
}
