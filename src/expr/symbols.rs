//! Symbol rules: what a bare name means.
//!
//! In order, a name is
//! 1. `pi` (π; also written `π`);
//! 2. a declared constant;
//! 3. a declared variable (coordinate), e.g. `x`, `t`, `theta`;
//! 4. a declared output, e.g. `u` (the channel `u(x)`);
//! 5. a derivative `<output>_<suffix>`: each character of the suffix is a
//!    **single-letter** variable, one per differentiation: `u_x`, `u_t`, `u_xx`, `u_xy`,
//!    `u_xxx`, `u_xxt`, `u_xxxx`, `u_xxyy` (the order of the letters does not matter:
//!    `u_yx` is the channel `u_xy`, `u_xyx` the channel `u_xxy`). Order 5 and above is an
//!    error. Derivatives in multi-letter variables are written `d(u, theta)` or
//!    `d(u, r, theta, theta)` (both spellings end in the same channel);
//! 6. anything else is undefined.
//!
//! `e` is *not* Euler's number: `e` is a common name for a constant or a field (energy,
//! strain), and a silent built-in would shadow a typo; Euler's number is `exp(1)`.

use std::f64::consts::PI;

use super::context::Context;
use super::error::ErrorKind;
use super::func::Func;
use crate::residual::{Channel, MultiIndex};

/// What a name resolved to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Symbol {
    Const(f64),
    Var(usize),
    Chan(Channel),
}

/// A resolution failure, positioned relative to the start of the name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SymbolError {
    pub kind: ErrorKind,
    pub message: String,
    /// Offset in characters from the first character of the name.
    pub offset: usize,
    pub len: usize,
}

impl SymbolError {
    fn whole(name: &str, kind: ErrorKind, message: String) -> Self {
        SymbolError {
            kind,
            message,
            offset: 0,
            len: name.chars().count(),
        }
    }
}

/// Resolves a bare name (not followed by `(`).
pub(crate) fn resolve(name: &str, ctx: &Context) -> Result<Symbol, SymbolError> {
    if name == "pi" {
        return Ok(Symbol::Const(PI));
    }
    if let Some(v) = ctx.constant(name) {
        return Ok(Symbol::Const(v));
    }
    if let Some(i) = ctx.variable(name) {
        return Ok(Symbol::Var(i));
    }
    if let Some(o) = ctx.output(name) {
        return Ok(Symbol::Chan(Channel::Value { output: o }));
    }
    if let Some((prefix, suffix)) = name.split_once('_')
        && let Some(o) = ctx.output(prefix)
    {
        return suffix_derivative(name, o, prefix, suffix, ctx).map(Symbol::Chan);
    }
    Err(undefined(name, ctx))
}

/// `u_<suffix>`: each suffix character a single-letter variable.
fn suffix_derivative(
    name: &str,
    output: usize,
    prefix: &str,
    suffix: &str,
    ctx: &Context,
) -> Result<Channel, SymbolError> {
    let base = prefix.len() + 1; // prefix is ASCII (checked by Context)
    if suffix.is_empty() {
        return Err(SymbolError {
            kind: ErrorKind::NotAVariable,
            message: format!(
                "`{name}`: no variable after `_`; write e.g. {prefix}_{} (variables: {})",
                ctx.variables().first().map_or("x", String::as_str),
                ctx.variable_list()
            ),
            offset: base - 1,
            len: 1,
        });
    }
    let mut vars = Vec::new();
    for (k, ch) in suffix.chars().enumerate() {
        let mut buf = [0u8; 4];
        match ctx.variable(ch.encode_utf8(&mut buf)) {
            Some(i) => vars.push(i),
            None => {
                let mut message = format!(
                    "`{name}`: `{ch}` is not a variable (variables: {})",
                    ctx.variable_list()
                );
                if ctx.variable(suffix).is_some() {
                    message.push_str(&format!(
                        "; derivative suffixes are single-letter variables, so for `{suffix}` \
                         write d({prefix}, {suffix})"
                    ));
                }
                return Err(SymbolError {
                    kind: ErrorKind::NotAVariable,
                    message,
                    offset: base + k,
                    len: 1,
                });
            }
        }
    }
    derivative(output, &vars).map_err(|message| SymbolError {
        kind: ErrorKind::OrderTooHigh,
        message: format!("`{name}`: {message}"),
        offset: base,
        len: suffix.chars().count(),
    })
}

/// The channel `∂^{|vars|} u_output / ∂x_vars`, for up to
/// [`MultiIndex::MAX_ORDER`] = 4 variables, in any order (mixed partials of the smooth
/// network commute). The one place where a list of variables becomes a channel, so that
/// equal derivatives are equal channels: order 0–2 are `Value`, `First`, `Second` (with
/// `a ≤ b`), order 3–4 `Higher` with a sorted multi-index.
pub(crate) fn derivative(output: usize, vars: &[usize]) -> Result<Channel, String> {
    match *vars {
        [] => Ok(Channel::Value { output }),
        [var] => Ok(Channel::First { output, var }),
        [a, b] => Ok(Channel::second(output, a, b)),
        _ => match MultiIndex::new(vars) {
            Some(vars) => Ok(Channel::Higher { output, vars }),
            None => Err(format!(
                "derivative of order {} (order > {} not supported)",
                vars.len(),
                MultiIndex::MAX_ORDER
            )),
        },
    }
}

/// The "undefined symbol" error, with what would have been accepted.
fn undefined(name: &str, ctx: &Context) -> SymbolError {
    if Func::from_name(name).is_some() || name == "lap" || name == "d" {
        return SymbolError::whole(
            name,
            ErrorKind::UndefinedSymbol,
            format!("`{name}` is a function; call it as {name}(...)"),
        );
    }
    if let Some((prefix, _)) = name.split_once('_') {
        return SymbolError::whole(
            name,
            ErrorKind::UndefinedSymbol,
            format!(
                "undefined symbol `{name}`: `{prefix}` is not an output (outputs: {})",
                ctx.output_list()
            ),
        );
    }
    let constants: Vec<&str> = ctx.constants().iter().map(|(c, _)| c.as_str()).collect();
    let mut message = format!(
        "undefined symbol `{name}`; known: variables {}; outputs {}; constants {}pi",
        ctx.variable_list(),
        ctx.output_list(),
        constants
            .iter()
            .map(|c| format!("{c}, "))
            .collect::<String>(),
    );
    if name == "e" {
        message.push_str(" (Euler's number is written exp(1))");
    }
    SymbolError::whole(name, ErrorKind::UndefinedSymbol, message)
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

    #[test]
    fn resolution_order_and_channels() {
        let c = ctx();
        assert_eq!(resolve("pi", &c), Ok(Symbol::Const(PI)));
        assert_eq!(resolve("nu", &c), Ok(Symbol::Const(0.5)));
        assert_eq!(resolve("theta", &c), Ok(Symbol::Var(2)));
        assert_eq!(
            resolve("v", &c),
            Ok(Symbol::Chan(Channel::Value { output: 1 }))
        );
        assert_eq!(
            resolve("u_y", &c),
            Ok(Symbol::Chan(Channel::First { output: 0, var: 1 }))
        );
        assert_eq!(
            resolve("v_xx", &c),
            Ok(Symbol::Chan(Channel::Second {
                output: 1,
                a: 0,
                b: 0
            }))
        );
        assert_eq!(resolve("u_yx", &c), resolve("u_xy", &c));
        assert_eq!(
            resolve("u_yx", &c),
            Ok(Symbol::Chan(Channel::Second {
                output: 0,
                a: 0,
                b: 1
            }))
        );
    }

    #[test]
    fn errors_point_inside_the_name() {
        let c = ctx();
        let e = resolve("u_xq", &c).unwrap_err();
        assert_eq!((e.kind, e.offset, e.len), (ErrorKind::NotAVariable, 3, 1));
        assert!(
            e.message
                .contains("`q` is not a variable (variables: x, y, theta)"),
            "{}",
            e.message
        );
        let e = resolve("u_theta", &c).unwrap_err();
        assert_eq!((e.kind, e.offset), (ErrorKind::NotAVariable, 2));
        assert!(e.message.contains("d(u, theta)"), "{}", e.message);
        let e = resolve("u_xxyxy", &c).unwrap_err();
        assert_eq!((e.kind, e.offset, e.len), (ErrorKind::OrderTooHigh, 2, 5));
        assert!(
            e.message
                .contains("`u_xxyxy`: derivative of order 5 (order > 4 not supported)"),
            "{}",
            e.message
        );
        let e = resolve("u_", &c).unwrap_err();
        assert_eq!((e.kind, e.offset), (ErrorKind::NotAVariable, 1));
        let e = resolve("w_x", &c).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UndefinedSymbol);
        assert!(e.message.contains("`w` is not an output (outputs: u, v)"));
        let e = resolve("e", &c).unwrap_err();
        assert!(e.message.contains("exp(1)"));
        let e = resolve("sin", &c).unwrap_err();
        assert!(e.message.contains("call it as sin(...)"));
        assert!(derivative(0, &[0, 1, 1, 0, 1]).is_err());
    }

    #[test]
    fn orders_three_and_four() {
        let c = ctx();
        let chan = |name: &str| match resolve(name, &c) {
            Ok(Symbol::Chan(ch)) => ch,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(chan("u_xxx"), Channel::higher(0, &[0, 0, 0]));
        assert_eq!(chan("v_xxyy"), Channel::higher(1, &[0, 0, 1, 1]));
        assert_eq!(chan("v_yxyx"), chan("v_xxyy"));
        assert_eq!(chan("u_xyx"), chan("u_xxy"));
        assert_eq!(chan("u_yyyy").order(), 4);
        assert_eq!(
            derivative(0, &[2, 0, 2]),
            Ok(Channel::higher(0, &[0, 2, 2]))
        );
        // Orders 0–2 keep their own variants, whatever the spelling.
        assert_eq!(derivative(1, &[1, 0]), Ok(Channel::second(1, 0, 1)));
        assert_eq!(
            derivative(1, &[2]),
            Ok(Channel::First { output: 1, var: 2 })
        );
        assert_eq!(derivative(1, &[]), Ok(Channel::Value { output: 1 }));
    }
}
