//! The expression language of problem files: a formula such as
//! `u_t + u*u_x - nu*u_xx` is parsed once into a flat instruction list that returns the
//! residual `F(x, c)` and its exact partials `∂F/∂c_k` with respect to the derivative
//! channels `c_k` (see [`crate::residual::PointResidual`]).
//!
//! # Language
//! - numbers (`2`, `.5`, `1e-3`), `pi` (or `π`), declared constants;
//! - coordinates (the declared variables, e.g. `x`, `y`, `t`, `theta`);
//! - outputs (`u`, `v`, `p`, …) and their derivatives up to order 4: `u_x`, `u_t`,
//!   `u_xx`, `u_xy` (= `u_yx`), `u_tt`, `u_xxx`, `u_xxt`, `u_xxxx`, `u_xxyy` — each
//!   suffix letter a single-letter variable — or, for any variable names, `d(u, x)`,
//!   `d(u, r, theta)`, `d(u, r, r, theta, theta)`; `lap(u)` sums `∂²u/∂x_i²` over the
//!   context's Laplacian variables. Order 5+ is an error ("order > 4 not supported");
//! - `+ - * / ^`, unary `-` and `+`, parentheses; `^` is right-associative and binds
//!   tighter than unary minus: `-x^2 = -(x^2)`, `2^3^2 = 512`;
//! - `sin cos tan exp log sqrt tanh sinh cosh abs` (`log` is natural);
//! - `e` is not built in (Euler's number is `exp(1)`); see [`symbols`] for the rules;
//! - `π`, `·` and `−` (U+2212) are accepted for `pi`, `*` and `-`; whitespace is free.
//!
//! # Example
//! ```
//! use pinn::expr::{Context, parse_residual};
//! use pinn::residual::{Channel, PointResidual};
//!
//! let ctx = Context::new(&["x", "t"], &["u"])?.with_constant("nu", 0.01)?;
//! let burgers = parse_residual("u_t + u*u_x - nu*u_xx", &ctx)?;
//! // Channels are sorted: u, u_x, u_t, u_xx.
//! assert_eq!(burgers.channels()[0], Channel::Value { output: 0 });
//! let mut dfdc = [0.0; 4];
//! let f = burgers.eval(&[0.1, 0.2], &[2.0, 3.0, 1.0, 4.0], &mut dfdc);
//! assert_eq!(f, 1.0 + 2.0 * 3.0 - 0.01 * 4.0);
//! assert_eq!(dfdc, [3.0, 2.0, 1.0, -0.01]);
//!
//! let err = parse_residual("u_t + u*u_q", &ctx).unwrap_err();
//! assert_eq!(err.column, 11);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why a hand-written parser rather than exmex
//! The exmex crate (0.21: symbolic partials, 43 ns/eval) was the candidate. Its error type
//! `ExError` carries only a message string, no position, so it cannot give the column
//! the problem-file errors must show (file:line:column, and the column inside the
//! string). Its symbol model also does not fit: lowercase `pi` is a variable, and
//! `lap(u)`/`d(u, x)` take an output *name*, not a value, so they cannot be exmex
//! functions. The language is small (a Pratt parser of ~300 lines), and the partials
//! need no symbolic algebra: a reverse sweep over the compiled tape gives them exactly
//! (`tape.rs`). So this module hand-writes the parser and adds no dependency.
//!
//! # Errors
//! Every parse error is an [`ExprError`] with the 1-based character column and length of
//! the offending text, a message naming what was expected, and an [`ErrorKind`]; its
//! `Display` prints the source with a caret line. No input panics.

mod compiled;
mod context;
mod error;
mod func;
mod lexer;
mod parser;
pub mod symbols;
mod tape;
pub mod transform;

pub use compiled::{CompiledFunction, CompiledResidual};
pub use context::Context;
pub use error::{ContextError, ErrorKind, ExprError};
pub use func::Func;
pub use transform::{OutputTransform, TransformError, TransformedResidual, WrapError};

pub use parser::MAX_SOURCE_BYTES;
use parser::{Mode, compile};

/// `src` for a message: whole when short, else its first 60 characters, `…` and its
/// length, so that an overlong expression does not flood the terminal.
pub fn shortened(src: &str) -> String {
    const SHOWN: usize = 60;
    if src.chars().count() <= 2 * SHOWN {
        return src.to_string();
    }
    let head: String = src.chars().take(SHOWN).collect();
    format!("{head}… ({} characters)", src.chars().count())
}

/// Compiles a residual `F(x, c)`: any of the language, including outputs and their
/// derivatives. The channels it reads are [`CompiledResidual`]'s
/// [`channels`](crate::residual::PointResidual::channels).
pub fn parse_residual(src: &str, ctx: &Context) -> Result<CompiledResidual, ExprError> {
    let tape = compile(src, ctx, Mode::Residual)?;
    Ok(CompiledResidual {
        tape,
        n_vars: ctx.variables().len(),
        source: src.to_string(),
    })
}

/// Compiles a function `g(x)` of the coordinates and constants alone (a source term,
/// boundary data, an exact solution). An output or derivative is an error of kind
/// [`ErrorKind::OutputInFunction`].
pub fn parse_function(src: &str, ctx: &Context) -> Result<CompiledFunction, ExprError> {
    let tape = compile(src, ctx, Mode::Function)?;
    Ok(CompiledFunction {
        tape,
        n_vars: ctx.variables().len(),
        source: src.to_string(),
    })
}
